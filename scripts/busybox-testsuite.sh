#!/usr/bin/env bash
# busybox-testsuite.sh: runs busybox's own testsuite (testsuite/runtest from Debian's
# busybox source) with the guest busybox under kandelo-launch, and natively with the same
# source and config for comparison; prints PASS/FAIL/SKIP counts for both.
#
#   scripts/busybox-testsuite.sh [--guest-only] [applet...]
set -euo pipefail
cd "$(dirname "$0")/.."
guest_only=""
[ "${1:-}" = "--guest-only" ] && { guest_only=1; shift; }
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --product kandelo-launch >&2
swift build -c release --product kandelo-runner >&2
swift build -c release --product kandelo-image >&2
bin=$(swift build -c release --show-bin-path)
images/recipes/busybox/build.sh --both >&2
out=$(images/recipes/busybox/build.sh --print-path)
src=$(sdk/fetch-debian-source.sh busybox "${KANDELO_CACHE:-$HOME/.cache/kandelo}/src" | tail -n1)
work=$(mktemp -d /tmp/kandelo-bbtest.XXXXXX)
trap 'rm -rf "$work"' EXIT

root="$work/root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/tmp" "$root/t"
cp -R images/rootfs/etc "$root/etc"
cp "$out/wasm/busybox.wasm" "$root/bin/busybox" && chmod 755 "$root/bin/busybox"
while read -r l; do [ -e "$root$l" ] || ln -s /bin/busybox "$root$l"; done < "$out/busybox.links"
chmod 1777 "$root/tmp"
cp "$out/.config" "$root/t/.config"
ln -s /bin/busybox "$root/t/busybox"
cp -pPR "$src/testsuite" "$root/t/"
"$bin/kandelo-image" build --from-dir "$root" -o "$work/test.vfs" --sab-size $((64 << 20)) --max-size $((512 << 20)) --quiet

count() { grep -c "^$1" "$2" || true; }
echo "== guest (kandelo-launch)" >&2
start=$(date +%s)
"$bin/kandelo-launch" --image "$work/test.vfs" -w /t/testsuite \
    -e SKIP_KNOWN_BUGS=y -e SKIP_INTERNET_TESTS=y -e ECHO=echo -e bindir=/t -e tsdir=/t/testsuite \
    -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 /bin/sh ./runtest "$@" </dev/null > "$work/guest.log" 2>&1 || true
guest_time=$(( $(date +%s) - start ))
if [ -z "$guest_only" ]; then
    echo "== native" >&2
    n="$work/native" && mkdir -p "$n" && cp "$out/native/busybox" "$out/.config" "$n/" && cp -pPR "$src/testsuite" "$n/"
    start=$(date +%s)
    (cd "$n/testsuite" && env SKIP_KNOWN_BUGS=y SKIP_INTERNET_TESTS=y LANG=C.UTF-8 LC_ALL=C.UTF-8 \
        ECHO=/bin/echo SHELL=/bin/bash bindir="$n" tsdir="$n/testsuite" ./runtest "$@" </dev/null > "$work/native.log" 2>&1 || true)
    native_time=$(( $(date +%s) - start ))
fi
printf '%-8s %6s %6s %8s %6s\n' run PASS FAIL SKIPPED secs
printf '%-8s %6s %6s %8s %6s\n' guest "$(count PASS "$work/guest.log")" "$(count FAIL "$work/guest.log")" \
    "$(count SKIPPED "$work/guest.log")" "$guest_time"
[ -z "$guest_only" ] && printf '%-8s %6s %6s %8s %6s\n' native "$(count PASS "$work/native.log")" \
    "$(count FAIL "$work/native.log")" "$(count SKIPPED "$work/native.log")" "$native_time"
echo "guest failures:"
grep "^FAIL" "$work/guest.log" | head -${FAIL_LINES:-60} || true
cp "$work/guest.log" /tmp/busybox-testsuite-guest.log
echo "(full guest log: /tmp/busybox-testsuite-guest.log)"
