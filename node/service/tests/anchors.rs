//! The main chain's parachain registry and anchor check, on real chains in-process: a parachain
//! of four validators (its blocks built, certified by its validators' keys and committed in a
//! real RocksDB store, its validator-set proofs read from its state tree) is registered on a
//! main chain by its governing quorum and anchored by transactions in main-chain blocks. Every
//! forged anchor is refused with its reason and changes nothing; a validator-set change is
//! anchored across the handover (and anchoring past it first is refused); two certified blocks
//! at one height freeze the parachain.

mod common;

use catena_primitives::parachain::{Anchor, ParachainRegistration, ParachainStatus};
use catena_primitives::{Call, SecretKey, Transaction, ValidatorChange, ValidatorChangeProposal};
use common::{anchor_all, governors, refused, Chain};

#[test]
fn anchors_are_checked_against_the_registered_set_and_forgeries_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut main = Chain::new(dir.path(), "main", 1);
    let mut para = Chain::new(dir.path(), "para-a", 4);
    main.block(1_000);

    // Registration: proposed by a governing member of the main chain (one validator: one
    // governor, threshold 1).
    let spec = para.chain.spec().clone();
    let registration = spec.parachain_registration(para.chain.genesis_hash(), 10, 10_000);
    let governor = main.chain.spec().validators[0].member.clone();
    let governor = main
        .members
        .iter()
        .zip(&main.chain.spec().members)
        .find(|(_, m)| m.name == governor)
        .map(|((n, _), _)| n.clone())
        .expect("the governor's key");
    let bad = main.send(
        &governor,
        Call::ProposeParachain(ParachainRegistration {
            members: vec!["Nobody Ltd.".into()],
            ..registration.clone()
        }),
    );
    let good = main.send(&governor, Call::ProposeParachain(registration.clone()));
    main.block(1_000);
    refused(
        &main.outcome(bad),
        "'Nobody Ltd.' is not a member of the main chain",
    );
    main.outcome(good).expect("registered");
    let record = main.record("para-a").expect("registered");
    assert_eq!(record.status, ParachainStatus::Active);
    assert_eq!(record.head, None);

    // Ten parachain blocks; the fifth anchored.
    for _ in 0..10 {
        para.block(500);
    }
    let outcomes = anchor_all(&mut main, vec![para.anchor(5)]);
    outcomes[0].clone().expect("block 5 anchored");
    let head = main.record("para-a").expect("record").head.expect("a head");
    assert_eq!(
        (head.height, head.block_hash),
        (5, para.anchor(5).header.hash())
    );

    // Forgeries of block 8's anchor: each refused with its reason, the record unchanged.
    let before = main.record("para-a");
    let good8 = para.anchor(8);
    let outsider = SecretKey::from_seed([9; 32]);
    let message = good8.certificate.vote("para-a").signing_bytes();
    let mut forged = Vec::new();
    let mut bad_signature = good8.clone();
    bad_signature.certificate.signatures[0].1 = outsider.sign(&message);
    forged.push((bad_signature, "does not verify"));
    let mut non_validator = good8.clone();
    non_validator.certificate.signatures[0] = (outsider.account(), outsider.sign(&message));
    forged.push((non_validator, "is not a validator of this chain"));
    let mut too_few = good8.clone();
    too_few.certificate.signatures.truncate(2);
    forged.push((too_few, "2 valid signatures, a quorum needs 3"));
    let mut duplicate = good8.clone();
    duplicate.certificate.signatures[1] = duplicate.certificate.signatures[0];
    forged.push((duplicate, "signed twice"));
    let mut wrong_chain = good8.clone();
    wrong_chain.header.chain_id = "para-x".into();
    forged.push((wrong_chain, "the header is of chain 'para-x'"));
    let mut unregistered = good8.clone();
    unregistered.para_id = "para-x".into();
    forged.push((unregistered, "no parachain 'para-x' is registered"));
    forged.push((
        para.anchor(4),
        "not above parachain 'para-a''s anchored head 5",
    ));
    let mut wrong_set = good8.clone();
    wrong_set.next_validators.push(0);
    forged.push((wrong_set, "proof does not verify"));
    let (reasons, anchors): (Vec<&str>, Vec<Anchor>) =
        forged.into_iter().map(|(a, r)| (r, a)).unzip();
    let outcomes = anchor_all(&mut main, anchors);
    for (outcome, reason) in outcomes.iter().zip(&reasons) {
        refused(outcome, reason);
    }
    assert_eq!(
        main.record("para-a"),
        before,
        "refused anchors changed the registry"
    );
    for (outcome, reason) in outcomes.iter().zip(&reasons) {
        println!("refused ({reason}): {}", outcome.clone().unwrap_err());
    }

    // The same anchor again is a no-op; block 8 itself is accepted.
    let outcomes = anchor_all(&mut main, vec![para.anchor(5), good8]);
    outcomes[0].clone().expect("a repeat is harmless");
    outcomes[1].clone().expect("block 8 anchored");

    // A parachain validator anchors with its vote key, which is no main-chain member account;
    // anyone else who is not a member is refused at admission.
    let validator = para.validators[0].clone();
    let tx = Transaction::signed(
        "main",
        0,
        Call::Anchor(Box::new(para.anchor(10))),
        &validator,
    );
    let hash = main
        .chain
        .submit(tx)
        .expect("a registered validator may anchor");
    main.block(1_000);
    main.outcome(hash)
        .expect("block 10 anchored by a validator");
    let stranger = Transaction::signed(
        "main",
        0,
        Call::Anchor(Box::new(para.anchor(10))),
        &outsider,
    );
    let refused_at_admission = main.chain.submit(stranger).expect_err("not a member");
    assert!(
        refused_at_admission.to_string().contains("not a member"),
        "{refused_at_admission}"
    );
    let as_validator = Transaction::signed("main", 1, Call::Remark(b"hi".to_vec()), &validator);
    assert!(
        main.chain.submit(as_validator).is_err(),
        "a validator key sends anchors only"
    );

    // A validator-set change on the parachain: the last validator removed from block 16, by
    // three of its four governing members.
    let governors = governors(&para);
    let removed = spec.validators[3].account;
    let proposed = para.send(
        &governors[0],
        Call::ProposeValidatorChange(ValidatorChangeProposal {
            change: ValidatorChange::Remove { account: removed },
            from_height: 16,
        }),
    );
    para.block(500);
    para.outcome(proposed).expect("proposed");
    let approvals = [
        para.send(&governors[1], Call::Approve(0)),
        para.send(&governors[2], Call::Approve(0)),
    ];
    para.block(500);
    for approval in approvals {
        para.outcome(approval).expect("approved");
    }
    for _ in 13..=20 {
        para.block(500);
    }
    assert_eq!(para.chain.validators().len(), 3, "the change applied");
    // Anchoring past the handover first is refused, naming the height.
    let outcomes = anchor_all(&mut main, vec![para.anchor(18)]);
    refused(&outcomes[0], "validator set changed: block 18");
    // The last block before it, with the next set's proof, switches the registered set.
    let outcomes = anchor_all(&mut main, vec![para.anchor(15), para.anchor(18)]);
    outcomes[0]
        .clone()
        .expect("block 15 anchored, the handover");
    outcomes[1]
        .clone()
        .expect("block 18 anchored by the new set");
    let record = main.record("para-a").expect("record");
    assert_eq!(record.validators.len(), 3);
    assert!(!record.validators.contains(&removed));
    assert_eq!(record.head.expect("head").height, 18);

    // A header timed more than a minute ahead of the main block is refused, even certified.
    let mut ahead = para.anchor(19);
    ahead.header.time_ms = main.time + 120_000;
    ahead.certificate = para.certify(&ahead.header, 3);
    let outcomes = anchor_all(&mut main, vec![ahead]);
    refused(&outcomes[0], "ms ahead of this block's");

    // Two certified blocks at one height: another header 20, certified by the same set,
    // freezes the parachain.
    let mut conflicting = para.anchor(20);
    conflicting.header.time_ms += 1;
    conflicting.certificate = para.certify(&conflicting.header, 3);
    let outcomes = anchor_all(&mut main, vec![para.anchor(20), conflicting]);
    outcomes[0].clone().expect("block 20 anchored");
    outcomes[1].clone().expect("the conflict is recorded");
    let record = main.record("para-a").expect("record");
    match &record.status {
        ParachainStatus::Frozen(evidence) => assert_eq!(evidence.height, 20),
        other => panic!("not frozen: {other:?}"),
    }
    // Frozen: nothing more is anchored.
    for _ in 0..2 {
        para.block(500);
    }
    let outcomes = anchor_all(&mut main, vec![para.anchor(22)]);
    refused(&outcomes[0], "parachain 'para-a' is frozen");

    // What the API shows of it: status and fork, and the anchors a page at a time.
    use catena_api::ChainApi;
    let view = main
        .chain
        .parachain("para-a")
        .expect("read")
        .expect("registered");
    assert_eq!(view.status, "frozen");
    assert_eq!(view.fork.expect("the fork").height, 20);
    assert_eq!(view.head.expect("head").height, 20);
    assert_eq!(view.validators.len(), 3);
    let page = main
        .chain
        .parachain_anchors("para-a", 0, 2)
        .expect("read")
        .expect("registered");
    let heights: Vec<u64> = page.anchors.iter().map(|a| a.height).collect();
    assert_eq!((heights, page.next), (vec![5, 8], Some(10)));
    let page = main
        .chain
        .parachain_anchors("para-a", 15, 10)
        .expect("read")
        .expect("registered");
    let heights: Vec<u64> = page.anchors.iter().map(|a| a.height).collect();
    assert_eq!((heights, page.next), (vec![15, 18, 20], None));
    assert!(main
        .chain
        .parachain_anchors("para-x", 0, 10)
        .expect("read")
        .is_none());
    assert_eq!(main.chain.parachains().expect("read").len(), 1);

    // The governing quorum recovers it with the set it trusts: active again, the first
    // anchored block at the contested height kept, anchors accepted above it.
    let set: Vec<_> = spec
        .validators
        .iter()
        .filter(|v| v.account != removed)
        .map(|v| catena_primitives::parachain::ParachainValidator {
            account: v.account,
            member: v.member.clone(),
        })
        .collect();
    let recovery = catena_primitives::parachain::ParachainRecovery {
        id: "para-a".into(),
        validators: set,
    };
    let recovered = main.send(&governor, Call::ProposeParachainRecovery(recovery.clone()));
    main.block(1_000);
    main.outcome(recovered).expect("recovered");
    let record = main.record("para-a").expect("record");
    assert_eq!(record.status, ParachainStatus::Active);
    assert_eq!(record.head.expect("head").height, 20);
    let again = main.send(&governor, Call::ProposeParachainRecovery(recovery));
    main.block(1_000);
    refused(&main.outcome(again), "parachain 'para-a' is not frozen");
    let outcomes = anchor_all(&mut main, vec![para.anchor(22)]);
    outcomes[0]
        .clone()
        .expect("block 22 anchored after the recovery");
}

