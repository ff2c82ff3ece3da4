# find and xargs: file lists into commands, -exec, -n batching, a while-read loop over
# find's output.
find . -name '*.txt' | sort | xargs wc -l
find sub -type f | sort | xargs -n 1 cat
find . -type d | sort
find . -name '*.txt' -size +100c | sort
find sub -type f -exec echo found {} \; | sort
find . -type l | sort
find . -name '*.txt' | sort | while read -r f; do printf '%s %s\n' "$(wc -c < "$f")" "$f"; done
echo a b c d e | xargs -n 2 echo pair
