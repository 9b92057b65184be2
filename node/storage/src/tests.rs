use super::*;
use catena_primitives::{AccountId, ReceiptStatus};

pub(crate) fn block(height: u64, parent: Hash, state_root: Hash) -> Block {
    Block {
        header: Header {
            chain_id: "t".into(),
            height,
            parent_hash: parent,
            time_ms: 1_000 + height,
            proposer: AccountId([1; 32]),
            tx_root: Block::compute_tx_root(&[]),
            state_root,
            receipts_root: Receipt::compute_root(&[]),
            validator_set_hash: Hash::ZERO,
        },
        transactions: vec![],
    }
}

pub(crate) fn cert(b: &Block) -> CommitCertificate {
    CommitCertificate {
        height: b.header.height,
        round: 0,
        block_hash: b.hash(),
        signatures: vec![],
    }
}

pub(crate) fn commit_changes(store: &Store, changes: Vec<(&[u8], Option<&[u8]>)>) -> Tip {
    let height = store.tip().expect("tip").map_or(0, |t| t.height + 1);
    let parent = store
        .tip()
        .expect("tip")
        .map_or(Hash::ZERO, |t| t.block_hash);
    let prepared = store
        .prepare_state(
            height,
            changes
                .into_iter()
                .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec))),
        )
        .expect("prepare");
    let b = block(height, parent, prepared.state_root);
    store
        .commit(&b, &cert(&b), &[], &[], prepared)
        .expect("commit")
}

#[test]
fn commits_blocks_and_proves_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    assert_eq!(store.tip().expect("tip"), None);
    let t0 = commit_changes(&store, vec![(b"a", Some(b"1")), (b"b", Some(b"2"))]);
    let t1 = commit_changes(&store, vec![(b"a", Some(b"3")), (b"b", None)]);
    assert_eq!(t1.height, 1);
    assert_ne!(t0.state_root, t1.state_root);
    assert_eq!(store.state_get(b"a").expect("get"), Some(b"3".to_vec()));
    assert_eq!(store.state_get(b"b").expect("get"), None);
    assert_eq!(store.state_root(1).expect("root"), t1.state_root);
    assert_eq!(
        store.header(1).expect("header").expect("stored").state_root,
        t1.state_root
    );

    // Inclusion at both heights, non-inclusion after removal.
    let (value, proof) = store.state_with_proof(b"a", 0).expect("proof");
    assert_eq!(value.as_deref(), Some(&b"1"[..]));
    proof
        .verify(t0.state_root, b"a", Some(b"1"))
        .expect("inclusion at 0");
    let (value, proof) = store.state_with_proof(b"b", 1).expect("proof");
    assert_eq!(value, None);
    proof
        .verify(t1.state_root, b"b", None)
        .expect("non-inclusion at 1");
    let (_, proof) = store.state_with_proof(b"a", 1).expect("proof");
    proof
        .verify(t1.state_root, b"a", Some(b"3"))
        .expect("inclusion at 1");

    // Wrong value, wrong root, tampered bytes: all refused.
    assert!(proof.verify(t1.state_root, b"a", Some(b"1")).is_err());
    assert!(proof.verify(t0.state_root, b"a", Some(b"3")).is_err());
    assert!(proof.verify(t1.state_root, b"a", None).is_err());
    let mut tampered = proof.clone();
    let last = tampered.0.len() - 1;
    tampered.0[last] ^= 0x01;
    assert!(tampered.verify(t1.state_root, b"a", Some(b"3")).is_err());
    assert!(store.state_with_proof(b"a", 2).is_err());
}

#[test]
fn survives_reopen_and_refuses_gaps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tip = {
        let store = Store::open(dir.path()).expect("open");
        commit_changes(&store, vec![(b"k", Some(b"v"))]);
        commit_changes(&store, vec![(b"k2", Some(b"v2"))])
    };
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(store.tip().expect("tip"), Some(tip));
    assert_eq!(store.height_of(&tip.block_hash).expect("index"), Some(1));
    let prepared = store.prepare_state(5, vec![]).expect("prepare");
    let b = block(5, tip.block_hash, prepared.state_root);
    assert!(matches!(
        store.commit(&b, &cert(&b), &[], &[], prepared),
        Err(StorageError::NotNext {
            tip: Some(1),
            found: 5
        })
    ));
    // A second process cannot open the same store.
    assert!(Store::open(dir.path()).is_err());
}

#[test]
fn indexes_transactions_and_receipts() {
    use catena_primitives::{Call, SecretKey, Transaction};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    commit_changes(&store, vec![]);
    let key = SecretKey::from_seed([4; 32]);
    let tx = Transaction::signed("t", 0, Call::Remark(vec![1]), &key);
    let receipt = Receipt {
        tx_hash: tx.hash(),
        status: ReceiptStatus::Success,
        fuel_used: 0,
        events: Vec::new(),
        output: Vec::new(),
    };
    let prepared = store.prepare_state(1, vec![]).expect("prepare");
    let mut b = block(
        1,
        store.tip().expect("tip").expect("some").block_hash,
        prepared.state_root,
    );
    b.transactions.push(tx.clone());
    store
        .commit(&b, &cert(&b), &[], std::slice::from_ref(&receipt), prepared)
        .expect("commit");
    assert_eq!(
        store.tx_location(&tx.hash()).expect("loc"),
        Some(TxLocation {
            height: 1,
            index: 0
        })
    );
    assert_eq!(store.receipt(&tx.hash()).expect("receipt"), Some(receipt));
    assert_eq!(
        store.block(1).expect("block").expect("stored").transactions,
        vec![tx]
    );
}

