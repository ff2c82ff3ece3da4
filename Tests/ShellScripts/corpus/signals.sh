# Signals between processes: killing a background child (status 128+N from wait;
# the shell reports "Terminated" on stderr when `wait` itself reaps the killed job, not
# when an earlier command did: so the second kill is followed by a sleep that reaps it,
# rather than racing the child's death against the next builtin),
# SIGINT ignored by background jobs of a non-interactive shell (POSIX), a child's trap,
# an ignored signal inherited across exec, kill -0, kill -l, a trap in a subshell.
sleep 5 & p=$!
(sleep 0.3; kill -TERM $p) &
wait $p; echo "TERM while waited for: $?"
sleep 5 & p=$!
kill -TERM $p; sleep 0.5; wait $p; echo "TERM before wait: $?"
sleep 1 & p=$!
sleep 0.3; kill -INT $p; wait $p; echo "INT ignored by a background job: $?"
sh -c 'trap "echo child caught USR2; exit 11" USR2; kill -USR2 $$; echo not reached'; echo "child: $?"
trap '' USR1
sh -c 'kill -USR1 $$; echo survived ignored USR1'
trap - USR1
kill -0 $$ && echo "kill -0 self ok"
kill -l 15 9 2
sh -c 'exit 0' & wait $!; echo "plain: $?"
(trap 'echo subshell TERM; exit 3' TERM; sh -c 'kill -TERM $PPID'; echo not reached); echo "subshell: $?"