/// A parachain entry, and an absent key, proved from the main chain's genesis validators through
/// a main-chain handover and the anchor of the parachain block whose state holds them
/// (PARACHAINS.md, "Proofs an outsider checks offline"); each altered or missing part fails at
/// its step.
#[test]
fn a_parachain_entry_is_proved_through_its_anchor_from_the_main_genesis() {
    use catena_primitives::through_anchor::ThroughAnchorError;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut main = Chain::new(dir.path(), "main", 4);
    let mut para = Chain::new(dir.path(), "para-a", 4);
    main.block(1_000);
    let spec = para.chain.spec().clone();
    let registration = spec.parachain_registration(para.chain.genesis_hash(), 10, 10_000);
    // Registered by three of the main chain's four governors (proposal 0); then the main chain's
    // last validator is removed from block 8 (proposal 1): a handover before the anchor.
    let governors = governors(&main);
    let removed = main.chain.spec().validators[3].account;
    let mut sent = vec![main.send(&governors[0], Call::ProposeParachain(registration))];
    sent.push(main.send(
        &governors[0],
        Call::ProposeValidatorChange(ValidatorChangeProposal {
            change: ValidatorChange::Remove { account: removed },
            from_height: 8,
        }),
    ));
    main.block(1_000);
    for governor in &governors[1..3] {
        sent.push(main.send(governor, Call::Approve(0)));
        sent.push(main.send(governor, Call::Approve(1)));
    }
    main.block(1_000);
    for hash in sent {
        main.outcome(hash).expect("proposed and approved");
    }
    while main.chain.tip().expect("tip").height < 9 {
        main.block(1_000);
    }
    assert_eq!(
        main.chain.validators().len(),
        3,
        "the main set changed at 8"
    );
    for _ in 0..5 {
        para.block(500);
    }
    anchor_all(&mut main, vec![para.anchor(5)])[0]
        .clone()
        .expect("block 5 anchored");
    let m = main.chain.tip().expect("tip").height;
    let genesis: Vec<_> = main
        .chain
        .spec()
        .validators
        .iter()
        .map(|v| v.account)
        .collect();
    for key in [catena_runtime::keys::VALIDATORS, b"no/such/entry"] {
        let proof = catena_node::proofs::through_anchor(&main.chain, &para.chain, key, Some(3))
            .expect("a proof");
        let value = para.chain.store().state_with_proof(key, 5).expect("read").0;
        assert_eq!(
            proof.main.handovers.len(),
            1,
            "the handover at 7 found from the store's index"
        );
        assert_eq!(proof.main.handovers[0].header.height, 7);
        let proved = proof.verify(&genesis).expect("the proof verifies");
        assert_eq!((proved.para_height, proved.main_height), (5, m));
        assert_eq!(proved.value, value);

        // Each part altered fails at its own step.
        let mut other_value = proof.clone();
        other_value.entry.value = Some(b"forged".to_vec());
        assert!(matches!(
            other_value.verify(&genesis),
            Err(ThroughAnchorError::Entry { .. })
        ));
        let mut other_root = proof.clone();
        other_root.anchored.state_root = catena_primitives::Hash::digest(b"another root");
        assert!(matches!(
            other_root.verify(&genesis),
            Err(ThroughAnchorError::Anchor { .. })
        ));
        let mut bad_signature = proof.clone();
        bad_signature.main.header.certificate.signatures[0].1 .0[0] ^= 1;
        assert!(matches!(
            bad_signature.verify(&genesis),
            Err(ThroughAnchorError::MainHeader { .. })
        ));
        // Another trust root, a skipped handover, another next set: each refused.
        let stranger = [SecretKey::from_seed([5; 32]).account()];
        assert!(matches!(
            proof.verify(&stranger),
            Err(ThroughAnchorError::Handover { .. })
        ));
        let mut skipped = proof.clone();
        skipped.main.handovers.clear();
        assert!(matches!(
            skipped.verify(&genesis),
            Err(ThroughAnchorError::MainHeader { .. })
        ));
        let mut other_set = proof.clone();
        other_set.main.handovers[0].next_validators.push(0);
        assert!(matches!(
            other_set.verify(&genesis),
            Err(ThroughAnchorError::Handover { .. })
        ));
    }

    // The main chain's own entry (the anchor) under its latest header, from its genesis.
    let anchored = catena_primitives::parachain::anchor_key("para-a", 5);
    let proof = catena_node::proofs::in_state(&main.chain, &anchored).expect("a proof");
    let header = proof.verify(&genesis).expect("the proof verifies");
    assert_eq!(header.height, m);
    assert!(proof.entry.value.is_some());
    let mut forged = proof.clone();
    forged.entry.key = catena_primitives::parachain::anchor_key("para-a", 6);
    assert!(matches!(
        forged.verify(&genesis),
        Err(ThroughAnchorError::Entry { .. })
    ));
}
