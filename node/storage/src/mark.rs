//! The signing mark of a validator on one chain: the highest height and round at which it ever
//! signed a proposal or a vote, kept in a file apart from the data directory (ADR 0034). A copy
//! of `data/` restored from a backup brings back an older vote log; the mark, not restored with
//! it, tells the node that it signed above what that log holds, so it refuses to sign there
//! again.
//!
//! The file holds one line of JSON, `{"height":H,"round":R}`, replaced atomically (written to a
//! temporary file, synced, renamed over, the directory synced) before the signature it allows.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::wal::WalError;

/// A height and round, ordered as the chain passes them.
pub type Position = (u64, u32);

#[derive(Debug)]
pub struct SigningMark {
    path: PathBuf,
    mark: Option<Position>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    height: u64,
    round: u32,
}

impl SigningMark {
    /// Reads the mark at `path` (none if the file does not exist). A file that does not parse
    /// is an error that names it: signing on without knowing the mark could sign twice.
    pub fn open(path: &Path) -> Result<SigningMark, WalError> {
        let mark = match std::fs::read(path) {
            Ok(bytes) => {
                let stored: Stored =
                    serde_json::from_slice(&bytes).map_err(|e| WalError::Corrupt {
                        path: path.to_path_buf(),
                        offset: 0,
                        reason: format!("not a signing mark ({e})"),
                        remaining: bytes.len() as u64,
                    })?;
                Some((stored.height, stored.round))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(WalError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Ok(SigningMark {
            path: path.to_path_buf(),
            mark,
        })
    }

    pub fn get(&self) -> Option<Position> {
        self.mark
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Raises the mark to `at` (durably) if it is below; call before signing at `at`.
    pub fn raise(&mut self, at: Position) -> Result<(), WalError> {
        if self.mark.is_some_and(|mark| mark >= at) {
            return Ok(());
        }
        let io = |source| WalError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = self.path.with_extension("tmp");
        let text = serde_json::to_string(&Stored {
            height: at.0,
            round: at.1,
        })
        .expect("a mark serialises");
        {
            let mut file = File::create(&tmp).map_err(io)?;
            file.write_all(text.as_bytes()).map_err(io)?;
            file.write_all(b"\n").map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        self.mark = Some(at);
        Ok(())
    }
}

/// Where signing must not happen again: the mark, if the node's logs cannot vouch for it. They
/// can when the store's tip has reached the mark's height (that height is decided; the node
/// never signs there again) or when the vote or proposal log holds an entry at the mark itself
/// (the logs are as new as the mark). Otherwise the logs are older than the mark (restored from a
/// backup, or lost) and anything at or below it may already have been signed.
pub fn unvouched(mark: Option<Position>, tip: u64, logged: &[Position]) -> Option<Position> {
    let mark = mark?;
    if mark.0 <= tip || logged.contains(&mark) {
        return None;
    }
    Some(mark)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_only_rises_and_survives_reopening() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("signing").join("chain.json");
        let mut mark = SigningMark::open(&path).expect("open");
        assert_eq!(mark.get(), None);
        mark.raise((5, 0)).expect("raise");
        mark.raise((5, 2)).expect("raise");
        mark.raise((4, 9)).expect("lower: kept");
        assert_eq!(
            SigningMark::open(&path).expect("reopen").get(),
            Some((5, 2))
        );
        std::fs::write(&path, "{\"height\":").expect("damage");
        let err = SigningMark::open(&path).expect_err("damaged").to_string();
        assert!(err.contains("not a signing mark"), "{err}");
    }

    #[test]
    fn logs_vouch_for_a_mark_they_hold_or_a_decided_height() {
        assert_eq!(unvouched(None, 3, &[]), None);
        // The logs hold the mark: as new as it.
        assert_eq!(unvouched(Some((9, 1)), 3, &[(9, 0), (9, 1)]), None);
        // The mark's height is decided: never signed at again.
        assert_eq!(unvouched(Some((9, 1)), 9, &[]), None);
        // Older logs: the mark stands.
        assert_eq!(unvouched(Some((9, 1)), 3, &[(4, 0)]), Some((9, 1)));
    }
}
