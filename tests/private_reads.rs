//! A parachain's data is read only by its members, with real processes: a node hosting the dev
//! chain and parachain `para-a` answers unsigned reads of the parachain with 401, a non-member's
//! with 403, a member's (the CLI signing with the key it acts with) with 200; the main chain
//! stays open.

mod common;

use std::time::Duration;

use catena_client::ApiClient;
use catena_primitives::SecretKey;
use catena_testing::cli::Cli;
use common::{catena, wait_for, TestNode};

/// Builds a one-validator parachain `para-a` of the dev chain at `home` and adds it to the home,
/// with its validator's keys, so that the node validates it from its next start.
fn add_parachain(home: &std::path::Path, dir: &std::path::Path) {
    let spec = dir.join("para-a.json");
    let keys = dir.join("para-keys");
    let text = |p: &std::path::Path| p.to_str().expect("UTF-8").to_string();
    for args in [
        vec![
            "chain-spec".into(),
            "build".into(),
            "--local".into(),
            "1".into(),
            "--chain-id".into(),
            "para-a".into(),
            "--parachain-of".into(),
            text(&home.join("chain-spec.json")),
            "--keys-dir".into(),
            text(&keys),
            "--out".into(),
            text(&spec),
        ],
        vec![
            "chain".into(),
            "add".into(),
            "--home".into(),
            text(home),
            "--spec".into(),
            text(&spec),
            "--validator-key".into(),
            text(&keys.join("para-a-validator-1.json")),
            "--network-key".into(),
            text(&keys.join("para-a-validator-1-network.json")),
            "--p2p-addr".into(),
            format!("/ip4/127.0.0.1/tcp/{}", catena_testing::free_port()),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = catena(&args);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
}

#[test]
fn a_parachain_answers_only_its_members_signed_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("main");
    let mut node = TestNode::dev_command(&home);
    node.stop();
    add_parachain(&home, dir.path());
    node.start();
    let para = node.on_chain("para-a");

    // Unsigned: 401 with what to send; the main chain is open.
    wait_for(
        "the main chain's first block",
        Duration::from_secs(60),
        || (node.height() >= 1).then_some(()),
    );
    let unsigned = para.get("/status").expect("an answer");
    assert_eq!(unsigned.status, 401, "{:?}", unsigned.body);
    assert_eq!(unsigned.body["error"]["code"], "unsigned");

    // A member's reads, signed by the CLI with the key it acts with.
    let cli = Cli::new(&home, &node.api);
    wait_for("para-a's first block", Duration::from_secs(60), || {
        let status = cli.run("status --chain para-a --as tier1-steel");
        (status.ok && status.out.contains("height:") && !status.out.contains("height:      0"))
            .then_some(())
    });
    let listed = cli.json("voucher list --holder tier1-steel --chain para-a --as merchant-bank");
    assert!(listed["vouchers"].is_array(), "{listed}");
    // ... and a member's transaction, signed twice (the request and the transaction).
    let sent = cli.ok("cash mint --to tier1-steel --amount 1000 --chain para-a --as merchant-bank");
    assert!(sent.contains("committed in block"), "{sent}");

    // A signed client straight from the library: 200 for a member's key, 403 for a key of no
    // member; a request replayed byte for byte is 401 (tested against the router itself).
    let member = ApiClient::new(&para.api).signing(node.demo_key("huaxia-motors"), "para-a".into());
    assert_eq!(
        member.get_reply("/blocks?limit=1").expect("answer").status,
        200
    );
    let outsider =
        ApiClient::new(&para.api).signing(SecretKey::from_seed([42; 32]), "para-a".into());
    let refused = outsider.get_reply("/status").expect("answer");
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "not_a_member");
    let key_file = dir.path().join("outsider.json");
    let made = catena(&[
        "key",
        "generate",
        "--out",
        key_file.to_str().expect("UTF-8"),
    ]);
    assert!(made.status.success(), "{made:?}");
    let message = cli.fails(&format!(
        "status --chain para-a --key {}",
        key_file.display()
    ));
    assert!(
        message.contains("is not an account of a member of chain 'para-a'"),
        "{message}"
    );
    assert!(message.contains("HTTP 403"), "{message}");
    // signed for the main chain, sent to the parachain: 401
    let wrong_chain =
        ApiClient::new(&para.api).signing(node.demo_key("huaxia-motors"), node.chain_id());
    assert_eq!(
        wrong_chain.get_reply("/status").expect("answer").status,
        401
    );

    // An auditor reads nothing it was not granted.
    let auditor = cli.fails("status --chain para-a --as audit-office");
    assert!(auditor.contains("holds no grant in force"), "{auditor}");

    // The main chain needs no signature, and a signed read of it is answered too.
    assert_eq!(node.get("/status").expect("answer").status, 200);
    assert!(cli.ok("status --as huaxia-motors").contains("catena-dev"));
}
