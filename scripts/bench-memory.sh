#!/usr/bin/env bash
# Peak memory under captures built to exhaust it (examples/gen_hostile.rs),
# next to the memory cap: never committed, generated on demand.
#
#   scripts/bench-memory.sh [SYN_FLOWS] [HALF_CONNS] [PENDING] [CEPHSHARK]
#       defaults: 1000000 SYN-only flows; 200000 connections each holding
#       the first 6000 bytes of a 12000-byte frame; target/release/cephshark
#
# Targets: the SYN flood stays within 256 MB; the half frames stay within
# the default cap (1 GiB) plus a fixed margin, with evictions reported and
# `verify` exiting 1. Pass another binary as CEPHSHARK to compare.
set -uo pipefail
cd "$(dirname "$0")/.."
syn=${1:-1000000}
half=${2:-200000}
pending=${3:-6000}
bin=${4:-target/release/cephshark}
dir=${TMPDIR:-/tmp}/cephshark-memory
mkdir -p "$dir"

cargo build --release --quiet --bin cephshark --example gen_hostile || exit 2
[ -s "$dir/syn-$syn.pcap" ] || target/release/examples/gen_hostile syn "$syn" "$dir/syn-$syn.pcap"
[ -s "$dir/half-$half-$pending.pcap" ] ||
    target/release/examples/gen_hostile half "$half" "$dir/half-$half-$pending.pcap" "$pending"

cap=$("$bin" --help 2>/dev/null | grep -q -- --memcap && echo "1024 MiB (default)" || echo "none")
measure() {
    local what=$1; shift
    local rss code evicted
    /usr/bin/time -f "%M" -o "$dir/rss" "$@" >"$dir/out" 2>/dev/null
    code=$?
    rss=$(tail -1 "$dir/rss")
    evicted=$(grep -c "memcap_evicted" "$dir/out")
    printf "%-34s peak RSS %6d MiB   cap %-18s exit %d   eviction rows listed %d\n" \
        "$what" $((rss / 1024)) "$cap" "$code" "$evicted"
    grep -E "(OK|FAILED) —" "$dir/out" | sed 's/^/    /'
}
measure "verify, $syn SYN-only flows" "$bin" verify "$dir/syn-$syn.pcap"
measure "-z conv, $syn SYN-only flows" "$bin" -r "$dir/syn-$syn.pcap" -q -z conv
measure "verify, $half half frames" "$bin" verify "$dir/half-$half-$pending.pcap"
measure "-z conv, $half half frames" "$bin" -r "$dir/half-$half-$pending.pcap" -q -z conv
echo "captures kept in $dir (remove them when done)"
