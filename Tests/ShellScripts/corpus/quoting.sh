# Quoting and field splitting: single, double and backslash quoting, IFS, empty
# fields, pathname expansion off inside quotes.
x='a  b   c'
echo $x
echo "$x"
printf '[%s]' $x; echo
y='*.txt'; echo "$y" '$y' \$y
echo 'single "double" inside' "double 'single' inside" \"escaped\"
echo "backslash: \\ \$ \` \" \a"
IFS=, ; z='1,2,,3'; printf '<%s>' $z; echo; unset IFS
set -- $x; echo "$#"
empty=''; set -- $empty; echo "unquoted empty gives $#"; set -- "$empty"; echo "quoted empty gives $#"
echo "tab	inside" | od -c | head -n 1
w="one
two"; echo "$w" | wc -l
echo \
continued \
line
