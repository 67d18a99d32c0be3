#!/usr/bin/env bash
# Records a small msgr2 secure-mode capture from real Ceph daemons, with the
# connection keys logged by the cephshark-keylog preload library (keylog/).
#
# usage: tests/keylog/record.sh OUTDIR        (as root: installs packages, runs tcpdump)
#
# Leaves in OUTDIR:
#   keylog.pcap     tcpdump of the monitor/OSD ports on lo while the rados commands ran
#   keylog.keys     one `<key hex> <nonce hex>` line per secure connection direction
#                   of the rados clients (written by the preload library)
#   keylog.keyring  the cluster's keyring (mon. and client.admin)
#   keylog.logs/    each rados client's log with debug_ms=1 (the messages it sent and got)
#
# Environment: PORT (monitor port, default 44400; OSDs bind PORT+1..PORT+40),
# KEEP_WORK=1 keeps the cluster directory for inspection.
#
# The cluster: one monitor and one memstore OSD (Debian bookworm's Ceph 16.2)
# on 127.0.0.1, msgr2 only, cephx, every connection in secure mode; it lives in
# a temporary directory and is stopped on exit.
set -euo pipefail

OUT=${1:?usage: record.sh OUTDIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${PORT:-44400}
POOL=cephshark
# shellcheck source=../../scripts/lab-lib.sh
. "$ROOT/scripts/lab-lib.sh"
LAB_AUTH=cephx LAB_MODE=secure LAB_MONMODE=secure LAB_OSDS=1 LAB_SIZE=1

lab_need_root record.sh
# --- 1. packages -----------------------------------------------------------
lab_install
# --- 2. the preload library -----------------------------------------------
lab_build_keylog

# --- 3. the cluster ---------------------------------------------------------
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
lab_workdir
# With DAEMON_KEYS=1 the daemons log their keys too, so connections they
# open during the capture can be decrypted as well.
daemon_env=()
if [ "${DAEMON_KEYS:-0}" = 1 ]; then
    daemon_env=(env CEPH_KEYLOG_FILE="$OUT/keylog.keys" LD_PRELOAD="$LIB")
    echo "# msgr2 secure-mode keys logged by cephshark-keylog: <aes-128-gcm key> <initial nonce>" >"$OUT/keylog.keys"
fi
lab_start_cluster
lab_create_pool "$POOL"

# --- 4. capture the rados clients ------------------------------------------
rm -rf "$OUT/keylog.logs" "$OUT/keylog.pcap"
mkdir -p "$OUT/keylog.logs"
if [ "${DAEMON_KEYS:-0}" != 1 ]; then
    echo "# msgr2 secure-mode keys logged by cephshark-keylog: <aes-128-gcm key> <initial nonce>" >"$OUT/keylog.keys"
fi
cp "$WORK/keyring" "$OUT/keylog.keyring"

lab_tcpdump "$OUT/keylog.pcap"

rados_logged() {
    CEPH_KEYLOG_FILE="$OUT/keylog.keys" LD_PRELOAD="$LIB" timeout 60 \
        rados -c "$CONF" --log-file="$OUT/keylog.logs/client.\$pid.log" --debug-ms=1 \
        --log-to-stderr=false -p "$POOL" "$@"
}
seq 1 400 | sed 's/^/cephshark keylog test line /' >"$WORK/obj1.txt"
say "rados put/get/ls/stat with the preload library"
rados_logged put obj1 "$WORK/obj1.txt"
rados_logged get obj1 "$WORK/obj1.out"
cmp "$WORK/obj1.txt" "$WORK/obj1.out"
rados_logged ls >"$WORK/ls.out"
grep -qx obj1 "$WORK/ls.out"
rados_logged stat obj1 >/dev/null
sleep 1

# --- 5. stop ----------------------------------------------------------------
lab_stop_all
grep -E 'packets (captured|dropped by kernel)' "$WORK/tcpdump.err" || true
keys=$(grep -vc '^#' "$OUT/keylog.keys" || true)
say "done: $OUT/keylog.pcap ($(stat -c %s "$OUT/keylog.pcap") bytes), $keys key lines in $OUT/keylog.keys"
