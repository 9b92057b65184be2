//! Parachains on the main chain, with real processes: a parachain's spec registered by the main
//! chain's governing quorum through the CLI, shown by the API and the CLI.

mod common;

use std::time::{Duration, Instant};

use catena_testing::cli::Cli;
use common::parachain::{self, column, head};
use common::{catena, wait_for, TestNode};

#[test]
fn a_parachain_is_registered_by_the_governing_quorum_and_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("main");
    let node = TestNode::dev_command(&home);
    let spec = dir.path().join("para-a.json");
    let keys = dir.path().join("para-keys");
    // A parachain spec of the dev chain: its section names the dev chain and anchors every 5
    // blocks.
    let main_spec = home.join("chain-spec.json");
    let out = catena(&[
        "chain-spec",
        "build",
        "--local",
        "4",
        "--chain-id",
        "para-a",
        "--parachain-of",
        main_spec.to_str().expect("UTF-8"),
        "--anchor-every-blocks",
        "5",
        "--keys-dir",
        keys.to_str().expect("UTF-8"),
        "--out",
        spec.to_str().expect("UTF-8"),
    ]);
    assert!(out.status.success(), "{out:?}");
    let section: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&spec).expect("spec")).expect("JSON");
    assert_eq!(section["parachain"]["main_chain_id"], "catena-dev");
    assert_eq!(
        section["parachain"]["main_genesis_hash"],
        node.get_ok("/status")["genesis_hash"]
    );
    let cli = Cli::new(&home, &node.api);
    let spec_arg = spec.to_str().expect("UTF-8");

    // A parachain is not a home's main chain.
    let init = catena(&[
        "init",
        "--home",
        dir.path().join("wrong").to_str().expect("UTF-8"),
        "--chain",
        spec_arg,
    ]);
    assert!(!init.status.success());
    assert!(
        String::from_utf8_lossy(&init.stderr).contains("is a parachain of 'catena-dev'"),
        "{init:?}"
    );
    // Nor is one of another main chain registered here.
    let other_main = dir.path().join("other-main.json");
    let other_para = dir.path().join("para-x.json");
    for args in [
        vec![
            "chain-spec",
            "build",
            "--local",
            "1",
            "--out",
            other_main.to_str().expect("UTF-8"),
        ],
        vec![
            "chain-spec",
            "build",
            "--local",
            "1",
            "--chain-id",
            "para-x",
            "--parachain-of",
            other_main.to_str().expect("UTF-8"),
            "--out",
            other_para.to_str().expect("UTF-8"),
        ],
    ] {
        let out = catena(&args);
        assert!(out.status.success(), "{out:?}");
    }
    let foreign = cli.fails(&[
        "parachain",
        "register",
        "--spec",
        other_para.to_str().expect("UTF-8"),
        "--as",
        "huaxia-motors",
    ]);
    assert!(
        foreign.contains("is a parachain of 'catena-local'"),
        "{foreign}"
    );

    // Nothing registered yet.
    assert!(cli
        .ok("parachain list")
        .contains("no parachain is registered"));
    let missing = cli.fails("parachain show para-a");
    assert!(
        missing.contains("no parachain 'para-a' is registered"),
        "{missing}"
    );

    // Proposed by a member that does not govern: refused, nothing registered.
    let refused = cli.fails(&format!(
        "parachain register --spec {spec_arg} --as tier1-steel"
    ));
    assert!(refused.contains("is not a governing member"), "{refused}");
    assert!(node
        .get_ok("/parachains")
        .as_array()
        .expect("list")
        .is_empty());

    // The dev chain's one governing member is its quorum: registered at once.
    let registered = cli.ok(&format!(
        "parachain register --spec {spec_arg} --as huaxia-motors"
    ));
    assert!(
        registered.contains("proposing parachain 'para-a'")
            && registered.contains("parachain proposal 0: applied"),
        "{registered}"
    );
    let governance = cli.ok("governance show");
    assert!(
        governance.contains("proposal 0: register_parachain 'para-a': applied (1 approvals"),
        "{governance}"
    );
    let shown = cli.json("parachain show para-a");
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["anchor_every_blocks"], 5);
    assert_eq!(shown["validators"].as_array().expect("set").len(), 4);
    assert!(shown["head"].is_null());
    let listed = node.get_ok("/parachains");
    assert_eq!(listed[0]["id"], "para-a");
    assert_eq!(listed[0]["genesis_hash"], shown["genesis_hash"]);
    let anchors = node.get_ok("/parachains/para-a/anchors");
    assert_eq!(anchors["anchors"].as_array().expect("anchors").len(), 0);

    // Registered twice: refused with the reason.
    let again = cli.fails(&format!(
        "parachain register --spec {spec_arg} --as huaxia-motors"
    ));
    assert!(
        again.contains("parachain 'para-a' is already registered"),
        "{again}"
    );

    // Recovery is for a frozen parachain only, and from its own spec.
    let active = cli.fails(&format!(
        "parachain recover para-a --validators-of {spec_arg} --as huaxia-motors"
    ));
    assert!(
        active.contains("parachain 'para-a' is not frozen"),
        "{active}"
    );
    let wrong = cli.fails(&format!(
        "parachain recover para-b --validators-of {spec_arg} --as huaxia-motors"
    ));
    assert!(
        wrong.contains("is the spec of 'para-a', not of parachain 'para-b'"),
        "{wrong}"
    );
}

