//! A Byzantine validator: validator 4 is stopped and its keys are taken over by this test,
//! which joins the network with the real libp2p stack and signs two conflicting prevotes per
//! round. The honest validators detect the equivocation, record the evidence on chain (where
//! anyone can check both signatures), keep committing, and never fork.

mod common;

use std::time::Duration;

use catena_consensus::tendermint::wire::WireMessage;
use catena_network::{Network, NetworkConfig, Topic};
use catena_primitives::evidence::{vote_signing_bytes, PREVOTE};
use catena_primitives::{Equivocation, Hash, WireVote};
use common::{height_of, wait_for};
use parity_scale_codec::{DecodeAll, Encode};
use serde_json::Value;

fn seed_of(file: &std::path::Path) -> [u8; 32] {
    common::read_key_file(file).seed()
}

#[test]
fn an_equivocating_validator_is_recorded_on_chain() {
    let mut net = common::network().block_time_ms(300).start();
    net.wait_all(2, "the first blocks");
    net.crash(3);

    let spec = net.spec_json();
    let chain_id = spec["chain_id"].as_str().expect("chain id").to_string();
    let keys = net.dir().join("keys");
    let vote_key = catena_primitives::SecretKey::from_seed(seed_of(&keys.join("validator-4.json")));
    let peers = common::validator_peers(&spec, 3);
    let listen = spec["validators"][3]["address"]
        .as_str()
        .expect("address")
        .parse()
        .expect("multiaddr");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (network, handle, _events) = {
        let _guard = runtime.enter();
        Network::new(NetworkConfig {
            chain_id: chain_id.clone(),
            secret_seed: seed_of(&keys.join("validator-4-network.json")),
            listen,
            peers,
            max_message_bytes: 1 << 20,
            request_timeout: Duration::from_secs(10),
        })
        .expect("network")
    };
    runtime.spawn(network.run());

    // Two prevotes for different (made-up) blocks in the first rounds of the next height, sent
    // once a second until the evidence is on chain.
    let conflicting = |height: u64, round: u32, tag: &[u8]| {
        let value = Some(Hash::digest(tag));
        let bytes = vote_signing_bytes(&chain_id, PREVOTE, height, round, value).expect("kind");
        WireMessage::Vote(WireVote {
            kind: PREVOTE,
            height,
            round,
            value,
            signer: vote_key.account(),
            signature: vote_key.sign(&bytes),
        })
        .encode()
    };
    let mut last_sent = None;
    let recorded = wait_for(
        "equivocation evidence on chain",
        Duration::from_secs(180),
        || {
            let due = last_sent.is_none_or(|at: std::time::Instant| at.elapsed().as_secs() >= 1);
            if let (true, Some(tip)) = (due, height_of(&net.nodes[0])) {
                for round in 0..2 {
                    for tag in [&b"first"[..], b"second"] {
                        let message = conflicting(tip + 1, round, tag);
                        let _ = runtime.block_on(handle.publish(Topic::Consensus, message));
                    }
                }
                last_sent = Some(std::time::Instant::now());
            }
            net.nodes[0]
                .get_ok("/evidence")
                .as_array()?
                .first()
                .cloned()
        },
    );
    println!("recorded: {recorded}");

    // The record proves the misbehaviour on its own.
    let hex_evidence = recorded["evidence"].as_str().expect("evidence hex");
    let bytes = hex::decode(hex_evidence.trim_start_matches("0x")).expect("hex");
    let evidence = Equivocation::decode_all(&mut &bytes[..]).expect("SCALE evidence");
    assert_eq!(evidence.verify(&chain_id), Ok(vote_key.account()));
    assert_eq!(recorded["signer"], vote_key.account().to_string());
    assert_eq!(recorded["kind"], "prevote");
    assert_eq!(
        net.nodes[0]
            .metric("catena_equivocations_total")
            .map(|n| n >= 1.0),
        Some(true)
    );

    // The honest validators go on and agree at every height; every one holds the evidence.
    let base = net.tip();
    net.wait_height(&[0, 1, 2], base + 3, Duration::from_secs(90));
    for height in 1..=base + 3 {
        let hashes: Vec<Value> = net.nodes[..3]
            .iter()
            .map(|n| n.get_ok(&format!("/blocks/{height}"))["hash"].clone())
            .collect();
        assert!(hashes.iter().all(|h| *h == hashes[0]), "height {height}");
    }
    for node in &net.nodes[..3] {
        let list = node.get_ok("/evidence");
        assert!(list.as_array().expect("list").contains(&recorded), "{list}");
    }
    drop(handle);
    drop(runtime);
}
