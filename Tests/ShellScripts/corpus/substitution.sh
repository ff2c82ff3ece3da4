# Command substitution: $(...) and backquotes, nesting, trailing newlines removed,
# exit status of an assignment from a substitution.
x=$(wc -l < seq.txt); echo $((x * 2))
y=`echo nested $(echo deep)`; echo "$y"
z=$(printf 'a\n\n\n'); echo "[$z]"
n=$(echo $(echo $(echo three levels))); echo "$n"
v=$(false); echo "assignment status $?"
echo "lines: $(cat a.txt | wc -l), words: $(wc -w < a.txt)"
echo "$(for i in 1 2 3; do echo "item$i"; done | tr '\n' ,)"
big=$(seq 1 3000); echo "${#big}"
