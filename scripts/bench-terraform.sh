#!/usr/bin/env bash
# Terraform benchmark: a generated configuration of 2,000 aws_account_alternate_contact
# resources (scripts/gen-terraform.py), scanned with all rules by the release build.
# Prints wall time, CPU time and peak memory (GNU time) per run; figures go into BENCHMARKS.md.
#   scripts/bench-terraform.sh [RUNS] [RESOURCES]     (default 5 runs of 2000 resources)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
resources="${2:-2000}"
work="${BENCH_DIR:-target/bench}/terraform-$resources"
cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/contactscan"
python3 scripts/gen-terraform.py "$work" "$resources"
for run in $(seq "$runs"); do
  /usr/bin/time -f "$resources resources, table, run $run: %e s wall, %U s user, %S s sys, %M KiB peak RSS" \
    "$bin" scan --terraform "$work" --fail-on never >/dev/null
  /usr/bin/time -f "$resources resources, json + sarif, run $run: %e s wall, %U s user, %S s sys, %M KiB peak RSS" \
    "$bin" scan --terraform "$work" --fail-on never --format json --report sarif="$work/out.sarif" >/dev/null
done
