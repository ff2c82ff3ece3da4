#!/usr/bin/env bash
# bench-fuse.sh: kandelo-mount against tmpfs (the limit) and fuse2fs (the peer: Debian's
# ext2/3/4 FUSE driver) on the same workloads, figures side by side, ratios, targets.
#
#   sudo scripts/bench-fuse.sh            (root: mounts, drop_caches; needs fio, fuse2fs, jq)
#
# Workloads (fio with psync; 1 GiB file; 1 MiB blocks unless said otherwise):
#   seq write           a new 1 GiB file, no fsync (for us: the first touch of that much
#                       image memory, which the kernel must fault in and zero; a thread
#                       does that ahead of the writes, Documentation/fuse-write-path.md)
#   seq write again     after deleting it: a new file in memory the image already holds
#   seq write + fsync   the same, then fsync (end_fsync=1): durable when it returns
#   seq read cold       after drop_caches (tmpfs has no cold state: same as cached)
#   seq read cached     again, with the page cache warm (invalidate=0); best of 3
#   4k randread cached  4 KiB random reads from the warm page cache; best of 3 runs
#   4k randread direct  10 s of 4 KiB O_DIRECT random reads: each one reaches the filesystem
#   untar 10k files     tar -xf of 10,000 small files (100 dirs x 100, 100 B - 8 KiB)
#   find -ls cold/warm  a metadata walk of that tree, after drop_caches, then again
# The 1 GiB file is deleted before the untar: a Kandelo image is capped near 1.1 GB (the
# format's limit on decompressed images), so both do not fit at once.
#
# Our mount runs with -o commit=0 so that no background journal write lands inside a
# measurement; "seq write + fsync" shows what durability costs. Environment:
#   KFUSE_BENCH_DIR    work directory (default /tmp/kfuse-bench; needs ~3.5 GB free)
#   KFUSE_BENCH_BUILD  SwiftPM scratch path for the release build (default /tmp/kfuse-bench-build)
#   KFUSE_BENCH_RUNTIME seconds per random-read job (default 10)

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${KFUSE_BENCH_DIR:-/tmp/kfuse-bench}
SCRATCH=${KFUSE_BENCH_BUILD:-/tmp/kfuse-bench-build}
RUNTIME=${KFUSE_BENCH_RUNTIME:-10}
FILE_SIZE=1G

