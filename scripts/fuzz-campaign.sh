#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for SECONDS_PER_TARGET seconds
# each, one after the other, over a scratch copy of its seed corpus
# (fuzz/corpus/<target>/ is never written to), and writes a summary:
# executions, coverage (libFuzzer's cov and ft at the end) and crashes per
# target. Exits 1 when any target found a crash, timeout or out-of-memory
# (its reproducer is under fuzz/artifacts/<target>/, named in the summary).
# A timeout whose input, run again alone, finishes within the limit was
# the machine's load, not the input: it is logged and not counted.
#
#   scripts/fuzz-campaign.sh [SECONDS_PER_TARGET]     default 1800
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz
# --locked`). FUZZ_SUMMARY names the summary file (default
# fuzz/artifacts/campaign-<time>.txt); FUZZ_TARGETS limits the targets.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-1800}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p fuzz/artifacts
summary=${FUZZ_SUMMARY:-fuzz/artifacts/campaign-$stamp.txt}
targets=${FUZZ_TARGETS:-$(cd fuzz && cargo +nightly fuzz list)}
# Built once, with cargo-fuzz's defaults: optimised, debug assertions and
# overflow checks on, AddressSanitizer.
cargo +nightly fuzz build
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf '%-9s %12s %8s %8s %8s  %s\n' target executions exec/s cov ft result | tee "$summary"
failed=0
for t in $targets; do
    mkdir -p "$scratch/$t" "fuzz/artifacts/$t" "fuzz/corpus/$t"
    log=fuzz/artifacts/$t/campaign-$stamp.log
    touch "$scratch/start"
    set +e
    cargo +nightly fuzz run "$t" "$scratch/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
    speed=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log" | tail -1)
    # The last status line: "#N  ... cov: C ft: F corp: ...".
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    found=$(find "fuzz/artifacts/$t" -type f -newer "$scratch/start" \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    # A timeout is wall-clock time: on a loaded machine a fast input can
    # pass ten seconds. Each one is run again alone; only an input that is
    # slow again (or a crash, out-of-memory or leak) is a failure.
    slow=""
    for f in $found; do
        case $f in
        */timeout-*)
            if timeout 60 cargo +nightly fuzz run "$t" "$f" -- \
                -runs=1 -timeout=10 -rss_limit_mb=2048 >>"$log" 2>&1; then
                rm -f "$f"
                echo "$t: timeout during the run; replayed alone within the limit ($(basename "$f"))" >>"$log"
            else
                slow="$slow $f"
            fi
            ;;
        *) slow="$slow $f" ;;
        esac
    done
    found=$(echo $slow)
    if [ "$rc" != 0 ] && [ -z "$found" ] && grep -q "ERROR: libFuzzer: timeout" "$log" \
        && grep -q "replayed alone within the limit" "$log"; then
        rc=0
    fi
    if [ "$rc" = 0 ] && [ -z "$found" ]; then
        result=ok
    else
        failed=1
        result="FAILED (exit $rc) ${found:-no reproducer written}; log $log"
    fi
    printf '%-9s %12s %8s %8s %8s  %s\n' "$t" "${execs:--}" "${speed:--}" "${cov:--}" "${ft:--}" \
        "$(echo $result)" | tee -a "$summary"
done
echo "summary: $summary"
exit $failed
