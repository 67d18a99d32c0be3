#!/usr/bin/env bash
# The benchmark captures of scripts/bench-throughput.sh, this tree against
# another revision, interleaved: every round runs the floor, the other
# revision and this tree one after the other for each command, so that a
# machine shared with other work slows all three alike. Prints the best
# wall time of each (and the CPU time of that run) with its ratio to the
# floor's best in the same rounds, then the median of the rounds with its
# ratio to the floor's median. The captures are locked in memory for the
# run (as root), so that none of their pages is read from disk meanwhile.
#
#   scripts/bench-ab.sh [BASE_REV] [ROUNDS]     default: HEAD~1, 7 rounds
#
# Captures as in scripts/bench-throughput.sh (CRC_CAPTURE, SECURE_CAPTURE,
# SECURE_KEYS, BENCH_DIR; recorded there when missing). The base revision
# is built in a scratch worktree under $TMPDIR by scripts/build-rev.sh,
# kept for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD~1}
rounds=${2:-7}
dir=${BENCH_DIR:-/tmp/cephshark-bench}
crc=${CRC_CAPTURE:-$dir/lab-bench-crc.pcap}
sec=${SECURE_CAPTURE:-$dir/lab-bench-secure.pcap}
keys=${SECURE_KEYS:-${sec%.pcap}.keys}
for f in "$crc" "$sec" "$keys"; do
    [ -s "$f" ] || { echo "bench-ab.sh: $f is missing (scripts/bench-throughput.sh records it)" >&2; exit 2; }
done
tmp=${TMPDIR:-/tmp}/cephshark-bench-ab
mkdir -p "$tmp"
cargo build --release --quiet --bin cephshark --example floor
rev=$(git rev-parse --short "$base")
old=$(scripts/build-rev.sh "$base" "$tmp")
cat "$crc" "$sec" >/dev/null # warm the page cache
python3 - "$rounds" "$rev" "$old" target/release/cephshark \
    target/release/examples/floor "$crc" "$sec" "$keys" <<'PY'
import ctypes, os, resource, subprocess, sys, time

rounds, rev, old, new, floor, crc, sec, keys = sys.argv[1:]
rounds = int(rounds)

# Keep both captures in the page cache for the whole run (mmap + mlock,
# root or a large RLIMIT_MEMLOCK): reading them warms the cache, but pages
# the kernel drops meanwhile would be read from disk in the middle of a run.
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mlock.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
for path in (crc, sec):
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    addr = libc.mmap(None, size, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
    if addr in (None, ctypes.c_void_p(-1).value) or libc.mlock(addr, size) != 0:
        print(f"(could not lock {path} in memory: {os.strerror(ctypes.get_errno())}; pages may be read from disk)")

def run(argv):
    """Wall and CPU seconds of one run (its output dropped)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu

rows = [
    ("crc", crc, ["verify", "-j", "1", crc]),
    ("crc", crc, ["verify", "-j", "2", crc]),
    ("crc", crc, ["-r", crc, "-q", "-z", "conv", "-j", "1"]),
    ("crc", crc, ["-r", crc, "-q", "-z", "conv", "-j", "2"]),
    ("secure", sec, ["verify", "-j", "1", "--keys", keys, sec]),
    ("secure", sec, ["verify", "-j", "2", "--keys", keys, sec]),
    ("secure", sec, ["-r", sec, "-q", "-z", "conv", "-j", "2", "--keys", keys]),
]
print(f"best of {rounds} interleaved rounds: seconds (CPU seconds of that run), x floor;")
print("then the median of the rounds and its ratio to the floor's median")
print(f"{'run':<40} {'floor':>11} {rev:>28} {'now':>28}")
for label, capture, args in rows:
    runs = {}
    for _ in range(rounds):
        for name, argv in (("floor", [floor, capture]), ("old", [old] + args), ("new", [new] + args)):
            runs.setdefault(name, []).append(run(argv))
    best = {n: min(r) for n, r in runs.items()}
    med = {n: sorted(w for w, _ in r)[len(r) // 2] for n, r in runs.items()}
    fl, fm = best["floor"][0], med["floor"]
    cell = lambda n: (f"{best[n][0]:.2f} ({best[n][1]:.2f}) {best[n][0] / fl:.1f}x"
                      f" | {med[n]:.2f} {med[n] / fm:.1f}x")
    name = f"{label}: " + " ".join(a for a in args if a not in (capture, keys))
    print(f"{name:<40} {fl:5.2f}|{fm:5.2f} {cell('old'):>28} {cell('new'):>28}")
PY
