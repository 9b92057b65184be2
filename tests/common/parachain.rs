//! Helpers of the parachain tests: registering chain K of a test network as a parachain of its
//! first chain, and reading the anchors the main chain holds.

use std::time::{Duration, Instant};

use catena_testing::cli::Cli;
use catena_testing::node::TestNode;
use catena_testing::TestNetwork;

/// A's first governor proposes registering chain `k` of `net` (anchors every 5 blocks, at least
/// every 3 s).
pub fn propose(net: &TestNetwork, k: u16) {
    let cli = Cli::new(net.dir(), &net.nodes[2].api);
    let spec = net.network.chain_spec_path(k);
    cli.ok(&[
        "parachain",
        "register",
        "--spec",
        spec.to_str().expect("UTF-8"),
        "--anchor-every-blocks",
        "5",
        "--anchor-every-ms",
        "3000",
        "--as",
        "huaxia-motors",
    ]);
}

/// Two more of A's governors approve proposal `id`: with the proposer, the quorum of three.
pub fn approve(net: &TestNetwork, id: u64) {
    let cli = Cli::new(net.dir(), &net.nodes[2].api);
    cli.ok(&format!("governance approve {id} --as merchant-bank"));
    cli.ok(&format!("governance approve {id} --as swift-logistics"));
}

/// Registers chain `k` of `net` as a parachain of its first chain; `id` is the proposal's.
pub fn register(net: &TestNetwork, k: u16, id: u64) {
    propose(net, k);
    approve(net, id);
}

/// The height of parachain `id`'s anchored head, as `main` (a node of the main chain) says: 0
/// before anything is anchored, and while `main` has not yet committed the registration (a
/// node a few milliseconds behind the one whose CLI saw it commit answers 404).
pub fn head(main: &TestNode, id: &str) -> u64 {
    let path = format!("/parachains/{id}");
    let reply = main
        .get(&path)
        .unwrap_or_else(|| panic!("GET {path}: no answer"));
    if reply.status == 404 {
        return 0;
    }
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
    reply.body["head"]["height"].as_u64().unwrap_or(0)
}

/// One number field of every anchor of a `/parachains/{id}/anchors` page.
pub fn column(page: &serde_json::Value, field: &str) -> Vec<u64> {
    page["anchors"]
        .as_array()
        .expect("anchors")
        .iter()
        .map(|a| {
            a[field]
                .as_u64()
                .unwrap_or_else(|| panic!("{field} in {a}"))
        })
        .collect()
}

/// For 20 s, every 500 ms: how many blocks parachain `id`'s tip (at `para`) is ahead of its
/// anchored head (at `main`).
pub fn sample_lags(para: &TestNode, main: &TestNode, id: &str) -> Vec<u64> {
    let began = Instant::now();
    let mut lags = Vec::new();
    while began.elapsed() < Duration::from_secs(20) {
        let tip = para.height();
        lags.push(tip.saturating_sub(head(main, id)));
        std::thread::sleep(Duration::from_millis(500));
    }
    lags
}

/// Every anchor of parachain `id` from height `from` to `to`, as `main` pages through them.
pub fn anchors(main: &TestNode, id: &str, from: u64, to: u64) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut next = from;
    loop {
        let page = main.get_ok(&format!("/parachains/{id}/anchors?from={next}&limit=100"));
        let items = page["anchors"].as_array().cloned().unwrap_or_default();
        let Some(last) = items.last().and_then(|a| a["height"].as_u64()) else {
            return out;
        };
        out.extend(
            items
                .into_iter()
                .filter(|a| a["height"].as_u64() <= Some(to)),
        );
        if last >= to {
            return out;
        }
        next = last + 1;
    }
}

