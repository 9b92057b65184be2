//! Anchoring with real processes (PARACHAINS.md, "lag" and "handover"): a main chain of four
//! validators with parachain A (three validators on three members' nodes, the fourth node
//! following it) and parachain B (four validators), all on the same four nodes.

mod common;

use std::time::Duration;

use catena_testing::cli::Cli;
use common::parachain::{self, anchors, column, head, sample_lags};
use common::{wait_for, TestNode};

/// Every checkpoint of A over 200 of its blocks lands on the main chain within the bound, each
/// certified by A's validators; with a submitter of B killed the fallback lands B's; B's
/// validator set changes and is followed across the handover.
#[test]
fn parachains_are_anchored_by_their_validators() {
    let mut net = common::network()
        .chains(3)
        .chain_validators(&[3, 4])
        .block_time_ms(200)
        .start();
    let (a, b) = ("catena-local-2", "catena-local-3");
    let on_a: Vec<TestNode> = net.nodes.iter().map(|n| n.on_chain(a)).collect();
    let on_b: Vec<TestNode> = net.nodes.iter().map(|n| n.on_chain(b)).collect();
    net.wait_all(2, "the main chain's first blocks");
    parachain::propose(&net, 2);
    assert_eq!(
        net.nodes[0]
            .get(&format!("/parachains/{a}"))
            .expect("an answer")
            .status,
        404,
        "registered before the quorum approved"
    );
    parachain::approve(&net, 0);
    parachain::register(&net, 3, 1);
    for id in [a, b] {
        assert_eq!(
            net.nodes[0].get_ok(&format!("/parachains/{id}"))["status"],
            "active"
        );
    }
    wait_for(
        "both parachains' first anchors",
        Duration::from_secs(120),
        || (head(&net.nodes[3], a) >= 10 && head(&net.nodes[3], b) >= 10).then_some(()),
    );
    // A's fourth node follows A without validating it.
    let follower = on_a[3].get_ok("/status");
    assert_eq!(follower["role"], "follower", "{follower}");
    assert_eq!(
        net.nodes[0].get_ok(&format!("/parachains/{a}"))["validators"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    // Every checkpoint (every 5th block) over 200 of A's blocks, each from its block's time to
    // the time of the main block that anchored it.
    let first = head(&net.nodes[3], a);
    let last = first + 200;
    wait_for(
        "200 more of A's blocks anchored",
        Duration::from_secs(180),
        || (head(&net.nodes[3], a) >= last).then_some(()),
    );
    let landed = anchors(&net.nodes[3], a, first + 1, last);
    let heights: Vec<u64> = landed.iter().filter_map(|x| x["height"].as_u64()).collect();
    let missing: Vec<u64> = (first + 1..=last)
        .filter(|h| h % 5 == 0 && !heights.contains(h))
        .collect();
    assert!(
        missing.is_empty(),
        "checkpoints never anchored: {missing:?}"
    );
    let mut lags: Vec<u64> = landed
        .iter()
        .map(|x| {
            let main_block = net.nodes[3].get_ok(&format!("/blocks/{}", x["main_height"]));
            main_block["time_ms"]
                .as_u64()
                .expect("time")
                .saturating_sub(x["time_ms"].as_u64().expect("time"))
        })
        .collect();
    lags.sort_unstable();
    let (worst, p50) = (lags[lags.len() - 1], lags[lags.len() / 2]);
    let mean = lags.iter().sum::<u64>() as f64 / lags.len() as f64;
    // The bound: N (5) parachain block times plus 3 main block times, 200 ms each.
    let bound = 5 * 200 + 3 * 200;
    let within = lags.iter().filter(|lag| **lag <= bound).count();
    println!(
        "A's blocks {}..{last}: {} anchors (every checkpoint); block to anchoring main block: p50 {p50} ms, mean {mean:.0} ms, worst {worst} ms; {within} of {} within {bound} ms",
        first + 1,
        lags.len(),
        lags.len()
    );
    // A debug build of twelve chain instances on two cores: the bound plus 3 s of slack.
    assert!(
        worst <= bound + 3_000,
        "an anchor took {worst} ms: {lags:?}"
    );
    // The anchored state roots are A's own.
    for anchor in landed.iter().take(3) {
        let block = on_a[3].get_ok(&format!("/blocks/{}", anchor["height"]));
        assert_eq!(anchor["state_root"], block["state_root"], "{block}");
        assert_eq!(anchor["block_hash"], block["hash"], "{block}");
    }

    // Node 2 killed (a validator of both; A, three validators, has no quorum without it and
    // waits): B goes on, its turns to anchor taken by the next in the rotation after the
    // fallback delay (3 s, 15 blocks), and B's anchors keep landing.
    net.crash(1);
    let b_before = on_b[0].height();
    let lags = sample_lags(&on_b[0], &net.nodes[3], b);
    let worst = *lags.iter().max().expect("samples");
    let mean = lags.iter().sum::<u64>() as f64 / lags.len() as f64;
    let committed = on_b[0].height() - b_before;
    println!(
        "with one submitter killed: B committed {committed} blocks in 20 s; its lag mean {mean:.1} blocks, worst {worst}"
    );
    assert!(committed >= 20, "B stalled: {committed} blocks");
    assert!(
        worst <= 5 + 15 + 3 + 7,
        "lag reached {worst} blocks: {lags:?}"
    );

    // B's governance removes the killed validator from a height on: the last block before the
    // change is anchored with the proof of the new set, the registered set follows, and the
    // anchors go on past the handover, certified by the three left.
    let spec_b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(net.network.chain_spec_path(3)).expect("B's spec"))
            .expect("JSON");
    let removed = spec_b["validators"][1]["account"]
        .as_str()
        .expect("account")
        .to_string();
    let cli = Cli::new(net.dir(), &net.nodes[0].api);
    let from = on_b[0].height() + 40;
    cli.ok(&format!(
        "governance remove-validator --account {removed} --from-height {from} --chain {b} --as huaxia-motors"
    ));
    for approver in ["merchant-bank", "swift-logistics"] {
        cli.ok(&format!("governance approve 0 --chain {b} --as {approver}"));
    }
    wait_for(
        "anchors past B's handover",
        Duration::from_secs(120),
        || (head(&net.nodes[3], b) >= from + 10).then_some(()),
    );
    let record = net.nodes[3].get_ok(&format!("/parachains/{b}"));
    let set: Vec<&str> = record["validators"]
        .as_array()
        .expect("set")
        .iter()
        .map(|v| v.as_str().expect("account"))
        .collect();
    assert_eq!(set.len(), 3, "{record}");
    assert!(!set.contains(&removed.as_str()), "{record}");
    let page = net.nodes[3].get_ok(&format!(
        "/parachains/{b}/anchors?from={}&limit=100",
        from - 6
    ));
    let heights = column(&page, "height");
    assert!(
        heights.contains(&(from - 1)),
        "the last block before the change ({}) is anchored: {heights:?}",
        from - 1
    );
    println!("B's validator set changed at {from}: anchored across the handover at {heights:?}");
}
