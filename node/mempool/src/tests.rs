use super::*;
use catena_primitives::{Call, SecretKey};
use std::collections::HashSet;

#[derive(Default)]
struct View {
    members: HashSet<AccountId>,
    nonces: HashMap<AccountId, u64>,
    /// Accounts that belong to the member of another account.
    same_member: HashMap<AccountId, AccountId>,
}
impl AccountView for View {
    fn next_nonce(&self, account: &AccountId) -> Result<u64, String> {
        Ok(self.nonces.get(account).copied().unwrap_or(0))
    }
    fn sender(&self, tx: &Transaction) -> Result<Option<Sender>, String> {
        // Each test account is a member of its own, but those `same_member` joins.
        Ok(self.members.contains(&tx.signer).then(|| {
            let member = self.same_member.get(&tx.signer).unwrap_or(&tx.signer);
            format!("member {member}").into()
        }))
    }
}

fn pool(capacity: usize) -> Mempool {
    Mempool::new(MempoolConfig {
        chain_id: "c".into(),
        max_tx_bytes: 1024,
        capacity,
    })
}

fn tx(key: &SecretKey, nonce: u64) -> Transaction {
    Transaction::signed("c", nonce, Call::Remark(nonce.to_le_bytes().to_vec()), key)
}

fn setup() -> (SecretKey, SecretKey, View) {
    let alice = SecretKey::from_seed([1; 32]);
    let bob = SecretKey::from_seed([2; 32]);
    let mut view = View::default();
    view.members.insert(alice.account());
    view.members.insert(bob.account());
    (alice, bob, view)
}

#[test]
fn admission_errors_are_specific() {
    let (alice, _, mut view) = setup();
    let pool = pool(10);
    let outsider = SecretKey::from_seed([9; 32]);
    assert!(matches!(
        pool.admit(tx(&outsider, 0), &view),
        Err(AdmitError::NotAMember { .. })
    ));
    let wrong_chain = Transaction::signed("x", 0, Call::Remark(vec![]), &alice);
    assert!(matches!(
        pool.admit(wrong_chain, &view),
        Err(AdmitError::Invalid(TxError::WrongChain { .. }))
    ));
    let mut forged = tx(&alice, 0);
    forged.call = Call::Remark(b"changed".to_vec());
    assert!(matches!(
        pool.admit(forged, &view),
        Err(AdmitError::Invalid(TxError::BadSignature(_)))
    ));
    let big = Transaction::signed("c", 0, Call::Remark(vec![0; 2000]), &alice);
    assert!(matches!(
        pool.admit(big, &view),
        Err(AdmitError::Invalid(TxError::TooLarge { .. }))
    ));

    let first = tx(&alice, 0);
    pool.admit(first.clone(), &view).expect("admitted");
    assert_eq!(
        pool.admit(first.clone(), &view),
        Err(AdmitError::AlreadyPending(first.hash()))
    );
    let rival = Transaction::signed("c", 0, Call::Remark(b"other".to_vec()), &alice);
    assert!(matches!(
        pool.admit(rival, &view),
        Err(AdmitError::NonceTaken { nonce: 0, .. })
    ));
    assert!(matches!(
        pool.admit(tx(&alice, MAX_NONCE_GAP), &view),
        Err(AdmitError::NonceTooHigh { .. })
    ));

    // After commit the same transaction is a replay.
    view.nonces.insert(alice.account(), 1);
    pool.remove_committed(std::slice::from_ref(&first), &view);
    assert!(pool.is_empty());
    assert!(
        pool.dropped(&first.hash()).is_none(),
        "an included transaction is not dropped"
    );
    let err = pool.admit(first, &view).expect_err("replay");
    assert!(err.to_string().contains("replay"), "{err}");
    assert!(!err.is_temporary());
}

