//! Members' nodes that do not validate, on a 4-validator testnet of real processes: two
//! followers reach the tip and agree on every block hash and state root, a transaction sent to a
//! follower is forwarded and committed, a follower down for 100 blocks catches up (its time and
//! rate printed), and a node not in the chain spec is admitted to the network only once its
//! member registers it with `catena member register-node`, and shut out again when it is
//! removed.

mod common;

use std::io::BufRead;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use catena_primitives::Call;
use catena_testing::cli::Cli;
use common::{height_of, wait_for, TestNode};

/// Every node's block at `height` agrees with validator 1's on its hash and state root.
fn assert_agree(nodes: &[&TestNode], height: u64) {
    let block = nodes[0].get_ok(&format!("/blocks/{height}"));
    for (i, node) in nodes.iter().enumerate().skip(1) {
        let other = node.get_ok(&format!("/blocks/{height}"));
        assert_eq!(
            (&other["hash"], &other["state_root"]),
            (&block["hash"], &block["state_root"]),
            "node {} disagrees at height {height}",
            i + 1
        );
    }
}

/// The word after `prefix` on the line that starts with it.
fn word_after(out: &str, prefix: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no '{prefix}' in {out}"))
        .to_string()
}

/// Reads the `block` events of a node's event stream from `from_height` on a thread; the
/// heights arrive on the channel.
fn stream_blocks(node: &TestNode, from_height: u64) -> mpsc::Receiver<u64> {
    let url = format!("{}/stream?from_height={from_height}", node.api);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let Ok(response) = agent.get(&url).call() else {
            return;
        };
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        let mut kind = String::new();
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if let Some(k) = line.strip_prefix("event: ") {
                kind = k.into();
            } else if let Some(id) = line.strip_prefix("id: ") {
                if kind == "block" {
                    if let Ok(height) = id.parse() {
                        if tx.send(height).is_err() {
                            return;
                        }
                    }
                }
            }
        }
    });
    rx
}

