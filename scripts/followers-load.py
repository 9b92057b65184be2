#!/usr/bin/env python3
"""Measures what followers catching up cost the validators (issue 31, ADR 0027).

Starts `catena testnet --validators 4 --followers 4` (release build by default), stops the four
followers and empties their stores, lets the validators build BLOCKS blocks, then measures on
the validators, from their /metrics, for WINDOW seconds idle and then while the four followers
sync the whole chain from scratch at once:
  - the mean interval between blocks (catena_block_interval_seconds),
  - the mean commit latency, from starting to build a block to its synced write
    (catena_commit_latency_seconds; the time a height's votes take is inside the interval),
and prints both, their ratio (target: within 1.5x of idle) and the followers' catch-up rate.
The idle figures are taken over WINDOW seconds, the syncing ones from the followers' start
until all four have reached the height they started behind.

    scripts/followers-load.py [--catena BIN] [--blocks 1000] [--block-time-ms 100] [--window 20]
                              [--nice 19]

All eight nodes share this machine's cores: the followers' own block execution competes with
the validators for CPU, which a deployment with followers on their members' machines does not
have; `--nice 19` runs the followers at the lowest priority to approximate that, leaving what
serving them costs the validators.

Every wait has a deadline; every process started is stopped at the end, also on failure.
"""
import argparse
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def free_ports(count):
    """A run of `count` consecutive free ports."""
    for _ in range(100):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        base = s.getsockname()[1]
        s.close()
        if base + count > 65000:
            continue
        ok = True
        for p in range(base, base + count):
            t = socket.socket()
            try:
                t.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                t.close()
        if ok:
            return base
    sys.exit("no run of free ports")


def get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode()
    except Exception:
        return None


def height(api):
    body = get(f"{api}/status")
    return json.loads(body)["height"] if body else None


def wait(what, deadline_s, check):
    end = time.time() + deadline_s
    while time.time() < end:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    sys.exit(f"timed out after {deadline_s} s waiting for {what}")


def histogram(api, name):
    """(sum, count) of a histogram on a node's /metrics."""
    text = get(f"{api}/metrics") or ""
    total = count = None
    for line in text.splitlines():
        m = re.match(rf"^{name}_(sum|count)(?:{{[^}}]*}})? ([0-9.eE+-]+)$", line)
        if m:
            if m.group(1) == "sum":
                total = float(m.group(2))
            else:
                count = float(m.group(2))
    return total, count


def means(apis, window, until=lambda: False, progress=None):
    """Mean block interval and commit latency (ms) over the validators, measured for `window`
    seconds or until `until()` (asked every 0.1 s) says done, whichever comes first."""
    names = ["catena_block_interval_seconds", "catena_commit_latency_seconds"]
    before = {(a, n): histogram(a, n) for a in apis for n in names}
    end = time.time() + window
    said = time.time()
    while time.time() < end and not until():
        time.sleep(0.1)
        if progress and time.time() - said >= 10:
            said = time.time()
            print(f"  … {progress()}", flush=True)
    after = {(a, n): histogram(a, n) for a in apis for n in names}
    out = []
    for n in names:
        ds = sum(after[(a, n)][0] - before[(a, n)][0] for a in apis)
        dc = sum(after[(a, n)][1] - before[(a, n)][1] for a in apis)
        out.append(1000 * ds / dc if dc else float("nan"))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target"))
    p = argparse.ArgumentParser()
    p.add_argument("--catena", default=os.path.join(target, "release", "catena"))
    p.add_argument("--blocks", type=int, default=1000)
    p.add_argument("--block-time-ms", type=int, default=100)
    p.add_argument("--window", type=float, default=20)
    p.add_argument("--nice", type=int, default=0,
                   help="run the restarted followers at this niceness (19 approximates followers "
                        "on other machines: on one machine they take the validators' CPU)")
    args = p.parse_args()
    if not os.access(args.catena, os.X_OK):
        sys.exit(f"no catena binary at {args.catena}: cargo build --release -p catena")

    d = tempfile.mkdtemp(prefix="catena-followers-")
    api_port, p2p_port = free_ports(8), free_ports(8)
    apis = [f"http://127.0.0.1:{api_port + i}" for i in range(8)]
    validators, followers = apis[:4], apis[4:]
    started = []
    try:
        testnet = subprocess.Popen(
            [args.catena, "testnet", "--validators", "4", "--followers", "4", "--dir", d,
             "--api-port", str(api_port), "--p2p-port", str(p2p_port),
             "--block-time-ms", str(args.block_time_ms)],
            stdout=subprocess.PIPE, text=True, start_new_session=True)
        started.append(testnet)
        # testnet's output is read on a thread so that a silent testnet cannot block the
        # deadline below.
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in testnet.stdout],
                         daemon=True).start()
        pids = {}
        end = time.time() + 60
        while len(pids) < 8 and time.time() < end:
            try:
                line = lines.get(timeout=max(0.1, end - time.time()))
            except queue.Empty:
                break
            m = re.match(r"^(validator|follower) (\d+): API \S+\s+\(pid (\d+)", line)
            if m:
                pids[(m.group(1), int(m.group(2)))] = int(m.group(3))
        if len(pids) < 8:
            sys.exit(f"catena testnet did not start 8 nodes: {pids}")
        wait("the validators' first blocks", 120,
             lambda: all((height(a) or 0) >= 3 for a in validators))
        for k in range(1, 5):
            os.kill(pids[("follower", k)], signal.SIGKILL)
        time.sleep(1)
        for k in range(5, 9):
            shutil.rmtree(os.path.join(d, f"node-{k}", "data"), ignore_errors=True)
        print(f"building {args.blocks} blocks on the validators alone …", flush=True)
        wait(f"height {args.blocks}", args.blocks * args.block_time_ms / 1000 * 4 + 120,
             lambda: (height(validators[0]) or 0) >= args.blocks)

        print(f"measuring the validators idle for {args.window:.0f} s …", flush=True)
        idle = means(validators, args.window)
        behind = height(validators[0])
        began = time.time()
        for k in range(5, 9):
            log = open(os.path.join(d, f"node-{k}.restart.log"), "w")
            started.append(subprocess.Popen(
                [args.catena, "node", "--home", os.path.join(d, f"node-{k}")],
                stdout=log, stderr=log, start_new_session=True,
                preexec_fn=(lambda: os.nice(args.nice)) if args.nice else None))
        print(f"4 followers syncing {behind} blocks from scratch …", flush=True)

        def synced():
            return all((height(a) or 0) >= behind for a in followers)

        # Measured while the followers sync (up to 600 s).
        syncing = means(validators, 600, synced, lambda: "heights: validator 1 "
                        f"{height(validators[0])}, followers "
                        f"{[height(a) for a in followers]} of {behind}")
        if not synced():
            sys.exit("the followers did not reach the height they started behind within 600 s")
        took = time.time() - began

        print(f"validators idle:            block interval {idle[0]:.1f} ms, commit latency {idle[1]:.1f} ms")
        print(f"4 followers syncing:        block interval {syncing[0]:.1f} ms, commit latency {syncing[1]:.1f} ms")
        print(f"ratio (target at most 1.5): block interval {syncing[0] / idle[0]:.2f}, commit latency {syncing[1] / idle[1]:.2f}")
        print(f"followers: {behind} blocks from scratch in {took:.1f} s ({behind / took:.0f} blocks/s each)")
    finally:
        for proc in started:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
