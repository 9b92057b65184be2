//! Block sync: serving committed blocks to a node that is behind, and applying those fetched.

use catena_primitives::{Block, CommitCertificate, Hash};
use catena_storage::snapshot::SnapshotChunk;
use catena_storage::{StorageError, Tip};
use parity_scale_codec::Encode;

use super::{ChainError, ChainInstance, InvalidBlock, ValidateError};

/// What a peer asks of a chain over its sync protocol.
#[derive(Clone, Debug, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode)]
pub enum PeerRequest {
    /// Committed blocks: answered with a [`SyncResponse`].
    #[codec(index = 0)]
    Blocks(SyncRequest),
    /// The newest block whose state this node can serve, with its certificate: a
    /// [`SyncResponse`] of that one block (of none while the node holds only its genesis).
    #[codec(index = 1)]
    SnapshotOffer,
    /// Part of the state at `height` after the key hash `after`: a [`SnapshotChunk`] (empty
    /// and not the last when this node cannot serve that height).
    #[codec(index = 2)]
    SnapshotChunk {
        height: u64,
        after: Option<Hash>,
        max_entries: u32,
    },
}

impl PeerRequest {
    pub fn decode_untrusted(bytes: &[u8]) -> Result<PeerRequest, catena_primitives::DecodeError> {
        catena_primitives::decode_limited(bytes, 64)
    }
}

/// State entries served per snapshot chunk, at most.
pub const MAX_CHUNK_ENTRIES: u32 = 4_096;

/// A request for committed blocks, from a node that is behind.
#[derive(Clone, Debug, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode)]
pub struct SyncRequest {
    pub from_height: u64,
    pub max_blocks: u32,
}

/// Committed blocks with their commit certificates, in height order.
#[derive(Clone, Debug, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode)]
pub struct SyncResponse {
    pub blocks: Vec<(Block, CommitCertificate)>,
}

impl SyncRequest {
    pub fn decode_untrusted(bytes: &[u8]) -> Result<SyncRequest, catena_primitives::DecodeError> {
        catena_primitives::decode_limited(bytes, 64)
    }
}

impl SyncResponse {
    /// Decodes a peer's response, refusing more than `max_bytes`.
    pub fn decode_untrusted(
        bytes: &[u8],
        max_bytes: usize,
    ) -> Result<SyncResponse, catena_primitives::DecodeError> {
        catena_primitives::decode_limited(bytes, max_bytes)
    }
}

/// Blocks served per sync request, at most.
pub const MAX_SYNC_BLOCKS: u32 = 64;

/// Why a synced block is refused.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("block {height}: {source}")]
    Certificate {
        height: u64,
        source: catena_primitives::CertificateError,
    },
    #[error("block {height}: {source}")]
    Block { height: u64, source: ValidateError },
    #[error(transparent)]
    Chain(#[from] ChainError),
}

impl SyncError {
    /// Whether the validators certified a block that this node cannot reproduce: its
    /// certificate verified, yet re-executing it failed or gave other roots. The node's state
    /// (or code) has diverged from the chain's, and it must stop voting.
    ///
    /// Only a block whose transactions match its header (the transaction root checks) and
    /// whose execution here fails or gives other roots counts: a gap, a wrong parent or altered
    /// transactions are the sender's doing, not this node's.
    pub fn is_divergence(&self) -> bool {
        matches!(
            self,
            SyncError::Block {
                source: ValidateError::Invalid(
                    InvalidBlock::StateRoot { .. }
                        | InvalidBlock::ReceiptsRoot { .. }
                        | InvalidBlock::Execution(_)
                ),
                ..
            }
        )
    }
}

impl ChainInstance {
    /// Answers a sync request from the store: up to `max_blocks` (capped) committed blocks
    /// from `from_height`, within `max_bytes` of encoding.
    pub fn serve_sync(
        &self,
        request: &SyncRequest,
        max_bytes: usize,
    ) -> Result<SyncResponse, ChainError> {
        let mut blocks = Vec::new();
        let mut bytes = 0usize;
        let last = request
            .from_height
            .saturating_add(u64::from(request.max_blocks.min(MAX_SYNC_BLOCKS)));
        for height in request.from_height..last {
            let (Some(block), Some(certificate)) =
                (self.store.block(height)?, self.store.certificate(height)?)
            else {
                break;
            };
            bytes += parity_scale_codec::Encode::encoded_size(&(&block, &certificate));
            if bytes > max_bytes && !blocks.is_empty() {
                break;
            }
            blocks.push((block, certificate));
        }
        Ok(SyncResponse { blocks })
    }

    /// Answers a peer's request (see [`PeerRequest`]) in at most about `max_bytes`.
    pub fn serve(&self, request: &PeerRequest, max_bytes: usize) -> Result<Vec<u8>, ChainError> {
        Ok(match request {
            PeerRequest::Blocks(request) => self.serve_sync(request, max_bytes)?.encode(),
            PeerRequest::SnapshotOffer => match self.tip()?.height {
                0 => SyncResponse { blocks: Vec::new() }.encode(),
                tip => self
                    .serve_sync(
                        &SyncRequest {
                            from_height: tip,
                            max_blocks: 1,
                        },
                        max_bytes,
                    )?
                    .encode(),
            },
            PeerRequest::SnapshotChunk {
                height,
                after,
                max_entries,
            } => {
                let entries = (*max_entries).min(MAX_CHUNK_ENTRIES) as usize;
                match self
                    .store
                    .snapshot_chunk(*height, *after, entries, max_bytes / 2)
                {
                    Ok(chunk) => chunk.encode(),
                    Err(StorageError::Missing(_)) => SnapshotChunk {
                        entries: Vec::new(),
                        proof: Vec::new(),
                        last: false,
                    }
                    .encode(),
                    Err(e) => return Err(e.into()),
                }
            }
        })
    }

    /// After a state sync wrote `tip` (its state, block and certificate): what this instance
    /// keeps of the chain follows it.
    pub fn state_synced(&self, tip: Tip) -> Result<(), ChainError> {
        self.refresh_validators()?;
        self.metrics
            .height
            .set(i64::try_from(tip.height).unwrap_or(i64::MAX));
        let _ = self.commits.send(tip.height);
        Ok(())
    }

    /// Applies blocks fetched from a peer: each must be the next block, carry a quorum
    /// certificate of this chain's validators, and re-execute to its header's roots. Returns the
    /// number of blocks committed; stops at the first refused block.
    pub fn apply_synced(&self, response: SyncResponse) -> Result<usize, SyncError> {
        let mut applied = 0;
        for (block, certificate) in response.blocks {
            let height = block.header.height;
            let tip = self.tip()?.height;
            if height <= tip {
                continue; // already have it
            }
            if height != tip + 1 {
                // A gap: only the next block can be checked against this node's state.
                break;
            }
            self.validators()
                .verify_certificate(&self.spec.chain_id, height, block.hash(), &certificate)
                .map_err(|source| SyncError::Certificate { height, source })?;
            let proposal = self
                .validate_proposal(block)
                .map_err(|source| SyncError::Block { height, source })?;
            self.commit(proposal, &certificate)?;
            applied += 1;
        }
        Ok(applied)
    }
}
