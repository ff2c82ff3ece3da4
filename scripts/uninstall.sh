#!/usr/bin/env bash
# Removes what scripts/install.sh installed into PREFIX (default /usr/local): exactly the
# files, links and directories listed in PREFIX/lib/kandelo/installed-files. A directory
# the install created is removed only when empty (something else put there stays).
#
#   scripts/uninstall.sh [PREFIX]          (also: scripts/install.sh --uninstall [PREFIX])
# DESTDIR is honoured as by install.sh.
set -euo pipefail
prog=uninstall.sh
die() { echo "$prog: error: $*" >&2; exit 1; }
case ${1:-} in -h|--help) sed -n '2,7p' "$0"; exit 0 ;; esac
(($# <= 1)) || die "one PREFIX at most"
prefix=${1:-/usr/local}
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
prefix=${prefix%/}
destdir=${DESTDIR:-}
manifest=$destdir$prefix/lib/kandelo/installed-files
[ -f "$manifest" ] || die "nothing to uninstall: $manifest does not exist (was Kandelo installed into $prefix?)"
mapfile -t entries <"$manifest"
removed=0
for e in "${entries[@]}"; do
    case $e in
        */) ;;
        /*) if [ -e "$destdir$e" ] || [ -L "$destdir$e" ]; then rm -f -- "$destdir$e"; removed=$((removed + 1)); fi ;;
        *) die "$manifest: not an absolute path: $e" ;;
    esac
done
for e in "${entries[@]}"; do
    case $e in */) rmdir -- "$destdir${e%/}" 2>/dev/null || true ;; esac
done
echo "$prog: removed $removed files from $destdir$prefix" >&2
