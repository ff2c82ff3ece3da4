#!/usr/bin/env bash
# Man pages for kandelo-image, kandelo-mount and kandelo-launch, generated from the
# commands' own argument parsers by swift-argument-parser's `generate-manual` tool (the
# tool behind its `generate-manual` package plugin, built alone: the plugin would first
# build every target of the package graph). mdoc format, one page per command plus one per
# kandelo-image subcommand.
#
#   scripts/gen-manpages.sh [--bin DIR] [--out DIR]
#     --bin  where the commands are (default: the release build's bin directory)
#     --out  where the pages go (default: .build/man/man1)
# The pages' date is SOURCE_DATE_EPOCH when set (reproducible), else today.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
lock=(); [ "${KANDELO_SWIFTPM_IGNORE_LOCK:-0}" = 1 ] && lock=(--ignore-lock)   # see scripts/setup.sh
bin= out=.build/man/man1
while (($#)); do
    case $1 in
        --bin) bin=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "gen-manpages.sh: unknown argument $1" >&2; exit 64 ;;
    esac
done
[ -n "$bin" ] || bin=$(swift build "${lock[@]}" -c release --show-bin-path)
swift build "${lock[@]}" -c release --product generate-manual >&2
tool=$(swift build "${lock[@]}" -c release --show-bin-path)/generate-manual
date=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%F)
mkdir -p "$out"
for c in kandelo-image kandelo-mount kandelo-launch; do
    [ -x "$bin/$c" ] || { echo "gen-manpages.sh: $bin/$c is missing" >&2; exit 1; }
    "$tool" "$bin/$c" --multi-page --date "$date" --output-directory "$out"
done
ls "$out"/*.1 >/dev/null
