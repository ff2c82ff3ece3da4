# Subshells: cd, exit and variables stay inside; the parent's state is untouched.
(cd sub && pwd | sed 's|.*/||'; exit 3); echo "status $?"; pwd | sed 's|.*/||'
x=outer; (x=inner; echo "in: $x"); echo "out: $x"
( ( ( echo nested three deep; exit 5 ) ); echo "inner status $?" )
{ echo group; x=changed-in-group; }; echo "group keeps: $x"
(trap 'echo subshell exit trap' EXIT; echo body)
echo "$( (echo sub-in-subst; exit 2); echo "st $?")"
