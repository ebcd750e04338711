#!/usr/bin/env bash
# Offline benchmark: generated snapshots of 10k and 100k accounts, all rules, release build.
# Prints wall time and peak memory (GNU time) per run; figures go into BENCHMARKS.md.
#   scripts/bench-offline.sh [FORMAT ...]     (default: json)
set -euo pipefail
cd "$(dirname "$0")/.."
formats=("${@:-json}")
work="${BENCH_DIR:-target/bench}"
mkdir -p "$work"
cargo build --release --locked --quiet
bin=target/release/contactscan
for n in 10000 100000; do
  snapshot="$work/snapshot-$n.json"
  [ -s "$snapshot" ] || python3 scripts/gen-snapshot.py "$n" > "$snapshot"
  for format in "${formats[@]}"; do
    reports=()
    if [ "$format" = all ]; then
      for f in asff sarif junit markdown; do reports+=(--report "$f=$work/out-$n.$f"); done
      format=json
    fi
    for run in 1 2 3; do
      /usr/bin/time -f "$n accounts, $format${reports:+ + all reports}, run $run: %e s wall, %M KiB peak RSS" \
        "$bin" scan --input "$snapshot" --format "$format" "${reports[@]}" --fail-on never --allow-incomplete \
        > "$work/out-$n.$format"
    done
    ls -l "$work/out-$n.$format" | awk '{print "  output: " $5 " bytes"}'
  done
done
