# The printf builtin: widths, precision, bases, %b escapes, argument reuse, errors.
printf '%d|%5d|%-5d|%05d\n' 42 42 42 42
printf '%s|%10s|%-10s|%.2s\n' abc abc abc abc
printf '%x %X %o %#x %c\n' 255 255 8 255 hello
printf '%b\n' 'tab\there' 'new\nline' '\0101'
printf '%s-%s\n' a b c d e
printf '%d%%\n' 50
printf '%.3f %e %g\n' 3.14159 12345.678 0.0001
printf '%u %d\n' -1 -1
printf 'no newline'; echo
printf '%d\n' 12abc 2>/dev/null; echo "bad number status $?"
printf '%s\n' "$(printf '%*d' 6 7)"
