//! The journal of acknowledged transactions (ADR 0032): what this node answered 202 for and no
//! committed block holds yet, in column family `pending`. A block's commit deletes its own in
//! the block's write batch ([`Store::commit`]).

use rocksdb::{WriteBatch, WriteOptions};

use super::*;

impl Store {
    /// Makes `txs` durable before the node acknowledges them: one synced write.
    pub fn journal(&self, txs: &[&Transaction]) -> Result<()> {
        if txs.is_empty() {
            return Ok(());
        }
        self.check_fault()?;
        let mut batch = WriteBatch::default();
        for tx in txs {
            batch.put_cf(self.cf(CF_PENDING), tx.hash().0, tx.encode());
        }
        let mut options = WriteOptions::default();
        options.set_sync(true);
        self.db.write_opt(batch, &options)?;
        Ok(())
    }

    /// Forgets journaled transactions that left the mempool without a block (not synced: a
    /// crash before it only replays them, and they are refused again).
    pub fn unjournal(&self, hashes: &[Hash]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        let mut batch = WriteBatch::default();
        for hash in hashes {
            batch.delete_cf(self.cf(CF_PENDING), hash.0);
        }
        self.db.write(batch)?;
        Ok(())
    }

    /// The journaled transactions, in hash order; those that do not decode are skipped and
    /// counted.
    pub fn journaled(&self) -> Result<(Vec<Transaction>, usize)> {
        let mut txs = Vec::new();
        let mut corrupt = 0;
        for item in self
            .db
            .iterator_cf(self.cf(CF_PENDING), rocksdb::IteratorMode::Start)
        {
            let (_, value) = item?;
            match Transaction::decode_untrusted(&value) {
                Ok(tx) => txs.push(tx),
                Err(_) => corrupt += 1,
            }
        }
        Ok((txs, corrupt))
    }
}
