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

/// The height of parachain `id`'s anchored head, as `main` (a node of the main chain) says.
pub fn head(main: &TestNode, id: &str) -> u64 {
    main.get_ok(&format!("/parachains/{id}"))["head"]["height"]
        .as_u64()
        .unwrap_or(0)
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
