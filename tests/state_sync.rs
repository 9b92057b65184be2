//! State sync (TEST-PLAN check 14; issue 19, item 6): a member's new node started with
//! `--state-sync` joins a running 4-validator chain from a certified snapshot instead of
//! replaying its blocks. Three of the four validators serve corrupt chunks (the store's test
//! switch `corrupt-snapshot`): each such chunk is refused against the certified state root and
//! asked of another peer, the sender counted. The node ends with the validators' state root,
//! holds no block below its snapshot, and follows the chain from there; the index entries the
//! snapshot leaves out (ADR 0049) it derives again, so it lists every member's vouchers as the
//! validators do.

mod common;

use std::time::{Duration, Instant};

use catena_testing::acked::AckedLoad;
use catena_testing::cli::Cli;
use common::story::voucher_story;
use common::{wait_for, TestNode};

const CHAIN_ID: &str = "catena-local";

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split_whitespace().find_map(|w| w.strip_prefix(name))
}

#[test]
fn a_new_node_joins_from_a_certified_snapshot_and_refuses_corrupt_chunks() {
    let mut net = common::network().followers(1).block_time_ms(300).create();
    let faults = net.dir().join("store-faults");
    std::fs::write(&faults, "").expect("fault file");
    for node in &mut net.nodes[..3] {
        node.env.push((
            catena_node::STORE_FAULTS_FILE_VAR.into(),
            faults.display().to_string(),
        ));
    }
    let joiner = &mut net.nodes[4];
    joiner.args.push("--state-sync".into());
    joiner
        .env
        .push((catena_node::driver::CHUNK_ENTRIES_VAR.into(), "8".into()));
    for i in 0..4 {
        net.nodes[i].start();
    }
    let validators: Vec<&TestNode> = net.nodes[..4].iter().collect();
    common::wait_heights(&validators, 3, "the first blocks", Duration::from_secs(60));

    // State to sync: transactions of six members for a while.
    let signers = common::demo_signers(&net.nodes[0]);
    let apis = net.nodes[..4].iter().map(|n| n.api.clone()).collect();
    let load = AckedLoad::start(CHAIN_ID, apis, signers, 60);
    std::thread::sleep(Duration::from_secs(10));
    let report = load.finish();
    common::wait_all_committed(&net.nodes[0], &report.acknowledged, Duration::from_secs(60));
    // And vouchers, whose lists by holder are index entries the snapshot does not carry: the
    // joiner derives them from the restored voucher records (ADR 0049).
    let cli = Cli::new(net.dir(), &net.nodes[0].api);
    let story = voucher_story(&cli, net.dir());

    std::fs::write(&faults, format!("corrupt-snapshot {CHAIN_ID}\n")).expect("arm");
    let tip = net.nodes[0].height();
    let started = Instant::now();
    net.nodes[4].start();
    let joiner = &net.nodes[4];
    let synced = wait_for(
        "the new node's state sync",
        Duration::from_secs(120),
        || {
            joiner
                .log()
                .lines()
                .find(|l| l.contains("state synced"))
                .map(str::to_string)
        },
    );
    let height: u64 = field(&synced, "height=")
        .expect("height")
        .parse()
        .expect("a height");
    let entries: u64 = field(&synced, "entries=")
        .expect("entries")
        .parse()
        .expect("a count");
    let seconds = field(&synced, "seconds=").expect("seconds");
    let refused = joiner
        .log()
        .lines()
        .filter(|l| l.contains("refused a snapshot chunk"))
        .count();
    println!(
        "joined from the snapshot of height {height} (the chain was at {tip}, {} transactions \
         committed): {entries} entries in {seconds} s, {:.1} s from its start; {refused} corrupt \
         chunks refused",
        report.acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(height >= tip, "an old snapshot: {height} < {tip}");
    assert!(refused >= 1, "no corrupt chunk was refused");
    assert!(
        joiner
            .metric("catena_invalid_messages_total")
            .unwrap_or(0.0)
            >= 1.0,
        "the senders of corrupt chunks were not counted"
    );
    assert_eq!(
        joiner.get("/blocks/1").map(|r| r.status),
        Some(404),
        "it replayed old blocks"
    );

    // It follows the chain from there with the validators' state.
    let all: Vec<&TestNode> = net.nodes.iter().collect();
    let later = net.nodes[0].height() + 3;
    common::wait_heights(
        &all,
        later,
        "every node past the snapshot",
        Duration::from_secs(60),
    );
    let root = net.nodes[0].get_ok(&format!("/blocks/{later}"))["state_root"].clone();
    for node in &net.nodes {
        assert_eq!(node.get_ok(&format!("/blocks/{later}"))["state_root"], root);
    }
    assert_eq!(
        joiner.get_ok(&format!("/blocks/{height}"))["hash"],
        net.nodes[0].get_ok(&format!("/blocks/{height}"))["hash"]
    );

    // Every member's vouchers, listed by the index the joiner rebuilt, as a validator lists them.
    let mut listed = 0;
    for member in net.nodes[0].get_ok("/members").as_array().expect("members") {
        let uscc = member["uscc"].as_str().expect("a uscc");
        let path = format!("/vouchers?holder={uscc}");
        let held = net.nodes[0].get_ok(&path);
        assert_eq!(joiner.get_ok(&path), held, "{path}");
        listed += held["vouchers"].as_array().expect("vouchers").len();
    }
    // The story leaves four live vouchers: the original's rest, Tier 2's part and Tier 3's.
    assert!(
        listed >= 3,
        "only {listed} vouchers listed: {}",
        story.original
    );
}
