#!/usr/bin/env bash
# Records one real msgr2 (or, scenario v1, msgr1) capture of a scenario the state machine and the
# interop verdicts are judged on, from real Ceph daemons on loopback.
#
# usage: scripts/record-lab.sh SCENARIO OUTDIR     (as root: installs packages, runs tcpdump)
#
# SCENARIO:
#   reconnect   cephx, crc, two OSDs with pools of two replicas; while objects
#               are written and a `rados watch` client waits, the OSD-to-OSD
#               connections (lossless: SESSION_RECONNECT) and then the watch
#               client's monitor and OSD connections (lossy: a new session)
#               are killed with `ss -K`
#   badmethod   cephx; the monitor accepts only secure mode: a client offering
#               only crc is answered AUTH_BAD_METHOD and gives up; one offering
#               auth none first is answered AUTH_BAD_METHOD and retries with cephx
#   mixed       cephx, secure on monitor connections, crc on every other one
#   enoent      cephx, crc; stat, get, rm and getxattr of what does not exist
#               (osd_op_reply results -2 ENOENT and -61 ENODATA)
#   unanswered  cephx, crc; a put's second op sent on an open session while the
#               OSD is stopped (SIGSTOP), the client giving up after 5 s
#               (rados_osd_op_timeout); the OSD's side of that connection is
#               killed before it runs again, so no reply is ever sent
#   secure      cephx, secure on every connection, tcpdump started before the
#               monitor: the OSD's own monitor session from its handshake, its
#               GET_ROTATING_KEY requests, and (auth_service_ticket_ttl = 30 s)
#               the ticket renewals inside the sessions of the OSD and of a
#               client that stays connected 45 s (`rados watch`); debug_auth=10
#   midstream   cephx, secure on every connection, tcpdump started on a
#               running cluster: 10 s after osd.0 is up and a `rados watch`
#               client has joined, so that the OSD's monitor session and the
#               watch client's sessions are captured without their handshakes
#               (osd_beacon_report_interval = 5 s, so beacons flow); for some
#               22 s clients put, get and stat objects (their sessions whole)
#   monmon      cephx, secure on every connection, two monitors (mon.a at
#               PORT, mon.b at PORT+1), tcpdump started before them: the
#               monitors' connections to each other from their handshakes
#               (authorized with the mon. key), their quorum traffic, and a
#               client's put and get
#   v1          cephx, a v1-only cluster (ms_bind_msgr1 = true, ms_bind_msgr2 =
#               false, the monitor at v1:ADDR:PORT): every connection speaks
#               msgr1 ("ceph v027") with crcs and cephx message signatures;
#               clients put, get and stat a small and a 1 MiB object, and
#               `ceph osd stat` asks the monitor
#   bench-crc   cephx, crc, loopback at MTU 1500 with TSO and GSO off while the
#               cluster runs (restored afterwards, on an error too): `rados
#               bench` 4 MiB writes then sequential reads, about 1.8 GB and
#               over a million packets of at most 1500 bytes
#   bench-secure  cephx, secure, loopback as it is (64 KiB packets): the same
#               `rados bench`, about 1.7 GB in some 30 000 packets
#
# Leaves in OUTDIR, with NAME=lab-SCENARIO:
#   NAME.pcap     tcpdump of the cluster's ports on lo while the clients ran
#   NAME.logs/    every daemon's and client's log, debug_ms=1, gzipped
#   NAME.keyring  the cluster's keyring (mon., client.admin and the OSDs')
#   NAME.keys     secure-mode keys of every process (when any connection was secure)
#   NAME.events   what the script did and when (kills, stops), one line each
#                 (when it did anything beyond running clients)
#
# Environment: PORT (monitor port, default 44600; daemons bind PORT+1..PORT+40),
# KEEP_WORK=1 keeps the cluster directory; for bench-*: BENCH_SECONDS (each
# `rados bench` run's limit, default 30) and BENCH_OBJECTS (the most 4 MiB
# objects written, default 200: the capture holds them twice, written and
# read back; the OSD's memstore is sized to hold them).
set -euo pipefail

SCENARIO=${1:?usage: record-lab.sh SCENARIO OUTDIR}
OUT=${2:?usage: record-lab.sh SCENARIO OUTDIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-44600}
POOL=lab
NAME=lab-$SCENARIO
# shellcheck source=lab-lib.sh
. "$ROOT/scripts/lab-lib.sh"

