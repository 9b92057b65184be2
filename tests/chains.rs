//! Several chains in one process: a home made for one chain serves it at `/` as before; `catena
//! chain add` gives it a second chain, served under `/chains/{id}/` with its own store, blocks
//! and metrics; a transaction sent to one chain commits on it alone; and when one chain's store
//! fails, that chain stops alone — its routes answer 503 with the reason, `GET /chains` shows
//! it, the log says it once — while the other goes on committing.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use catena_primitives::Call;
use common::{catena, free_port, node_at, wait_for, TestNode};

/// Runs `catena` with `command` split at spaces (the test's paths have none).
fn run(command: &str) -> Output {
    catena(&command.split_whitespace().collect::<Vec<_>>())
}

/// [`run`], which must succeed: its output.
fn ok(command: &str) -> String {
    let out = run(command);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "catena {command}: {text}");
    text
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Heights of the chains `GET /chains` lists, by id.
fn heights(node: &TestNode) -> Vec<(String, u64, String)> {
    node.get_ok("/chains")
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["chain_id"].as_str().expect("id").to_string(),
                c["height"].as_u64().expect("height"),
                c["health"].as_str().expect("health").to_string(),
            )
        })
        .collect()
}

fn height_of(node: &TestNode, chain: &str) -> u64 {
    heights(node)
        .into_iter()
        .find(|(id, ..)| id == chain)
        .map_or(0, |(_, h, _)| h)
}

