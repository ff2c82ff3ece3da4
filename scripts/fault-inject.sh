#!/usr/bin/env bash
# Runner fault injection outside the test run: FaultTests' campaign (SIGKILL, SIGSEGV and
# SIGSTOP/SIGCONT of a live service's runners at random moments while control guests and
# host edits go on) with more injections than the test suite's 200.
#   scripts/fault-inject.sh [N]       (default 1000; KANDELO_FAULT_SEED=S replays a run)
# Prints "injections: survived=S attempted=A" and exits non-zero if any check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
n=${1:-1000}
swift build --build-tests >&2
out=$(KANDELO_FAULT_INJECTIONS=$n swift test --skip-build --filter 'FaultTests/twoHundredRunnerFaults' 2>&1) && status=0 || status=$?
echo "$out" | grep -E 'fault injection' >&2 || true
line=$(echo "$out" | sed -n 's/^fault injection: \([0-9]*\) of \([0-9]*\) injections survived.*/injections: survived=\1 attempted=\2/p' | tail -1)
echo "${line:-injections: survived=0 attempted=0}"
exit $status
