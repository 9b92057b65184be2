//! Consistent copies of a store for `catena backup` (ADR 0034).

use std::path::Path;

use crate::{Result, Store};

impl Store {
    /// Writes a consistent copy of the store into `dir` (which must not exist yet): RocksDB's
    /// checkpoint, hard links to the immutable files where the file system allows and copies
    /// otherwise. The copy opens as a store of its own.
    pub fn checkpoint(&self, dir: &Path) -> Result<()> {
        rocksdb::checkpoint::Checkpoint::new(&*self.db)?.create_checkpoint(dir)?;
        Ok(())
    }
}
