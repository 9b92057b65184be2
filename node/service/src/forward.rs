//! Transaction gossip, a task of its own beside the consensus driver (so that a burst of
//! submissions never delays a vote): the transactions admitted through this node's API are
//! published to its peers at once, and published again, at growing intervals, while they are
//! still in this node's mempool — a node that had no peer at that moment (a follower just
//! restarted), or a message lost, does not lose them. A transaction stops being sent when a
//! block includes it or the pool drops it (`GET /transactions/{hash}` then says why).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catena_network::{NetworkHandle, Topic};
use catena_primitives::{AccountId, Hash, Transaction};
use parity_scale_codec::Encode;
use tokio::sync::mpsc;

use crate::chain::ChainInstance;
use crate::driver::MAX_GOSSIP_TXS;

/// The first resend of a transaction still pending; each later one waits twice as long, up to
/// [`RESEND_AT_MOST`].
pub const RESEND_FIRST: Duration = Duration::from_secs(2);
pub const RESEND_AT_MOST: Duration = Duration::from_secs(30);
/// How many pending transactions are followed for resending (the oldest are let go first; they
/// stay in the mempool).
pub const MAX_FOLLOWED: usize = 50_000;
const TICK: Duration = Duration::from_millis(500);

/// A transaction admitted here, followed until it leaves the mempool.
#[derive(Debug)]
struct Followed {
    signer: AccountId,
    hash: Hash,
    next_send: Instant,
    wait: Duration,
}

struct Forwarder {
    chain: Arc<ChainInstance>,
    network: NetworkHandle,
    max_message_bytes: usize,
    followed: VecDeque<Followed>,
}

/// Runs until the channel of admitted transactions closes.
pub async fn run(
    chain: Arc<ChainInstance>,
    network: NetworkHandle,
    mut admitted: mpsc::UnboundedReceiver<(Hash, Transaction)>,
    max_message_bytes: usize,
) {
    let mut forwarder = Forwarder {
        chain,
        network,
        max_message_bytes,
        followed: VecDeque::new(),
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            first = admitted.recv() => match first {
                Some(first) => forwarder.send_new(first, &mut admitted).await,
                None => return,
            },
            _ = tick.tick() => forwarder.resend_due().await,
        }
    }
}

impl Forwarder {
    /// Publishes `first` and whatever else is waiting, in one message, and follows them.
    async fn send_new(
        &mut self,
        first: (Hash, Transaction),
        rest: &mut mpsc::UnboundedReceiver<(Hash, Transaction)>,
    ) {
        let mut bytes = first.1.encoded_size();
        let mut batch = vec![first];
        while batch.len() < MAX_GOSSIP_TXS && bytes < self.max_message_bytes / 2 {
            let Ok(next) = rest.try_recv() else { break };
            bytes += next.1.encoded_size();
            batch.push(next);
        }
        let next_send = Instant::now() + RESEND_FIRST;
        for (hash, tx) in &batch {
            self.followed.push_back(Followed {
                signer: tx.signer,
                hash: *hash,
                next_send,
                wait: RESEND_FIRST,
            });
        }
        while self.followed.len() > MAX_FOLLOWED {
            self.followed.pop_front();
        }
        let txs: Vec<Transaction> = batch.into_iter().map(|(_, tx)| tx).collect();
        self.publish(&txs).await;
        self.report();
    }

    /// Forgets what left the mempool; sends again what is due, if a peer is connected.
    async fn resend_due(&mut self) {
        let mempool = self.chain.mempool();
        self.followed
            .retain(|f| mempool.contains(&f.signer, &f.hash));
        self.report();
        if self.chain.metrics().peers.get() <= 0 {
            return;
        }
        let now = Instant::now();
        let mut due = Vec::new();
        for followed in self.followed.iter_mut().filter(|f| f.next_send <= now) {
            let Some(tx) = mempool.get(&followed.hash) else {
                continue;
            };
            followed.wait = (followed.wait * 2).min(RESEND_AT_MOST);
            followed.next_send = now + followed.wait;
            due.push(tx);
        }
        if due.is_empty() {
            return;
        }
        tracing::debug!(target: "gossip", resent = due.len(), "sending pending transactions again");
        let mut batch = Vec::new();
        let mut bytes = 0;
        for tx in due {
            bytes += tx.encoded_size();
            batch.push(tx);
            if batch.len() == MAX_GOSSIP_TXS || bytes >= self.max_message_bytes / 2 {
                self.publish(&std::mem::take(&mut batch)).await;
                bytes = 0;
            }
        }
        if !batch.is_empty() {
            self.publish(&batch).await;
        }
    }

    async fn publish(&self, txs: &[Transaction]) {
        let _ = self
            .network
            .publish(Topic::Transactions, txs.encode())
            .await;
    }

    fn report(&self) {
        let waiting = self.followed.len();
        self.chain.following().set_forwarding(waiting);
        self.chain
            .metrics()
            .transactions_forwarding
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }
}
