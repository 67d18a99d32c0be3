#!/usr/bin/env bash
# Whole-capture cost of the command line, this tree against another
# revision, in one run: instructions counted by callgrind (repeatable
# whatever else the machine does) and the best task-clock of several runs,
# each as a ratio to a floor measured in the same run (`cat` of the file).
# Captures are generated on demand from the bundled ones (never committed).
#
#   scripts/bench-compare.sh [BASE_REV] [RUNS]     default: HEAD~1, 7 runs
#
# Needs valgrind and perf (Debian's valgrind, linux-perf). The base
# revision is built in a scratch worktree under $TMPDIR, removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD~1}
runs=${2:-7}
tmp=${TMPDIR:-/tmp}/cephshark-bench-compare
mkdir -p "$tmp"
cargo build --release --quiet --bin cephshark --example gen_capture
new=target/release/cephshark
rev=$(git rev-parse --short "$base")
old=$(scripts/build-rev.sh "$base" "$tmp")
gen() { [ -s "$tmp/$2" ] || target/release/examples/gen_capture "captures/$1" "$tmp/$2" "$3"; }
# Large ones for time, small ones for callgrind (same content, fewer copies).
gen none-crc.pcap crc40.pcap 40
gen none-crc.pcap crc4.pcap 4
gen cephx-secure.pcap sec20.pcap 20
gen cephx-secure.pcap sec2.pcap 2
keys=captures/cephx-secure.keys
tc() { perf stat -e task-clock -x, "$@" >/dev/null 2>"$tmp/ps"; cut -d, -f1 "$tmp/ps"; }
best() { local b=; for _ in $(seq "$runs"); do t=$(tc "$@"); b=$(python3 -c "print(min(float('${b:-inf}'), $t))"); done; echo "$b"; }
ins() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | grep -oE 'Collected : [0-9]+' | grep -oE '[0-9]+'; }
printf '%-26s %14s %14s %7s   %9s %9s %9s %7s\n' run "instr $rev" "instr now" ratio "ms $rev" "ms now" "floor ms" "x floor"
while IFS='|' read -r name big small; do
    # shellcheck disable=SC2086
    io=$(ins $old $small); in=$(ins $new $small)
    # shellcheck disable=SC2086
    to=$(best $old $big); tn=$(best $new $big)
    file=$(echo "$big" | grep -oE '[^ ]+\.pcap' | head -1)
    floor=$(best cat "$file")
    python3 - "$name" "$io" "$in" "$to" "$tn" "$floor" <<'PY'
import sys
name, io, i_n, to, tn, fl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *map(float, sys.argv[4:])
print(f"{name:<26} {io:>14,} {i_n:>14,} {i_n/io:>7.2f}   {to:>9.1f} {tn:>9.1f} {fl:>9.1f} {tn/fl:>6.1f}x")
PY
done <<EOF2
verify, crc|verify $tmp/crc40.pcap|verify $tmp/crc4.pcap
-r (list), crc|-r $tmp/crc40.pcap|-r $tmp/crc4.pcap
-q -z conv, crc|-r $tmp/crc40.pcap -q -z conv|-r $tmp/crc4.pcap -q -z conv
verify, secure + keys|verify $tmp/sec20.pcap --keys $keys|verify $tmp/sec2.pcap --keys $keys
EOF2
echo "(instructions: callgrind on ${rev}'s and this tree's release builds, 4 and 2 copies; ms: best task-clock of $runs on 40 and 20 copies; floor: cat of the same file)"
