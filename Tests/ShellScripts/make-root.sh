#!/usr/bin/env bash
# Tests/ShellScripts/make-root.sh — the two worlds the shell-script corpus runs in, built
# the same way for Tests/LaunchTests/DashTests.swift and scripts/shell-scripts.sh.
#
#   make-root.sh DIR
#
# Builds (or reuses, from the cache) busybox and dash with their recipes
# (images/recipes/{busybox,dash}/build.sh --both), then creates:
#
#   DIR/root/        the guest's root tree, for `kandelo-image build --from-dir`:
#                      /bin/busybox (the guest module) + one symlink per applet (so /bin/sh
#                      is busybox ash), /bin/dash (the guest module), /etc from
#                      images/rootfs, /tmp (1777), /data (the fixture files of data/,
#                      plus seq.txt and a symlink), /scripts (corpus/*.sh)
#   DIR/nativebin/   the native world's whole PATH: one symlink per busybox applet to the
#                      native busybox, and dash -> the native dash; so a script finds the
#                      same tools (same source, same config) natively and in the guest
#
# Every file and directory of DIR/root gets the time 1700000000, so `ls -l`, `stat` and
# tar headers agree between a native run in a copy of DIR/root/data and the guest run in
# the image made from it.  Scripts run with /data (native: the copy's data) as working
# directory and are named `../scripts/NAME.sh` on both sides, so $0 and error messages
# (which carry $0) are the same.  Prints nothing on success; exit status 1 on failure.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../.." && pwd)
die() { echo "make-root.sh: error: $*" >&2; exit 1; }
[ $# = 1 ] && [ -n "$1" ] || die "usage: make-root.sh DIR"
dir=$1

bb=$("$repo/images/recipes/busybox/build.sh" --both --print-path </dev/null) || die "the busybox recipe failed"
dash=$("$repo/images/recipes/dash/build.sh" --both --print-path </dev/null) || die "the dash recipe failed"

root=$dir/root
nb=$dir/nativebin
rm -rf "$root" "$nb"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/tmp" "$root/scripts" "$nb"
cp -R "$repo/images/rootfs/etc" "$root/etc"
install -m 0755 "$bb/wasm/busybox.wasm" "$root/bin/busybox"
install -m 0755 "$dash/wasm/dash.wasm" "$root/bin/dash"
while read -r l; do
    [ -e "$root$l" ] || [ -L "$root$l" ] || ln -s /bin/busybox "$root$l"
    ln -sf "$bb/native/busybox" "$nb/${l##*/}"
done <"$bb/busybox.links"
ln -sf "$dash/native/dash" "$nb/dash"

cp -R "$here/data" "$root/data"
seq 1 2000 >"$root/data/seq.txt"
ln -s a.txt "$root/data/link.txt"
chmod 640 "$root/data/words.txt"
chmod 755 "$root/data/sub"
chmod 1777 "$root/tmp"
for s in "$here"/corpus/*.sh; do install -m 0644 "$s" "$root/scripts/"; done
find "$root" -exec touch -h -d @1700000000 {} +
