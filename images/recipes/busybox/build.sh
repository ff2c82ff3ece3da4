#!/usr/bin/env bash
# images/recipes/busybox/build.sh — busybox from Debian's source, built twice from the
# same source and the same .config: as a wasm32 guest (sdk/bin/kandelo-cc) and natively
# with the host gcc (the reference for differential tests).
#
#   build.sh [--native|--wasm|--both|--node-test] [--print-path] [--force]
#
#   --both        (default) the guest and the native reference
#   --wasm        only the guest:            <out>/wasm/busybox.wasm
#   --native      only the native build:     <out>/native/busybox
#   --node-test   a test-only guest with legacy exception handling, loadable by Node 20
#                 (sdk/tests/node-harness.mjs): <out>/node-test/busybox.wasm.  Not for
#                 the kernel (WasmKit rejects legacy EH); see README.md.
#   --print-path  print <out> on stdout when done (nothing else goes to stdout)
#   --force       rebuild even if <out> already holds the outputs
#
# <out> = ${KANDELO_CACHE:-~/.cache/kandelo}/busybox-<hash>, also holding busybox.links
# (one applet path per line), .config and build-info.txt.  <hash> covers every file of
# this directory except *.md, install-links.sh and test.sh (they do not change the
# outputs), the sysroot hash (sdk/build-sysroot.sh --print-hash),
# sdk/bin/kandelo-cc, the Debian source version and `gcc --version`; with unchanged
# inputs a rerun only hashes (well under a second).  The fetched source is cached in
# <cache>/src/ (sdk/fetch-debian-source.sh); builds run in <cache>/build-busybox-<hash>/,
# which is removed on success and kept (with the logs) on failure.
#
# Environment: KANDELO_CACHE, KANDELO_JOBS (make -j, default 2), V=1 (show make output).
# Progress goes to stderr; exit status 1 on failure.
set -euo pipefail

prog=busybox/build.sh
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../../.." && pwd)
sdk=$repo/sdk
KANDELO_PROG=$prog
. "$sdk/lib/common.sh"

say() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; }

want_native=0 want_wasm=0 want_node=0 print_path=0 force=0 explicit=0
for a in "$@"; do
    case $a in
        --native) want_native=1 explicit=1 ;;
        --wasm) want_wasm=1 explicit=1 ;;
        --both) want_native=1 want_wasm=1 explicit=1 ;;
        --node-test) want_node=1 explicit=1 ;;
        --print-path) print_path=1 ;;
        --force) force=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage; die "unknown argument: $a" ;;
    esac
done
[ $explicit = 1 ] || { want_native=1; want_wasm=1; }

jobs=${KANDELO_JOBS:-2}
case $jobs in ''|*[!0-9]*|0) die "KANDELO_JOBS must be a positive number, got '$jobs'" ;; esac

for t in make gcc patch flock sha256sum python3; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' is needed (apt-get install build-essential patch util-linux python3)"
done

# ---- the cache key ------------------------------------------------------------------
bb_version=$("$sdk/fetch-debian-source.sh" --version busybox) && [ -n "$bb_version" ] \
    || die "cannot tell which busybox source version apt would fetch (see sdk/fetch-debian-source.sh)"
sysroot_hash=$("$sdk/build-sysroot.sh" --print-hash) && [ -n "$sysroot_hash" ] \
    || die "sdk/build-sysroot.sh --print-hash failed"
gcc_version=$(gcc --version | head -n1)
hash=$(
    cd "$here"
    find . -type f ! -name '*.md' ! -name install-links.sh ! -name test.sh | LC_ALL=C sort |
    while read -r f; do
        printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
    done
    echo "sysroot $sysroot_hash"
    echo "kandelo-cc $(sha256sum <"$sdk/bin/kandelo-cc" | cut -d' ' -f1)"
    echo "busybox $bb_version"
    echo "gcc $gcc_version"
) || die "cannot hash $here"
hash=$(printf '%s\n' "$hash" | sha256sum | cut -c1-16)
out=$KANDELO_CACHE/busybox-$hash

have_all() {
    [ $want_native = 0 ] || [ -x "$out/native/busybox" ] || return 1
    [ $want_wasm = 0 ] || [ -f "$out/wasm/busybox.wasm" ] || return 1
    [ $want_node = 0 ] || [ -f "$out/node-test/busybox.wasm" ] || return 1
    [ -s "$out/busybox.links" ] && [ -s "$out/.config" ]
}
finish() { [ $print_path = 0 ] || echo "$out"; exit 0; }

if [ $force = 0 ] && have_all; then
    say "up to date: $out"
    finish
fi

# ---- build (one builder per hash) -----------------------------------------------------
mkdir -p "$KANDELO_CACHE" || die "cannot create $KANDELO_CACHE"
exec 9>"$KANDELO_CACHE/.lock-busybox-$hash"
if ! flock -n 9; then
    say "another build of busybox-$hash is running; waiting for it"
    flock 9
