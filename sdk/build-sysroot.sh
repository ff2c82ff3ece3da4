#!/usr/bin/env bash
# build-sysroot.sh — build (once) the wasm32 sysroot of Kandelo for Linux guests:
# Debian's musl source + our wasm32 port (sdk/musl-wasm32) + compiler-rt builtins.
#
#   sdk/build-sysroot.sh                  build if needed, print the sysroot path
#   sdk/build-sysroot.sh --print-sysroot  same, quiet unless it has to build
#   sdk/build-sysroot.sh --print-hash     print the input hash only
#   sdk/build-sysroot.sh --force          rebuild even if cached
#
# Result: ${KANDELO_CACHE:-~/.cache/kandelo}/sysroot-<hash>, where <hash> covers
# every input: the port's files, sdk/include, these scripts, the musl source package
# version, the clang version and the compiler-rt archive.  Unchanged inputs: instant.
#
# Layout of a sysroot:
#   include/            musl headers + kandelo/abi.h
#   lib/crt1.o crti.o crtn.o libc.a  (libm/libpthread/librt/... are empty: all in libc.a)
#   lib/libclang_rt.builtins-wasm32.a
#   lib/pkgconfig/ share/pkgconfig/  (for kandelo-pkg-config)
#   kandelo-sysroot.txt              what it was built from
set -euo pipefail

KANDELO_PROG=build-sysroot.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

mode=build; force=0
for a in "$@"; do
    case $a in
        --print-sysroot) mode=print ;;
        --print-hash) mode=hash ;;
        --force) force=1 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) kandelo_die "unknown argument: $a (see --help)" ;;
    esac
done

say() { [ "$mode" = hash ] || echo "build-sysroot: $*" >&2; }
die() { kandelo_die "$@"; }

FETCH="$KANDELO_SDK_DIR/fetch-debian-source.sh"
mkdir -p "$KANDELO_CACHE" || die "cannot create cache dir $KANDELO_CACHE"

# ---- fast path for the wrappers: memo of (input stats) -> sysroot -------------
memo_key() {
    kandelo_find_llvm
    local rt; rt=$(kandelo_find_compiler_rt 2>/dev/null || echo none)
    {
        cd "$KANDELO_SDK_DIR"
        kandelo_sysroot_inputs | tr '\n' '\0' | xargs -0 stat -c '%n %s %Y'
        stat -c '%n %s %Y' "$KANDELO_CLANG" "$rt" 2>/dev/null || true
        stat -c '%n %Y' /var/lib/apt/lists 2>/dev/null || true
    } | sha256sum | cut -c1-32
}
memo_file="$KANDELO_CACHE/memo/$(printf '%s' "$KANDELO_SDK_DIR" | sha256sum | cut -c1-16)"
if [ "$mode" = print ] && [ $force = 0 ] && [ -f "$memo_file" ]; then
    key=$(memo_key)
    { read -r mkey; read -r mroot; } <"$memo_file" || true
    if [ "${mkey:-}" = "$key" ] && [ -f "${mroot:-/nonexistent}/kandelo-sysroot.txt" ]; then
        echo "$mroot"; exit 0
    fi
fi

# ---- inputs ---------------------------------------------------------------------
kandelo_find_llvm
AR=$(kandelo_llvm_tool ar); RANLIB=$(kandelo_llvm_tool ranlib)

if ! RT=$(kandelo_find_compiler_rt); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing compiler-rt builtins (libclang-rt-14-dev-wasm32)"
        while pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null; do sleep 1; done
        apt-get install -y -qq libclang-rt-14-dev-wasm32 >&2 \
            || die "apt-get install libclang-rt-14-dev-wasm32 failed"
        RT=$(kandelo_find_compiler_rt) || die "compiler-rt builtins still not found"
    else
        die "compiler-rt builtins for wasm32 not found: apt-get install libclang-rt-14-dev-wasm32 (or set KANDELO_COMPILER_RT)"
    fi
fi

MUSL_VERSION=$("$FETCH" --version musl) || die "cannot determine the musl source version"
CLANG_VERSION=$("$KANDELO_CLANG" --version | head -n1)

compute_hash() {
    {
        echo "kandelo-sysroot-format 1"
        echo "musl-source $MUSL_VERSION"
        echo "clang $CLANG_VERSION"
        echo "compiler-rt $(sha256sum <"$RT" | cut -d' ' -f1)"
        cd "$KANDELO_SDK_DIR"
        kandelo_sysroot_inputs | tr '\n' '\0' | xargs -0 sha256sum
    } | sha256sum | cut -c1-16
}
HASH=$(compute_hash)
if [ "$mode" = hash ]; then echo "$HASH"; exit 0; fi

