//! Building the next block from the mempool, as the round's proposer.

use catena_primitives::{AccountId, Block, Header, Receipt, ScheduledRun};
use catena_runtime::ExecutionError;
use catena_storage::PreparedState;

use super::{ChainError, ChainInstance, StoreState};

/// State keys a proposer lets its block change per millisecond of block time (a proposer's
/// policy, not a validity rule): each key costs every validator a state-tree update and a write
/// before it can vote, about 18 µs in a release build here (docs/performance.md), and the
/// proposer must send its block within the propose timeout (three block times) on a loaded
/// machine. 250 ms blocks: 10,000 keys (2,000 voucher transfers of 5 keys, or 33 splits into
/// 100 parts of ~300).
pub const PROPOSAL_CHANGES_PER_MS: usize = 40;

/// A block built and executed, waiting for its certificate.
#[derive(Debug)]
pub struct PreparedBlock {
    pub block: Block,
    pub scheduled: Vec<ScheduledRun>,
    pub receipts: Vec<Receipt>,
    pub(super) state: PreparedState,
    pub(super) started: std::time::Instant,
    pub(super) parent_time_ms: u64,
}

impl ChainInstance {
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
    ) -> Result<PreparedBlock, ChainError> {
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
        let context = self.block_context(height, now_ms.max(parent.time_ms + 1));
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
                    e @ (ExecutionError::BadNonce { tx, .. }
                    | ExecutionError::NotAMember { tx, .. }),
                ) => {
                    tracing::warn!(target: "chain::propose", %tx, "dropping a transaction that no longer applies");
                    transactions.retain(|t| t.hash() != tx);
                    self.mempool.remove(&tx, &e.to_string());
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
        Ok(PreparedBlock {
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
}
