#!/usr/bin/env bash
# Builds the release binaries and runs the benchmark; the report goes to
# stdout and bench/results/latest.md. Usage: bench/run.sh [--quick] [SECTION...]
# Sections: size idle throughput latency capacity weak bigdb slowloris
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin frontporch --example bench
mkdir -p bench/results
ulimit -n "$(ulimit -Hn)" || true
target/release/examples/bench "$@" | tee bench/results/latest.md
