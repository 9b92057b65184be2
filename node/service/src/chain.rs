//! One chain hosted by this node: its spec, its store namespace, its mempool and, if this node
//! validates it, its signing key. A process may host several (the main chain and parachains);
//! each is independent.

use std::path::Path;
use std::sync::Arc;

use catena_chain_spec::ChainSpec;
use catena_mempool::{AccountView, AdmitError, Mempool, MempoolConfig};
use catena_primitives::{
    AccountId, Block, Call, CommitCertificate, Hash, Header, Receipt, ScheduledRun, SecretKey,
    Transaction, ValidatorSet,
};
use catena_runtime::{
    BlockContext, ExecutionError, GenesisContract, StateError, StateReader, SystemParams,
    ValidatorEntry,
};
use catena_storage::{PreparedState, StorageError, Store, Tip};

use crate::metrics::ChainMetrics;

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
}

/// Why a proposed block is refused (the validator then votes nil).
#[derive(Debug, thiserror::Error)]
pub enum InvalidBlock {
    #[error("block is for chain '{0}'")]
    WrongChain(String),
    #[error("block height is {found}, expected {expected}")]
    WrongHeight { expected: u64, found: u64 },
    #[error("parent hash {found} is not the committed tip {expected}")]
    WrongParent { expected: Hash, found: Hash },
    #[error("block time {time_ms} is not after its parent's {parent_ms}")]
    TimeNotAfterParent { time_ms: u64, parent_ms: u64 },
    #[error("proposer {0} is not a validator")]
    ProposerNotValidator(AccountId),
    #[error("validator set hash {found} is not this chain's {expected}")]
    WrongValidatorSet { expected: Hash, found: Hash },
    #[error("block has {txs} transactions and {bytes} bytes, over the limits of {max_txs} and {max_bytes}")]
    TooBig {
        txs: usize,
        bytes: usize,
        max_txs: usize,
        max_bytes: usize,
    },
    #[error("transaction {tx}: {reason}")]
    BadTransaction { tx: Hash, reason: String },
    #[error("transaction root mismatch: header {header}, computed {computed}")]
    TxRoot { header: Hash, computed: Hash },
    #[error("state root mismatch: header {header}, computed {computed}")]
    StateRoot { header: Hash, computed: Hash },
    #[error("receipts root mismatch: header {header}, computed {computed}")]
    ReceiptsRoot { header: Hash, computed: Hash },
    #[error("block does not execute: {0}")]
    Execution(ExecutionError),
}

/// Validating a proposal failed: the block is invalid, or this node could not check it.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Invalid(#[from] InvalidBlock),
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// A request for committed blocks, from a node that is behind.
#[derive(Clone, Debug, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode)]
pub struct SyncRequest {
    pub from_height: u64,
    pub max_blocks: u32,
}

/// Committed blocks with their commit certificates, in height order.
#[derive(Clone, Debug, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode)]
pub struct SyncResponse {
    pub blocks: Vec<(Block, CommitCertificate)>,
}

impl SyncRequest {
    pub fn decode_untrusted(bytes: &[u8]) -> Result<SyncRequest, catena_primitives::DecodeError> {
        catena_primitives::decode_limited(bytes, 64)
    }
}

impl SyncResponse {
    /// Decodes a peer's response, refusing more than `max_bytes`.
    pub fn decode_untrusted(
        bytes: &[u8],
        max_bytes: usize,
    ) -> Result<SyncResponse, catena_primitives::DecodeError> {
        catena_primitives::decode_limited(bytes, max_bytes)
    }
}

/// Blocks served per sync request, at most.
pub const MAX_SYNC_BLOCKS: u32 = 64;

/// Why a synced block is refused.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("block {height}: {source}")]
    Certificate {
        height: u64,
        source: catena_primitives::CertificateError,
    },
    #[error("block {height}: {source}")]
    Block { height: u64, source: ValidateError },
    #[error(transparent)]
    Chain(#[from] ChainError),
}

