//! A load that counts a transaction as *acknowledged* the moment a node answers its submission
//! 202, and never sends it again after that: whatever becomes of it is the chain's doing. A
//! fault test then checks that every acknowledged transaction was committed (TEST-PLAN check
//! 5; ADR 0032: acknowledged means durable).
//!
//! Each signer keeps a few transactions in flight with consecutive nonces, sent to the live
//! nodes in turn; one not answered 202 (its node is down, say) is sent to the next node.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use catena_primitives::{Call, SecretKey, Transaction};

use crate::node::{api_handle, submit_quietly};

/// Transactions a signer has acknowledged and not yet seen committed, at most.
const WINDOW: usize = 16;

/// What the load did.
#[derive(Debug, Default)]
pub struct AckedReport {
    /// Every transaction answered 202, by hash.
    pub acknowledged: Vec<String>,
    /// Submissions not answered 202 (the node was down or refused it) and sent again.
    pub retried: u64,
    /// For each acknowledged transaction seen committed by the load, the time from its 202 to
    /// the load seeing it committed (an over-estimate by at most one polling round).
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
}

#[derive(Debug)]
pub struct AckedLoad {
    stop: Arc<AtomicBool>,
    targets: Arc<Mutex<Vec<String>>>,
    rate: Arc<AtomicU32>,
    worker: Option<JoinHandle<AckedReport>>,
}

impl AckedLoad {
    /// Starts sending remarks signed by `signers` to the nodes at `apis`, at most `per_second`
    /// submissions a second in all.
    pub fn start(
        chain_id: &str,
        apis: Vec<String>,
        signers: Vec<SecretKey>,
        per_second: u32,
    ) -> AckedLoad {
        let stop = Arc::new(AtomicBool::new(false));
        let targets = Arc::new(Mutex::new(apis));
        let rate = Arc::new(AtomicU32::new(per_second));
        let chain_id = chain_id.to_string();
        let worker = {
            let stop = Arc::clone(&stop);
            let targets = Arc::clone(&targets);
            let rate = Arc::clone(&rate);
            std::thread::spawn(move || run(&chain_id, &signers, &targets, &stop, &rate))
        };
        AckedLoad {
            stop,
            targets,
            rate,
            worker: Some(worker),
        }
    }

    /// Sends at most `per_second` submissions a second from now on.
    pub fn set_rate(&self, per_second: u32) {
        self.rate.store(per_second, Ordering::Relaxed);
    }

    /// Sends only to these nodes from now on.
    pub fn set_targets(&self, apis: Vec<String>) {
        *self.targets.lock().expect("targets") = apis;
    }

    /// How many transactions were acknowledged so far is only known at the end: stops and
    /// reports.
    pub fn finish(mut self) -> AckedReport {
        self.stop.store(true, Ordering::Relaxed);
        self.worker
            .take()
            .expect("running")
            .join()
            .expect("load thread")
    }
}

impl Drop for AckedLoad {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One signer's state.
struct Sender {
    next_nonce: Option<u64>,
    /// Signed, not yet answered 202 by any node.
    unsent: Option<Transaction>,
    /// Answered 202 (with when), or known to a node without a 202 to this load (no time),
    /// not yet seen committed.
    acknowledged: VecDeque<(String, Option<Instant>)>,
}

fn run(
    chain_id: &str,
    signers: &[SecretKey],
    targets: &Mutex<Vec<String>>,
    stop: &AtomicBool,
    rate: &AtomicU32,
) -> AckedReport {
    let started = Instant::now();
    let mut report = AckedReport::default();
    let mut senders: Vec<Sender> = signers
        .iter()
        .map(|_| Sender {
            next_nonce: None,
            unsent: None,
            acknowledged: VecDeque::new(),
        })
        .collect();
    let mut turn = 0usize;
    let mut count = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for (sender, key) in senders.iter_mut().zip(signers) {
            let apis = targets.lock().expect("targets").clone();
            if apis.is_empty() {
                break;
            }
            turn += 1;
            let target = api_handle(apis[turn % apis.len()].clone());
            // Forget what is committed; a window full of acknowledged ones waits.
            while let Some((hash, acked_at)) = sender.acknowledged.front() {
                match target.get(&format!("/transactions/{hash}")) {
                    Some(r) if r.body["status"] == "committed" => {
                        if let Some(at) = acked_at {
                            report.latencies.push(at.elapsed());
                        }
                        sender.acknowledged.pop_front();
                    }
                    _ => break,
                }
            }
            if sender.acknowledged.len() >= WINDOW {
                continue;
            }
            let tx = match sender.unsent.take() {
                Some(tx) => tx,
                None => {
                    let nonce = match sender.next_nonce {
                        Some(n) => n,
                        None => match target.get(&format!("/accounts/{}", key.account())) {
                            Some(r) if r.status == 200 => {
                                r.body["next_nonce"].as_u64().expect("nonce")
                            }
                            _ => continue,
                        },
                    };
                    sender.next_nonce = Some(nonce + 1);
                    count += 1;
                    let note = format!("acked load {count}");
                    Transaction::signed(chain_id, nonce, Call::Remark(note.into()), key)
                }
            };
            match submit_quietly(&target, &tx) {
                Some(reply) if reply.status == 202 => {
                    let hash = tx.hash().to_string();
                    report.acknowledged.push(hash.clone());
                    sender.acknowledged.push_back((hash, Some(Instant::now())));
                }
                reply => {
                    report.retried += 1;
                    // Refused because a node already holds it (an earlier submission whose
                    // answer was lost, then gossiped): in flight, though never answered 202.
                    let hash = tx.hash().to_string();
                    let known = reply.is_some_and(|r| (400..500).contains(&r.status))
                        && target
                            .get(&format!("/transactions/{hash}"))
                            .is_some_and(|r| {
                                r.body["status"] == "pending" || r.body["status"] == "committed"
                            });
                    if known {
                        sender.acknowledged.push_back((hash, None));
                    } else {
                        sender.unsent = Some(tx);
                    }
                }
            }
            std::thread::sleep(Duration::from_secs(1) / rate.load(Ordering::Relaxed).max(1));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    report.elapsed = started.elapsed();
    report
}
