//! Admission: the cheap checks of a transaction (room, chain id and size, membership, nonce
//! window, the sender's share, a nonce refused for want of room before it), its signature (a
//! batch's in one check), and its place in the pool.

use super::*;

impl Mempool {
    /// Checks `tx` and adds it to the pool; returns its hash. The cheap checks come first —
    /// room, chain id and size, membership, nonce window, the sender's share — and the
    /// signature, the expensive one, last, outside any lock.
    pub fn admit(&self, tx: Transaction, view: &dyn AccountView) -> Result<Hash, AdmitError> {
        let (signer, nonce) = (tx.signer, tx.nonce);
        let outcome = self.admit_one(tx, view);
        self.note(signer, nonce, &outcome);
        outcome
    }

    fn admit_one(&self, tx: Transaction, view: &dyn AccountView) -> Result<Hash, AdmitError> {
        self.check_room()?;
        tx.check_envelope(&self.config.chain_id, self.config.max_tx_bytes)?;
        let sender = self.precheck(&tx, view, true, &|_, _| false)?;
        if !tx.signature_valid() {
            return Err(TxError::BadSignature(tx.signer).into());
        }
        self.insert(tx, sender, true)
    }

    /// Remembers a nonce refused for want of room, or forgets it once admitted.
    fn note(&self, signer: AccountId, nonce: u64, outcome: &Result<Hash, AdmitError>) {
        match outcome {
            Ok(_) => self.refused.admitted(&signer, nonce),
            Err(AdmitError::Full { .. } | AdmitError::OverShare { .. }) => {
                self.refused.mark(signer, nonce);
            }
            Err(_) => {}
        }
    }

    /// Checks and admits many transactions, their signatures in one batch: the outcome of
    /// each, in order, as [`Mempool::admit`] would give it.
    pub fn admit_batch(
        &self,
        txs: Vec<Transaction>,
        view: &dyn AccountView,
    ) -> Vec<Result<Hash, AdmitError>> {
        self.admit_batch_as(txs, view, true)
    }

    /// [`Mempool::admit_batch`] for the transactions this node acknowledged before a restart
    /// (its journal): every check applies but the senders' shares, which they were within when
    /// first admitted (replayed in another order, a share could refuse one it promised).
    pub fn readmit_batch(
        &self,
        txs: Vec<Transaction>,
        view: &dyn AccountView,
    ) -> Vec<Result<Hash, AdmitError>> {
        self.admit_batch_as(txs, view, false)
    }

    fn admit_batch_as(
        &self,
        txs: Vec<Transaction>,
        view: &dyn AccountView,
        shared: bool,
    ) -> Vec<Result<Hash, AdmitError>> {
        if let Err(full) = self.check_room() {
            if shared {
                for tx in &txs {
                    self.refused.mark(tx.signer, tx.nonce);
                }
            }
            return vec![Err(full); txs.len()];
        }
        // The cheap checks of each first; the signatures of those that pass in one batch. Which
        // nonces the batch carries matters only while some nonce waits to be sent again.
        let carried: std::collections::HashSet<(AccountId, u64)> = if self.refused.none() {
            Default::default()
        } else {
            txs.iter().map(|tx| (tx.signer, tx.nonce)).collect()
        };
        let resent = |signer: &AccountId, nonce: u64| carried.contains(&(*signer, nonce));
        let checked: Vec<Result<Sender, AdmitError>> = txs
            .iter()
            .map(|tx| {
                tx.check_envelope(&self.config.chain_id, self.config.max_tx_bytes)?;
                self.precheck(tx, view, shared, &resent)
            })
            .collect();
        let to_verify: Vec<&Transaction> = txs
            .iter()
            .zip(&checked)
            .filter(|(_, c)| c.is_ok())
            .map(|(tx, _)| tx)
            .collect();
        let mut valid = Transaction::signatures_valid(&to_verify).into_iter();
        let mut outcomes = Vec::with_capacity(txs.len());
        for (tx, checked) in txs.into_iter().zip(checked) {
            let (signer, nonce) = (tx.signer, tx.nonce);
            let outcome = match checked {
                Err(e) => Err(e),
                Ok(sender) => {
                    let signed = valid.next() == Some(true);
                    // An earlier nonce of the same batch may have been refused meanwhile.
                    let behind = shared
                        .then(|| self.refused.waiting(&signer, nonce))
                        .flatten();
                    match (signed, behind) {
                        (false, _) => Err(TxError::BadSignature(signer).into()),
                        (true, Some(refused)) => Err(AdmitError::BehindRefused {
                            signer,
                            nonce,
                            refused,
                        }),
                        (true, None) => self.insert(tx, sender, shared),
                    }
                }
            };
            if shared {
                self.note(signer, nonce, &outcome);
            }
            outcomes.push(outcome);
        }
        outcomes
    }

