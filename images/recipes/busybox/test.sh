#!/usr/bin/env bash
# images/recipes/busybox/test.sh — smoke tests of the busybox recipe.
#
#   images/recipes/busybox/test.sh
#
# Builds (or reuses) both flavours with build.sh, then:
#  1. runs a few applets of the native reference on the host (pipes, fork, here-docs,
#     traps, job control builtins) and checks their output;
#  2. checks the guest module against the ABI (sdk/tests/wasm-info.py --check, no legacy
#     exception-handling opcode) — build.sh already refuses a module that fails;
#  3. if node is installed: builds the --node-test variant (legacy EH, which Node 20 can
#     load) and runs applets that need no files, pipes or fork under
#     sdk/tests/node-harness.mjs, comparing stdout and exit status with the native build.
# Exit status 1 if a check failed.
set -uo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
repo=$(cd "$here/../../.." && pwd)
fail=0
pass() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fail=1; }

out=$("$here/build.sh" --both --print-path) || { echo "FAIL  build.sh --both"; exit 1; }
bb=$out/native/busybox
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- 1. the native reference ----------------------------------------------------------
check() { # NAME EXPECTED COMMAND...
    local name=$1 want=$2 got; shift 2
    got=$("$@" 2>&1) || true
    if [ "$got" = "$want" ]; then pass "native: $name"; else bad "native: $name: got '$got', want '$want'"; fi
}
check "wc -c" 3 sh -c "echo hi | '$bb' wc -c"
check "sh for loop" $'1\n2' "$bb" sh -c 'for i in 1 2; do echo $i; done'
check "sh command substitution, here-doc" "x=sub y" "$bb" sh -c 'a=$(echo sub); cat <<EOF
x=$a y
EOF'
check "sh trap, wait, background" $'bg\nwaited 3\nexit trap' "$bb" sh -c \
    'trap "echo exit trap" EXIT; (sleep 0.1; echo bg; exit 3) & wait $!; echo waited $?'
check "sh job control builtins" "ok" "$bb" sh -c 'set -m 2>/dev/null; jobs; echo ok'
check "awk/sed/sort/uniq" $'a 2\nb 1' sh -c \
    "printf 'b\na\na\n' | '$bb' sort | '$bb' uniq -c | '$bb' awk '{print \$2, \$1}' | '$bb' sed 's/^ *//'"
check "gzip round trip" "hello" sh -c "echo hello | '$bb' gzip | '$bb' zcat"
check "tar + sha256sum" "ok" sh -c "cd '$tmp' && echo data >f && '$bb' tar cf t.tar f && rm f && '$bb' tar xf t.tar && '$bb' sha256sum f | '$bb' grep -q '^6667b2d1' && echo ok"
check "find/xargs" "$tmp/f" sh -c "'$bb' find '$tmp' -name f -type f | '$bb' xargs '$bb' echo"
check "expr/seq/test" "6 1 2 3 yes" sh -c "echo \$('$bb' expr 2 \* 3) \$('$bb' seq 3) \$('$bb' test 1 -lt 2 && echo yes)"
n=$(wc -l <"$out/busybox.links")
[ "$n" -ge 140 ] && pass "busybox.links lists $n applets" || bad "busybox.links lists only $n applets"

# ---- 2. the guest module ----------------------------------------------------------------
if python3 "$repo/sdk/tests/wasm-info.py" --check "$out/wasm/busybox.wasm" >"$tmp/info" 2>&1; then
    pass "wasm: imports/exports follow the ABI ($(stat -c %s "$out/wasm/busybox.wasm") bytes)"
else
    bad "wasm: ABI check"; cat "$tmp/info"
fi

# ---- 3. under Node 20 (legacy-EH variant) -----------------------------------------------
if ! command -v node >/dev/null 2>&1; then
    echo "skip  node: not installed"
else
    nout=$("$here/build.sh" --node-test --print-path) || { bad "build.sh --node-test"; exit 1; }
    harness=$repo/sdk/tests/node-harness.mjs
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        eval "args=($line)"
        want=$("$bb" "${args[@]}" 2>/dev/null); wrc=$?
        got=$(node "$harness" "$nout/node-test/busybox.wasm" "${args[@]}" 2>"$tmp/err"); grc=$?
        if [ "$got" = "$want" ] && [ $grc = $wrc ]; then
            pass "node: busybox $line"
        else
            bad "node: busybox $line: exit $grc (native $wrc), output '$got' (native '$want')"
            head -3 "$tmp/err"
        fi
    done <<'EOF'
echo hello
true
false
printf '%s-%05d|%x\n' a 42 255
seq 2 2 9
expr 7 \* 6
expr length abcdef
basename /usr/lib/libc.a .a
dirname /usr/lib/libc.a
test 3 -gt 2
[ a = b ]
sh -c 'for i in 1 2 3; do echo "i=$i"; done'
sh -c 'x=5; echo $((x * 8 + 2)); f() { echo "f:$1"; }; f arg; case abc in a*) echo star;; esac'
sh -c 'i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i; exit 7'
sh -c 'set -- a b c; echo $# "$2"; shift; echo "$@"; echo ${#1}'
sh -c 'v=hello; echo ${v%lo} ${v#he} ${v:-x} ${u:-dflt}'
EOF
fi
exit $fail
