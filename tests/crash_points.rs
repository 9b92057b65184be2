//! Validators killed at crash points under load (issue 19 item 2; TEST-PLAN check 5; ADR 0033).
//!
//! Four validators commit a steady load of remarks sent to all of them. Again and again, one
//! validator is armed (through its `CATENA_TEST_FAILPOINTS_FILE`) to kill itself at a crash
//! point chosen at random — after a proposal is logged, after it is published, after a vote is
//! logged, after it is signed, inside the block write batch, after the block write — on that
//! point's n-th pass; once it has died there it is restarted on the same home, with nothing
//! repaired by hand, and must catch up before the next one is armed. At the end:
//! - every transaction any node answered 202 is committed (acknowledged means durable);
//! - every validator's vote and proposal logs, read after each of its deaths, never held two
//!   different votes of one kind, or two different proposals, for one height and round; no node
//!   saw an equivocation or two proposals of one proposer for one round; none is recorded;
//! - every node has the same block at every height.
//!
//! The default suite makes 8 kills; `scripts/crash-run.sh` makes 200 (`CATENA_CRASH_KILLS`).
//! `CATENA_CRASH_SEED` repeats a run's choices.

mod common;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use catena_storage::crash_points::POINTS;
use catena_storage::wal::{ProposalLog, VoteLog};
use catena_testing::acked::AckedLoad;
use common::{wait_for, TestNode};
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};

const DEFAULT_KILLS: usize = 8;
const CHAIN_ID: &str = "catena-local";
/// How long an armed validator may take to reach its point (a point passed every height or
/// every few heights, at most a few passes skipped).
const REACH_DEADLINE: Duration = Duration::from_secs(60);

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

/// What every validator's logs held across all its deaths: (validator, height, round, kind) →
/// value, and (validator, height, round) → proposed block.
#[derive(Default)]
struct Signed {
    votes: BTreeMap<(usize, u64, u32, String), Option<String>>,
    proposals: BTreeMap<(usize, u64, u32), String>,
}

impl Signed {
    /// Reads validator `who`'s logs (its process is dead) and fails on any record that
    /// contradicts one read before.
    fn read(&mut self, who: usize, chain_dir: &Path) {
        let (votes, _) = VoteLog::open(&chain_dir.join("votes.wal")).expect("the vote log opens");
        for v in votes.votes() {
            let key = (who, v.height, v.round, format!("{:?}", v.kind));
            let value = v.value.map(|h| h.to_string());
            let earlier = self.votes.entry(key).or_insert_with(|| value.clone());
            assert_eq!(
                *earlier, value,
                "validator {who} logged two different {:?} votes at height {} round {}",
                v.kind, v.height, v.round
            );
        }
        let (proposals, _) = ProposalLog::open(&chain_dir.join("proposals.wal"), 1 << 24)
            .expect("the proposal log opens");
        for p in proposals.proposals() {
            let value = p.value.to_string();
            let earlier = self
                .proposals
                .entry((who, p.height, p.round))
                .or_insert_with(|| value.clone());
            assert_eq!(
                *earlier, value,
                "validator {who} logged two different proposals at height {} round {}",
                p.height, p.round
            );
        }
    }
}

fn chain_dir(home: &Path) -> PathBuf {
    let home = catena_node::Home(home.to_path_buf());
    let config = catena_node::NodeConfig::load(&home.config()).expect("the node's config");
    home.chain_dir(&config, CHAIN_ID)
}

/// Waits until validator `victim`'s process has died, and returns how.
fn wait_death(node: &mut TestNode, what: &str) -> std::process::ExitStatus {
    wait_for(what, REACH_DEADLINE, || {
        node.child
            .as_mut()
            .and_then(|child| child.try_wait().expect("try_wait"))
    })
}

