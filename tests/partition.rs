//! Network partitions of a 4-validator testnet of real processes: a 3|1 split keeps the
//! majority committing; a 2|2 split commits nothing on either side and forks nothing, and after
//! healing commits resume (within 10 s).
//!
//! Links are cut by the harness (`catena_testing::links`: network namespaces as root, else the
//! node's own link switch; printed at the start of the run).

mod common;

use std::time::{Duration, Instant};

use catena_primitives::Call;
use common::{height_of, wait_for, TestNode};

fn heights(nodes: &[TestNode]) -> Vec<u64> {
    nodes
        .iter()
        .map(|n| height_of(n).expect("a running node answers"))
        .collect()
}

#[test]
fn partitions_stall_the_minority_and_never_fork() {
    let mut net = common::network()
        .block_time_ms(300)
        .cuttable_links()
        .start();
    net.wait_all(3, "3 heights on every validator");

    // 3|1: validators 1-3 keep committing, with a transaction; validator 4 stops (it may still
    // finish the height it was deciding when the links were cut).
    net.partition(&[&[0, 1, 2], &[3]]);
    let alone_at_cut = height_of(&net.nodes[3]).expect("height");
    let majority_at_cut = height_of(&net.nodes[0]).expect("height");
    let tx = net.nodes[0]
        .signer("tier1-steel")
        .sign(Call::Remark(b"sent during a 3|1 partition".to_vec()));
    let reply = net.nodes[0].submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    net.nodes[1].wait_committed(&tx.hash().to_string());
    net.wait_height(&[0, 1, 2], majority_at_cut + 5, Duration::from_secs(120));
    let alone = height_of(&net.nodes[3]).expect("height");
    assert!(
        alone <= alone_at_cut + 1,
        "the isolated validator went from {alone_at_cut} to {alone}"
    );
    println!(
        "3|1: the majority went from {majority_at_cut} to {}; the isolated validator from {alone_at_cut} to {alone}",
        height_of(&net.nodes[0]).expect("height")
    );

    // Healed: validator 4 catches up and has the transaction too.
    net.heal();
    let healed = Instant::now();
    let tip = height_of(&net.nodes[0]).expect("height");
    net.wait_height(&[3], tip, Duration::from_secs(120));
    println!(
        "3|1 healed: validator 4 back at the tip in {:.1} s",
        healed.elapsed().as_secs_f64()
    );
    net.nodes[3].wait_committed(&tx.hash().to_string());

    // 2|2: after the blocks in flight settle, nothing commits on either side.
    net.partition(&[&[0, 1], &[2, 3]]);
    let at_cut = heights(&net.nodes);
    // Longer than a ping timeout (4 s), so that every cut connection is closed by now.
    std::thread::sleep(Duration::from_secs(6));
    let settled = heights(&net.nodes);
    // A validator that was behind may still fetch certified blocks from its side, but no new
    // height is decided beyond the one in flight at the cut.
    let highest_at_cut = *at_cut.iter().max().expect("nodes");
    assert!(
        settled.iter().all(|h| *h <= highest_at_cut + 1),
        "a 2|2 side committed: {at_cut:?} -> {settled:?}"
    );
    std::thread::sleep(Duration::from_secs(12));
    let still = heights(&net.nodes);
    assert_eq!(settled, still, "a 2|2 side committed during the partition");
    println!("2|2: heights held at {still:?} for 12 s");

    // Healed: commits resume within 10 s.
    net.heal();
    let healed = Instant::now();
    let top = *still.iter().max().expect("nodes");
    let resumed = wait_for("a commit after healing", Duration::from_secs(120), || {
        net.nodes
            .iter()
            .any(|n| height_of(n).is_some_and(|h| h > top))
            .then(|| healed.elapsed())
    });
    net.wait_all(top + 2, "every validator to commit after healing");
    println!(
        "2|2 healed: first commit after {:.1} s, every validator 2 blocks on after {:.1} s",
        resumed.as_secs_f64(),
        healed.elapsed().as_secs_f64()
    );
    assert!(
        resumed <= Duration::from_secs(10),
        "commits resumed only {resumed:?} after healing"
    );

    // Nothing forked: every validator has the same block at every height.
    let common_height = *heights(&net.nodes).iter().min().expect("nodes");
    for height in 1..=common_height {
        let first = net.nodes[0].get_ok(&format!("/blocks/{height}"));
        for node in &net.nodes[1..] {
            let block = node.get_ok(&format!("/blocks/{height}"));
            assert_eq!(block["hash"], first["hash"], "height {height}");
            assert_eq!(block["state_root"], first["state_root"], "height {height}");
        }
    }
    println!("identical blocks on all 4 validators at heights 1..={common_height}");
}
