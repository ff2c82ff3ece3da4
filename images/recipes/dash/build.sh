#!/usr/bin/env bash
# images/recipes/dash/build.sh — dash (Debian's /bin/sh) from Debian's source, built twice
# from the same patched tree with the same configure options: as a wasm32 guest
# (sdk/bin/kandelo-configure + kandelo-cc) and natively with the host gcc (the reference
# for differential tests, built with the flags Debian builds its package with).
#
#   build.sh [--native|--wasm|--both] [--print-path] [--force]
#
#   --both        (default) the guest and the native reference
#   --wasm        only the guest:            <out>/wasm/dash.wasm
#   --native      only the native build:     <out>/native/dash
#   --print-path  print <out> on stdout when done (nothing else goes to stdout)
#   --force       rebuild even if <out> already holds the outputs
#
# <out> = ${KANDELO_CACHE:-~/.cache/kandelo}/dash-<hash>, also holding build-info.txt.
# <hash> covers every file of this directory except *.md, the sysroot hash
# (sdk/build-sysroot.sh --print-hash), sdk/bin/kandelo-cc, sdk/bin/kandelo-configure,
# sdk/lib/config.site, the Debian source version, `gcc --version` and the autoconf and
# automake versions; with unchanged inputs a rerun only hashes (well under a second).
#
# Why autoreconf: Debian's patches change configure.ac and src/Makefile.am (the privmode
# patches add src/priv.c), and Debian's own build regenerates the autotools files
# (debhelper compat 12 runs dh_autoreconf).  We do the same, so autoconf and automake are
# needed; as root they are installed with apt-get when missing, like the sysroot's
# compiler-rt.  The fetched source is cached in <cache>/src/ (sdk/fetch-debian-source.sh);
# builds run in <cache>/build-dash-<hash>/, removed on success, kept (with the logs) on
# failure.
#
# Environment: KANDELO_CACHE, KANDELO_JOBS (make -j, default 2), V=1 (show build output).
# Progress goes to stderr; exit status 1 on failure.
set -euo pipefail

prog=dash/build.sh
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../../.." && pwd)
sdk=$repo/sdk
KANDELO_PROG=$prog
. "$sdk/lib/common.sh"

say() { echo "$prog: $*" >&2; }
die() { echo "$prog: error: $*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; }

want_native=0 want_wasm=0 print_path=0 force=0 explicit=0
for a in "$@"; do
    case $a in
        --native) want_native=1 explicit=1 ;;
        --wasm) want_wasm=1 explicit=1 ;;
        --both) want_native=1 want_wasm=1 explicit=1 ;;
        --print-path) print_path=1 ;;
        --force) force=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage; die "unknown argument: $a" ;;
    esac
done
[ $explicit = 1 ] || { want_native=1; want_wasm=1; }

jobs=${KANDELO_JOBS:-2}
case $jobs in ''|*[!0-9]*|0) die "KANDELO_JOBS must be a positive number, got '$jobs'" ;; esac

# The configure options of debian/rules (override_dh_auto_configure): dash's own pattern
# matcher and globbing instead of libc's, no LINENO.  Both builds use them.
configure_options=(--disable-fnmatch --disable-lineno --disable-glob)
# The flags dpkg-buildflags gives Debian's package (DEB_BUILD_MAINT_OPTIONS=hardening=+all
# in debian/rules), written down so that the native reference does not depend on the
# host's dpkg version.  Guests get kandelo-cc's flags and -O2.
native_cflags="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security"
native_cppflags="-D_FORTIFY_SOURCE=2"
native_ldflags="-Wl,-z,relro -Wl,-z,now"
wasm_cflags="-O2"

