#!/usr/bin/env bash
# Image benchmark (issue 2): a tree of ≥10,000 files and ≥200 MB is built into an image,
# saved, opened, checked, read in full, 1% changed and synced, one small change synced,
# and checkpointed. tar creating and extracting the same tree runs in the same script as
# the reference. Prints one line per step: time, files/s, MB/s.
#   scripts/bench-image.sh [WORKDIR]     (default: a directory under /tmp, removed after)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --product kandelo-image >&2
K=$(swift build -c release --show-bin-path)/kandelo-image
work=${1:-$(mktemp -d /tmp/kandelo-bench.XXXXXX)}
[ -n "${1:-}" ] || trap 'rm -rf "$work"' EXIT
tree="$work/tree"
if [ ! -d "$tree" ]; then
    echo "making the tree (10,240 files, ~210 MB) in $tree" >&2
    python3 - "$tree" <<'PY'
import os, sys, random
root = sys.argv[1]; random.seed(1)
block = os.urandom(1 << 20)
for d in range(64):
    dp = os.path.join(root, f"dir{d:02d}", f"sub{d % 8}")
    os.makedirs(dp, exist_ok=True)
    for f in range(160):
        size = random.choice([512, 4096, 9000, 20000, 40000, 60000])
        off = random.randrange(0, len(block) - size)
        with open(os.path.join(dp, f"file{f:03d}.dat"), "wb") as fh:
            fh.write(block[off:off + size])
PY
fi
files=$(find "$tree" -type f | wc -l); bytes=$(du -sb "$tree" | cut -f1)
echo "tree: $files files, $((bytes / 1000000)) MB"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
rate() { python3 -c "import sys; t=float(sys.argv[1]); print(f'{sys.argv[4]:<20}{t*1000:10.1f} ms{int(sys.argv[2])/t:14.1f} files/s{int(sys.argv[3])/1e6/t:10.1f} MB/s')" "$@"; }
now() { date +%s.%N; }
echo "== tar (reference)"
t0=$(now); tar -cf "$work/tree.tar" -C "$tree" .; t1=$(now)
rate "$(echo "$t1 - $t0" | bc)" "$files" "$bytes" "tar create"
rm -rf "$work/untar"; mkdir "$work/untar"
t0=$(now); tar -xf "$work/tree.tar" -C "$work/untar"; t1=$(now)
rate "$(echo "$t1 - $t0" | bc)" "$files" "$bytes" "tar extract"
echo "== kandelo-image (raw image)"
"$K" bench "$tree" --image "$work/bench.vfs"
echo "== kandelo-image extract"
rm -rf "$work/extract"
t0=$(now); "$K" extract --quiet "$work/bench.vfs" "$work/extract"; t1=$(now)
rate "$(echo "$t1 - $t0" | bc)" "$files" "$bytes" "extract"
ls -la "$work/bench.vfs" | awk '{print "image size:", $5, "bytes"}'
