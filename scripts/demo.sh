#!/usr/bin/env bash
# The main job on the default image, as far as the project goes today: build rootfs.vfs from
# images/rootfs, inspect it, check it, edit it, and show the edit. Later issues grow this
# into mount + launch.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
K=.build/debug/kandelo-image
out=${KANDELO_DEMO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kandelo/demo}
mkdir -p "$out"
img="$out/rootfs.vfs.zst"
echo "== building $img from images/rootfs (images/MANIFEST)"
SOURCE_DATE_EPOCH=0 $K build images/MANIFEST images/rootfs -o "$img" --kernel-abi 43
echo "== inspect"
$K inspect --metadata "$img"
echo "== fsck"
$K fsck "$img"
echo "== add /etc/motd through the image tool, then read it back"
printf 'Edited on %s\n' "$(date -u +%F)" > "$out/motd"
$K add "$img" /etc/motd --file "$out/motd" --force
$K cat "$img" /etc/motd
$K fsck "$img"
