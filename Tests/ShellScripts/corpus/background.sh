# Background jobs and wait: $!, wait PID returning the job's status, wait with no
# arguments, several jobs finishing in an order unrelated to their start.
(sleep 0.2; echo bg done) &
echo fg
wait
echo all done
sleep 0.1 & pid=$!; wait $pid; echo "waited $?"
(exit 7) & p1=$!
(sleep 0.1; exit 9) & p2=$!
wait $p2; s2=$?
wait $p1; s1=$?
echo "statuses $s1 $s2"
for i in 3 1 2; do (sleep 0.$i; echo "job $i") & done > bg.out
wait
sort bg.out; rm bg.out
