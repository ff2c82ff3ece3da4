#!/usr/bin/env bash
# fetch-debian-source.sh — fetch and unpack a Debian source package.
#
#   sdk/fetch-debian-source.sh PKG DESTDIR     unpack PKG's source into DESTDIR and print
#                                               the unpacked directory (last stdout line)
#   sdk/fetch-debian-source.sh --version PKG   print the source version apt would fetch
#
# No deb-src entry is shipped with the system, and no archive host name is written
# in this repository: the entry is derived at run time from the machine's own
# /etc/apt/sources.list.d/*.sources (deb822) or /etc/apt/sources.list (one-line)
# files by turning "deb" into "deb-src", written to
# /etc/apt/sources.list.d/kandelo-src.{sources,list}, followed by `apt-get update`.
# Needs root (or sudo) the first time only. Unpacking needs dpkg-dev (dpkg-source).
#
# Re-running is cheap: an already unpacked version in DESTDIR is reused.
set -euo pipefail

prog=$(basename "$0")
die() { echo "$prog: error: $*" >&2; exit 1; }
log() { echo "$prog: $*" >&2; }

SRC_LIST_DIR=${KANDELO_APT_SOURCES_DIR:-/etc/apt/sources.list.d}
DERIVED_DEB822="$SRC_LIST_DIR/kandelo-src.sources"
DERIVED_LEGACY="$SRC_LIST_DIR/kandelo-src.list"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $* (no sudo found)"; fi
}

# Wait for another apt/dpkg process (e.g. a background install) to release its locks.
wait_for_apt() {
    local n=0
    while pgrep -x apt-get >/dev/null 2>&1 || pgrep -x apt >/dev/null 2>&1 \
          || pgrep -x dpkg >/dev/null 2>&1; do
        [ $n = 0 ] && log "waiting for a running apt-get/dpkg to finish..."
        n=$((n + 1)); [ $n -gt 600 ] && die "apt-get/dpkg still busy after 10 minutes"
        sleep 1
    done
}

# Create the deb-src entry from the existing binary entries (once).
ensure_deb_src() {
    if [ -s "$DERIVED_DEB822" ] || [ -s "$DERIVED_LEGACY" ]; then return 0; fi
    local tmp; tmp=$(mktemp)
    # deb822 files: keep each stanza, make its Types deb-src.
    local f found=0
    for f in "$SRC_LIST_DIR"/*.sources; do
        [ -e "$f" ] || continue
        case "$f" in "$DERIVED_DEB822") continue ;; esac
        if grep -Eq '^Types:.*\bdeb\b' "$f"; then
            sed -E 's/^Types:.*$/Types: deb-src/' "$f" >>"$tmp"
            printf '\n' >>"$tmp"
            found=1
        fi
    done
    if [ $found = 1 ]; then
        log "deriving deb-src entries into $DERIVED_DEB822"
        as_root install -m 0644 "$tmp" "$DERIVED_DEB822"
    else
        # One-line format.
        : >"$tmp"
        for f in /etc/apt/sources.list "$SRC_LIST_DIR"/*.list; do
            [ -e "$f" ] || continue
            case "$f" in "$DERIVED_LEGACY") continue ;; esac
            sed -nE 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' "$f" >>"$tmp"
        done
        [ -s "$tmp" ] || { rm -f "$tmp"; die "no 'deb' entries found in /etc/apt to derive a deb-src entry from"; }
        log "deriving deb-src entries into $DERIVED_LEGACY"
        as_root install -m 0644 "$tmp" "$DERIVED_LEGACY"
    fi
    rm -f "$tmp"
    log "apt-get update (to read the source indexes)"
    wait_for_apt
    as_root apt-get update -qq >&2 || die "apt-get update failed"
}

# Print the candidate source version of $1 (empty if unknown).
source_version() {
    apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V | tail -n1
}

ensure_version() {
    local pkg=$1 v
    ensure_deb_src
    v=$(source_version "$pkg")
    if [ -z "$v" ]; then
        log "source package '$pkg' unknown; refreshing indexes"
        wait_for_apt
        as_root apt-get update -qq >&2 || die "apt-get update failed"
        v=$(source_version "$pkg")
    fi
    [ -n "$v" ] || die "no Debian source package named '$pkg'"
    echo "$v"
}

if [ "${1:-}" = "--version" ]; then
    [ $# = 2 ] || die "usage: $prog --version PKG"
    ensure_version "$2"
    exit 0
fi

[ $# = 2 ] || die "usage: $prog PKG DESTDIR   |   $prog --version PKG"
pkg=$1; dest=$2
command -v dpkg-source >/dev/null 2>&1 || die "dpkg-source missing: apt-get install dpkg-dev"

version=$(ensure_version "$pkg")
upver=${version#*:}          # drop epoch
upver_noderev=${upver%-*}    # upstream version (directory name)
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
stamp="$dest/.$pkg-$upver.fetched"
dir="$dest/$pkg-$upver_noderev"

if [ -f "$stamp" ] && [ -d "$dir" ]; then
    echo "$dir"; exit 0
fi

log "fetching Debian source $pkg $version into $dest"
rm -rf "$dir"
work=$(mktemp -d "$dest/.fetch-$pkg.XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt's sandbox user (_apt) must be able to write the download directory.
chmod 0777 "$work"
( cd "$work" && apt-get source -qq "$pkg=$version" >&2 ) || die "apt-get source $pkg=$version failed"
[ -d "$work/$pkg-$upver_noderev" ] || die "unpacked tree $pkg-$upver_noderev not found in $work"
mv "$work/$pkg-$upver_noderev" "$dir"
touch "$stamp"
echo "$dir"
