//! Reading a block's transactions together: the block and its receipts read once for a page,
//! and only the page's receipts decoded.

use catena_api::{ApiError, BlockId, TransactionView, TxStatus};

use super::{chain_error, internal, receipt_view, tx_view};
use crate::chain::ChainInstance;

impl ChainInstance {
    /// The height of block `id`, if this node holds it.
    pub(super) fn height_of_block(&self, id: BlockId) -> Result<Option<u64>, ApiError> {
        Ok(match id {
            BlockId::Height(h) => Some(h),
            BlockId::Hash(hash) => self.store().height_of(&hash).map_err(internal)?,
            BlockId::Latest => Some(self.tip().map_err(chain_error)?.height),
        })
    }

    /// Block `id`'s transactions with their receipts, from `offset`, at most `limit`: the block
    /// and its receipts are each read once (looking each transaction up by hash would read the
    /// whole block once per transaction).
    pub(super) fn transactions_of_block(
        &self,
        id: BlockId,
        offset: usize,
        limit: usize,
    ) -> Result<Option<Vec<TransactionView>>, ApiError> {
        let store = self.store();
        let Some(height) = self.height_of_block(id)? else {
            return Ok(None);
        };
        let Some(block) = store.block(height).map_err(internal)? else {
            return Ok(None);
        };
        let (count, receipts) = store
            .receipts_page(height, offset, limit)
            .map_err(internal)?;
        if count != block.transactions.len() {
            return Err(internal(format!(
                "block {height} holds {} transactions but {count} receipts",
                block.transactions.len()
            )));
        }
        let mut out = Vec::new();
        let page = block.transactions.iter().enumerate().skip(offset);
        for ((index, tx), receipt) in page.zip(receipts) {
            let hash = tx.hash();
            if receipt.tx_hash != hash {
                return Err(internal(format!(
                    "block {height}'s receipt {index} is not its transaction's"
                )));
            }
            out.push(TransactionView {
                status: TxStatus::Committed,
                block_height: Some(height),
                index: Some(u32::try_from(index).map_err(internal)?),
                receipt: Some(receipt_view(receipt)),
                ..tx_view(tx, hash)
            });
        }
        Ok(Some(out))
    }
}
