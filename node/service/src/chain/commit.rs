//! Making a certified block durable, then updating what follows from it.

use catena_primitives::CommitCertificate;
use catena_storage::crash_points::{self, crash_point};
use catena_storage::Tip;

use super::{ChainError, ChainInstance, PreparedBlock, StoreState};

/// How long a transaction may wait in the mempool (held back by a nonce gap, say) before it is
/// dropped; its sender can submit it again.
const MEMPOOL_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

impl ChainInstance {
    /// Makes a certified block durable, then forgets its transactions from the mempool.
    pub fn commit(
        &self,
        proposal: PreparedBlock,
        certificate: &CommitCertificate,
    ) -> Result<Tip, ChainError> {
        let PreparedBlock {
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
        crash_point(crash_points::BLOCK_WRITTEN);
        let _ = self.commits.send(tip.height);
        self.refresh_validators()?;
        self.mempool
            .remove_committed(&block.transactions, &StoreState(&self.store));
        let evicted = self.mempool.evict_older_than(MEMPOOL_MAX_AGE);
        if evicted > 0 {
            tracing::info!(target: "mempool", evicted, "dropped transactions that waited over 10 minutes");
        }
        // What left the mempool without a block: out of the journal too (the block's own
        // left it in the block's write).
        if let Err(e) = self.store.unjournal(&self.mempool.take_dropped()) {
            tracing::warn!(target: "mempool", error = %e, "cannot forget dropped transactions from the journal; a restart replays and drops them again");
        }
        let m = &self.metrics;
        m.height.set(i64::try_from(tip.height).unwrap_or(i64::MAX));
        m.mempool_size.set(self.mempool.len() as i64);
        if let Ok(bytes) = self.store.memory_bytes() {
            m.storage_memory_bytes
                .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
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
