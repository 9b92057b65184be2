//! A 4-validator testnet of real processes on 127.0.0.1, started by the harness's launcher (the
//! one `catena testnet` uses): identical blocks everywhere, transactions gossiped and committed,
//! a validator killed with SIGKILL while the others go on, and its restart catching up by block
//! sync. And `catena testnet` itself: its validators answer on the ports it was given, and
//! Ctrl-C (SIGTERM) stops them all.

mod common;

use std::time::Duration;

use catena_primitives::Call;
use common::load::Load;
use common::{free_ports, height_of, wait_for, TestNode, BIN};

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
    let mut net = common::network().block_time_ms(300).start();
    let apis = net.apis();

    // Every node commits, and every node has the same block at every height.
    net.wait_all(4, "4 heights on every node");
    for height in 1..=4 {
        let blocks: Vec<_> = net
            .nodes
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
    let tx = net.nodes[0]
        .signer("tier1-steel")
        .sign(Call::Remark(b"shipment 42".to_vec()));
    let reply = net.nodes[1].submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    let hash = tx.hash().to_string();
    for node in &net.nodes {
        node.wait_committed(&hash);
    }

    // From here on, a steady load: one remark in flight per demo member (but the one above).
    let signers = common::demo_signers(&net.nodes[0]);
    let load = Load::start("catena-local", apis.clone(), signers);

    // The metrics show the peers and the round.
    wait_for(
        "3 connected peers in the metrics",
        Duration::from_secs(30),
        || (net.nodes[0].metric("catena_peers") == Some(3.0)).then_some(()),
    );
    assert!(net.nodes[0].metric("catena_consensus_round").is_some());

    // SIGKILL validator 4: the other three keep committing.
    net.crash(3);
    wait_for(
        "2 connected peers in the metrics",
        Duration::from_secs(30),
        || (net.nodes[0].metric("catena_peers") == Some(2.0)).then_some(()),
    );
    load.set_targets(apis[..3].to_vec());
    let base = net.tip();
    net.wait_height(&[0, 1, 2], base + 3, Duration::from_secs(60));
    assert_no_gap_over_10s(&net.nodes[0], base, base + 3);

    // Restarted, validator 4 catches up by block sync and agrees.
    net.restart(3);
    let target = net.tip();
    net.wait_height(&[3], target, Duration::from_secs(60));
    let check = target.min(height_of(&net.nodes[3]).expect("height"));
    assert_eq!(
        net.nodes[3].get_ok(&format!("/blocks/{check}"))["hash"],
        net.nodes[0].get_ok(&format!("/blocks/{check}"))["hash"]
    );

    // SIGSTOP for 10 s, then SIGCONT: back at the others' height (target 20 s; printed).
    net.pause(3);
    std::thread::sleep(Duration::from_secs(10));
    net.resume(3);
    let target = height_of(&net.nodes[0]).expect("height");
    let resumed = std::time::Instant::now();
    wait_for(
        "the paused validator to catch up",
        Duration::from_secs(120),
        || {
            height_of(&net.nodes[3])
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
    let next = height_of(&net.nodes[0]).expect("height") + 1;
    let proposer = (next % 4) as usize;
    net.crash(proposer);
    let survivor = if proposer == 0 {
        &net.nodes[1]
    } else {
        &net.nodes[0]
    };
    let live: Vec<&TestNode> = net
        .nodes
        .iter()
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
}

#[test]
fn catena_testnet_runs_validators_on_the_given_ports_until_stopped() {
    let dir = common::test_dir();
    let (api_port, p2p_port) = (free_ports(2), free_ports(2));
    let mut command = std::process::Command::new(BIN);
    command
        .args(["testnet", "--validators", "2", "--dir"])
        .arg(dir.path())
        .args(["--api-port", &api_port.to_string()])
        .args(["--p2p-port", &p2p_port.to_string()])
        .args(["--block-time-ms", "200"])
        .env_remove("CATENA_HOME");
    // Stopped with its validators if this test fails before it stops them itself.
    let testnet = common::process::Bounded::spawn(&mut command).unwrap_or_else(|e| panic!("{e}"));
    let _logs: Vec<_> = (1..=2)
        .map(|i| {
            let log = dir.path().join(format!("node-{i}.log"));
            common::watch::watch_log(format!("testnet validator {i}"), log)
        })
        .collect();
    let nodes: Vec<TestNode> = (0..2)
        .map(|i| {
            common::node_at(
                format!("http://127.0.0.1:{}", api_port + i),
                dir.path().join(format!("node-{}", i + 1)),
            )
        })
        .collect();
    wait_for(
        "both validators at height 3",
        Duration::from_secs(120),
        || {
            nodes
                .iter()
                .all(|n| height_of(n).is_some_and(|h| h >= 3))
                .then_some(())
        },
    );
    assert_eq!(
        nodes[0].get_ok("/blocks/2")["hash"],
        nodes[1].get_ok("/blocks/2")["hash"]
    );
    common::process::signal(testnet.id(), "TERM", false);
    let status = testnet
        .wait(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("catena testnet did not exit after SIGTERM: {e}"))
        .status;
    assert!(status.success(), "catena testnet exited with {status}");
    wait_for("the validators to stop", Duration::from_secs(30), || {
        nodes.iter().all(|n| height_of(n).is_none()).then_some(())
    });
}

/// A port a node would listen on that is taken stops `catena testnet` before any node starts,
/// with a sentence naming the port, the node and the flag that moves it.
#[test]
fn catena_testnet_refuses_a_port_in_use_by_name() {
    let dir = common::test_dir();
    let (api_port, p2p_port) = (free_ports(3), free_ports(3));
    // The p2p port of follower 1 (the third node) is taken.
    let _held = std::net::TcpListener::bind(("127.0.0.1", p2p_port + 2)).expect("bind");
    let out = common::catena(&[
        "testnet",
        "--validators",
        "2",
        "--followers",
        "1",
        "--dir",
        dir.path().to_str().expect("UTF-8"),
        "--api-port",
        &api_port.to_string(),
        "--p2p-port",
        &p2p_port.to_string(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "port {} (p2p of follower 1) is not free",
            p2p_port + 2
        )) && err.contains("--p2p-port"),
        "{err}"
    );
    assert!(
        !dir.path().join("node-1.log").exists(),
        "a node was started: {err}"
    );
}
