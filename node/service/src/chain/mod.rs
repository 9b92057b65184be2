//! One chain hosted by this node: its spec, its store namespace, its mempool and, if this node
//! validates it, its signing key. A process may host several (the main chain and parachains);
//! each is independent. Its work is divided by concern: [`genesis`] writes the first block,
//! `propose` builds blocks, `validate` checks other validators' blocks, `sync` serves and
//! applies committed blocks, and `commit` makes a certified block durable.

use std::path::Path;
use std::sync::Arc;

use catena_chain_spec::ChainSpec;
use catena_mempool::{AccountView, AdmitError, Mempool, MempoolConfig};
use catena_primitives::{AccountId, Call, Hash, SecretKey, Transaction, ValidatorSet};
use catena_runtime::{BlockContext, ExecutionError, StateError, StateReader, ValidatorEntry};
use catena_storage::{StorageError, Store, Tip};

use crate::metrics::{ChainMetrics, NodeMetrics};

mod commit;
pub mod follow;
pub mod genesis;
mod propose;
pub mod slots;
mod sync;
mod validate;

pub use genesis::block_context;
pub use propose::{PreparedBlock, PROPOSAL_CHANGES_PER_MS};
pub use sync::{
    PeerRequest, SyncError, SyncRequest, SyncResponse, MAX_CHUNK_ENTRIES, MAX_SYNC_BLOCKS,
};
pub use validate::{InvalidBlock, ValidateError};

/// Why a chain could not be opened or advanced.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot execute block: {0}")]
    Execution(#[from] ExecutionError),
    #[error(
        "the data directory holds a different chain (genesis {stored}) than the chain spec \
         '{chain_id}' (genesis {expected}); use another --home or data_dir"
    )]
    GenesisMismatch {
        chain_id: String,
        stored: Hash,
        expected: Hash,
    },
    #[error("block {height} is missing from the store")]
    Missing { height: u64 },
    #[error(transparent)]
    VoteLog(#[from] catena_storage::wal::WalError),
    #[error(
        "refusing to sign a vote at height {height} round {round}: the vote log holds a \
         different vote for that round"
    )]
    WouldEquivocate { height: u64, round: u32 },
    #[error(
        "the validator set changed by governance to {validators} validators: restart the node, \
         which then runs the multi-validator protocol"
    )]
    SoloSetChanged { validators: usize },
    #[error("the chain spec's genesis cannot be built: {0}")]
    Genesis(String),
    #[error(
        "state sync failed: {0}; remove the chain's data directory and start the node again \
         (with or without --state-sync)"
    )]
    StateSync(String),
}

/// One chain's state on this node.
#[derive(Debug)]
pub struct ChainInstance {
    spec: ChainSpec,
    store: Store,
    mempool: Mempool,
    /// The set that certifies the next block: the one in the state at the tip.
    validators: std::sync::RwLock<Arc<ValidatorSet>>,
    genesis_hash: Hash,
    metrics: ChainMetrics,
    /// Where transactions admitted through this node's API go to be gossiped, if networked.
    gossip: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<(Hash, Transaction)>>,
    /// The height of each block made durable, for the API's subscribers (a wake-up only: they
    /// read what they send from the store, so a slow one that misses a notice loses nothing).
    commits: tokio::sync::broadcast::Sender<u64>,
    /// This node's place in the chain's network: role, heard height, forwarding.
    following: follow::Following,
    /// Why the chain stopped on this node, once it has (its routes then answer 503 with it).
    failure: std::sync::OnceLock<String>,
    /// This chain's places for read-only contract calls (ADR 0028).
    query_slots: slots::QuerySlots,
    /// Whether the node's config asks every chain's API for signed reads (a parachain's always).
    signed_reads: std::sync::atomic::AtomicBool,
    /// The main chain this node hosts beside this parachain, once started: what proofs
    /// through anchors are built from.
    main: std::sync::OnceLock<Arc<ChainInstance>>,
    /// The consortium's invoice key, on a parachain whose main chain commits one (set once,
    /// before the chain runs).
    invoice_key: std::sync::OnceLock<catena_primitives::invoice::InvoiceKey>,
}

/// Committed state as the runtime and the mempool see it.
#[derive(Debug)]
pub struct StoreState<'a>(pub &'a Store);

