//! SIGKILL while transactions flow: the node restarts from its last committed block with the
//! same state root, and every transaction it acknowledged as committed is still there.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use catena_primitives::{Call, Transaction};
use common::{wait_for, TestNode};

#[test]
fn kill_9_under_load_loses_nothing_acknowledged() {
    let dir = common::test_dir();
    let mut node = TestNode::dev(dir.path(), 100);
    let chain_id = node.chain_id();
    let senders: Vec<_> = ["tier1-steel", "tier2-parts", "tier3-materials"]
        .iter()
        .map(|name| node.demo_key(name))
        .collect();
    // Acknowledged = reported committed by the node: hash -> height.
    let mut acknowledged: BTreeMap<String, u64> = BTreeMap::new();
    // Observed headers: height -> (block hash, state root).
    let mut headers: BTreeMap<u64, (String, String)> = BTreeMap::new();

    for round in 0..3 {
        let mut pending = Vec::new();
        for (i, key) in senders.iter().enumerate() {
            let nonce = node.next_nonce(key);
            for n in nonce..nonce + 15 {
                let text = format!("round {round} sender {i} nonce {n}");
                let tx = Transaction::signed(&chain_id, n, Call::Remark(text.into_bytes()), key);
                let reply = node.submit(&tx);
                assert_eq!(reply.status, 202, "{}", reply.body);
                pending.push(tx.hash().to_string());
            }
        }
        // Collect commit acknowledgements until at least some arrived, then kill mid-flow.
        wait_for("some commits", Duration::from_secs(60), || {
            for hash in &pending {
                if acknowledged.contains_key(hash) {
                    continue;
                }
                if let Some(reply) = node.get(&format!("/transactions/{hash}")) {
                    if reply.body["status"] == "committed" {
                        acknowledged.insert(
                            hash.clone(),
                            reply.body["block_height"].as_u64().expect("h"),
                        );
                    }
                }
            }
            (acknowledged.len() >= 10 * (round + 1)).then_some(())
        });
        let tip = node.get_ok("/status");
        let height = tip["height"].as_u64().expect("height");
        headers.insert(
            height,
            (
                tip["block_hash"].as_str().expect("hash").into(),
                tip["state_root"].as_str().expect("root").into(),
            ),
        );
        node.kill9();
        node.start();

        // Continues from at least the last observed block, with identical headers.
        assert!(
            node.height() >= height,
            "restarted below the acknowledged tip"
        );
        for (h, (hash, root)) in &headers {
            let block = node.get_ok(&format!("/blocks/{h}"));
            assert_eq!(
                block["hash"].as_str(),
                Some(hash.as_str()),
                "block {h} changed across restart"
            );
            assert_eq!(
                block["state_root"].as_str(),
                Some(root.as_str()),
                "state root {h} changed"
            );
        }
        for (hash, h) in &acknowledged {
            let reply = node.get(&format!("/transactions/{hash}")).expect("answer");
            assert_eq!(
                reply.body["status"], "committed",
                "acknowledged {hash} lost: {}",
                reply.body
            );
            assert_eq!(reply.body["block_height"].as_u64(), Some(*h));
        }
        let resumed = node.height() + 2;
        wait_for("blocks after restart", Duration::from_secs(30), || {
            (node.height() >= resumed).then_some(())
        });
    }
    // A clean stop exits with success.
    assert!(node.stop().success());
}

#[test]
fn a_validator_without_its_vote_log_refuses_to_start() {
    let dir = common::test_dir();
    let mut node = TestNode::dev(dir.path(), 100);
    wait_for("a few blocks", Duration::from_secs(30), || {
        (node.height() >= 3).then_some(())
    });
    assert!(node.stop().success());
    let log = node.home.join("data/chains/catena-dev/votes.wal");
    assert!(log.exists(), "the validator keeps a vote log");
    std::fs::remove_file(&log).expect("remove the vote log");

    let home = node.home.to_str().expect("utf-8").to_string();
    let out = common::catena(&["node", "--home", &home]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no vote log") && err.contains("--allow-missing-vote-log"),
        "{err}"
    );

    // Told explicitly, it starts with a new log and goes on.
    node.args.push("--allow-missing-vote-log".into());
    node.start();
    let next = node.height() + 2;
    wait_for(
        "blocks after an explicit start",
        Duration::from_secs(30),
        || (node.height() >= next).then_some(()),
    );
    assert!(log.exists());
}

/// A transaction answered 202 is durable (ADR 0032): the node that admitted it is killed before
/// any block holds it, and after its restart the transaction is committed all the same.
#[test]
fn a_transaction_answered_202_survives_a_kill_of_the_node_that_admitted_it() {
    let dir = common::test_dir();
    // Blocks 4 s apart: what is sent between two blocks is pending when the node dies.
    let mut node = TestNode::dev(dir.path(), 4_000);
    let chain_id = node.chain_id();
    let key = node.demo_key("tier1-steel");
    let mut sent: Vec<String> = Vec::new();
    let mut survived = 0;
    for round in 0..3 {
        wait_for("a block", Duration::from_secs(30), || {
            (node.height() >= 1).then_some(())
        });
        let nonce = node.next_nonce(&key);
        let mut batch = Vec::new();
        for n in nonce..nonce + 100 {
            let text = format!("acknowledged before the crash: round {round} nonce {n}");
            let tx = Transaction::signed(&chain_id, n, Call::Remark(text.into_bytes()), &key);
            let reply = node.submit(&tx);
            assert_eq!(reply.status, 202, "{}", reply.body);
            batch.push(tx.hash().to_string());
        }
        let height_at_kill = node.height();
        node.kill9();
        node.start();
        wait_for(
            "every transaction answered 202 committed",
            Duration::from_secs(60),
            || {
                batch
                    .iter()
                    .all(|hash| {
                        node.get(&format!("/transactions/{hash}"))
                            .is_some_and(|r| r.body["status"] == "committed")
                    })
                    .then_some(())
            },
        );
        // Those committed after the kill were pending when the node died.
        survived += batch
            .iter()
            .filter(|hash| {
                node.get_ok(&format!("/transactions/{hash}"))["block_height"]
                    .as_u64()
                    .is_some_and(|h| h > height_at_kill)
            })
            .count();
        sent.extend(batch);
        if survived > 0 {
            break;
        }
    }
    println!(
        "{survived} of {} transactions answered 202 were pending at the kill and committed after the restart",
        sent.len()
    );
    assert!(survived > 0, "no transaction was pending at a kill");
}
