//! A Byzantine validator: validator 4 is stopped and its keys are taken over by this test,
//! which joins the network with the real libp2p stack. First it signs two conflicting prevotes
//! per round: the honest validators detect the equivocation, record the evidence on chain
//! (where anyone can check both signatures), keep committing, and never fork. Then it signs
//! proposals for rounds it does not lead: the honest validators refuse them before executing
//! anything, count them, keep their block gaps short, and ban it.

mod common;

use std::time::{Duration, Instant};

use catena_consensus::tendermint::wire::WireMessage;
use catena_primitives::evidence::{vote_signing_bytes, PREVOTE};
use catena_primitives::{Equivocation, Hash, WireVote};
use common::{height_of, wait_for, Impostor, TestNode};
use parity_scale_codec::{DecodeAll, Encode};
use serde_json::Value;

/// The impostor's validator (index in the spec, whose order is the proposer rotation).
const IMPOSTOR: usize = 3;
const VALIDATORS: u64 = 4;

#[test]
fn a_byzantine_validator_is_recorded_on_chain_and_its_proposals_are_refused_unexecuted() {
    let mut net = common::network().block_time_ms(300).start();
    net.wait_all(2, "the first blocks");
    let impostor = Impostor::replace(&mut net, IMPOSTOR);
    equivocations_are_recorded(&net.nodes[..3], &impostor);
    let base = net.tip();
    net.wait_height(&[0, 1, 2], base + 3, Duration::from_secs(90));
    same_blocks(&net.nodes[..3], 1, base + 3);
    proposals_out_of_turn_are_refused(&net.nodes[..3], &impostor);
}

/// Two prevotes for different (made-up) blocks in the first rounds of the next height, sent
/// once a second until the evidence is on chain; every honest validator holds it.
fn equivocations_are_recorded(nodes: &[TestNode], impostor: &Impostor) {
    let conflicting = |height: u64, round: u32, tag: &[u8]| {
        let value = Some(Hash::digest(tag));
        let bytes =
            vote_signing_bytes(&impostor.chain_id, PREVOTE, height, round, value).expect("kind");
        WireMessage::Vote(WireVote {
            kind: PREVOTE,
            height,
            round,
            value,
            signer: impostor.key.account(),
            signature: impostor.key.sign(&bytes),
        })
        .encode()
    };
    let mut last_sent = None;
    let recorded = wait_for(
        "equivocation evidence on chain",
        Duration::from_secs(180),
        || {
            let due = last_sent.is_none_or(|at: Instant| at.elapsed().as_secs() >= 1);
            if let (true, Some(tip)) = (due, height_of(&nodes[0])) {
                for round in 0..2 {
                    for tag in [&b"first"[..], b"second"] {
                        impostor.publish(conflicting(tip + 1, round, tag));
                    }
                }
                last_sent = Some(Instant::now());
            }
            nodes[0].get_ok("/evidence").as_array()?.first().cloned()
        },
    );
    println!("recorded: {recorded}");

    // The record proves the misbehaviour on its own.
    let hex_evidence = recorded["evidence"].as_str().expect("evidence hex");
    let bytes = hex::decode(hex_evidence.trim_start_matches("0x")).expect("hex");
    let evidence = Equivocation::decode_all(&mut &bytes[..]).expect("SCALE evidence");
    assert_eq!(
        evidence.verify(&impostor.chain_id),
        Ok(impostor.key.account())
    );
    assert_eq!(recorded["signer"], impostor.key.account().to_string());
    assert_eq!(recorded["kind"], "prevote");
    assert_eq!(
        nodes[0]
            .metric("catena_equivocations_total")
            .map(|n| n >= 1.0),
        Some(true)
    );
    wait_for(
        "the evidence on every honest validator",
        Duration::from_secs(60),
        || {
            nodes
                .iter()
                .all(|node| {
                    node.get_ok("/evidence")
                        .as_array()
                        .is_some_and(|list| list.contains(&recorded))
                })
                .then_some(())
        },
    );
}

