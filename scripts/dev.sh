#!/usr/bin/env bash
# Sets up what is missing, builds `catena`, and runs a one-validator dev chain with the demo
# consortium (a core enterprise, three suppliers, a bank, a logistics firm, an auditor) and its
# HTTP API on http://127.0.0.1:8545. The chain lives in ~/.catena/dev (or $CATENA_HOME) and
# continues where it stopped when run again. Extra arguments go to `catena dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catena/target}"
cargo build --locked -p catena
exec "$CARGO_TARGET_DIR/debug/catena" dev "$@"
