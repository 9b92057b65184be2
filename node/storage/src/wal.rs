//! The validator's write-ahead logs, synced before anything is sent:
//! - the **vote log**: every vote this validator signs, so a restarted validator knows what it
//!   signed and never signs a conflicting vote for the same height, round and kind;
//! - the **proposal log**: every block this validator proposes, so a restarted validator
//!   proposes the same block again in a round it already proposed in (never a second one), and
//!   still holds the block it locked on when it re-proposes it.
//!
//! Format of both: a sequence of records `[len: u32 LE][crc32 of payload: u32 LE][payload]`, the
//! payload SCALE-encoded ([`LoggedVote`], [`LoggedProposal`]). On open, a record cut short by a
//! crash (the torn tail) is truncated away; a complete record whose checksum fails with more
//! data behind it is damage the node cannot repair by itself, and opening fails with a message
//! saying so.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use catena_primitives::codec::decode_limited;
use catena_primitives::{Hash, VoteKind};
use parity_scale_codec::{Decode, Encode};

const HEADER_LEN: usize = 8;
/// The largest payload a vote record can have: a logged vote encodes to at most 46 bytes. A
/// header claiming more is damage, never a torn write (a torn write leaves a prefix of a record,
/// whose header bytes, when all present, are the ones written).
const MAX_RECORD_LEN: usize = 64;

/// One record: `[len][crc32][payload]`.
fn encode_record(payload: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(HEADER_LEN + payload.len());
    record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    record.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    record.extend_from_slice(payload);
    record
}

/// A vote as remembered by its signer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct LoggedVote {
    pub kind: VoteKind,
    pub height: u64,
    pub round: u32,
    pub value: Option<Hash>,
}

/// A block as proposed by this validator: the round it proposed it in and the block's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct LoggedProposal {
    pub height: u64,
    pub round: u32,
    pub value: Hash,
    pub block: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("log {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "log {path} is damaged at byte {offset} ({reason}) with {remaining} bytes after it; \
         it cannot be repaired automatically. Restore it from a backup; never delete a vote \
         log while this validator may have voted, or it could sign conflicting votes"
    )]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
        remaining: u64,
    },
}

/// What opening a log found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    pub records: usize,
    /// Bytes of a torn last record that were cut off.
    pub truncated_bytes: u64,
}

/// An append-only file of checksummed records, each synced when written.
#[derive(Debug)]
struct RecordFile {
    path: PathBuf,
    file: File,
}

impl RecordFile {
    fn io(&self) -> impl Fn(std::io::Error) -> WalError + '_ {
        |source| WalError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Opens (creating if needed) the file at `path`, truncating a torn tail, and decodes every
    /// record of at most `max_len` bytes.
    fn open<T: Decode>(path: &Path, max_len: usize) -> Result<(Self, Vec<T>, Recovery), WalError> {
        let io = |source| WalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let created = !path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        if created {
            // The new file's directory entry must be durable too, or the log could vanish.
            file.sync_all().map_err(io)?;
            sync_dir(path).map_err(io)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let mut records = Vec::new();
        let mut offset = 0usize;
        let total = bytes.len();
        while offset < total {
            let rest = &bytes[offset..];
            if rest.len() < HEADER_LEN {
                break; // torn header
            }
            let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
            let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
            let corrupt = |reason: String| WalError::Corrupt {
                path: path.to_path_buf(),
                offset: offset as u64,
                reason,
                remaining: (total - offset) as u64,
            };
            if len > max_len {
                return Err(corrupt(format!("record length {len} is impossible")));
            }
            if rest.len() < HEADER_LEN + len {
                break; // torn payload
            }
            let payload = &rest[HEADER_LEN..HEADER_LEN + len];
            let is_last = rest.len() == HEADER_LEN + len;
            if crc32fast::hash(payload) != crc {
                if is_last {
                    break; // the last record was being written when the process died
                }
                return Err(corrupt("checksum mismatch".into()));
            }
            match decode_limited::<T>(payload, max_len) {
                Ok(record) => records.push(record),
                Err(e) => return Err(corrupt(format!("undecodable record: {e}"))),
            }
            offset += HEADER_LEN + len;
        }
        let truncated_bytes = (total - offset) as u64;
        if truncated_bytes > 0 {
            file.set_len(offset as u64).map_err(io)?;
            file.sync_all().map_err(io)?;
            tracing::warn!(target: "storage::wal", path = %path.display(), truncated_bytes, "cut a torn record off the log");
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        let recovery = Recovery {
            records: records.len(),
            truncated_bytes,
        };
        let log = RecordFile {
            path: path.to_path_buf(),
            file,
        };
        Ok((log, records, recovery))
    }

    /// Appends one record and syncs it.
    fn append(&mut self, payload: &[u8]) -> Result<(), WalError> {
        let record = encode_record(payload);
        self.file.write_all(&record).map_err(self.io())?;
        self.file.sync_data().map_err(self.io())
    }

    /// Replaces the file's records atomically: a new file is written and synced, then renamed
    /// over the old one.
    fn rewrite(&mut self, payloads: impl IntoIterator<Item = Vec<u8>>) -> Result<(), WalError> {
        let tmp = self.path.with_extension("tmp");
        {
            let mut out = File::create(&tmp).map_err(self.io())?;
            for payload in payloads {
                out.write_all(&encode_record(&payload)).map_err(self.io())?;
            }
            out.sync_all().map_err(self.io())?;
        }
        std::fs::rename(&tmp, &self.path).map_err(self.io())?;
        sync_dir(&self.path).map_err(self.io())?;
        self.file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(self.io())?;
        Ok(())
    }
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => File::open(dir).and_then(|d| d.sync_all()),
        None => Ok(()),
    }
}

/// The open vote log of one chain.
#[derive(Debug)]
pub struct VoteLog {
    file: RecordFile,
    votes: Vec<LoggedVote>,
}

impl VoteLog {
    /// Opens (creating if needed) the log at `path`, truncating a torn tail.
    pub fn open(path: &Path) -> Result<(VoteLog, Recovery), WalError> {
        let (file, votes, recovery) = RecordFile::open(path, MAX_RECORD_LEN)?;
        Ok((VoteLog { file, votes }, recovery))
    }

