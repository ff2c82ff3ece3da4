# A 400-line function: the parser recurses over a long command list (the interpreter
# needs a stack the size of Linux's).
body=$(i=0; while [ $i -lt 400 ]; do echo 'echo -n ab'; i=$((i+1)); done)
eval "f() {
$body
}"
f | wc -c
