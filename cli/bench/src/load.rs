//! Submitting the pre-signed transfers (as fast as accepted, or on a schedule at `--rate`;
//! refused ones resent after a back-off with `--resubmit`), watching the first validator's
//! blocks for their commits, and reading every committed transfer's receipt afterwards.

use std::collections::{BTreeMap, HashSet};

use super::*;

/// What the submitters and the watcher share.
#[derive(Default)]
pub(crate) struct Shared {
    /// When each offered transfer's clock starts: its scheduled send at `--rate`, else the
    /// moment it was first sent. Resending does not restart it.
    pub(crate) offered: Mutex<HashMap<Hash, Instant>>,
    /// Transfers a validator admitted.
    pub(crate) admitted: Mutex<HashSet<Hash>>,
    /// When the watcher saw each transaction in a committed block.
    pub(crate) committed: Mutex<HashMap<Hash, Instant>>,
    /// Refused submissions by error code (a resent transfer counts once per refusal).
    pub(crate) refusals: Mutex<HashMap<String, u64>>,
    /// Submissions of a transfer after its first.
    pub(crate) resubmissions: AtomicU64,
    /// The first and the last moment a transfer was sent for the first time.
    pub(crate) first_sends: Mutex<Option<(Instant, Instant)>>,
    pub(crate) stop: AtomicBool,
}

impl Shared {
    pub(crate) fn refused_submissions(&self) -> u64 {
        self.refusals.lock().expect("lock").values().sum()
    }
}

/// How a submitter offers its transfers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pace {
    /// Transfers per second; 0 sends each batch as soon as the last was answered.
    pub(crate) rate: f64,
    /// Resend refused transfers after a back-off, as an integrator would.
    pub(crate) resubmit: bool,
}

/// Refusals worth resending: the node was busy or behind, or an earlier nonce of the same
/// account had not been admitted yet. Anything else would be refused again.
fn retryable(code: &str) -> bool {
    matches!(
        code,
        "mempool_full"
            | "over_share"
            | "behind_refused"
            | "syncing"
            | "not_durable"
            | "nonce_too_high"
            | "rate_limited"
            | "unreachable"
    )
}

/// The wait before resending after `attempt` refusals: 100 ms doubling, at most 3.2 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 << attempt.min(5))
}

/// Each submission's outcome: admitted, or refused with this error code.
pub(crate) type Outcomes = Vec<Result<(), String>>;

/// POSTs one batch to a validator; each transaction's outcome (the whole batch's error for
/// each when the request as a whole was refused or not answered).
pub(crate) fn post_outcomes(client: &ApiClient, txs: &[&Transaction]) -> Outcomes {
    match post_batch(client, txs.iter().copied()) {
        Ok(response) => response
            .results
            .iter()
            .map(|outcome| match (outcome.hash, &outcome.error) {
                (Some(_), _) => Ok(()),
                (None, Some(e)) => Err(e.code.clone()),
                (None, None) => Err("unknown".into()),
            })
            .collect(),
        Err(e) => {
            let code = match e.downcast_ref::<NodeError>() {
                Some(NodeError::Answered { code, .. }) => code.clone(),
                Some(NodeError::Unreachable { .. }) | None => "unreachable".into(),
            };
            vec![Err(code); txs.len()]
        }
    }
}

/// A refused transfer waiting to be resent.
struct Retry {
    attempt: u32,
    due: Instant,
}

