#!/usr/bin/env bash
# scripts/bench-faults.sh — issue 12's figures (faults stay where they happen), one run:
#
#   crash points       kill -9 of the service at seeded random moments during the mixed
#                      workload of Tests/LaunchTests/ServiceCrashTests.swift (host cp -a and
#                      git with fsyncs, two guests writing, renaming and appending with
#                      fsyncs), each followed by fsck and a recovering remount: points with
#                      zero fsync'd bytes lost / attempted. The test itself, run longer
#                      (KANDELO_CRASH_POINTS; 300, --quick 30), from the debug test build.
#   service memory     RSS and PSS of kandelo-mount (the service) after a warm-up and after
#                      10,000 guest lifetimes (--quick 1,000): a C guest that exits at once,
#                      launched with kandelo-launch --mount from 8 parallel clients; the
#                      growth beside the run-to-run noise of the same measurement (RSS after
#                      the first and the second half of the launches)
#   runner injections  survived / attempted, from scripts/fault-inject.sh if it exists (its
#                      line "injections: survived=S attempted=A"), else n/a
#   fuzzing            scripts/fuzz.sh --seconds N (10, --quick 3) if it exists: its lines
#                      "fuzz: TARGET execs=N seconds=S execs_per_s=R crashes=K", else n/a
#
#   scripts/bench-faults.sh [--quick] [--scratch DIR] [--no-build] [--debug]
#                           [--points N] [--launches N] [--seed N]
#
# --debug uses the debug build for the memory figures too (no release build needed; launches
# are slower, the memory figures comparable). Needs /dev/fuse. Prints a table and the load
# average (figures from a busy machine are not comparable).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
die() { echo "bench-faults.sh: $*" >&2; exit 1; }
points=300 launches=10000 fuzz_seconds=10 scratch=() build=1 config=release seed=20261207
while [ $# -gt 0 ]; do
    case $1 in
    --quick) points=30 launches=1000 fuzz_seconds=3 ;;
    --scratch) [ $# -ge 2 ] || die "--scratch needs a directory"; scratch=(--scratch-path "$2"); shift ;;
    --no-build) build="" ;;
    --debug) config=debug ;;
    --points) [ $# -ge 2 ] || die "--points needs a number"; points=$2; shift ;;
    --launches) [ $# -ge 2 ] || die "--launches needs a number"; launches=$2; shift ;;
    --seed) [ $# -ge 2 ] || die "--seed needs a number"; seed=$2; shift ;;
    -h|--help) sed -n 2,28p "$0"; exit 0 ;;
    *) echo "usage: bench-faults.sh [--quick] [--scratch DIR] [--no-build] [--debug] [--points N] [--launches N] [--seed N]" >&2; exit 64 ;;
    esac
    shift
done
if [ -n "$build" ]; then
    echo "building ($config, and the debug tests)..." >&2
    swift build "${scratch[@]}" --build-tests >&2 || die "swift build --build-tests failed"
    if [ $config = release ]; then
        for p in kandelo-image kandelo-mount kandelo-launch kandelo-runner; do
            swift build -c release "${scratch[@]}" --product $p >&2 || die "swift build $p failed"
        done
    fi
fi
bin=$(swift build -c $config "${scratch[@]}" --show-bin-path)
for p in kandelo-image kandelo-mount kandelo-launch kandelo-runner; do [ -x "$bin/$p" ] || die "no $p in $bin"; done

