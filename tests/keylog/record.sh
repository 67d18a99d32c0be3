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
PORT_MAX=$((PORT + 40))
ADDR=127.0.0.1
POOL=cephshark
began=$SECONDS
say() { printf '[record %3ds] %s\n' $((SECONDS - began)) "$*"; }

[ "$(id -u)" = 0 ] || { echo "record.sh: run as root (apt-get, tcpdump)" >&2; exit 1; }

# --- 1. packages -----------------------------------------------------------
missing=()
for tool in ceph-mon ceph-osd ceph ceph-authtool monmaptool rados tcpdump uuidgen cargo; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing packages (missing: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends \
        ceph-mon ceph-osd ceph-common tcpdump uuid-runtime >/dev/null
fi
command -v cargo >/dev/null || { echo "record.sh: cargo is needed to build keylog/" >&2; exit 1; }

# --- 2. the preload library -----------------------------------------------
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
say "building keylog/"
cargo build --release --quiet --manifest-path "$ROOT/keylog/Cargo.toml" --target-dir "$TARGET_DIR"
LIB=$TARGET_DIR/release/libcephshark_keylog.so
[ -f "$LIB" ] || { echo "record.sh: $LIB not built" >&2; exit 1; }

# --- 3. the cluster ---------------------------------------------------------
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/cephshark-record.XXXXXX)
CONF=$WORK/ceph.conf
TCPDUMP_PID=

stop_all() {
    if [ -n "$TCPDUMP_PID" ] && kill -0 "$TCPDUMP_PID" 2>/dev/null; then
        kill -INT "$TCPDUMP_PID" 2>/dev/null || true
        wait "$TCPDUMP_PID" 2>/dev/null || true
    fi
    TCPDUMP_PID=
    local pids=() pidfile
    for pidfile in "$WORK"/run/*.pid; do
        [ -f "$pidfile" ] && pids+=("$(cat "$pidfile")")
    done
    if [ ${#pids[@]} -gt 0 ]; then
        kill "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "${pids[@]}" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "${pids[@]}" 2>/dev/null || true
        rm -f "$WORK"/run/*.pid
    fi
}
on_exit() {
    stop_all
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "cluster directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap on_exit EXIT

mkdir -p "$WORK"/{mon.a,osd.0,run,log}
FSID=$(uuidgen)
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon_host = [v2:$ADDR:$PORT]
public_network = 127.0.0.0/8
public_addr = $ADDR
cluster_addr = $ADDR
ms_bind_ipv4 = true
ms_bind_ipv6 = false
# msgr2 only
ms_bind_msgr1 = false
ms_bind_msgr2 = true
ms_bind_port_min = $((PORT + 1))
ms_bind_port_max = $PORT_MAX
# cephx with every connection in secure (AES-128-GCM) mode
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
ms_cluster_mode = secure
ms_service_mode = secure
ms_client_mode = secure
ms_mon_cluster_mode = secure
ms_mon_service_mode = secure
ms_mon_client_mode = secure
# everything inside the temporary directory
keyring = $WORK/keyring
run_dir = $WORK/run
pid_file = $WORK/run/\$name.pid
admin_socket = $WORK/run/\$name.asok
log_file = $WORK/log/\$name.log
log_to_stderr = false
err_to_stderr = false
# one memstore OSD holding single-replica pools
osd_objectstore = memstore
memstore_device_bytes = 268435456
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
[mon]
debug_ms = 1
[osd]
debug_ms = 1
[mon.a]
mon_data = $WORK/mon.a
[osd.0]
osd_data = $WORK/osd.0
EOF

say "starting the monitor on $ADDR:$PORT"
ceph-authtool --create-keyring "$WORK/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$WORK/keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v2:$ADDR:$PORT]" "$WORK/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$WORK/monmap" --keyring "$WORK/keyring"
# With DAEMON_KEYS=1 the daemons log their keys too, so connections they
# open during the capture can be decrypted as well.
daemon_env=()
if [ "${DAEMON_KEYS:-0}" = 1 ]; then
    daemon_env=(env CEPH_KEYLOG_FILE="$OUT/keylog.keys" LD_PRELOAD="$LIB")
    mkdir -p "$OUT"
    echo "# msgr2 secure-mode keys logged by cephshark-keylog: <aes-128-gcm key> <initial nonce>" >"$OUT/keylog.keys"
fi
"${daemon_env[@]}" ceph-mon -c "$CONF" -i a

ceph_cli() { timeout 60 ceph -c "$CONF" "$@"; }

say "starting the OSD"
OSD_UUID=$(uuidgen)
OSD_KEY=$(ceph-authtool --gen-print-key)
printf '{"cephx_secret": "%s"}\n' "$OSD_KEY" >"$WORK/osd.0.json"
ceph_cli osd new "$OSD_UUID" -i "$WORK/osd.0.json" >/dev/null
ceph-authtool --create-keyring "$WORK/osd.0/keyring" --name osd.0 --add-key "$OSD_KEY" >/dev/null
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" --keyring "$WORK/osd.0/keyring" >/dev/null 2>&1
"${daemon_env[@]}" ceph-osd -c "$CONF" -i 0 --keyring "$WORK/osd.0/keyring"
for _ in $(seq 90); do
    ceph_cli osd stat 2>/dev/null | grep -q '1 up' && break
    sleep 1
done
ceph_cli osd stat | grep -q '1 up' || { echo "record.sh: the OSD did not come up" >&2; exit 1; }

say "creating pool $POOL"
ceph_cli osd pool create "$POOL" 8 >/dev/null 2>&1
# There is no manager to report PG states: wait until a read is answered.
ready=false
for _ in $(seq 30); do
    probe=$(timeout 10 rados -c "$CONF" -p "$POOL" stat no-such-object 2>&1 || true)
    case $probe in *"No such file"*) ready=true; break ;; esac
    sleep 1
done
$ready || { echo "record.sh: pool $POOL did not become active" >&2; exit 1; }

# --- 4. capture the rados clients ------------------------------------------
rm -rf "$OUT/keylog.logs" "$OUT/keylog.pcap"
mkdir -p "$OUT/keylog.logs"
if [ "${DAEMON_KEYS:-0}" != 1 ]; then
    echo "# msgr2 secure-mode keys logged by cephshark-keylog: <aes-128-gcm key> <initial nonce>" >"$OUT/keylog.keys"
fi
cp "$WORK/keyring" "$OUT/keylog.keyring"

tcpdump -i lo -s 0 -U -w "$OUT/keylog.pcap" "tcp portrange $PORT-$PORT_MAX" 2>"$WORK/tcpdump.err" &
TCPDUMP_PID=$!
for _ in $(seq 50); do
    grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && break
    sleep 0.1
done

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
stop_all
grep -E 'packets (captured|dropped by kernel)' "$WORK/tcpdump.err" || true
keys=$(grep -vc '^#' "$OUT/keylog.keys" || true)
say "done: $OUT/keylog.pcap ($(stat -c %s "$OUT/keylog.pcap") bytes), $keys key lines in $OUT/keylog.keys"
