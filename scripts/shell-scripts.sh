#!/usr/bin/env bash
# shell-scripts.sh: runs every script of the shell-script corpus (Tests/ShellScripts/
# corpus/*.sh) under dash and under busybox sh, each one in the guest (kandelo-launch)
# and natively (the same source built by the same recipe), and counts the scripts whose
# stdout, stderr and exit status are equal in both worlds.
#
#   scripts/shell-scripts.sh [--bin DIR] [--shell dash|sh] [--keep] [-v] [NAME...]
#
#   --bin DIR    where kandelo-launch, kandelo-runner and kandelo-image are (default
#                .build/debug; built with `swift build` there if missing)
#   --shell S    only this shell (dash, or sh for busybox sh); default both
#   --keep       keep the work directory (outputs of every run) and print its path
#   -v           print the differences of every failing script
#   NAME...      only these scripts (file names without .sh)
#
# Prints one line per shell, "dash: N/M equal", "busybox sh: N/M equal", followed by the
# names of the scripts that differ; exit status 1 if any differs, 2 on a setup failure.
#
# Each run gets its own copy of the world: natively a copy of the root tree made by
# Tests/ShellScripts/make-root.sh (cwd = its data/), in the guest a copy of the image
# built from that tree (-w /data), so a script that writes files cannot change what the
# next one sees.  Both run `SHELL ../scripts/NAME.sh` with stdin from /dev/null, TZ=UTC,
# and a PATH holding only busybox applets (and dash).  A script whose first lines hold
# "# compare: stdout status" does not have its stderr compared (none does today).
# Runs are limited to ${SHELL_SCRIPT_TIMEOUT:-120} seconds each.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

bin=.build/debug shells=(dash sh) keep=0 verbose=0 names=()
while [ $# -gt 0 ]; do
    case $1 in
        --bin) [ $# -ge 2 ] || { echo "--bin needs a directory" >&2; exit 2; }; bin=$2; shift ;;
        --shell) case ${2:-} in dash|sh) shells=("$2") ;; *) echo "--shell takes dash or sh" >&2; exit 2 ;; esac; shift ;;
        --keep) keep=1 ;;
        -v) verbose=1 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed -e '/^set -uo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) names+=("${1%.sh}") ;;
    esac
    shift
done
if [ ! -d "$bin" ]; then
    [ "$bin" = .build/debug ] || { echo "no directory $bin" >&2; exit 2; }
    mkdir -p "$bin"
fi
bin=$(cd "$bin" && pwd)
if [ ! -x "$bin/kandelo-launch" ] || [ ! -x "$bin/kandelo-runner" ] || [ ! -x "$bin/kandelo-image" ]; then
    command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
    scratch=$(dirname "$bin")
    echo "building kandelo-launch, kandelo-runner, kandelo-image in $scratch" >&2
    for p in kandelo-launch kandelo-runner kandelo-image; do
        swift build --scratch-path "$scratch" --product "$p" >&2 || { echo "swift build $p failed" >&2; exit 2; }
    done
fi

corpus=Tests/ShellScripts/corpus
if [ ${#names[@]} = 0 ]; then
    for f in "$corpus"/*.sh; do n=${f##*/}; names+=("${n%.sh}"); done
fi
for n in "${names[@]}"; do [ -f "$corpus/$n.sh" ] || { echo "no script $corpus/$n.sh" >&2; exit 2; }; done

work=$(mktemp -d /tmp/kandelo-shell-scripts.XXXXXX)
[ $keep = 1 ] || trap 'rm -rf "$work"' EXIT
Tests/ShellScripts/make-root.sh "$work" || { echo "make-root.sh failed" >&2; exit 2; }
"$bin/kandelo-image" build --from-dir "$work/root" -o "$work/image.vfs" --quiet \
    || { echo "kandelo-image build failed" >&2; exit 2; }
limit=${SHELL_SCRIPT_TIMEOUT:-120}

# run_pair SHELL NAME: both runs into $work/runs/SHELL-NAME/{native,guest}.{out,err,status}
run_pair() {
    local shell=$1 name=$2 d=$work/runs/$1-$2
    mkdir -p "$d"
    cp -a "$work/root" "$d/root"
    (cd "$d/root/data" && umask 022 && timeout "$limit" env -i PATH="$work/nativebin" HOME=/ TZ=UTC \
        "$shell" "../scripts/$name.sh" </dev/null >"$d/native.out" 2>"$d/native.err")
    echo $? >"$d/native.status"
    cp "$work/image.vfs" "$d/image.vfs"
    env -u LANG -u LC_ALL -u TERM timeout "$limit" "$bin/kandelo-launch" --image "$d/image.vfs" -w /data -e TZ=UTC \
        "/bin/$shell" "../scripts/$name.sh" </dev/null >"$d/guest.out" 2>"$d/guest.err"
    echo $? >"$d/guest.status"
    rm -rf "$d/root" "$d/image.vfs"
}

# same SHELL NAME: 0 if the runs agree (stderr only if the script does not opt out)
same() {
    local d=$work/runs/$1-$2
    cmp -s "$d/native.status" "$d/guest.status" && cmp -s "$d/native.out" "$d/guest.out" || return 1
    head -n 5 "$corpus/$2.sh" | grep -q '^# compare: stdout status$' && return 0
    cmp -s "$d/native.err" "$d/guest.err"
}

show_diff() {
    local d=$work/runs/$1-$2 f
    echo "---- $1 $2: status native $(cat "$d/native.status"), guest $(cat "$d/guest.status")"
    for f in out err; do
        cmp -s "$d/native.$f" "$d/guest.$f" || diff -u --label "native std$f" --label "guest std$f" "$d/native.$f" "$d/guest.$f" | head -n 40
    done
}

status=0
report=()
for shell in "${shells[@]}"; do
    label=$shell; [ "$shell" = sh ] && label="busybox sh"
    ok=0 failed=()
    start=$SECONDS
    for n in "${names[@]}"; do
        run_pair "$shell" "$n"
        if same "$shell" "$n"; then ok=$((ok + 1)); else failed+=("$n"); fi
    done
    line="$label: $ok/${#names[@]} equal ($((SECONDS - start)) s)"
    [ ${#failed[@]} = 0 ] || { line="$line; differ: ${failed[*]}"; status=1; }
    report+=("$line")
    if [ $verbose = 1 ]; then for n in "${failed[@]}"; do show_diff "$shell" "$n"; done; fi
done
printf '%s\n' "${report[@]}"
[ $keep = 0 ] || echo "outputs kept in $work/runs"
exit $status
