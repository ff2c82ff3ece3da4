# Traps: a handler for a signal sent to the shell itself, an EXIT trap, resetting and
# ignoring, listing the traps.
trap 'echo caught USR1' USR1
kill -USR1 $$
echo after
trap 'echo caught TERM; trap - TERM' TERM
kill -TERM $$
echo still here
trap '' HUP
kill -HUP $$
echo HUP ignored
trap
trap 'echo bye $?' EXIT
echo end
exit 4