work=$(mktemp -d /tmp/kandelo-bench-faults.XXXXXX)
mnt=$work/mnt
svc=
cleanup() {
    if [ -n "$svc" ]; then fusermount3 -u "$mnt" 2>/dev/null || true; wait "$svc" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# 1. Crash points: the test's own workload and checks, longer.
echo "crash points: $points (seed $seed), running ServiceCrashTests..." >&2
KANDELO_CRASH_POINTS=$points KANDELO_CRASH_SEED=$seed \
    swift test "${scratch[@]}" --skip-build --filter 'ServiceCrashTests/killingTheServiceNeverLosesAnFsyncedByte' \
    > "$work/crash.log" 2>&1 || true
crash=$(sed -n 's/.*crash points: zero-loss=\([0-9]*\) attempted=\([0-9]*\).*/\1 \2/p' "$work/crash.log" | tail -1)
crash_detail=$(grep -m1 'service crash test: [0-9]* crash points, kill' "$work/crash.log" | sed 's/.*service crash test: //' || true)
[ -n "$crash" ] || { tail -20 "$work/crash.log" >&2; echo "bench-faults.sh: the crash test printed no summary" >&2; crash="n/a n/a"; }

# 2. The service's memory across guest lifetimes.
mkdir -p "$work/root/bin" "$work/root/tmp" "$work/root/work" "$work/root/dev" "$work/root/proc" "$mnt"
printf 'int main(void) { return 0; }\n' > "$work/true.c"
sdk/bin/kandelo-cc -O2 -o "$work/root/bin/true" "$work/true.c"
"$bin/kandelo-image" build --from-dir "$work/root" -o "$work/rootfs.vfs" --quiet
"$bin/kandelo-mount" -f "$work/rootfs.vfs" "$mnt" 2>"$work/mount.log" &
svc=$!
for i in $(seq 200); do "$bin/kandelo-launch" --mount "$mnt" --list >/dev/null 2>&1 && break; sleep 0.05; done
"$bin/kandelo-launch" --mount "$mnt" --list >/dev/null || die "the service did not come up: $(cat "$work/mount.log")"
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$svc/status; }
pss() { awk '/^Pss:/ { print $2 }' /proc/$svc/smaps_rollup 2>/dev/null || echo n/a; }
launch_many() {  # N: launches of /bin/true from 8 parallel clients; fails on any non-zero status
    seq "$1" | xargs -P 8 -n 50 sh -c 'for i; do '"$bin"'/kandelo-launch -T --mount '"$mnt"' /bin/true </dev/null || exit 255; done' sh
}
launch_many 200 || die "warm-up launches failed"
sleep 1
rss0=$(rss) pss0=$(pss)
half=$((launches / 2))
s=$(date +%s.%N)
launch_many $half || die "launches failed"
sleep 1
rss1=$(rss)
launch_many $((launches - half)) || die "launches failed"
e=$(date +%s.%N)
sleep 1
rss2=$(rss) pss2=$(pss)
left=$(( $("$bin/kandelo-launch" --mount "$mnt" --list | wc -l) - 1 ))   # less its header line
gps=$(echo "$s $e $launches" | awk '{ printf "%.1f", $3 / ($2 - $1) }')

# 3. Runner fault injection (scripts/fault-inject.sh), 4. fuzzing (scripts/fuzz.sh).
injections="n/a"
if [ -x scripts/fault-inject.sh ] || [ -f scripts/fault-inject.sh ]; then
    line=$(bash scripts/fault-inject.sh 2>"$work/inject.err" | grep '^injections: ' | tail -1 || true)
    injections=$(echo "$line" | sed -n 's/^injections: survived=\([0-9]*\) attempted=\([0-9]*\).*/\1 \/ \2/p')
    [ -n "$injections" ] || injections="n/a (scripts/fault-inject.sh printed no 'injections:' line)"
fi
fuzz=()
if [ -f scripts/fuzz.sh ]; then
    while IFS= read -r l; do fuzz+=("$l"); done < <(bash scripts/fuzz.sh --seconds "$fuzz_seconds" 2>"$work/fuzz.err" | grep '^fuzz: ' || true)
    [ ${#fuzz[@]} -gt 0 ] || fuzz=("n/a (scripts/fuzz.sh printed no 'fuzz:' lines: $(tail -1 "$work/fuzz.err"))")
fi

printf '\n%-52s %s\n' "figure" "value"
printf '%-52s %s\n' "crash points with zero fsync'd bytes lost" "${crash% *} / ${crash#* } (seed $seed)"
[ -z "$crash_detail" ] || printf '%-52s %s\n' "  workload" "$crash_detail"
printf '%-52s %s\n' "service RSS before / after $launches guests (KiB)" "$rss0 / $rss2 (growth $((rss2 - rss0)); after the first half $rss1)"
printf '%-52s %s\n' "service PSS before / after (KiB)" "$pss0 / $pss2$( [ "$pss0" = n/a ] || echo " (growth $((pss2 - pss0)))")"
printf '%-52s %s\n' "guests per second (8 clients, $config build)" "$gps"
printf '%-52s %s\n' "guest processes left in the service" "$((left))"
printf '%-52s %s\n' "runner fault injections survived / attempted" "$injections"
if [ ${#fuzz[@]} -eq 0 ]; then
    printf '%-52s %s\n' "fuzz executions per target" "n/a"
else
    for l in "${fuzz[@]}"; do printf '%-52s %s\n' "fuzz executions per target" "${l#fuzz: }"; done
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
