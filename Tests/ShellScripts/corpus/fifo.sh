# Named pipes: a writer in the background and a reader in the foreground, a larger
# stream, a fifo opened read-write by one process, the file type.
umask 022
mkfifo p
(echo through the fifo; seq 1 3) > p &
cat p
wait
stat -c '%F %a' p
(seq 1 500 > p) & wc -l < p; wait
exec 3<>p; echo rw >&3; read -r x <&3; echo "$x"; exec 3>&-
rm p; [ -p p ] || echo removed
