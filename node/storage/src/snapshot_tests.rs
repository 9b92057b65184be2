//! State sync's storage side against real RocksDB: a state restored from chunks has the
//! certified root and entries and goes on like its source; a corrupt chunk is refused and the
//! restore resumes from what it kept; a sender that leaves entries out is caught.

use super::*;
use crate::tests::{cert, commit_changes};

/// A source store: a genesis, then three blocks writing, changing and deleting 1,500 keys.
fn source(dir: &std::path::Path) -> Store {
    let store = Store::open(dir).expect("open");
    commit_changes(&store, vec![(b"genesis", Some(b"g"))]);
    let keys: Vec<Vec<u8>> = (0..1_500u32)
        .map(|i| format!("key/{i}").into_bytes())
        .collect();
    let values: Vec<Vec<u8>> = (0..1_500u32).map(|i| i.to_le_bytes().repeat(8)).collect();
    for round in 0..3usize {
        let changes: Vec<(&[u8], Option<&[u8]>)> = keys
            .iter()
            .zip(&values)
            .enumerate()
            .filter(|(i, _)| i % 3 != round)
            .map(|(i, (k, v))| {
                let value = (i % 7 != round).then_some(&v[round..]);
                (k.as_slice(), value)
            })
            .collect();
        commit_changes(&store, changes);
    }
    store
}

/// A store holding only a genesis of its own (a key the source does not have at all).
fn fresh(dir: &std::path::Path) -> Store {
    let store = Store::open(dir).expect("open");
    commit_changes(&store, vec![(b"only-here", Some(b"stale"))]);
    store
}

/// Restores `height` of `from` into `into` in chunks of `size` entries; returns the chunks it
/// took and what `finish` said.
fn restore_all(
    from: &Store,
    into: &Store,
    height: u64,
    size: usize,
) -> (usize, Result<Tip, SnapshotError>) {
    let root = from.state_root(height).expect("root");
    let mut restore = into.restore(height, root).expect("restore");
    let mut chunks = 0;
    while !restore.is_complete() {
        let chunk = from
            .snapshot_chunk(height, restore.after(), size, usize::MAX)
            .expect("chunk");
        let next = chunk.last_key_hash();
        restore.add(chunk).expect("a good chunk");
        assert_eq!(
            restore.after(),
            next,
            "where the next chunk starts, known beforehand"
        );
        chunks += 1;
    }
    let block = from.block(height).expect("read").expect("block");
    let certificate = from
        .certificate(height)
        .expect("read")
        .expect("certificate");
    (chunks, restore.finish(&block, &certificate))
}