/// The main chain stopped for 60 s (its store failing on two of its four validators' nodes, so
/// it has no quorum): the parachain keeps committing; once those nodes restart, the backlog is
/// anchored in order within 30 s.
#[test]
fn after_a_main_chain_outage_the_backlog_is_anchored_in_order() {
    let mut net = common::network().chains(2).block_time_ms(200).create();
    let faults = net.dir().join("store-faults");
    for node in &mut net.nodes[..2] {
        node.env.push((
            "CATENA_TEST_STORE_FAULTS_FILE".into(),
            faults.to_str().expect("UTF-8").into(),
        ));
    }
    net.start_all();
    let b = "catena-local-2";
    let on_b: Vec<TestNode> = net.nodes.iter().map(|n| n.on_chain(b)).collect();
    net.wait_all(2, "A's first blocks");
    parachain::register(&net, 2, 0);
    wait_for("B's first anchors", Duration::from_secs(120), || {
        (head(&net.nodes[3], b) >= 10).then_some(())
    });

    let overdue_said = || net.nodes[3].log().matches("anchor overdue").count();
    let said_before = overdue_said();
    // A's store fails on nodes 1 and 2: A stops; B goes on.
    std::fs::write(&faults, "catena-local\n").expect("fault switch");
    wait_for("A to stop", Duration::from_secs(30), || {
        let before = net.nodes[3].height();
        std::thread::sleep(Duration::from_secs(2));
        (net.nodes[3].height() == before).then_some(())
    });
    let (a_stopped, b_then, anchored_then) = (
        net.nodes[3].height(),
        on_b[3].height(),
        head(&net.nodes[3], b),
    );
    std::thread::sleep(Duration::from_secs(60));
    let b_after = on_b[3].height();
    assert_eq!(net.nodes[3].height(), a_stopped, "A stayed stopped");
    assert!(
        b_after >= b_then + 100,
        "B kept committing: {b_then} → {b_after}"
    );
    assert!(
        head(&net.nodes[3], b) <= anchored_then + 5,
        "nothing anchored while A was down"
    );
    println!("A stopped at {a_stopped} for 60 s; B went from {b_then} to {b_after}");
    // The node says so: B's anchors are overdue (nothing for over twice the 3 s period).
    let overdue = format!("catena_anchor_overdue{{chain=\"{b}\"}}");
    let lag_blocks = format!("catena_anchor_lag_blocks{{chain=\"{b}\"}}");
    assert_eq!(net.nodes[3].metric(&overdue), Some(1.0));
    assert!(net.nodes[3]
        .metric(&lag_blocks)
        .is_some_and(|lag| lag >= 100.0));
    assert_eq!(
        overdue_said(),
        said_before + 1,
        "said once when it became overdue"
    );

    // The fault cleared and the two nodes restarted one by one (B keeps its quorum).
    std::fs::remove_file(&faults).expect("clear the fault");
    for i in [0, 1] {
        assert_eq!(net.stop(i).code(), Some(0));
        net.restart(i);
        common::wait_all_at_least(&[&on_b[i]], b_after, "the restarted node's B");
    }
    let resumed = Instant::now();
    let backlog = on_b[3].height();
    wait_for("the backlog anchored", Duration::from_secs(30), || {
        (head(&net.nodes[3], b) + 5 >= backlog).then_some(())
    });
    let took = resumed.elapsed().as_secs_f64();
    wait_for("the overdue flag to clear", Duration::from_secs(10), || {
        (net.nodes[3].metric(&overdue) == Some(0.0)).then_some(())
    });
    assert!(net.nodes[3].log().contains("anchors landing again"));
    let anchors = net.nodes[3].get_ok(&format!(
        "/parachains/{b}/anchors?from={anchored_then}&limit=100"
    ));
    let anchored: Vec<u64> = column(&anchors, "height");
    assert!(anchored.windows(2).all(|w| w[0] < w[1]), "{anchored:?}");
    let mains: Vec<u64> = column(&anchors, "main_height");
    assert!(
        mains.windows(2).all(|w| w[0] <= w[1]),
        "anchored in order: {mains:?}"
    );
    println!(
        "backlog of {} B blocks anchored up to {} in {took:.1} s after A resumed ({} anchors)",
        backlog - anchored_then,
        head(&net.nodes[3], b),
        anchored.len()
    );
}

