#!/usr/bin/env bash
# scripts/fuzz.sh — runs the fuzz targets, each for a fixed time, and prints one parseable
# line per target:
#
#   fuzz: TARGET execs=N seconds=S execs_per_s=R crashes=K
#
#   scripts/fuzz.sh [--seconds N] [--no-build] [TARGET...]
#
# Targets (default: all): the libFuzzer targets of Fuzz/Package.swift, built with
# `-sanitize=fuzzer,address` in their own build directory (Fuzz/.build, release):
#   image     image loader + fsck + walk/read/edit of whatever loads (fuzz-image)
#   manifest  the mkrootfs manifest parser and validator (fuzz-manifest)
#   fsops     the filesystem operations the FUSE mount serves, against a model (fuzz-fsops)
# and the kernel's syscall layer, which runs guests rather than libFuzzer:
#   syscalls  Tests/LaunchTests/SyscallFuzzTests.swift's guest (random and hostile syscalls,
#             many processes at once, through kandelo-mount + kandelo-launch --mount) for
#             N seconds, checking after each round that the service is alive and has not
#             leaked (execs = guest syscalls issued)
#
# A libFuzzer target that crashes is restarted until its time is used; every crashing
# input is kept in $FUZZ_DIR/TARGET/crashes (default FUZZ_DIR: ~/.cache/kandelo/fuzz), the
# growing corpus in $FUZZ_DIR/TARGET/corpus. A crash becomes a regression test by copying
# the input under Tests/VFSImageTests/Fixtures/fuzz/ (see Documentation/fuzzing.md).
# Exit status: 0 when no target crashed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
die() { echo "fuzz.sh: $*" >&2; exit 2; }

seconds=60 build=1 targets=()
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) [ $# -ge 2 ] || die "--seconds needs a number"; seconds=$2; shift ;;
    --no-build) build="" ;;
    -h|--help) sed -n 2,27p "$0"; exit 0 ;;
    image|manifest|fsops|syscalls) targets+=("$1") ;;
    *) echo "usage: fuzz.sh [--seconds N] [--no-build] [image|manifest|fsops|syscalls]..." >&2; exit 64 ;;
    esac
    shift
