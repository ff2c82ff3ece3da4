# Exit statuses: of child shells, of a child killed by a signal, of ! and of commands
# that are not found or not executable.
sh -c 'exit 3'; echo $?
sh -c 'kill -TERM $$'; echo $?
sh -c 'kill -KILL $$'; echo $?
! true; echo $?
! false; echo $?
nosuchcommand 2>/dev/null; echo $?
./a.txt 2>/dev/null; echo $?
(exit 300); echo $?
