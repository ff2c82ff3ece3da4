#!/usr/bin/env bash
# bench-guest.sh: guest syscall and start-up costs, native and under kandelo-launch side
# by side in one run (issue 4's benchmark).
#
#   scripts/bench-guest.sh [--quick]
#
# Builds release binaries, compiles scripts/bench/*.c natively (gcc -O2) and as guests
# (kandelo-cc -O2), puts the guests in an image, and prints for each figure the native
# value, the guest value and the ratio:
#   getpid      round trip of the cheapest syscall (µs; target ≤ 2, Kandelo/Node 27)
#   read_1MB    reading a 1 MB file from the image (MB/s; target ≥ 1000)
#   write_1MB   writing it (MB/s)
#   stat        stat(2) of a file in the image (µs)
#   cpu_loop    a syscall-free loop (ms; ratio = interpreter slowdown)
#   hello start launch to exit of hello world (ms; target ≤ 30, Kandelo 271)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
[ "${1:-}" = "--quick" ] && quick=quick
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
echo "building release binaries..." >&2
swift build -c release --product kandelo-launch >&2
swift build -c release --product kandelo-runner >&2
swift build -c release --product kandelo-image >&2
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d /tmp/kandelo-bench-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/work" "$work/root/tmp" "$work/native"
gcc -O2 -o "$work/native/guest-bench" scripts/bench/guest-bench.c
gcc -O2 -o "$work/native/hello" scripts/bench/hello.c
sdk/bin/kandelo-cc -O2 -o "$work/root/bin/guest-bench" scripts/bench/guest-bench.c
sdk/bin/kandelo-cc -O2 -o "$work/root/bin/hello" scripts/bench/hello.c
"$bin/kandelo-image" build --from-dir "$work/root" --output "$work/bench.vfs" >/dev/null

native=$("$work/native/guest-bench" "$work/native" $quick)
guest=$("$bin/kandelo-launch" --image "$work/bench.vfs" /bin/guest-bench /work $quick)

# Cold start: wall time from launch to exit, averaged.
runs=${HELLO_RUNS:-20}
ms() { date +%s%N; }
start=$(ms); for _ in $(seq "$runs"); do "$work/native/hello" >/dev/null; done; end=$(ms)
native_hello=$(echo "scale=3; ($end - $start) / 1000000 / $runs" | bc)
start=$(ms); for _ in $(seq "$runs"); do "$bin/kandelo-launch" --image "$work/bench.vfs" /bin/hello >/dev/null; done; end=$(ms)
guest_hello=$(echo "scale=3; ($end - $start) / 1000000 / $runs" | bc)

printf '%-12s %14s %14s %10s\n' figure native guest ratio
value() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
unit() { echo "$1" | awk -v k="$2" '$1 == k { print $3 }'; }
for k in getpid read_1MB write_1MB stat cpu_loop; do
    n=$(value "$native" $k); g=$(value "$guest" $k); u=$(unit "$native" $k)
    printf '%-12s %10s %-3s %10s %-3s %9.2fx\n' "$k" "$n" "$u" "$g" "$u" "$(echo "scale=4; $g / $n" | bc)"
done
printf '%-12s %10s %-3s %10s %-3s %9.2fx\n' "hello start" "$native_hello" ms "$guest_hello" ms \
    "$(echo "scale=4; $guest_hello / $native_hello" | bc)"
