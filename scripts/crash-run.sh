#!/usr/bin/env bash
# The long crash run of issue 19 (TEST-PLAN check 5; ADR 0033): 4 validators under load, one of
# them at a time killed at a random crash point and restarted, KILLS times (default 200); then
# every transaction answered 202 must be committed and no validator may have signed two votes or
# proposals for one height and round. The default suite runs the same test with 8 kills. Then
# TEST-PLAN check 17 for its full 3 minutes: the latest proposer killed every 15 s under a 50/s
# load (45 s in the default suite).
#   ./scripts/crash-run.sh [KILLS] [SEED]        (about 3 s per kill here, then 3.5 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catena/target}"
export CATENA_CRASH_KILLS="${1:-200}"
if [ -n "${2:-}" ]; then export CATENA_CRASH_SEED="$2"; fi
start=$(date +%s)
# cargo test, not nextest: the suite's per-test limit is for the short version; every wait of
# this test has its own deadline.
cargo test --locked -q -p catena --test crash_points -- --nocapture
echo "crash run: $CATENA_CRASH_KILLS kills in $(( $(date +%s) - start )) s"
start=$(date +%s)
CATENA_PROPOSER_KILL_SECS=180 cargo test --locked -q -p catena --test proposer_kills -- --nocapture
echo "proposer kills: 3 minutes in $(( $(date +%s) - start )) s"