#[test]
fn one_process_hosts_two_chains_and_a_failing_one_stops_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (home, keys, keys_b) = (
        dir.path().join("node"),
        dir.path().join("keys"),
        dir.path().join("keys-b"),
    );
    let (spec_a, spec_b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    ok(&format!(
        "chain-spec build --dev --keys-dir {} --out {}",
        path(&keys),
        path(&spec_a)
    ));
    ok(&format!(
        "chain-spec build --local 1 --chain-id supply-b --first-port {} --keys-dir {} --out {}",
        free_port(),
        path(&keys_b),
        path(&spec_b)
    ));
    let api = format!("127.0.0.1:{}", free_port());
    ok(&format!(
        "init --home {} --chain {} --validator-key {} --api-addr {api}",
        path(&home),
        path(&spec_a),
        path(&keys.join("validator-1.json"))
    ));

    // A home made for one chain: its config lists no other chain, and the node serves its
    // chain at `/`, as it did before nodes hosted several; `GET /chains` lists that one.
    let config = std::fs::read_to_string(home.join("config.toml")).expect("config");
    assert!(!config.contains("[[chains]]"), "{config}");
    let mut node = node_at(format!("http://{api}"), home.clone());
    let faults = dir.path().join("faults");
    node.env
        .push(("CATENA_TEST_STORE_FAULTS_FILE".into(), path(&faults).into()));
    node.start();
    wait_for(
        "the dev chain's first blocks",
        Duration::from_secs(30),
        || (node.height() >= 2).then_some(()),
    );
    assert_eq!(node.get_ok("/status")["chain_id"], "catena-dev");
    assert_eq!(
        node.get_ok("/chains/catena-dev/status")["genesis_hash"],
        node.get_ok("/status")["genesis_hash"]
    );
    assert_eq!(heights(&node).len(), 1);
    assert_eq!(node.stop().code(), Some(0));

    // A second chain, with its own validator key, added to the home.
    let added = ok(&format!(
        "chain add --home {} --spec {} --validator-key {}",
        path(&home),
        path(&spec_b),
        path(&keys_b.join("supply-b-validator-1.json"))
    ));
    assert!(added.contains("added chain 'supply-b'"), "{added}");
    let again = run(&format!(
        "chain add --home {} --spec {}",
        path(&home),
        path(&spec_b)
    ));
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("this home already hosts chain 'supply-b'"),
        "{again:?}"
    );
    node.start();
    wait_for("both chains committing", Duration::from_secs(60), || {
        let listed = heights(&node);
        (listed.len() == 2 && listed.iter().all(|(_, h, _)| *h >= 2)).then_some(listed)
    });
    let ids: Vec<String> = heights(&node).into_iter().map(|(id, ..)| id).collect();
    assert_eq!(ids, ["catena-dev", "supply-b"], "the main chain first");
    let b = node_at(format!("http://{api}/chains/supply-b"), home.clone());
    assert_eq!(b.get_ok("/status")["chain_id"], "supply-b");
    assert_ne!(
        b.get_ok("/status")["genesis_hash"],
        node.get_ok("/status")["genesis_hash"]
    );

    // A transaction sent to B commits on B, and A never hears of it.
    let tx = b
        .signer("huaxia-motors")
        .sign(Call::Remark(b"for B only".to_vec()));
    let reply = b.submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    let hash = tx.hash().to_string();
    wait_for("the remark committed on B", Duration::from_secs(30), || {
        let view = b.get(&format!("/transactions/{hash}"))?.body;
        (view["status"] == "committed").then_some(())
    });
    let on_a = node
        .get(&format!("/transactions/{hash}"))
        .expect("an answer");
    assert_eq!(on_a.status, 404, "{}", on_a.body);
    let wrong = b.submit(
        &node
            .signer("huaxia-motors")
            .sign(Call::Remark(b"A's".to_vec())),
    );
    assert_eq!(
        wrong.status, 422,
        "a transaction signed for A is refused by B: {}",
        wrong.body
    );

    // Metrics: one document for the process, each series labelled with its chain.
    let metrics = node.client.get_text("/metrics").expect("metrics");
    for chain in ["catena-dev", "supply-b"] {
        let series = format!("catena_height{{chain=\"{chain}\"}}");
        assert!(
            common::metric(&metrics, &series).is_some_and(|h| h >= 2.0),
            "{series} in:\n{metrics}"
        );
    }

    // B's store fails: B stops alone, says why, and A goes on.
    std::fs::write(&faults, "supply-b\n").expect("fault switch");
    let failure = wait_for("B to stop", Duration::from_secs(30), || {
        let chains = node.get_ok("/chains");
        let b = chains
            .as_array()?
            .iter()
            .find(|c| c["chain_id"] == "supply-b")?;
        (b["health"] == "failed").then(|| b["failure"].as_str().unwrap_or_default().to_string())
    });
    assert!(failure.contains("injected fault"), "{failure}");
    let refused = b.get("/status").expect("an answer");
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "chain_failed");
    assert_eq!(
        refused.body["error"]["message"],
        format!("chain 'supply-b' stopped on this node: {failure}")
    );
    let (a_then, b_then) = (node.height(), height_of(&node, "supply-b"));
    wait_for(
        "A to commit three more blocks",
        Duration::from_secs(30),
        || (node.height() >= a_then + 3).then_some(()),
    );
    assert_eq!(height_of(&node, "supply-b"), b_then, "B stopped");
    let said = node.log().matches("the chain stopped on this node").count();
    assert_eq!(said, 1, "the failure is logged once:\n{}", node.log());
    let metrics = node.client.get_text("/metrics").expect("metrics");
    assert_eq!(
        common::metric(&metrics, "catena_chain_failed{chain=\"supply-b\"}"),
        Some(1.0)
    );
    assert_eq!(
        common::metric(&metrics, "catena_chain_failed{chain=\"catena-dev\"}"),
        Some(0.0)
    );

    // Restarted with the fault cleared, B goes on from where it stopped: nothing was lost.
    assert_eq!(node.stop().code(), Some(0));
    std::fs::remove_file(&faults).expect("clear the fault");
    node.start();
    wait_for("B committing again", Duration::from_secs(60), || {
        (height_of(&node, "supply-b") > b_then).then_some(())
    });
    let committed = b.get_ok(&format!("/transactions/{hash}"));
    assert_eq!(committed["status"], "committed");
}

