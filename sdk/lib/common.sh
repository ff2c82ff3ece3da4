# sdk/lib/common.sh — shared by sdk/build-sysroot.sh and the sdk/bin wrappers.
# Sourced, not executed.  Defines the toolchain location, the guest target and
# flags (the one place they are written down), the sysroot cache and its hash.
#
# Environment:
#   KANDELO_LLVM_BIN   directory with clang, wasm-ld, llvm-ar, llvm-nm, llvm-ranlib
#                      (default: beside `swiftc` on PATH, else /opt/swift/usr/bin,
#                      else clang on PATH)
#   KANDELO_CACHE      cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/kandelo)
#   KANDELO_SYSROOT    use this sysroot instead of the cached one (no hash check)

KANDELO_SDK_DIR=${KANDELO_SDK_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
KANDELO_CACHE=${KANDELO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kandelo}

# The guest target.  clang has no wasm32 Linux OS; the OS part stays "unknown" and
# kandelo-cc defines the Linux macros itself.
KANDELO_TARGET=wasm32-unknown-unknown
# What `configure --host=` gets (autoconf's config.sub knows wasm32 with -wasi/
# -emscripten/-unknown; "wasm32-unknown-linux-musl" is not accepted by old
# config.sub copies, see kandelo-configure).
KANDELO_HOST_TRIPLE=wasm32-unknown-linux-musl

# Code generation flags for every guest object, the libc included.
#  -matomics -mbulk-memory       threads and memory.copy/fill (shared memory)
#  -mexception-handling + sjlj   setjmp/longjmp on wasm exceptions, new
#                                try_table/exnref form (WasmKit rejects legacy `try`)
KANDELO_CODEGEN_FLAGS=(
    --target=$KANDELO_TARGET
    -matomics -mbulk-memory
    -mexception-handling
    -mllvm -wasm-enable-sjlj
    -mllvm -wasm-use-legacy-eh=false
)

# Predefined macros of a Linux target that clang does not set for wasm32-unknown.
KANDELO_OS_DEFINES=(-D__linux__=1 -D__linux=1 -D__unix__=1 -D__unix=1 -D__kandelo__=1)

# Link defaults (before user flags, so -Wl,... from the user wins).
KANDELO_MAX_MEMORY=4294967296      # declared maximum of the imported memory: 4 GiB
KANDELO_STACK_SIZE=1048576         # main thread's shadow stack: 1 MiB
KANDELO_LINK_FLAGS=(
    -Wl,--import-memory
    -Wl,--shared-memory
    -Wl,--max-memory=$KANDELO_MAX_MEMORY
    -Wl,--stack-first
    -Wl,-z,stack-size=$KANDELO_STACK_SIZE
    -Wl,--export=__heap_base
)

kandelo_die() { echo "${KANDELO_PROG:-kandelo}: error: $*" >&2; exit 1; }

# Locate clang & co.  Sets KANDELO_LLVM_BIN, KANDELO_CLANG, KANDELO_WASM_LD.
kandelo_find_llvm() {
    [ -n "${KANDELO_CLANG:-}" ] && return 0
    local d cand=()
    if [ -n "${KANDELO_LLVM_BIN:-}" ]; then
        cand=("$KANDELO_LLVM_BIN")
    else
        if command -v swiftc >/dev/null 2>&1; then
            cand+=("$(dirname "$(readlink -f "$(command -v swiftc)")")")
        fi
        cand+=(/opt/swift/usr/bin)
        if command -v clang >/dev/null 2>&1; then
            cand+=("$(dirname "$(readlink -f "$(command -v clang)")")")
        fi
    fi
    for d in "${cand[@]}"; do
        if [ -x "$d/clang" ] && [ -x "$d/wasm-ld" ]; then
            KANDELO_LLVM_BIN=$d
            KANDELO_CLANG=$d/clang
            KANDELO_WASM_LD=$d/wasm-ld
            return 0
        fi
    done
    kandelo_die "no clang with wasm-ld found (looked in: ${cand[*]}); set KANDELO_LLVM_BIN"
}

kandelo_llvm_tool() { # name -> path of llvm-<name> (or <name>) beside clang
    kandelo_find_llvm
    local t
    for t in "$KANDELO_LLVM_BIN/llvm-$1" "$KANDELO_LLVM_BIN/$1"; do
        [ -x "$t" ] && { echo "$t"; return 0; }
    done
    command -v "llvm-$1" 2>/dev/null && return 0
    kandelo_die "llvm-$1 not found beside $KANDELO_CLANG"
}

# PATH without directories holding Binaryen's wasm-opt (clang would run it after
# linking, and it rejects the new exception-handling instructions).  kandelo-cc
# also passes --no-wasm-opt; this keeps older drivers and sub-tools safe too.
kandelo_clean_path() {
    local out= d IFS=:
    for d in $PATH; do
        [ -n "$d" ] && [ -x "$d/wasm-opt" ] && continue
        out=${out:+$out:}$d
    done
    echo "$out"
}

# Input files of the sysroot (sorted, relative to the sdk dir).
kandelo_sysroot_inputs() {
    ( cd "$KANDELO_SDK_DIR" && find musl-wasm32 include -type f | LC_ALL=C sort
      echo build-sysroot.sh; echo fetch-debian-source.sh; echo lib/common.sh )
}

# The compiler-rt builtins archive for wasm32 (from libclang-rt-*-dev-wasm32).
kandelo_find_compiler_rt() {
    local f
    if [ -n "${KANDELO_COMPILER_RT:-}" ]; then echo "$KANDELO_COMPILER_RT"; return 0; fi
    if command -v dpkg >/dev/null 2>&1; then
        f=$(dpkg -L libclang-rt-14-dev-wasm32 2>/dev/null | grep '/libclang_rt.builtins-wasm32.a$' | head -n1)
        [ -n "$f" ] && [ -f "$f" ] && { echo "$f"; return 0; }
    fi
    for f in /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

# Print the sysroot to use: $KANDELO_SYSROOT, else the cached one for the current
# inputs (built on demand by build-sysroot.sh; its progress goes to stderr).
kandelo_sysroot() {
    if [ -n "${KANDELO_SYSROOT:-}" ]; then
        [ -f "$KANDELO_SYSROOT/lib/libc.a" ] \
            || kandelo_die "KANDELO_SYSROOT=$KANDELO_SYSROOT is not a sysroot (no lib/libc.a)"
        echo "$KANDELO_SYSROOT"
        return 0
    fi
    local s
    s=$("$KANDELO_SDK_DIR/build-sysroot.sh" --print-sysroot) && [ -n "$s" ] \
        || kandelo_die "no sysroot: sdk/build-sysroot.sh failed"
    echo "$s"
}

# clang's own header directory (stdarg.h, stdatomic.h, intrinsics).
kandelo_resource_include() {
    kandelo_find_llvm
    local d
    for d in "$KANDELO_LLVM_BIN"/../lib/clang/*/include; do
        [ -f "$d/stdatomic.h" ] && { (cd "$d" && pwd); return 0; }
    done
    echo "$("$KANDELO_CLANG" -print-resource-dir)/include"
}
