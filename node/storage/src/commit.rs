//! Preparing a block's state (its tree update and new root) and writing the block, its
//! certificate, receipts, indexes and state in one synced write batch.

use super::*;

impl Store {
    /// Computes the state root after applying `changes` on top of the state at `height - 1`.
    /// Nothing is written until [`Store::commit`].
    pub fn prepare_state(
        &self,
        height: u64,
        changes: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<PreparedState> {
        self.prepare_state_by(height, changes, Update::Batched)
    }

    pub(crate) fn prepare_state_by(
        &self,
        height: u64,
        changes: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>,
        how: Update,
    ) -> Result<PreparedState> {
        // Contracts' index entries are kept with the state but left out of the tree (ADR 0049).
        let (indexes, mut changes): (Vec<_>, Vec<_>) = changes
            .into_iter()
            .partition(|(key, _)| catena_primitives::tx::is_index_entry(key));
        if self.switch_says("diverge") {
            changes.push((DIVERGENCE_KEY.to_vec(), Some(height.to_le_bytes().to_vec())));
        }
        let key_hashes: Vec<KeyHash> = changes
            .iter()
            .map(|(key, _)| KeyHash::with::<Sha256>(key))
            .collect();
        let value_set = key_hashes
            .iter()
            .zip(&changes)
            .map(|(hash, (_, value))| (*hash, value.clone()))
            .collect();
        let (root, tree) = self
            .update_tree(height, value_set, how)
            .map_err(|e| StorageError::Tree(e.to_string()))?;
        Ok(PreparedState {
            version: height,
            state_root: Hash(root.0),
            changes,
            key_hashes,
            indexes,
            tree,
        })
    }

    /// Writes a block, its certificate, its receipts and its prepared state in one synced write
    /// batch. The block must be the one after the stored tip and `state` prepared for it.
    pub fn commit(
        &self,
        block: &Block,
        certificate: &CommitCertificate,
        scheduled: &[ScheduledRun],
        receipts: &[Receipt],
        state: PreparedState,
    ) -> Result<Tip> {
        self.check_fault()?;
        let height = block.header.height;
        let tip = self.tip()?;
        let expected = tip.map_or(0, |t| t.height + 1);
        if height != expected || state.version != height {
            return Err(StorageError::NotNext {
                tip: tip.map(|t| t.height),
                found: height,
            });
        }
        let block_hash = block.hash();
        let mut batch = WriteBatch::default();
        let hk = height_key(height);
        batch.put_cf(self.cf(CF_HEADERS), hk, block.header.encode());
        batch.put_cf(self.cf(CF_BLOCKS), hk, block.encode());
        batch.put_cf(self.cf(CF_BLOCK_INDEX), block_hash.0, height.encode());
        batch.put_cf(self.cf(CF_CERTIFICATES), hk, certificate.encode());
        if !scheduled.is_empty() {
            batch.put_cf(self.cf(CF_SCHEDULED), hk, scheduled.encode());
        }
        if !receipts.is_empty() {
            batch.put_cf(self.cf(CF_RECEIPTS), hk, crate::receipts::encode(receipts));
        }
        let sources = scheduled.iter().map(|run| (&run.receipt, None)).chain(
            receipts
                .iter()
                .zip(&block.transactions)
                .map(|(receipt, tx)| (receipt, Some(tx.signer))),
        );
        let mut index: u32 = 0;
        for (receipt, signer) in sources {
            for event in &receipt.events {
                // The encoding of an `IndexedEvent` (its fields in order), without copying the
                // event into one.
                let indexed = (height, index, receipt.tx_hash, signer, event);
                batch.put_cf(
                    self.cf(CF_EVENTS),
                    event_key(height, index),
                    indexed.encode(),
                );
                index += 1;
            }
        }
        // Each column family's entries in the order of their keys: RocksDB's memtable (a skip
        // list) inserts a run of ascending keys from where the last one went instead of
        // searching from the top for each.
        debug_assert!(block
            .transactions
            .iter()
            .zip(receipts)
            .all(|(tx, receipt)| tx.hash() == receipt.tx_hash));
        let mut by_hash: Vec<(usize, &Receipt)> = receipts.iter().enumerate().collect();
        by_hash.sort_unstable_by_key(|(_, receipt)| receipt.tx_hash.0);
        for (index, receipt) in by_hash {
            let location = TxLocation {
                height,
                index: u32::try_from(index).expect("blocks hold fewer than 2^32 transactions"),
            };
            batch.put_cf(
                self.cf(CF_TRANSACTIONS),
                receipt.tx_hash.0,
                location.encode(),
            );
            // Durable in the block now: out of the journal of acknowledged transactions.
            batch.delete_cf(self.cf(CF_PENDING), receipt.tx_hash.0);
        }
        let mut entries: Vec<&(Vec<u8>, Option<Vec<u8>>)> =
            state.changes.iter().chain(&state.indexes).collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, value) in entries {
            if height > 0 && key.as_slice() == catena_primitives::validator::VALIDATORS_KEY {
                batch.put_cf(self.cf(CF_HANDOVERS), hk, []);
            }
            match value {
                Some(value) => batch.put_cf(self.cf(CF_STATE), key, value),
                None => batch.delete_cf(self.cf(CF_STATE), key),
            }
        }
        // The tree's versioned values, with the key each belongs to (the tree itself holds
        // only the key's hash; a snapshot sends the key).
        let mut order: Vec<usize> = (0..state.changes.len()).collect();
        order.sort_unstable_by_key(|i| state.key_hashes[*i].0);
        for i in order {
            let (key, value) = &state.changes[i];
            batch.put_cf(
                self.cf(CF_TREE_VALUES),
                value_key(&state.key_hashes[i], height),
                tree_value(value.as_deref(), key),
            );
        }
        let mut nodes: Vec<(Vec<u8>, &jmt::storage::Node)> = state
            .tree
            .node_batch
            .nodes()
            .iter()
            .map(|(key, node)| (encode_borsh(key), node))
            .collect();
        nodes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, node) in nodes {
            batch.put_cf(self.cf(CF_TREE_NODES), key, encode_borsh(node));
        }
        let new_tip = Tip {
            height,
            block_hash,
            state_root: state.state_root,
        };
        batch.put_cf(self.cf(CF_META), META_TIP, new_tip.encode());
        crash_points::crash_point(crash_points::IN_BLOCK_WRITE);
        let mut options = WriteOptions::default();
        options.set_sync(true);
        self.db.write_opt(batch, &options)?;
        tracing::debug!(target: "storage::commit", height, %block_hash, txs = block.transactions.len(), "block written");
        Ok(new_tip)
    }
}