/// Four processes, each hosting chain A (`catena-local`) and chain B (`catena-local-2`) with four
/// validators each, their own keys and ports: both commit, every node lists both, a transaction
/// sent to B commits on B only, and a libp2p peer that belongs to A only is refused on B's port.
#[test]
fn four_processes_host_two_chains_each() {
    let net = common::network().chains(2).block_time_ms(200).start();
    let b = "catena-local-2";
    let on_b: Vec<TestNode> = net.nodes.iter().map(|n| n.on_chain(b)).collect();
    net.wait_all(3, "A's first blocks on every node");
    let all_b: Vec<&TestNode> = on_b.iter().collect();
    common::wait_all_at_least(&all_b, 3, "B's first blocks on every node");
    for node in &net.nodes {
        let listed = heights(node);
        let ids: Vec<&str> = listed.iter().map(|(id, ..)| id.as_str()).collect();
        assert_eq!(ids, ["catena-local", b]);
        assert!(
            listed.iter().all(|(_, _, health)| health == "ok"),
            "{listed:?}"
        );
    }
    // Separate chains: other genesis, other validator keys.
    let validators = |node: &TestNode| -> Vec<String> {
        node.get_ok("/governance")["validators"]
            .as_array()
            .expect("validators")
            .iter()
            .map(|v| v["account"].as_str().expect("account").to_string())
            .collect()
    };
    let (a_set, b_set) = (validators(&net.nodes[0]), validators(&on_b[0]));
    assert_eq!((a_set.len(), b_set.len()), (4, 4));
    assert!(
        a_set.iter().all(|v| !b_set.contains(v)),
        "{a_set:?} {b_set:?}"
    );
    assert_ne!(
        net.nodes[0].get_ok("/status")["genesis_hash"],
        on_b[0].get_ok("/status")["genesis_hash"]
    );

    // Sent to B at node 2, committed on B at node 4; no node's A knows it.
    let tx = on_b[1]
        .signer("tier1-steel")
        .sign(Call::Remark(b"on B".to_vec()));
    let reply = on_b[1].submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    let hash = tx.hash().to_string();
    wait_for("the remark committed on B", Duration::from_secs(60), || {
        let view = on_b[3].get(&format!("/transactions/{hash}"))?.body;
        (view["status"] == "committed").then_some(())
    });
    for node in &net.nodes {
        let on_a = node
            .get(&format!("/transactions/{hash}"))
            .expect("an answer");
        assert_eq!(on_a.status, 404, "{}", on_a.body);
    }

    // Validator 1's network key is a peer of A only: dialling node 2's B port with it, as a B
    // node would, is refused, while node 2 keeps its three B peers.
    let key = catena_node::keys::read_key(&net.dir().join("keys/validator-1-network.json"))
        .expect("validator 1's A network key");
    let spec_b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(net.network.chain_spec_path(2)).expect("B's spec"))
            .expect("JSON");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let refusals = || {
        std::fs::read_to_string(net.dir().join("node-2.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("refused an incoming connection") && l.contains(b))
            .count()
    };
    let before = refusals();
    let (network, _handle, _events) = {
        let _guard = runtime.enter();
        catena_network::Network::new(catena_network::NetworkConfig {
            chain_id: b.into(),
            secret_seed: key.seed(),
            listen: format!("/ip4/127.0.0.1/tcp/{}", free_port())
                .parse()
                .expect("multiaddr"),
            peers: common::validator_peers(&spec_b, 4)[1..2].to_vec(),
            allowed: Vec::new(),
            max_message_bytes: 1 << 20,
            request_timeout: Duration::from_secs(10),
        })
        .expect("network")
    };
    runtime.spawn(network.run());
    wait_for(
        "node 2 to refuse A's peer on B's port",
        Duration::from_secs(30),
        || (refusals() > before).then_some(()),
    );
    let b_peers = format!("catena_peers{{chain=\"{b}\"}}");
    assert_eq!(
        net.nodes[1].metric(&b_peers),
        Some(3.0),
        "B keeps its three peers"
    );
    drop(runtime);
}
