# getopts: options with and without arguments, grouped flags, --, unknown options.
parse() {
    OPTIND=1
    while getopts "ab:c" opt "$@"; do
        case $opt in
            a) echo "flag a";;
            b) echo "b=$OPTARG";;
            c) echo "flag c";;
            ?) echo "bad option";;
        esac
    done
    shift $((OPTIND - 1))
    echo "rest: $*"
}
parse -a -b val file1 file2
parse -acb joined -- -notanoption
parse -x 2>/dev/null
parse
