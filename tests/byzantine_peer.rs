//! A Byzantine member peer running the real node code (TEST-PLAN checks 8 and 16; issue 19,
//! item 3): four validators and a member's node that follows the chain like any other, but is
//! armed (`catena_node::malus`) to misbehave at 1,000 messages a second, under a steady load.
//!
//! First what is not invalid in its own bytes and must simply cost little — replayed batches of
//! committed transactions, real precommits of decided heights, block requests from height 1 in
//! a loop: the honest validators keep committing, shed what does not fit (counted), and ban
//! nobody. Then what is invalid — proposals for rounds it does not lead, malformed bytes,
//! messages over the size limits, votes with signatures that do not verify: each honest
//! validator bans it after 10 invalid messages. Throughout: no gap between honest blocks over
//! 10 s, every transaction answered 202 committed, one block per height, no honest peer banned,
//! no panic, and the honest validators' memory besides RocksDB's bounded (printed).
//!
//! `CATENA_BYZANTINE_SECS` sets each phase's length (20 s in the suite): the first lasts until
//! the peer has sent 1,000 messages for each of its seconds, however long a busy machine takes.

mod common;

use std::time::{Duration, Instant};

use catena_testing::acked::AckedLoad;
use common::{resident_kib, storage_kib, wait_for, TestNode};

const CHAIN_ID: &str = "catena-local";
const RATE: u64 = 1_000;
/// Growth of an honest validator's memory besides RocksDB's allowed over the attack.
const MEMORY_GROWTH_BOUND_MIB: u64 = 128;

/// What the misbehaving node says it sent: (messages, milliseconds), summed over its reports.
fn malus_sent(node: &TestNode) -> (u64, u64) {
    let field = |line: &str, name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    node.log()
        .lines()
        .filter(|l| l.contains("misbehaving: messages sent"))
        .map(|l| (field(l, "sent="), field(l, "millis=")))
        .fold((0, 0), |(m, s), (dm, ds)| (m + dm, s + ds))
}

/// The lines of `node`'s log that ban a peer.
fn bans(node: &TestNode) -> Vec<String> {
    node.log()
        .lines()
        .filter(|l| l.contains("banning peer after invalid messages"))
        .map(str::to_string)
        .collect()
}