/// One submitter: offers its transfers in batches through `post` (refused ones again after a
/// back-off when the pace says so) until all are admitted or refused for good, or `stop`.
pub(crate) fn submit_all(
    txs: Vec<Transaction>,
    pace: Pace,
    shared: &Shared,
    mut post: impl FnMut(&[&Transaction]) -> Outcomes,
) {
    let hashes: Vec<Hash> = txs.iter().map(Transaction::hash).collect();
    // Small batches at a set rate keep the offered load smooth.
    let batch = if pace.rate > 0.0 {
        ((pace.rate / 50.0).ceil() as usize).clamp(1, BATCH)
    } else {
        BATCH
    };
    let started = Instant::now();
    let scheduled = |i: usize| started + Duration::from_secs_f64(i as f64 / pace.rate);
    let mut next = 0usize;
    // By position, so that an account's refused nonces are resent in order.
    let mut retries: BTreeMap<usize, Retry> = BTreeMap::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let due: Vec<usize> = retries
            .iter()
            .filter(|(_, r)| r.due <= now)
            .map(|(i, _)| *i)
            .take(BATCH)
            .collect();
        let end = (next + batch.min(BATCH - due.len())).min(txs.len());
        // At a rate, a batch goes when its last transfer is due: its first ones waited.
        let fresh_ready = end > next && (pace.rate <= 0.0 || scheduled(end - 1) <= now);
        if due.is_empty() && !fresh_ready {
            if next == txs.len() && retries.is_empty() {
                break;
            }
            let mut wake = now + Duration::from_millis(50);
            if end > next {
                wake = wake.min(scheduled(end - 1));
            }
            if let Some(retry) = retries.values().map(|r| r.due).min() {
                wake = wake.min(retry);
            }
            std::thread::sleep(wake.saturating_duration_since(now));
            continue;
        }
        let mut sending: Vec<(usize, u32)> = due
            .iter()
            .map(|i| (*i, retries.remove(i).map_or(0, |r| r.attempt)))
            .collect();
        shared
            .resubmissions
            .fetch_add(sending.len() as u64, Ordering::Relaxed);
        if fresh_ready {
            let mut offered = shared.offered.lock().expect("lock");
            for (i, hash) in hashes.iter().enumerate().take(end).skip(next) {
                let clock = if pace.rate > 0.0 { scheduled(i) } else { now };
                offered.insert(*hash, clock);
                sending.push((i, 0));
            }
            let mut sends = shared.first_sends.lock().expect("lock");
            let first = sends.map_or(offered[&hashes[next]], |(first, _)| first);
            *sends = Some((first, now));
            next = end;
        }
        let batch_txs: Vec<&Transaction> = sending.iter().map(|(i, _)| &txs[*i]).collect();
        let outcomes = post(&batch_txs);
        let answered = Instant::now();
        for ((i, attempt), outcome) in sending.into_iter().zip(outcomes) {
            match outcome {
                Ok(()) => {
                    shared.admitted.lock().expect("lock").insert(hashes[i]);
                }
                // An earlier attempt whose answer was lost was admitted after all.
                Err(code) if code == "already_pending" => {
                    shared.admitted.lock().expect("lock").insert(hashes[i]);
                }
                Err(code) => {
                    if pace.resubmit && retryable(&code) {
                        let due = answered + backoff(attempt);
                        retries.insert(
                            i,
                            Retry {
                                attempt: attempt + 1,
                                due,
                            },
                        );
                    }
                    *shared
                        .refusals
                        .lock()
                        .expect("lock")
                        .entry(code)
                        .or_default() += 1;
                }
            }
        }
    }
}

/// A committed block as the watcher saw it.
pub(crate) struct SeenBlock {
    pub(crate) height: u64,
    pub(crate) time_ms: u64,
    pub(crate) txs: usize,
}

/// Follows the first validator's blocks, noting when each transaction was seen committed.
pub(crate) fn watch(client: ApiClient, from_height: u64, shared: Arc<Shared>) -> Vec<SeenBlock> {
    let mut next = from_height + 1;
    let mut blocks = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let tip = client.status().map(|s| s.height).unwrap_or(0);
        if tip < next {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        while next <= tip {
            let Ok(value) = client.get(&format!("/blocks/{next}")) else {
                break;
            };
            let Ok(block) = serde_json::from_value::<BlockView>(value) else {
                break;
            };
            let now = Instant::now();
            let mut committed = shared.committed.lock().expect("lock");
            for hash in &block.transactions {
                committed.entry(*hash).or_insert(now);
            }
            blocks.push(SeenBlock {
                height: next,
                time_ms: block.time_ms,
                txs: block.transactions.len(),
            });
            next += 1;
        }
    }
    blocks
}

/// What the receipts of the committed transfers say, read after the measurement (so that the
/// reading does not load the validator while it is measured).
#[derive(Default)]
pub(crate) struct Receipts {
    /// Whether each committed transfer's call succeeded.
    pub(crate) success: HashMap<Hash, bool>,
    /// The failed calls by the chain's reason.
    pub(crate) failures: HashMap<String, u64>,
}

/// Reads the receipts of the offered transfers in the blocks the watcher saw.
pub(crate) fn read_receipts(
    client: &ApiClient,
    blocks: &[SeenBlock],
    offered: &HashMap<Hash, Instant>,
) -> anyhow::Result<Receipts> {
    let page = catena_api::MAX_PAGE as usize;
    let mut receipts = Receipts::default();
    for block in blocks.iter().filter(|b| b.txs > 0) {
        for offset in (0..block.txs).step_by(page) {
            let path = format!(
                "/blocks/{}/transactions?offset={offset}&limit={page}",
                block.height
            );
            let views: Vec<catena_api::TransactionView> =
                serde_json::from_value(client.get(&path)?)
                    .with_context(|| format!("the node answered {path} with something else"))?;
            for view in views.into_iter().filter(|v| offered.contains_key(&v.hash)) {
                let receipt = view
                    .receipt
                    .with_context(|| format!("committed transfer {} has no receipt", view.hash))?;
                if !receipt.success {
                    let reason = receipt.error.unwrap_or_else(|| "no reason given".into());
                    *receipts.failures.entry(reason).or_default() += 1;
                }
                receipts.success.insert(view.hash, receipt.success);
            }
        }
    }
    Ok(receipts)
}
