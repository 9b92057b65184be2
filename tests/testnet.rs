//! A 4-validator testnet of real processes on 127.0.0.1, started by `catena testnet`: identical
//! blocks everywhere, transactions gossiped and committed, a validator killed with SIGKILL while
//! the others go on, and its restart catching up by block sync.

mod common;

use std::process::Command;
use std::time::Duration;

use catena_primitives::{Call, SecretKey, Transaction};
use common::load::Load;
use common::{height_of, node_at, start_testnet, wait_for, TestNode};

/// Asserts that consecutive blocks `from..=to` of `node` are at most 10 s apart.
fn assert_no_gap_over_10s(node: &TestNode, from: u64, to: u64) {
    let times: Vec<u64> = (from..=to)
        .map(|h| {
            node.get_ok(&format!("/blocks/{h}"))["time_ms"]
                .as_u64()
                .expect("time")
        })
        .collect();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] <= 10_000,
            "a gap of {} ms between blocks in {from}..={to}",
            pair[1] - pair[0]
        );
    }
}

#[test]
fn four_validators_agree_survive_a_kill_and_catch_up() {
    let dir = common::test_dir();
    let (testnet, nodes) = start_testnet(dir.path(), 300);
    let apis: Vec<String> = nodes.iter().map(|n| n.api.clone()).collect();

    // Every node commits, and every node has the same block at every height.
    wait_for("4 heights on every node", Duration::from_secs(90), || {
        nodes
            .iter()
            .all(|n| height_of(n).is_some_and(|h| h >= 4))
            .then_some(())
    });
    for height in 1..=4 {
        let blocks: Vec<_> = nodes
            .iter()
            .map(|n| n.get_ok(&format!("/blocks/{height}")))
            .collect();
        for block in &blocks[1..] {
            assert_eq!(block["hash"], blocks[0]["hash"], "height {height}");
            assert_eq!(
                block["state_root"], blocks[0]["state_root"],
                "height {height}"
            );
        }
        assert!(
            blocks[0]["certificate"]["signatures"]
                .as_array()
                .expect("signatures")
                .len()
                >= 3
        );
    }

    // A transaction sent to one validator is committed and seen by all.
    let key_file = dir.path().join("keys").join("tier1-steel.json");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(key_file).expect("key")).expect("json");
    let mut seed = [0u8; 32];
    hex::decode_to_slice(
        json["secret_seed"]
            .as_str()
            .expect("seed")
            .trim_start_matches("0x"),
        &mut seed,
    )
    .expect("hex");
    let supplier = SecretKey::from_seed(seed);
    let tx = Transaction::signed(
        "catena-local",
        0,
        Call::Remark(b"shipment 42".to_vec()),
        &supplier,
    );
    let reply = nodes[1].submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    let hash = tx.hash().to_string();
    for node in &nodes {
        node.wait_committed(&hash);
    }

    // From here on, a steady load: one remark in flight per demo member (but the one above).
    let signers = [
        "huaxia-motors",
        "tier2-parts",
        "tier3-materials",
        "merchant-bank",
        "swift-logistics",
        "audit-office",
    ]
    .map(|name| nodes[0].demo_key(name))
    .to_vec();
    let load = Load::start("catena-local", apis.clone(), signers);

    // The metrics show the peers and the round.
    wait_for(
        "3 connected peers in the metrics",
        Duration::from_secs(30),
        || (nodes[0].metric("catena_peers") == Some(3.0)).then_some(()),
    );
    assert!(nodes[0].metric("catena_consensus_round").is_some());

    // SIGKILL validator 4: the other three keep committing.
    let _ = Command::new("kill")
        .args(["-KILL", &testnet.pids[3].to_string()])
        .status();
    wait_for(
        "2 connected peers in the metrics",
        Duration::from_secs(30),
        || (nodes[0].metric("catena_peers") == Some(2.0)).then_some(()),
    );
    load.set_targets(apis[..3].to_vec());
    let base = height_of(&nodes[0]).expect("height");
    wait_for("three validators to go on", Duration::from_secs(60), || {
        nodes[..3]
            .iter()
            .all(|n| height_of(n).is_some_and(|h| h >= base + 3))
            .then_some(())
    });
    assert_no_gap_over_10s(&nodes[0], base, base + 3);

    // Restarted, validator 4 catches up by block sync and agrees.
    let mut restarted = node_at(apis[3].clone(), dir.path().join("node-4"));
    restarted.args = vec![
        "node".into(),
        "--home".into(),
        restarted.home.to_string_lossy().into(),
    ];
    restarted.start();
    let target = height_of(&nodes[0]).expect("height");
    wait_for(
        "the restarted validator to catch up",
        Duration::from_secs(60),
        || {
            height_of(&restarted)
                .is_some_and(|h| h >= target)
                .then_some(())
        },
    );
    let check = target.min(height_of(&restarted).expect("height"));
    assert_eq!(
        restarted.get_ok(&format!("/blocks/{check}"))["hash"],
        nodes[0].get_ok(&format!("/blocks/{check}"))["hash"]
    );

    // SIGSTOP for 10 s, then SIGCONT: back at the others' height (target 20 s; printed).
    let paused = restarted.child.as_ref().expect("running").id().to_string();
    let _ = Command::new("kill").args(["-STOP", &paused]).status();
    std::thread::sleep(Duration::from_secs(10));
    let _ = Command::new("kill").args(["-CONT", &paused]).status();
    let target = height_of(&nodes[0]).expect("height");
    let resumed = std::time::Instant::now();
    wait_for(
        "the paused validator to catch up",
        Duration::from_secs(120),
        || {
            height_of(&restarted)
                .is_some_and(|h| h >= target)
                .then_some(())
        },
    );
    println!(
        "after SIGCONT: back at the tip in {:.1} s",
        resumed.elapsed().as_secs_f64()
    );

    // Kill the proposer of the next height: the rest go on, with no gap over 10 s between
    // consecutive blocks.
    let next = height_of(&nodes[0]).expect("height") + 1;
    let proposer = (next % 4) as usize;
    let survivor = if proposer == 0 { &nodes[1] } else { &nodes[0] };
    if proposer == 3 {
        restarted.kill9();
    } else {
        let _ = Command::new("kill")
            .args(["-KILL", &testnet.pids[proposer].to_string()])
            .status();
    }
    let live: Vec<&TestNode> = nodes[..3]
        .iter()
        .chain([&restarted])
        .enumerate()
        .filter(|(i, _)| *i != proposer)
        .map(|(_, n)| n)
        .collect();
    load.set_targets(live.iter().map(|n| n.api.clone()).collect());
    wait_for(
        "four blocks after the leader's death",
        Duration::from_secs(60),
        || {
            height_of(survivor)
                .is_some_and(|h| h >= next + 3)
                .then_some(())
        },
    );
    assert_no_gap_over_10s(survivor, next - 1, next + 3);

    // Every transaction acknowledged as committed is in the same block on every live node.
    let acknowledged = load.finish();
    assert!(
        acknowledged.len() >= 20,
        "only {} transactions committed under load",
        acknowledged.len()
    );
    for node in &live {
        for (hash, height) in &acknowledged {
            let r = wait_for(
                "a transaction on a live node",
                Duration::from_secs(60),
                || {
                    node.get(&format!("/transactions/{hash}"))
                        .filter(|r| r.body["status"] == "committed")
                },
            );
            assert_eq!(r.body["block_height"].as_u64(), Some(*height), "{hash}");
        }
    }
    println!(
        "{} transactions acknowledged under load, through two kills and a pause; all on the {} live validators",
        acknowledged.len(),
        live.len()
    );
    drop(restarted);
    drop(testnet);
}
