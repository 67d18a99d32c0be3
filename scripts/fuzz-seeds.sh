#!/usr/bin/env bash
# Regenerates the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the
# real captures in captures/, the key files beside them and the expressions
# of tests/filter.rs (see examples/fuzz_seeds.rs for what each seed is cut
# from). The output is deterministic: review the diff, then commit it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --example fuzz_seeds -- "$PWD"
du -sh fuzz/corpus
