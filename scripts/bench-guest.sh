#!/usr/bin/env bash
# bench-guest.sh: guest syscall, start-up and process costs, native and under
# kandelo-launch side by side in one run (issues 4 and 5).
#
#   scripts/bench-guest.sh [--quick] [--scratch DIR] [--no-build]
#
# Builds release binaries (in DIR with --scratch, as `swift build --scratch-path DIR`;
# --no-build uses what is there), compiles scripts/bench/*.c natively (gcc -O2) and as
# guests (kandelo-cc -O2), puts the guests and busybox (images/recipes/busybox) in an
# image, and prints for each figure the native value, the guest value, the ratio and
# the target where the issue sets one:
#   getpid      round trip of the cheapest syscall (µs; target ≤ 2, Kandelo/Node 27)
#   read_1MB    reading a 1 MB file from the image (MB/s; target ≥ 1000)
#   write_1MB   writing it (MB/s)
#   stat        stat(2) of a file in the image (µs)
#   cpu_loop    a syscall-free loop (ms; ratio = interpreter slowdown)
#   hello start launch to exit of hello world (ms; target ≤ 30, Kandelo 271)
#   fork        fork, child _exit, waitpid (ms; target ≤ 3)
#   exec        fork, child execve of a tiny program, waitpid (ms; target ≤ 15)
#   spawn       posix_spawn of the same program, waitpid (ms; our musl forks for it)
#   pipe        256 MiB from a child through a pipe in 64 KiB writes (MB/s; target ≥ 500)
#   thread      pthread_create + pthread_join (µs)
#   sh_true     busybox sh running busybox's true (by path, not the builtin) 1,000 times (s)
#   sh_expr     busybox sh counting to 1,000 with i=$(expr $i + 1) (s)
# and, in a table of their own (lock_figures, scripts/bench/lock-bench.c):
#   lock_uncontended  F_SETLK write lock + unlock in one process (fcntl calls/s)
#   lock_contended    two processes taking one F_SETLKW lock in turn (acquisitions/s)
#   epoll_pp    epoll ping-pong between two processes over two eventfds (round trips/s)
#   epoll_idle  epoll_wait with 1,000 idle eventfds registered and one active (µs per wake)
# Process figures run one per launch (scripts/bench/proc-bench.c), so one the guest
# cannot do yet prints "n/a (reason)" and the rest still run. The load average is
# printed first: figures from a busy machine are not comparable.
set -uo pipefail
cd "$(dirname "$0")/.."
quick="" scratch=() build=1
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=quick ;;
    --scratch) [ $# -ge 2 ] || { echo "bench-guest.sh: --scratch needs a directory" >&2; exit 64; }
               scratch=(--scratch-path "$2"); shift ;;
    --no-build) build="" ;;
    *) echo "usage: bench-guest.sh [--quick] [--scratch DIR] [--no-build]" >&2; exit 64 ;;
    esac
    shift
done
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
die() { echo "bench-guest.sh: $*" >&2; exit 1; }
if [ -n "$build" ]; then
    echo "building release binaries..." >&2
    for p in kandelo-launch kandelo-runner kandelo-image; do
        swift build -c release "${scratch[@]}" --product $p >&2 || die "swift build $p failed"
    done
fi
bin=$(swift build -c release "${scratch[@]}" --show-bin-path) || die "no release build"
[ -x "$bin/kandelo-launch" ] && [ -x "$bin/kandelo-runner" ] || die "no release binaries in $bin"
busybox=$(images/recipes/busybox/build.sh --both </dev/null >&2 && images/recipes/busybox/build.sh --print-path 2>/dev/null) \
    || die "busybox recipe failed"