/// Chain B of part of the consortium: four validators (run by four of its members) and the
/// nodes of its members only. Tier-2's follower hosts both chains, but Tier-2 is no member of
/// B: B's nodes refuse its connections after the handshake, so it receives none of B's blocks,
/// transactions or sync answers, and says why; Tier-3's follower (a member of B) follows B.
#[test]
fn a_non_members_node_is_refused_at_a_chains_handshake() {
    let net = common::network()
        .followers(2)
        .chains(2)
        .block_time_ms(300)
        .customize_chains(|k, built| {
            if k == 2 {
                built
                    .keep_members(&[
                        "huaxia-motors",
                        "merchant-bank",
                        "swift-logistics",
                        "tier1-steel",
                        "tier3-materials",
                    ])
                    .expect("B's members");
            }
        })
        .start();
    let b = "catena-local-2";
    let (outsider, member) = (&net.nodes[4], &net.nodes[5]);
    let (outsider_b, member_b) = (outsider.on_chain(b), member.on_chain(b));
    wait_for(
        "B's blocks at Tier-3's follower",
        Duration::from_secs(120),
        || (member_b.height() >= 10).then_some(()),
    );
    wait_for(
        "A's blocks at Tier-2's follower",
        Duration::from_secs(60),
        || (outsider.height() >= 10).then_some(()),
    );
    let status = outsider_b.get_ok("/status");
    assert_eq!(status["height"], 0, "{status}");
    let problem = status["problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains("is not in the chain's allow list"),
        "{status}"
    );
    assert_eq!(outsider_b.get("/blocks/1").expect("an answer").status, 404);
    assert_eq!(status["peers"], 0, "{status}");
    // B's validators see three validators and Tier-3's follower; A's see all five others.
    let on_b = net.nodes[0].on_chain(b).get_ok("/status");
    assert_eq!(on_b["peers"], 4, "{on_b}");
    assert_eq!(net.nodes[0].get_ok("/status")["peers"], 5);
    let refusals = net.nodes[0]
        .log()
        .matches("refused an incoming connection")
        .count();
    println!(
        "Tier-2's node: A at height {}, B at 0 ({problem}); B's validator 1 refused {refusals} connections",
        outsider.height()
    );
}

/// A main chain's spec registers a parachain at genesis (`--register-parachain`): active from
/// block 0, the parachain's spec naming the main chain's genesis; a registration genesis would
/// refuse (a member the main chain lacks) is refused with its field, and nothing is written.
#[test]
fn a_parachain_registered_at_genesis_is_active_from_block_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("UTF-8").to_string();
    let build = |args: &[&str]| catena(&[&["chain-spec", "build"][..], args].concat());
    let para = path("supply-a.json");
    let out = build(&[
        "--local",
        "4",
        "--chain-id",
        "supply-a",
        "--first-port",
        "31000",
        "--members",
        "huaxia-motors,tier1-steel,merchant-bank",
        "--out",
        &para,
    ]);
    assert!(out.status.success(), "{out:?}");
    let main = path("main.json");
    let keys = path("keys");
    let out = build(&[
        "--dev",
        "--keys-dir",
        &keys,
        "--out",
        &main,
        "--register-parachain",
        &para,
    ]);
    assert!(out.status.success(), "{out:?}");
    let home = dir.path().join("home");
    let init = catena(&[
        "init",
        "--home",
        home.to_str().expect("UTF-8"),
        "--chain",
        &main,
        "--validator-key",
        &format!("{keys}/validator-1.json"),
    ]);
    assert!(init.status.success(), "{init:?}");
    let api = format!("127.0.0.1:{}", catena_testing::free_port());
    let mut node = TestNode::with_args(
        home.clone(),
        format!("http://{api}"),
        vec![
            "node".into(),
            "--home".into(),
            home.to_str().expect("UTF-8").into(),
            "--api-addr".into(),
            api,
        ],
    );
    node.binary = catena_testing::catena_binary();
    node.start();
    let shown = node.get_ok("/parachains/supply-a");
    assert_eq!(shown["status"], "active", "{shown}");
    assert_eq!(shown["registered_at"], 0, "{shown}");
    assert_eq!(
        shown["members"].as_array().map(Vec::len),
        Some(3),
        "{shown}"
    );
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&para).expect("para spec")).expect("JSON");
    assert_eq!(
        spec["parachain"]["main_genesis_hash"],
        node.get_ok("/status")["genesis_hash"]
    );

    // A parachain with a member the main chain lacks: refused, no spec written.
    let mut odd = spec.clone();
    odd["chain_id"] = "supply-x".into();
    odd["members"][0]["name"] = "Nobody Co., Ltd.".into();
    for v in odd["validators"].as_array_mut().expect("validators") {
        if v["member"] == "Huaxia Motors Co., Ltd." {
            v["member"] = "Nobody Co., Ltd.".into();
        }
    }
    odd["governance"]["members"] =
        serde_json::json!(["Nobody Co., Ltd.", "Merchant Bank Shanghai Branch"]);
    std::fs::write(path("odd.json"), odd.to_string()).expect("odd spec");
    let refused = build(&[
        "--dev",
        "--out",
        &path("main2.json"),
        "--register-parachain",
        &path("odd.json"),
    ]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("parachains[0].members: 'Nobody Co., Ltd.' is not a member of this chain"),
        "{said}"
    );
    assert!(!dir.path().join("main2.json").exists());
}
