# Arithmetic expansion: operators and precedence, bases, 64-bit range, assignment
# operators, comparisons and the ternary; division by zero is an error.
echo $((1 + 2 * 3)) $(( (1 + 2) * 3 )) $((7 / 2)) $((7 % 3)) $((-7 / 2)) $((-7 % 3))
echo $((0x1F)) $((010)) $((1 << 10)) $((255 >> 4)) $((5 & 3)) $((5 | 3)) $((5 ^ 3)) $((~0))
echo $((2147483647 + 1)) $((9223372036854775807)) $((-9223372036854775807 - 1))
echo $((4294967296 * 3)) $((1 << 40))
i=5; : $((i += 3)); : $((i *= 2)); : $((i -= 1)); echo "$i"
echo $((3 > 2)) $((3 < 2)) $((3 == 3)) $((3 != 3)) $((!0)) $((1 && 0)) $((0 || 2))
echo $((i > 10 ? 100 : 200))
x=7; echo $((x)) $(( x * x )) $((x = x + 1)) $x $(( (x + 1) * (x - 1) ))
s=0; for n in $(seq 1 100); do s=$((s + n)); done; echo "sum $s"
( echo $((1 / 0)) ) 2>/dev/null; echo "div by zero status $?"