die() { echo "bench-fuse: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (mounts, drop_caches)"
for tool in fio fuse2fs mkfs.ext2 jq fusermount3 tar; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done

echo "== building kandelo-mount and kandelo-image (release, $SCRATCH)"
(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product kandelo-mount >/dev/null \
             && swift build -c release --scratch-path "$SCRATCH" --product kandelo-image >/dev/null)
BIN=$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

OURS=$WORK/kandelo TMPFS=$WORK/tmpfs FUSE2FS=$WORK/fuse2fs
IMAGE=$WORK/bench.vfs EXT2=$WORK/bench.ext2

cleanup() {
    for d in "$OURS" "$TMPFS" "$FUSE2FS"; do
        if mountpoint -q "$d" 2>/dev/null; then fusermount3 -u "$d" 2>/dev/null || umount "$d" || true; fi
    done
    # kandelo-mount writes the image after the unmount returns; wait for it to let go.
    for _ in $(seq 1 600); do [ -e "$IMAGE.journal" ] || break; sleep 0.1; done
}
trap cleanup EXIT
cleanup
rm -rf "$WORK" && mkdir -p "$WORK" "$OURS" "$TMPFS" "$FUSE2FS" "$WORK/empty"

# The small-file tree, built once on the host.
echo "== building the 10,000-file tarball"
mkdir -p "$WORK/tree"
awk 'BEGIN { srand(42); for (d = 0; d < 100; d++) for (f = 0; f < 100; f++) print d, f, int(100 + rand() * 8092) }' |
while read -r d f n; do
    [ "$f" = 0 ] && mkdir -p "$WORK/tree/d$d"
    head -c "$n" /dev/urandom > "$WORK/tree/d$d/f$f"
done
tar -C "$WORK" -cf "$WORK/small.tar" tree
rm -rf "$WORK/tree"

echo "== filesystems"
# Ours: an empty image that may grow to 2 GiB (the format caps it near 1.1 GB).
"$BIN/kandelo-image" build --from-dir "$WORK/empty" --sab-size 16777216 --max-size 2147483648 -o "$IMAGE" >/dev/null
"$BIN/kandelo-mount" "$IMAGE" "$OURS" -o commit=0
SIZE=$(( $(stat -f -c '%b' "$OURS") * $(stat -f -c '%S' "$OURS") ))
echo "kandelo-mount: $IMAGE, $SIZE bytes"
mount -t tmpfs -o size="$SIZE" tmpfs "$TMPFS"
echo "tmpfs:         size=$SIZE"
truncate -s "$SIZE" "$EXT2"
# Fewer inodes than the default and a 1% root reserve (with none, fuse2fs holds back 10%),
# so that the 1 GiB file fits as it does for us.
mkfs.ext2 -q -F -b 4096 -m 1 -N 32768 "$EXT2"
fuse2fs "$EXT2" "$FUSE2FS" -o rw >/dev/null
echo "fuse2fs:       $EXT2 (ext2, $SIZE bytes, $(fuse2fs -V 2>&1 | head -1))"
echo "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM"

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

# fio_job DIR NAME ARGS... → prints "bytes_per_second iops" for the job's direction.
fio_job() {
    local dir=$1 name=$2; shift 2
    fio --name="$name" --directory="$dir" --filename=big --ioengine=psync --size=$FILE_SIZE \
        --output-format=json "$@" |
        jq -r '.jobs[0] | if .write.io_bytes > 0 then "\(.write.bw_bytes) \(.write.iops)" else "\(.read.bw_bytes) \(.read.iops)" end'
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

declare -A R
run_all() {
    local fs=$1 dir=$2 r
    echo "-- $fs"
    drop_caches
    r=$(fio_job "$dir" seqwrite --rw=write --bs=1M); R[$fs,seqwrite]=${r% *}
    rm -f "$dir/big"; drop_caches
    r=$(fio_job "$dir" seqwrite-again --rw=write --bs=1M); R[$fs,seqwrite2]=${r% *}
    rm -f "$dir/big"; drop_caches
    r=$(fio_job "$dir" seqwrite-fsync --rw=write --bs=1M --end_fsync=1); R[$fs,seqwritesync]=${r% *}
    drop_caches
    r=$(fio_job "$dir" seqread-cold --rw=read --bs=1M --invalidate=1); R[$fs,readcold]=${r% *}
    fio_job "$dir" warm --rw=read --bs=1M --invalidate=0 >/dev/null
    # Page-cache figures vary from run to run on a VM: best of three.
    R[$fs,readcached]=$(for _ in 1 2 3; do r=$(fio_job "$dir" seqread-cached --rw=read --bs=1M --invalidate=0); echo "${r% *}"; done | sort -g | tail -1)
    R[$fs,randcached]=$(for _ in 1 2 3; do
        r=$(fio_job "$dir" randread-cached --rw=randread --bs=4k --invalidate=0 --time_based --runtime=$((RUNTIME / 3 + 1)))
        echo "${r#* }"; done | sort -g | tail -1)
    drop_caches
    r=$(fio_job "$dir" randread-direct --rw=randread --bs=4k --direct=1 --time_based --runtime="$RUNTIME" 2>/dev/null || echo "0 0")
    R[$fs,randdirect]=${r#* }
    rm -f "$dir/big"
    drop_caches
    local t0 t1
    t0=$(now); tar -xf "$WORK/small.tar" -C "$dir"; t1=$(now); R[$fs,untar]=$(elapsed "$t0" "$t1")
    [ "$(find "$dir/tree" -type f | wc -l)" = 10000 ] || die "$fs: untar did not make 10,000 files"
    drop_caches
    t0=$(now); find "$dir/tree" -ls >/dev/null; t1=$(now); R[$fs,findcold]=$(elapsed "$t0" "$t1")
    t0=$(now); find "$dir/tree" -ls >/dev/null; t1=$(now); R[$fs,findwarm]=$(elapsed "$t0" "$t1")
    rm -rf "$dir/tree"
}

echo "== running (each filesystem in turn)"
run_all kandelo "$OURS"
run_all tmpfs "$TMPFS"
run_all fuse2fs "$FUSE2FS"

# Table. Throughputs in MB/s (10^6), IOPS, times in seconds. Ratios are "how many times
# kandelo's speed": rate ratios for rates, inverse time ratios for times (>1 = kandelo faster).
mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2fx", a / b }'; }
echo
echo "== results: $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-28s %12s %12s %12s %10s %10s\n' workload kandelo tmpfs fuse2fs "k/tmpfs" "k/fuse2fs"
row_rate() {  # key label unit(MB|IOPS)
    local k=$1 label=$2 unit=$3 a b c
    a=${R[kandelo,$k]} b=${R[tmpfs,$k]} c=${R[fuse2fs,$k]}
    if [ "$unit" = MB ]; then
        printf '%-28s %12s %12s %12s %10s %10s\n' "$label (MB/s)" "$(mb "$a")" "$(mb "$b")" "$(mb "$c")" "$(ratio "$a" "$b")" "$(ratio "$a" "$c")"
    else
        printf '%-28s %12.0f %12.0f %12.0f %10s %10s\n' "$label (IOPS)" "$a" "$b" "$c" "$(ratio "$a" "$b")" "$(ratio "$a" "$c")"
    fi
}
row_time() {  # key label
    local k=$1 label=$2 a b c
    a=${R[kandelo,$k]} b=${R[tmpfs,$k]} c=${R[fuse2fs,$k]}
    printf '%-28s %12s %12s %12s %10s %10s\n' "$label (s)" "$a" "$b" "$c" "$(ratio "$b" "$a")" "$(ratio "$c" "$a")"
}
row_rate seqwrite "seq write 1 GiB" MB
row_rate seqwrite2 "seq write 1 GiB again" MB
row_rate seqwritesync "seq write 1 GiB + fsync" MB
row_rate readcold "seq read cold" MB
row_rate readcached "seq read cached" MB
row_rate randcached "4k randread cached" IOPS
row_rate randdirect "4k randread O_DIRECT" IOPS
row_time untar "untar 10,000 files"
row_time findcold "find -ls cold"
row_time findwarm "find -ls warm"
for fs in kandelo tmpfs fuse2fs; do
    printf '%-28s %12s\n' "untar files/s ($fs)" "$(awk -v t="${R[$fs,untar]}" 'BEGIN { printf "%.0f", 10000 / t }')"
done

echo
echo "== targets"
check() { awk -v v="$2" -v t="$3" -v what="$1" 'BEGIN { printf "%-48s %8.2f (target >= %s)  %s\n", what, v, t, (v >= t ? "met" : "MISSED") }'; }
check "cached seq read / tmpfs" "$(awk -v a="${R[kandelo,readcached]}" -v b="${R[tmpfs,readcached]}" 'BEGIN{print a/b}')" 0.8
check "small-file creation speed / fuse2fs" "$(awk -v a="${R[kandelo,untar]}" -v b="${R[fuse2fs,untar]}" 'BEGIN{print b/a}')" 1.5
check "metadata walk (find -ls cold) speed / fuse2fs" "$(awk -v a="${R[kandelo,findcold]}" -v b="${R[fuse2fs,findcold]}" 'BEGIN{print b/a}')" 1.0
check "sequential write GB/s (first touch)" "$(awk -v a="${R[kandelo,seqwrite]}" 'BEGIN{print a/1e9}')" 1.0
check "sequential write GB/s (again)" "$(awk -v a="${R[kandelo,seqwrite2]}" 'BEGIN{print a/1e9}')" 1.0
