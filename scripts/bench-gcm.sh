#!/usr/bin/env bash
# How fast this machine opens AES-128-GCM with the crates cephshark uses
# (aes-gcm 0.11 and its GHASH) against ring 0.17, one thread, 4 MiB
# operations: the cost a secure-mode verify pays per byte for the cipher
# (scripts/gcm-compare, a crate of its own; ring is not a dependency of
# cephshark).
#
#   scripts/bench-gcm.sh
set -euo pipefail
cd "$(dirname "$0")/gcm-compare"
cargo run --release --quiet