LAB_AUTH=cephx LAB_MODE=crc LAB_MONMODE=crc LAB_OSDS=1 LAB_SIZE=1
case $SCENARIO in
    reconnect) LAB_OSDS=2 LAB_SIZE=2 ;;
    badmethod | mixed) LAB_MONMODE=secure ;;
    enoent | unanswered) ;;
    secure) LAB_MODE=secure LAB_MONMODE=secure
        LAB_EXTRA_CONF=$'auth_service_ticket_ttl = 30\ndebug_auth = 10' ;;
    midstream) LAB_MODE=secure LAB_MONMODE=secure
        LAB_EXTRA_CONF='osd_beacon_report_interval = 5' ;;
    monmon) LAB_MODE=secure LAB_MONMODE=secure LAB_MONS=2 ;;
    # A kernel buffer large enough for the 1 MiB put and get (the
    # default one dropped packets).
    v1) LAB_MSGR1=true LAB_MSGR2=false LAB_TCPDUMP_BUF=${LAB_TCPDUMP_BUF:-65536} ;;
    bench-crc) ;;
    bench-secure) LAB_MODE=secure LAB_MONMODE=secure ;;
    *) echo "record-lab.sh: unknown scenario $SCENARIO" >&2; exit 1 ;;
esac

BENCH_SECONDS=${BENCH_SECONDS:-30}
BENCH_OBJECTS=${BENCH_OBJECTS:-200}
case $SCENARIO in
bench-*)
    LAB_MEMSTORE_BYTES=$(((BENCH_OBJECTS * 4 + 256) * 1024 * 1024))
    # A kernel buffer (KiB) that holds a few seconds of traffic while
    # tcpdump writes: a dropped packet would change what is measured.
    LAB_TCPDUMP_BUF=${LAB_TCPDUMP_BUF:-1048576} LAB_TCPDUMP_BULK=1
    ;;
esac

lab_need_root record-lab.sh
lab_install
lab_build_keylog
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
KEYS=$OUT/$NAME.keys
EVENTS=$OUT/$NAME.events
rm -rf "$OUT/$NAME".*
echo "# msgr2 secure-mode keys logged by cephshark-keylog: <aes-128-gcm key> <initial nonce>" >"$KEYS"
: >"$EVENTS"
event() { printf '%s %s\n' "$(date -u +%H:%M:%S.%N | cut -c1-12)" "$*" >>"$EVENTS"; say "$*"; }

lab_workdir
# Every connection, the daemons' too, opens with the Ethernet MSS.
[ "$SCENARIO" = bench-crc ] && lab_lo_ethernet
daemon_env=(env CEPH_KEYLOG_FILE="$KEYS" LD_PRELOAD="$LIB")
# The daemons' own monitor sessions are captured from their handshakes.
case $SCENARIO in secure | monmon) lab_tcpdump "$OUT/$NAME.pcap" ;; esac
lab_start_cluster
# The OSD-to-OSD connections open when the pool's PGs peer: captured from
# their start, so that the SESSION_RECONNECT names a session of the capture.
[ "$SCENARIO" = reconnect ] && lab_tcpdump "$OUT/$NAME.pcap"
lab_create_pool "$POOL"
rm -f "$WORK"/log/client.*

# A rados client with the preload library and its own debug_ms=1 log.
rados_logged() {
    CEPH_KEYLOG_FILE="$KEYS" LD_PRELOAD="$LIB" timeout 60 \
        rados -c "$CONF" --log-file="$WORK/log/client.\$pid.log" --debug-ms=1 \
        --log-to-stderr=false -p "$POOL" "$@"
}
# The established connections of process $1: "local-port peer-port" lines.
conns_of() {
    ss -tnpH state established | awk -v pid="pid=$1," \
        'index($0, pid) { n = split($3, l, ":"); m = split($4, p, ":"); print l[n], p[m] }'
}
# The rados process started by the background job whose shell is $1.
rados_under() {
    local pids=$1 p
    for _ in 1 2 3; do
        for p in $pids; do
            [ "$(ps -o comm= -p "$p")" = rados ] && { echo "$p"; return; }
        done
        pids=$(for p in $pids; do ps -o pid= --ppid "$p"; done)
    done
    echo "record-lab.sh: no rados process under $1" >&2
    exit 1
}
# Kills the connections whose local port is one of $@ (both ends get RST).
kill_ports() {
    local p
    for p in "$@"; do ss -K -tnH state established "( sport = :$p )" >/dev/null; done
}
seq 1 200 | sed 's/^/cephshark lab line /' >"$WORK/small.txt"

if [ "$SCENARIO" = midstream ]; then
    # Sessions that outlive the capture's start: the daemons' own and a
    # watch client's, all with the preload library (their keys logged).
    rados_logged put obj1 "$WORK/small.txt"
    mkfifo "$WORK/watch.in"
    rados_logged watch obj1 <"$WORK/watch.in" >"$WORK/watch.out" 2>&1 &
    wjob=$!
    exec 3>"$WORK/watch.in"
    event "a rados watch client on obj1; tcpdump in 10 s"
    sleep 10
