#!/usr/bin/env bash
# Measure the command line on a large capture: throughput and peak memory
# of `cephshark verify` and of the frame list, on a capture synthesised on
# demand (never committed): a real capture's packets replicated COPIES
# times on their own loopback addresses (examples/gen_capture.rs).
#
#   scripts/bench-large.sh [COPIES] [INPUT]   default: 160 copies of captures/none-crc.pcap (~1 GB)
#
# Memory must stay flat as the capture grows: it is bounded by the data in
# flight per connection, not by the capture's size.
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-160}
input=${2:-captures/none-crc.pcap}
out=${TMPDIR:-/tmp}/cephshark-large-$copies.pcap

cargo build --release --quiet --bin cephshark --example gen_capture
if [ ! -s "$out" ]; then
    echo "generating $out ($copies copies of $input)"
    target/release/examples/gen_capture "$input" "$out" "$copies"
fi
size=$(stat -c %s "$out")
echo "capture: $out, $size bytes"
measure() {
    local what=$1; shift
    local t0 t1 rss
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$out.rss" "$@" >/dev/null 2>&1 || true
    rss=$(tail -1 "$out.rss" 2>/dev/null || echo "?")
    t1=$(date +%s.%N)
    python3 - "$what" "$size" "$t0" "$t1" "$rss" <<'PY'
import sys
what, size, t0, t1, rss = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
secs = t1 - t0
print(f"{what:<28} {secs:7.2f} s  {size / secs / 2**20:8.1f} MiB/s  max RSS {int(rss) // 1024 if rss.isdigit() else '?'} MiB")
PY
}
measure "verify" target/release/cephshark verify "$out"
measure "list (-r, text)" target/release/cephshark -r "$out"
measure "list (-T jsonl)" target/release/cephshark -r "$out" -T jsonl
measure "-z msgs -q" target/release/cephshark -r "$out" -z msgs -q
rm -f "$out.rss"
[ -n "${KEEP:-}" ] || rm -f "$out"