SYSROOT="$KANDELO_CACHE/sysroot-$HASH"

write_memo() {
    mkdir -p "$(dirname "$memo_file")"
    printf '%s\n%s\n' "$(memo_key)" "$SYSROOT" >"$memo_file.$$" && mv -f "$memo_file.$$" "$memo_file"
}

if [ $force = 0 ] && [ -f "$SYSROOT/kandelo-sysroot.txt" ]; then
    write_memo
    echo "$SYSROOT"; exit 0
fi

# ---- build (one builder at a time per hash) ------------------------------------
exec 9>"$KANDELO_CACHE/.lock-$HASH"
if ! flock -n 9; then
    say "another build of sysroot-$HASH is running; waiting for it"
    flock 9
fi
if [ $force = 0 ] && [ -f "$SYSROOT/kandelo-sysroot.txt" ]; then
    write_memo; echo "$SYSROOT"; exit 0
fi

start=$(date +%s)
for t in make patch; do command -v $t >/dev/null 2>&1 || die "'$t' is required (apt-get install $t)"; done
say "building sysroot-$HASH (musl $MUSL_VERSION, $CLANG_VERSION)"
say "  cache: $SYSROOT"

BUILD="$KANDELO_CACHE/build-$HASH"
STAGE="$SYSROOT.tmp"
rm -rf "$BUILD" "$STAGE"
mkdir -p "$BUILD" "$STAGE"
LOG="$BUILD/build.log"
: >"$LOG"

say "[1/6] fetching Debian source package musl $MUSL_VERSION"
MUSL_SRC=$("$FETCH" musl "$KANDELO_CACHE/src" | tail -n1) || die "fetching the musl source failed"
[ -f "$MUSL_SRC/Makefile" ] || die "unexpected musl source tree: $MUSL_SRC"

say "[2/6] preparing the source tree with the wasm32 port"
M="$BUILD/musl"
cp -a "$MUSL_SRC" "$M"
PORT="$KANDELO_SDK_DIR/musl-wasm32"
( cd "$PORT" && find arch crt src -type f ) | while read -r f; do
    mkdir -p "$M/$(dirname "$f")"
    cp "$PORT/$f" "$M/$f"
