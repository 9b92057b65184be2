#!/usr/bin/env bash
# The whole test suite: formatting, lints, the no_std crates for wasm32, and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catena/target}"
export CARGO_TERM_COLOR=never
mkdir -p "$CARGO_TARGET_DIR"

step() { echo; echo "==> $*"; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "primitives, consensus and the host ABI build for wasm32-unknown-unknown (no std, no tokio/rocksdb/libp2p/wasmtime)"
cargo build --locked -q -p catena-primitives -p catena-consensus -p catena-abi --no-default-features --target wasm32-unknown-unknown
step "contracts: fmt, clippy for wasm32, and the committed artifacts match a fresh build"
cargo fmt --manifest-path contracts/Cargo.toml --all -- --check
if rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
    cargo clippy --locked -q --manifest-path contracts/Cargo.toml --target wasm32-unknown-unknown \
        --target-dir "$HOME/.cache/catena/contracts-target" -- -D warnings
    ./scripts/build-contracts.sh --check
else
    echo "wasm32-unknown-unknown is not installed: the artifacts are not rebuilt (the node uses the committed ones)"
fi
step "contracts: native unit tests and the model-based test (10,000 random sequences) on the mock host"
contracts_native="$HOME/.cache/catena/contracts-native"
cargo clippy --locked -q --manifest-path contracts/Cargo.toml --workspace --all-targets \
    --target-dir "$contracts_native" -- -D warnings
cargo test --locked --manifest-path contracts/Cargo.toml --workspace --target-dir "$contracts_native" \
    2>&1 | tee "$CARGO_TARGET_DIR/contracts-test-output.txt"
step "cargo clippy --all-targets -- -D warnings"
cargo clippy --locked -q --workspace --all-targets -- -D warnings
step "cargo test"
cargo test --locked --workspace 2>&1 | tee "$CARGO_TARGET_DIR/test-output.txt"
step "the criterion benchmarks, each run once as a check (cargo bench -p catena-node measures)"
cargo test --locked -q -p catena-node --benches
passed=$(cat "$CARGO_TARGET_DIR/test-output.txt" "$CARGO_TARGET_DIR/contracts-test-output.txt" \
    | grep -Eo 'test result: ok\. [0-9]+ passed' | awk '{s+=$4} END {print s+0}')
echo
echo "all tests: $passed passed, 0 failed"
