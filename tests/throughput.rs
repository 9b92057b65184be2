//! Idle and loaded figures of a 4-validator testnet on this machine (printed, never asserted):
//! blocks per second, block interval and commit latency from the nodes' metrics, and under a
//! burst of pre-signed transactions the rate at which they were committed. What is asserted is
//! that every submitted transaction is committed exactly once.

mod common;

use std::time::{Duration, Instant};

use catena_primitives::{Call, Transaction};
use common::{height_of, submit_quietly, wait_for, TestNode};

const SIGNERS: [&str; 6] = common::DEMO_SIGNERS;
const PER_SIGNER: u64 = 500;

/// (count, sum) of the commit latency histogram, summed over the nodes.
fn commit_latency(nodes: &[TestNode]) -> (f64, f64) {
    nodes.iter().fold((0.0, 0.0), |(c, s), n| {
        (
            c + n
                .metric("catena_commit_latency_seconds_count")
                .unwrap_or(0.0),
            s + n.metric("catena_commit_latency_seconds_sum").unwrap_or(0.0),
        )
    })
}

fn block_time(node: &TestNode, height: u64) -> u64 {
    node.get_ok(&format!("/blocks/{height}"))["time_ms"]
        .as_u64()
        .expect("time")
}

/// Prints blocks per second, mean block interval and mean commit latency over `from..=to`.
fn report(what: &str, nodes: &[TestNode], from: u64, to: u64, latency: ((f64, f64), (f64, f64))) {
    let span_ms = block_time(&nodes[0], to) - block_time(&nodes[0], from);
    let blocks = (to - from) as f64;
    let ((c0, s0), (c1, s1)) = latency;
    println!(
        "{what}: {:.2} blocks/s, mean block interval {:.0} ms, mean commit latency {:.1} ms (build to synced write, {} commits on 4 nodes)",
        blocks * 1000.0 / span_ms as f64,
        span_ms as f64 / blocks,
        (s1 - s0) / (c1 - c0) * 1000.0,
        c1 - c0
    );
}

#[test]
fn a_burst_of_transactions_is_committed_exactly_once_with_figures() {
    let net = common::network().start();
    net.wait_all(2, "the first blocks");
    let nodes = &net.nodes;
    let chain_id = nodes[0].chain_id();

    // Idle: ten blocks with nothing to do.
    let from = height_of(&nodes[0]).expect("height");
    let before = commit_latency(nodes);
    net.wait_all(from + 10, "ten idle blocks");
    let to = from + 10;
    report("idle", nodes, from, to, (before, commit_latency(nodes)));

    // Loaded: 3,000 pre-signed remarks (500 consecutive nonces for each of six members), sent
    // by four threads, one per node, as fast as the nodes admit them.
    let keys: Vec<_> = SIGNERS.iter().map(|n| nodes[0].demo_key(n)).collect();
    let txs: Vec<Transaction> = (0..PER_SIGNER)
        .flat_map(|nonce| keys.iter().map(move |key| (nonce, key)).collect::<Vec<_>>())
        .map(|(nonce, key)| {
            Transaction::signed(
                &chain_id,
                nonce,
                Call::Remark(format!("load {nonce}").into_bytes()),
                key,
            )
        })
        .collect();
    let from = height_of(&nodes[0]).expect("height");
    let before = commit_latency(nodes);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for (i, node) in nodes.iter().enumerate() {
            let mine: Vec<&Transaction> = txs.iter().skip(i).step_by(4).collect();
            scope.spawn(move || {
                for tx in mine {
                    // A transaction whose nonce is ahead of what this node has seen waits for
                    // gossip; retry until admitted or already known.
                    wait_for("admission", Duration::from_secs(60), || {
                        let r = submit_quietly(node, tx)?;
                        matches!(r.status, 202 | 409).then_some(())
                    });
                }
            });
        }
    });
    let submitted = started.elapsed();
    wait_for(
        "every transaction committed",
        Duration::from_secs(300),
        || {
            keys.iter()
                .all(|k| nodes[0].next_nonce(k) == PER_SIGNER)
                .then_some(())
        },
    );
    let committed = started.elapsed();
    let to = height_of(&nodes[0]).expect("height");
    let mut included = 0;
    for h in from..=to {
        included += nodes[0].get_ok(&format!("/blocks/{h}"))["transactions"]
            .as_array()
            .expect("transactions")
            .len();
    }
    assert_eq!(included, txs.len(), "every transaction exactly once");
    println!(
        "loaded: {} transactions submitted in {:.1} s, all committed after {:.1} s ({:.0} tx/s) in {} blocks",
        txs.len(),
        submitted.as_secs_f64(),
        committed.as_secs_f64(),
        txs.len() as f64 / committed.as_secs_f64(),
        to - from
    );
    report("loaded", nodes, from, to, (before, commit_latency(nodes)));
}