done
for p in "$PORT"/patches/*.patch; do
    [ -e "$p" ] || continue
    patch -d "$M" -p1 --forward --quiet <"$p" >>"$LOG" 2>&1 \
        || die "patch $(basename "$p") does not apply to musl $MUSL_VERSION (see $LOG)"
done
# musl's bits/syscall.h comes from the one ABI header.
grep -E '^#define __NR_[A-Za-z0-9_]+[[:space:]]+[0-9]+' "$KANDELO_SDK_DIR/include/kandelo/abi.h" \
    >"$M/arch/wasm32/bits/syscall.h.in"
[ -s "$M/arch/wasm32/bits/syscall.h.in" ] || die "no syscall numbers found in include/kandelo/abi.h"

say "[3/6] configuring (ARCH=wasm32)"
# The codegen flags are an array in common.sh; musl's make takes one string.
CC_FLAGS="${KANDELO_CODEGEN_FLAGS[*]}"
cat >"$M/config.mak" <<EOF
# generated by sdk/build-sysroot.sh
ARCH = wasm32
SUBARCH =
ASMSUBARCH =
srcdir = .
prefix = /
exec_prefix = /
bindir = /bin
libdir = /lib
includedir = /include
syslibdir = /lib
CC = $KANDELO_CLANG $CC_FLAGS
AR = $AR
RANLIB = $RANLIB
CFLAGS =
CFLAGS_AUTO = -O2 -pipe -w -Qunused-arguments -Werror=implicit-function-declaration -Werror=implicit-int -Werror=pointer-sign -Werror=pointer-arith -Werror=int-conversion -Werror=incompatible-pointer-types
CFLAGS_C99FSE = -std=c99 -nostdinc -ffreestanding -frounding-math
CFLAGS_MEMOPS =
CFLAGS_NOSSP = -fno-stack-protector
CPPFLAGS = -I$KANDELO_SDK_DIR/include
LDFLAGS =
LDFLAGS_AUTO =
CROSS_COMPILE =
LIBCC =
OPTIMIZE_GLOBS =
ALL_TOOLS =
TOOL_LIBS =
SHARED_LIBS =
ADD_CFI = no
MALLOC_DIR = mallocng
WRAPCC_GCC = gcc
WRAPCC_CLANG = clang
EOF

JOBS=$(nproc 2>/dev/null || echo 2)
total=$(cd "$M" && ls src/*/*.c src/malloc/mallocng/*.c | wc -l)
say "[4/6] compiling musl (~$total files, -j$JOBS; log: $LOG)"
set +e
( cd "$M" && PATH=$(kandelo_clean_path) make -j"$JOBS" lib/libc.a lib/crt1.o lib/crti.o lib/crtn.o \
      lib/libm.a lib/librt.a lib/libpthread.a lib/libcrypt.a lib/libutil.a lib/libxnet.a \
      lib/libresolv.a lib/libdl.a 2>&1 ) | {
    n=0; next=$((total / 10))
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$LOG"
        case $line in *" -c -o obj/"*)
            n=$((n + 1))
            if [ $n -ge $next ]; then say "      $n/$total compiled"; next=$((next + total / 10)); fi ;;
        esac
    done
}
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
    echo "----- last lines of $LOG -----" >&2
    grep -E 'error:|Error [0-9]|undefined' "$LOG" | tail -n 20 >&2 || tail -n 30 "$LOG" >&2
    die "compiling musl failed (full log: $LOG)"
fi

say "[5/6] installing headers and libraries"
( cd "$M" && make install-headers DESTDIR="$STAGE" ) >>"$LOG" 2>&1 || die "installing headers failed (see $LOG)"
mkdir -p "$STAGE/lib" "$STAGE/include/kandelo" "$STAGE/lib/pkgconfig" "$STAGE/share/pkgconfig"
cp "$M"/lib/*.a "$M"/lib/crt1.o "$M"/lib/crti.o "$M"/lib/crtn.o "$STAGE/lib/"
cp "$KANDELO_SDK_DIR/include/kandelo/abi.h" "$STAGE/include/kandelo/abi.h"
# Debian builds compiler-rt with debug info; keep guest modules small.
"$(kandelo_llvm_tool objcopy)" --strip-debug "$RT" "$STAGE/lib/libclang_rt.builtins-wasm32.a" 2>>"$LOG" \
    || cp "$RT" "$STAGE/lib/libclang_rt.builtins-wasm32.a"

say "[6/6] checking: linking a test program"
cat >"$BUILD/check.c" <<'EOF'
#include <stdio.h>
#include <setjmp.h>
static jmp_buf jb;
static _Thread_local int tl = 7;
int main(int argc, char **argv)
{
	if (!setjmp(jb)) longjmp(jb, tl);
	printf("hello %d\n", argc);
	return 0;
}
EOF
KANDELO_SYSROOT="$STAGE" "$KANDELO_SDK_DIR/bin/kandelo-cc" -O2 "$BUILD/check.c" -o "$BUILD/check.wasm" >>"$LOG" 2>&1 \
    || { tail -n 20 "$LOG" >&2; die "the new sysroot cannot link a test program (see $LOG)"; }

cat >"$STAGE/kandelo-sysroot.txt" <<EOF
Kandelo for Linux wasm32 sysroot
hash: $HASH
abi-version: $(sed -n 's/^#define KANDELO_ABI_VERSION \([0-9]*\).*/\1/p' "$KANDELO_SDK_DIR/include/kandelo/abi.h")
musl-source: $MUSL_VERSION (Debian)
clang: $CLANG_VERSION
compiler-rt: $RT
built: $(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
rm -rf "$SYSROOT"
mv "$STAGE" "$SYSROOT"
rm -rf "$BUILD"
write_memo
# Leftovers of failed or interrupted builds (kept for their logs until now).
for d in "$KANDELO_CACHE"/build-* "$KANDELO_CACHE"/sysroot-*.tmp; do
    [ -d "$d" ] || continue
    h=${d##*/}; h=${h#build-}; h=${h#sysroot-}; h=${h%.tmp}
    [ "$h" = "$HASH" ] && continue
    ( exec 8>"$KANDELO_CACHE/.lock-$h"; flock -n 8 && rm -rf "$d" && rm -f "$KANDELO_CACHE/.lock-$h" ) || true
done
say "done in $(( $(date +%s) - start ))s: $SYSROOT"
echo "$SYSROOT"