/// A store written before receipts were one value per block (each under its transaction's
/// hash, no format mark) is converted when opened; one marked newer is refused.
#[test]
fn an_older_stores_receipts_are_converted_at_open() {
    use catena_primitives::{Call, SecretKey, Transaction};
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::from_seed([4; 32]);
    let txs: Vec<Transaction> = (0..3)
        .map(|n| Transaction::signed("t", n, Call::Remark(vec![1]), &key))
        .collect();
    let receipts: Vec<Receipt> = txs
        .iter()
        .map(|tx| Receipt {
            tx_hash: tx.hash(),
            status: ReceiptStatus::Failed("no".into()),
            fuel_used: 7,
            events: Vec::new(),
            output: vec![1, 2],
        })
        .collect();
    {
        let store = Store::open(dir.path()).expect("open");
        commit_changes(&store, vec![]);
        let prepared = store.prepare_state(1, vec![]).expect("prepare");
        let tip = store.tip().expect("tip").expect("some");
        let mut b = block(1, tip.block_hash, prepared.state_root);
        b.transactions = txs.clone();
        store
            .commit(&b, &cert(&b), &[], &receipts, prepared)
            .expect("commit");
        // Back to the older layout.
        let db = &store.db;
        db.delete_cf(store.cf(CF_RECEIPTS), height_key(1))
            .expect("delete");
        for r in &receipts {
            db.put_cf(store.cf(CF_RECEIPTS), r.tx_hash.0, r.encode())
                .expect("put");
        }
        db.delete_cf(store.cf(CF_META), receipts::META_FORMAT)
            .expect("delete");
    }
    let store = Store::open(dir.path()).expect("reopen converts");
    assert_eq!(store.receipts(1).expect("read"), receipts);
    assert_eq!(
        store.receipt(&txs[2].hash()).expect("read"),
        Some(receipts[2].clone())
    );
    for r in &receipts {
        assert_eq!(store.get_cf(CF_RECEIPTS, &r.tx_hash.0).expect("read"), None);
    }
    store
        .db
        .put_cf(
            store.cf(CF_META),
            receipts::META_FORMAT,
            (receipts::FORMAT + 1).encode(),
        )
        .expect("put");
    drop(store);
    let err = Store::open(dir.path()).expect_err("a newer store is refused");
    assert!(err.to_string().contains("newer than this build's"), "{err}");
}

#[test]
fn state_is_listed_by_prefix_in_key_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    commit_changes(
        &store,
        vec![
            (b"a/2", Some(b"two")),
            (b"a/1", Some(b"one")),
            (b"a/3", Some(b"three")),
            (b"b/1", Some(b"other")),
        ],
    );
    commit_changes(&store, vec![(b"a/2", None)]);
    let mut keys = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    while let Some((key, _)) = store.state_next(b"a/", after.as_deref()).expect("read") {
        keys.push(key.clone());
        after = Some(key);
    }
    assert_eq!(keys, vec![b"a/1".to_vec(), b"a/3".to_vec()]);
    assert_eq!(store.state_next(b"c/", None).expect("read"), None);
}

#[test]
fn indexes_the_blocks_that_write_the_validator_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let set = catena_primitives::validator::VALIDATORS_KEY;
    // Genesis writes the first set: not a handover.
    commit_changes(
        &store,
        vec![(set, Some(b"genesis set")), (b"a", Some(b"1"))],
    );
    commit_changes(&store, vec![(b"a", Some(b"2"))]);
    commit_changes(&store, vec![(set, Some(b"second set"))]);
    commit_changes(&store, vec![(b"a", Some(b"3"))]);
    commit_changes(&store, vec![(set, Some(b"third set"))]);
    assert_eq!(store.handovers(5).expect("handovers"), vec![2, 4]);
    assert_eq!(store.handovers(4).expect("handovers"), vec![2]);
    assert_eq!(store.handovers(2).expect("handovers"), Vec::<u64>::new());
    drop(store);
    let store = Store::open(dir.path()).expect("reopen");
    assert_eq!(store.handovers(u64::MAX).expect("handovers"), vec![2, 4]);
}

#[test]
fn journaled_transactions_survive_a_reopen_until_forgotten() {
    use catena_primitives::{Call, SecretKey};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open");
    let key = SecretKey::from_seed([3; 32]);
    let txs: Vec<Transaction> = (0..3)
        .map(|n| Transaction::signed("t", n, Call::Remark(vec![n as u8]), &key))
        .collect();
    store
        .journal(&txs.iter().collect::<Vec<_>>())
        .expect("journal");
    drop(store);
    let store = Store::open(dir.path()).expect("reopen");
    let (mut found, corrupt) = store.journaled().expect("read");
    found.sort_by_key(|tx| tx.nonce);
    assert_eq!((found, corrupt), (txs.clone(), 0));
    store.unjournal(&[txs[1].hash()]).expect("forget");
    let (found, _) = store.journaled().expect("read");
    assert_eq!(found.len(), 2);
    assert!(!found.contains(&txs[1]));
}