done
[ ${#targets[@]} -gt 0 ] || targets=(image manifest fsops syscalls)
case $seconds in ''|*[!0-9]*) die "--seconds takes a whole number" ;; esac

fuzz_dir=${FUZZ_DIR:-$HOME/.cache/kandelo/fuzz}
mkdir -p "$fuzz_dir"
fuzz_build=(-c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address --disable-dead-strip)
needs_libfuzzer=""
for t in "${targets[@]}"; do [ "$t" = syscalls ] || needs_libfuzzer=1; done

if [ -n "$build" ] && [ -n "$needs_libfuzzer" ]; then
    echo "fuzz.sh: building the fuzz targets (Fuzz/.build)..." >&2
    (cd Fuzz && swift build "${fuzz_build[@]}" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" >&2) \
        || die "building the fuzz targets failed"
    # kandelo-image makes the image seeds.
    swift build --product kandelo-image >&2 || die "swift build kandelo-image failed"
fi
fbin=$(cd Fuzz && swift build "${fuzz_build[@]}" --show-bin-path)
bin=$(swift build --show-bin-path)

# Seeds, made fresh each run (cheap), beside the corpus libFuzzer grows.
seed_image() {
    local seeds=$1 bases=$2 tmp
    tmp=$(mktemp -d)
    mkdir -p "$tmp/t/etc/deep" "$tmp/t/usr/bin" "$tmp/t/tmp" "$seeds" "$bases"
    printf 'root:x:0:0::/root:/bin/sh\n' > "$tmp/t/etc/passwd"
    head -c 70000 /dev/urandom > "$tmp/t/usr/bin/big"
    ln -sf /etc/passwd "$tmp/t/etc/link"
    ln -sf "$(printf 'x/%.0s' $(seq 40))" "$tmp/t/etc/deep/long"
    ln "$tmp/t/etc/passwd" "$tmp/t/etc/deep/hard"
    mkfifo "$tmp/t/tmp/fifo"
    "$bin/kandelo-image" build --from-dir "$tmp/t" -o "$seeds/small.vfs" --sab-size 131072 --quiet
    "$bin/kandelo-image" build --from-dir "$tmp/t" -o "$seeds/small.vfs.zst" --sab-size 131072 --quiet
    mkdir -p "$tmp/e"
    "$bin/kandelo-image" build --from-dir "$tmp/e" -o "$seeds/empty.vfs" --sab-size 65536 --quiet
    cp ../shared/reference-images/basic-oracle.vfs.zst "$seeds/" 2>/dev/null || true
    # The decompressed reference images are bases for the patch form (16 MiB each: too big
    # to mutate whole, see Fuzz/Sources/fuzz-image/Target.swift).
    for z in ../shared/reference-images/*.vfs.zst; do
        [ -e "$z" ] && zstd -q -d -f "$z" -o "$bases/$(basename "${z%.zst}")"
    done
    # A few patch-form inputs (first byte: base; then region, offset, length, bytes).
    printf '\x00\x01\x00\x00\x04\xff\xff\xff\xff' > "$seeds/patch-superblock"
    printf '\x00\x04\x30\x00\x04\x00\x00\x00\x7f' > "$seeds/patch-inode"
    printf '\x01\x05\x04\x00\x02\xf0\x7f' > "$seeds/patch-dirent"
    rm -rf "$tmp"
}

seed_manifest() {
    local seeds=$1
    mkdir -p "$seeds"
    cp images/MANIFEST "$seeds/MANIFEST"
    cp ../shared/reference-images/packages-fragment.MANIFEST "$seeds/" 2>/dev/null || true
    cat > "$seeds/every-kind" <<'EOF'
# every kind of line
/ d 0755 0 0
/etc d 0755
/etc/passwd f 0644 0 0 src=etc/passwd
/usr/bin/tool f 0755 0 0 lazy_url=https://example.invalid/tool.wasm lazy_size=1234
/bin/sh l 0777 0 0 target=busybox
/dev/null c 0666 0 0 major=1 minor=3
/dev/sda b 0660 0 6 major=8 minor=0
archive url=pkg.zip base=/opt fmode=0644 fmode_policy=preserve-executable dmode=0755 uid=0 gid=0
EOF
}

# Runs libFuzzer binary $2 for target $1 for $seconds, restarting after crashes.
run_libfuzzer() {
    local t=$1 exe=$2 extra=("${@:3}")
    local dir=$fuzz_dir/$t corpus crashes seeds log
    corpus=$dir/corpus crashes=$dir/crashes seeds=$dir/seeds log=$dir/last.log
    mkdir -p "$corpus" "$crashes"
    rm -rf "$seeds"
    case $t in
    image) seed_image "$seeds" "$dir/bases"
           # FUZZ_IMAGE_BASES=DIR adds the 16 MiB reference images as patch bases: deeper,
           # but ~20x slower per input, so only on request (FUZZ_REFERENCE_BASES=1).
           if [ -n "${FUZZ_REFERENCE_BASES:-}" ]; then export FUZZ_IMAGE_BASES=$dir/bases; else unset FUZZ_IMAGE_BASES; fi ;;
    manifest) seed_manifest "$seeds" ;;
    fsops) mkdir -p "$seeds"; printf '\x01\x00a\xed\x01\x00\x00b\xa4\x01\x03\x00\x00\x10\x20\x41' > "$seeds/mkdir-create-write" ;;
    esac
    local start now left execs=0 crashed=0 before after
    start=$(date +%s)
    : > "$log"
    while :; do
        now=$(date +%s); left=$((seconds - (now - start)))
        [ "$left" -gt 0 ] || break
        before=$(ls "$crashes" | wc -l)
        # -timeout: an input running longer than 10 s is a hang (reported as a crash).
        "$exe" -max_total_time="$left" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
            -artifact_prefix="$crashes/" "${extra[@]}" "$corpus" "$seeds" >> "$log" 2>&1 || true
        after=$(ls "$crashes" | wc -l)
        local n
        n=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{ print $2 }')
        execs=$((execs + ${n:-0}))
        # Stats lines are per run; keep only the next run's.
        mv "$log" "$log.prev"; : > "$log"
        cat "$log.prev" >> "$dir/history.log"
        if [ "$after" -gt "$before" ]; then
            crashed=$((crashed + after - before))
            echo "fuzz.sh: $t crashed; input kept in $crashes (see $dir/history.log)" >&2
            grep -m3 -E "Fatal error|ERROR: AddressSanitizer|SUMMARY|deadly signal|timeout" "$log.prev" >&2 || true
        elif [ "${n:-0}" -eq 0 ]; then
            echo "fuzz.sh: $t ran nothing; see $dir/history.log" >&2; crashed=$((crashed + 1)); break
        fi
    done
    local elapsed=$(( $(date +%s) - start ))
    [ "$elapsed" -gt 0 ] || elapsed=1
    echo "fuzz: $t execs=$execs seconds=$elapsed execs_per_s=$((execs / elapsed)) crashes=$crashed"
    [ "$crashed" -eq 0 ]
}

run_syscalls() {
    # The test itself runs rounds until KANDELO_SYSCALL_FUZZ_SECONDS are used and prints
    # the same kind of line.
    local out status=0
    out=$(mktemp)
    [ -z "$build" ] || swift build --build-tests >&2 || die "swift build --build-tests failed"
    KANDELO_SYSCALL_FUZZ_SECONDS=$seconds swift test --skip-build --filter SyscallFuzzTests 2>&1 | tee "$out" >&2 || status=1
    local line
    line=$(grep -o 'fuzz: syscalls .*' "$out" | tail -1)
    rm -f "$out"
    if [ -z "$line" ]; then echo "fuzz: syscalls execs=0 seconds=0 execs_per_s=0 crashes=1"; return 1; fi
    echo "$line"
    return $status
}

failed=0
for t in "${targets[@]}"; do
    case $t in
    syscalls) run_syscalls || failed=1 ;;
    image) run_libfuzzer image "$fbin/fuzz-image" -max_len=262144 || failed=1 ;;
    *) run_libfuzzer "$t" "$fbin/fuzz-$t" || failed=1 ;;
    esac
done
exit $failed
