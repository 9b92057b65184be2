//! Submitting the pre-signed transfers (as fast as accepted, or at a rate) and watching the first validator's blocks for their commits.

use super::*;

/// What the submitters and the watcher share.
#[derive(Default)]
pub(crate) struct Shared {
    /// Submission time of each admitted transaction.
    pub(crate) submitted: Mutex<HashMap<Hash, Instant>>,
    /// Commit time seen for each.
    pub(crate) committed: Mutex<HashMap<Hash, Instant>>,
    pub(crate) refused: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) refusals: Mutex<HashMap<String, u64>>,
    pub(crate) stop: AtomicBool,
}

/// One submitter: sends its transactions in batches to its validator, paced at `rate` per
/// second (0: back to back).
pub(crate) fn submit_all(client: ApiClient, txs: Vec<Transaction>, rate: f64, shared: Arc<Shared>) {
    // Small batches at a set rate keep the offered load smooth.
    let batch = if rate > 0.0 {
        ((rate / 50.0).ceil() as usize).clamp(1, BATCH)
    } else {
        BATCH
    };
    let started = Instant::now();
    let mut sent = 0usize;
    for chunk in txs.chunks(batch) {
        if rate > 0.0 {
            let due = started + Duration::from_secs_f64(sent as f64 / rate);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        sent += chunk.len();
        let at = Instant::now();
        match post_batch(&client, chunk) {
            Ok(response) => {
                let mut submitted = shared.submitted.lock().expect("lock");
                for outcome in &response.results {
                    match outcome.hash {
                        Some(hash) => {
                            submitted.insert(hash, at);
                            shared.accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {
                            shared.refused.fetch_add(1, Ordering::Relaxed);
                            let code = outcome
                                .error
                                .as_ref()
                                .map_or("unknown".to_string(), |e| e.code.clone());
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
            Err(e) => {
                shared
                    .refused
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                let code = if e.to_string().contains("mempool_full") {
                    "mempool_full".to_string()
                } else {
                    format!("batch refused: {e}")
                };
                *shared
                    .refusals
                    .lock()
                    .expect("lock")
                    .entry(code)
                    .or_default() += chunk.len() as u64;
            }
        }
    }
}

/// A committed block as the watcher saw it.
pub(crate) struct SeenBlock {
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
                time_ms: block.time_ms,
                txs: block.transactions.len(),
            });
            next += 1;
        }
    }
    blocks
}
