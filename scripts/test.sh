#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# Release too: DemoTests runs scripts/demo.sh and InstallTests scripts/install.sh, which use
# release builds (built here, with the build directory's lock, rather than inside the tests).
scripts/setup.sh release
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
# The SDK: builds the musl wasm32 sysroot (cached by input hash), compiles the C test
# programs with kandelo-cc, checks every module against the ABI and runs each under
# kandelo-launch, comparing stdout and status with native builds.
echo "== sdk/tests/run.sh" >&2
bash sdk/tests/run.sh
# The Swift suites. The golden images live in ../shared/reference-images (beside the
# clone, as in CI).
echo "== swift test" >&2
swift test
