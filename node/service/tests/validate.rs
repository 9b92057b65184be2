//! A block built by one node is validated and committed by another with the same state; every
//! kind of tampering is refused with its reason. Real RocksDB stores in temporary directories.

use catena_chain_spec::build_local;
use catena_node::chain::{ChainInstance, InvalidBlock, ValidateError};
use catena_primitives::{Call, CommitCertificate, Hash, SecretKey, Transaction};

fn two_nodes() -> (
    tempfile::TempDir,
    ChainInstance,
    ChainInstance,
    Vec<SecretKey>,
) {
    let built = build_local(4, 1_767_225_600_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let a = ChainInstance::open(built.spec.clone(), &dir.path().join("a"), 100).expect("open a");
    let b = ChainInstance::open(built.spec.clone(), &dir.path().join("b"), 100).expect("open b");
    let members = built.member_keys.into_iter().map(|k| k.secret).collect();
    (dir, a, b, members)
}

fn certificate(block: &catena_primitives::Block) -> CommitCertificate {
    CommitCertificate {
        height: block.header.height,
        round: 0,
        block_hash: block.hash(),
        signatures: vec![],
    }
}

fn expect_invalid(
    result: Result<catena_node::chain::PreparedBlock, ValidateError>,
) -> InvalidBlock {
    match result {
        Err(ValidateError::Invalid(reason)) => reason,
        Err(other) => panic!("expected an invalid block, got {other}"),
        Ok(_) => panic!("expected an invalid block, it was accepted"),
    }
}

#[test]
fn another_node_validates_and_commits_the_same_block() {
    let (_dir, a, b, members) = two_nodes();
    let chain_id = a.spec().chain_id.clone();
    let proposer = a.validators().validators[1];
    for key in &members[..3] {
        a.submit(Transaction::signed(
            &chain_id,
            0,
            Call::Remark(b"po".to_vec()),
            key,
        ))
        .expect("admitted");
    }
    let proposal = a
        .build_proposal(1, 1_767_225_601_000, proposer)
        .expect("build");
    let block = proposal.block.clone();
    assert_eq!(block.transactions.len(), 3);
    let validated = b.validate_proposal(block.clone()).expect("valid on b");
    let tip_a = a.commit(proposal, &certificate(&block)).expect("commit a");
    let tip_b = b.commit(validated, &certificate(&block)).expect("commit b");
    assert_eq!(tip_a, tip_b, "same block hash and state root on both nodes");
}

#[test]
fn tampered_blocks_are_refused_with_their_reason() {
    let (_dir, a, b, members) = two_nodes();
    let chain_id = a.spec().chain_id.clone();
    let proposer = a.validators().validators[1];
    a.submit(Transaction::signed(
        &chain_id,
        0,
        Call::Remark(b"invoice".to_vec()),
        &members[1],
    ))
    .expect("admitted");
    let good = a
        .build_proposal(1, 1_767_225_601_000, proposer)
        .expect("build")
        .block;

    let mut wrong_root = good.clone();
    wrong_root.header.state_root = Hash::digest(b"forged");
    assert!(matches!(
        expect_invalid(b.validate_proposal(wrong_root)),
        InvalidBlock::StateRoot { .. }
    ));

    let mut dropped = good.clone();
    dropped.transactions.clear();
    assert!(matches!(
        expect_invalid(b.validate_proposal(dropped)),
        InvalidBlock::TxRoot { .. }
    ));

    let mut forged = good.clone();
    forged.transactions[0].call = Call::Remark(b"changed".to_vec());
    forged.header.tx_root = catena_primitives::Block::compute_tx_root(&forged.transactions);
    assert!(matches!(
        expect_invalid(b.validate_proposal(forged)),
        InvalidBlock::BadTransaction { .. }
    ));

    let mut replay = good.clone();
    replay.transactions.push(replay.transactions[0].clone());
    replay.header.tx_root = catena_primitives::Block::compute_tx_root(&replay.transactions);
    assert!(matches!(
        expect_invalid(b.validate_proposal(replay)),
        InvalidBlock::Execution(_)
    ));

    let mut orphan = good.clone();
    orphan.header.parent_hash = Hash::digest(b"elsewhere");
    assert!(matches!(
        expect_invalid(b.validate_proposal(orphan)),
        InvalidBlock::WrongParent { .. }
    ));

    let mut stale = good.clone();
    stale.header.time_ms = 1;
    assert!(matches!(
        expect_invalid(b.validate_proposal(stale)),
        InvalidBlock::TimeNotAfterParent { .. }
    ));

    let mut outsider = good.clone();
    outsider.header.proposer = SecretKey::from_seed([77; 32]).account();
    assert!(matches!(
        expect_invalid(b.validate_proposal(outsider)),
        InvalidBlock::ProposerNotValidator(_)
    ));

    let mut receipts = good.clone();
    receipts.header.receipts_root = Hash::ZERO;
    assert!(matches!(
        expect_invalid(b.validate_proposal(receipts)),
        InvalidBlock::ReceiptsRoot { .. }
    ));

    // The untouched block is still valid: refusing the others changed nothing.
    b.validate_proposal(good)
        .expect("the original block is valid");
}

/// Node A commits blocks certified by a quorum of the four validators; node B, behind, fetches
/// them through the sync request and response, checks certificates, re-executes and catches up.
#[test]
fn a_node_behind_catches_up_by_sync_and_refuses_forged_certificates() {
    use catena_node::chain::{PeerRequest, SyncRequest, SyncResponse};
    use catena_primitives::Vote;
    use parity_scale_codec::Encode;

    let built = build_local(4, 1_767_225_600_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let a = ChainInstance::open(built.spec.clone(), &dir.path().join("a"), 100).expect("open a");
    let b = ChainInstance::open(built.spec.clone(), &dir.path().join("b"), 100).expect("open b");
    let voters: Vec<SecretKey> = built
        .validator_keys
        .iter()
        .map(|(vote, _)| vote.secret.clone())
        .collect();
    let chain_id = a.spec().chain_id.clone();
    let members: Vec<SecretKey> = built.member_keys.iter().map(|k| k.secret.clone()).collect();
    for height in 1..=5u64 {
        a.submit(Transaction::signed(
            &chain_id,
            height - 1,
            Call::Remark(vec![height as u8]),
            &members[2],
        ))
        .expect("admitted");
        let proposal = a
            .build_proposal(
                height,
                1_767_225_600_000 + height * 1_000,
                voters[0].account(),
            )
            .expect("build");
        let vote = Vote {
            chain_id: chain_id.clone(),
            height,
            round: 0,
            block_hash: proposal.block.hash(),
        };
        let certificate = CommitCertificate {
            height,
            round: 0,
            block_hash: proposal.block.hash(),
            signatures: voters[..3].iter().map(|k| vote.sign(k)).collect(),
        };
        a.commit(proposal, &certificate).expect("commit");
    }

    // Over the wire: SCALE, decoded with a limit.
    let request = SyncRequest {
        from_height: 1,
        max_blocks: 1_000,
    };
    let wire = a.serve_sync(&request, 1 << 20).expect("serve").encode();
    assert!(
        SyncResponse::decode_untrusted(&wire, 100).is_err(),
        "size limit applies"
    );
    let response = SyncResponse::decode_untrusted(&wire, 1 << 20).expect("decode");
    let request = PeerRequest::Blocks(request);
    let request_bytes = request.encode();
    assert_eq!(
        PeerRequest::decode_untrusted(&request_bytes).expect("request"),
        request
    );
    assert_eq!(response.blocks.len(), 5);

    // A block the validators certified but whose state root this node cannot reproduce is a
    // divergence: refused, nothing applied, and the driver stops voting on it.
    let mut diverging = response.clone();
    let block = &mut diverging.blocks[0].0;
    block.header.state_root = Hash::digest(b"another state");
    let vote = Vote {
        chain_id: chain_id.clone(),
        height: 1,
        round: 0,
        block_hash: block.hash(),
    };
    diverging.blocks[0].1 = CommitCertificate {
        height: 1,
        round: 0,
        block_hash: block.hash(),
        signatures: voters[..3].iter().map(|k| vote.sign(k)).collect(),
    };
    let error = b.apply_synced(diverging).expect_err("cannot reproduce it");
    assert!(error.is_divergence(), "{error}");
    assert!(error.to_string().contains("state root mismatch"), "{error}");
    assert_eq!(b.tip().expect("tip").height, 0);

    // A genuine certified block after a gap is not applied and is not a divergence: a peer
    // cannot make this node stop voting by skipping blocks.
    let mut gap = response.clone();
    gap.blocks.remove(0);
    assert_eq!(b.apply_synced(gap).expect("nothing applicable"), 0);
    assert_eq!(b.tip().expect("tip").height, 0);

    // A forged certificate (signatures of a non-quorum) is refused and nothing is applied.
    let mut forged = response.clone();
    forged.blocks[0].1.signatures.truncate(2);
    let error = b.apply_synced(forged).expect_err("no quorum");
    assert!(
        !error.is_divergence(),
        "a bad certificate is the sender's fault: {error}"
    );
    assert_eq!(b.tip().expect("tip").height, 0);

    assert_eq!(b.apply_synced(response).expect("sync"), 5);
    assert_eq!(b.tip().expect("tip"), a.tip().expect("tip"));
    // Applying the same blocks again changes nothing.
    let again = a
        .serve_sync(
            &SyncRequest {
                from_height: 1,
                max_blocks: 5,
            },
            1 << 20,
        )
        .expect("serve");
    assert_eq!(b.apply_synced(again).expect("idempotent"), 0);
}
