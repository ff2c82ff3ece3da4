#!/usr/bin/env bash
# sdk/tests/run.sh — check of the SDK, run by scripts/test.sh.
#
# Builds every program in sdk/tests/c with kandelo-cc, checks each module's imports
# and exports against the ABI (wasm-info.py --check) and that it contains no legacy
# exception-handling opcode. Then runs every program as a guest with our own launcher
# (kandelo-launch, standalone, on an image holding the programs) and compares its stdout
# and exit status with the same program built by the host's cc. The launcher is
# $KANDELO_LAUNCH, else the release or debug build in this checkout (scripts/setup.sh
# builds them); KANDELO_TEST_RUNNER="cmd args" runs every program as `cmd args MODULE`
# instead (any runner implementing ABI.md). Nothing is skipped: a missing launcher or
# host cc is a failure. Exit status 1 if any check failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin="$here/../bin"
out=${TMPDIR:-/tmp}/kandelo-sdk-tests.$$
mkdir -p "$out/root/bin" "$out/root/dev" "$out/root/proc" "$out/root/tmp"
trap 'rm -rf "$out"' EXIT
. "$here/../lib/common.sh"
objdump=$(kandelo_llvm_tool objdump)

fail=0
pass() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fail=1; }

KANDELO_SYSROOT=$("$here/../build-sysroot.sh" --print-sysroot) || exit 1
export KANDELO_SYSROOT

built=()
for src in "$here"/c/*.c; do
    name=$(basename "$src" .c)
    wasm="$out/root/bin/$name"
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
    built+=("$name")
done

# The runner: ours unless another is named.
if [ -n "${KANDELO_TEST_RUNNER:-}" ]; then
    runner=($KANDELO_TEST_RUNNER) runner_name=${runner[0]##*/}
    guest() { "${runner[@]}" "$out/root/bin/$1"; }
else
    launch=${KANDELO_LAUNCH:-}
    for c in "$repo/.build/release/kandelo-launch" "$repo/.build/debug/kandelo-launch"; do
        [ -n "$launch" ] || { [ -x "$c" ] && launch=$c; }
    done
    if [ -z "$launch" ] || [ ! -x "$(dirname "$launch")/kandelo-image" ]; then
        bad "no kandelo-launch and kandelo-image to run the programs (run scripts/setup.sh, or set KANDELO_LAUNCH)"
        exit 1
    fi
    runner_name=kandelo-launch
    "$(dirname "$launch")/kandelo-image" build --from-dir "$out/root" -o "$out/tests.vfs" --quiet \
        || { bad "kandelo-image build of the test image failed"; exit 1; }
    guest() { env -u LANG -u LC_ALL "$launch" -T --read-only --image "$out/tests.vfs" "/bin/$1"; }
fi
command -v cc >/dev/null 2>&1 || { bad "no host cc to build the native references"; exit 1; }

for name in "${built[@]}"; do
    src="$here/c/$name.c"
    cc -O2 -w "$src" -o "$out/$name.native" -lm || { bad "$name: host cc failed"; continue; }
    "$out/$name.native" >"$out/$name.expected" 2>/dev/null </dev/null
    want=$?
    guest "$name" >"$out/$name.got" 2>"$out/$name.err" </dev/null
    rc=$?
    if [ $rc = $want ] && cmp -s "$out/$name.expected" "$out/$name.got"; then
        pass "$name: runs under $runner_name, stdout and exit status ($rc) equal the native build's"
    else
        bad "$name: under $runner_name exit $rc, native exit $want"
        diff "$out/$name.expected" "$out/$name.got" | head -20
        head -5 "$out/$name.err"
    fi
done
exit $fail
