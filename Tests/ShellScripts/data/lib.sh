# A file sourced with `.` by dot.sh: defines functions and a variable, and returns early.
greet() { echo "hello, $1"; }
double() { echo $(( $1 * 2 )); }
LIB_LOADED=yes
return 0
echo "not reached: return ends a dot script"
