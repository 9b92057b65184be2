//! A validator down for over 100 blocks restarts and catches up with the others by block sync.
//! The time it takes is printed (the target is 30 s); the test waits generously so a
//! slow machine does not fail it.

mod common;

use std::time::{Duration, Instant};

use common::{height_of, wait_for};

#[test]
fn a_validator_down_for_100_blocks_catches_up_by_sync() {
    let dir = common::test_dir();
    let mut net = common::network().dir(dir.path()).block_time_ms(50).start();
    net.wait_all(2, "the first blocks");
    net.crash(3);
    let stopped_at = height_of(&net.nodes[0]).expect("height");
    wait_for(
        "100 blocks without validator 4",
        Duration::from_secs(300),
        || {
            height_of(&net.nodes[0])
                .is_some_and(|h| h >= stopped_at + 100)
                .then_some(())
        },
    );
    let began = Instant::now();
    net.restart(3);
    let tip = height_of(&net.nodes[0]).expect("height");
    wait_for(
        "the restarted validator to reach the tip",
        Duration::from_secs(30),
        || {
            height_of(&net.nodes[3])
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
        net.nodes[3].get_ok(&format!("/blocks/{tip}"))["hash"],
        net.nodes[0].get_ok(&format!("/blocks/{tip}"))["hash"]
    );
}
