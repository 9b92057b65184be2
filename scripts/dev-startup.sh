#!/usr/bin/env bash
# Measures a fresh dev chain's start-up: from launching `catena dev` in an empty home to its API
# answering, and to its first block. Prints the median of RUNS runs (default 5).
#
#   scripts/dev-startup.sh [CATENA_BINARY] [RUNS]
#
# The binary defaults to the debug build in $CARGO_TARGET_DIR (or ./target).
set -euo pipefail

bin="${1:-${CARGO_TARGET_DIR:-target}/debug/catena}"
runs="${2:-5}"
[ -x "$bin" ] || { echo "no catena binary at $bin (build it, or pass its path)" >&2; exit 1; }

now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
height() { curl -fsS "http://$1/status" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])' 2>/dev/null; }

api_ms=() block_ms=()
for _ in $(seq "$runs"); do
    home=$(mktemp -d)
    port=$(free_port)
    start=$(now_ms)
    "$bin" dev --home "$home/dev" --api-addr "127.0.0.1:$port" --p2p-addr /ip4/127.0.0.1/tcp/0 >"$home/log" 2>&1 &
    pid=$!
    api=""
    deadline=$((start + 60000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        h=$(height "127.0.0.1:$port" || true)
        if [ -n "$h" ]; then
            [ -z "$api" ] && api=$(( $(now_ms) - start ))
            if [ "$h" -ge 1 ]; then
                api_ms+=("$api")
                block_ms+=("$(( $(now_ms) - start ))")
                break
            fi
        fi
        sleep 0.01
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [ -n "$api" ] || { echo "the dev chain did not answer within 60 s; its log:" >&2; cat "$home/log" >&2; exit 1; }
    rm -rf "$home"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "dev chain start-up over $runs runs ($bin):"
echo "  API answering: median $(median "${api_ms[@]}") ms (all: ${api_ms[*]})"
echo "  first block:   median $(median "${block_ms[@]}") ms (all: ${block_ms[*]})"