for t in make gcc patch flock sha256sum python3; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' is needed (apt-get install build-essential patch util-linux python3)"
done
if ! command -v autoreconf >/dev/null 2>&1 || ! command -v automake >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing autoconf and automake (Debian's build runs autoreconf)"
        while pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null; do sleep 1; done
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq autoconf automake </dev/null >&2 \
            || die "apt-get install autoconf automake failed"
    else
        die "autoreconf and automake are needed (apt-get install autoconf automake)"
    fi
fi

# ---- the cache key ------------------------------------------------------------------
dash_version=$("$sdk/fetch-debian-source.sh" --version dash) && [ -n "$dash_version" ] \
    || die "cannot tell which dash source version apt would fetch (see sdk/fetch-debian-source.sh)"
sysroot_hash=$("$sdk/build-sysroot.sh" --print-hash) && [ -n "$sysroot_hash" ] \
    || die "sdk/build-sysroot.sh --print-hash failed"
gcc_version=$(gcc --version | head -n1)
autotools_version="$(autoreconf --version | head -n1); $(automake --version | head -n1)"
hash=$(
    cd "$here"
    find . -type f ! -name '*.md' | LC_ALL=C sort |
    while read -r f; do
        printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
    done
    echo "sysroot $sysroot_hash"
    for f in bin/kandelo-cc bin/kandelo-configure lib/config.site; do
        echo "$f $(sha256sum <"$sdk/$f" | cut -d' ' -f1)"
    done
    echo "dash $dash_version"
    echo "gcc $gcc_version"
    echo "autotools $autotools_version"
) || die "cannot hash $here"
hash=$(printf '%s\n' "$hash" | sha256sum | cut -c1-16)
out=$KANDELO_CACHE/dash-$hash

have_all() {
    [ $want_native = 0 ] || [ -x "$out/native/dash" ] || return 1
    [ $want_wasm = 0 ] || [ -f "$out/wasm/dash.wasm" ] || return 1
}
finish() { [ $print_path = 0 ] || echo "$out"; exit 0; }

if [ $force = 0 ] && have_all; then
    say "up to date: $out"
    finish
fi

# ---- build (one builder per hash) -----------------------------------------------------
mkdir -p "$KANDELO_CACHE" || die "cannot create $KANDELO_CACHE"
exec 9>"$KANDELO_CACHE/.lock-dash-$hash"
if ! flock -n 9; then
    say "another build of dash-$hash is running; waiting for it"
    flock 9
fi
if [ $force = 0 ] && have_all; then say "up to date: $out"; finish; fi

start=$SECONDS
work=$KANDELO_CACHE/build-dash-$hash
rm -rf "$work"
mkdir -p "$work" "$out"
export LC_ALL=C
unset CFLAGS CPPFLAGS LDFLAGS LIBS CC CPP CC_FOR_BUILD 2>/dev/null || true

say "dash $dash_version -> $out"
say "fetching the source (cached in $KANDELO_CACHE/src)"
pristine=$("$sdk/fetch-debian-source.sh" dash "$KANDELO_CACHE/src" </dev/null | tail -n1) \
    && [ -f "$pristine/configure.ac" ] || die "fetching Debian's dash source failed"

# Our copy of the tree: Debian's patches are already applied by dpkg-source; ours follow.
src=$work/src
cp -a "$pristine" "$src"
for p in "$here"/patches/*.patch; do
    [ -e "$p" ] || continue
    say "applying patches/$(basename "$p")"
    patch -d "$src" -p1 -N --batch --quiet -i "$p" </dev/null >"$work/patch.log" 2>&1 \
        || { cat "$work/patch.log" >&2; die "patch $(basename "$p") does not apply to dash $dash_version"; }
done

# run LOG COMMAND...: COMMAND with its output to LOG (and stderr with V=1).
run() {
    local log=$1; shift
    if [ "${V:-0}" = 1 ]; then
        "$@" </dev/null 2>&1 | tee -a "$log" >&2
        return "${PIPESTATUS[0]}"
    fi
    "$@" </dev/null >>"$log" 2>&1
}
fail_log() { # LOG WHAT
    if grep -qE '(error:|Error [0-9]+)' "$1"; then   # make -j interleaves: errors first
        echo "---- errors in $1 ----" >&2
        grep -E -m 20 -B2 '(error:|Error [0-9]+)' "$1" >&2
    fi
    echo "---- last lines of $1 ----" >&2
    tail -n 40 "$1" >&2
    die "$2 failed; full log: $1 (the build directory $work is kept)"
}

say "autoreconf (log: $work/autoreconf.log)"
(cd "$src" && run "$work/autoreconf.log" autoreconf -fi) || fail_log "$work/autoreconf.log" "autoreconf"

# ---- the builds (out of tree, one directory per flavour) -------------------------------
bin=$sdk/bin

build_one() { # FLAVOUR: configure + make in $work/FLAVOUR, leaves src/dash there
    local fl=$1 d=$work/$1 t0=$SECONDS
    mkdir -p "$d"
    say "building $fl (configure + make -j$jobs; log: $d/build.log)"
    case $fl in
        native)
            (cd "$d" && run "$d/build.log" env CC=gcc CFLAGS="$native_cflags" \
                CPPFLAGS="$native_cppflags" LDFLAGS="$native_ldflags" \
                "$src/configure" "${configure_options[@]}") \
                || fail_log "$d/build.log" "configure ($fl)"
            run "$d/build.log" make -C "$d" -j"$jobs" || fail_log "$d/build.log" "the $fl build" ;;
        wasm)
            # kandelo-configure sets the cross tools, CC_FOR_BUILD=cc for dash's table
            # generators (mksyntax, mknodes, mkinit, mksignames run on the build machine)
            # and CONFIG_SITE; make runs with Binaryen's wasm-opt off PATH, as clang would
            # otherwise run it after linking and it fails on the new EH instructions.
            (cd "$d" && run "$d/build.log" env CFLAGS="$wasm_cflags" \
                "$bin/kandelo-configure" "$src/configure" "${configure_options[@]}") \
                || fail_log "$d/build.log" "configure ($fl)"
            run "$d/build.log" env PATH="$(kandelo_clean_path)" make -C "$d" -j"$jobs" \
                || fail_log "$d/build.log" "the $fl build" ;;
    esac
    [ -f "$d/src/dash" ] || fail_log "$d/build.log" "the $fl build (no src/dash)"
    say "built $fl in $((SECONDS - t0)) s"
}

check_guest() { # MODULE
    local m=$1 objdump
    python3 "$sdk/tests/wasm-info.py" --check "$m" >"$work/wasm-info.txt" 2>&1 \
        || { cat "$work/wasm-info.txt" >&2; die "$m does not follow the guest ABI (sdk/tests/wasm-info.py --check)"; }
    objdump=$(kandelo_llvm_tool objdump)
    if "$objdump" -d "$m" | grep -qE '[[:space:]](try|catch|catch_all|delegate|rethrow)([[:space:]]|$)'; then
        die "$m contains a legacy exception-handling opcode (WasmKit rejects it)"
    fi
}

publish() { # SRC DEST MODE: atomically, inside $out
    install -m "$3" "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

if [ $want_native = 1 ] && { [ $force = 1 ] || [ ! -x "$out/native/dash" ]; }; then
    build_one native
    got=$("$work/native/src/dash" -c 'echo $((6 * 7))') && [ "$got" = 42 ] \
        || die "the native dash does not run (got '$got')"
    mkdir -p "$out/native"
    publish "$work/native/src/dash" "$out/native/dash" 0755
fi
if [ $want_wasm = 1 ] && { [ $force = 1 ] || [ ! -f "$out/wasm/dash.wasm" ]; }; then
    build_one wasm
    check_guest "$work/wasm/src/dash"
    mkdir -p "$out/wasm"
    publish "$work/wasm/src/dash" "$out/wasm/dash.wasm" 0755
fi

{
    echo "dash (Debian source) $dash_version"
    echo "recipe images/recipes/dash, hash $hash"
    echo "configure ${configure_options[*]}"
    echo "sysroot-$sysroot_hash"
    echo "gcc: $gcc_version"
    echo "clang: $(kandelo_find_llvm; "$KANDELO_CLANG" --version | head -n1)"
    echo "autotools: $autotools_version"
    for f in native/dash wasm/dash.wasm; do
        if [ -f "$out/$f" ]; then echo "$f: $(stat -c %s "$out/$f") bytes"; fi
    done
} >"$out/build-info.txt.tmp" && mv -f "$out/build-info.txt.tmp" "$out/build-info.txt"

rm -rf "$work"
say "done in $((SECONDS - start)) s: $out"
finish
