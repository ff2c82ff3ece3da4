# Builtins: eval, command, type and command -v for builtins and functions, exec in a
# subshell, set and unset, readonly, shift errors, :.
eval 'a=1; b=$((a + 1))'; echo "$a $b"
cmd='echo evaluated $a'; eval "$cmd"
f() { echo function f; }
command -v cd; command -v f
type echo | sed 's/^echo is //'
command echo via command
( exec echo exec replaced the subshell; echo not reached )
readonly ro=fixed
( ro=changed ) 2>/dev/null || echo "readonly refused: $?"
unset a; echo "a is ${a-unset}"
set -- 1 2; ( shift 3 ) 2>/dev/null; echo "shift too far: $?"
: ignored arguments; echo "colon $?"
true; echo "true $?"; false; echo "false $?"
v=before; v=after command true; echo "$v"
pwd | sed 's|.*/||'; cd sub; pwd | sed 's|.*/||'; cd ..; cd - >/dev/null; pwd | sed 's|.*/||'
umask 027; umask; umask 022
alias hi='echo alias works'
hi
unalias hi
