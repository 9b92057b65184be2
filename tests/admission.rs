//! Admission on a 4-validator testnet of real processes: a peer whose key is not in the chain
//! spec cannot connect and nothing it sends is included; one signed transaction sent 1,000
//! times to the four nodes is included exactly once.

mod common;

use std::time::Duration;

use catena_network::{Network, NetworkConfig, Topic};
use catena_primitives::{Call, Transaction};
use common::{height_of, submit_quietly};
use parity_scale_codec::Encode;

#[test]
fn outsiders_are_refused_and_replays_are_included_once() {
    let net = common::network().start();
    net.wait_all(2, "the first blocks");
    let nodes = &net.nodes;
    let spec = net.spec_json();
    let chain_id = spec["chain_id"].as_str().expect("chain id").to_string();

    // An outsider with its own network key dials every validator and publishes a valid,
    // member-signed transaction on the transactions topic.
    let supplier = nodes[0].demo_key("tier2-parts");
    let smuggled = Transaction::signed(
        &chain_id,
        nodes[0].next_nonce(&supplier),
        Call::Remark(b"through the back door".to_vec()),
        &supplier,
    );
    let peers = common::validator_peers(&spec, 4);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (network, handle, _events) = {
        let _guard = runtime.enter();
        Network::new(NetworkConfig {
            chain_id: chain_id.clone(),
            secret_seed: [0x77; 32],
            listen: format!("/ip4/127.0.0.1/tcp/{}", common::free_port())
                .parse()
                .expect("multiaddr"),
            peers,
            max_message_bytes: 1 << 20,
            allowed: Vec::new(),
            request_timeout: Duration::from_secs(10),
        })
        .expect("network")
    };
    runtime.spawn(network.run());
    let start = height_of(&nodes[0]).expect("height");
    while height_of(&nodes[0]).expect("height") < start + 5 {
        let _ =
            runtime.block_on(handle.publish(Topic::Transactions, vec![smuggled.clone()].encode()));
        // The validators keep exactly their three peers: the outsider's connection is closed
        // right after the handshake, before any protocol runs.
        for node in nodes {
            let peers = node.metric("catena_peers").expect("peers metric");
            assert!(peers <= 3.0, "a validator counts {peers} peers");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for node in nodes {
        let r = node
            .get(&format!("/transactions/{}", smuggled.hash()))
            .expect("answer");
        assert_eq!(r.status, 404, "{}", r.body);
    }
    let refused = std::fs::read_to_string(net.dir().join("node-1.log")).unwrap_or_default();
    assert!(
        refused.contains("refused an incoming connection"),
        "validator 1 logged no refusal"
    );
    drop(handle);
    drop(runtime);

    // One transaction, 1,000 times, spread over the four nodes.
    let nonce = nodes[0].next_nonce(&supplier);
    let tx = Transaction::signed(
        &chain_id,
        nonce,
        Call::Remark(b"sent a thousand times".to_vec()),
        &supplier,
    );
    let from = height_of(&nodes[0]).expect("height");
    let mut accepted = 0;
    for i in 0..1_000 {
        let reply = submit_quietly(&nodes[i % 4], &tx).expect("answer");
        match reply.status {
            202 => accepted += 1,
            409 | 422 => {}
            other => panic!("unexpected status {other}: {}", reply.body),
        }
    }
    let hash = tx.hash().to_string();
    let height = nodes[0].wait_committed(&hash);
    let to = height_of(&nodes[0]).expect("height") + 3;
    net.wait_all(to, "three more blocks");
    let mut seen = 0;
    for h in from..=to {
        let block = nodes[0].get_ok(&format!("/blocks/{h}"));
        seen += block["transactions"]
            .as_array()
            .expect("transactions")
            .iter()
            .filter(|t| t.as_str() == Some(hash.as_str()))
            .count();
    }
    assert_eq!(seen, 1, "included {seen} times");
    assert_eq!(nodes[3].next_nonce(&supplier), nonce + 1);
    for node in nodes {
        assert_eq!(node.wait_committed(&hash), height);
    }
    println!("1,000 submissions ({accepted} admitted as new by some node), included once at height {height}");
}