fn metric_sum(node: &TestNode, prefix: &str) -> u64 {
    node.metrics_text()
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// Samples each honest validator's memory besides RocksDB's, in KiB.
fn memory_besides_storage(nodes: &[TestNode]) -> Vec<u64> {
    nodes
        .iter()
        .map(|n| resident_kib(n).saturating_sub(storage_kib(n)))
        .collect()
}

#[test]
fn a_byzantine_member_peer_costs_little_and_is_banned_and_the_chain_goes_on() {
    let phase = Duration::from_secs(
        std::env::var("CATENA_BYZANTINE_SECS")
            .ok()
            .map_or(20, |v| v.parse().expect("CATENA_BYZANTINE_SECS is seconds")),
    );
    let mut net = common::network().followers(1).block_time_ms(300).create();
    let plan = net.dir().join("misbehave");
    std::fs::write(&plan, "").expect("plan file");
    net.nodes[4].env.push((
        catena_node::malus::MALUS_FILE_VAR.into(),
        plan.display().to_string(),
    ));
    net.start_all();
    net.wait_all(3, "the first blocks on every node");
    let peer_ids = net.network.peer_ids().expect("peer ids");
    let (honest_ids, malus_id) = (&peer_ids[..4], &peer_ids[4]);
    let honest = &net.nodes[..4];
    let signers = common::demo_signers(&honest[0]);
    let apis = honest.iter().map(|n| n.api.clone()).collect();
    let load = AckedLoad::start(CHAIN_ID, apis, signers, 30);
    std::thread::sleep(Duration::from_secs(3));
    let start = honest[0].height();
    let before = memory_besides_storage(honest);
    let mut peak = before.clone();
    let sample = |peak: &mut Vec<u64>| {
        for (p, now) in peak.iter_mut().zip(memory_besides_storage(honest)) {
            *p = (*p).max(now);
        }
    };

    // Phase 1: nothing invalid in its own bytes, offered at 1,000 a second, until the peer has
    // sent a phase's worth (on a busy machine that takes longer; the rate reached is printed).
    std::fs::write(
        &plan,
        format!("rate {RATE}\nreplays\nold-votes\nsync-loop\n"),
    )
    .expect("plan");
    let wanted = RATE * phase.as_secs();
    let began = Instant::now();
    wait_for(
        "the member peer to send a phase's worth of messages",
        phase * 6,
        || {
            std::thread::sleep(Duration::from_secs(2));
            sample(&mut peak);
            (began.elapsed() >= phase && malus_sent(&net.nodes[4]).0 >= wanted).then_some(())
        },
    );
    let (sent, millis) = malus_sent(&net.nodes[4]);
    let rate = sent * 1_000 / millis.max(1);
    println!("phase 1: the member peer sent {sent} messages in {millis} ms reported: {rate}/s");
    for (node, id) in honest.iter().zip(honest_ids) {
        assert!(
            bans(node).is_empty(),
            "{id} banned a peer: {:?}",
            bans(node)
        );
        println!(
            "validator {id}: shed {} (network {}, admission {}, sync {}), invalid counted {}",
            metric_sum(node, "catena_messages_shed_total"),
            metric_sum(
                node,
                "catena_messages_shed_total{chain=\"catena-local\",stage=\"network\"}"
            ),
            metric_sum(
                node,
                "catena_messages_shed_total{chain=\"catena-local\",stage=\"transactions\"}"
            ),
            metric_sum(
                node,
                "catena_messages_shed_total{chain=\"catena-local\",stage=\"sync\"}"
            ),
            metric_sum(node, "catena_invalid_messages_total"),
        );
    }
    let middle = honest[0].height();
    println!("phase 1: heights {start}..{middle}");
    assert!(middle >= start + 5, "the chain stalled: {start}..{middle}");

    // Phase 2: invalid messages, 1,000 a second: each honest validator bans the peer.
    std::fs::write(
        &plan,
        format!("rate {RATE}\nproposals\nmalformed\noversized\nbad-signatures\n"),
    )
    .expect("plan");
    let began = Instant::now();
    wait_for(
        "every honest validator banning the member peer",
        Duration::from_secs(60),
        || honest.iter().all(|n| !bans(n).is_empty()).then_some(()),
    );
    println!(
        "banned by all four {:.1} s after the invalid messages began",
        began.elapsed().as_secs_f64()
    );
    while began.elapsed() < phase {
        std::thread::sleep(Duration::from_secs(2));
        sample(&mut peak);
    }
    let (sent_all, millis_all) = malus_sent(&net.nodes[4]);
    println!(
        "phase 2: the member peer sent {} invalid messages in {} ms (those after its bans reach no one)",
        sent_all - sent,
        millis_all - millis
    );
    for (node, id) in honest.iter().zip(honest_ids) {
        println!(
            "validator {id}: invalid messages counted {}",
            metric_sum(node, "catena_invalid_messages_total")
        );
        for line in bans(node) {
            assert!(
                line.contains(malus_id.as_str()),
                "{id} banned an honest peer: {line}"
            );
            assert!(
                line.contains(&format!("invalid={}", catena_network::BAN_THRESHOLD)),
                "{id} banned only after more invalid messages: {line}"
            );
        }
        assert!(!node.log().contains("panicked"), "{id} panicked");
    }

    // The chain went on: every acknowledged transaction committed, one block per height, no
    // gap over 10 s.
    let report = load.finish();
    common::wait_all_committed(&honest[0], &report.acknowledged, Duration::from_secs(60));
    let end = honest[0].height();
    common::wait_heights(
        &honest.iter().collect::<Vec<_>>(),
        end,
        "the tip",
        Duration::from_secs(30),
    );
    let times = common::assert_same_blocks(honest, start..=end);
    let widest = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    let after = memory_besides_storage(honest);
    println!(
        "heights {start}..{end}, widest gap {widest} ms; {} transactions answered 202, all committed; \
         memory besides RocksDB's (MiB) before {:?}, peak {:?}, after {:?}",
        report.acknowledged.len(),
        before.iter().map(|k| k / 1024).collect::<Vec<_>>(),
        peak.iter().map(|k| k / 1024).collect::<Vec<_>>(),
        after.iter().map(|k| k / 1024).collect::<Vec<_>>(),
    );
    assert!(
        widest <= 10_000,
        "a gap of {widest} ms between honest blocks"
    );
    assert!(!report.acknowledged.is_empty(), "the load was acknowledged");
    for (b, p) in before.iter().zip(&peak) {
        assert!(
            p.saturating_sub(*b) <= MEMORY_GROWTH_BOUND_MIB * 1024,
            "an honest validator grew {} MiB besides RocksDB's under the attack",
            p.saturating_sub(*b) / 1024
        );
    }
}
