# Pathname expansion (sorted by the shell, so independent of directory order),
# patterns that match nothing, set -f, case with bracket expressions.
echo *.txt
echo sub/*
echo */*/*
echo s*/d*
echo [aw]*.txt
echo ?.txt
echo nomatch*.xyz
echo "*.txt"
set -f; echo *.txt; set +f
for f in *.txt; do [ -L "$f" ] && echo "$f is a link"; done
case abc in a[!x]c) echo bracket-not;; esac
case a.b in *[.]*) echo dot-in-bracket;; esac
case Z in [[:upper:]]) echo posix-class;; esac
