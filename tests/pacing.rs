//! Heights run back to back while transactions keep coming, and are paced by the block time when
//! nothing waits (ADR 0019, amended by issue 20): on a dev chain whose blocks hold at most 5
//! transactions and start 2 s apart, 20 transactions sent at once go into 4 or more blocks, each begun as
//! soon as the one before was committed; the block after them, with nothing to carry, begins a
//! whole block time after the last.

mod common;

use std::time::Duration;

use catena_primitives::{Call, Transaction};
use common::{wait_for, TestNode};

const BLOCK_TIME_MS: u64 = 2_000;
const PER_BLOCK: u64 = 5;
const SENT: u64 = 20;

/// A block's time (its proposer's clock when it began) and how many transactions it holds.
fn block(node: &TestNode, height: u64) -> (u64, usize) {
    let view = node.get_ok(&format!("/blocks/{height}"));
    let time = view["time_ms"].as_u64().expect("time_ms");
    let txs = view["transactions"].as_array().expect("transactions").len();
    (time, txs)
}

#[test]
fn heights_run_back_to_back_while_transactions_wait_and_paced_when_none_do() {
    let dir = common::test_dir();
    let node = TestNode::dev_with(
        dir.path(),
        |spec| {
            spec["parameters"]["block_time_ms"] = BLOCK_TIME_MS.into();
            spec["parameters"]["max_block_txs"] = PER_BLOCK.into();
        },
        |_| {},
    );
    let chain_id = node.chain_id();
    let key = node.demo_key("tier2-parts");
    let first = node.next_nonce(&key);
    let txs: Vec<Transaction> = (first..first + SENT)
        .map(|n| Transaction::signed(&chain_id, n, Call::Remark(vec![1; 16]), &key))
        .collect();
    let reply = node.submit_batch(&txs);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let last = node.wait_committed(&txs.last().expect("sent").hash().to_string());
    let first_block = node.wait_committed(&txs[0].hash().to_string());
    // The block after the last that carried some, with nothing to carry.
    let after = wait_for(
        "the block after the backlog",
        Duration::from_secs(30),
        || (node.height() > last).then_some(last + 1),
    );

    let blocks: Vec<(u64, usize)> = (first_block..=after).map(|h| block(&node, h)).collect();
    let carried: usize = blocks[..blocks.len() - 1].iter().map(|b| b.1).sum();
    assert!(
        carried as u64 >= SENT && last - first_block + 1 >= SENT / PER_BLOCK,
        "blocks {first_block}..={last}: {blocks:?}"
    );
    let gaps: Vec<u64> = blocks.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let (busy, idle) = gaps.split_at(gaps.len() - 1);
    println!("block gaps while transactions waited: {busy:?} ms; then, none waiting: {idle:?} ms");
    assert!(
        busy.iter().all(|gap| *gap < BLOCK_TIME_MS / 2),
        "heights waited for the block time though transactions waited: gaps {busy:?} ms"
    );
    assert_eq!(blocks[blocks.len() - 1].1, 0, "{blocks:?}");
    assert!(
        idle[0] >= BLOCK_TIME_MS * 3 / 4,
        "the height after the backlog did not wait for the block time: gap {} ms",
        idle[0]
    );
}