    /// Every vote logged, oldest first.
    pub fn votes(&self) -> &[LoggedVote] {
        &self.votes
    }

    /// A logged vote of the same kind, height and round with a different value: signing `vote`
    /// would be equivocation.
    pub fn conflict(&self, vote: &LoggedVote) -> Option<LoggedVote> {
        self.votes
            .iter()
            .find(|v| {
                v.kind == vote.kind
                    && v.height == vote.height
                    && v.round == vote.round
                    && v.value != vote.value
            })
            .copied()
    }

    /// Appends `vote` and syncs it to disk. Call before sending the vote.
    pub fn append(&mut self, vote: LoggedVote) -> Result<(), WalError> {
        self.file.append(&vote.encode())?;
        self.votes.push(vote);
        Ok(())
    }

    /// Drops votes below `height` (decided heights), rewriting the log atomically.
    pub fn prune_below(&mut self, height: u64) -> Result<(), WalError> {
        let kept: Vec<LoggedVote> = self
            .votes
            .iter()
            .filter(|v| v.height >= height)
            .copied()
            .collect();
        if kept.len() == self.votes.len() {
            return Ok(());
        }
        self.file.rewrite(kept.iter().map(Encode::encode))?;
        self.votes = kept;
        Ok(())
    }
}

/// The open proposal log of one chain: the blocks this validator proposed at heights not yet
/// committed.
#[derive(Debug)]
pub struct ProposalLog {
    file: RecordFile,
    proposals: Vec<LoggedProposal>,
}

impl ProposalLog {
    /// Opens (creating if needed) the log at `path`, truncating a torn tail; `max_block_bytes`
    /// bounds a logged block.
    pub fn open(path: &Path, max_block_bytes: usize) -> Result<(ProposalLog, Recovery), WalError> {
        // Height, round, hash and the block's length prefix around the block.
        let max_len = max_block_bytes.saturating_add(64);
        let (file, proposals, recovery) = RecordFile::open(path, max_len)?;
        Ok((ProposalLog { file, proposals }, recovery))
    }

    /// Every proposal logged, oldest first.
    pub fn proposals(&self) -> &[LoggedProposal] {
        &self.proposals
    }

    /// The block this validator proposed at `height` and `round`, if it did.
    pub fn get(&self, height: u64, round: u32) -> Option<&LoggedProposal> {
        self.proposals
            .iter()
            .find(|p| p.height == height && p.round == round)
    }

    /// Appends `proposal` and syncs it to disk. Call before publishing the proposal.
    pub fn append(&mut self, proposal: LoggedProposal) -> Result<(), WalError> {
        self.file.append(&proposal.encode())?;
        self.proposals.push(proposal);
        Ok(())
    }

