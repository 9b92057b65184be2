//! A steady transaction load for fault tests: one transaction in flight per signer, sent to the
//! live nodes in turn, re-sent to another node if it is not committed within a few seconds
//! (the node it went to may have died with it). A transaction counts as *acknowledged* once a
//! node's API reports it committed; the test then checks every acknowledged one on every live
//! node.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use catena_primitives::{Call, SecretKey, Transaction};

use crate::node::{api_handle, TestNode};

/// How long a submitted transaction may stay uncommitted before it is sent again elsewhere.
const RESEND_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Load {
    stop: Arc<AtomicBool>,
    targets: Arc<Mutex<Vec<String>>>,
    worker: Option<JoinHandle<Vec<(String, u64)>>>,
}

struct InFlight {
    tx: Transaction,
    sent_at: Instant,
}

impl Load {
    /// Starts sending remarks signed by `signers` to the nodes at `apis`.
    pub fn start(chain_id: &str, apis: Vec<String>, signers: Vec<SecretKey>) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let targets = Arc::new(Mutex::new(apis));
        let chain_id = chain_id.to_string();
        let worker = {
            let stop = Arc::clone(&stop);
            let targets = Arc::clone(&targets);
            std::thread::spawn(move || run(&chain_id, &signers, &targets, &stop))
        };
        Load {
            stop,
            targets,
            worker: Some(worker),
        }
    }

    /// Sends only to these nodes from now on (the others are down or paused).
    pub fn set_targets(&self, apis: Vec<String>) {
        *self.targets.lock().expect("targets") = apis;
    }

    /// Stops sending and returns every acknowledged transaction: (hash, block height).
    pub fn finish(mut self) -> Vec<(String, u64)> {
        self.stop.store(true, Ordering::Relaxed);
        self.worker
            .take()
            .expect("running")
            .join()
            .expect("load thread")
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn node(api: &str) -> TestNode {
    api_handle(api.to_string())
}

fn run(
    chain_id: &str,
    signers: &[SecretKey],
    targets: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) -> Vec<(String, u64)> {
    let mut acknowledged = Vec::new();
    let mut in_flight: Vec<Option<InFlight>> = signers.iter().map(|_| None).collect();
    let mut nonces: Vec<Option<u64>> = signers.iter().map(|_| None).collect();
    let mut turn = 0usize;
    let mut count = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for (i, key) in signers.iter().enumerate() {
            let apis = targets.lock().expect("targets").clone();
            if apis.is_empty() {
                break;
            }
            turn += 1;
            let target = node(&apis[turn % apis.len()]);
            match &in_flight[i] {
                None => {
                    let nonce = match nonces[i] {
                        Some(n) => n,
                        None => match target.get(&format!("/accounts/{}", key.account())) {
                            Some(r) if r.status == 200 => {
                                r.body["next_nonce"].as_u64().expect("nonce")
                            }
                            _ => continue,
                        },
                    };
                    nonces[i] = Some(nonce);
                    count += 1;
                    let note = format!("load {count}");
                    let tx = Transaction::signed(chain_id, nonce, Call::Remark(note.into()), key);
                    let _ = super::submit_quietly(&target, &tx);
                    in_flight[i] = Some(InFlight {
                        tx,
                        sent_at: Instant::now(),
                    });
                }
                Some(flight) => {
                    let hash = flight.tx.hash().to_string();
                    let status = target.get(&format!("/transactions/{hash}"));
                    if let Some(r) = status.filter(|r| r.body["status"] == "committed") {
                        let height = r.body["block_height"].as_u64().expect("height");
                        acknowledged.push((hash, height));
                        nonces[i] = nonces[i].map(|n| n + 1);
                        in_flight[i] = None;
                    } else if flight.sent_at.elapsed() > RESEND_AFTER {
                        let _ = super::submit_quietly(&target, &flight.tx);
                        in_flight[i] = Some(InFlight {
                            tx: flight.tx.clone(),
                            sent_at: Instant::now(),
                        });
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    acknowledged
}