impl SyncError {
    /// Whether the validators certified a block that this node cannot reproduce: its
    /// certificate verified, yet re-executing it failed or gave other roots. The node's state
    /// (or code) has diverged from the chain's, and it must stop voting.
    ///
    /// Only a block whose transactions match its header (the transaction root checks) and
    /// whose execution here fails or gives other roots counts: a gap, a wrong parent or altered
    /// transactions are the sender's doing, not this node's.
    pub fn is_divergence(&self) -> bool {
        matches!(
            self,
            SyncError::Block {
                source: ValidateError::Invalid(
                    InvalidBlock::StateRoot { .. }
                        | InvalidBlock::ReceiptsRoot { .. }
                        | InvalidBlock::Execution(_)
                ),
                ..
            }
        )
    }
}

/// State keys a proposer lets its block change per millisecond of block time (a proposer's
/// policy, not a validity rule): each key costs every validator a state-tree update and a write
/// before it can vote, about 18 µs in a release build here (docs/performance.md), and the
/// proposer must send its block within the propose timeout (three block times) on a loaded
/// machine. 250 ms blocks: 10,000 keys (2,000 voucher transfers of 5 keys, or 33 splits into
/// 100 parts of ~300).
pub const PROPOSAL_CHANGES_PER_MS: usize = 40;

/// How long a transaction may wait in the mempool (held back by a nonce gap, say) before it is
/// dropped; its sender can submit it again.
const MEMPOOL_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// A block built and executed, waiting for its certificate.
#[derive(Debug)]
pub struct Proposal {
    pub block: Block,
    pub scheduled: Vec<ScheduledRun>,
    pub receipts: Vec<Receipt>,
    state: PreparedState,
    started: std::time::Instant,
    parent_time_ms: u64,
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
    gossip: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Transaction>>,
    /// The height of each block made durable, for the API's subscribers (a wake-up only: they
    /// read what they send from the store, so a slow one that misses a notice loses nothing).
    commits: tokio::sync::broadcast::Sender<u64>,
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
    fn is_member(&self, account: &AccountId) -> Result<bool, String> {
        catena_runtime::member(self, account)
            .map(|m| m.is_some())
            .map_err(|e| e.to_string())
    }
}

/// What executing block `height` at `time_ms` of this chain may know: its chain id and fuel
/// limits from the spec.
pub fn block_context(spec: &ChainSpec, height: u64, time_ms: u64) -> BlockContext {
    BlockContext {
        chain_id: spec.chain_id.clone(),
        height,
        time_ms,
        max_tx_fuel: spec.parameters.max_tx_fuel,
        max_block_fuel: spec.parameters.max_block_fuel,
    }
}

/// Every member with its accounts, and every validator's account as an account of its member (so
/// that a validator can sign transactions, such as evidence reports).
fn genesis_members(spec: &ChainSpec) -> Vec<catena_abi::registry::MemberRecord> {
    spec.members
        .iter()
        .map(|member| {
            let mut accounts: Vec<[u8; 32]> = member.accounts.iter().map(|a| a.0).collect();
            for validator in spec.validators.iter().filter(|v| v.member == member.name) {
                if !accounts.contains(&validator.account.0) {
                    accounts.push(validator.account.0);
                }
            }
            catena_abi::registry::MemberRecord {
                name: member.name.clone(),
                uscc: member.uscc.clone(),
                roles: member.roles.iter().map(|r| (*r).into()).collect(),
                accounts,
            }
        })
        .collect()
}

/// The genesis contracts of the spec, with their code and, for system contracts, `init` input.
fn genesis_contracts(spec: &ChainSpec) -> Result<Vec<GenesisContract>, ChainError> {
    let uscc_of = |name: &String| {
        spec.members
            .iter()
            .find(|m| &m.name == name)
            .map(|m| m.uscc.clone())
            .unwrap_or_default()
    };
    let params = SystemParams {
        governance: catena_abi::registry::Governance {
            members: spec.governance.members.iter().map(uscc_of).collect(),
            threshold: spec.governance.threshold,
        },
        currency: spec.parameters.currency.clone(),
        min_part: spec.parameters.voucher_min_part,
        max_parts: spec.parameters.voucher_max_parts,
        recourse_grace_days: spec.parameters.recourse_grace_days,
    };
    spec.contracts
        .iter()
        .map(|contract| {
            let code = contract.load_checked().map_err(|e| {
                ChainError::Genesis(match e {
                    catena_chain_spec::CodeError::Load(reason) => {
                        format!("contract '{}': {reason}", contract.name)
                    }
                    catena_chain_spec::CodeError::Hash { found } => format!(
                        "contract '{}': the code's SHA-256 is {found}, the chain spec says {}",
                        contract.name, contract.code_hash
                    ),
                })
            })?;
            Ok(GenesisContract {
                name: contract.name.clone(),
                init: catena_runtime::system_init(&contract.name, &params),
                code,
            })
        })
        .collect()
}