    /// Drops proposals below `height` (committed heights).
    pub fn prune_below(&mut self, height: u64) -> Result<(), WalError> {
        if self.proposals.iter().all(|p| p.height >= height) {
            return Ok(());
        }
        self.proposals.retain(|p| p.height >= height);
        self.file.rewrite(self.proposals.iter().map(Encode::encode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(height: u64, round: u32, value: u8) -> LoggedVote {
        LoggedVote {
            kind: VoteKind::Precommit,
            height,
            round,
            value: Some(Hash([value; 32])),
        }
    }

    #[test]
    fn survives_reopen_and_finds_conflicts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("votes.wal");
        {
            let (mut log, recovery) = VoteLog::open(&path).expect("open");
            assert_eq!(
                recovery,
                Recovery {
                    records: 0,
                    truncated_bytes: 0
                }
            );
            log.append(vote(1, 0, 7)).expect("append");
            log.append(vote(2, 0, 8)).expect("append");
        }
        let (log, recovery) = VoteLog::open(&path).expect("reopen");
        assert_eq!(recovery.records, 2);
        assert_eq!(log.votes(), &[vote(1, 0, 7), vote(2, 0, 8)]);
        assert_eq!(log.conflict(&vote(2, 0, 9)), Some(vote(2, 0, 8)));
        assert_eq!(log.conflict(&vote(2, 0, 8)), None);
        assert_eq!(log.conflict(&vote(2, 1, 9)), None);
    }

    /// Cut the file at every length: each prefix opens, keeps the whole records before the cut,
    /// and truncates the rest; appending afterwards works.
    #[test]
    fn every_torn_tail_is_truncated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("votes.wal");
        let votes: Vec<LoggedVote> = (0..5).map(|i| vote(i, 0, i as u8)).collect();
        {
            let (mut log, _) = VoteLog::open(&path).expect("open");
            for v in &votes {
                log.append(*v).expect("append");
            }
        }
        let full = std::fs::read(&path).expect("read");
        let record_len = full.len() / votes.len();
        for cut in 0..full.len() {
            std::fs::write(&path, &full[..cut]).expect("write");
            let (mut log, recovery) =
                VoteLog::open(&path).expect("a torn tail never blocks start-up");
            let whole = cut / record_len;
            assert_eq!(log.votes(), &votes[..whole], "cut at {cut}");
            assert_eq!(recovery.truncated_bytes, (cut - whole * record_len) as u64);
            log.append(vote(9, 9, 9)).expect("append after recovery");
            drop(log);
            let (log, _) = VoteLog::open(&path).expect("reopen");
            assert_eq!(log.votes().last(), Some(&vote(9, 9, 9)));
        }
    }

    #[test]
    fn damage_before_the_tail_refuses_to_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("votes.wal");
        {
            let (mut log, _) = VoteLog::open(&path).expect("open");
            for i in 0..3 {
                log.append(vote(i, 0, 1)).expect("append");
            }
        }
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[HEADER_LEN + 2] ^= 0xff; // inside the first record's payload
        std::fs::write(&path, &bytes).expect("write");
        let err = VoteLog::open(&path).expect_err("damaged").to_string();
        assert!(err.contains("damaged at byte 0"), "{err}");
        assert!(err.contains("cannot be repaired automatically"), "{err}");
    }

    #[test]
    fn a_damaged_length_field_refuses_to_open() {
        for bad_len in [60u32, 1_000, u32::MAX] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("votes.wal");
            {
                let (mut log, _) = VoteLog::open(&path).expect("open");
                for i in 0..20 {
                    log.append(vote(i, 0, 1)).expect("append");
                }
            }
            let mut bytes = std::fs::read(&path).expect("read");
            bytes[..4].copy_from_slice(&bad_len.to_le_bytes());
            std::fs::write(&path, &bytes).expect("write");
            let err = VoteLog::open(&path)
                .expect_err("damaged length")
                .to_string();
            assert!(err.contains("damaged at byte 0"), "{bad_len}: {err}");
        }
    }

    #[test]
    fn proposals_survive_reopen_and_are_pruned_by_height() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("proposals.wal");
        let proposal = |height, round, byte| LoggedProposal {
            height,
            round,
            value: Hash([byte; 32]),
            block: vec![byte; 1_000],
        };
        {
            let (mut log, _) = ProposalLog::open(&path, 4_096).expect("open");
            log.append(proposal(5, 0, 1)).expect("append");
            log.append(proposal(6, 0, 2)).expect("append");
            log.append(proposal(6, 3, 3)).expect("append");
        }
        let (mut log, recovery) = ProposalLog::open(&path, 4_096).expect("reopen");
        assert_eq!(recovery.records, 3);
        assert_eq!(log.get(6, 3), Some(&proposal(6, 3, 3)));
        assert_eq!(log.get(6, 1), None);
        log.prune_below(6).expect("prune");
        drop(log);
        let (log, _) = ProposalLog::open(&path, 4_096).expect("reopen");
        assert_eq!(log.proposals(), &[proposal(6, 0, 2), proposal(6, 3, 3)]);
        // A record larger than the bound is damage, not a block.
        let err = ProposalLog::open(&path, 100).expect_err("over the bound");
        assert!(err.to_string().contains("impossible"), "{err}");
    }

    #[test]
    fn prune_keeps_recent_votes_atomically() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("votes.wal");
        let (mut log, _) = VoteLog::open(&path).expect("open");
        for i in 0..10 {
            log.append(vote(i, 0, 1)).expect("append");
        }
        log.prune_below(7).expect("prune");
        log.append(vote(10, 0, 1)).expect("append");
        drop(log);
        let (log, _) = VoteLog::open(&path).expect("reopen");
        let heights: Vec<u64> = log.votes().iter().map(|v| v.height).collect();
        assert_eq!(heights, vec![7, 8, 9, 10]);
    }
}
