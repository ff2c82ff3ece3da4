# set -e: a failing command in && / || lists and conditions does not exit; one on its
# own does, with its status.
set -e
echo start
true && false || echo recovered
if false; then echo no; else echo else-branch; fi
while false; do :; done
! true
echo "after negation"
f() { false; echo "f continues: set -e is off in a condition"; }
f || echo unreachable
false
echo not reached
