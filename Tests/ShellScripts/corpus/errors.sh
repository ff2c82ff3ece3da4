# Errors with their messages on stderr (compared): a missing command, a bad cd,
# an unset variable under set -u, a syntax error in eval (which ends a non-interactive
# shell, hence the subshell), a redirection failing, running a directory,
# and the exit status of a script ending in an error.
nosuchcommand
echo "not found: $?"
cd /nonexistent
echo "cd: $?"
( set -u; echo "$undefined_variable"; echo unreached )
echo "set -u: $?"
( eval 'if then fi' )
echo "syntax: $?"
cat < /nonexistent/file
echo "redirect: $?"
./sub
echo "directory: $?"
( exit 3 )
${undefined_variable?custom message}
echo not reached
