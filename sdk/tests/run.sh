#!/usr/bin/env bash
# sdk/tests/run.sh — development check of the SDK.
#
# Builds every program in sdk/tests/c with kandelo-cc, checks each module's imports
# and exports against the ABI (wasm-info.py --check) and that it contains no legacy
# exception-handling opcode.  If node is installed, also runs the programs that do
# not use setjmp (Node 20 knows only the legacy EH encoding) under the throwaway
# node-harness.mjs and compares their stdout with the same program built by the
# host's cc.  KANDELO_TEST_RUNNER="cmd args" runs every program as `cmd args MODULE`
# instead (any runner implementing ABI.md, setjmp users included).  Skips what it
# cannot do; exit status 1 if a check failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/../bin"
out=${TMPDIR:-/tmp}/kandelo-sdk-tests.$$
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
. "$here/../lib/common.sh"
objdump=$(kandelo_llvm_tool objdump)

fail=0
pass() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fail=1; }

KANDELO_SYSROOT=$("$here/../build-sysroot.sh" --print-sysroot) || exit 1
export KANDELO_SYSROOT

for src in "$here"/c/*.c; do
    name=$(basename "$src" .c)
    wasm="$out/$name.wasm"
    if ! "$bin/kandelo-cc" -O2 -Wall -Werror "$src" -o "$wasm" -lm 2>"$out/$name.cc.log"; then
        bad "$name: kandelo-cc failed"; cat "$out/$name.cc.log"; continue
    fi
    if ! python3 "$here/wasm-info.py" --check "$wasm" >"$out/$name.info" 2>&1; then
        bad "$name: ABI check"; cat "$out/$name.info"; continue
    fi
    if "$objdump" -d "$wasm" | grep -qE '[[:space:]](try|catch|catch_all|delegate|rethrow)([[:space:]]|$)'; then
        bad "$name: legacy exception-handling opcode found"; continue
    fi
    pass "$name: builds, imports/exports match the ABI"

    if [ -n "${KANDELO_TEST_RUNNER:-}" ]; then
        runner=($KANDELO_TEST_RUNNER) runner_name=${runner[0]##*/}
    else
        command -v node >/dev/null 2>&1 || continue
        if "$objdump" -d "$wasm" | grep -q try_table; then
            echo "skip  $name: uses try_table, which node $(node --version) cannot run"
            continue
        fi
        runner=(node "$here/node-harness.mjs") runner_name=node-harness
    fi
    if ! command -v cc >/dev/null 2>&1; then continue; fi
    cc -O2 -w "$src" -o "$out/$name.native" -lm || { bad "$name: host cc failed"; continue; }
    "$out/$name.native" >"$out/$name.expected" 2>/dev/null
    "${runner[@]}" "$wasm" >"$out/$name.got" 2>"$out/$name.err"
    rc=$?
    if [ $rc = 0 ] && cmp -s "$out/$name.expected" "$out/$name.got"; then
        pass "$name: runs under $runner_name, output equals the native build"
    else
        bad "$name: under $runner_name (exit $rc)"
        diff "$out/$name.expected" "$out/$name.got" | head -20
        head -5 "$out/$name.err"
    fi
done
exit $fail
