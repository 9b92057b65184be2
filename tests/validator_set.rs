//! Validator-set changes by governance on a 4-validator testnet of real processes: validator 4
//! is removed from a stated height by three of the four governing members, the whole network
//! is restarted and goes on with the three (taking the set from its state, not the spec), then
//! validator 4 is added back and counts toward the quorum again.

mod common;

use std::time::Duration;

use catena_testing::cli::Cli;
use common::{catena, height_of, signers, wait_all_at_least, wait_for, TestNode};
use serde_json::Value;

const GOVERNORS: [&str; 4] = [
    "huaxia-motors",
    "merchant-bank",
    "swift-logistics",
    "tier1-steel",
];

/// Runs `catena governance ARGS --home DIR --api API` and returns its standard output.
fn governance(dir: &std::path::Path, api: &str, args: &[&str]) -> String {
    Cli::new(dir, api).ok(&[&["governance"][..], args].concat())
}

/// Proposes with the first governor and approves with the next two; returns the proposal id.
fn change(dir: &std::path::Path, api: &str, propose: &[&str]) -> u64 {
    let mut args = propose.to_vec();
    args.extend_from_slice(&["--as", GOVERNORS[0]]);
    let out = governance(dir, api, &args);
    let id: u64 = out
        .split("proposal ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no proposal id in {out}"));
    assert!(out.contains("1 of 3 approvals, open"), "{out}");
    let id_text = id.to_string();
    governance(dir, api, &["approve", &id_text, "--as", GOVERNORS[1]]);
    let out = governance(dir, api, &["approve", &id_text, "--as", GOVERNORS[2]]);
    assert!(out.contains("3 of 3 approvals, scheduled"), "{out}");
    id
}

fn block(node: &TestNode, height: u64) -> Value {
    node.get_ok(&format!("/blocks/{height}"))
}

