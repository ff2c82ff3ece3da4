# read: IFS splitting into variables, the last variable taking the rest, -r and
# backslashes, a missing final newline, read in a pipeline.
while IFS=: read -r name pw uid gid gecos home shell; do
    echo "$name uid=$uid shell=${shell##*/}"
done < colon.txt
echo 'a b c d e' | { read -r one two rest; echo "[$one] [$two] [$rest]"; }
printf 'back\\slash\n' | { read -r raw; echo "$raw"; }
printf 'back\\slash\n' | { read cooked; echo "$cooked"; }
printf 'no newline' | { read -r line; echo "status $? [$line]"; }
printf '  leading and trailing  \n' | { read -r t; echo "[$t]"; }
printf '  kept  \n' | { IFS= read -r t; echo "[$t]"; }
echo "x y" | read -r a b; echo "pipeline read leaves [${a-unset}]"
