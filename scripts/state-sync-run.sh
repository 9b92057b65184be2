#!/usr/bin/env bash
# State sync at scale (issue 19, item 6; TEST-PLAN check 14): catena-bench builds a 4-validator
# chain of TXS committed voucher transfers (default 1,000,000, in runs of 50,000), then a new
# member's node joins it with `catena node --state-sync`; prints how long the join took (the
# target is 120 s) and the state it restored. Release build; about 10 minutes for 1,000,000
# here. The default suite runs tests/state_sync.rs on a small chain instead.
#   ./scripts/state-sync-run.sh [TXS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catena/release}"
cargo build --locked --release -q -p catena -p catena-bench
bin="$CARGO_TARGET_DIR/release"
txs="${1:-1000000}"
batch=50000
[ "$txs" -lt "$batch" ] && batch="$txs"
work=$(mktemp -d /tmp/catena-state-sync.XXXXXX)
net="$work/net"
joiner_pid=""
cleanup() {
    [ -n "$joiner_pid" ] && kill "$joiner_pid" 2>/dev/null || true
    pkill -f -- "--home $net/" 2>/dev/null || true
    for _ in $(seq 40); do pgrep -f -- "--home $net/" > /dev/null || break; sleep 0.25; done
    rm -rf "$work"
}
trap cleanup EXIT

# The chain: the first run starts and keeps the network, the others use it.
"$bin/catena-bench" --txs "$batch" --keep --dir "$net" --output json > "$work/bench-1.json" 2> "$work/bench-1.err"
# It says how to bench the kept network again: `catena-bench --dir DIR --api API...`.
apis=$(sed -n 's/.*catena-bench --dir [^ ]* --api \(.*\)$/\1/p' "$work/bench-1.err" | tail -1)
[ -n "$apis" ] || { cat "$work/bench-1.err"; echo "no kept network"; exit 1; }
done_txs=$batch
run=1
while [ "$done_txs" -lt "$txs" ]; do
    run=$((run + 1))
    # shellcheck disable=SC2086
    "$bin/catena-bench" --api $apis --dir "$net" --txs "$batch" --output json > "$work/bench-$run.json"
    done_txs=$((done_txs + batch))
    echo "committed $done_txs transfers"
done
api1=${apis%% *}
tip=$(curl -sf "$api1/blocks/latest" | python3 -c "import json,sys; print(json.load(sys.stdin)['height'])")
echo "the chain: $done_txs voucher transfers committed, height $tip"

# The new node: initialised from the spec, registered by its member, started with --state-sync.
spec="$net/chain-spec.json"
home="$work/joiner"
api_port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
p2p_port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
told=$("$bin/catena" init --home "$home" --chain "$spec" --api-addr "127.0.0.1:$api_port" \
    --p2p-addr "/ip4/127.0.0.1/tcp/$p2p_port" 2>&1)
peer=$(echo "$told" | sed -n 's/.*peer id \([^ ]*\).*/\1/p' | head -1)
"$bin/catena" member register-node "$peer" --as tier2-parts --home "$net" --api "$api1" > /dev/null
start=$(date +%s.%N)
"$bin/catena" node --home "$home" --state-sync > "$work/joiner.log" 2>&1 &
joiner_pid=$!
deadline=$(( $(date +%s) + 600 ))
until grep -q "state synced" "$work/joiner.log"; do
    if [ "$(date +%s)" -gt "$deadline" ] || ! kill -0 "$joiner_pid" 2>/dev/null; then
        tail -20 "$work/joiner.log"; echo "state sync did not finish"; exit 1
    fi
    sleep 0.5
done
synced=$(date +%s.%N)
grep "state synced" "$work/joiner.log" | tail -1
now=$(curl -sf "$api1/blocks/latest" | python3 -c "import json,sys; print(json.load(sys.stdin)['height'])")
until [ "$(curl -sf "http://127.0.0.1:$api_port/blocks/latest" 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['height'])" 2>/dev/null || echo 0)" -ge "$now" ]; do
    if [ "$(date +%s)" -gt "$deadline" ]; then echo "the joined node did not reach the tip"; exit 1; fi
    sleep 0.5
done
at_tip=$(date +%s.%N)
python3 - "$start" "$synced" "$at_tip" "$done_txs" <<'PY'
import sys
start, synced, tip, txs = map(float, sys.argv[1:])
print(f"joined a chain of {int(txs):,} transactions: state restored {synced - start:.1f} s after "
      f"start, at the tip {tip - start:.1f} s after start (target 120 s)")
PY