work=$(mktemp -d /tmp/kandelo-bench-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/work" "$work/root/tmp" "$work/native/bb"
for prog in guest-bench hello proc-bench nop lock-bench epoll-bench; do
    gcc -O2 -o "$work/native/$prog" scripts/bench/$prog.c -lpthread || die "gcc $prog failed"
    sdk/bin/kandelo-cc -O2 -o "$work/root/bin/$prog" scripts/bench/$prog.c || die "kandelo-cc $prog failed"
done
# busybox with its applet links: in the image under /, natively in native/bb.
cp "$busybox/wasm/busybox.wasm" "$work/root/bin/busybox" && chmod 755 "$work/root/bin/busybox"
for l in $(cat "$busybox/busybox.links"); do
    mkdir -p "$work/root${l%/*}"
    [ -e "$work/root$l" ] || ln -s /bin/busybox "$work/root$l"
    ln -sf "$busybox/native/busybox" "$work/native/bb/${l##*/}"
done
cp scripts/bench/sh-loop.sh "$work/root/work/sh-loop.sh"
"$bin/kandelo-image" build --from-dir "$work/root" --output "$work/bench.vfs" >/dev/null || die "image build failed"
launch() { "$bin/kandelo-launch" --image "$work/bench.vfs" "$@"; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"

native=$("$work/native/guest-bench" "$work/native" $quick)
guest=$(launch /bin/guest-bench /work $quick)

# Cold start: wall time from launch to exit, averaged.
runs=${HELLO_RUNS:-20}
ms() { date +%s%N; }
start=$(ms); for _ in $(seq "$runs"); do "$work/native/hello" >/dev/null; done; end=$(ms)
native_hello=$(echo "scale=3; ($end - $start) / 1000000 / $runs" | bc)
start=$(ms); for _ in $(seq "$runs"); do launch /bin/hello >/dev/null; done; end=$(ms)
guest_hello=$(echo "scale=3; ($end - $start) / 1000000 / $runs" | bc)

# figure CMD...: the value of a "name value unit" line CMD prints, or "n/a (reason)".
figure() {
    local out err rc
    err=$(mktemp "$work/err.XXXXXX")
    out=$("$@" 2>"$err"); rc=$?
    if [ $rc -eq 0 ] && [ -n "$out" ]; then
        echo "$out" | awk 'END { print $2 }'
    else
        local why; why=$(grep -v '^$' "$err" | tail -n 1 | cut -c1-80)
        echo "n/a (${why:-exit status $rc})"
    fi
    rm -f "$err"
}
# shell CMD...: wall time of CMD in seconds, or "n/a (reason)"; CMD must print the count.
shell() {
    local start end out err rc
    err=$(mktemp "$work/err.XXXXXX")
    start=$(ms); out=$("$@" 2>"$err"); rc=$?; end=$(ms)
    if [ $rc -eq 0 ] && [ "$out" = "$shell_n" ]; then
        printf '%.3f\n' "$(echo "scale=3; ($end - $start) / 1000000000" | bc)"
    else
        local why; why=$(grep -v '^$' "$err" | tail -n 1 | cut -c1-80)
        echo "n/a (${why:-exit status $rc, output '$out'})"
    fi
    rm -f "$err"
}

if [ -n "$quick" ]; then forks=20 execs=10 mib=32 threads=200 shell_n=100 wakes=1000
else forks=200 execs=50 mib=256 threads=2000 shell_n=1000 wakes=10000; fi
declare -A nat gst unit target
unit=([getpid]=us [read_1MB]=MB/s [write_1MB]=MB/s [stat]=us [cpu_loop]=ms [hello start]=ms
      [fork]=ms [exec]=ms [spawn]=ms [pipe]=MB/s [thread]=us [sh_true]=s [sh_expr]=s
      [epoll_pp]=rt/s [epoll_idle]=us)
target=([getpid]="<= 2" [read_1MB]=">= 1000" [hello start]="<= 30" [fork]="<= 3" [exec]="<= 15"
        [pipe]=">= 500")
value() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
for k in getpid read_1MB write_1MB stat cpu_loop; do
    nat[$k]=$(value "$native" $k); gst[$k]=$(value "$guest" $k)
done
nat[hello start]=$native_hello; gst[hello start]=$guest_hello
nat[fork]=$(figure "$work/native/proc-bench" fork $forks)
gst[fork]=$(figure launch /bin/proc-bench fork $forks)
nat[exec]=$(figure "$work/native/proc-bench" exec "$work/native/nop" $execs)
gst[exec]=$(figure launch /bin/proc-bench exec /bin/nop $execs)
nat[spawn]=$(figure "$work/native/proc-bench" spawn "$work/native/nop" $execs)
gst[spawn]=$(figure launch /bin/proc-bench spawn /bin/nop $execs)
nat[pipe]=$(figure "$work/native/proc-bench" pipe $mib)
gst[pipe]=$(figure launch /bin/proc-bench pipe $mib)
nat[thread]=$(figure "$work/native/proc-bench" thread $threads)
gst[thread]=$(figure timeout 120 "$bin/kandelo-launch" --image "$work/bench.vfs" /bin/proc-bench thread $threads)
# The applets by path: natively all links are in one directory, in the image where
# busybox.links puts them.
applet() { grep -m1 "/$1\$" "$busybox/busybox.links"; }
nat[epoll_pp]=$(figure "$work/native/epoll-bench" pingpong $wakes)
gst[epoll_pp]=$(figure launch /bin/epoll-bench pingpong $wakes)
nat[epoll_idle]=$(figure "$work/native/epoll-bench" idle $wakes)
gst[epoll_idle]=$(figure launch /bin/epoll-bench idle $wakes)
nat[sh_true]=$(shell "$work/native/bb/sh" scripts/bench/sh-loop.sh run "$work/native/bb/true" $shell_n)
gst[sh_true]=$(shell launch /bin/sh /work/sh-loop.sh run "$(applet true)" $shell_n)
nat[sh_expr]=$(shell "$work/native/bb/sh" scripts/bench/sh-loop.sh count "$work/native/bb/expr" $shell_n)
gst[sh_expr]=$(shell launch /bin/sh /work/sh-loop.sh count "$(applet expr)" $shell_n)

isnum() { [[ $1 =~ ^[0-9]*\.?[0-9]+$ ]]; }
printf '%-12s %14s %14s %10s %10s\n' figure native guest ratio target
for k in getpid read_1MB write_1MB stat cpu_loop "hello start" fork exec spawn pipe thread epoll_pp epoll_idle \
         sh_true sh_expr; do
    n=${nat[$k]:-n/a (no figure)} g=${gst[$k]:-n/a (no figure)} u=${unit[$k]} t=${target[$k]:-}
    [ -n "$t" ] && t="$t $u"
    if isnum "$n" && isnum "$g"; then
        printf '%-12s %10s %-4s %10s %-4s %9.2fx %10s\n' "$k" "$n" "$u" "$g" "$u" "$(echo "scale=4; $g / $n" | bc)" "$t"
    else
        isnum "$n" && n="$n $u"; isnum "$g" && g="$g $u"
        printf '%-12s %15s %15s %10s %10s\n' "$k" "${n%% (*}" "${g%% (*}" "-" "$t"
        [[ $n == "n/a ("* ]] && echo "    native: $n"
        [[ $g == "n/a ("* ]] && echo "    guest: $g"
    fi
done

# Advisory locks (issue 13): fcntl record locks through the kernel's lock table. Kept in
# a block of its own so other figure blocks merge beside it.
lock_figures() {
    local n_un n_co
    if [ -n "$quick" ]; then n_un=20000 n_co=2000; else n_un=200000 n_co=20000; fi
    local -A ln lg
    ln[lock_uncontended]=$(figure "$work/native/lock-bench" uncontended "$work/native/lock.dat" $n_un)
    lg[lock_uncontended]=$(figure launch /bin/lock-bench uncontended /work/lock.dat $n_un)
    ln[lock_contended]=$(figure "$work/native/lock-bench" contended "$work/native/lock.dat" $n_co)
    lg[lock_contended]=$(figure launch /bin/lock-bench contended /work/lock.dat $n_co)
    printf '%-17s %14s %14s %10s\n' locks native guest ratio
    for k in lock_uncontended lock_contended; do
        local n=${ln[$k]} g=${lg[$k]}
        if isnum "$n" && isnum "$g"; then
            printf '%-17s %8s ops/s %8s ops/s %9.2fx\n' "$k" "$n" "$g" "$(echo "scale=4; $g / $n" | bc)"
        else
            printf '%-17s %14s %14s\n' "$k" "${n%% (*}" "${g%% (*}"
            [[ $n == "n/a ("* ]] && echo "    native: $n"
            [[ $g == "n/a ("* ]] && echo "    guest: $g"
        fi
    done
}
lock_figures

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
