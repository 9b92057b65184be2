//! A validator down for over 100 blocks restarts and catches up with the others by block sync.
//! The time it takes is printed (the target is 30 s); the test waits generously so a
//! slow machine does not fail it.

mod common;

use std::time::{Duration, Instant};

#[test]
fn a_validator_down_for_100_blocks_catches_up_by_sync() {
    let mut net = common::network().block_time_ms(50).start();
    net.wait_all(2, "the first blocks");
    net.crash(3);
    let stopped_at = net.tip();
    net.wait_height(&[0], stopped_at + 100, Duration::from_secs(300));
    let began = Instant::now();
    net.restart(3);
    let tip = net.tip();
    net.wait_height(&[3], tip, Duration::from_secs(30));
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
