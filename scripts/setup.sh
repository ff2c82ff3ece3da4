#!/usr/bin/env bash
# Installs what Kandelo for Linux needs on a Debian 12 machine and builds it. Idempotent:
# packages already present are not reinstalled, and the build is incremental.
#   scripts/setup.sh            debug build (what the tests use)
#   scripts/setup.sh release    also a release build (benchmarks, demo)
#   scripts/setup.sh release-only   the release build only (the demo)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libzstd-dev zstd libfuse3-dev fuse3 liburing-dev pkg-config fio fuse2fs
          libclang-rt-14-dev-wasm32 vim-nox tmux git dpkg-dev bc make patch zlib1g-dev
          python3 autoconf automake zip)   # python3: pty-driving tests; autotools: the dash recipe;
                                           # zip: busybox's unzip test, natively (busybox-testsuite.sh)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
    $sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
# KANDELO_SWIFTPM_IGNORE_LOCK=1: build without taking .build's lock. Only for a caller that
# holds it while nothing builds — the test suite (`swift test`) running scripts/demo.sh.
lock=()
[ "${KANDELO_SWIFTPM_IGNORE_LOCK:-0}" = 1 ] && lock=(--ignore-lock)
# Our products only: a bare `swift build` also builds every target of the dependencies
# (WasmKit's CLI, swift-syntax ...), minutes for nothing.
products=(kandelo-image kandelo-mount kandelo-launch kandelo-runner)
if [ "${1:-}" != release-only ]; then
    echo "setup: building (debug)" >&2
    for p in "${products[@]}"; do swift build "${lock[@]}" --product "$p"; done
fi
if [ "${1:-}" = release ] || [ "${1:-}" = release-only ]; then
    echo "setup: building (release)" >&2
    for p in "${products[@]}"; do swift build "${lock[@]}" -c release --product "$p"; done
fi
