//! Work the driver hands off its own task (admitting a gossiped batch of transactions, serving
//! a block-sync request), bounded: at most so many jobs waiting or running, so many bytes of
//! their input, so many per peer, and a fixed number running at once. A job that does not fit
//! is refused on arrival, before anything is spent on it (the caller sheds the message and
//! counts it): a peer flooding this node queues neither unbounded tasks nor unbounded bytes, and
//! cannot take every slot from the others.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use catena_network::Peer as PeerId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bounds of one [`Gate`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// Jobs waiting or running, at most.
    pub jobs: usize,
    /// Bytes of their inputs, at most.
    pub bytes: usize,
    /// Jobs of one peer waiting or running, at most.
    pub per_peer: usize,
    /// Jobs running at once (each on a blocking thread).
    pub workers: usize,
}

/// Gossiped transaction batches: a few seconds of a busy chain's batches may wait.
pub(crate) const TRANSACTIONS: Bounds = Bounds {
    jobs: 256,
    bytes: 64 << 20,
    per_peer: 64,
    workers: 2,
};

/// Block-sync requests: each reads and encodes up to a response's worth of blocks, so few run,
/// and one peer asking in a loop holds at most two of them.
pub(crate) const SYNC: Bounds = Bounds {
    jobs: 8,
    bytes: 1 << 20,
    per_peer: 2,
    workers: 2,
};

#[derive(Debug)]
pub(crate) struct Gate {
    jobs: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    workers: Arc<Semaphore>,
    per_peer: Arc<Mutex<BTreeMap<PeerId, usize>>>,
    max_per_peer: usize,
}

/// A job let through the gate; what it holds is given back when it is dropped.
#[derive(Debug)]
pub(crate) struct Ticket {
    _job: OwnedSemaphorePermit,
    _bytes: OwnedSemaphorePermit,
    workers: Arc<Semaphore>,
    peer: PeerId,
    per_peer: Arc<Mutex<BTreeMap<PeerId, usize>>>,
}

impl Gate {
    pub(crate) fn new(bounds: Bounds) -> Gate {
        Gate {
            jobs: Arc::new(Semaphore::new(bounds.jobs)),
            bytes: Arc::new(Semaphore::new(bounds.bytes)),
            workers: Arc::new(Semaphore::new(bounds.workers)),
            per_peer: Arc::default(),
            max_per_peer: bounds.per_peer,
        }
    }

    /// Lets a job of `bytes` from `peer` through, or refuses it (`None`) when it does not fit.
    pub(crate) fn admit(&self, peer: PeerId, bytes: usize) -> Option<Ticket> {
        let mut per_peer = self.per_peer.lock().unwrap_or_else(|e| e.into_inner());
        let held = per_peer.get(&peer).copied().unwrap_or(0);
        if held >= self.max_per_peer {
            return None;
        }
        let weight = u32::try_from(bytes.max(1)).ok()?;
        let job = Arc::clone(&self.jobs).try_acquire_owned().ok()?;
        let bytes = Arc::clone(&self.bytes)
            .try_acquire_many_owned(weight)
            .ok()?;
        per_peer.insert(peer, held + 1);
        Some(Ticket {
            _job: job,
            _bytes: bytes,
            workers: Arc::clone(&self.workers),
            peer,
            per_peer: Arc::clone(&self.per_peer),
        })
    }
}

impl Ticket {
    /// Runs `work` on a blocking thread once a worker is free; `None` if it panicked.
    pub(crate) async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _worker = Arc::clone(&self.workers).acquire_owned().await.ok()?;
        let done = tokio::task::spawn_blocking(work).await.ok();
        drop(self);
        done
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut per_peer = self.per_peer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = per_peer.get_mut(&self.peer) {
            *held -= 1;
            if *held == 0 {
                per_peer.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Bounds = Bounds {
        jobs: 4,
        bytes: 100,
        per_peer: 2,
        workers: 1,
    };

    #[test]
    fn jobs_past_any_bound_are_refused_and_room_comes_back_when_they_end() {
        let gate = Gate::new(SMALL);
        let (a, b, c) = (PeerId::random(), PeerId::random(), PeerId::random());
        let first = gate.admit(a, 10).expect("room");
        let _second = gate.admit(a, 10).expect("room");
        assert!(gate.admit(a, 10).is_none(), "a third job of one peer");
        let _third = gate.admit(b, 10).expect("another peer");
        assert!(gate.admit(c, 71).is_none(), "past the byte bound");
        let _fourth = gate.admit(c, 70).expect("exactly at the byte bound");
        assert!(gate.admit(c, 0).is_none(), "past the job bound");
        drop(first);
        assert!(gate.admit(a, 0).is_some(), "the peer's slot and a job back");
        assert!(gate.admit(c, 1_000).is_none(), "more than the gate holds");
    }

    #[tokio::test]
    async fn at_most_the_workers_run_at_once() {
        let gate = Gate::new(Bounds {
            workers: 2,
            per_peer: 16,
            jobs: 16,
            ..SMALL
        });
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut jobs = Vec::new();
        for _ in 0..8 {
            let ticket = gate.admit(PeerId::random(), 1).expect("room");
            let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
            jobs.push(tokio::spawn(ticket.run(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                peak.fetch_max(now, SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, SeqCst);
            })));
        }
        for job in jobs {
            assert_eq!(job.await.expect("joined"), Some(()));
        }
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
