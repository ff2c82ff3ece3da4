# set -x: the trace goes to stderr (compared too), with PS4, quoting of words with
# spaces, and set +x.
set -x
a=1
echo "traced $a"
f() { echo "in f"; }
f 'with space'
set +x
echo untraced
PS4='+trace: '
set -x
echo $((a + 1))
{ set +x; } 2>/dev/null
echo done
