#!/usr/bin/env bash
# Installs Kandelo for Linux like a Linux tool: release builds of the commands, the SDK
# with its prebuilt sysroot, man pages and shell completions generated from the commands'
# own help, the mount(8) helper and a systemd template unit. Uninstall with
# scripts/uninstall.sh PREFIX (or `scripts/install.sh --uninstall PREFIX`), which removes
# exactly what the install wrote (listed in PREFIX/lib/kandelo/installed-files).
#
#   scripts/install.sh [--no-build] [PREFIX]        PREFIX defaults to /usr/local
#   scripts/install.sh --uninstall [PREFIX]
#
# What goes where (PREFIX=/usr/local):
#   bin/kandelo-image kandelo-mount kandelo-launch kandelo-runner   release builds (the
#                                   runner must sit beside kandelo-launch and kandelo-mount)
#   bin/kandelo-cc, -ar, -nm, -ranlib, -strip, -pkg-config, -configure
#                                   wrappers running lib/kandelo/sdk/bin/* with the
#                                   installed sysroot (KANDELO_SYSROOT)
#   lib/kandelo/sdk/                the SDK (scripts, musl port, headers, CMake toolchain)
#   lib/kandelo/sysroot/            the wasm32 sysroot (sdk/build-sysroot.sh's, copied)
#   share/man/man1/*.1              man pages (swift-argument-parser's generate-manual)
#   share/bash-completion/completions/, share/zsh/site-functions/,
#   share/fish/vendor_completions.d/    completions (--generate-completion-script)
#   lib/systemd/system/kandelo-mount@.service   serve an image at boot (see README)
#   SBINDIR/mount.fuse.kandelo -> bin/kandelo-mount   mount -t fuse.kandelo, fstab
#
# SBINDIR: mount(8) looks for helpers in /sbin only, so a system install (PREFIX /usr or
# /usr/local, as root) links /sbin/mount.fuse.kandelo; any other PREFIX gets PREFIX/sbin
# (set SBINDIR to choose). DESTDIR is honoured (staged installs for packaging).
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
prog=install.sh
die() { echo "$prog: error: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }

build=1 uninstall=0
args=()
for a in "$@"; do
    case $a in
        --uninstall) uninstall=1 ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        -*) die "unknown option $a (see --help)" ;;
        *) args+=("$a") ;;
    esac