impl StateReader for StoreState<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        self.0.state_get(key).map_err(|e| StateError(e.to_string()))
    }
    fn next(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<catena_runtime::Entry>, StateError> {
        self.0
            .state_next(prefix, after)
            .map_err(|e| StateError(e.to_string()))
    }
}

impl AccountView for StoreState<'_> {
    fn next_nonce(&self, account: &AccountId) -> Result<u64, String> {
        catena_runtime::nonce(self, account).map_err(|e| e.to_string())
    }
    fn sender(&self, tx: &Transaction) -> Result<Option<catena_mempool::Sender>, String> {
        catena_runtime::parachains::sender(self, tx)
            .map(|s| s.map(Into::into))
            .map_err(|e| e.to_string())
    }
}

impl ChainInstance {
    /// Opens the chain's store under `dir`, writing genesis on first use and refusing a store
    /// that holds another chain.
    pub fn open(
        spec: ChainSpec,
        dir: &Path,
        mempool_capacity: usize,
    ) -> Result<ChainInstance, ChainError> {
        Self::open_hosted(
            spec,
            dir,
            mempool_capacity,
            &Arc::new(NodeMetrics::default()),
        )
    }

    /// Opens the chain as one of the chains this process hosts, its metrics among the
    /// process's.
    pub fn open_hosted(
        spec: ChainSpec,
        dir: &Path,
        mempool_capacity: usize,
        node_metrics: &Arc<NodeMetrics>,
    ) -> Result<ChainInstance, ChainError> {
        let mut store = Store::open(dir)?;
        if let Some(file) = std::env::var_os(crate::STORE_FAULTS_FILE_VAR) {
            store.set_fault_switch(file.into(), spec.chain_id.clone());
        }
        let (genesis_hash, validators) = genesis::write(&spec, &store)?;
        let mempool = Mempool::new(MempoolConfig {
            chain_id: spec.chain_id.clone(),
            max_tx_bytes: spec.parameters.max_tx_bytes as usize,
            capacity: mempool_capacity,
        });
        let metrics = ChainMetrics::new(node_metrics, &spec.chain_id);
        let height = store.tip()?.map_or(0, |t| t.height);
        metrics
            .height
            .set(i64::try_from(height).unwrap_or(i64::MAX));
        let chain = ChainInstance {
            spec,
            store,
            mempool,
            validators: std::sync::RwLock::new(Arc::new(validators)),
            genesis_hash,
            metrics,
            gossip: std::sync::OnceLock::new(),
            commits: tokio::sync::broadcast::channel(64).0,
            following: follow::Following::default(),
            failure: std::sync::OnceLock::new(),
            query_slots: slots::QuerySlots::default(),
            signed_reads: std::sync::atomic::AtomicBool::new(false),
            main: std::sync::OnceLock::new(),
            invoice_key: std::sync::OnceLock::new(),
        };
        // A restarted node takes the validator set from its state, not from the spec.
        let entries = chain.validator_entries()?;
        *chain.validators.write().expect("validator set lock") = Arc::new(ValidatorSet::new(
            entries.iter().map(|v| v.account).collect(),
        ));
        Ok(chain)
    }

    /// Makes this chain's API answer only requests signed by a member's account.
    pub fn require_signed_reads(&self) {
        self.signed_reads
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether this chain's API answers only signed reads: a parachain's always.
    pub fn signed_reads(&self) -> bool {
        self.spec.parachain.is_some()
            || self.signed_reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Gives this parachain the consortium's invoice key (once, before it runs; checked against
    /// the main chain's commitment by the host).
    pub fn set_invoice_key(&self, key: catena_primitives::invoice::InvoiceKey) {
        let _ = self.invoice_key.set(key);
    }

    /// This parachain's invoice key, if it keeps invoice claims.
    pub fn invoice_key(&self) -> Option<&catena_primitives::invoice::InvoiceKey> {
        self.invoice_key.get()
    }

    /// What executing block `height` at `time_ms` may know: [`block_context`] and this node's
    /// invoice key.
    pub fn block_context(&self, height: u64, time_ms: u64) -> BlockContext {
        BlockContext {
            invoice_key: self.invoice_key.get().cloned(),
            ..block_context(&self.spec, height, time_ms)
        }
    }

    /// Names the main chain this node hosts beside this parachain (set once, at start).
    pub fn set_main(&self, main: Arc<ChainInstance>) {
        let _ = self.main.set(main);
    }

    /// The main chain hosted beside this parachain, if any.
    pub fn main(&self) -> Option<&Arc<ChainInstance>> {
        self.main.get()
    }

    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }
    /// Wakes up on every committed block with its height.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<u64> {
        self.commits.subscribe()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }
    /// The validator set that certifies the next block.
    pub fn validators(&self) -> Arc<ValidatorSet> {
        Arc::clone(&self.validators.read().expect("validator set lock"))
    }

