#!/usr/bin/env bash
# Whole-capture cost of the command line on two real captures recorded from
# Ceph (scripts/record-lab.sh bench-crc, bench-secure: `rados bench` 4 MiB
# writes then reads, cephx), each command beside a floor measured in the
# same run and beside tshark:
#   floor   examples/floor.rs: a pcap-parser walk of every packet and CRC32C
#           of every packet byte, the least a verify of crc frames must do
#   crc     loopback at MTU 1500 without TSO/GSO: over a million packets
#   secure  64 KiB loopback packets, opened with the recorded keys
# Each row is the best wall time of RUNS runs (warm page cache), its ratio to
# the floor, the highest peak RSS of those runs (/usr/bin/time %M) and the
# exit status. Rows with -j are added when the binary accepts -j, and a
# --no-mmap row (the file read with read(), where -j 2 maps it by default)
# when it accepts that, else an --mmap row when it accepts that. The
# binary is built with the cargo feature `parquet`, for the rows of
# `-T parquet -w` (the export of every row to a Parquet file).
#
#   scripts/bench-throughput.sh
#
# Environment:
#   RUNS            runs per row, the best one counts (default 3)
#   BENCH_DIR       where captures are recorded when missing (default
#                   /tmp/cephshark-bench; recording needs root, see
#                   scripts/record-lab.sh for BENCH_SECONDS, BENCH_OBJECTS)
#   CRC_CAPTURE     the MTU-1500 crc capture (default BENCH_DIR/lab-bench-crc.pcap)
#   SECURE_CAPTURE  the secure capture (default BENCH_DIR/lab-bench-secure.pcap)
#   SECURE_KEYS     its key file (default SECURE_CAPTURE with .keys for .pcap)
#   JOBS            the -j value, when -j exists (default 2)
# Last, the terminal UI's first screen and whole-capture listing on the crc
# capture (examples/tui_bench), with its peak RSS.
# Captures stay where they are, to be reused; they are never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
dir=${BENCH_DIR:-/tmp/cephshark-bench}
crc=${CRC_CAPTURE:-$dir/lab-bench-crc.pcap}
sec=${SECURE_CAPTURE:-$dir/lab-bench-secure.pcap}
keys=${SECURE_KEYS:-${sec%.pcap}.keys}
jobs=${JOBS:-2}

record() {
    local scenario=$1 file=$2
    [ -s "$file" ] && return 0
    if [ "$file" != "$dir/lab-$scenario.pcap" ]; then
        echo "bench-throughput.sh: $file does not exist" >&2
        exit 2
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "bench-throughput.sh: $file is missing; record it as root with" \
            "scripts/record-lab.sh $scenario $dir" >&2
        exit 2
    fi
    scripts/record-lab.sh "$scenario" "$dir"
}
record bench-crc "$crc"
record bench-secure "$sec"
[ -s "$keys" ] || { echo "bench-throughput.sh: no key file $keys" >&2; exit 2; }

# With Parquet export (the cargo feature), for its row.
cargo build --release --quiet --features parquet --bin cephshark --example floor --example tui_bench
bin=target/release/cephshark
floor=target/release/examples/floor
command -v tshark >/dev/null || echo "(tshark not installed: its rows are left out)"
# -j N, once the binary has it (top level or verify).
par=
if "$bin" --help 2>/dev/null | grep -qE '^ +-j[ ,]' &&
    "$bin" verify --help 2>/dev/null | grep -qE '^ +-j[ ,]'; then
    par=$jobs
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cephshark-bench-throughput.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Best wall time (s), highest peak RSS (KiB) and the last exit status of
# RUNS runs of a command, as "secs kib status".
measure() {
    local best= top=0 status=0 t0 t1 kib i
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N)
        /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" && status=0 || status=$?
        t1=$(date +%s%N)
        kib=$(tail -1 "$tmp/rss")
        [ "$kib" -gt "$top" ] && top=$kib
        if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then best=$((t1 - t0)); fi
    done
    echo "$best $top $status"
}
printf '%-34s %9s %8s %10s %5s\n' run seconds "x floor" "RSS MiB" exit
row() {
    local name=$1 fl=$2 ns kib status
    shift 2
    read -r ns kib status < <(measure "$@")
    python3 - "$name" "$ns" "$fl" "$kib" "$status" <<'PY'
import sys
name, ns, fl, kib, status = sys.argv[1], *map(int, sys.argv[2:])
fl = fl or ns  # the floor's own row
print(f"{name:<34} {ns / 1e9:9.2f} {ns / fl:7.1f}x {kib / 1024:10.1f} {status:5}")
PY
    echo "$ns" >"$tmp/last"
}
capture() {
    local label=$1 file=$2 fl
    shift 2
    cat "$file" >/dev/null # warm the page cache
    echo "-- $label: $file, $(stat -c %s "$file") bytes, $("$floor" "$file" | cut -d, -f1)"
    row "floor (walk + crc32c)" 0 "$floor" "$file"
    fl=$(cat "$tmp/last")
    # With -j, the plain rows run on one thread (-j 1): the default is
    # every core, which the -j rows show.
    one=()
    [ -n "$par" ] && one=(-j 1)
    row "cephshark verify${par:+ -j 1}" "$fl" "$bin" verify "${one[@]}" "$file" "$@"
    [ -n "$par" ] && row "cephshark verify -j $par" "$fl" "$bin" verify -j "$par" "$file" "$@"
    # The other way of reading the file: with read() where mapping is the
    # default, mapped where the binary can but does not by default.
    if [ -n "$par" ] && "$bin" --help 2>/dev/null | grep -q -- '--no-mmap'; then
        row "cephshark verify -j $par --no-mmap" "$fl" "$bin" verify -j "$par" --no-mmap "$file" "$@"
    elif [ -n "$par" ] && "$bin" --help 2>/dev/null | grep -q -- '--mmap'; then
        row "cephshark verify -j $par --mmap" "$fl" "$bin" verify -j "$par" --mmap "$file" "$@"
    fi
    row "cephshark -q -z conv${par:+ -j 1}" "$fl" "$bin" -r "$file" -q -z conv "${one[@]}" "$@"
    [ -n "$par" ] && row "cephshark -q -z conv -j $par" "$fl" "$bin" -r "$file" -q -z conv -j "$par" "$@"
    row "cephshark -T parquet -w${par:+ -j 1}" "$fl" "$bin" -r "$file" -T parquet -w "$tmp/rows.parquet" "${one[@]}" "$@"
    [ -n "$par" ] && row "cephshark -T parquet -w -j $par" "$fl" "$bin" -r "$file" -T parquet -w "$tmp/rows.parquet" -j "$par" "$@"
    if command -v tshark >/dev/null; then row "tshark -q" "$fl" tshark -r "$file" -q; fi
}
capture "crc, MTU 1500" "$crc"
capture "secure, 64 KiB packets, with keys" "$sec" --keys "$keys"
# The terminal UI on the crc capture: the reader thread, list and drawing of
# `cephshark FILE`, headless (examples/tui_bench). Goal: the first screen
# under 1 s, and the rows streaming in (screens drawn) until all are listed.
echo "-- terminal UI (headless, 100x30): $crc"
target/release/examples/tui_bench "$crc" | grep -E '^(rows|first screen|loaded|peak RSS)'
echo "(best wall time of $runs runs, warm page cache; x floor: over the floor's best in the same"
echo " run; RSS: highest peak of the runs; goals: crc verify and -q -z conv <= 1.5x, secure"
echo " verify with keys <= 3x, -T parquet within 2x of verify, peak RSS <= 64 MiB; -j rows"
echo " only once the binary has -j)"
