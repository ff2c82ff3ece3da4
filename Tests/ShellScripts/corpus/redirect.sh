# Redirections: > >> < 2>&1 ordering, fds 3-9 with exec, <>, group and loop redirections,
# noclobber and >|, a redirection failing.
echo hi > o.txt; echo more >> o.txt; cat o.txt; rm o.txt
echo err 1>&2 2>/dev/null
ls nothere 2>&1 | wc -l
exec 3>f3.txt; echo to3 >&3; exec 3>&-; cat f3.txt; rm f3.txt
{ echo one; echo two >&2; } > g.out 2>&1; cat g.out
{ echo three; echo four >&2; } 2>&1 > g.out | sed 's/^/piped: /'; cat g.out; rm g.out
for i in 1 2; do echo "loop $i"; done > l.out; cat l.out
exec 4<l.out; read -r first <&4; read -r second <&4; exec 4<&-; echo "$second/$first"
echo abc > rw.txt; exec 5<>rw.txt; read -r x <&5; echo "read $x"; exec 5>&-; rm rw.txt
set -C; echo a > l.out 2>/dev/null || echo "noclobber refused"; echo b >| l.out; cat l.out; set +C; rm l.out
cat < nothere; echo "status $?"
echo x > /nonexistent/dir/file; echo "status $?"
