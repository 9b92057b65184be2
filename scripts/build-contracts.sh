#!/usr/bin/env bash
# Builds the contracts workspace for wasm32 and copies each contract's .wasm to
# contracts/artifacts/. With --check, compares a fresh build with the committed artifacts
# instead, and fails on any difference (the node embeds the committed ones).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CONTRACTS_TARGET_DIR:-$HOME/.cache/catena/contracts-target}"
contracts=(registry records cash voucher counter)
cargo build --locked -q --release --target wasm32-unknown-unknown \
    --manifest-path contracts/Cargo.toml --target-dir "$target"
status=0
for name in "${contracts[@]}"; do
    built="$target/wasm32-unknown-unknown/release/$name.wasm"
    committed="contracts/artifacts/$name.wasm"
    if [[ "${1:-}" == "--check" ]]; then
        if cmp -s "$built" "$committed"; then
            echo "$committed matches a fresh build ($(sha256sum < "$built" | cut -c1-16)…)"
        else
            echo "$committed differs from a fresh build: run ./scripts/build-contracts.sh and commit" >&2
            status=1
        fi
    else
        cp "$built" "$committed"
        echo "built $committed ($(wc -c < "$built") bytes)"
    fi
done
exit $status
