//! A validator down for 30 s under load (TEST-PLAN check 1): four validators take 50
//! transactions a second sent to all of them; one that did not propose the newest block is
//! killed with SIGKILL and left down for 30 s, restarted, and then the proposer of the newest
//! block (the leader) the same way. While each is down the other three keep committing with no
//! gap over 10 s; each restarted validator is back at the tip within 30 s; every transaction
//! answered 202 is committed; every height has one block on all four; nobody equivocated.
//!
//! `CATENA_OUTAGE_SECS` sets how long each stays down (30, the plan's, by default).

mod common;

use std::time::{Duration, Instant};

use catena_testing::acked::AckedLoad;

const CHAIN_ID: &str = "catena-local";

/// Kills validator `victim`, keeps it down for `down`, restarts it and waits until it is back
/// at the others' tip; returns (heights the others committed meanwhile, seconds to catch up).
fn outage(net: &mut common::TestNetwork, victim: usize, down: Duration) -> (u64, f64) {
    let other = (victim + 1) % 4;
    let before = net.nodes[other].height();
    net.crash(victim);
    std::thread::sleep(down);
    let during = net.nodes[other].height() - before;
    net.restart(victim);
    let restarted = Instant::now();
    let tip = net.nodes[other].height();
    net.wait_height(&[victim], tip, Duration::from_secs(30));
    (during, restarted.elapsed().as_secs_f64())
}

#[test]
fn a_validator_down_for_30_s_under_load_then_the_leader_lose_nothing_and_never_stall() {
    let down = Duration::from_secs(
        std::env::var("CATENA_OUTAGE_SECS")
            .ok()
            .map_or(30, |v| v.parse().expect("CATENA_OUTAGE_SECS is seconds")),
    );
    let mut net = common::network().block_time_ms(300).start();
    net.wait_all(2, "2 heights on every validator");
    let accounts = common::validator_accounts(&net);
    let signers = common::demo_signers(&net.nodes[0]);
    let load = AckedLoad::start(CHAIN_ID, net.apis(), signers, 50);
    std::thread::sleep(Duration::from_secs(3));
    let first = net.nodes[0].height();
    // A validator that is not the leader, then the leader.
    let leader = common::proposer_of_tip(&net.nodes[0], &accounts);
    let not_leader = (leader + 2) % 4;
    let (during_a, back_a) = outage(&mut net, not_leader, down);
    let leader = common::proposer_of_tip(&net.nodes[0], &accounts);
    let (during_b, back_b) = outage(&mut net, leader, down);
    let report = load.finish();

    let (tip, longest_gap) = common::settle_after_load(&net, &report.acknowledged, first);
    println!(
        "validator {} (not the leader) down {} s: the others committed {during_a} heights, it was \
         back at the tip {back_a:.1} s after its restart; the leader (validator {}) down {} s: \
         {during_b} heights, back in {back_b:.1} s; {} transactions answered 202, 0 lost; heights \
         {first}..={tip} identical on 4 validators; longest gap between blocks {longest_gap} ms",
        not_leader + 1,
        down.as_secs(),
        leader + 1,
        down.as_secs(),
        report.acknowledged.len(),
    );
    assert!(longest_gap <= 10_000, "{longest_gap} ms between two blocks");
    assert!(
        during_a > 10 && during_b > 10,
        "the others stalled: {during_a}, {during_b} heights"
    );
    assert!(back_a <= 30.0 && back_b <= 30.0);
    assert!(report.acknowledged.len() > 100);
}
