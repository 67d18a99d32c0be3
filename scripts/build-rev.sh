#!/usr/bin/env bash
# The release binary of another revision, built once in a scratch worktree
# and kept: prints its path (DIR/cephshark-SHORTREV). For the scripts that
# compare this tree with a revision (bench-compare.sh, bench-ab.sh).
#
#   scripts/build-rev.sh REV DIR
set -euo pipefail
cd "$(dirname "$0")/.."
rev=$(git rev-parse --short "$1")
dir=$2
mkdir -p "$dir"
if [ ! -x "$dir/cephshark-$rev" ]; then
    git worktree add -f --detach "$dir/wt" "$rev" >/dev/null 2>&1
    (cd "$dir/wt" && CARGO_TARGET_DIR="$dir/target" cargo build --release --quiet --bin cephshark)
    cp "$dir/target/release/cephshark" "$dir/cephshark-$rev"
    git worktree remove --force "$dir/wt"
fi
echo "$dir/cephshark-$rev"
