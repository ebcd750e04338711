#!/usr/bin/env bash
# Live sweep benchmark (not a test): quota use of a central sweep through the quota-emulating
# proxy (10 rps, burst 15), and the documented shell loop of `aws account get-alternate-contact`
# next to `contactscan --role-name` at 1,000 accounts on moto.
#
# Installs the pinned moto and awscli of tests/moto-requirements.txt into .venv/ when missing.
# Extra arguments go to examples/live_bench.rs: --quota-accounts N (100), --role-accounts N
# (1000), --shell-accounts N (100; the loop is sequential, so 1,000 is extrapolated unless
# --shell-accounts 1000, which takes about 40 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin contactscan --example live_bench
exec target/release/examples/live_bench --bin target/release/contactscan "$@"
