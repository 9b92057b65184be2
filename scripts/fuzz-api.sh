#!/usr/bin/env bash
# Fuzzes every route of the HTTP API from its OpenAPI document with schemathesis (PyPI), with
# all its checks (not only "no 5xx": schema-valid requests are answered, schema-violating ones
# refused, every status and response documented), against a dev node holding the demo's state
# (`catena demo --single`). The few rules no schema can state are allowed per operation in
# .config/schemathesis.toml, each with its reason. Not part of the test suite (it needs PyPI and
# takes a few minutes); run it after changing the API.
#   ./scripts/fuzz-api.sh [MAX_EXAMPLES]        (default 100 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catena/target}"
cargo build --locked -q -p catena
command -v schemathesis >/dev/null || python3 -m pip install -q 'schemathesis>=4.3,<5'
dir=$(mktemp -d)
port=$((18000 + RANDOM % 1000))
"$CARGO_TARGET_DIR/debug/catena" demo --single --dir "$dir/demo" --api-port "$port" \
    --p2p-port $((port + 1000)) > "$dir/demo.log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null; wait $demo 2>/dev/null; rm -rf "$dir"' EXIT
# The demo tells its story (about two minutes, maturity included), then leaves the chain running.
for _ in $(seq 1 300); do
    grep -q "The chain keeps running" "$dir/demo.log" && break
    kill -0 $demo 2>/dev/null || { cat "$dir/demo.log"; echo "fuzz-api: the demo stopped"; exit 1; }
    sleep 1
done
grep -q "The chain keeps running" "$dir/demo.log" || { tail -20 "$dir/demo.log"; echo "fuzz-api: the demo did not finish its story in 300 s"; exit 1; }
# The event stream never ends by design: it is left out (tests/ cover it).
schemathesis --config-file .config/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
    --checks all --max-examples "${1:-100}" --exclude-path-regex '/stream$' \
    --request-timeout 30 --seed 1