#[test]
fn validators_killed_at_crash_points_lose_nothing_acknowledged_and_never_sign_twice() {
    let kills = env_number("CATENA_CRASH_KILLS").map_or(DEFAULT_KILLS, |k| k as usize);
    let seed = env_number("CATENA_CRASH_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_secs()
    });
    println!("crash points: {kills} kills, CATENA_CRASH_SEED={seed}");
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);

    let dir = common::test_dir();
    let mut net = common::network().block_time_ms(250).create();
    let switches: Vec<PathBuf> = (0..net.nodes.len())
        .map(|i| dir.path().join(format!("crash-points-{i}")))
        .collect();
    for (node, switch) in net.nodes.iter_mut().zip(&switches) {
        std::fs::write(switch, "").expect("switch file");
        node.env.push((
            "CATENA_TEST_FAILPOINTS_FILE".into(),
            switch.to_string_lossy().into(),
        ));
    }
    net.start_all();
    net.wait_all(2, "2 heights on every validator");

    let signers = common::demo_signers(&net.nodes[0]);
    let load = AckedLoad::start(CHAIN_ID, net.apis(), signers, 50);
    let started = Instant::now();
    let mut signed = Signed::default();
    let mut per_point: BTreeMap<&str, usize> = BTreeMap::new();
    let mut slowest_return = Duration::ZERO;

    for kill in 0..kills {
        let victim = (rng.next_u32() % 4) as usize;
        let point = POINTS[(rng.next_u32() as usize) % POINTS.len()];
        let skip = rng.next_u32() % 4;
        std::fs::write(&switches[victim], format!("{point} {skip}\n")).expect("arm");
        let status = wait_death(
            &mut net.nodes[victim],
            &format!(
                "kill {kill}: validator {victim} to die at {point} (pass {})",
                skip + 1
            ),
        );
        net.nodes[victim].child = None;
        assert_eq!(
            status.signal(),
            Some(9),
            "validator {victim} was to die by SIGKILL at {point}, got {status}"
        );
        assert!(
            net.nodes[victim]
                .log()
                .contains(&format!("crash point {point}: killing this process")),
            "validator {victim} died elsewhere than at {point}"
        );
        *per_point.entry(point).or_default() += 1;
        signed.read(victim, &chain_dir(&net.nodes[victim].home));

        // Disarmed, restarted as it is, and back at the others' height.
        std::fs::write(&switches[victim], "").expect("disarm");
        let back = Instant::now();
        net.restart(victim);
        let others = (0..4)
            .filter(|i| *i != victim)
            .filter_map(|i| common::height_of(&net.nodes[i]))
            .max()
            .expect("the others answer");
        net.wait_height(&[victim], others, Duration::from_secs(90));
        slowest_return = slowest_return.max(back.elapsed());
    }

    let report = load.finish();
    // Every node answers again; every acknowledged transaction is committed.
    let tip = net.nodes[0].height();
    net.wait_all(tip, "every validator at the tip after the last restart");
    common::wait_all_committed(
        &net.nodes[0],
        &report.acknowledged,
        Duration::from_secs(120),
    );

    // One block per height everywhere; no equivocation seen, reported or recorded.
    let tip = net.nodes.iter().map(TestNode::height).min().expect("nodes");
    common::assert_same_blocks(&net.nodes, 1..=tip);
    common::assert_no_equivocation(&net.nodes);
    for (i, node) in net.nodes.iter_mut().enumerate() {
        if let Some(child) = node.child.as_mut() {
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
        node.child = None;
        signed.read(i, &chain_dir(&node.home));
    }

    println!(
        "crash points: {kills} kills ({per_point:?}) and {kills} restarts in {:.0} s, none repaired \
         by hand; slowest return to the tip {:.1} s; {} transactions answered 202 ({} submissions \
         re-sent after no 202), 0 lost; {} votes and {} proposals logged, no two for one height \
         and round; {tip} heights identical on 4 validators",
        started.elapsed().as_secs_f64(),
        slowest_return.as_secs_f64(),
        report.acknowledged.len(),
        report.retried,
        signed.votes.len(),
        signed.proposals.len(),
    );
    assert!(
        report.acknowledged.len() > kills,
        "the load ran: {} acknowledged",
        report.acknowledged.len()
    );
}
