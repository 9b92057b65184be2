//! Route: a state entry proved to an outsider from a genesis trust root (ADR 0031 decision 4).

use super::*;

/// What a proof rests on.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProofKind {
    /// The entry is in this chain's state under a header certified from this chain's genesis
    /// validators (`catena_primitives::through_anchor::InState`).
    InState,
    /// The entry is in this parachain's state under a block anchored on the main chain, proved
    /// from the main chain's genesis validators
    /// (`catena_primitives::through_anchor::ThroughAnchor`).
    ThroughAnchor,
}

/// A state entry, or its absence, with a proof an outsider checks offline.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ProofView {
    pub kind: ProofKind,
    /// The chain whose genesis validators are the proof's trust root (the main chain for a
    /// parachain's entry).
    pub trust_root_chain: String,
    /// The key in hex.
    pub key: String,
    /// The value in hex, or null if the key is absent.
    pub value: Option<String>,
    /// The block of this chain whose state holds (or lacks) the entry.
    pub height: u64,
    /// The trust root chain's block whose certified header the proof ends at.
    pub certified_height: u64,
    /// The SCALE encoding of the proof (of `kind`), in hex.
    pub proof: String,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProofQuery {
    /// A parachain's only: prove the entry at the first anchored block at or above this height
    /// (default: the latest anchored block).
    from: Option<u64>,
    /// Any other chain's only: prove the entry at this block (default: the latest).
    height: Option<u64>,
}

/// A state entry (or its absence) with a proof from a genesis trust root: on a parachain,
/// through its anchor on the main chain (the node must host both); on any other chain, under
/// its latest certified header.
#[utoipa::path(get, path = "/proofs/{key}", tag = "state",
    params(("key" = String, Path, description = "the entry's key in hex (0x optional)"), ProofQuery),
    responses((status = 200, body = ProofView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_proof(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    key: PathSegment,
    query: Result<Query<ProofQuery>, QueryRejection>,
) -> ApiResult<ProofView> {
    reader.require_all("a state proof")?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let key = state_key(key)?;
    blocking(move || chain.proof(key, query.from, query.height))
        .await
        .map(Json)
}

/// A transaction of a block and its receipt, SCALE-encoded in hex.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct BlockTxView {
    /// Its place among the block's transactions.
    pub index: u32,
    pub tx: String,
    pub receipt: String,
}

/// A block with what proves its transactions offline: its header certified from the chain's
/// genesis validators, and the lists whose ordered Merkle roots are its transaction and receipt
/// roots.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct BlockEvidenceView {
    pub height: u64,
    /// SCALE `catena_primitives::through_anchor::Certified` of the block, in hex.
    pub certified: String,
    /// Every transaction's hash, in block order (their ordered root is the header's tx_root).
    pub tx_hashes: Vec<String>,
    /// Each scheduled run's hash, then each transaction's receipt's (their ordered root is the
    /// header's receipts_root).
    pub receipt_hashes: Vec<String>,
    /// The transactions asked for, with their receipts.
    pub transactions: Vec<BlockTxView>,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub(crate) struct BlockEvidenceQuery {
    /// Only the transactions that call this contract (default: every transaction).
    contract: Option<String>,
}

/// A block, certified from the chain's genesis validators, with its transactions (those calling
/// `contract`, if given), their receipts, and the lists their roots are computed from: what an
/// evidence bundle carries to prove a transaction offline.
#[utoipa::path(get, path = "/proofs/blocks/{height}", tag = "state",
    params(("height" = u64, Path, description = "the block's height"), BlockEvidenceQuery),
    responses((status = 200, body = BlockEvidenceView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_block_evidence(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    height: PathSegment,
    query: Result<Query<BlockEvidenceQuery>, QueryRejection>,
) -> ApiResult<BlockEvidenceView> {
    reader.require_all("a block's transactions")?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let (_, height) = parsed_segment::<u64>(height, "invalid_height", "a height")?;
    let contract = query
        .contract
        .map(|c| {
            c.parse::<Hash>().map_err(|_| {
                ApiError::bad_request("invalid_contract", "contract is 0x and 64 hex digits")
            })
        })
        .transpose()?;
    blocking_found(
        move || chain.block_evidence(height, contract),
        format!("block {height} is not committed"),
    )
    .await
}
