//! Helpers for tests that run the real `catena` binary: the harness (`catena-testing`) —
//! `TestNetwork::builder()`, node handles, polling waits with deadlines that print what they
//! waited for and the nodes' last log lines, child processes under deadlines — and a few helpers
//! of these tests' own.
#![allow(dead_code)]

#[allow(unused_imports)]
pub use catena_testing::load;
#[allow(unused_imports)]
pub use catena_testing::node::*;
pub use catena_testing::TestNetwork;
#[allow(unused_imports)]
pub use catena_testing::{process, watch};

pub const BIN: &str = env!("CARGO_BIN_EXE_catena");

/// A network of `catena` validators for a test, run by this test's own binary.
pub fn network() -> catena_testing::network::Builder {
    TestNetwork::builder().binary(BIN)
}

/// No equivocation recorded on chain (asked of the first node), and none seen, reported, or
/// of proposals, in any node's log.
pub fn assert_no_equivocation(nodes: &[TestNode]) {
    let evidence = nodes[0].get_ok("/evidence");
    assert_eq!(
        evidence.as_array().map(Vec::len),
        Some(0),
        "equivocation recorded: {evidence}"
    );
    for (i, node) in nodes.iter().enumerate() {
        let log = node.log();
        for sign in [
            "equivocation seen",
            "equivocation: reporting",
            "signed two different proposals",
        ] {
            assert!(!log.contains(sign), "node {i}'s log mentions {sign}");
        }
    }
}

/// The demo members' signing keys (`DEMO_SIGNERS`), as `node`'s network holds them: the
/// senders of the tests' loads.
pub fn demo_signers(node: &TestNode) -> Vec<catena_primitives::SecretKey> {
    DEMO_SIGNERS.map(|name| node.demo_key(name)).to_vec()
}

/// The validators' accounts, in the spec's order (the proposer rotation's).
pub fn validator_accounts(net: &TestNetwork) -> Vec<String> {
    net.spec_json()["validators"]
        .as_array()
        .expect("validators")
        .iter()
        .map(|v| v["account"].as_str().expect("account").to_string())
        .collect()
}

/// The index (in `accounts`, from [`validator_accounts`]) of the validator that proposed
/// `node`'s newest block.
pub fn proposer_of_tip(node: &TestNode, accounts: &[String]) -> usize {
    let tip = node.get_ok("/blocks/latest");
    let proposer = tip["proposer"].as_str().expect("proposer");
    accounts
        .iter()
        .position(|a| a == proposer)
        .expect("a validator proposed it")
}