#[test]
fn governance_removes_and_adds_a_validator_across_a_full_restart() {
    let mut net = common::network().block_time_ms(300).start();
    net.wait_all(2, "the first blocks");
    let dir = net.dir().to_path_buf();
    let spec = net.spec_json();
    let v4 = &spec["validators"][3];
    let v4_account = v4["account"].as_str().expect("account").to_string();
    let api = net.nodes[0].api.clone();

    // A non-governing member cannot propose; nothing changes.
    let out = catena(&[
        "governance",
        "remove-validator",
        "--account",
        &v4_account,
        "--from-height",
        "1000",
        "--as",
        "tier2-parts",
        "--home",
        dir.as_path().to_str().expect("utf-8"),
        "--api",
        &api,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a governing member"), "{stderr}");

    // Remove validator 4 from a stated height.
    let removal = height_of(&net.nodes[0]).expect("height") + 12;
    change(
        dir.as_path(),
        &api,
        &[
            "remove-validator",
            "--account",
            &v4_account,
            "--from-height",
            &removal.to_string(),
        ],
    );
    net.wait_height(&[0, 1, 2], removal + 2, Duration::from_secs(120));
    let before = block(&net.nodes[0], removal - 1);
    let after = block(&net.nodes[0], removal);
    assert_ne!(before["validator_set_hash"], after["validator_set_hash"]);
    for height in removal..=removal + 2 {
        let b = block(&net.nodes[0], height);
        let s = signers(&b);
        assert!(!s.contains(&v4_account), "height {height}: {s:?}");
        assert_eq!(s.len(), 3, "a quorum of three needs all three");
    }
    assert_eq!(net.nodes[0].get_ok("/status")["validators"], 3);
    let three_set = after["validator_set_hash"].clone();

    // Validator 4 stops; then the whole network is restarted and goes on with the three.
    net.crash(3);
    for i in 0..3 {
        net.stop(i);
    }
    wait_for("the validators to stop", Duration::from_secs(60), || {
        net.nodes[..3]
            .iter()
            .all(|n| height_of(n).is_none())
            .then_some(())
    });
    for i in 0..3 {
        net.restart(i);
    }
    let base = height_of(&net.nodes[0]).expect("height");
    let live: Vec<&TestNode> = net.nodes[..3].iter().collect();
    wait_all_at_least(&live, base + 3, "blocks after the full restart");
    for height in base + 1..=base + 3 {
        assert_eq!(
            block(&net.nodes[0], height)["validator_set_hash"],
            three_set
        );
    }
    println!("after a full restart the three validators went on from height {base}");

    // Validator 4 is added back and counts toward the quorum again.
    let addition = height_of(&net.nodes[0]).expect("height") + 12;
    change(
        dir.as_path(),
        &net.nodes[0].api,
        &[
            "add-validator",
            "--account",
            &v4_account,
            "--peer-id",
            v4["peer_id"].as_str().expect("peer"),
            "--address",
            v4["address"].as_str().expect("address"),
            "--from-height",
            &addition.to_string(),
        ],
    );
    net.restart(3);
    let everyone: Vec<&TestNode> = net.nodes.iter().collect();
    wait_all_at_least(&everyone, addition + 2, "blocks after the addition");
    assert_eq!(
        block(&net.nodes[0], addition)["validator_set_hash"],
        block(&net.nodes[0], 0)["validator_set_hash"],
        "the set is the genesis set again"
    );
    assert_eq!(net.nodes[0].get_ok("/status")["validators"], 4);

    // With validator 1 stopped, progress needs validator 4's votes.
    drop(everyone);
    net.crash(0);
    let tip = height_of(&net.nodes[1]).expect("height");
    wait_all_at_least(
        &[&net.nodes[1], &net.nodes[2], &net.nodes[3]],
        tip + 3,
        "blocks without validator 1",
    );
    let b = block(&net.nodes[1], tip + 3);
    assert!(signers(&b).contains(&v4_account), "{:?}", signers(&b));
    let governance_view = net.nodes[1].get_ok("/governance");
    assert_eq!(
        governance_view["proposals"].as_array().expect("list").len(),
        2
    );
    println!(
        "validator 4 removed at {removal}, added back at {addition}, signing again by {}",
        tip + 3
    );

    // A validator with a halt marker (left by an earlier divergence) restarts, follows the
    // chain and never votes.
    let v1_account = spec["validators"][0]["account"]
        .as_str()
        .expect("account")
        .to_string();
    let marker = net.nodes[0]
        .home
        .join("data/chains/catena-local")
        .join(catena_node::HALT_MARKER);
    std::fs::write(&marker, "state root mismatch at height 3 (test)\n").expect("marker");
    net.restart(0);
    wait_for(
        "the halted flag in the metrics",
        Duration::from_secs(30),
        || (net.nodes[0].metric("catena_voting_halted") == Some(1.0)).then_some(()),
    );
    let from = height_of(&net.nodes[1]).expect("height") + 1;
    wait_all_at_least(
        &[&net.nodes[0], &net.nodes[1]],
        from + 3,
        "blocks with validator 1 halted",
    );
    for height in from..=from + 3 {
        assert!(
            !signers(&block(&net.nodes[1], height)).contains(&v1_account),
            "a halted validator signed block {height}"
        );
    }
}

/// A member's node that is not in the chain spec is added to the set by governance: it syncs and
/// votes, and it still signs after every node of the network has restarted (the restarted nodes
/// admit it from the state, not from the spec). Removed again, it is disconnected, and once
/// restarted its dials are refused: it receives nothing more.
#[test]
fn a_validator_added_by_governance_signs_after_a_full_restart_and_is_refused_once_removed() {
    let mut net = common::network().block_time_ms(300).start();
    net.wait_all(2, "the first blocks");
    let dir = net.dir().to_path_buf();
    // Tier-2 Parts, a member that governs nothing, runs a validator with its member key.
    let key = dir.join("keys/tier2-parts.json");
    let inspected = catena(&["key", "inspect", key.to_str().expect("utf-8")]);
    let account = String::from_utf8_lossy(&inspected.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("account: ").map(str::to_string))
        .expect("key inspect prints the account");
    let added = net.add_node(Some(&key));
    let new = added.index;
    net.restart(new);

    let from = height_of(&net.nodes[0]).expect("height") + 12;
    change(
        dir.as_path(),
        &net.nodes[0].api.clone(),
        &[
            "add-validator",
            "--account",
            &account,
            "--peer-id",
            &added.peer_id,
            "--address",
            &added.p2p_addr,
            "--from-height",
            &from.to_string(),
        ],
    );
    net.wait_height(&[0, 1, 2, 3, new], from + 2, Duration::from_secs(120));
    assert_eq!(net.nodes[0].get_ok("/status")["validators"], 5);

    // Every node stops, then all start again.
    for i in 0..net.nodes.len() {
        net.stop(i);
    }
    wait_for("every node to stop", Duration::from_secs(60), || {
        net.nodes
            .iter()
            .all(|n| height_of(n).is_none())
            .then_some(())
    });
    for i in 0..net.nodes.len() {
        net.restart(i);
    }
    // With validator 1 down, a quorum (4 of 5) needs the added validator's vote.
    net.crash(0);
    let tip = height_of(&net.nodes[1]).expect("height");
    net.wait_height(&[1, 2, 3, new], tip + 3, Duration::from_secs(120));
    let signed = signers(&block(&net.nodes[1], tip + 3));
    assert!(signed.contains(&account), "{signed:?}");
    println!(
        "added at {from} without being in the spec; after a full restart it signed block {}",
        tip + 3
    );
    net.restart(0);

    // Removed by governance, it is disconnected at the height the removal applies.
    let removal = height_of(&net.nodes[1]).expect("height") + 12;
    change(
        dir.as_path(),
        &net.nodes[1].api.clone(),
        &[
            "remove-validator",
            "--account",
            &account,
            "--from-height",
            &removal.to_string(),
        ],
    );
    net.wait_height(&[0, 1, 2, 3], removal + 2, Duration::from_secs(120));
    wait_for(
        "the removed validator to lose its peers",
        Duration::from_secs(60),
        || (net.nodes[new].metric("catena_peers") == Some(0.0)).then_some(()),
    );
    let cut_at = height_of(&net.nodes[new]).expect("height");
    assert!(cut_at <= removal + 2, "cut at {cut_at}, removal {removal}");

    // Restarted, it dials the validators in its state; they refuse it.
    net.stop(new);
    net.restart(new);
    let tip = height_of(&net.nodes[1]).expect("height");
    net.wait_height(&[1], tip + 10, Duration::from_secs(60));
    assert_eq!(net.nodes[new].metric("catena_peers"), Some(0.0));
    assert!(
        height_of(&net.nodes[new]).expect("height") <= cut_at + 1,
        "a removed validator went on receiving blocks"
    );
    println!("removed at {removal}: disconnected at {cut_at} and refused after a restart");
}
