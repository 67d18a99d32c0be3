# Shared pieces of the scripts that record real Ceph traffic on loopback
# (tests/keylog/record.sh, scripts/record-lab.sh): packages, the keylog
# preload library, a one-monitor cluster of memstore OSDs (Debian's Ceph
# 16.2), tcpdump, loopback at an Ethernet MTU, and stopping everything.
# Sourced, not run.
#
# Globals: ROOT (the repository), PORT (monitor port; daemons bind
# PORT+1..PORT+40), ADDR, WORK (the cluster directory), CONF, LIB (the
# preload library), TCPDUMP_PID, and the cluster's settings:
#   LAB_AUTH     cephx | none                       (default cephx)
#   LAB_MODE     crc | secure, every non-monitor connection  (default secure)
#   LAB_MONMODE  crc | secure, monitor connections  (default LAB_MODE)
#   LAB_OSDS     number of OSDs                     (default 1)
#   LAB_SIZE     pool replica count                 (default 1)
#   LAB_MEMSTORE_BYTES  each OSD's memstore size    (default 256 MiB)
#   LAB_EXTRA_CONF      lines added to [global]     (default none)
#   LAB_NETWORK  public_network, holding ADDR      (default 127.0.0.0/8)
#   LAB_MSGR1    true: daemons bind msgr1 (v1) addresses  (default false)
#   LAB_MSGR2    false: daemons bind no msgr2 addresses (with LAB_MSGR1=true:
#                a v1-only cluster, the monitor at v1:ADDR:PORT)  (default true)
#   LAB_MONS     1 | 2: a second monitor, mon.b at PORT+1 (msgr2 only;
#                the other daemons then bind from PORT+2)  (default 1)
#   LAB_TCPDUMP_BUF     tcpdump's -B (KiB of kernel buffer; default tcpdump's)
#   LAB_TCPDUMP_BULK=1  tcpdump at a raised priority, writing whole buffers
#                       rather than each packet (-U): for bulk traffic,
#                       which it would otherwise fall behind and drop

ADDR=${ADDR:-127.0.0.1}
TCPDUMP_PID=
lab_began=$SECONDS
say() { printf '[record %3ds] %s\n' $((SECONDS - lab_began)) "$*"; }

# Root is needed for apt-get, tcpdump and ss -K.
lab_need_root() {
    [ "$(id -u)" = 0 ] || { echo "$1: run as root (apt-get, tcpdump)" >&2; exit 1; }
}

# Debian's ceph packages, tcpdump and ss, installed when missing.
lab_install() {
    local missing=() tool
    for tool in ceph-mon ceph-osd ceph ceph-authtool monmaptool rados tcpdump uuidgen ss ethtool cargo; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing packages (missing: ${missing[*]})"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends \
            ceph-mon ceph-osd ceph-common tcpdump uuid-runtime iproute2 ethtool >/dev/null
    fi
    command -v cargo >/dev/null || { echo "cargo is needed to build keylog/" >&2; exit 1; }
}

# The preload library that logs secure-mode keys (sets LIB).
lab_build_keylog() {
    local target=${CARGO_TARGET_DIR:-$ROOT/target}
    say "building keylog/"
    cargo build --release --quiet --manifest-path "$ROOT/keylog/Cargo.toml" --target-dir "$target"
    LIB=$target/release/libcephshark_keylog.so
    [ -f "$LIB" ] || { echo "$LIB not built" >&2; exit 1; }
}

# The packets tcpdump reported dropped by the kernel (after lab_stop_all).
lab_dropped() { sed -n 's/^\([0-9]*\) packets dropped by kernel$/\1/p' "$WORK/tcpdump.err"; }

