#!/usr/bin/env bash
# `contactscan fix --apply` benchmark (not a test): 100 accounts x 3 types written through the
# proxy emulating the PutAlternateContact quota (5 rps, burst 8): quota use and wrong writes.
#
# Installs the pinned moto of tests/moto-requirements.txt into .venv/ when missing. Extra
# arguments go to examples/fix_bench.rs: --accounts N (100).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin contactscan --example fix_bench
exec target/release/examples/fix_bench --bin target/release/contactscan "$@"