fi
[ -n "$TCPDUMP_PID" ] || lab_tcpdump "$OUT/$NAME.pcap"
[ "$SCENARIO" = midstream ] && event "tcpdump started"
case $SCENARIO in
reconnect)
    rados_logged put wobj "$WORK/small.txt"
    mkfifo "$WORK/watch.in"
    rados_logged watch wobj <"$WORK/watch.in" >"$WORK/watch.out" 2>&1 &
    wjob=$!
    exec 3>"$WORK/watch.in"
    sleep 3
    WATCH=$(rados_under "$wjob")
    for i in 1 2 3; do rados_logged put "o$i" "$WORK/small.txt"; done
    # The OSDs' cluster addresses: the second address of each in `osd dump`.
    cports=$(ceph_cli osd dump | awk '/^osd\.[0-9]+ up/ { n = 0
        for (i = 1; i <= NF; i++) if ($i ~ /^\[?v2:/) { n++; if (n == 2) { split($i, a, "[:/]"); print a[3] } } }')
    [ -n "$cports" ] || { echo "record-lab.sh: no cluster addresses in osd dump" >&2; exit 1; }
    osd_conns=$(for c in $cports; do ss -tnH state established "( sport = :$c or dport = :$c )"; done)
    event "ss -K the OSD-to-OSD cluster connections (ports $(echo $cports)): $(echo "$osd_conns" | awk '{print $3 "-" $4}' | tr '\n' ' ')"
    for c in $cports; do ss -K -tnH state established "( sport = :$c or dport = :$c )" >/dev/null; done
    sleep 1
    for i in 4 5 6; do rados_logged put "o$i" "$WORK/small.txt"; done
    ports=$(conns_of "$WATCH" | awk '{print $1}')
    event "ss -K the watch client's (pid $WATCH) connections: $(conns_of "$WATCH" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    kill_ports $ports
    sleep 4
    rados_logged notify wobj hello >/dev/null
    for i in 7 8; do rados_logged put "o$i" "$WORK/small.txt"; done
    sleep 1
    exec 3>&-
    wait "$wjob" || true
    event "watch client exited"
    ;;
badmethod)
    event "a client offering only crc to the monitor (secure only)"
    rados_logged --ms_mon_client_mode=crc --client_mount_timeout=4 stat nothing || true
    event "a client offering auth methods none then cephx, crc then secure"
    rados_logged --auth_client_required=none,cephx --ms_mon_client_mode=crc,secure stat nothing || true
    event "a client offering secure"
    rados_logged put obj1 "$WORK/small.txt"
    ;;
secure)
    rados_logged put obj1 "$WORK/small.txt"
    mkfifo "$WORK/watch.in"
    rados_logged watch obj1 <"$WORK/watch.in" >"$WORK/watch.out" 2>&1 &
    wjob=$!
    exec 3>"$WORK/watch.in"
    event "a rados watch client on obj1, for 45 s"
    sleep 45
    rados_logged get obj1 "$WORK/obj1.out"
    cmp "$WORK/small.txt" "$WORK/obj1.out"
    exec 3>&-
    wait "$wjob" || true
    event "watch client exited"
    ;;
midstream)
    for i in 1 2 3 4 5; do
        rados_logged put "o$i" "$WORK/small.txt"
        sleep 4
    done
    rados_logged get o1 "$WORK/o1.out"
    cmp "$WORK/small.txt" "$WORK/o1.out"
    rados_logged stat o5 >/dev/null
    sleep 2
    event "tcpdump stopped"
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" 2>/dev/null || true
    TCPDUMP_PID=
    exec 3>&-
    wait "$wjob" || true
    event "watch client exited"
    ;;
monmon)
    rados_logged put obj1 "$WORK/small.txt"
    rados_logged get obj1 "$WORK/obj1.out"
    cmp "$WORK/small.txt" "$WORK/obj1.out"
    ceph_cli --log-file="$WORK/log/client.\$pid.log" --debug-ms=1 quorum_status >/dev/null
    ;;
v1)
    head -c 1048576 /dev/urandom >"$WORK/big.bin"
    rados_logged put obj1 "$WORK/small.txt"
    rados_logged put big "$WORK/big.bin"
    rados_logged get obj1 "$WORK/obj1.out"
    cmp "$WORK/small.txt" "$WORK/obj1.out"
    rados_logged get big "$WORK/big.out"
    cmp "$WORK/big.bin" "$WORK/big.out"
    rados_logged stat obj1 >/dev/null
    rados_logged stat missing || true
    ceph_cli --log-file="$WORK/log/client.\$pid.log" --debug-ms=1 osd stat >/dev/null
    ;;
