#!/usr/bin/env bash
# Measure the terminal UI on a large capture: time to first screen, time
# until the whole capture is listed, time to filter every row, time to draw
# one screen, and peak memory.
#
# The capture is synthesised on demand (never committed): a real capture's
# packets replicated COPIES times, each copy on its own loopback addresses
# and later in time (examples/gen_capture.rs), so every copy dissects like
# the original.
#
#   scripts/bench-tui.sh [COPIES] [INPUT]     default: 50 copies of captures/none-crc.pcap (~310 MB)
#
# The UI runs headless (examples/tui_bench.rs: the same reader thread,
# filter pump and drawing as `cephshark FILE`, drawn into ratatui's test
# backend at 100x30).
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-50}
input=${2:-captures/none-crc.pcap}
out=${TMPDIR:-/tmp}/cephshark-bench-$copies.pcap

cargo build --release --quiet --example gen_capture --example tui_bench
if [ ! -s "$out" ]; then
    echo "generating $out ($copies copies of $input)"
    target/release/examples/gen_capture "$input" "$out" "$copies"
fi
ls -l "$out"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "max RSS (time -f %%M)  %M KiB; wall %e s" target/release/examples/tui_bench "$out"
else
    target/release/examples/tui_bench "$out"
fi
if [ -z "${KEEP:-}" ]; then
    rm -f "$out"
fi