fi
if [ $force = 0 ] && have_all; then say "up to date: $out"; finish; fi

start=$SECONDS
work=$KANDELO_CACHE/build-busybox-$hash
rm -rf "$work"
mkdir -p "$work" "$out"
export KCONFIG_NOTIMESTAMP=1 LC_ALL=C
unset CFLAGS CPPFLAGS LDFLAGS LDLIBS CROSS_COMPILE ARCH 2>/dev/null || true

say "busybox $bb_version -> $out"
say "fetching the source (cached in $KANDELO_CACHE/src)"
pristine=$("$sdk/fetch-debian-source.sh" busybox "$KANDELO_CACHE/src" </dev/null | tail -n1) \
    && [ -f "$pristine/Makefile" ] || die "fetching Debian's busybox source failed"

# Our copy of the tree: Debian's patches are already applied by dpkg-source; ours follow.
src=$work/src
cp -a "$pristine" "$src"
for p in "$here"/patches/*.patch; do
    [ -e "$p" ] || continue
    say "applying patches/$(basename "$p")"
    patch -d "$src" -p1 -N --batch --quiet -i "$p" </dev/null >"$work/patch.log" 2>&1 \
        || { cat "$work/patch.log" >&2; die "patch $(basename "$p") does not apply to busybox $bb_version"; }
done

# run_make LOG ARGS...: make in $src with output to LOG (and stderr with V=1).
run_make() {
    local log=$1; shift
    if [ "${V:-0}" = 1 ]; then
        make -C "$src" "$@" </dev/null 2>&1 | tee -a "$log" >&2
        return "${PIPESTATUS[0]}"
    fi
    make -C "$src" "$@" </dev/null >>"$log" 2>&1
}
fail_log() { # LOG WHAT
    if grep -qE '(error:|Error [0-9]+)' "$1"; then   # make -j interleaves: errors first
        echo "---- errors in $1 ----" >&2
        grep -E -m 20 -B2 '(error:|Error [0-9]+)' "$1" >&2
    fi
    echo "---- last lines of $1 ----" >&2
    tail -n 20 "$1" >&2
    die "$2 failed; full log: $1 (the build directory $work is kept)"
}

# ---- the .config: allnoconfig + our fragment, resolved by kconfig ---------------------
# (busybox's kconfig resets every boolean in allnoconfig even with KCONFIG_ALLCONFIG, so
# the fragment is merged into the allnoconfig result and `make oldconfig` resolves it.)
kc=$work/kconfig
mkdir -p "$kc"
run_make "$kc/kconfig.log" O="$kc" HOSTCC=gcc allnoconfig || fail_log "$kc/kconfig.log" "make allnoconfig"
awk -v frag="$here/config" '
    function sym(l) {
        if (match(l, /^CONFIG_[A-Za-z0-9_]+=/)) return substr(l, 1, RLENGTH - 1)
        if (match(l, /^# CONFIG_[A-Za-z0-9_]+ is not set$/)) return substr(l, 3, length(l) - 13)
        return ""
    }
    BEGIN { while ((getline l < frag) > 0) { s = sym(l); if (s != "") { want[s] = l; order[++n] = s } } }
    { s = sym($0); if (s != "" && (s in want)) { print want[s]; done[s] = 1 } else print }
    END { for (i = 1; i <= n; i++) if (!(order[i] in done)) print want[order[i]] }
' "$kc/.config" >"$kc/.config.merged"
mv "$kc/.config.merged" "$kc/.config"
run_make "$kc/kconfig.log" O="$kc" HOSTCC=gcc oldconfig || fail_log "$kc/kconfig.log" "make oldconfig"
missing=$(grep -E '^CONFIG_[A-Za-z0-9_]+=' "$here/config" | while IFS= read -r l; do
              grep -qxF "$l" "$kc/.config" || echo "  $l"; done)
[ -z "$missing" ] || die "options of images/recipes/busybox/config that kconfig dropped (misspelt, or a dependency is off):
$missing"
cp "$kc/.config" "$work/config.resolved"

# ---- the builds -----------------------------------------------------------------------
bin=$sdk/bin
common=(HOSTCC=gcc SKIP_STRIP=y BB_EXTRA_VERSION="Debian $bb_version" -j"$jobs")
# clang only warns about gcc's -falign-jumps/-finline-limit and busybox's "str"+1 idiom.
wasm_cflags="-Wno-ignored-optimization-argument -Wno-string-plus-int"

build_one() { # FLAVOUR: configure + make in $work/FLAVOUR, leaves busybox_unstripped there
    local fl=$1 d=$work/$1 t0=$SECONDS
    local -a vars
    mkdir -p "$d"
    cp "$work/config.resolved" "$d/.config"
    case $fl in
        native) vars=(CC=gcc) ;;
        wasm|node-test)
            [ -n "${sysroot:-}" ] || {
                say "resolving the wasm32 sysroot (built on first use)"
                sysroot=$("$sdk/build-sysroot.sh" --print-sysroot) || die "sdk/build-sysroot.sh failed"
                export KANDELO_SYSROOT=$sysroot
            }
            local cf=$wasm_cflags
            # Node 20 knows only the legacy try/catch encoding of wasm exceptions.
            [ $fl = node-test ] && cf="$cf -mllvm -wasm-use-legacy-eh=true"
            vars=(CC="$bin/kandelo-cc" AR="$bin/kandelo-ar" NM="$bin/kandelo-nm"
                  STRIP="$bin/kandelo-strip" EXTRA_CFLAGS="$cf") ;;
    esac
    say "building $fl (make -j$jobs; log: $d/build.log)"
    run_make "$d/build.log" O="$d" "${common[@]}" "${vars[@]}" busybox \
        || fail_log "$d/build.log" "the $fl build"
    [ -f "$d/busybox_unstripped" ] || fail_log "$d/build.log" "the $fl build (no busybox_unstripped)"
    cmp -s "$d/.config" "$work/config.resolved" || die "the $fl build changed its .config (see $d/.config)"
    run_make "$d/build.log" O="$d" "${common[@]}" "${vars[@]}" busybox.links \
        || fail_log "$d/build.log" "make busybox.links ($fl)"
    say "built $fl in $((SECONDS - t0)) s"
}

check_guest() { # MODULE [legacy-ok]
    local m=$1 objdump
    python3 "$sdk/tests/wasm-info.py" --check "$m" >"$work/wasm-info.txt" 2>&1 \
        || { cat "$work/wasm-info.txt" >&2; die "$m does not follow the guest ABI (sdk/tests/wasm-info.py --check)"; }
    [ "${2:-}" = legacy-ok ] && return 0
    objdump=$(kandelo_llvm_tool objdump)
    if "$objdump" -d "$m" | grep -qE '[[:space:]](try|catch|catch_all|delegate|rethrow)([[:space:]]|$)'; then
        die "$m contains a legacy exception-handling opcode (WasmKit rejects it)"
    fi
}

publish() { # SRC DEST MODE: atomically, inside $out
    install -m "$3" "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

links_from() { # FLAVOUR: publish or compare busybox.links
    local l=$work/$1/busybox.links
    [ -s "$l" ] || die "$1: make busybox.links produced nothing"
    if [ -s "$out/busybox.links" ] && [ "$force" = 0 ]; then
        cmp -s "$l" "$out/busybox.links" || die "$1: busybox.links differs from $out/busybox.links (same config expected)"
    else
        publish "$l" "$out/busybox.links" 0644
    fi
}

publish "$work/config.resolved" "$out/.config" 0644
if [ $want_native = 1 ] && { [ $force = 1 ] || [ ! -x "$out/native/busybox" ]; }; then
    build_one native
    mkdir -p "$out/native"
    "$work/native/busybox_unstripped" true || die "the native busybox does not run"
    links_from native
    publish "$work/native/busybox_unstripped" "$out/native/busybox" 0755
fi
if [ $want_wasm = 1 ] && { [ $force = 1 ] || [ ! -f "$out/wasm/busybox.wasm" ]; }; then
    build_one wasm
    check_guest "$work/wasm/busybox_unstripped"
    mkdir -p "$out/wasm"
    links_from wasm
    publish "$work/wasm/busybox_unstripped" "$out/wasm/busybox.wasm" 0755
fi
if [ $want_node = 1 ] && { [ $force = 1 ] || [ ! -f "$out/node-test/busybox.wasm" ]; }; then
    build_one node-test
    check_guest "$work/node-test/busybox_unstripped" legacy-ok
    mkdir -p "$out/node-test"
    links_from node-test
    publish "$work/node-test/busybox_unstripped" "$out/node-test/busybox.wasm" 0755
fi

{
    echo "busybox (Debian source) $bb_version"
    echo "recipe images/recipes/busybox, hash $hash"
    echo "sysroot-$sysroot_hash"
    echo "gcc: $gcc_version"
    echo "clang: $(kandelo_find_llvm; "$KANDELO_CLANG" --version | head -n1)"
    echo "applets: $(wc -l <"$out/busybox.links")"
    for f in native/busybox wasm/busybox.wasm node-test/busybox.wasm; do
        if [ -f "$out/$f" ]; then echo "$f: $(stat -c %s "$out/$f") bytes"; fi
    done
} >"$out/build-info.txt.tmp" && mv -f "$out/build-info.txt.tmp" "$out/build-info.txt"

rm -rf "$work"
say "done in $((SECONDS - start)) s: $out"
finish
