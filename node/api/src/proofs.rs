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
    blocking(move || chain.proof(key, query.from))
        .await
        .map(Json)
}
