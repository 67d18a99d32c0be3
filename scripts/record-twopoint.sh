#!/usr/bin/env bash
# Records the same real Ceph traffic at two points of its path, with packets
# corrupted and dropped by the router between them, for `cephshark diff`.
#
# usage: scripts/record-twopoint.sh OUTDIR     (as root: namespaces, nft, tcpdump)
#
# Three network namespaces joined by veth pairs, nothing else touched:
#
#   NS-cli               NS-rtr (forwards)                    NS-srv
#   rados  10.77.1.2 --- 10.77.1.1 [c]   [s] 10.77.2.1 --- 10.77.2.2 monitor, OSD
#                              ^ A    ^ damage in forwarding  ^ B
#
# A: tcpdump on the router's client-side veth: what the client sent, and
#    what the cluster's answers were when they left the router.
# B: tcpdump on the cluster's veth: what reached the cluster. In between,
#    an nftables rule in the router's forward hook sets byte 100 of the TCP
#    payload of one in DAMAGE (default 40) of the client's packets of more
#    than 300 bytes to 0x5a. nftables fixes the TCP checksum as it rewrites
#    (every packet of B has a correct one), so the damage reaches Ceph, as
#    from a NIC or switch that corrupts after the checksum: the receiver
#    finds the segment CRC bad and drops the connection. With DROP=N
#    another rule drops one in N of them. (netem, which this machine's
#    kernel lacks, corrupts under the checksum: the receiver's TCP drops
#    the packet and the sender repeats it.) The answers are not touched. A
#    dropped packet is sent again whole, so both points end up with the
#    same bytes: the default records damage only.
#    A tap on the receiving side sees a packet before netfilter does: A
#    holds the original bytes.
# Checksum, segmentation and receive offloads are off on every veth, so
# both captures hold real checksums and packets of at most the MTU (1500),
# the same packets at both points.
#
# Leaves in OUTDIR, with NAME=lab-twopoint:
#   NAME-a.pcap, NAME-b.pcap  the two captures
#   NAME.keyring              the cluster's keyring (cephx, crc mode)
#   NAME.logs/                the monitor's and the OSD's logs (debug_ms=1), gzipped
#   NAME.events               netem's settings and what the clients did
#
# Environment: PORT (monitor port, default 47800; daemons bind
# PORT+1..PORT+40), DAMAGE, DROP, NS (namespace prefix, default cstp),
# KEEP_WORK=1 keeps the cluster directory.
set -euo pipefail

OUT=${1:?usage: record-twopoint.sh OUTDIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-47800}
DAMAGE=${DAMAGE:-40}
DROP=${DROP:-0}
NS=${NS:-cstp}
NAME=lab-twopoint
POOL=lab
ADDR=10.77.2.2
LAB_NETWORK=10.77.2.0/24
LAB_AUTH=cephx LAB_MODE=crc LAB_MONMODE=crc LAB_OSDS=1 LAB_SIZE=1
# shellcheck source=lab-lib.sh
. "$ROOT/scripts/lab-lib.sh"

in_ns() { local ns=$1; shift; ip netns exec "$NS-$ns" "$@"; }

# The namespaces, removed on exit (an error and an interrupt too).
net_down() {
    local ns
    for ns in cli rtr srv; do ip netns del "$NS-$ns" 2>/dev/null || true; done
}
net_up() {
    local ns
    net_down
    for ns in cli rtr srv; do
        ip netns add "$NS-$ns"
        in_ns "$ns" ip link set lo up
    done
    ip link add c0 netns "$NS-cli" type veth peer name c netns "$NS-rtr"
    ip link add s netns "$NS-rtr" type veth peer name s0 netns "$NS-srv"
    in_ns cli ip addr add 10.77.1.2/24 dev c0
    in_ns rtr ip addr add 10.77.1.1/24 dev c
    in_ns rtr ip addr add 10.77.2.1/24 dev s
    in_ns srv ip addr add 10.77.2.2/24 dev s0
    local pair
    for pair in cli:c0 rtr:c rtr:s srv:s0; do
        in_ns "${pair%%:*}" ethtool -K "${pair#*:}" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
        in_ns "${pair%%:*}" ip link set "${pair#*:}" up
    done
    in_ns cli ip route add default via 10.77.1.1
    in_ns srv ip route add default via 10.77.2.1
    in_ns rtr sysctl -qw net.ipv4.ip_forward=1
    local to="ip daddr $ADDR tcp dport $PORT-$((PORT + 40)) ip length > 300"
    in_ns rtr nft -f - <<EOF
table ip damage {
    chain transit {
        type filter hook forward priority 0; policy accept;
        $to numgen random mod $DAMAGE == 0 counter @ih,800,8 set 0x5a
        $([ "$DROP" -gt 0 ] && echo "$to numgen random mod $DROP == 0 counter drop")
    }
}
EOF
}

