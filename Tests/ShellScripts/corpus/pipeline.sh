# Pipelines: several stages, exit status of the last stage, a large stream, SIGPIPE
# ending a writer whose reader has gone (`yes | head`).
seq 1 100 | grep 7 | wc -l
seq 1 5 | sort -r | head -n 2 | tr '\n' ' '; echo
false | true; echo "false|true: $?"
true | false; echo "true|false: $?"
cat seq.txt | sed 's/$/x/' | awk '{ n += length($0) } END { print n }'
yes hello | head -n 3
seq 1 100000 | head -n 1
tr -cs 'A-Za-z' '\n' < a.txt | tr 'A-Z' 'a-z' | sort | uniq -c | sort -k1,1nr -k2 | head -n 4
