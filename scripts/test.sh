#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
# The golden images live in ../shared/reference-images (beside the clone, as in CI).
swift test 2>&1 | tee /tmp/kandelo-test.log
