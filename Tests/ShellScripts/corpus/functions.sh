# Functions: arguments, local, return statuses, recursion, functions redefining
# themselves, case patterns.
f() { local v=$1; echo "f($v) args=$#"; return 4; }
f a b; echo "ret $?"
v=global; g() { local v=local; echo "in g: $v"; }; g; echo "after g: $v"
fact() { if [ $1 -le 1 ]; then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }
fact 10
fib() { if [ $1 -lt 2 ]; then r=$1; return; fi; fib $(( $1 - 1 )); local a=$r; fib $(( $1 - 2 )); r=$((a + r)); }
fib 15; echo "fib 15 = $r"
once() { echo first call; once() { echo later call; }; }
once; once
case words.txt in *.txt) echo text;; *) echo other;; esac
for w in apple Banana 42 x-y ''; do
    case $w in
        [a-z]*) echo "$w: lower";;
        [A-Z]*) echo "$w: upper";;
        [0-9]|[0-9][0-9]) echo "$w: number";;
        *-*|*_*) echo "$w: joined";;
        '') echo "(empty)";;
    esac
done
