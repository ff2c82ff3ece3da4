#!/usr/bin/env bash
# scripts/bench-service.sh — guests through the service (kandelo-mount + kandelo-launch
# --mount) beside the standalone launcher, in one run, release build:
#
#   launch latency   client start to guest exit, a C hello world (median of N runs)
#   guests/second    M launches from 8 parallel clients (standalone: one image copy per
#                    client, since a standalone launcher locks its image)
#   guest file I/O   a guest writes then reads a 64 MiB file with 1 MiB blocks, while a
#                    host loop keeps editing another file of the same directory through
#                    the mount (service) — standalone has no mount to edit through; and a
#                    guest rewriting a file the host has read (MB/s: each write waits for
#                    the host's cache of it to be invalidated)
#
#   scripts/bench-service.sh [--quick] [--scratch DIR] [--no-build] [--bin DIR]
#
# --bin DIR: the four binaries from DIR, nothing built (e.g. two builds compared).
#
# Needs /dev/fuse. Prints a table and the load average (figures from a busy machine are
# not comparable).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
die() { echo "bench-service.sh: $*" >&2; exit 1; }
n=30 m=200 scratch=() build=1 bin=""
while [ $# -gt 0 ]; do
    case $1 in
    --quick) n=10 m=50 ;;
    --scratch) [ $# -ge 2 ] || die "--scratch needs a directory"; scratch=(--scratch-path "$2"); shift ;;
    --no-build) build="" ;;
    --bin) [ $# -ge 2 ] || die "--bin needs a directory"; bin=$(cd "$2" && pwd); build=""; shift ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "usage: bench-service.sh [--quick] [--scratch DIR] [--no-build] [--bin DIR]" >&2; exit 64 ;;
    esac
    shift
done
if [ -n "$build" ]; then
    echo "building release binaries..." >&2
    for p in kandelo-image kandelo-mount kandelo-launch kandelo-runner; do
        swift build -c release "${scratch[@]}" --product $p >&2 || die "swift build $p failed"
    done
fi
[ -n "$bin" ] || bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
for p in kandelo-image kandelo-mount kandelo-launch kandelo-runner; do [ -x "$bin/$p" ] || die "no $p in $bin"; done

work=$(mktemp -d /tmp/kandelo-bench-service.XXXXXX)
mnt=$work/mnt
editor=
cleanup() {
    [ -z "$editor" ] || kill "$editor" 2>/dev/null || true
    fusermount3 -u "$mnt" 2>/dev/null || true; sleep 0.5; rm -rf "$work"
}
trap cleanup EXIT
bb=$(images/recipes/busybox/build.sh --wasm --print-path | tail -1)
# /dev and /proc must exist in the image for the service to mount its devfs and procfs
# there (it never adds directories to an image on its own).
mkdir -p "$work/root/bin" "$work/root/tmp" "$work/root/work" "$work/root/dev" "$work/root/proc" "$mnt"
cp "$bb/wasm/busybox.wasm" "$work/root/bin/busybox"
for a in sh dd cat rm sync; do ln -s busybox "$work/root/bin/$a"; done
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' > "$work/hello.c"
sdk/bin/kandelo-cc -O2 -o "$work/root/bin/hello" "$work/hello.c"
"$bin/kandelo-image" build --from-dir "$work/root" -o "$work/rootfs.vfs" --max-size $((512 << 20)) --quiet
cp "$work/rootfs.vfs" "$work/standalone.vfs"

now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Standalone figures first (no service holds its image).
for i in $(seq $n); do
    s=$(now); "$bin/kandelo-launch" --image "$work/standalone.vfs" /bin/hello >/dev/null; e=$(now)
    echo "$s $e" | awk '{ printf "%.2f\n", ($2 - $1) * 1000 }'
done | median > "$work/lat.standalone"
for c in $(seq 8); do cp "$work/standalone.vfs" "$work/par$c.vfs"; done
s=$(now)
seq $m | xargs -P 8 -I{} sh -c 'c=$(( {} % 8 + 1 )); exec 9>'"$work"'/lock$c; flock 9; '"$bin"'/kandelo-launch --image '"$work"'/par$c.vfs /bin/hello >/dev/null'
e=$(now)
gps_standalone=$(echo "$s $e $m" | awk '{ printf "%.1f", $3 / ($2 - $1) }')
timed_io() {  # launcher arguments; prints "write-MB/s read-MB/s"
    local s e w r
    s=$(now); "$bin/kandelo-launch" "$@" /bin/dd if=/dev/zero of=/work/big bs=1048576 count=64 2>>"$work/dd.log" \
        || die "guest dd write failed: $(tail -3 "$work/dd.log")"; e=$(now)
    w=$(echo "$s $e" | awk '{ printf "%.0f", 64 / ($2 - $1) }')
    s=$(now); "$bin/kandelo-launch" "$@" /bin/dd if=/work/big of=/dev/null bs=1048576 2>>"$work/dd.log" \
        || die "guest dd read failed: $(tail -3 "$work/dd.log")"; e=$(now)
    r=$(echo "$s $e" | awk '{ printf "%.0f", 64 / ($2 - $1) }')
    "$bin/kandelo-launch" "$@" /bin/rm /work/big || die "guest rm failed"
    echo "$w $r"
}
io_standalone=$(timed_io --image "$work/standalone.vfs")

# The service.
"$bin/kandelo-mount" "$work/rootfs.vfs" "$mnt"
for i in $(seq 100); do [ -e "$work/rootfs.vfs.control" ] && break; sleep 0.05; done
for i in $(seq $n); do
    s=$(now); "$bin/kandelo-launch" -T --mount "$mnt" /bin/hello >/dev/null; e=$(now)
    echo "$s $e" | awk '{ printf "%.2f\n", ($2 - $1) * 1000 }'
done | median > "$work/lat.service"
s=$(now)
seq $m | xargs -P 8 -I{} "$bin/kandelo-launch" -T --mount "$mnt" /bin/hello >/dev/null
e=$(now)
gps_service=$(echo "$s $e $m" | awk '{ printf "%.1f", $3 / ($2 - $1) }')
# Host tools editing beside the guest's I/O: sed -i on a file in the same directory.
echo 0 > "$mnt/work/edited.txt"
( while [ ! -e "$work/stop-editing" ]; do sed -i 's/^\([0-9]*\)$/\1 x/' "$mnt/work/edited.txt" 2>/dev/null || true; echo 1 > "$mnt/work/edited.txt" 2>/dev/null || true; done ) &
editor=$!
io_service=$(timed_io -T --mount "$mnt")
touch "$work/stop-editing"; wait $editor 2>/dev/null || true
editor=
io_quiet=$(timed_io -T --mount "$mnt")
# A guest rewriting a file the host has read (its pages cached by the host kernel): each
# write is answered only once the host's cache of it is invalidated (Service.swift).
# The same rewrite of a file the host never looked at (nothing to invalidate) is the
# reference: the difference is what waiting for the invalidations costs.
rewrite() {  # block size, count, cached|uncached; prints MB/s
    local s e
    "$bin/kandelo-launch" -T --mount "$mnt" /bin/dd if=/dev/zero of=/work/cached bs=$1 count=$2 2>>"$work/dd.log" \
        || die "guest dd failed: $(tail -3 "$work/dd.log")"
    [ "$3" = uncached ] || cat "$mnt/work/cached" >/dev/null
    s=$(now); "$bin/kandelo-launch" -T --mount "$mnt" /bin/dd if=/dev/zero of=/work/cached bs=$1 count=$2 conv=notrunc 2>>"$work/dd.log" \
        || die "guest dd rewrite failed: $(tail -3 "$work/dd.log")"; e=$(now)
    "$bin/kandelo-launch" -T --mount "$mnt" /bin/rm /work/cached || die "guest rm failed"
    echo "$s $e $(( $1 * $2 ))" | awk '{ printf "%.0f", $3 / 1048576 / ($2 - $1) }'
}
rewrite_big=$(rewrite 1048576 64 cached) rewrite_big_ref=$(rewrite 1048576 64 uncached)
rewrite_small=$(rewrite 4096 4096 cached) rewrite_small_ref=$(rewrite 4096 4096 uncached)

printf '\n%-44s %12s %12s\n' "figure" "standalone" "service"
printf '%-44s %12s %12s\n' "hello launch to exit (ms, median of $n)" "$(cat "$work/lat.standalone")" "$(cat "$work/lat.service")"
printf '%-44s %12s %12s\n' "guests per second ($m launches, 8 clients)" "$gps_standalone" "$gps_service"
printf '%-44s %12s %12s\n' "guest dd write 64 MiB (MB/s)" "${io_standalone% *}" "${io_quiet% *}"
printf '%-44s %12s %12s\n' "guest dd read 64 MiB (MB/s)" "${io_standalone#* }" "${io_quiet#* }"
printf '%-44s %12s %12s\n' "  same, host sed -i loop beside it: write" "-" "${io_service% *}"
printf '%-44s %12s %12s\n' "  same, host sed -i loop beside it: read" "-" "${io_service#* }"
printf '%-44s %12s %12s\n' "guest rewrite 64 MiB, 1 MiB writes: host-cached" "-" "$rewrite_big"
printf '%-44s %12s %12s\n' "  same, a file the host never read" "-" "$rewrite_big_ref"
printf '%-44s %12s %12s\n' "guest rewrite 16 MiB, 4 KiB writes: host-cached" "-" "$rewrite_small"
printf '%-44s %12s %12s\n' "  same, a file the host never read" "-" "$rewrite_small_ref"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
