# Loops: for over words and positional parameters, while/until with counters, read
# loops over files, break and continue with levels.
for f in a.txt words.txt nums.txt; do printf '%s:%s\n' $f $(wc -l < $f); done
i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo w$i; done
until [ $i -eq 0 ]; do i=$((i-1)); printf 'u%s ' $i; done; echo
while read w; do echo "<$w>"; done < words.txt
set -- x y z; for p; do echo "param $p"; done
for i in 1 2 3; do
    for j in a b c; do
        [ $j = b ] && continue
        [ $i = 3 ] && break 2
        echo "$i$j"
    done
done
n=0; while :; do n=$((n+1)); [ $n -ge 1000 ] && break; done; echo "spun $n"
