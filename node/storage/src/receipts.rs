//! A block's receipts as one stored value under its height (ADR 0047): a table of where each
//! receipt's encoding ends, then the encodings, so one receipt is read without decoding the
//! block's others, and a block commit writes one value instead of one per transaction at a
//! random key.
//!
//! Layout: `n` (u32, little endian), then `n` end offsets (u32, little endian, ascending, into
//! the encodings), then the `n` SCALE encodings back to back.

use catena_primitives::block::Receipt;
use catena_primitives::{Hash, Transaction};
use parity_scale_codec::Encode;
use rocksdb::WriteBatch;

use crate::{decode, height_key, Result, StorageError, Store, CF_META, CF_RECEIPTS};

/// The store's layout version, in [`CF_META`]: a store without it was written before receipts
/// were kept one value per block and is converted at open.
pub(crate) const META_FORMAT: &[u8] = b"format";
/// The layout this build writes.
pub(crate) const FORMAT: u32 = 2;
/// Blocks converted per write batch when an older store is opened.
const MIGRATE_BATCH_BLOCKS: u64 = 256;

/// The stored value of a block's receipts.
pub(crate) fn encode(receipts: &[Receipt]) -> Vec<u8> {
    let mut bodies = Vec::with_capacity(receipts.iter().map(Encode::size_hint).sum());
    let mut ends = Vec::with_capacity(receipts.len());
    for receipt in receipts {
        receipt.encode_to(&mut bodies);
        ends.push(u32::try_from(bodies.len()).expect("a block's receipts are under 4 GiB"));
    }
    let mut value = Vec::with_capacity(4 + 4 * ends.len() + bodies.len());
    let count = u32::try_from(ends.len()).expect("blocks hold fewer than 2^32 transactions");
    value.extend_from_slice(&count.to_le_bytes());
    for end in ends {
        value.extend_from_slice(&end.to_le_bytes());
    }
    value.extend_from_slice(&bodies);
    value
}

/// The offsets table of a stored value and where the encodings begin, checked: ascending and
/// within the value.
fn table(value: &[u8]) -> Result<(Vec<usize>, &[u8])> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("a block's receipts: {what}"));
    let word = |at: usize| -> Result<usize> {
        let bytes = value
            .get(at..at + 4)
            .ok_or_else(|| corrupt("the table is cut short"))?;
        Ok(u32::from_le_bytes(bytes.try_into().expect("four bytes")) as usize)
    };
    let count = word(0)?;
    let start = count
        .checked_mul(4)
        .and_then(|n| n.checked_add(4))
        .filter(|start| *start <= value.len())
        .ok_or_else(|| corrupt("the table is longer than the value"))?;
    let bodies = &value[start..];
    let mut ends = Vec::with_capacity(count);
    let mut last = 0;
    for i in 0..count {
        let end = word(4 + 4 * i)?;
        if end < last || end > bodies.len() {
            return Err(corrupt("an offset is out of order or out of bounds"));
        }
        ends.push(end);
        last = end;
    }
    Ok((ends, bodies))
}

/// How many receipts a stored value holds, and those from `skip` on, at most `take`, in block
/// order: only those are decoded.
fn page(value: &[u8], skip: usize, take: usize) -> Result<(usize, Vec<Receipt>)> {
    let (ends, bodies) = table(value)?;
    let receipts = (skip..ends.len().min(skip.saturating_add(take)))
        .map(|i| {
            let begin = i.checked_sub(1).map_or(0, |before| ends[before]);
            decode("receipt", &bodies[begin..ends[i]])
        })
        .collect::<Result<_>>()?;
    Ok((ends.len(), receipts))
}

/// Receipt `index` of a stored value, `None` past the last.
fn at(value: &[u8], index: usize) -> Result<Option<Receipt>> {
    Ok(page(value, index, 1)?.1.pop())
}

/// Every receipt of a stored value, in block order.
fn all(value: &[u8]) -> Result<Vec<Receipt>> {
    Ok(page(value, 0, usize::MAX)?.1)
}

impl Store {
    /// The receipts of block `height`'s transactions, in block order (empty for a block this
    /// store does not hold, such as one below a state-sync snapshot).
    pub fn receipts(&self, height: u64) -> Result<Vec<Receipt>> {
        match self.get_cf(CF_RECEIPTS, &height_key(height))? {
            Some(value) => all(&value),
            None => Ok(Vec::new()),
        }
    }

    /// How many receipts block `height` has, and those from `skip` on, at most `take` (only
    /// those are decoded); `(0, [])` for a block this store does not hold.
    pub fn receipts_page(
        &self,
        height: u64,
        skip: usize,
        take: usize,
    ) -> Result<(usize, Vec<Receipt>)> {
        match self.get_cf(CF_RECEIPTS, &height_key(height))? {
            Some(value) => page(&value, skip, take),
            None => Ok((0, Vec::new())),
        }
    }

