#!/usr/bin/env bash
# Catena's tests (docs/development.md).
#
#   scripts/test.sh              the whole suite: formatting, lints, the no_std crates for wasm32,
#                                the contract artifacts against a fresh build, every test of both
#                                workspaces (the node's and the contracts'), doctests, the
#                                benchmarks run once as a check
#   scripts/test.sh --fast       the fast tier, after every change: formatting, lints, unit and
#                                in-process tests, one short multi-process smoke test, the
#                                contracts' tests with 1,000 model sequences
#   scripts/test.sh --only NAME  one integration test file of tests/ (such as voucher_cli)
#
# Tests run under cargo-nextest with the limits of .config/nextest.toml: no test runs past its
# limit. The run ends with a line counting the tests passed and failed.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=full
only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --fast) mode=fast ;;
        --only)
            [ $# -ge 2 ] || { echo "error: --only needs the name of a file in tests/ (such as voucher_cli)" >&2; exit 2; }
            mode=only; only="$2"; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $1 (see scripts/test.sh --help)" >&2; exit 2 ;;
    esac
    shift
done

./scripts/setup.sh --tests || exit 1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catena/target}"
export CARGO_TERM_COLOR=never
mkdir -p "$CARGO_TARGET_DIR"
contracts_native="$HOME/.cache/catena/contracts-native"
log="$CARGO_TARGET_DIR/test-output.txt"
: > "$log"
started=$SECONDS

step() { echo; echo "==> $*"; }
# A step that must pass for the rest to mean anything: the run stops at its failure.
must() {
    "$@" || { echo; echo "FAILED: $*"; echo "tests: 0 passed, 0 failed (stopped before the tests, after $((SECONDS - started)) s)"; exit 1; }
}
# A test step: its output is kept for the count, and a failure does not stop the other steps.
failed_steps=()
tests() {
    local name="$1"; shift
    "$@" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || failed_steps+=("$name")
}

nextest() { cargo nextest run --locked --no-tests=warn "$@"; }
contracts_nextest() {
    cargo nextest run --locked --manifest-path contracts/Cargo.toml --workspace \
        --target-dir "$contracts_native" "$@"
}
# The node's integration tests that start no network of node processes, and the one short
# multi-process test the fast tier runs.
in_process='not (package(catena) | package(catena-bench)) | ((package(catena) | package(catena-bench)) & kind(bin))'
smoke='binary_id(catena::catch_up)'

summary() {
    # nextest: "     Summary [ 12.3s] 45 tests run: 44 passed, 1 failed, 2 skipped"; cargo test:
    # "test result: ok. 3 passed; 0 failed; ..." at the start of a line (a failed test's captured
    # output, which nextest prints indented, holds its own "test result:" line: not counted).
    local passed failed counted
    counted=$(grep -E '^( +Summary \[.*tests? run: |test result: )' "$log")
    passed=$(grep -Eo '(tests? run: [0-9]+ passed|test result: [A-Za-z]+\. [0-9]+ passed)' <<<"$counted" \
        | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
    failed=$(grep -Eo '[0-9]+ (failed|timed out)' <<<"$counted" | awk '{s+=$1} END {print s+0}')
    echo
    if [ ${#failed_steps[@]} -gt 0 ]; then
        echo "failed steps: ${failed_steps[*]}"
        [ "$failed" -gt 0 ] || failed=${#failed_steps[@]}
    fi
    echo "tests: $passed passed, $failed failed ($mode run, $((SECONDS - started)) s)"
    [ "$failed" -eq 0 ] && [ ${#failed_steps[@]} -eq 0 ]
}

if [ "$mode" = only ]; then
    if [ ! -f "tests/$only.rs" ]; then
        echo "error: no tests/$only.rs; the integration tests are: $(ls tests/*.rs | xargs -n1 basename | sed 's/\.rs$//' | tr '\n' ' ')" >&2
        exit 2
    fi
    package=catena; [ "$only" = bench ] && package=catena-bench
    step "cargo nextest run -p $package --test $only"
    tests "$only" nextest -p "$package" --test "$only"
    summary; exit
fi

step "cargo fmt --check (the node's workspace and the contracts')"
must cargo fmt --all -- --check
must cargo fmt --manifest-path contracts/Cargo.toml --all -- --check

if [ "$mode" = full ]; then
    step "primitives, consensus and the host ABI build for wasm32-unknown-unknown (no std, no tokio/rocksdb/libp2p/wasmtime)"
    must cargo build --locked -q -p catena-primitives -p catena-consensus -p catena-abi \
        --no-default-features --target wasm32-unknown-unknown
    step "contracts: clippy for wasm32, and the committed artifacts match a fresh build"
    if rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
        must cargo clippy --locked -q --manifest-path contracts/Cargo.toml --target wasm32-unknown-unknown \
            --target-dir "$HOME/.cache/catena/contracts-target" -- -D warnings
        must ./scripts/build-contracts.sh --check
    else
        echo "wasm32-unknown-unknown is not installed: the artifacts are not rebuilt (the node uses the committed ones)"
    fi
fi

step "clippy -D warnings (the node's workspace, and the contracts' natively)"
must cargo clippy --locked -q --workspace --all-targets -- -D warnings
must cargo clippy --locked -q --manifest-path contracts/Cargo.toml --workspace --all-targets \
    --target-dir "$contracts_native" -- -D warnings

if [ "$mode" = fast ]; then
    step "the contracts' native tests, the model-based test with 1,000 sequences"
    PROPTEST_CASES=1000 tests contracts contracts_nextest
    step "unit and in-process tests, and the multi-process smoke test ($smoke)"
    tests node nextest --workspace --profile fast -E "$in_process | $smoke"
    summary; exit
fi

step "the contracts' native tests and the model-based test (10,000 random sequences)"
tests contracts contracts_nextest
step "every test of the node's workspace (limits and groups: .config/nextest.toml)"
tests node nextest --workspace
step "doctests"
tests doctests timeout 900 cargo test --locked -q --workspace --doc
step "the criterion benchmarks, each run once as a check (cargo bench -p catena-node measures)"
tests benches timeout 900 cargo test --locked -q -p catena-node --benches
summary
