#!/usr/bin/env bash
# Fuzzes every route of the HTTP API from its OpenAPI document with schemathesis (PyPI) against
# a fresh dev chain, checking that no input produces a server error (5xx). Not part of the test
# suite (it needs PyPI and takes a while); run it after changing the API.
#   ./scripts/fuzz-api.sh [MAX_EXAMPLES]        (default 200 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/catena/target}"
cargo build --locked -q -p catena
command -v schemathesis >/dev/null || python3 -m pip install -q schemathesis
home=$(mktemp -d)
port=18611
"$CARGO_TARGET_DIR/debug/catena" dev --home "$home" --api-addr "127.0.0.1:$port" > "$home/node.log" 2>&1 &
node=$!
trap 'kill $node 2>/dev/null; wait $node 2>/dev/null; rm -rf "$home"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.5; done
# The event stream never ends by design; it is left out.
schemathesis run "http://127.0.0.1:$port/openapi.json" --checks not_a_server_error \
    --max-examples "${1:-200}" --exclude-path /stream