#[test]
fn followers_sync_serve_forward_and_catch_up() {
    let mut net = common::network().followers(2).block_time_ms(100).start();
    net.wait_all(3, "the first blocks on the validators and the followers");
    let (follower, late) = (4, 5);

    // Each node says what it is and where it stands.
    assert_eq!((net.validators().len(), net.followers().len()), (4, 2));
    let status = net.followers()[0].get_ok("/status");
    assert_eq!(status["role"], "follower", "{status}");
    assert!(status["peers"].as_u64().is_some_and(|p| p > 0), "{status}");
    assert!(status["problem"].is_null(), "{status}");
    assert_eq!(net.nodes[0].get_ok("/status")["role"], "validator");
    let events = stream_blocks(&net.nodes[follower], 1);

    // A voucher issued and transferred through a follower: each command's transaction is
    // forwarded to the validators and committed, and read back at a validator.
    let through = Cli::new(net.dir(), &net.nodes[follower].api);
    let at_validator = through.at(&net.nodes[0].api);
    through.ok("voucher credit-line huaxia-motors --set 500000.00 --as merchant-bank");
    let document = net.dir().join("invoice.pdf");
    std::fs::write(&document, "VAT invoice 00000001").expect("a document");
    let recorded = through.ok(&[
        "record",
        "add",
        document.to_str().expect("UTF-8"),
        "--kind",
        "invoice",
        "--invoice-code",
        "3100231130",
        "--invoice-number",
        "00000001",
        "--buyer",
        "huaxia-motors",
        "--amount",
        "100000.00",
        "--as",
        "tier1-steel",
    ]);
    let invoice = recorded
        .lines()
        .find(|l| l.starts_with("recorded "))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no recorded hash in {recorded}"));
    let issued = through.ok(&format!(
        "voucher issue --to tier1-steel --amount 100000.00 --maturity +1d --invoice {invoice} --as huaxia-motors"
    ));
    let voucher = word_after(&issued, "issued voucher ");
    let moved = through.ok(&format!(
        "voucher transfer {voucher} --to tier2-parts --as tier1-steel"
    ));
    assert!(moved.contains("transferred voucher"), "{moved}");
    let shown = at_validator.json(&format!("voucher show {voucher}"));
    assert_eq!(
        shown["holder"],
        at_validator.json("member show tier2-parts")["uscc"]
    );
    let height = net.nodes[0].height();
    let block = net.nodes[0].get_ok(&format!("/blocks/{height}"));
    let validators: Vec<serde_json::Value> = net.spec_json()["validators"]
        .as_array()
        .expect("validators")
        .iter()
        .map(|v| v["account"].clone())
        .collect();
    for signature in block["certificate"]["signatures"]
        .as_array()
        .expect("signatures")
    {
        assert!(
            validators.contains(&signature["validator"]),
            "only validators sign: {signature}"
        );
    }

    // The follower's event stream sees the commits, the one above included.
    let mut streamed = Vec::new();
    while streamed.last().is_none_or(|h| *h < height) {
        match events.recv_timeout(Duration::from_secs(30)) {
            Ok(h) => streamed.push(h),
            Err(e) => panic!("the follower's stream stopped at {streamed:?}: {e}"),
        }
    }
    assert_eq!(streamed, (1..=height).collect::<Vec<_>>());

    // A follower down for 100 blocks catches up by block sync.
    net.crash(late);
    let stopped_at = net.tip();
    net.wait_height(&[0], stopped_at + 100, Duration::from_secs(300));
    let began = Instant::now();
    net.restart(late);
    let tip = net.tip();
    // While it is more than a few blocks behind what it hears the validators vote on, it
    // refuses submissions rather than admit them against stale state.
    let mut signer = net.nodes[late].signer("tier2-parts");
    let refused = wait_for(
        "the catching-up follower to answer a submission with 503 syncing",
        Duration::from_secs(60),
        || {
            let status = net.nodes[late].get("/status")?.body;
            if status["sync_lag"].as_u64()? <= 3 {
                return None;
            }
            let reply = net.nodes[late].submit(&signer.sign(Call::Remark(b"too early".to_vec())));
            (reply.status == 503).then_some(reply.body)
        },
    );
    assert_eq!(refused["error"]["code"], "syncing", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("syncing: at height ")),
        "{refused}"
    );
    println!("while catching up: {}", refused["error"]["message"]);
    net.wait_height(&[late], tip, Duration::from_secs(120));
    let took = began.elapsed().as_secs_f64();
    println!(
        "follower catch-up: {} blocks in {took:.1} s ({:.0} blocks/s)",
        tip - stopped_at,
        (tip - stopped_at) as f64 / took
    );

    // Every node, validator or follower, has the same chain.
    net.wait_all(tip, "every node at the tip");
    let all: Vec<&TestNode> = net.nodes.iter().collect();
    for h in 1..=tip {
        assert_agree(&all, h);
    }
    println!("6 nodes agree on every block hash and state root up to height {tip}");

    // Followers sign nothing: no vote log in their homes.
    for i in [follower, late] {
        let votes = net.nodes[i].home.join("data/chains/catena-local/votes.wal");
        assert!(!votes.exists(), "follower {} has a vote log", i - 3);
    }

    // A node not in the chain spec is made by `catena init` without a validator key; the
    // validators refuse it until its member registers its peer id.
    let added = net.add_node(None);
    assert!(
        added.told.contains("follows 'catena-local' without voting"),
        "{}",
        added.told
    );
    let (joiner, peer_id) = (added.index, added.peer_id);
    net.restart(joiner);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        height_of(&net.nodes[joiner]),
        Some(0),
        "an unregistered node received blocks"
    );
    let status = net.nodes[joiner].get_ok("/status");
    assert_eq!(status["peers"], 0, "{status}");
    assert!(
        status["problem"].as_str().is_some_and(|p| p.contains(&format!(
            "this node's peer id {peer_id} is not in the chain's allow list: its member registers it with `catena member register-node {peer_id}"
        ))),
        "{status}"
    );
    let cli = Cli::new(net.dir(), &net.nodes[0].api);
    let out = cli.ok(&["member", "register-node", &peer_id, "--as", "tier2-parts"]);
    assert!(out.contains("registered"), "{out}");
    let listed = cli.ok("member nodes");
    assert!(listed.contains(&peer_id), "{listed}");
    let tip = net.tip();
    net.wait_height(&[joiner], tip, Duration::from_secs(120));
    assert_agree(&[&net.nodes[0], &net.nodes[joiner]], tip);
    println!("the registered node synced to height {tip}");

    // Removed, it is disconnected and falls behind.
    cli.ok(&["member", "remove-node", &peer_id, "--as", "tier2-parts"]);
    wait_for(
        "the removed node to lose its peers",
        Duration::from_secs(60),
        || (net.nodes[joiner].metric("catena_peers") == Some(0.0)).then_some(()),
    );
    let cut_at = height_of(&net.nodes[joiner]).expect("height");
    let tip = net.tip();
    net.wait_height(&[0], tip + 10, Duration::from_secs(60));
    assert!(
        height_of(&net.nodes[joiner]).expect("height") <= cut_at + 1,
        "a removed node went on receiving blocks"
    );
    println!("the removed node was disconnected at height {cut_at}");
}

