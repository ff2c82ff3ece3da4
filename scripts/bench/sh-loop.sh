# sh-loop.sh: the shell benchmark of scripts/bench-guest.sh, run by busybox sh natively
# and as a guest: COUNT short external commands, one after another.
#   sh sh-loop.sh run PROGRAM COUNT      runs PROGRAM (e.g. busybox's true) COUNT times
#   sh sh-loop.sh count PROGRAM COUNT    counts with i=$(PROGRAM $i + 1) (busybox's expr),
#                                        which adds a pipe and a read to every command
# PROGRAM is a path, so the shell's builtins (true, echo) are not used; that busybox has
# no SH_STANDALONE or NOFORK either, so each command is a fork and an exec of busybox.
# Prints the final count, which the caller checks.
kind=$1 prog=$2 n=$3
i=0
case $kind in
run) while [ $i -lt "$n" ]; do "$prog" || exit 1; i=$((i + 1)); done ;;
count) while [ $i -lt "$n" ]; do i=$("$prog" $i + 1) || exit 1; done ;;
*) echo "sh-loop.sh: unknown kind '$kind'" >&2; exit 2 ;;
esac
echo "$i"
