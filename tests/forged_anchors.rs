//! Forged anchors sent to a running node (PARACHAINS.md, "forged anchor", end to end): a dev
//! main chain hosting its one-validator parachain, registered and anchored by the node itself,
//! then restarted without the parachain's key (so that nothing else anchors meanwhile).
//! Anchors made from the parachain's own store and then forged — another parachain, another
//! chain's header, a bad signature, a non-validator's signature, a signer twice, no signature,
//! a block below the anchored head — are each refused with their reason in their receipt, and
//! none is recorded; the genuine anchor is taken.

mod common;

use std::time::Duration;

use catena_primitives::parachain::Anchor;
use catena_primitives::{Call, SecretKey, Transaction};
use catena_testing::cli::Cli;
use common::parachain::{anchors, dev_with_parachain, head};
use common::wait_for;

/// The genuine anchor of parachain block `height`, read from its store (the node stopped).
fn anchor_from_store(
    db: &std::path::Path,
    spec: &catena_chain_spec::ChainSpec,
    height: u64,
) -> Anchor {
    let chain = catena_node::chain::ChainInstance::open(spec.clone(), db, 10)
        .expect("the parachain's store");
    catena_node::anchor::anchor_of(&chain, height).expect("an anchor")
}

#[test]
fn forged_anchors_sent_to_a_node_are_refused_with_their_reasons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut node, home, spec_path) = dev_with_parachain(dir.path(), 5);
    let cli = Cli::new(&home, &node.api);
    cli.ok(&format!(
        "parachain register --spec {} --as huaxia-motors",
        spec_path.display()
    ));
    // Stopped when para-a's tip is past its anchored head (a checkpoint every 5 blocks), so
    // that its latest block is not anchored yet.
    let para = catena_client::ApiClient::new(&node.on_chain("para-a").api)
        .signing(node.demo_key("huaxia-motors"), "para-a".into());
    wait_for(
        "para-a anchored by the node, its tip past the head",
        Duration::from_secs(60),
        || {
            let anchored = head(&node, "para-a");
            let tip = para.status().map_or(0, |s| s.height);
            (anchored >= 10 && tip >= anchored + 2).then_some(())
        },
    );
    // Anchors of para-a's blocks 1 and its latest, from its store while the node is stopped.
    node.stop();
    let spec = catena_node::read_spec(&spec_path).expect("spec");
    let db = home.join("data").join("chains").join("para-a").join("db");
    let tip = {
        let chain = catena_node::chain::ChainInstance::open(spec.clone(), &db, 10).expect("store");
        chain.tip().expect("tip").height
    };
    let (low, genuine) = (
        anchor_from_store(&db, &spec, 1),
        anchor_from_store(&db, &spec, tip),
    );
    // Restarted without para-a's validator key, the node neither extends nor anchors para-a:
    // the anchored head stays below the forged anchors' height.
    std::fs::remove_file(home.join("chains").join("para-a").join("validator.key"))
        .expect("para-a's validator key");
    node.start();
    let anchored = head(&node, "para-a");
    assert!(
        anchored < tip + 1 && anchored >= 10,
        "head {anchored}, tip {tip}"
    );

    let outsider = SecretKey::from_seed([77; 32]);
    let validator = genuine.certificate.signatures[0];
    let forged: Vec<(&str, Anchor, String)> = vec![
        (
            "another parachain",
            Anchor {
                para_id: "para-x".into(),
                ..genuine.clone()
            },
            "no parachain 'para-x' is registered".into(),
        ),
        (
            "another chain's header",
            {
                let mut a = genuine.clone();
                a.header.chain_id = "catena-dev".into();
                a
            },
            "the header is of chain 'catena-dev', not of parachain 'para-a'".into(),
        ),
        (
            "a bad signature",
            {
                let mut a = genuine.clone();
                a.certificate.signatures[0].1 .0[0] ^= 1;
                a
            },
            format!("signature of validator {} does not verify", validator.0),
        ),
        (
            "a non-validator's signature",
            {
                let mut a = genuine.clone();
                let message = a.certificate.vote("para-a").signing_bytes();
                a.certificate.signatures = vec![(outsider.account(), outsider.sign(&message))];
                a
            },
            format!(
                "signer {} is not a validator of this chain",
                outsider.account()
            ),
        ),
        (
            "a signer twice",
            {
                let mut a = genuine.clone();
                a.certificate.signatures.push(validator);
                a
            },
            format!("validator {} signed twice", validator.0),
        ),
        (
            "no signature",
            {
                let mut a = genuine.clone();
                a.certificate.signatures.clear();
                a
            },
            "0 valid signatures, a quorum needs 1".into(),
        ),
        (
            "a block below the anchored head, not the one anchored",
            {
                let mut a = low.clone();
                a.header.time_ms += 1;
                a
            },
            "height 1 is not above parachain 'para-a''s anchored head".to_string(),
        ),
    ];
    let member = node.demo_key("tier2-parts");
    let mut nonce = node.next_nonce(&member);
    let mut send = |anchor: Anchor| {
        let tx = Transaction::signed("catena-dev", nonce, Call::Anchor(Box::new(anchor)), &member);
        nonce += 1;
        let reply = node.submit(&tx);
        assert_eq!(reply.status, 202, "{:?}", reply.body);
        node.wait_committed_view(&tx.hash().to_string())
    };
    for (what, anchor, reason) in forged {
        let forged_hash = anchor.header.hash();
        let view = send(anchor);
        let said = view["receipt"]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            view["receipt"]["success"] == false && said.contains(&reason),
            "{what}: {view}"
        );
        println!("{what}: refused — {said}");
        let recorded = anchors(&node, "para-a", 0, u64::MAX);
        assert!(
            recorded
                .iter()
                .all(|a| a["block_hash"] != forged_hash.to_string()
                    || what.starts_with("another parachain")),
            "{what}: recorded"
        );
    }
    // The genuine anchor is taken (or was already, by the node's own anchorer).
    let view = send(genuine.clone());
    assert_eq!(view["receipt"]["success"], true, "{view}");
    assert_eq!(head(&node, "para-a"), tip);
}