/// A follower restarted with its data while cut off from every peer admits what it is sent (it
/// has heard of no higher height), says in its status that it cannot forward, and once its links
/// are back every transaction it admitted commits, or is reported dropped with its reason.
#[test]
fn a_follower_without_peers_keeps_what_it_admits_and_forwards_it_later() {
    let mut net = common::network()
        .followers(1)
        .block_time_ms(100)
        .cuttable_links()
        .start();
    let follower = 4;
    net.wait_all(3, "the first blocks on the validators and the follower");
    net.crash(follower);
    net.partition(&[&[0, 1, 2, 3], &[follower]]);
    net.restart(follower);
    let mut signer = net.nodes[follower].signer("tier1-steel");
    let hashes: Vec<String> = (0..100)
        .map(|i| {
            let tx = signer.sign(Call::Remark(format!("kept {i}").into_bytes()));
            let reply = net.nodes[follower].submit(&tx);
            assert_eq!(reply.status, 202, "{}", reply.body);
            tx.hash().to_string()
        })
        .collect();
    let status = wait_for(
        "the cut-off follower to say it cannot forward",
        Duration::from_secs(30),
        || {
            let status = net.nodes[follower].get_ok("/status");
            (status["forwarding"] == 100).then_some(status)
        },
    );
    assert_eq!(status["peers"], 0, "{status}");
    assert_eq!(
        status["problem"],
        "no peer connected: 100 transactions admitted here wait to be forwarded"
    );
    println!("cut off: {}", status["problem"]);

    net.heal();
    let began = Instant::now();
    let (mut committed, mut dropped) = (0, 0);
    for hash in &hashes {
        let view = wait_for(
            &format!("transaction {hash} to be committed or dropped"),
            Duration::from_secs(120),
            || {
                let view = net.nodes[0].get(&format!("/transactions/{hash}"))?.body;
                if view["status"] == "committed" {
                    return Some(view);
                }
                let at_follower = net.nodes[follower]
                    .get(&format!("/transactions/{hash}"))?
                    .body;
                (at_follower["status"] == "dropped").then_some(at_follower)
            },
        );
        if view["status"] == "committed" {
            committed += 1;
        } else {
            assert!(view["dropped_reason"].is_string(), "{view}");
            dropped += 1;
        }
    }
    println!(
        "after the links came back: {committed} committed, {dropped} dropped with a reason, in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    assert_eq!(
        committed, 100,
        "nothing was in the way of these transactions"
    );
    wait_for(
        "the follower to forget what was committed",
        Duration::from_secs(10),
        || (net.nodes[follower].get_ok("/status")["forwarding"] == 0).then_some(()),
    );
}

/// Four followers that sync the whole chain from scratch at once do not stop the validators:
/// the validators keep committing while the followers catch up, and every follower reaches the
/// tip with the validators' blocks.
#[test]
fn four_followers_syncing_from_scratch_leave_the_validators_committing() {
    let mut net = common::network().followers(4).block_time_ms(100).start();
    let followers = [4, 5, 6, 7];
    net.wait_all(2, "the first blocks on every node");
    for &i in &followers {
        net.crash(i);
        let data = net.nodes[i].home.join("data");
        std::fs::remove_dir_all(&data).expect("the follower's data removed");
    }
    let start = net.tip();
    net.wait_height(&[0], start + 150, Duration::from_secs(300));
    let before = net.tip();
    let began = Instant::now();
    for &i in &followers {
        net.restart(i);
    }
    // While the four sync 150 blocks and more, the validators go on.
    net.wait_height(&followers, before, Duration::from_secs(180));
    let took = began.elapsed().as_secs_f64();
    let during = net.tip() - before;
    println!(
        "4 followers synced {before} blocks from scratch in {took:.1} s; the validators committed {during} blocks meanwhile"
    );
    assert!(
        during >= 1,
        "the validators committed nothing while the followers synced"
    );
    let tip = net.tip();
    net.wait_height(&followers, tip, Duration::from_secs(60));
    let nodes: Vec<&TestNode> = [0, 4, 5, 6, 7].iter().map(|&i| &net.nodes[i]).collect();
    for h in (1..=tip).step_by(10) {
        assert_agree(&nodes, h);
    }
}
