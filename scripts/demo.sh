#!/usr/bin/env bash
# The main job on the default image: install and build everything, make rootfs.vfs from
# images/rootfs with busybox (built from Debian's source), mount it with kandelo-mount
# (the service), edit it with host tools while guests run on the same live image, commit
# a guest's file with git on the host, unmount and check the image.
#
#   scripts/demo.sh            # prints each step; leaves the image in ~/.cache/kandelo/demo
#   KANDELO_DEMO_DIR=DIR scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
bin=$(swift build --show-bin-path)
K=$bin/kandelo-image
out=${KANDELO_DEMO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kandelo/demo}
mnt="$out/mnt"
img="$out/rootfs.vfs"
mkdir -p "$out" "$mnt"
# A mount left by an interrupted run goes first.
if mountpoint -q "$mnt"; then fusermount3 -u "$mnt" || umount "$mnt"; sleep 1; fi

echo "== busybox for wasm32 (images/recipes/busybox, cached)"
images/recipes/busybox/build.sh --wasm >/dev/null
images/recipes/busybox/install-links.sh -o "$out/busybox.fragment"

echo "== building $img from images/MANIFEST + busybox"
SOURCE_DATE_EPOCH=0 $K build images/MANIFEST images/rootfs -o "$img" --kernel-abi 43 \
    --manifest-fragment "$out/busybox.fragment" --quiet
$K inspect "$img" | head -5
$K fsck "$img"

echo "== kandelo-mount $img $mnt   (the service: FUSE + kernel on one loop)"
$bin/kandelo-mount "$img" "$mnt"
trap 'fusermount3 -u "$mnt" 2>/dev/null || true' EXIT
L="$bin/kandelo-launch -T --mount $mnt"

echo "== a host tool edits /etc/motd through the mount; a guest reads it"
printf 'Welcome to Kandelo\n' > "$mnt/etc/motd"
sed -i "s/Welcome/Edited with sed on $(date -u +%F): welcome/" "$mnt/etc/motd"
$L /bin/cat /etc/motd

echo "== a guest writes a file; git on the host commits it"
mkdir -p "$mnt/root/project"
git -C "$mnt/root/project" init -q
$L /bin/sh -c 'cd /root/project && echo "written by $(uname -sm) guest pid $$" > note.txt && ls -l note.txt'
git -C "$mnt/root/project" -c user.name=demo -c user.email=demo@example.com add note.txt
git -C "$mnt/root/project" -c user.name=demo -c user.email=demo@example.com commit -q -m "a note from the guest"
git -C "$mnt/root/project" log --oneline --stat | cat

echo "== guests see what git wrote"
$L /bin/sh -c 'ls /root/project/.git | head -5; find /root/project/.git -type f | wc -l'

echo "== guests running at once, as the service lists them"
$L /bin/sleep 2 & sleep 0.5
$bin/kandelo-launch --mount "$mnt" --list
wait

echo "== unmount (checkpoints the image) and check it"
trap - EXIT
fusermount3 -u "$mnt"
while [ -e "$img.control" ]; do sleep 0.1; done
$K fsck "$img"
$K cat "$img" /etc/motd
echo "== done: mount it again with  $bin/kandelo-mount $img $mnt"
echo "   and run guests with       $bin/kandelo-launch --mount $mnt /bin/sh"
