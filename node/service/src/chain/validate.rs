//! Checking a block another validator proposed: header, limits, transactions, then execution
//! and the roots it commits to.

use catena_primitives::{AccountId, Block, Hash, Transaction};
use catena_runtime::ExecutionError;

use super::{ChainError, ChainInstance, PreparedBlock, StoreState};

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

impl ChainInstance {
    /// Checks a block proposed by another validator as the next block: header fields, limits,
    /// every transaction's chain id, size and signature, then executes it and compares the
    /// transaction, state and receipts roots with the header. Nothing is written; a valid block
    /// comes back as a [`PreparedBlock`] ready for [`ChainInstance::commit`].
    pub fn validate_proposal(&self, block: Block) -> Result<PreparedBlock, ValidateError> {
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
        let context = self.block_context(h.height, h.time_ms);
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
        Ok(PreparedBlock {
            block,
            scheduled: executed.scheduled,
            receipts: executed.receipts,
            state: prepared,
            started,
            parent_time_ms: parent.time_ms,
        })
    }
}