mixed)
    rados_logged put obj1 "$WORK/small.txt"
    rados_logged get obj1 "$WORK/obj1.out"
    cmp "$WORK/small.txt" "$WORK/obj1.out"
    rados_logged stat obj1 >/dev/null
    ceph_cli --log-file="$WORK/log/client.\$pid.log" --debug-ms=1 osd stat >/dev/null
    ;;
enoent)
    rados_logged put obj1 "$WORK/small.txt"
    event "stat, get and rm of a missing object; getxattr of a missing xattr"
    rados_logged stat missing || true
    rados_logged get missing "$WORK/missing.out" || true
    rados_logged rm missing || true
    rados_logged getxattr obj1 nosuchattr || true
    ;;
unanswered)
    rados_logged put obj1 "$WORK/small.txt"
    osd=$(cat "$WORK/run/osd.0.pid")
    # rados put reads its object from stdin one 4096-byte op at a time: the
    # first op is answered, the second is sent while the OSD is stopped.
    mkfifo "$WORK/put.in"
    rados_logged --rados_osd_op_timeout=5 put -b 4096 stuck - <"$WORK/put.in" &
    client=$!
    exec 4>"$WORK/put.in"
    head -c 4096 /dev/zero | tr '\0' a >&4
    sleep 2
    kill -STOP "$osd"
    event "SIGSTOP osd.0 (pid $osd)"
    head -c 4096 /dev/zero | tr '\0' b >&4
    exec 4>&-
    wait "$client" && rc=0 || rc=$?
    event "the client gave up: exit $rc"
    sleep 1
    # The stopped OSD still holds the client's half-closed connection:
    # killed so that the OSD never answers on it.
    for p in $(ss -tnH state close-wait "( sport >= :$((PORT + 1)) and sport <= :$((PORT + 40)) )" |
        awk '{n = split($3, l, ":"); m = split($4, r, ":"); print l[n] "-" r[m]}'); do
        event "ss -K the stopped OSD's half-closed connection $p"
        ss -K -tnH state close-wait "( sport = :${p%%-*} and dport = :${p##*-} )" >/dev/null
    done
    kill -CONT "$osd"
    event "SIGCONT osd.0"
    sleep 2
    rados_logged stat obj1 >/dev/null
    ;;
bench-crc | bench-secure)
    # traffic.sh's `rados bench`: 4 MiB writes kept, then read back in order;
    # each run's summary goes to the events file.
    rados_bench() {
        event "rados bench $BENCH_SECONDS $*"
        CEPH_KEYLOG_FILE="$KEYS" LD_PRELOAD="$LIB" timeout $((BENCH_SECONDS + 120)) \
            rados -c "$CONF" --log-file="$WORK/log/client.\$pid.log" --debug-ms=1 \
            --log-to-stderr=false -p "$POOL" bench "$BENCH_SECONDS" "$@" >"$WORK/bench.out"
        event "$1: $(grep -E '^(Total (time run|writes made|reads made)|Bandwidth \(MB/sec\)):' \
            "$WORK/bench.out" | tr -s ' ' | paste -sd ';' -)"
    }
    rados_bench write -b 4194304 -t 4 --max-objects "$BENCH_OBJECTS" --no-cleanup
    rados_bench seq -t 4
    ;;
esac
sleep 1
lab_stop_all
lab_lo_restore
grep -E 'packets (captured|dropped by kernel)' "$WORK/tcpdump.err" || true
case $SCENARIO in
bench-*)
    if [ "$(lab_dropped)" != 0 ]; then
        echo "record-lab.sh: tcpdump lost packets: a benchmark needs all of them" \
            "(a quieter machine, or fewer BENCH_OBJECTS); $OUT/$NAME.pcap removed" >&2
        rm -f "$OUT/$NAME.pcap"
        exit 1
    fi
    ;;
esac

mkdir -p "$OUT/$NAME.logs"
cp "$WORK"/log/*.log "$OUT/$NAME.logs/"
gzip -f "$OUT/$NAME.logs/"*.log
cat "$WORK/keyring" "$WORK"/osd.*/keyring >"$OUT/$NAME.keyring"
grep -qv '^#' "$KEYS" || rm -f "$KEYS"
[ -s "$EVENTS" ] || rm -f "$EVENTS"
say "done: $OUT/$NAME.pcap ($(stat -c %s "$OUT/$NAME.pcap") bytes)"
