# Deep nesting: 900 levels of function recursion (dash stops at 1000), 40 nested
# command substitutions (40 shells alive at once, each waiting for its child), nested
# subshells and brace groups.
f() { [ $1 -gt 0 ] && f $(($1 - 1)) || echo "bottom reached"; }
f 900; echo "status $?"
g() { if [ $1 -gt 0 ]; then echo $(( $(g $(($1 - 1))) + 1 )); else echo 0; fi; }
g 40
echo $( echo $( echo $( echo $( echo nested substitutions ) ) ) )
( ( ( ( ( ( ( ( echo eight subshells; exit 8 ) ) ) ) ) ) ) ); echo "status $?"
{ { { { echo four groups; }; }; }; } | { { cat; }; }
