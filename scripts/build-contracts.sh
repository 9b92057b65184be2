#!/usr/bin/env bash
# Builds the contracts workspace for wasm32 and copies each contract's .wasm to
# contracts/artifacts/. With --check, compares a fresh build with the committed artifacts
# instead, and fails on any difference (the node embeds the committed ones).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CONTRACTS_TARGET_DIR:-$HOME/.cache/catena/contracts-target}"
contracts=(registry records cash voucher receipts lending counter)
# Reproducible bytes. Cargo names a path dependency outside the contracts workspace
# (runtime/abi, the host ABI) by its absolute path when it hashes crate metadata, and panic locations name
# source files by absolute path; both end up in the .wasm. So the build runs through a fixed
# path (a symlink to this checkout, held under a lock), and the source paths that remain are
# mapped to fixed names. The compiler's own version also shows in the bytes; it is recorded
# in contracts/artifacts/TOOLCHAIN, and a check with another compiler says so instead of failing.
fixed=/tmp/catena-contracts-src
exec 9>"$fixed.lock"
flock 9
ln -sfn "$(pwd -P)" "$fixed"
cargo_home="$(cd "${CARGO_HOME:-$HOME/.cargo}" && pwd -P)"
unset CARGO_ENCODED_RUSTFLAGS
# An initial memory of 20 pages (1.25 MiB: the 1 MiB stack, the data, ~200 KiB of heap), so that
# a call rarely grows its memory (see the SDK's allocator).
export RUSTFLAGS="--remap-path-prefix=$fixed=/catena --remap-path-prefix=$cargo_home=/cargo -C link-arg=--initial-memory=1310720"
toolchain="$(rustc -V)"
if [[ "${1:-}" == "--check" ]]; then
    recorded="$(cat contracts/artifacts/TOOLCHAIN 2>/dev/null || echo unknown)"
    if [[ "$recorded" != "$toolchain" ]]; then
        echo "the artifacts were built with $recorded and this machine has $toolchain:"
        echo "a byte-for-byte comparison needs the same compiler, so it is skipped here"
        exit 0
    fi
fi
cargo build --locked -q --release --target wasm32-unknown-unknown \
    --manifest-path "$fixed/contracts/Cargo.toml" --target-dir "$target"
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
if [[ "${1:-}" != "--check" ]]; then
    echo "$toolchain" > contracts/artifacts/TOOLCHAIN
fi
exit $status
