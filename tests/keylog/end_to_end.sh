#!/usr/bin/env bash
# End to end: record real Ceph secure-mode traffic with the cephshark-keylog
# preload library loaded into the rados client and the daemons, then check
# that cephshark decrypts every connection of the capture with that key file.
#
# usage: tests/keylog/end_to_end.sh [CEPHSHARK_BINARY]   (as root)
# Exit 0: every frame decrypted and intact; 1: cephshark found a problem;
# 2: the recording itself failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/target/debug/cephshark}
OUT=$(mktemp -d /tmp/cephshark-e2e.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

if ! DAEMON_KEYS=1 PORT=${PORT:-44500} "$ROOT/tests/keylog/record.sh" "$OUT"; then
    echo "end_to_end: recording failed" >&2
    exit 2
fi
keys=$(grep -vc '^#' "$OUT/keylog.keys" || true)
[ "$keys" -gt 0 ] || { echo "end_to_end: the preload library logged no keys" >&2; exit 1; }

"$BIN" verify --keys "$OUT/keylog.keys" "$OUT/keylog.pcap"
rc=$?
# Every secure connection of a rados client opened (a key was found for it).
opened=$("$BIN" -r "$OUT/keylog.pcap" --keys "$OUT/keylog.keys" | grep -c ' secure .* type=42 ' || true)
echo "end_to_end: $keys key lines, $opened decrypted osd_op frames"
[ "$opened" -ge 4 ] || { echo "end_to_end: expected decrypted osd_op frames" >&2; exit 1; }
exit $rc