fn same_blocks(nodes: &[TestNode], from: u64, to: u64) {
    for height in from..=to {
        let hashes: Vec<Value> = nodes
            .iter()
            .map(|n| n.get_ok(&format!("/blocks/{height}"))["hash"].clone())
            .collect();
        assert!(hashes.iter().all(|h| *h == hashes[0]), "height {height}");
    }
}

/// A well-formed block at `height` on `parent`, proposed by the impostor, with a proposal for
/// `round` signed by it.
fn proposal_out_of_turn(impostor: &Impostor, height: u64, round: u32, parent: Hash) -> Vec<u8> {
    catena_node::malus::proposal_out_of_turn(
        &impostor.key,
        &impostor.chain_id,
        (height, round),
        parent,
        catena_node::now_ms(),
    )
}

/// Sends proposals for every round of the next height that the impostor does not lead (the
/// proposer of (height, round) is validator (height + round) mod 4); how many.
fn send_out_of_turn(node: &TestNode, impostor: &Impostor) -> usize {
    let Some(tip) = node.get("/blocks/latest").filter(|r| r.status == 200) else {
        return 0;
    };
    let (Some(height), Some(Ok(parent))) = (
        tip.body["height"].as_u64().map(|h| h + 1),
        tip.body["hash"].as_str().map(str::parse::<Hash>),
    ) else {
        return 0;
    };
    let rounds = (0..6u32).filter(|r| (height + u64::from(*r)) % VALIDATORS != IMPOSTOR as u64);
    let mut sent = 0;
    for round in rounds {
        impostor.publish(proposal_out_of_turn(impostor, height, round, parent));
        sent += 1;
    }
    sent
}

/// Proposals out of turn, every 100 ms: every honest validator counts them and executes none;
/// the honest blocks keep coming meanwhile (and after the impostor is banned, which stops its
/// messages reaching them).
fn proposals_out_of_turn_are_refused(nodes: &[TestNode], impostor: &Impostor) {
    let executed = format!(
        "catena_proposals_executed_total{{chain=\"{}\",proposer=\"{}\"}}",
        nodes[0].chain_id(),
        impostor.key.account()
    );
    let refused = "catena_proposals_not_from_proposer_total";
    let counted = |node: &TestNode, name: &str| node.metric(name).unwrap_or(0.0);
    let executed_before: Vec<f64> = nodes.iter().map(|n| counted(n, &executed)).collect();
    let start = nodes[0].height();
    let mut sent = 0;
    wait_for(
        "every honest validator refusing the impostor's proposals",
        Duration::from_secs(120),
        || {
            sent += send_out_of_turn(&nodes[0], impostor);
            std::thread::sleep(Duration::from_millis(100));
            nodes
                .iter()
                .all(|n| counted(n, refused) >= 1.0)
                .then_some(())
        },
    );
    let attack = Instant::now();
    while attack.elapsed() < Duration::from_secs(10) {
        sent += send_out_of_turn(&nodes[0], impostor);
        std::thread::sleep(Duration::from_millis(100));
    }
    let end = nodes[0].height();
    println!("sent {sent} proposals out of turn during heights {start}..{end}");
    for (node, before) in nodes.iter().zip(&executed_before) {
        assert_eq!(
            counted(node, &executed),
            *before,
            "a proposal out of turn was executed"
        );
        println!("refused unexecuted: {}", counted(node, refused));
    }
    let times: Vec<u64> = (start..=end)
        .map(|h| {
            nodes[0].get_ok(&format!("/blocks/{h}"))["time_ms"]
                .as_u64()
                .expect("time")
        })
        .collect();
    let widest = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    println!("widest gap between honest blocks under the attack: {widest} ms");
    assert!(end > start + 3, "the chain went on: {start}..{end}");
    assert!(widest <= 10_000, "a gap of {widest} ms");
    same_blocks(nodes, start, end);
}