done
((${#args[@]} <= 1)) || die "one PREFIX at most (see --help)"
prefix=${args[0]:-/usr/local}
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
prefix=${prefix%/}
[ $uninstall = 0 ] || exec "$repo/scripts/uninstall.sh" "$prefix"
destdir=${DESTDIR:-}
if [ -z "${SBINDIR:-}" ]; then
    if [ "$(id -u)" = 0 ] && { [ "$prefix" = /usr ] || [ "$prefix" = /usr/local ]; }; then SBINDIR=/sbin
    else SBINDIR=$prefix/sbin; fi
fi

command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
lock=(); [ "${KANDELO_SWIFTPM_IGNORE_LOCK:-0}" = 1 ] && lock=(--ignore-lock)   # see scripts/setup.sh
products=(kandelo-image kandelo-mount kandelo-launch kandelo-runner)
cd "$repo"
if [ $build = 1 ]; then
    say "building release: ${products[*]}"
    for p in "${products[@]}"; do swift build "${lock[@]}" -c release --product "$p" >&2; done
fi
bin=$(swift build "${lock[@]}" -c release --show-bin-path)
for p in "${products[@]}"; do [ -x "$bin/$p" ] || die "$bin/$p is missing (run without --no-build)"; done

say "the SDK's sysroot (built once, cached)"
sysroot=$(sdk/build-sysroot.sh --print-sysroot) || die "sdk/build-sysroot.sh failed"

manifest_rel=lib/kandelo/installed-files
manifest=$destdir$prefix/$manifest_rel
if [ -f "$manifest" ]; then
    say "removing the previous install first"
    "$repo/scripts/uninstall.sh" "$prefix" >&2
fi

# Everything written is recorded (files and links; then the directories we created), so
# uninstall removes exactly that.
staging=$(mktemp)
trap 'rm -f "$staging"' EXIT
created_dirs=()
mkdir_p() { # creates DIR and the parents it needs, remembering which were new
    local d=$1 missing=()
    while [ ! -d "$destdir$d" ]; do missing+=("$d"); d=$(dirname "$d"); done
    local i
    for ((i = ${#missing[@]} - 1; i >= 0; i--)); do
        mkdir -m 0755 "$destdir${missing[i]}"
        created_dirs+=("${missing[i]}")
    done
}
put() { # put MODE SRC DEST
    mkdir_p "$(dirname "$3")"
    install -m "$1" "$2" "$destdir$3"
    echo "$3" >>"$staging"
}
put_text() { # put_text MODE DEST  (content on stdin)
    mkdir_p "$(dirname "$2")"
    cat >"$destdir$2"
    chmod "$1" "$destdir$2"
    echo "$2" >>"$staging"
}
put_link() { # put_link TARGET DEST
    mkdir_p "$(dirname "$2")"
    ln -sfn "$1" "$destdir$2"
    echo "$2" >>"$staging"
}
put_tree() { # put_tree SRCDIR DESTDIR: regular files and links, modes kept
    local src=$1 dst=$2 f
    while IFS= read -r -d '' f; do
        f=${f#./}
        mkdir_p "$(dirname "$dst/$f")"
        if [ -L "$src/$f" ]; then
            ln -sfn "$(readlink "$src/$f")" "$destdir$dst/$f"
        else
            install -m "$(stat -c %a "$src/$f")" "$src/$f" "$destdir$dst/$f"
        fi
        echo "$dst/$f" >>"$staging"
    done < <(cd "$src" && find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z)
}

say "installing into $destdir$prefix"
mkdir_p "$prefix/$(dirname "$manifest_rel")"
for p in "${products[@]}"; do put 0755 "$bin/$p" "$prefix/bin/$p"; done

# The SDK: its scripts find lib/common.sh and the port through their own (resolved)
# location; the wrappers in bin point them at the installed sysroot.
sdk=$prefix/lib/kandelo/sdk
for part in bin lib include musl-wasm32 cmake; do put_tree "sdk/$part" "$sdk/$part"; done
for f in build-sysroot.sh fetch-debian-source.sh; do put 0755 "sdk/$f" "$sdk/$f"; done
for f in README.md ABI.md; do put 0644 "sdk/$f" "$sdk/$f"; done
put_tree "$sysroot" "$prefix/lib/kandelo/sysroot"
for tool in sdk/bin/kandelo-*; do
    name=$(basename "$tool")
    put_text 0755 "$prefix/bin/$name" <<EOF
#!/bin/sh
# $name of Kandelo for Linux, installed by scripts/install.sh: the SDK's own script with
# the sysroot installed beside it (KANDELO_SYSROOT in the environment wins).
KANDELO_SYSROOT=\${KANDELO_SYSROOT:-$prefix/lib/kandelo/sysroot}
export KANDELO_SYSROOT
# The SDK names a cache directory from HOME even when it needs none; an empty environment
# (env -i, systemd units) has no HOME.
if [ -z "\${KANDELO_CACHE:-}\${XDG_CACHE_HOME:-}\${HOME:-}" ]; then
    KANDELO_CACHE=\${TMPDIR:-/tmp}/kandelo-cache-\$(id -u)
    export KANDELO_CACHE
fi
exec "$sdk/bin/$name" "\$@"
EOF
done

# Man pages and completions, from the commands' own argument parsers.
gen=$(mktemp -d)
trap 'rm -f "$staging"; rm -rf "$gen"' EXIT
"$repo/scripts/gen-manpages.sh" --bin "$bin" --out "$gen/man1" >&2
for page in "$gen"/man1/*.1; do put 0644 "$page" "$prefix/share/man/man1/$(basename "$page")"; done
for c in kandelo-image kandelo-mount kandelo-launch; do
    "$bin/$c" --generate-completion-script bash >"$gen/$c.bash"
    "$bin/$c" --generate-completion-script zsh >"$gen/_$c"
    "$bin/$c" --generate-completion-script fish >"$gen/$c.fish"
    put 0644 "$gen/$c.bash" "$prefix/share/bash-completion/completions/$c"
    put 0644 "$gen/_$c" "$prefix/share/zsh/site-functions/_$c"
    put 0644 "$gen/$c.fish" "$prefix/share/fish/vendor_completions.d/$c.fish"
done

# systemd: kandelo-mount@<systemd-escape -p IMAGE>.service serves IMAGE (see README).
put_text 0644 "$prefix/lib/systemd/system/kandelo-mount@.service" <<EOF
# Serve a Kandelo image with kandelo-mount (FUSE mount + the guests' service).
# Instance: the image's absolute path, escaped (%f gives it back, with its leading /):
#   systemctl enable --now "kandelo-mount@\$(systemd-escape -p /srv/rootfs.vfs).service"
# Mount point: /run/kandelo/<instance name> (e.g. /run/kandelo/srv-rootfs.vfs), unless
# /etc/kandelo/<instance name>.conf sets MOUNTPOINT=DIR (and OPTIONS=-o opt,... if any).
# Stopping the unit (or shutdown) unmounts and writes the image back.
[Unit]
Description=Kandelo image %f served by kandelo-mount
Documentation=man:kandelo-mount(1)
After=local-fs.target
RequiresMountsFor=%f

[Service]
Type=simple
Environment=MOUNTPOINT=/run/kandelo/%i OPTIONS=
EnvironmentFile=-/etc/kandelo/%i.conf
ExecStartPre=/bin/mkdir -p \${MOUNTPOINT}
ExecStart=$prefix/bin/kandelo-mount --foreground --quiet \$OPTIONS %f \${MOUNTPOINT}
# SIGTERM ends the guests, unmounts and checkpoints; the runners are its children.
KillMode=mixed
TimeoutStopSec=120

[Install]
WantedBy=multi-user.target
EOF

put_link "$prefix/bin/kandelo-mount" "$SBINDIR/mount.fuse.kandelo"

# The record, last: itself, files and links, then the directories it created, deepest
# first (each was created after its parent).
for ((i = ${#created_dirs[@]} - 1; i >= 0; i--)); do echo "${created_dirs[i]}/" >>"$staging"; done
echo "$prefix/$manifest_rel" | cat - "$staging" >"$manifest"
chmod 0644 "$manifest"
say "installed $(($(wc -l <"$manifest") - 1)) entries; uninstall with: $repo/scripts/uninstall.sh $prefix"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) say "note: $prefix/bin is not on your PATH" ;; esac
[ "$SBINDIR" = /sbin ] || say "note: mount(8) finds helpers in /sbin only; link $SBINDIR/mount.fuse.kandelo there for mount -t fuse.kandelo"