    /// A full pool refuses at once, before any signature is checked: under overload the
    /// refused transactions then cost next to nothing (a last place is still taken atomically
    /// at insertion).
    fn check_room(&self) -> Result<(), AdmitError> {
        if self.len() >= self.config.capacity {
            return Err(AdmitError::Full {
                capacity: self.config.capacity,
            });
        }
        Ok(())
    }

    /// The checks that read state but no signature: membership, the nonce window, the sender's
    /// share (unless `shared` is false). Returns the sender.
    fn precheck(
        &self,
        tx: &Transaction,
        view: &dyn AccountView,
        shared: bool,
        resent: &dyn Fn(&AccountId, u64) -> bool,
    ) -> Result<Sender, AdmitError> {
        let Some(sender) = view.sender(tx).map_err(AdmitError::State)? else {
            return Err(AdmitError::NotAMember { signer: tx.signer });
        };
        let next = view.next_nonce(&tx.signer).map_err(AdmitError::State)?;
        if tx.nonce < next {
            return Err(AdmitError::NonceUsed {
                signer: tx.signer,
                nonce: tx.nonce,
                next,
            });
        }
        if tx.nonce >= next.saturating_add(MAX_NONCE_GAP) {
            return Err(AdmitError::NonceTooHigh {
                signer: tx.signer,
                nonce: tx.nonce,
                next,
            });
        }
        if shared {
            // Behind a nonce refused for room, unless that one comes again in the same batch.
            if let Some(refused) = self.refused.behind(&tx.signer, tx.nonce, next) {
                if !resent(&tx.signer, refused) {
                    return Err(AdmitError::BehindRefused {
                        signer: tx.signer,
                        nonce: tx.nonce,
                        refused,
                    });
                }
            }
            let pending = self.per_sender.lock().get(&sender).copied().unwrap_or(0);
            self.over_share(&sender, self.len(), pending)?;
        }
        Ok(sender)
    }

    /// Adds a transaction whose checks passed (its signature too), unless it is there already,
    /// its nonce is taken, or the pool filled up meanwhile.
    fn insert(&self, tx: Transaction, sender: Sender, shared: bool) -> Result<Hash, AdmitError> {
        let hash = tx.hash();
        let size = tx.encoded_size();
        let mut shard = self.shard(&tx.signer);
        if shard.by_hash.contains_key(&hash) {
            return Err(AdmitError::AlreadyPending(hash));
        }
        if let Some(pending) = shard
            .by_account
            .get(&tx.signer)
            .and_then(|m| m.get(&tx.nonce))
        {
            return Err(AdmitError::NonceTaken {
                signer: tx.signer,
                nonce: tx.nonce,
                pending: pending.hash,
            });
        }
        // Take a place first, so that concurrent admissions never overfill the pool.
        let len = self.len.fetch_add(1, Ordering::AcqRel);
        if len >= self.config.capacity {
            self.len.fetch_sub(1, Ordering::AcqRel);
            return Err(AdmitError::Full {
                capacity: self.config.capacity,
            });
        }
        {
            let mut per_sender = self.per_sender.lock();
            let pending = per_sender.entry(Arc::clone(&sender)).or_default();
            if shared {
                // Again, atomically with the count: concurrent admissions never overshoot it.
                if let Err(over) = self.over_share(&sender, len, *pending) {
                    drop(per_sender);
                    self.len.fetch_sub(1, Ordering::AcqRel);
                    return Err(over);
                }
            }
            *pending += 1;
        }
        let arrival = self.arrivals.fetch_add(1, Ordering::AcqRel);
        let (signer, nonce) = (tx.signer, tx.nonce);
        shard.by_hash.insert(hash, (signer, nonce));
        shard.by_account.entry(signer).or_default().insert(
            nonce,
            Pending {
                tx: Arc::new(tx),
                sender,
                hash,
                size,
                arrival,
                admitted_at: std::time::Instant::now(),
            },
        );
        Ok(hash)
    }
}
