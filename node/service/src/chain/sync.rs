//! Block sync: serving committed blocks to a node that is behind, and applying those fetched.

use catena_primitives::{Block, CommitCertificate};

use super::{ChainError, ChainInstance, InvalidBlock, ValidateError};

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
