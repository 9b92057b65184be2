//! A validator down for over 100 blocks restarts and catches up with the others by block sync.
//! The time it takes is printed (the target is 30 s); the test waits generously so a
//! slow machine does not fail it.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{height_of, node_at, start_testnet, wait_for};

#[test]
fn a_validator_down_for_100_blocks_catches_up_by_sync() {
    let dir = common::test_dir();
    let (testnet, nodes) = start_testnet(dir.path(), 50);
    wait_for("the first blocks", Duration::from_secs(90), || {
        nodes
            .iter()
            .all(|n| height_of(n).is_some_and(|h| h >= 2))
            .then_some(())
    });
    let _ = Command::new("kill")
        .args(["-KILL", &testnet.pids[3].to_string()])
        .status();
    let stopped_at = height_of(&nodes[0]).expect("height");
    wait_for(
        "100 blocks without validator 4",
        Duration::from_secs(300),
        || {
            height_of(&nodes[0])
                .is_some_and(|h| h >= stopped_at + 100)
                .then_some(())
        },
    );
    let mut restarted = node_at(nodes[3].api.clone(), nodes[3].home.clone());
    restarted.args = vec![
        "node".into(),
        "--home".into(),
        restarted.home.to_string_lossy().into(),
    ];
    let began = Instant::now();
    restarted.start();
    let tip = height_of(&nodes[0]).expect("height");
    wait_for(
        "the restarted validator to reach the tip",
        Duration::from_secs(30),
        || {
            height_of(&restarted)
                .is_some_and(|h| h >= tip)
                .then_some(())
        },
    );
    let took = began.elapsed();
    println!(
        "catch-up: {} blocks in {:.1} s",
        tip - stopped_at,
        took.as_secs_f64()
    );
    assert_eq!(
        restarted.get_ok(&format!("/blocks/{tip}"))["hash"],
        nodes[0].get_ok(&format!("/blocks/{tip}"))["hash"]
    );
    drop(restarted);
    drop(testnet);
}