#[test]
fn a_state_restored_from_chunks_has_the_certified_root_and_goes_on_like_its_source() {
    let (a, b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (from, into) = (source(a.path()), fresh(b.path()));
    let (chunks, tip) = restore_all(&from, &into, 3, 100);
    let tip = tip.expect("finished");
    assert_eq!(tip, from.tip().expect("tip").expect("some"));
    assert!(chunks >= 10, "{chunks} chunks");
    assert_eq!(
        into.state_root(3).expect("root"),
        from.state_root(3).expect("root")
    );
    assert_eq!(
        into.state_get(b"only-here").expect("get"),
        None,
        "genesis state replaced"
    );
    for i in 0..1_500u32 {
        let key = format!("key/{i}").into_bytes();
        assert_eq!(
            into.state_get(&key).expect("get"),
            from.state_get(&key).expect("get")
        );
    }
    assert_eq!(
        into.block(2).expect("read"),
        None,
        "blocks below the snapshot are not held"
    );
    // The next block gives both the same root; proofs work at the restored height.
    let next = vec![
        (&b"key/7"[..], Some(&b"changed"[..])),
        (b"key/8", None),
        (b"new", Some(b"1")),
    ];
    assert_eq!(
        commit_changes(&into, next.clone()).state_root,
        commit_changes(&from, next).state_root
    );
    let (value, proof) = into.state_with_proof(b"key/1", 3).expect("proof");
    proof
        .verify(tip.state_root, b"key/1", value.as_deref())
        .expect("a proof at the snapshot");
    // A restored node serves the snapshot in turn (its values are kept with their keys).
    let d = tempfile::tempdir().expect("dir");
    let third = fresh(d.path());
    restore_all(&into, &third, 3, 500)
        .1
        .expect("a snapshot of a restored store");
    // An older height restores too (the source keeps every version).
    let c = tempfile::tempdir().expect("dir");
    let older = fresh(c.path());
    restore_all(&from, &older, 2, 1_000).1.expect("height 2");
}

#[test]
fn a_corrupt_chunk_is_refused_and_the_restore_resumes_from_what_it_kept() {
    let (a, b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (mut from, into) = (source(a.path()), fresh(b.path()));
    let switch = a.path().join("faults");
    from.set_fault_switch(switch.clone(), "source".into());
    let root = from.state_root(3).expect("root");
    let mut restore = into.restore(3, root).expect("restore");
    let (mut refused, mut chunks) = (0, 0);
    while !restore.is_complete() {
        // Every fourth chunk comes corrupt (one value altered).
        let corrupt = chunks % 4 == 3;
        std::fs::write(
            &switch,
            if corrupt {
                "corrupt-snapshot source\n"
            } else {
                ""
            },
        )
        .expect("switch");
        let before = restore.after();
        let chunk = from
            .snapshot_chunk(3, before, 64, usize::MAX)
            .expect("chunk");
        match restore.add(chunk) {
            Ok(()) => assert!(!corrupt, "a corrupt chunk was accepted"),
            Err(SnapshotError::Invalid(reason)) => {
                assert!(corrupt, "a good chunk was refused: {reason}");
                assert!(
                    restore.after() <= before,
                    "the restore went back, never forward"
                );
                refused += 1;
            }
            Err(e) => panic!("{e}"),
        }
        chunks += 1;
    }
    assert!(refused >= 3, "{refused} refused");
    let block = from.block(3).expect("read").expect("block");
    let certificate = from.certificate(3).expect("read").expect("cert");
    restore.finish(&block, &certificate).expect("finished");
    assert_eq!(into.state_root(3).expect("root"), root);
}

#[test]
fn a_sender_that_leaves_entries_out_or_disorders_them_is_caught() {
    let (a, b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (from, into) = (source(a.path()), fresh(b.path()));
    let root = from.state_root(3).expect("root");

    // Claims the end after the first 100 entries: every chunk proves, the root does not.
    let mut restore = into.restore(3, root).expect("restore");
    let mut chunk = from
        .snapshot_chunk(3, None, 100, usize::MAX)
        .expect("chunk");
    chunk.last = true;
    restore.add(chunk).expect("the chunk itself proves");
    let block = from.block(3).expect("read").expect("block");
    let certificate = cert(&block);
    assert!(matches!(
        restore.finish(&block, &certificate),
        Err(SnapshotError::Invalid(_))
    ));

    // Skips a chunk; reverses entries; sends nothing: each refused.
    let c = tempfile::tempdir().expect("dir");
    let into = fresh(c.path());
    let mut restore = into.restore(3, root).expect("restore");
    let first = from.snapshot_chunk(3, None, 50, usize::MAX).expect("chunk");
    let skip_to = Some(Hash(KeyHash::with::<Sha256>(&first.entries[49].0).0));
    let skipped = from
        .snapshot_chunk(3, skip_to, 50, usize::MAX)
        .expect("chunk");
    assert!(matches!(
        restore.add(skipped),
        Err(SnapshotError::Invalid(_))
    ));
    let mut reversed = first.clone();
    reversed.entries.reverse();
    assert!(matches!(
        restore.add(reversed),
        Err(SnapshotError::Invalid(_))
    ));
    let empty = SnapshotChunk {
        entries: Vec::new(),
        proof: Vec::new(),
        last: false,
    };
    assert!(matches!(restore.add(empty), Err(SnapshotError::Invalid(_))));
    restore
        .add(first)
        .expect("the right first chunk after all that");

    // Only a store with nothing but its genesis restores.
    assert!(from.restore(3, root).is_err());
}

#[test]
fn tree_values_are_read_with_their_keys_and_without_from_before_keys_were_kept() {
    let with = crate::tree::tree_value(Some(b"v"), b"k");
    assert_eq!(
        crate::tree::decode_tree_value(&with).expect("decode"),
        (Some(b"v".to_vec()), Some(b"k".to_vec()))
    );
    let deleted = crate::tree::tree_value(None, b"k");
    assert_eq!(
        crate::tree::decode_tree_value(&deleted).expect("decode"),
        (None, Some(b"k".to_vec()))
    );
    let before = Some(b"v".to_vec()).encode();
    assert_eq!(
        crate::tree::decode_tree_value(&before).expect("decode"),
        (Some(b"v".to_vec()), None)
    );
    assert!(crate::tree::decode_tree_value(&[2, 9]).is_err());
}

/// A contract's index entries (ADR 0049) are stored with the state in the block's write but
/// left out of the tree: the root is the one without them, no proof is given of them, a snapshot
/// does not carry them, and a restore takes them only as entries derived once it is complete.
#[test]
fn index_entries_are_kept_but_not_committed_and_not_in_snapshots() {
    let id = Hash([9; 32]);
    let index = catena_primitives::tx::contract_storage_key(&id, b"~/h/member/1");
    let record = catena_primitives::tx::contract_storage_key(&id, b"v/1");
    let (with, without) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (store, plain) = (
        Store::open(with.path()).unwrap(),
        Store::open(without.path()).unwrap(),
    );
    for s in [&store, &plain] {
        commit_changes(s, vec![(b"genesis", Some(b"g"))]);
    }
    let tip = commit_changes(&store, vec![(&record, Some(b"r")), (&index, Some(b""))]);
    let plain_tip = commit_changes(&plain, vec![(&record, Some(b"r"))]);
    assert_eq!(
        tip.state_root, plain_tip.state_root,
        "the root leaves it out"
    );
    assert_eq!(store.state_get(&index).unwrap(), Some(Vec::new()), "kept");
    assert_eq!(
        store.state_next(&index[..index.len() - 1], None).unwrap(),
        Some((index.clone(), Vec::new())),
        "listed"
    );
    assert!(matches!(
        store.state_with_proof(&index, 1),
        Err(StorageError::NotCommitted(_))
    ));
    assert_eq!(
        store.state_with_proof(&record, 1).unwrap().0,
        Some(b"r".to_vec())
    );

    // Removed the same way.
    let tip = commit_changes(&store, vec![(&index, None)]);
    assert_eq!(store.state_get(&index).unwrap(), None);
    assert_eq!(tip.state_root, plain.state_root(1).unwrap());
    commit_changes(&store, vec![(&index, Some(b""))]);

    // A snapshot carries the committed entries only; the derived ones are put before finishing.
    let into_dir = tempfile::tempdir().unwrap();
    let into = fresh(into_dir.path());
    let mut restore = into.restore(3, store.state_root(3).unwrap()).unwrap();
    let chunk = store.snapshot_chunk(3, None, 100, usize::MAX).unwrap();
    assert!(chunk.entries.iter().all(|(k, _)| *k != index), "not sent");
    assert!(
        restore.put_indexes(&[(index.clone(), Vec::new())]).is_err(),
        "before the state is complete"
    );
    restore.add(chunk).unwrap();
    assert!(restore.is_complete());
    let refused = restore.put_indexes(&[(record.clone(), b"forged".to_vec())]);
    assert!(
        matches!(refused, Err(SnapshotError::Invalid(_))),
        "a committed entry is never written as an index entry"
    );
    restore.put_indexes(&[(index.clone(), Vec::new())]).unwrap();
    let block = crate::tests::block(3, Hash::ZERO, store.state_root(3).unwrap());
    restore.finish(&block, &cert(&block)).unwrap();
    assert_eq!(into.state_get(&index).unwrap(), Some(Vec::new()));
    assert_eq!(into.state_get(&record).unwrap(), Some(b"r".to_vec()));
}