lab_need_root record-twopoint.sh
lab_install
command -v nft >/dev/null || apt-get install -y -qq --no-install-recommends nftables >/dev/null
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
EVENTS=$OUT/$NAME.events
rm -f "$OUT/$NAME"-a.pcap "$OUT/$NAME"-b.pcap "$OUT/$NAME".keyring
: >"$EVENTS"
event() { printf '%s %s\n' "$(date -u +%H:%M:%S.%N | cut -c1-12)" "$*" >>"$EVENTS"; say "$*"; }

lab_workdir
trap 'set +e; lab_on_exit; net_down' EXIT
net_up
event "the router corrupts (byte 100 of the TCP payload := 0x5a) one in $DAMAGE of the client's packets of more than 300 bytes$([ "$DROP" -gt 0 ] && echo ", drops one in $DROP")"

# The cluster lives in NS-srv: its daemons and the `ceph` commands that
# set it up run there.
daemon_env=(ip netns exec "$NS-srv")
ceph_cli() { timeout 60 ip netns exec "$NS-srv" ceph -c "$CONF" "$@"; }
ceph-osd() { ip netns exec "$NS-srv" /usr/bin/ceph-osd "$@"; }
lab_start_cluster
# lab_create_pool, its probe run in NS-srv.
say "creating pool $POOL"
ceph_cli osd pool create "$POOL" 8 >/dev/null 2>&1
for _ in $(seq 30); do
    probe=$(timeout 10 ip netns exec "$NS-srv" rados -c "$CONF" -p "$POOL" stat no-such-object 2>&1 || true)
    case $probe in *"No such file"*) break ;; esac
    sleep 1
done
case $probe in *"No such file"*) ;; *) echo "pool $POOL did not become active" >&2; exit 1 ;; esac

taps=()
tap() {
    ip netns exec "$NS-$1" tcpdump -i "$2" -s 0 -U -w "$3" "tcp portrange $PORT-$((PORT + 40))" 2>"$WORK/tcpdump-$2.err" &
    taps+=($!)
    for _ in $(seq 50); do
        grep -q 'listening on' "$WORK/tcpdump-$2.err" 2>/dev/null && return
        sleep 0.1
    done
}
tap rtr c "$OUT/$NAME-a.pcap"
tap srv s0 "$OUT/$NAME-b.pcap"

client() { timeout 60 ip netns exec "$NS-cli" /usr/bin/rados -c "$CONF" -p "$POOL" "$@"; }
seq 1 200 | sed 's/^/cephshark lab line /' >"$WORK/small.txt"
head -c 131072 /dev/urandom >"$WORK/big.bin"
event "from the client namespace: put, get and stat of a small and a 128 KiB object"
client put obj1 "$WORK/small.txt"
client put big "$WORK/big.bin"
client get obj1 "$WORK/obj1.out"
cmp "$WORK/small.txt" "$WORK/obj1.out"
client get big "$WORK/big.out"
cmp "$WORK/big.bin" "$WORK/big.out"
client stat big >/dev/null
sleep 1
for p in "${taps[@]}"; do kill -INT "$p" 2>/dev/null || true; done
for p in "${taps[@]}"; do wait "$p" 2>/dev/null || true; done
in_ns rtr nft list chain ip damage transit | grep -o 'counter packets [0-9]* bytes [0-9]* [a-z@].*' | sed 's/^/router: /' >>"$EVENTS" || true
grep -h -E 'packets (captured|dropped by kernel)' "$WORK"/tcpdump-*.err || true
cat "$WORK/keyring" "$WORK"/osd.*/keyring >"$OUT/$NAME.keyring"
lab_stop_all
rm -rf "$OUT/$NAME.logs"
mkdir -p "$OUT/$NAME.logs"
cp "$WORK"/log/mon.a.log "$WORK"/log/osd.*.log "$OUT/$NAME.logs/"
gzip -f "$OUT/$NAME.logs/"*.log
say "done: $OUT/$NAME-a.pcap ($(stat -c %s "$OUT/$NAME-a.pcap") bytes), $NAME-b.pcap ($(stat -c %s "$OUT/$NAME-b.pcap") bytes)"
