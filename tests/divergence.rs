//! The divergence guard under a real divergence (TEST-PLAN check 14, its last part; issue 19,
//! item 6): one validator of four is made to compute other state roots than its peers (the
//! store's test switch `diverge CHAIN`). It cannot reproduce the blocks the others certify: it
//! says "state root mismatch", stops voting and proposing (no certificate after it carries its
//! signature), and stays stopped across a restart; the other three go on committing.

mod common;

use std::time::{Duration, Instant};

use common::{wait_for, TestNode};

const CHAIN_ID: &str = "catena-local";

/// The validators whose signatures certify block `height`.
fn signers(node: &TestNode, height: u64) -> Vec<String> {
    common::signers(&node.get_ok(&format!("/blocks/{height}")))
}

/// Fails if `account` signed the certificate of any block in `heights`.
fn assert_not_signed(node: &TestNode, heights: std::ops::RangeInclusive<u64>, account: &str) {
    for h in heights {
        assert!(
            !signers(node, h).iter().any(|s| s == account),
            "the halted validator signed the certificate of block {h}"
        );
    }
}

#[test]
fn a_validator_that_computes_another_state_root_stops_voting_and_the_others_go_on() {
    let mut net = common::network().block_time_ms(300).create();
    let faults = net.dir().join("store-faults");
    std::fs::write(&faults, "").expect("fault file");
    net.nodes[3].env.push((
        catena_node::STORE_FAULTS_FILE_VAR.into(),
        faults.display().to_string(),
    ));
    net.start_all();
    net.wait_all(3, "the first blocks on every validator");
    let diverged_account = net.spec_json()["validators"][3]["account"]
        .as_str()
        .expect("account")
        .to_string();
    let mut checked = 0;
    wait_for(
        "a certificate signed by validator 4 before the fault",
        Duration::from_secs(60),
        || {
            let tip = net.nodes[0].height();
            let signed =
                (checked + 1..=tip).any(|h| signers(&net.nodes[0], h).contains(&diverged_account));
            checked = tip;
            signed.then_some(())
        },
    );

    std::fs::write(&faults, format!("diverge {CHAIN_ID}\n")).expect("arm");
    let armed = Instant::now();
    wait_for(
        "validator 4 to find the state root mismatch and halt",
        Duration::from_secs(60),
        || {
            let halted = net.nodes[3].metric("catena_voting_halted") == Some(1.0);
            (halted && net.nodes[3].log().contains("state root mismatch")).then_some(())
        },
    );
    println!(
        "validator 4 halted {:.1} s after it diverged",
        armed.elapsed().as_secs_f64()
    );
    let halted_at = net.nodes[0].height();
    let marker = net.nodes[3]
        .home
        .join("data/chains")
        .join(CHAIN_ID)
        .join(catena_node::HALT_MARKER);
    let reason = std::fs::read_to_string(&marker).expect("the halt marker");
    println!("marker: {}", reason.trim());

    // The others go on without it, and nothing they certify carries its signature.
    let others: Vec<&TestNode> = net.nodes[..3].iter().collect();
    common::wait_heights(
        &others,
        halted_at + 10,
        "ten more blocks",
        Duration::from_secs(60),
    );
    let end = net.nodes[0].height();
    let times = common::assert_same_blocks(&net.nodes[..3], halted_at..=end);
    let widest = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    assert_not_signed(&net.nodes[0], halted_at + 1..=end, &diverged_account);
    println!("heights {halted_at}..{end} without it, widest gap {widest} ms");
    assert!(widest <= 10_000, "a gap of {widest} ms");

    // Restarted (with the fault cleared), it still does not vote: the marker holds.
    std::fs::write(&faults, "").expect("disarm");
    net.stop(3);
    net.restart(3);
    wait_for(
        "the restarted validator to say it stays halted",
        Duration::from_secs(60),
        || (net.nodes[3].metric("catena_voting_halted") == Some(1.0)).then_some(()),
    );
    let restarted_at = net.nodes[0].height();
    let others: Vec<&TestNode> = net.nodes[..3].iter().collect();
    common::wait_heights(
        &others,
        restarted_at + 5,
        "five more blocks",
        Duration::from_secs(60),
    );
    assert_not_signed(
        &net.nodes[0],
        restarted_at + 1..=net.nodes[0].height(),
        &diverged_account,
    );
}