#[test]
fn selects_ready_runs_in_arrival_order() {
    let (alice, bob, view) = setup();
    let pool = pool(10);
    pool.admit(tx(&alice, 1), &view).expect("a1"); // waits for a0
    pool.admit(tx(&bob, 0), &view).expect("b0");
    pool.admit(tx(&alice, 0), &view).expect("a0");
    pool.admit(tx(&alice, 3), &view).expect("a3"); // gap: not ready
    let chosen: Vec<(AccountId, u64)> = pool
        .select(10, 1 << 20, &view)
        .iter()
        .map(|t| (t.signer, t.nonce))
        .collect();
    assert_eq!(
        chosen,
        vec![
            (bob.account(), 0),
            (alice.account(), 0),
            (alice.account(), 1)
        ]
    );
    assert_eq!(pool.select(2, 1 << 20, &view).len(), 2);
}

#[test]
fn refuses_when_full() {
    let (alice, bob, view) = setup();
    let pool = pool(1);
    pool.admit(tx(&alice, 0), &view).expect("first");
    let err = pool.admit(tx(&bob, 0), &view).expect_err("full");
    assert_eq!(err, AdmitError::Full { capacity: 1 });
    assert!(err.is_temporary());
}

#[test]
fn select_drops_entries_that_fell_below_the_next_nonce() {
    let (alice, _, mut view) = setup();
    let pool = pool(10);
    pool.admit(tx(&alice, 0), &view).expect("a0");
    pool.admit(tx(&alice, 1), &view).expect("a1");
    // Nonce 0 and 1 were used by other transactions committed meanwhile.
    view.nonces.insert(alice.account(), 2);
    assert!(pool.select(10, 1 << 20, &view).is_empty());
    assert!(
        pool.is_empty(),
        "stale entries are dropped, not kept forever"
    );
}