# Stops tcpdump (flushing its file) and every daemon of $WORK.
lab_stop_all() {
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
        kill -CONT "${pids[@]}" 2>/dev/null || true
        kill "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "${pids[@]}" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "${pids[@]}" 2>/dev/null || true
        rm -f "$WORK"/run/*.pid
    fi
}

# Loopback made to look like Ethernet: MTU 1500 and no TCP or generic
# segmentation offload, so that no packet tcpdump sees is larger than 1500
# bytes (by default lo has MTU 65536 and hands tcpdump 64 KiB segments).
# The previous settings are put back by lab_lo_restore, which lab_on_exit
# also calls, so they come back on an error or an interrupt too.
LO_SAVED=
lo_feature() { ethtool -k lo | awk -v f="$1:" '$1 == f { print $2; exit }'; }
lab_lo_ethernet() {
    local mtu tso gso
    mtu=$(cat /sys/class/net/lo/mtu)
    tso=$(lo_feature tcp-segmentation-offload)
    gso=$(lo_feature generic-segmentation-offload)
    LO_SAVED="$mtu ${tso:-on} ${gso:-on}"
    say "loopback: MTU 1500, tso off, gso off (was MTU $mtu, tso $tso, gso $gso)"
    ip link set lo mtu 1500
    ethtool -K lo tso off gso off
}
lab_lo_restore() {
    [ -n "$LO_SAVED" ] || return 0
    local mtu tso gso
    read -r mtu tso gso <<<"$LO_SAVED"
    LO_SAVED=
    ip link set lo mtu "$mtu" || true
    ethtool -K lo tso "$tso" gso "$gso" || true
    say "loopback restored: MTU $mtu, tso $tso, gso $gso"
}

# A fresh cluster directory in $WORK, stopped and removed on exit unless
# KEEP_WORK=1 (an interrupt exits through the same path).
lab_workdir() {
    WORK=$(mktemp -d /tmp/cephshark-record.XXXXXX)
    CONF=$WORK/ceph.conf
    trap lab_on_exit EXIT
    trap 'exit 130' INT TERM
}
lab_on_exit() {
    lab_stop_all
    lab_lo_restore
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "cluster directory kept: $WORK"; else rm -rf "$WORK"; fi
}

lab_write_conf() {
    local auth=${LAB_AUTH:-cephx} mode=${LAB_MODE:-secure}
    local monmode=${LAB_MONMODE:-${LAB_MODE:-secure}} size=${LAB_SIZE:-1}
    mkdir -p "$WORK"/{mon.a,run,log}
    local monaddrs first=$((PORT + 1))
    monaddrs=$(lab_mon_addrs)
    # A second monitor at PORT+1 (LAB_MONS=2): the daemons bind above it.
    if [ "${LAB_MONS:-1}" = 2 ]; then
        mkdir -p "$WORK/mon.b"
        monaddrs="$monaddrs,$(lab_mon_b_addrs)"
        first=$((PORT + 2))
    fi
    cat >"$CONF" <<EOF
[global]
fsid = $(uuidgen)
mon_host = $monaddrs
public_network = ${LAB_NETWORK:-127.0.0.0/8}
public_addr = $ADDR
cluster_addr = $ADDR
ms_bind_ipv4 = true
ms_bind_ipv6 = false
ms_bind_msgr1 = ${LAB_MSGR1:-false}
ms_bind_msgr2 = ${LAB_MSGR2:-true}
ms_bind_port_min = $first
ms_bind_port_max = $((PORT + 40))
auth_cluster_required = $auth
auth_service_required = $auth
auth_client_required = $auth
ms_cluster_mode = $mode
ms_service_mode = $mode
ms_client_mode = $mode
ms_mon_cluster_mode = $monmode
ms_mon_service_mode = $monmode
ms_mon_client_mode = $monmode
# everything inside the temporary directory
keyring = $WORK/keyring
run_dir = $WORK/run
pid_file = $WORK/run/\$name.pid
admin_socket = $WORK/run/\$name.asok
log_file = $WORK/log/\$name.log
log_to_stderr = false
err_to_stderr = false
# memstore OSDs holding pools of $size replica(s)
osd_objectstore = memstore
memstore_device_bytes = ${LAB_MEMSTORE_BYTES:-268435456}
osd_pool_default_size = $size
osd_pool_default_min_size = 1
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
${LAB_EXTRA_CONF:-}
[mon]
debug_ms = 1
[osd]
debug_ms = 1
[mon.a]
mon_data = $WORK/mon.a
[mon.b]
mon_data = $WORK/mon.b
EOF
}

# The monitor's addresses: v2 at PORT; with LAB_MSGR2=false v1 at PORT,
# else with LAB_MSGR1=true also v1 at PORT+40 (inside tcpdump's range).
lab_mon_addrs() {
    if [ "${LAB_MSGR2:-true}" = false ]; then
        echo "[v1:$ADDR:$PORT]"
    elif [ "${LAB_MSGR1:-false}" = true ]; then
        echo "[v2:$ADDR:$PORT,v1:$ADDR:$((PORT + 40))]"
    else
        echo "[v2:$ADDR:$PORT]"
    fi
}

# The second monitor's address (LAB_MONS=2, msgr2 clusters).
lab_mon_b_addrs() { echo "[v2:$ADDR:$((PORT + 1))]"; }

ceph_cli() { timeout 60 ceph -c "$CONF" "$@"; }

# Writes the configuration and starts the monitor and LAB_OSDS OSDs, each
# daemon prefixed by the command words in the array daemon_env (e.g. env
# with the preload library); returns once every OSD is up.
lab_start_cluster() {
    local osds=${LAB_OSDS:-1} i uuid key fsid
    lab_write_conf
    fsid=$(sed -n 's/^fsid = //p' "$CONF")
    say "starting the monitor on $ADDR:$PORT"
    ceph-authtool --create-keyring "$WORK/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool "$WORK/keyring" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
    monmaptool --create --fsid "$fsid" --addv a "$(lab_mon_addrs)" "$WORK/monmap" >/dev/null
    local mons=(a)
    if [ "${LAB_MONS:-1}" = 2 ]; then
        monmaptool --addv b "$(lab_mon_b_addrs)" "$WORK/monmap" >/dev/null
        mons+=(b)
    fi
    for i in "${mons[@]}"; do
        ceph-mon -c "$CONF" --mkfs -i "$i" --monmap "$WORK/monmap" --keyring "$WORK/keyring"
    done
    for i in "${mons[@]}"; do
        "${daemon_env[@]}" ceph-mon -c "$CONF" -i "$i"
    done
    for ((i = 0; i < osds; i++)); do
        say "starting osd.$i"
        mkdir -p "$WORK/osd.$i"
        printf '[osd.%d]\nosd_data = %s/osd.%d\n' "$i" "$WORK" "$i" >>"$CONF"
        uuid=$(uuidgen)
        key=$(ceph-authtool --gen-print-key)
        printf '{"cephx_secret": "%s"}\n' "$key" >"$WORK/osd.$i.json"
        ceph_cli osd new "$uuid" -i "$WORK/osd.$i.json" >/dev/null
        ceph-authtool --create-keyring "$WORK/osd.$i/keyring" --name "osd.$i" --add-key "$key" >/dev/null
        ceph-osd -c "$CONF" -i "$i" --mkfs --osd-uuid "$uuid" --keyring "$WORK/osd.$i/keyring" >/dev/null 2>&1
        "${daemon_env[@]}" ceph-osd -c "$CONF" -i "$i" --keyring "$WORK/osd.$i/keyring"
    done
    for _ in $(seq 90); do
        ceph_cli osd stat 2>/dev/null | grep -q "$osds up" && break
        sleep 1
    done
    ceph_cli osd stat | grep -q "$osds up" || { echo "the OSDs did not come up" >&2; exit 1; }
}

# Creates pool $1 and waits until it answers a read (there is no manager
# to report PG states).
lab_create_pool() {
    local pool=$1 probe
    say "creating pool $pool"
    ceph_cli osd pool create "$pool" 8 >/dev/null 2>&1
    for _ in $(seq 30); do
        probe=$(timeout 10 rados -c "$CONF" -p "$pool" stat no-such-object 2>&1 || true)
        case $probe in *"No such file"*) return 0 ;; esac
        sleep 1
    done
    echo "pool $pool did not become active" >&2
    exit 1
}

# tcpdump of the cluster's ports on lo into $1, returning once it listens.
lab_tcpdump() {
    local pre=() opts=(-U)
    [ -n "${LAB_TCPDUMP_BUF:-}" ] && opts+=(-B "$LAB_TCPDUMP_BUF")
    [ "${LAB_TCPDUMP_BULK:-0}" = 1 ] && pre=(nice -n -15) opts=("${opts[@]:1}")
    "${pre[@]}" tcpdump -i lo -s 0 "${opts[@]}" -w "$1" "tcp portrange $PORT-$((PORT + 40))" 2>"$WORK/tcpdump.err" &
    TCPDUMP_PID=$!
    for _ in $(seq 50); do
        grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && break
        sleep 0.1
    done
}