    /// The validators of the next block as recorded in state, with their network addresses.
    pub fn validator_entries(&self) -> Result<Vec<ValidatorEntry>, ChainError> {
        Ok(catena_runtime::validators(&StoreState(&self.store))?)
    }

    /// The members' registered nodes' peer ids, as recorded in state (with the validators, the
    /// peers allowed on the chain's network).
    pub fn member_node_peers(&self) -> Result<Vec<String>, ChainError> {
        Ok(catena_runtime::member_nodes(&StoreState(&self.store))?
            .iter()
            .map(|node| catena_chain_spec::peer_id::from_ed25519(&AccountId(node.key)))
            .collect())
    }

    fn refresh_validators(&self) -> Result<(), ChainError> {
        let entries = self.validator_entries()?;
        let set = ValidatorSet::new(entries.iter().map(|v| v.account).collect());
        let mut current = self.validators.write().expect("validator set lock");
        if **current != set {
            tracing::warn!(target: "chain", validators = set.len(), set = %set.hash(), "the validator set changes from the next block");
            *current = Arc::new(set);
        }
        Ok(())
    }
    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }
    pub fn metrics(&self) -> &ChainMetrics {
        &self.metrics
    }

    pub fn following(&self) -> &follow::Following {
        &self.following
    }

    /// Marks the chain stopped on this node for `reason` (the first reason stays).
    pub fn fail(&self, reason: String) {
        if self.failure.set(reason).is_ok() {
            self.metrics.failed.set(1);
        }
    }

    /// This chain's places for read-only contract calls: the API's queries hold one each.
    pub fn query_slots(&self) -> &slots::QuerySlots {
        &self.query_slots
    }

    /// Why the chain stopped on this node, if it has.
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    /// Refuses submissions while this node is well behind the height it has heard of: what it
    /// would admit is checked against stale state.
    fn refuse_while_syncing(&self) -> Result<(), AdmitError> {
        let own = self
            .tip()
            .map_err(|e| AdmitError::State(e.to_string()))?
            .height;
        match self.following.syncing(own) {
            Some((at, of)) => Err(AdmitError::Syncing { at, of }),
            None => Ok(()),
        }
    }

    /// Sends transactions admitted through the API to `sender` for gossip (set once).
    pub fn set_gossip(&self, sender: tokio::sync::mpsc::UnboundedSender<(Hash, Transaction)>) {
        let _ = self.gossip.set(sender);
    }

    /// Admits a transaction from this node's API and passes it on for gossip.
    pub fn submit_local(&self, tx: Transaction) -> Result<Hash, AdmitError> {
        self.refuse_while_syncing()?;
        let copy = tx.clone();
        let hash = self.submit(tx)?;
        self.journal(&[(hash, &copy)])?;
        self.gossip(hash, copy);
        Ok(hash)
    }

    /// Passes an admitted transaction on to the peers, if this chain is networked.
    fn gossip(&self, hash: Hash, tx: Transaction) {
        if let Some(sender) = self.gossip.get() {
            let _ = sender.send((hash, tx));
        }
    }

    /// Makes transactions admitted through this node's API durable before they are
    /// acknowledged (ADR 0032): one synced write; if it fails they leave the mempool again and
    /// the sender is told to retry.
    fn journal(&self, admitted: &[(Hash, &Transaction)]) -> Result<(), AdmitError> {
        let txs: Vec<&Transaction> = admitted.iter().map(|(_, tx)| *tx).collect();
        if let Err(e) = self.store.journal(&txs) {
            for (hash, _) in admitted {
                self.mempool.remove(hash, "its journal write failed");
            }
            self.mempool.take_dropped();
            tracing::error!(target: "mempool", error = %e, "cannot journal admitted transactions");
            return Err(AdmitError::NotDurable(e.to_string()));
        }
        Ok(())
    }

    /// Puts back into the mempool the transactions this node acknowledged before it stopped and
    /// no block holds yet (and gossips them); forgets those that no longer apply. How many came
    /// back, and how many were dropped.
    pub fn replay_journal(&self) -> Result<(usize, usize), ChainError> {
        let (txs, corrupt) = self.store.journaled()?;
        if txs.is_empty() && corrupt == 0 {
            return Ok((0, 0));
        }
        let outcomes = self
            .mempool
            .readmit_batch(txs.clone(), &StoreState(&self.store));
        self.metrics.mempool_size.set(self.mempool.len() as i64);
        let mut back = 0;
        let mut kept = 0;
        let mut gone = Vec::new();
        for (tx, outcome) in txs.into_iter().zip(outcomes) {
            match outcome {
                Ok(hash) | Err(AdmitError::AlreadyPending(hash)) => {
                    back += 1;
                    self.gossip(hash, tx);
                }
                // No room now (a smaller capacity configured, say): kept for the next start.
                Err(e) if e.is_temporary() => kept += 1,
                Err(_) => gone.push(tx.hash()),
            }
        }
        self.store.unjournal(&gone)?;
        if kept > 0 {
            tracing::warn!(target: "mempool", chain = %self.spec.chain_id, kept, "acknowledged transactions that found no room in the mempool stay in the journal for the next start");
        }
        tracing::info!(target: "mempool", chain = %self.spec.chain_id, replayed = back, no_longer_apply = gone.len(), corrupt, "acknowledged transactions back in the mempool after the restart");
        Ok((back, gone.len()))
    }

    pub fn tip(&self) -> Result<Tip, ChainError> {
        self.store.tip()?.ok_or(ChainError::Missing { height: 0 })
    }

    /// Signs `call` with `key` at the account's next free nonce, admits it and gossips it.
    pub fn submit_signed(&self, key: &SecretKey, call: Call) -> Result<Hash, AdmitError> {
        let account = key.account();
        let committed = catena_runtime::nonce(&StoreState(&self.store), &account)
            .map_err(|e| AdmitError::State(e.to_string()))?;
        let nonce = self.mempool.free_nonce(&account, committed);
        self.submit_local(Transaction::signed(&self.spec.chain_id, nonce, call, key))
    }

    /// Admits transactions from this node's API (signatures checked in one batch) and passes
    /// the admitted ones on for gossip; the outcome of each, in order.
    pub fn submit_batch_local(&self, txs: Vec<Transaction>) -> Vec<Result<Hash, AdmitError>> {
        if let Err(e) = self.refuse_while_syncing() {
            return txs.iter().map(|_| Err(e.clone())).collect();
        }
        let copies = txs.clone();
        let mut outcomes = self.submit_batch(txs);
        let admitted: Vec<(Hash, &Transaction)> = copies
            .iter()
            .zip(&outcomes)
            .filter_map(|(tx, outcome)| outcome.as_ref().ok().map(|hash| (*hash, tx)))
            .collect();
        if let Err(e) = self.journal(&admitted) {
            for outcome in outcomes.iter_mut().filter(|o| o.is_ok()) {
                *outcome = Err(e.clone());
            }
            return outcomes;
        }
        for (tx, outcome) in copies.into_iter().zip(&outcomes) {
            if let Ok(hash) = outcome {
                self.gossip(*hash, tx);
            }
        }
        outcomes
    }

    /// Admits transactions to the mempool, their signatures checked in one batch.
    pub fn submit_batch(&self, txs: Vec<Transaction>) -> Vec<Result<Hash, AdmitError>> {
        let outcomes = self.mempool.admit_batch(txs, &StoreState(&self.store));
        let refused = outcomes.iter().filter(|o| o.is_err()).count();
        self.metrics.rejected_transactions.inc_by(refused as u64);
        self.metrics.mempool_size.set(self.mempool.len() as i64);
        outcomes
    }

    /// Admits a transaction to the mempool.
    pub fn submit(&self, tx: Transaction) -> Result<Hash, AdmitError> {
        let outcome = self.mempool.admit(tx, &StoreState(&self.store));
        match &outcome {
            Ok(_) => {
                self.metrics.mempool_size.set(self.mempool.len() as i64);
            }
            Err(_) => {
                self.metrics.rejected_transactions.inc();
            }
        }
        outcome
    }
}
