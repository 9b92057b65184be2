//! Choosing the next block's transactions from the pool.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use catena_primitives::{AccountId, Transaction};

use crate::{AccountView, DropReason, Mempool, Sender};

impl Mempool {
    /// The transactions to put in the next block: for each account the run of consecutive
    /// nonces from its next nonce; merged across senders in turn — each sender's k-th
    /// transaction before any sender's (k+1)-th, so one sender's backlog never holds another's
    /// transaction out of the next block — and by arrival among equals, within the limits.
    pub fn select(
        &self,
        max_txs: usize,
        max_bytes: usize,
        view: &dyn AccountView,
    ) -> Vec<Transaction> {
        // Each account's ready run, in nonce order, as (arrival, size, tx); one shard at a
        // time, its accounts' next nonces read without holding its lock.
        let mut runs: Vec<Vec<(u64, usize, Arc<Transaction>)>> = Vec::new();
        // Each run's sender, as an index into `taken` (how many of its transactions are chosen).
        let mut run_sender: Vec<usize> = Vec::new();
        let mut senders: HashMap<Sender, usize> = HashMap::new();
        for shard in &self.shards {
            let accounts: Vec<AccountId> = shard.lock().by_account.keys().copied().collect();
            let next_nonces: Vec<(AccountId, u64)> = accounts
                .into_iter()
                .filter_map(|a| view.next_nonce(&a).ok().map(|n| (a, n)))
                .collect();
            let mut shard = shard.lock();
            for (account, next) in next_nonces {
                // Entries below an account's next nonce can never be included (admitted while
                // a block using that nonce was being committed): drop them.
                let gone = shard.drop_below(&account, next);
                self.forget(gone.iter().map(|entry| &entry.sender));
                for entry in &gone {
                    let nonce = entry.tx.nonce;
                    self.record_dropped(entry, DropReason::NonceUsed { nonce });
                }
                let Some(pending) = shard.by_account.get(&account) else {
                    continue;
                };
                let mut run: Vec<_> = (next..)
                    .zip(pending.range(next..))
                    .take_while(|(expected, (nonce, _))| *nonce == expected)
                    .take(max_txs)
                    .map(|(_, (_, entry))| (entry.arrival, entry.size, Arc::clone(&entry.tx)))
                    .collect();
                if let Some(first) = pending.values().next().filter(|_| !run.is_empty()) {
                    run.reverse(); // pop() from the back yields nonce order
                    runs.push(run);
                    let count = senders.len();
                    run_sender.push(*senders.entry(Arc::clone(&first.sender)).or_insert(count));
                }
            }
        }
        // Two levels, each pick O(log n): each sender's runs by the arrival of their heads, and
        // the senders by (how many of theirs are chosen, their earliest head's arrival).
        let mut by_sender: Vec<BinaryHeap<Reverse<(u64, usize)>>> =
            vec![BinaryHeap::new(); senders.len()];
        for (i, run) in runs.iter().enumerate() {
            if let Some(head) = run.last() {
                by_sender[run_sender[i]].push(Reverse((head.0, i)));
            }
        }
        let mut turns: BinaryHeap<Reverse<(usize, u64, usize)>> = by_sender
            .iter()
            .enumerate()
            .filter_map(|(s, heads)| {
                heads
                    .peek()
                    .map(|Reverse((arrival, _))| Reverse((0, *arrival, s)))
            })
            .collect();
        let mut chosen = Vec::new();
        let mut bytes = 0usize;
        while let Some(Reverse((mut taken, _, s))) = turns.pop() {
            if chosen.len() >= max_txs {
                break;
            }
            let Reverse((_, i)) = by_sender[s].pop().expect("a sender in turn has a run");
            let (_, size, tx) = runs[i].pop().expect("a run in the heap is not empty");
            // Over the byte limit, this account's later nonces depend on this one: the whole
            // run is dropped (another account's smaller transaction may still fit).
            if bytes + size <= max_bytes {
                bytes += size;
                chosen.push(Transaction::clone(&tx));
                taken += 1;
                if let Some(next) = runs[i].last() {
                    by_sender[s].push(Reverse((next.0, i)));
                }
            }
            if let Some(Reverse((arrival, _))) = by_sender[s].peek() {
                turns.push(Reverse((taken, *arrival, s)));
            }
        }
        chosen
    }
}
