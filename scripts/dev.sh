#!/usr/bin/env bash
# Sets up what is missing, builds `catena`, and runs `catena demo`: a fresh local 4-validator
# network with the demo consortium (a core enterprise, three suppliers, a bank, a logistics firm,
# an auditor) on its main chain and two supply chains' parachains, the supply-chain-finance story
# told step by step on them, and then the network left running with its HTTP API on
# http://127.0.0.1:8545 until Ctrl-C. Extra arguments go to
# `catena demo` (`--single` for one dev node, `--exit` to stop at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catena/target}"
cargo build --locked -p catena
exec "$CARGO_TARGET_DIR/debug/catena" demo "$@"
