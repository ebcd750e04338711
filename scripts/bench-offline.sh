#!/usr/bin/env bash
# Offline benchmark: generated snapshots of 10k and 100k accounts, all rules, release build.
# Prints wall time, CPU time and peak memory (GNU time) per run; figures go into BENCHMARKS.md.
#   scripts/bench-offline.sh [RUNS]     (default 3 runs of each case)
#
# Cases: the table (parse and evaluation only), --format json to /dev/null (the CPU cost of
# the JSON report), --format json to a file, and both again with the asff, sarif, junit and
# markdown reports as files. Output files are removed and the page cache flushed (sync) before
# each run, so one run's writeback does not slow the next; `dd` writes as many bytes just
# before a file run, to show what the disk alone costs at that moment. Last, a snapshot where
# about 15 % of the findings FAIL (`gen-snapshot.py --failing`): JSON alone, and JSON with the
# asff, sarif and junit files, beside Python's json.load of the same snapshot.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
work="${BENCH_DIR:-target/bench}"
mkdir -p "$work"
cargo build --release --locked --quiet
bin=target/release/contactscan
timed() {
  local label="$1"
  shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, %M KiB peak RSS" "$@"
}
fresh() {
  rm -f "$work"/out-* "$work"/dd.bin
  sync
}
for n in 10000 100000; do
  snapshot="$work/snapshot-$n.json"
  [ -s "$snapshot" ] || python3 scripts/gen-snapshot.py "$n" >"$snapshot"
  scan=("$bin" scan --input "$snapshot" --fail-on never --allow-incomplete)
  reports=()
  for f in asff sarif junit markdown; do reports+=(--report "$f=$work/out-$n.$f"); done
  for run in $(seq "$runs"); do
    timed "$n accounts, table, run $run" "${scan[@]}" --format table >/dev/null
    timed "$n accounts, json to /dev/null, run $run" "${scan[@]}" --format json >/dev/null
    fresh
    "${scan[@]}" --format json >"$work/out-$n.json"
    bytes=$(stat -c %s "$work/out-$n.json")
    fresh
    timed "  dd of the same $bytes bytes" dd if=/dev/zero of="$work/dd.bin" bs=1M \
      count=$((bytes / 1048576)) status=none
    fresh
    timed "$n accounts, json to a file, run $run" "${scan[@]}" --format json >"$work/out-$n.json"
    fresh
    timed "$n accounts, json to /dev/null + 4 report files, run $run" \
      "${scan[@]}" --format json "${reports[@]}" >/dev/null
    fresh
    timed "$n accounts, json to a file + 4 report files, run $run" \
      "${scan[@]}" --format json "${reports[@]}" >"$work/out-$n.json"
    fresh
  done
done
# The memo's worst case: 100,000 accounts whose contacts are all different.
distinct="$work/distinct-100000.json"
[ -s "$distinct" ] || python3 scripts/gen-snapshot.py 100000 --distinct >"$distinct"
for run in $(seq "$runs"); do
  timed "100000 accounts, all contacts distinct, table, run $run" \
    "$bin" scan --input "$distinct" --fail-on never --allow-incomplete --format table >/dev/null
done
# A first scan of a large organization: about 15 % of the findings FAIL, each with its
# remediation command. Compared with Python reading the same snapshot, and the JSON alone with
# the JSON plus the ASFF, SARIF and JUnit files.
failing="$work/failing-100000.json"
[ -s "$failing" ] || python3 scripts/gen-snapshot.py 100000 --failing >"$failing"
timed "python3 json.load of the failing snapshot" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$failing"
reports=()
for f in asff sarif junit; do reports+=(--report "$f=$work/out-failing.$f"); done
for run in $(seq "$runs"); do
  timed "100000 accounts, 15 % failing, json to /dev/null, run $run" \
    "$bin" scan --input "$failing" --fail-on never --allow-incomplete --format json >/dev/null
  fresh
  timed "100000 accounts, 15 % failing, json to /dev/null + asff, sarif, junit files, run $run" \
    "$bin" scan --input "$failing" --fail-on never --allow-incomplete --format json \
    "${reports[@]}" >/dev/null
  fresh
done