#[test]
fn transactions_waiting_too_long_are_evicted() {
    let (alice, _, view) = setup();
    let pool = pool(10);
    // Nonce 1 waits behind a nonce 0 that never comes.
    pool.admit(tx(&alice, 1), &view).expect("admitted");
    assert_eq!(
        pool.evict_older_than(std::time::Duration::from_secs(3600)),
        0
    );
    assert_eq!(pool.len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(
        pool.evict_older_than(std::time::Duration::from_millis(1)),
        1
    );
    assert!(pool.is_empty());
    let dropped = pool.dropped(&tx(&alice, 1).hash()).expect("remembered");
    assert_eq!(dropped.reason, DropReason::Expired { waited_secs: 0 });
    assert_eq!(*dropped.tx, tx(&alice, 1));
    // The same transaction can be admitted again afterwards.
    pool.admit(tx(&alice, 1), &view).expect("admitted again");
}

#[test]
fn a_batch_gives_each_transaction_the_outcome_it_would_get_alone() {
    let (alice, bob, view) = setup();
    let outsider = SecretKey::from_seed([9; 32]);
    let mut forged = tx(&bob, 0);
    forged.call = Call::Remark(b"changed".to_vec());
    let batch = vec![
        tx(&alice, 0),
        forged.clone(),
        Transaction::signed("x", 0, Call::Remark(vec![]), &alice),
        tx(&alice, 1),
        tx(&outsider, 0),
        tx(&alice, 1),
        tx(&bob, 0),
    ];
    let alone: Vec<Result<Hash, AdmitError>> = {
        let pool = pool(10);
        batch.iter().map(|t| pool.admit(t.clone(), &view)).collect()
    };
    let pool = pool(10);
    let outcomes = pool.admit_batch(batch.clone(), &view);
    assert_eq!(outcomes, alone);
    assert!(matches!(
        outcomes[1],
        Err(AdmitError::Invalid(TxError::BadSignature(_)))
    ));
    assert!(matches!(outcomes[5], Err(AdmitError::AlreadyPending(_))));
    assert_eq!(pool.len(), 3);
    assert!(
        pool.contains(&alice.account(), &batch[0].hash())
            && pool.contains(&bob.account(), &batch[6].hash())
    );
    assert!(!pool.contains(&bob.account(), &forged.hash()));
    assert_eq!(
        pool.contains_each(&[
            (alice.account(), batch[3].hash()),
            (bob.account(), forged.hash())
        ]),
        vec![true, false]
    );
    // An all-valid batch (one batch check) admits every transaction.
    let pool2 = super::Mempool::new(MempoolConfig {
        chain_id: "c".into(),
        max_tx_bytes: 1024,
        capacity: 100,
    });
    let good: Vec<Transaction> = (0..20).map(|n| tx(&alice, n)).collect();
    assert!(pool2.admit_batch(good, &view).iter().all(Result::is_ok));
    assert_eq!(pool2.len(), 20);
}

#[test]
fn concurrent_admission_never_overfills_and_keeps_counts() {
    // 8 threads, each with its own accounts (spread over the shards), race to fill a pool of
    // 500: exactly 500 are admitted, the rest refused as full (or behind a nonce refused as
    // full), and the count matches what
    // selection and removal see.
    let keys: Vec<SecretKey> = (0..64u8)
        .map(|i| SecretKey::from_seed([i + 10; 32]))
        .collect();
    let mut view = View::default();
    for key in &keys {
        view.members.insert(key.account());
    }
    let pool = pool(500);
    let txs: Vec<Transaction> = keys
        .iter()
        .flat_map(|key| (0..20).map(move |n| tx(key, n)))
        .collect();
    let (admitted, full) = std::thread::scope(|scope| {
        let workers: Vec<_> = txs
            .chunks(txs.len() / 8)
            .map(|chunk| {
                let (pool, view) = (&pool, &view);
                scope.spawn(move || {
                    let outcomes = pool.admit_batch(chunk.to_vec(), view);
                    let admitted = outcomes.iter().filter(|o| o.is_ok()).count();
                    // Refused as full, or (a later nonce) behind one refused as full.
                    let full = outcomes
                        .iter()
                        .filter(|o| {
                            matches!(
                                o,
                                Err(AdmitError::Full { capacity: 500 }
                                    | AdmitError::BehindRefused { .. })
                            )
                        })
                        .count();
                    (admitted, full)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("no panic"))
            .fold((0, 0), |(a, f), (a2, f2)| (a + a2, f + f2))
    });
    assert_eq!(admitted, 500);
    assert_eq!(full, txs.len() - 500);
    assert_eq!(pool.len(), 500);
    // Only each account's run from nonce 0 is ready; together they hold every admitted one
    // that has no gap before it.
    let selected = pool.select(10_000, usize::MAX, &view);
    assert!(!selected.is_empty() && selected.len() <= 500);
    pool.remove_committed(&selected, &view);
    // The view still says nonce 0 for everyone, so nothing was committed: all stay pending.
    assert_eq!(pool.len(), 500);
    let mut committed = view;
    for tx in &selected {
        let next = committed.nonces.entry(tx.signer).or_default();
        *next = (*next).max(tx.nonce + 1);
    }
    pool.remove_committed(&selected, &committed);
    assert_eq!(pool.len(), 500 - selected.len());
}

#[test]
fn a_full_pool_refuses_before_checking_signatures() {
    let (alice, bob, view) = setup();
    let pool = pool(1);
    pool.admit(tx(&alice, 0), &view).expect("the one place");
    // A forged transaction gets "full", not "bad signature": its signature was not checked.
    let mut forged = tx(&bob, 0);
    forged.call = Call::Remark(b"changed".to_vec());
    assert_eq!(
        pool.admit(forged.clone(), &view),
        Err(AdmitError::Full { capacity: 1 })
    );
    assert_eq!(
        pool.admit_batch(vec![forged, tx(&bob, 0)], &view),
        vec![
            Err(AdmitError::Full { capacity: 1 }),
            Err(AdmitError::Full { capacity: 1 })
        ]
    );
    assert_eq!(pool.len(), 1);
}

/// A pending transaction whose nonce another committed transaction used is remembered as dropped
/// with that reason; one the block builder could not apply, with the builder's reason.
#[test]
fn dropped_transactions_are_remembered_with_their_reason() {
    let (alice, bob, view) = setup();
    let mut view = view;
    let pool = pool(10);
    let mine = tx(&alice, 0);
    pool.admit(mine.clone(), &view).expect("admitted");
    // Another transaction with the same nonce, admitted elsewhere, is committed.
    let rival = Transaction::signed("c", 0, Call::Remark(b"other".to_vec()), &alice);
    view.nonces.insert(alice.account(), 1);
    pool.remove_committed(std::slice::from_ref(&rival), &view);
    assert!(pool.is_empty());
    let dropped = pool.dropped(&mine.hash()).expect("remembered");
    assert_eq!(dropped.reason, DropReason::NonceUsed { nonce: 0 });
    assert_eq!(
        dropped.reason.to_string(),
        "another transaction of its signer with nonce 0 was committed"
    );
    assert!(pool.dropped(&rival.hash()).is_none());

    let stale = tx(&bob, 0);
    pool.admit(stale.clone(), &view).expect("admitted");
    assert_eq!(pool.remove(&stale.hash(), "bad nonce"), Some(stale.clone()));
    assert_eq!(
        pool.dropped(&stale.hash()).map(|d| d.reason.to_string()),
        Some("it no longer applies: bad nonce".to_string())
    );
}

/// One sender flooding fills at most half the pool; past half full it is refused (temporary),
/// and another sender's transactions still get in, up to its own share. Two accounts of one
/// member are one sender.
#[test]
fn a_flooding_sender_takes_at_most_half_the_pool() {
    let (alice, bob, mut view) = setup();
    let carol = SecretKey::from_seed([3; 32]);
    view.members.insert(carol.account());
    view.same_member.insert(carol.account(), alice.account());
    let pool = pool(20);
    for nonce in 0..5 {
        pool.admit(tx(&alice, nonce), &view).expect("alice");
        pool.admit(tx(&carol, nonce), &view)
            .expect("carol, alice's member");
    }
    let err = pool.admit(tx(&alice, 5), &view).expect_err("over share");
    assert!(
        matches!(
            err,
            AdmitError::OverShare {
                pending: 10,
                share: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_temporary());
    assert!(err.to_string().contains("more than half full"), "{err}");
    assert!(
        pool.admit(tx(&carol, 5), &view).is_err(),
        "carol is alice's member"
    );
    for nonce in 0..5 {
        pool.admit(tx(&bob, nonce), &view)
            .expect("bob, another member");
    }
    assert!(matches!(
        pool.admit(tx(&bob, 5), &view),
        Err(AdmitError::OverShare { pending: 5, .. })
    ));
    assert_eq!(
        pool.len(),
        15,
        "never full: a third member would still get in"
    );
    // Batches are held to the same shares; what leaves the pool frees its sender's place.
    let outcomes = pool.admit_batch(vec![tx(&alice, 5), tx(&bob, 5)], &view);
    assert!(outcomes.iter().all(Result::is_err), "{outcomes:?}");
    view.nonces.insert(alice.account(), 5);
    view.nonces.insert(carol.account(), 5);
    let committed: Vec<Transaction> = (0..5)
        .flat_map(|n| [tx(&alice, n), tx(&carol, n)])
        .collect();
    pool.remove_committed(&committed, &view);
    assert_eq!(pool.len(), 5);
    pool.admit(tx(&alice, 5), &view)
        .expect("alice again, below half full");
    // A restarted node's journal is readmitted whatever the shares: it was acknowledged.
    let restarted = self::pool(20);
    let journal: Vec<Transaction> = (0..15).map(|n| tx(&bob, n)).collect();
    assert!(restarted
        .readmit_batch(journal.clone(), &view)
        .iter()
        .all(Result::is_ok));
    let fresh = self::pool(20);
    assert_eq!(
        fresh
            .admit_batch(journal, &view)
            .iter()
            .filter(|o| o.is_ok())
            .count(),
        10,
        "a new submission is held to the share"
    );
}

/// The next block serves every sender in turn: a sender with one transaction behind another's
/// backlog of earlier arrivals is in the very next block.
#[test]
fn the_next_block_serves_every_sender_in_turn() {
    let (alice, bob, mut view) = setup();
    let carol = SecretKey::from_seed([3; 32]);
    view.members.insert(carol.account());
    view.same_member.insert(carol.account(), alice.account());
    let pool = pool(100);
    for nonce in 0..10 {
        pool.admit(tx(&alice, nonce), &view).expect("alice");
        pool.admit(tx(&carol, nonce), &view).expect("carol");
    }
    pool.admit(tx(&bob, 0), &view).expect("bob, last to arrive");
    let chosen: Vec<(AccountId, u64)> = pool
        .select(2, 1 << 20, &view)
        .iter()
        .map(|t| (t.signer, t.nonce))
        .collect();
    assert_eq!(chosen, vec![(alice.account(), 0), (bob.account(), 0)]);
    // Among one sender's accounts, arrival decides; nonce order holds within each account.
    let all = pool.select(100, 1 << 20, &view);
    assert_eq!(all.len(), 21);
    assert_eq!(all[1].signer, bob.account());
    let carols: Vec<u64> = all
        .iter()
        .filter(|t| t.signer == carol.account())
        .map(|t| t.nonce)
        .collect();
    assert_eq!(carols, (0..10).collect::<Vec<_>>());
}

/// A nonce refused for want of room holds its account's later nonces back (refused early, no
/// signature checked) until it is sent again, so they are never admitted behind a gap that may
/// not close; in one batch as in single submissions; and a mark the chain has passed is gone.
#[test]
fn later_nonces_wait_for_one_refused_for_room() {
    let (alice, bob, view) = setup();
    let pool = pool(20);
    // Bob fills half the pool, then alice holds her share: the pool is contended.
    for nonce in 0..10 {
        pool.admit(tx(&bob, nonce), &view).expect("bob");
    }
    for nonce in 0..5 {
        pool.admit(tx(&alice, nonce), &view).expect("alice");
    }
    assert!(matches!(
        pool.admit(tx(&alice, 5), &view),
        Err(AdmitError::OverShare { .. })
    ));
    let err = pool.admit(tx(&alice, 6), &view).expect_err("behind 5");
    assert!(
        matches!(
            err,
            AdmitError::BehindRefused {
                nonce: 6,
                refused: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_temporary());
    assert!(
        err.to_string().contains("send nonce 5 again first"),
        "{err}"
    );
    let mut view = view;
    view.nonces.insert(bob.account(), 10);
    let bobs: Vec<Transaction> = (0..10).map(|n| tx(&bob, n)).collect();
    pool.remove_committed(&bobs, &view);
    let outcomes = pool.admit_batch((5..9).map(|n| tx(&alice, n)).collect::<Vec<_>>(), &view);
    // Sent again with its successors in one batch (the pool below half full now): all get in.
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    // Over her share again (bob's three make the pool contended): 9 refused, 10 behind it.
    for nonce in 10..13 {
        pool.admit(tx(&bob, nonce), &view).expect("bob again");
    }
    let outcomes = pool.admit_batch(vec![tx(&alice, 9), tx(&alice, 10)], &view);
    assert!(
        matches!(outcomes[0], Err(AdmitError::OverShare { .. })),
        "{outcomes:?}"
    );
    assert!(
        matches!(
            outcomes[1],
            Err(AdmitError::OverShare { .. } | AdmitError::BehindRefused { .. })
        ),
        "{outcomes:?}"
    );
    assert!(matches!(
        pool.admit(tx(&alice, 10), &view),
        Err(AdmitError::BehindRefused { refused: 9, .. })
    ));
    // Once the chain has passed the refused nonce, the mark is forgotten.
    view.nonces.insert(alice.account(), 10);
    let alices: Vec<Transaction> = (0..9).map(|n| tx(&alice, n)).collect();
    pool.remove_committed(&alices, &view);
    pool.admit(tx(&alice, 11), &view)
        .expect("the chain passed 9: 11 waits only for 10, as any gap");
}
