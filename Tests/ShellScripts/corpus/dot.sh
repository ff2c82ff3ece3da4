# The dot builtin: a sourced file's functions and variables stay; return ends it.
. ./lib.sh
echo "status $? loaded=$LIB_LOADED"
greet world
double 21
( . ./nothere.sh ) 2>/dev/null || echo "missing file: $?"