    /// The receipt of the committed transaction with this hash.
    pub fn receipt(&self, tx_hash: &Hash) -> Result<Option<Receipt>> {
        let Some(location) = self.tx_location(tx_hash)? else {
            return Ok(None);
        };
        match self.get_cf(CF_RECEIPTS, &height_key(location.height))? {
            Some(value) => at(&value, location.index as usize),
            None => Ok(None),
        }
    }

    /// Brings a store written by an older build to [`FORMAT`], or refuses one a newer build
    /// wrote. A new store is marked as it is.
    pub(crate) fn check_format(&self) -> Result<()> {
        let found = match self.get_cf(CF_META, META_FORMAT)? {
            Some(bytes) => Some(decode::<u32>("store format", &bytes)?),
            None => None,
        };
        match found {
            Some(FORMAT) => Ok(()),
            Some(newer) if newer > FORMAT => Err(StorageError::Corrupt(format!(
                "the store has format {newer}, newer than this build's {FORMAT}: run the catena that wrote it"
            ))),
            Some(older) => Err(StorageError::Corrupt(format!(
                "the store has format {older}, which this build cannot convert"
            ))),
            None => {
                if let Some(tip) = self.tip()? {
                    self.receipts_by_block(tip.height)?;
                }
                self.db
                    .put_cf(self.cf(CF_META), META_FORMAT, FORMAT.encode())?;
                Ok(())
            }
        }
    }

    /// Format 1 kept each receipt under its transaction's hash: gathers them into one value
    /// per block, each batch of blocks in one write (a crash part way leaves blocks of both
    /// kinds, and the next open carries on: a block already converted has no hash keys left).
    fn receipts_by_block(&self, tip: u64) -> Result<()> {
        tracing::info!(target: "storage", tip, "converting the store's receipts to one value per block");
        let mut batch = WriteBatch::default();
        for height in 0..=tip {
            let Some(block) = self.block(height)? else {
                continue;
            };
            let hashes: Vec<Hash> = block.transactions.iter().map(Transaction::hash).collect();
            let mut receipts = Vec::with_capacity(hashes.len());
            for hash in &hashes {
                match self.get_cf(CF_RECEIPTS, &hash.0)? {
                    Some(bytes) => receipts.push(decode::<Receipt>("receipt", &bytes)?),
                    None => break,
                }
            }
            // All of the block's or none: a block converted before a crash has none left.
            if receipts.len() == hashes.len() && !receipts.is_empty() {
                for hash in &hashes {
                    batch.delete_cf(self.cf(CF_RECEIPTS), hash.0);
                }
                batch.put_cf(self.cf(CF_RECEIPTS), height_key(height), encode(&receipts));
            }
            if height % MIGRATE_BATCH_BLOCKS == MIGRATE_BATCH_BLOCKS - 1 || height == tip {
                self.db.write(std::mem::take(&mut batch))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use catena_primitives::block::{ContractEvent, ReceiptStatus};

    fn receipt(n: u8) -> Receipt {
        Receipt {
            tx_hash: Hash([n; 32]),
            status: ReceiptStatus::Success,
            fuel_used: u64::from(n),
            events: (0..n)
                .map(|i| ContractEvent {
                    contract: Hash([i; 32]),
                    topic: format!("topic {i}").into_bytes(),
                    data: vec![i; usize::from(i)],
                })
                .collect(),
            output: vec![n; usize::from(n)],
        }
    }

    #[test]
    fn each_receipt_reads_back_alone_and_all_together() {
        let receipts: Vec<Receipt> = (0..5).map(receipt).collect();
        let value = encode(&receipts);
        for (i, r) in receipts.iter().enumerate() {
            assert_eq!(at(&value, i).expect("decodes"), Some(r.clone()));
        }
        assert_eq!(at(&value, 5).expect("decodes"), None);
        assert_eq!(all(&value).expect("decodes"), receipts);
        assert_eq!(
            page(&value, 1, 2).expect("decodes"),
            (5, receipts[1..3].to_vec())
        );
        assert_eq!(
            page(&value, 4, 9).expect("decodes"),
            (5, receipts[4..].to_vec())
        );
        assert_eq!(all(&encode(&[])).expect("decodes"), Vec::new());
    }

    #[test]
    fn a_damaged_table_is_refused_not_read_out_of_bounds() {
        let value = encode(&[receipt(1), receipt(2)]);
        // The count claims more offsets than the value holds.
        let mut long = value.clone();
        long[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        // The first receipt ends past the second.
        let mut unordered = value.clone();
        unordered[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        for bad in [long, unordered, value[..6].to_vec()] {
            let err = all(&bad).expect_err("refused");
            assert!(err.to_string().contains("a block's receipts"), "{err}");
            assert!(at(&bad, 0).is_err());
        }
    }
}
