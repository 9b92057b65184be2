//! The submitter against a node simulated in memory (admission by nonce, a busy pool), and
//! the report's arithmetic. The whole bench runs against real nodes in tests/bench.rs.

use super::*;

/// `per_account` transfers from each of `accounts` accounts, round robin as the bench sends
/// them.
fn transfers(accounts: u32, per_account: u64) -> Vec<Transaction> {
    let lists = (0..accounts)
        .map(|a| {
            (0..per_account)
                .map(|nonce| {
                    let transfer = CashTransfer {
                        to: "91320500MA1MX0002X".into(),
                        amount: 1,
                        custodian: None,
                    };
                    Transaction::signed(
                        "bench-test",
                        nonce,
                        call(cash_method::TRANSFER, transfer),
                        &sender_key(a),
                    )
                })
                .collect()
        })
        .collect();
    round_robin(lists)
}

/// A node in memory: admits an account's next nonce, refuses a later one (`nonce_too_high`),
/// and refuses every transaction of its `busy`-th batch (`mempool_full`).
struct Node {
    next: HashMap<catena_primitives::AccountId, u64>,
    batches: usize,
    busy: usize,
    admitted: Vec<(catena_primitives::AccountId, u64)>,
}

impl Node {
    fn new(busy: usize) -> Node {
        Node {
            next: HashMap::new(),
            batches: 0,
            busy,
            admitted: Vec::new(),
        }
    }

    fn post(&mut self, batch: &[&Transaction]) -> Outcomes {
        self.batches += 1;
        if self.batches == self.busy {
            return vec![Err("mempool_full".into()); batch.len()];
        }
        batch
            .iter()
            .map(|tx| {
                let next = self.next.entry(tx.signer).or_default();
                match tx.nonce.cmp(next) {
                    std::cmp::Ordering::Equal => {
                        *next += 1;
                        self.admitted.push((tx.signer, tx.nonce));
                        Ok(())
                    }
                    std::cmp::Ordering::Greater => Err("nonce_too_high".into()),
                    std::cmp::Ordering::Less => Err("nonce_used".into()),
                }
            })
            .collect()
    }
}

#[test]
fn without_resubmission_a_refused_transfer_strands_its_successors_and_is_counted() {
    let txs = transfers(4, 300);
    let shared = Shared::default();
    let mut node = Node::new(2);
    let pace = Pace {
        rate: 0.0,
        resubmit: false,
    };
    submit_all(txs, pace, &shared, |batch| node.post(batch));
    let admitted = shared.admitted.lock().expect("lock").len();
    // The first batch (500) is admitted, the second refused as busy; what follows has a gap.
    assert_eq!(admitted, 500);
    assert_eq!(shared.offered.lock().expect("lock").len(), 1200);
    let refusals = shared.refusals.lock().expect("lock").clone();
    assert_eq!(refusals["mempool_full"], 500, "{refusals:?}");
    assert_eq!(refusals["nonce_too_high"], 200, "{refusals:?}");
    assert_eq!(shared.resubmissions.load(Ordering::Relaxed), 0);
}

#[test]
fn resubmission_gets_every_transfer_admitted_in_nonce_order() {
    let txs = transfers(4, 300);
    let shared = Shared::default();
    let mut node = Node::new(2);
    let pace = Pace {
        rate: 0.0,
        resubmit: true,
    };
    submit_all(txs, pace, &shared, |batch| node.post(batch));
    assert_eq!(shared.admitted.lock().expect("lock").len(), 1200);
    // The busy batch's 500 once, and the 200 refused behind them once.
    assert_eq!(shared.resubmissions.load(Ordering::Relaxed), 700);
    // Each account's nonces were admitted in order, each once.
    let mut per_account: HashMap<_, Vec<u64>> = HashMap::new();
    for (account, nonce) in &node.admitted {
        per_account.entry(*account).or_default().push(*nonce);
    }
    assert_eq!(per_account.len(), 4);
    for nonces in per_account.values() {
        assert_eq!(*nonces, (0..300).collect::<Vec<u64>>());
    }
    // A resent transfer's clock still starts at its first send.
    assert_eq!(shared.offered.lock().expect("lock").len(), 1200);
}

#[test]
fn at_a_rate_each_transfer_is_timed_from_its_scheduled_send() {
    let txs = transfers(2, 10);
    let hashes: Vec<Hash> = txs.iter().map(Transaction::hash).collect();
    let shared = Shared::default();
    let pace = Pace {
        rate: 200.0,
        resubmit: false,
    };
    // A node that takes 30 ms to answer each batch of 4: the sends fall behind the schedule.
    submit_all(txs, pace, &shared, |batch| {
        std::thread::sleep(Duration::from_millis(30));
        vec![Ok(()); batch.len()]
    });
    let offered = shared.offered.lock().expect("lock");
    let first = offered[&hashes[0]];
    for (i, hash) in hashes.iter().enumerate() {
        let since = offered[hash].duration_since(first);
        let expected = Duration::from_secs_f64(i as f64 / 200.0);
        assert!(
            since.abs_diff(expected) < Duration::from_micros(10),
            "transfer {i}: clock {since:?} after the first, scheduled {expected:?}"
        );
    }
    // The sends took longer than the schedule: the achieved rate says so.
    let (first_send, last_send) = shared.first_sends.lock().expect("lock").expect("sent");
    assert_eq!(first_send, first);
    assert!(last_send.duration_since(first) > Duration::from_millis(90));
}

#[test]
fn a_transfer_that_never_finalized_lies_beyond_every_percentile() {
    let at = Instant::now();
    let mut offered = HashMap::new();
    let mut committed = HashMap::new();
    let mut success = HashMap::new();
    for i in 0..4u8 {
        let hash = Hash::digest(&[i]);
        offered.insert(hash, at);
        // 0 and 1 succeed after 10 and 20 ms; 2 failed on chain; 3 never committed.
        if i < 3 {
            committed.insert(hash, at + Duration::from_millis(10 * (u64::from(i) + 1)));
            success.insert(hash, i < 2);
        }
    }
    let sorted = latencies(&offered, &committed, &success);
    assert_eq!(sorted.iter().filter(|l| l.is_finite()).count(), 2);
    assert_eq!(percentile(&sorted, 0.0), 10.0);
    assert_eq!(percentile(&sorted, 99.0), f64::INFINITY);
    assert_eq!(
        figure(percentile(&sorted, 99.0), 1),
        serde_json::Value::Null
    );
    assert_eq!(figure(percentile(&sorted, 25.0), 1), json!(20.0));
}
