#!/usr/bin/env bash
# The main job on the default image: install and build everything, make rootfs.vfs from
# images/rootfs with busybox (built from Debian's source), mount it with kandelo-mount
# (the service), edit it with host tools while guests run on the same live image, commit
# a guest's file with git on the host, unmount and check the image.
#
#   scripts/demo.sh            # prints each step; leaves the image in ~/.cache/kandelo/demo
#   KANDELO_DEMO_DIR=DIR scripts/demo.sh
# Needs no terminal (guests run with -T; stdin may be /dev/null) and may be run again and
# again: the image is rebuilt and a mount left by an interrupted run is cleared first.
# The test suite runs it (Tests/LaunchTests/DemoTests.swift) in a scratch directory.
set -euo pipefail
cd "$(dirname "$0")/.."
# Release builds: guests run several times faster than under a debug build.
scripts/setup.sh release-only
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
lock=(); [ "${KANDELO_SWIFTPM_IGNORE_LOCK:-0}" = 1 ] && lock=(--ignore-lock)   # see scripts/setup.sh
bin=$(swift build "${lock[@]}" -c release --show-bin-path)
K=$bin/kandelo-image
out=${KANDELO_DEMO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kandelo/demo}
mnt="$out/mnt"
img="$out/rootfs.vfs"
mkdir -p "$out"
# A mount left by an interrupted run goes first (also a dead one, whose server was
# killed: stat of it fails, so look in the mount table), and its server must have written
# the image back before the image is rebuilt.
if grep -qs " $mnt fuse" /proc/self/mounts; then fusermount3 -u -z "$mnt" 2>/dev/null || umount -l "$mnt"; fi
served() { [ -e "$img.journal" ] && ! flock -n "$img.journal" true; }   # a writer holds the image
for _ in $(seq 600); do served || break; sleep 0.1; done
mkdir -p "$mnt"

echo "== busybox for wasm32 (images/recipes/busybox, cached)"
images/recipes/busybox/build.sh --wasm >/dev/null
images/recipes/busybox/install-links.sh -o "$out/busybox.fragment"

echo "== building $img from images/MANIFEST + busybox"
SOURCE_DATE_EPOCH=0 $K build images/MANIFEST images/rootfs -o "$img" --linux-abi 1 \
    --manifest-fragment "$out/busybox.fragment" --quiet
# Into a file first: `inspect | head` under pipefail fails with SIGPIPE (status 141) once
# the listing outgrows the pipe, as the busybox links make it.
$K inspect "$img" >"$out/inspect.txt"
sed -n 1,5p "$out/inspect.txt"
echo "... $(wc -l <"$out/inspect.txt") entries"
$K fsck "$img"

echo "== kandelo-mount $img $mnt   (the service: FUSE + kernel on one loop)"
$bin/kandelo-mount "$img" "$mnt" >"$out/mount.txt"
sed 's/^/   /' "$out/mount.txt"
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

echo "== no program: the image's login shell (root's /etc/passwd entry), here fed a script"
st=0
printf 'echo "shell $0 as uid $(id -u), in $(pwd)"\nexit 3\n' | $L || st=$?
echo "   exit status $st"
[ "$st" = 3 ]

echo "== guests running at once, as the service lists them"
$L /bin/sleep 2 & sleep 0.5
$bin/kandelo-launch --mount "$mnt" --list
wait

echo "== unmount (checkpoints the image) and check it"
trap - EXIT
fusermount3 -u "$mnt"
# kandelo-mount writes the image back, then drops its lock and exits.
for _ in $(seq 600); do served || break; sleep 0.1; done
$K fsck "$img"
$K cat "$img" /etc/motd
cat <<EOF
== done. Install the tools (release builds, man pages, completions, the SDK):
     sudo scripts/install.sh            # into /usr/local; scripts/uninstall.sh removes it
   then, as typed:
     kandelo-mount $img $mnt
     kandelo-launch --mount $mnt        # a shell in the image (no program: the login shell)
     fusermount3 -u $mnt
     kandelo-launch --image $img        # the same without a mount (standalone)
   Until then the same commands are in $bin/.
EOF
