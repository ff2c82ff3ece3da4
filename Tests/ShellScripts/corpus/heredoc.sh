# Here-documents: expansion, quoted delimiters, <<- tab stripping, two on one line,
# inside a function, fed to a pipeline.
n=5
cat <<EOT
line $((n + 1))
  indented $n
EOT
cat <<'RAW'
$n stays $(not run)
RAW
cat <<-TABS
	leading tabs go
		all of them
	TABS
f() {
    cat <<EOT
in function: $1
EOT
}
f arg
cat <<ONE; cat <<TWO
first
ONE
second
TWO
sort <<EOT | head -n 2
zebra
apple
mango
EOT
while read -r a b; do echo "$b-$a"; done <<EOT
1 one
2 two
EOT