impl ChainInstance {
    /// Opens the chain's store under `dir`, writing genesis on first use and refusing a store
    /// that holds another chain.
    pub fn open(
        spec: ChainSpec,
        dir: &Path,
        mempool_capacity: usize,
    ) -> Result<ChainInstance, ChainError> {
        let store = Store::open(dir)?;
        let validators = spec.validator_set();
        let members = genesis_members(&spec);
        let entries: Vec<ValidatorEntry> = spec
            .validators
            .iter()
            .map(|v| ValidatorEntry {
                account: v.account,
                member: v.member.clone(),
                peer_id: v.peer_id.clone(),
                address: v.address.clone(),
            })
            .collect();
        let governance = catena_runtime::Governance {
            members: spec.governance.members.clone(),
            threshold: spec.governance.threshold,
        };
        let genesis_context = block_context(&spec, 0, spec.genesis_time_ms);
        let genesis_changes = catena_runtime::genesis_changes(
            &members,
            &entries,
            &governance,
            &genesis_contracts(&spec)?,
            &genesis_context,
        )?;
        let state = store.prepare_state(0, genesis_changes)?;
        let genesis = Block {
            header: Header {
                chain_id: spec.chain_id.clone(),
                height: 0,
                parent_hash: Hash::ZERO,
                time_ms: spec.genesis_time_ms,
                proposer: AccountId([0; 32]),
                tx_root: Block::compute_tx_root(&[]),
                state_root: state.state_root,
                receipts_root: Receipt::compute_root(&[]),
                validator_set_hash: validators.hash(),
            },
            transactions: Vec::new(),
        };
        let genesis_hash = genesis.hash();
        match store.header(0)? {
            Some(stored) if stored.hash() != genesis_hash => {
                return Err(ChainError::GenesisMismatch {
                    chain_id: spec.chain_id.clone(),
                    stored: stored.hash(),
                    expected: genesis_hash,
                })
            }
            Some(_) => {}
            None => {
                // The chain spec certifies genesis: its certificate carries no signatures.
                let certificate = CommitCertificate {
                    height: 0,
                    round: 0,
                    block_hash: genesis_hash,
                    signatures: Vec::new(),
                };
                store.commit(&genesis, &certificate, &[], &[], state)?;
                tracing::info!(target: "chain", chain = %spec.chain_id, %genesis_hash, "genesis written");
            }
        }
        let mempool = Mempool::new(MempoolConfig {
            chain_id: spec.chain_id.clone(),
            max_tx_bytes: spec.parameters.max_tx_bytes as usize,
            capacity: mempool_capacity,
        });
        let metrics = ChainMetrics::default();
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
        };
        // A restarted node takes the validator set from its state, not from the spec.
        let entries = chain.validator_entries()?;
        *chain.validators.write().expect("validator set lock") = Arc::new(ValidatorSet::new(
            entries.iter().map(|v| v.account).collect(),
        ));
        Ok(chain)
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

    /// Sends transactions admitted through the API to `sender` for gossip (set once).
    pub fn set_gossip(&self, sender: tokio::sync::mpsc::UnboundedSender<Transaction>) {
        let _ = self.gossip.set(sender);
    }