/// The validators whose signatures are in a block view's certificate.
pub fn signers(block: &serde_json::Value) -> Vec<String> {
    block["certificate"]["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| s["validator"].as_str().expect("validator").to_string())
        .collect()
}

/// Resident memory of a running node process, in KiB.
pub fn resident_kib(node: &TestNode) -> u64 {
    let pid = node.child.as_ref().expect("running").id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS")
}

/// What RocksDB holds for the node's store, in KiB (its metric).
pub fn storage_kib(node: &TestNode) -> u64 {
    node.metric("catena_storage_memory_bytes")
        .map_or(0, |bytes| bytes as u64 / 1024)
}

/// Waits (up to `timeout`) until `node` reports every one of `hashes` committed: nothing
/// acknowledged is lost.
pub fn wait_all_committed(node: &TestNode, hashes: &[String], timeout: std::time::Duration) {
    let mut unseen: Vec<&String> = hashes.iter().collect();
    wait_for(
        "every transaction answered 202 to be committed",
        timeout,
        || {
            unseen.retain(|hash| {
                node.get(&format!("/transactions/{hash}"))
                    .is_none_or(|r| r.body["status"] != "committed")
            });
            unseen.is_empty().then_some(())
        },
    );
}

/// After a load on `net`: waits until every node reaches node 0's tip and every `acknowledged`
/// transaction is committed, asserts one block per height from `first` on every node and no
/// equivocation; returns the lowest tip and the longest gap between two blocks (ms).
pub fn settle_after_load(net: &TestNetwork, acknowledged: &[String], first: u64) -> (u64, u64) {
    let tip = net.nodes[0].height();
    net.wait_all(tip, "every validator at the tip");
    wait_all_committed(
        &net.nodes[0],
        acknowledged,
        std::time::Duration::from_secs(120),
    );
    let tip = net.nodes.iter().map(TestNode::height).min().expect("nodes");
    let times = assert_same_blocks(&net.nodes, first..=tip);
    let longest_gap = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    assert_no_equivocation(&net.nodes);
    (tip, longest_gap)
}

/// Asserts that every node has the same block at each height of `heights`; returns the blocks'
/// times (ms), in height order.
pub fn assert_same_blocks(nodes: &[TestNode], heights: std::ops::RangeInclusive<u64>) -> Vec<u64> {
    heights
        .map(|height| {
            let blocks: Vec<_> = nodes
                .iter()
                .map(|n| n.get_ok(&format!("/blocks/{height}")))
                .collect();
            assert!(
                blocks.iter().all(|b| b["hash"] == blocks[0]["hash"]),
                "height {height} differs between nodes"
            );
            blocks[0]["time_ms"].as_u64().expect("time")
        })
        .collect()
}

/// A file of this checkout, found from the package directory cargo gives the test when it runs
/// it (not the one compiled in, which names wherever the binary was built).
pub fn source_path(relative: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    format!("{dir}/{relative}")
}

/// The first `count` validators of a chain spec (as JSON) as (peer id, address), parsed into
/// the caller's types (libp2p's `PeerId` and `Multiaddr`).
pub fn validator_peers<P, A>(spec: &serde_json::Value, count: usize) -> Vec<(P, A)>
where
    P: std::str::FromStr,
    A: std::str::FromStr,
    P::Err: std::fmt::Debug,
    A::Err: std::fmt::Debug,
{
    (0..count)
        .map(|i| {
            let v = &spec["validators"][i];
            let text = |field: &str| v[field].as_str().expect("a validator field").to_string();
            (
                text("peer_id").parse().expect("peer id"),
                text("address").parse().expect("multiaddr"),
            )
        })
        .collect()
}

/// Validator `index`'s keys taken over by a test (its node is crashed first): the impostor joins
/// the network at the validator's address with the real libp2p stack and publishes on the
/// consensus topic whatever the test signs with `key`.
pub struct Impostor {
    pub runtime: tokio::runtime::Runtime,
    pub network: catena_network::NetworkHandle,
    /// The validator's vote-signing key.
    pub key: catena_primitives::SecretKey,
    pub chain_id: String,
}

impl Impostor {
    pub fn replace(net: &mut TestNetwork, index: usize) -> Impostor {
        net.crash(index);
        let spec = net.spec_json();
        let chain_id = spec["chain_id"].as_str().expect("chain id").to_string();
        let keys = net.dir().join("keys");
        let seed = |file: String| read_key_file(&keys.join(file)).seed();
        let count = spec["validators"].as_array().expect("validators").len();
        let peers = validator_peers(&spec, count)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, peer)| peer)
            .collect();
        let listen = spec["validators"][index]["address"]
            .as_str()
            .expect("address")
            .parse()
            .expect("multiaddr");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (network, handle, _events) = {
            let _guard = runtime.enter();
            catena_network::Network::new(catena_network::NetworkConfig {
                chain_id: chain_id.clone(),
                secret_seed: seed(format!("validator-{}-network.json", index + 1)),
                listen,
                peers,
                max_message_bytes: 1 << 20,
                allowed: Vec::new(),
                request_timeout: std::time::Duration::from_secs(10),
            })
            .expect("network")
        };
        runtime.spawn(network.run());
        Impostor {
            runtime,
            network: handle,
            key: catena_primitives::SecretKey::from_seed(seed(format!(
                "validator-{}.json",
                index + 1
            ))),
            chain_id,
        }
    }

    /// Publishes a consensus message (dropped quietly if the network refuses it).
    pub fn publish(&self, message: Vec<u8>) {
        let _ = self.runtime.block_on(
            self.network
                .publish(catena_network::Topic::Consensus, message),
        );
    }
}
pub mod parachain;
pub mod story;
pub mod web;

/// Runs a script of another language (a browser driver, a client's test suite) within
/// `deadline`: its standard output and error together, printed, which must end in success.
pub fn run_script(
    what: &str,
    command: &mut std::process::Command,
    deadline: std::time::Duration,
) -> String {
    let out =
        catena_testing::process::run(command, deadline).unwrap_or_else(|e| panic!("{what}: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{said}");
    assert!(out.status.success(), "{what} failed:\n{said}");
    said
}
