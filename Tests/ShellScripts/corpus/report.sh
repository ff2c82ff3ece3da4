# A report script: awk, sort, uniq, join-like lookups with while read, column
# formatting with printf, date on a fixed time.
echo "== word counts"
tr -cs 'A-Za-z' '\n' < a.txt | tr 'A-Z' 'a-z' | grep . | sort | uniq -c | sort -k1,1nr -k2 |
    while read -r n w; do printf '%-8s %3d\n' "$w" "$n"; done
echo "== fruit"
sort words.txt | uniq -c | awk '{ printf "%s=%d\n", $2, $1 }' | paste -sd, -
echo "== numbers"
awk '{ s += $1; if (NR == 1 || $1 > max) max = $1 } END { printf "sum=%g max=%g n=%d\n", s, max, NR }' nums.txt
sort -n nums.txt | head -n 1
echo "== users"
cut -d: -f1,3 colon.txt | while IFS=: read -r u id; do
    if [ "$id" -ge 1000 ]; then kind=regular; else kind=system; fi
    echo "$u $kind"
done | sort
echo "== seq"
awk 'NR % 400 == 0 { printf "%s ", $0 } END { print "" }' seq.txt
date -u -d @1700000000 '+%Y-%m-%d %H:%M:%S'