/// Builds a one-validator parachain `para-a` of the dev chain at `home` (anchoring every
/// `anchor_every_blocks` blocks) and adds it to the home with its validator's keys, so that the
/// node validates it from its next start; its spec's path.
pub fn add_parachain(
    home: &std::path::Path,
    dir: &std::path::Path,
    anchor_every_blocks: u64,
) -> std::path::PathBuf {
    let spec = dir.join("para-a.json");
    let keys = dir.join("para-keys");
    let text = |p: &std::path::Path| p.to_str().expect("UTF-8").to_string();
    for args in [
        vec![
            "chain-spec".into(),
            "build".into(),
            "--local".into(),
            "1".into(),
            "--chain-id".into(),
            "para-a".into(),
            "--parachain-of".into(),
            text(&home.join("chain-spec.json")),
            "--anchor-every-blocks".into(),
            anchor_every_blocks.to_string(),
            "--keys-dir".into(),
            text(&keys),
            "--out".into(),
            text(&spec),
        ],
        vec![
            "chain".into(),
            "add".into(),
            "--home".into(),
            text(home),
            "--spec".into(),
            text(&spec),
            "--validator-key".into(),
            text(&keys.join("para-a-validator-1.json")),
            "--network-key".into(),
            text(&keys.join("para-a-validator-1-network.json")),
            "--p2p-addr".into(),
            format!("/ip4/127.0.0.1/tcp/{}", catena_testing::free_port()),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = catena_testing::node::catena(&args);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    spec
}

/// A dev node at `dir/main` hosting and validating parachain `para-a` ([`add_parachain`]),
/// running; its handle, its home and the parachain's spec.
pub fn dev_with_parachain(
    dir: &std::path::Path,
    anchor_every_blocks: u64,
) -> (TestNode, std::path::PathBuf, std::path::PathBuf) {
    let home = dir.join("main");
    let mut node = TestNode::dev_command(&home);
    node.stop();
    let spec = add_parachain(&home, dir, anchor_every_blocks);
    node.start();
    (node, home, spec)
}

/// A node at `dir/home`, running, that hosts a main chain committing the consortium's invoice
/// key (`dir/invoice.key`) and parachains `ids` of it (one validator each, this node; anchoring
/// every 2 blocks), each holding the key and registered by the main chain's quorum. The demo
/// member keys are in `dir/keys` (a [`Cli`] with home `dir` acts as them).
pub fn keyed_parachains(dir: &std::path::Path, ids: &[&str]) -> TestNode {
    let s = |p: &std::path::Path| p.to_str().expect("UTF-8").to_string();
    let run = |args: Vec<String>| {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = catena_testing::node::catena(&words);
        assert!(out.status.success(), "{words:?}: {out:?}");
    };
    let (key, main, home) = (
        dir.join("invoice.key"),
        dir.join("main.json"),
        dir.join("home"),
    );
    let words = |line: &str| {
        line.split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    run(words(&format!(
        "key generate-invoice-key --out {}",
        s(&key)
    )));
    run(words(&format!(
        "chain-spec build --dev --invoice-key {} --out {} --keys-dir {}",
        s(&key),
        s(&main),
        s(&dir.join("keys"))
    )));
    let api = format!("127.0.0.1:{}", catena_testing::free_port());
    run(words(&format!(
        "init --home {} --chain {} --validator-key {} --api-addr {api}",
        s(&home),
        s(&main),
        s(&dir.join("keys").join("validator-1.json"))
    )));
    let para_keys = dir.join("para-keys");
    for id in ids {
        let spec = dir.join(format!("{id}.json"));
        run(words(&format!(
            "chain-spec build --local 1 --chain-id {id} --parachain-of {} --anchor-every-blocks 2 --keys-dir {} --out {}",
            s(&main),
            s(&para_keys),
            s(&spec)
        )));
        run(words(&format!(
            "chain add --home {} --spec {} --validator-key {} --network-key {} --p2p-addr /ip4/127.0.0.1/tcp/{} --invoice-key {}",
            s(&home),
            s(&spec),
            s(&para_keys.join(format!("{id}-validator-1.json"))),
            s(&para_keys.join(format!("{id}-validator-1-network.json"))),
            catena_testing::free_port(),
            s(&key)
        )));
    }
    let mut node = catena_testing::node::node_at(format!("http://{api}"), home);
    node.start();
    let cli = Cli::new(dir, &node.api);
    for id in ids {
        let spec = dir.join(format!("{id}.json"));
        let registered = cli.json(&format!(
            "parachain register --spec {} --as huaxia-motors",
            s(&spec)
        ));
        assert_eq!(registered["created"]["parachain"], *id, "{registered}");
    }
    node
}
