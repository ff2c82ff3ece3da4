# Parameter expansion: defaults, assignment, alternatives, lengths, prefix/suffix
# removal, positional parameters, shift, $# and "$@" vs "$*".
p=/usr/local/lib/libfoo.so.1.2
echo "${p#*/}" "${p##*/}" "${p%.*}" "${p%%.*}" "${#p}"
unset u; e=
echo "[${u:-default}] [${e:-empty-default}] [${e-set-but-empty}] [${u+alt}] [${p:+alt}]"
echo "${u:=assigned}" "$u"
( : "${nothere?is unset}" ) 2>/dev/null || echo "? failed in a subshell: $?"
set -- "a b" c "" d
echo "count $#"
for x in "$@"; do printf '<%s>' "$x"; done; echo
for x in $@; do printf '<%s>' "$x"; done; echo
IFS=:; echo "$*"; IFS=' 	
'
shift 2; echo "after shift: $# [$1] [$2]"
set -- $(echo one two three); echo "$2 of $#"
f() { echo "$# args, first=$1, tenth=${10}"; }
f 1 2 3 4 5 6 7 8 9 ten
n=12; echo "${n}th" "$((n))" "${n#1}"
a=abcabc; echo "${a#*b}" "${a##*b}" "${a%b*}" "${a%%b*}"
echo "${#}" "${#@}" "$-" | sed 's/[a-zA-Z]*$/flags/'
