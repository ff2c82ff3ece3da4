# test/[ on files: existence, type, permission and size operators, symlinks, string and
# number comparisons; files made with a umask, ln -s and mkdir -p.
for f in a.txt sub link.txt nothere words.txt; do
    printf '%s:' "$f"
    [ -e "$f" ] && printf ' e'
    [ -f "$f" ] && printf ' f'
    [ -d "$f" ] && printf ' d'
    [ -L "$f" ] && printf ' L'
    [ -s "$f" ] && printf ' s'
    [ -r "$f" ] && printf ' r'
    [ -x "$f" ] && printf ' x'
    echo
done
umask 077; mkdir -p t/x/y; : > t/empty; umask 022
stat -c '%n %a' t t/x t/empty
[ -s t/empty ] || echo "empty has no size"
ln -s ../a.txt t/l; cat t/l | head -n 1; readlink t/l
[ abc = abc ] && [ abc != abd ] && [ -n x ] && [ -z '' ] && echo strings
[ 10 -gt 9 ] && [ -3 -lt 2 ] && [ 5 -ge 5 ] && ! [ 1 -eq 2 ] && echo numbers
[ a.txt -ef link.txt ] && echo "same file"
test 1 -eq 1 -a 2 -eq 2 && echo "-a works"
rm -r t; [ -e t ] || echo removed
