# A build-style script: generate a tree of files from here-documents in loops, archive
# it, compress, unpack it elsewhere, compare checksums, then clean up.
set -e
umask 022
rm -rf build
mkdir -p build/src build/out
for m in alpha beta gamma; do
    cat > build/src/$m.c <<EOT
/* $m */
int $m(void) { return ${#m}; }
EOT
done
for f in build/src/*.c; do
    base=${f##*/}; obj=build/out/${base%.c}.o
    sed -n 's/^int \([a-z]*\).*return \([0-9]*\).*/\1 \2/p' "$f" > "$obj"
done
cat build/out/*.o
(cd build && tar -cf ../build.tar src out)
gzip -n -9 build.tar
ls -l build.tar.gz | awk '{ print $1, $NF }'
mkdir -p unpack && (cd unpack && gunzip -c ../build.tar.gz | tar -xf -)
(cd build && find . -type f | sort | xargs md5sum) > a.sums
(cd unpack && find . -type f | sort | xargs md5sum) > b.sums
cmp a.sums b.sums && echo "trees identical"
wc -l < a.sums
rm -rf build unpack build.tar.gz a.sums b.sums
echo cleaned
