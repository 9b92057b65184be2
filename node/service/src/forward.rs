//! Transaction gossip, a task of its own beside the consensus driver (so that a burst of
//! submissions never delays a vote): the transactions admitted through this node's API are
//! published to its peers at once, and published again while they are still in this node's
//! mempool — soon (every [`RESEND_UNSENT`], doubling) when there was no peer to send them to (a
//! follower just restarted), rarely ([`RESEND_SENT`]) once gossip took them, in case a message
//! was lost. A transaction stops being sent when a block includes it or the pool drops it
//! (`GET /transactions/{hash}` then says why). Sending everything pending again soon would
//! cost each validator a second signature check per transaction under load (12 % of the
//! bench's throughput when tried).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catena_network::{NetworkHandle, Topic};
use catena_primitives::{AccountId, Hash, Transaction};
use parity_scale_codec::Encode;
use tokio::sync::mpsc;

use crate::chain::ChainInstance;
use crate::driver::MAX_GOSSIP_TXS;

/// The first resend of a transaction that found no peer; each later one waits twice as long, up
/// to [`RESEND_SENT`].
pub const RESEND_UNSENT: Duration = Duration::from_secs(2);
/// The wait before a transaction that went out is sent again, if still pending.
pub const RESEND_SENT: Duration = Duration::from_secs(30);
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
        let (hashes, txs): (Vec<(AccountId, Hash)>, Vec<Transaction>) = batch
            .into_iter()
            .map(|(hash, tx)| ((tx.signer, hash), tx))
            .unzip();
        let wait = wait_after(self.publish(&txs).await, RESEND_UNSENT);
        let next_send = Instant::now() + wait;
        for (signer, hash) in hashes {
            self.followed.push_back(Followed {
                signer,
                hash,
                next_send,
                wait,
            });
        }
        while self.followed.len() > MAX_FOLLOWED {
            self.followed.pop_front();
        }
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
        for (i, followed) in self.followed.iter().enumerate() {
            if followed.next_send <= now {
                if let Some(tx) = mempool.get_of(&followed.signer, &followed.hash) {
                    due.push((i, tx));
                }
            }
        }
        if due.is_empty() {
            return;
        }
        tracing::debug!(target: "gossip", resent = due.len(), "sending pending transactions again");
        let mut batch: Vec<(usize, Transaction)> = Vec::new();
        let mut bytes = 0;
        let last = due.len() - 1;
        for (n, (i, tx)) in due.into_iter().enumerate() {
            bytes += tx.encoded_size();
            batch.push((i, tx));
            if n == last || batch.len() == MAX_GOSSIP_TXS || bytes >= self.max_message_bytes / 2 {
                let (indices, txs): (Vec<usize>, Vec<Transaction>) =
                    std::mem::take(&mut batch).into_iter().unzip();
                let sent = self.publish(&txs).await;
                for i in indices {
                    let followed = &mut self.followed[i];
                    // Found no peer again: sooner while the waits are short, from the start
                    // after a long one.
                    let unsent = if followed.wait >= RESEND_SENT {
                        RESEND_UNSENT
                    } else {
                        (followed.wait * 2).min(RESEND_SENT)
                    };
                    followed.wait = wait_after(sent, unsent);
                    followed.next_send = now + followed.wait;
                }
                bytes = 0;
            }
        }
    }

    /// Publishes a batch; whether it went out to a peer.
    async fn publish(&self, txs: &[Transaction]) -> bool {
        self.network
            .publish_checked(Topic::Transactions, txs.encode())
            .await
            .unwrap_or(false)
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

/// How long to wait before sending again: long once the message went out, `unsent` if it found
/// no peer.
fn wait_after(sent: bool, unsent: Duration) -> Duration {
    if sent {
        RESEND_SENT
    } else {
        unsent
    }
}