    /// Admits a transaction from this node's API and passes it on for gossip.
    pub fn submit_local(&self, tx: Transaction) -> Result<Hash, AdmitError> {
        let gossip = self.gossip.get().map(|g| (g, tx.clone()));
        let hash = self.submit(tx)?;
        if let Some((sender, tx)) = gossip {
            let _ = sender.send(tx);
        }
        Ok(hash)
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
        let copies = self.gossip.get().map(|g| (g, txs.clone()));
        let outcomes = self.submit_batch(txs);
        if let Some((sender, copies)) = copies {
            for (tx, outcome) in copies.into_iter().zip(&outcomes) {
                if outcome.is_ok() {
                    let _ = sender.send(tx);
                }
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

    /// What a proposer spends on its block: half a block time executing transactions, and at
    /// most [`PROPOSAL_CHANGES_PER_MS`] × block time state keys changed, so that it sends the
    /// block, and the other validators execute it again, well within the propose timeout
    /// (three block times) even on a loaded machine.
    pub fn build_budget(&self) -> (std::time::Duration, usize) {
        let block_time = self.spec.parameters.block_time_ms;
        (
            std::time::Duration::from_millis(block_time / 2),
            usize::try_from(block_time)
                .unwrap_or(usize::MAX)
                .saturating_mul(PROPOSAL_CHANGES_PER_MS),
        )
    }

    /// Builds and executes the block at `height` from the mempool. `now_ms` is the proposer's
    /// clock; the block's time is never earlier than its parent's plus one millisecond.
    pub fn build_proposal(
        &self,
        height: u64,
        now_ms: u64,
        proposer: AccountId,
    ) -> Result<Proposal, ChainError> {
        let started = std::time::Instant::now();
        let parent = self
            .store
            .header(height - 1)?
            .ok_or(ChainError::Missing { height: height - 1 })?;
        let state = StoreState(&self.store);
        let params = &self.spec.parameters;
        let mut transactions = self.mempool.select(
            params.max_block_txs as usize,
            params.max_block_bytes as usize,
            &state,
        );
        let context = block_context(&self.spec, height, now_ms.max(parent.time_ms + 1));
        // Every validator re-executes the block and updates its state tree before it votes,
        // within the round's timeouts: the proposer stops adding transactions once executing
        // them took this long, or once they change this many state keys (each costs a state-
        // tree update and a write on every node). Its own choice of which transactions; what
        // is valid does not depend on it.
        let (time, max_changes) = self.build_budget();
        let deadline = started + time;
        let mut in_time = |changed| changed < max_changes && std::time::Instant::now() < deadline;
        let executed = loop {
            match catena_runtime::execute_block_while(&state, &context, &transactions, &mut in_time)
            {
                Ok(executed) => {
                    transactions.truncate(executed.receipts.len());
                    break executed;
                }
                // A transaction that became invalid since admission: drop it and build again.
                Err(
                    ExecutionError::BadNonce { tx, .. } | ExecutionError::NotAMember { tx, .. },
                ) => {
                    tracing::warn!(target: "chain::propose", %tx, "dropping a transaction that no longer applies");
                    transactions.retain(|t| t.hash() != tx);
                    self.mempool.remove(&tx);
                }
                // The block's fuel is spent: this transaction and those after it wait for the
                // next block.
                Err(ExecutionError::BlockFuelExceeded { tx, limit }) => {
                    let Some(at) = transactions.iter().position(|t| t.hash() == tx) else {
                        return Err(ChainError::Execution(ExecutionError::BlockFuelExceeded {
                            tx,
                            limit,
                        }));
                    };
                    transactions.truncate(at);
                }
                Err(e) => return Err(e.into()),
            }
        };
        let receipts_root = executed.receipts_root();
        let prepared = self.store.prepare_state(height, executed.changes)?;
        let header = Header {
            chain_id: self.spec.chain_id.clone(),
            height,
            parent_hash: parent.hash(),
            time_ms: context.time_ms,
            proposer,
            tx_root: Block::compute_tx_root(&transactions),
            state_root: prepared.state_root,
            receipts_root,
            validator_set_hash: self.validators().hash(),
        };
        Ok(Proposal {
            block: Block {
                header,
                transactions,
            },
            scheduled: executed.scheduled,
            receipts: executed.receipts,
            state: prepared,
            started,
            parent_time_ms: parent.time_ms,
        })
    }

    /// Makes a certified proposal durable, then forgets its transactions from the mempool.
    /// Checks a block proposed by another validator as the next block: header fields, limits,
    /// every transaction's chain id, size and signature, then executes it and compares the
    /// transaction, state and receipts roots with the header. Nothing is written; a valid block
    /// comes back as a [`Proposal`] ready for [`ChainInstance::commit`].
    pub fn validate_proposal(&self, block: Block) -> Result<Proposal, ValidateError> {
        let started = std::time::Instant::now();
        let tip = self.tip()?;
        let parent = self
            .store
            .header(tip.height)
            .map_err(ChainError::from)?
            .ok_or(ChainError::Missing { height: tip.height })?;
        let h = &block.header;
        let params = &self.spec.parameters;
        if h.chain_id != self.spec.chain_id {
            return Err(InvalidBlock::WrongChain(h.chain_id.clone()).into());
        }
        if h.height != tip.height + 1 {
            return Err(InvalidBlock::WrongHeight {
                expected: tip.height + 1,
                found: h.height,
            }
            .into());
        }
        if h.parent_hash != tip.block_hash {
            return Err(InvalidBlock::WrongParent {
                expected: tip.block_hash,
                found: h.parent_hash,
            }
            .into());
        }
        if h.time_ms <= parent.time_ms {
            return Err(InvalidBlock::TimeNotAfterParent {
                time_ms: h.time_ms,
                parent_ms: parent.time_ms,
            }
            .into());
        }
        let validators = self.validators();
        if !validators.contains(&h.proposer) {
            return Err(InvalidBlock::ProposerNotValidator(h.proposer).into());
        }
        if h.validator_set_hash != validators.hash() {
            return Err(InvalidBlock::WrongValidatorSet {
                expected: validators.hash(),
                found: h.validator_set_hash,
            }
            .into());
        }
        let bytes: usize = block
            .transactions
            .iter()
            .map(parity_scale_codec::Encode::encoded_size)
            .sum();
        let (max_txs, max_bytes) = (
            params.max_block_txs as usize,
            params.max_block_bytes as usize,
        );
        if block.transactions.len() > max_txs || bytes > max_bytes {
            return Err(InvalidBlock::TooBig {
                txs: block.transactions.len(),
                bytes,
                max_txs,
                max_bytes,
            }
            .into());
        }
        // Chain id and size of each; the signatures of those not admitted to this node's
        // mempool (which checked theirs, by the same rule) in one batch.
        let hashes: Vec<Hash> = block.transactions.iter().map(Transaction::hash).collect();
        for (tx, hash) in block.transactions.iter().zip(&hashes) {
            tx.check_envelope(&self.spec.chain_id, params.max_tx_bytes as usize)
                .map_err(|e| InvalidBlock::BadTransaction {
                    tx: *hash,
                    reason: e.to_string(),
                })?;
        }
        let keyed: Vec<(AccountId, Hash)> = block
            .transactions
            .iter()
            .zip(&hashes)
            .map(|(tx, hash)| (tx.signer, *hash))
            .collect();
        let (unverified, unverified_hashes): (Vec<&Transaction>, Vec<Hash>) = block
            .transactions
            .iter()
            .zip(&hashes)
            .zip(self.mempool.contains_each(&keyed))
            .filter(|(_, pending)| !pending)
            .map(|((tx, hash), _)| (tx, *hash))
            .unzip();
        let valid = Transaction::signatures_valid(&unverified);
        if let Some(((tx, hash), _)) = unverified
            .iter()
            .zip(&unverified_hashes)
            .zip(&valid)
            .find(|(_, ok)| !**ok)
        {
            return Err(InvalidBlock::BadTransaction {
                tx: *hash,
                reason: catena_primitives::TxError::BadSignature(tx.signer).to_string(),
            }
            .into());
        }
        self.metrics
            .signatures_checked_in_blocks
            .inc_by(unverified.len() as u64);
        let computed = Block::tx_root_of(&hashes);
        if computed != h.tx_root {
            return Err(InvalidBlock::TxRoot {
                header: h.tx_root,
                computed,
            }
            .into());
        }
        let state = StoreState(&self.store);
        let context = block_context(&self.spec, h.height, h.time_ms);
        let executed = match catena_runtime::execute_block(&state, &context, &block.transactions) {
            Ok(executed) => executed,
            Err(ExecutionError::State(e)) => {
                return Err(ChainError::Execution(ExecutionError::State(e)).into())
            }
            Err(e) => return Err(InvalidBlock::Execution(e).into()),
        };
        let receipts_root = executed.receipts_root();
        if receipts_root != h.receipts_root {
            return Err(InvalidBlock::ReceiptsRoot {
                header: h.receipts_root,
                computed: receipts_root,
            }
            .into());
        }
        let prepared = self
            .store
            .prepare_state(h.height, executed.changes)
            .map_err(ChainError::from)?;
        if prepared.state_root != h.state_root {
            tracing::error!(
                target: "chain::validate",
                height = h.height,
                header = %h.state_root,
                computed = %prepared.state_root,
                "state root mismatch"
            );
            return Err(InvalidBlock::StateRoot {
                header: h.state_root,
                computed: prepared.state_root,
            }
            .into());
        }
        Ok(Proposal {
            block,
            scheduled: executed.scheduled,
            receipts: executed.receipts,
            state: prepared,
            started,
            parent_time_ms: parent.time_ms,
        })
    }

    /// Answers a sync request from the store: up to `max_blocks` (capped) committed blocks
    /// from `from_height`, within `max_bytes` of encoding.
    pub fn serve_sync(
        &self,
        request: &SyncRequest,
        max_bytes: usize,
    ) -> Result<SyncResponse, ChainError> {
        let mut blocks = Vec::new();
        let mut bytes = 0usize;
        let last = request
            .from_height
            .saturating_add(u64::from(request.max_blocks.min(MAX_SYNC_BLOCKS)));
        for height in request.from_height..last {
            let (Some(block), Some(certificate)) =
                (self.store.block(height)?, self.store.certificate(height)?)
            else {
                break;
            };
            bytes += parity_scale_codec::Encode::encoded_size(&(&block, &certificate));
            if bytes > max_bytes && !blocks.is_empty() {
                break;
            }
            blocks.push((block, certificate));
        }
        Ok(SyncResponse { blocks })
    }

    /// Applies blocks fetched from a peer: each must be the next block, carry a quorum
    /// certificate of this chain's validators, and re-execute to its header's roots. Returns the
    /// number of blocks committed; stops at the first refused block.
    pub fn apply_synced(&self, response: SyncResponse) -> Result<usize, SyncError> {
        let mut applied = 0;
        for (block, certificate) in response.blocks {
            let height = block.header.height;
            let tip = self.tip()?.height;
            if height <= tip {
                continue; // already have it
            }
            if height != tip + 1 {
                // A gap: only the next block can be checked against this node's state.
                break;
            }
            self.validators()
                .verify_certificate(&self.spec.chain_id, height, block.hash(), &certificate)
                .map_err(|source| SyncError::Certificate { height, source })?;
            let proposal = self
                .validate_proposal(block)
                .map_err(|source| SyncError::Block { height, source })?;
            self.commit(proposal, &certificate)?;
            applied += 1;
        }
        Ok(applied)
    }

    pub fn commit(
        &self,
        proposal: Proposal,
        certificate: &CommitCertificate,
    ) -> Result<Tip, ChainError> {
        let Proposal {
            block,
            scheduled,
            receipts,
            state,
            started,
            parent_time_ms,
        } = proposal;
        let tip = self
            .store
            .commit(&block, certificate, &scheduled, &receipts, state)?;
        let _ = self.commits.send(tip.height);
        self.refresh_validators()?;
        self.mempool
            .remove_committed(&block.transactions, &StoreState(&self.store));
        let evicted = self.mempool.evict_older_than(MEMPOOL_MAX_AGE);
        if evicted > 0 {
            tracing::info!(target: "mempool", evicted, "dropped transactions that waited over 10 minutes");
        }
        let m = &self.metrics;
        m.height.set(i64::try_from(tip.height).unwrap_or(i64::MAX));
        m.mempool_size.set(self.mempool.len() as i64);
        m.committed_transactions
            .inc_by(block.transactions.len() as u64);
        m.commit_latency_seconds
            .observe(started.elapsed().as_secs_f64());
        m.block_interval_seconds
            .observe(block.header.time_ms.saturating_sub(parent_time_ms) as f64 / 1000.0);
        tracing::info!(
            target: "chain::commit",
            chain = %self.spec.chain_id,
            height = tip.height,
            block = %tip.block_hash,
            txs = block.transactions.len(),
            "committed"
        );
        Ok(tip)
    }
}
