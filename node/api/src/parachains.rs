//! Routes: the parachains registered on this (main) chain, and their anchors.

use super::*;

/// A parachain block anchored on the main chain.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct AnchoredView {
    /// The parachain block's height.
    pub height: u64,
    #[schema(value_type = String)]
    pub block_hash: Hash,
    #[schema(value_type = String)]
    pub state_root: Hash,
    /// The parachain block's time, milliseconds since 1970.
    pub time_ms: u64,
    /// The hash of the validator set that certified it.
    #[schema(value_type = String)]
    pub validator_set_hash: Hash,
    /// The main-chain block that anchored it.
    pub main_height: u64,
}

/// A parachain validator: its account and the member that runs it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ParachainValidatorView {
    #[schema(value_type = String)]
    pub account: AccountId,
    pub member: String,
}

/// Why a parachain is frozen: two blocks certified at one height.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ForkView {
    pub height: u64,
    /// The block anchored first.
    #[schema(value_type = String)]
    pub anchored: Hash,
    /// The other certified block.
    #[schema(value_type = String)]
    pub conflicting: Hash,
    /// The main-chain height where the conflict was found.
    pub found_at: u64,
}

/// A parachain as the main chain registers it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ParachainView {
    pub id: String,
    #[schema(value_type = String)]
    pub genesis_hash: Hash,
    /// The main chain's members that belong to it.
    pub members: Vec<String>,
    /// Its genesis validators, as registered.
    pub genesis_validators: Vec<ParachainValidatorView>,
    /// The accounts of the set that certifies its block after the head.
    #[schema(value_type = Vec<String>)]
    pub validators: Vec<AccountId>,
    /// It anchors every this many blocks, and at least this often.
    pub anchor_every_blocks: u64,
    pub anchor_every_ms: u64,
    /// `active`, or `frozen` (no anchor accepted until the governing quorum recovers it).
    pub status: String,
    pub fork: Option<ForkView>,
    /// The latest anchored block, if any.
    pub head: Option<AnchoredView>,
    /// The main-chain height it was registered at.
    pub registered_at: u64,
    /// How old its head is by the main chain's tip time, in milliseconds (0 while nothing is
    /// anchored).
    pub anchor_age_ms: u64,
}

/// A page of a parachain's anchors, oldest first.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct AnchorPageView {
    pub anchors: Vec<AnchoredView>,
    /// Where the next page starts (`from`), if there is more.
    pub next: Option<u64>,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnchorPage {
    /// Anchors of parachain blocks at this height and above (default 0).
    from: Option<u64>,
    /// At most this many (1 to 100, default 20).
    limit: Option<u32>,
}

/// The parachains registered on this chain, by id.
#[utoipa::path(get, path = "/parachains", tag = "parachains",
    responses((status = 200, body = Vec<ParachainView>)))]
pub(crate) async fn list_parachains(State(chain): Chain) -> ApiResult<Vec<ParachainView>> {
    blocking(move || chain.parachains()).await.map(Json)
}

/// One registered parachain: members, validator set, anchor period, status, head.
#[utoipa::path(get, path = "/parachains/{id}", tag = "parachains",
    params(("id" = String, Path, description = "the parachain's chain id")),
    responses((status = 200, body = ParachainView), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_parachain(
    State(chain): Chain,
    id: PathSegment,
) -> ApiResult<ParachainView> {
    let id = segment(id)?;
    let missing = format!("no parachain '{id}' is registered");
    blocking_found(move || chain.parachain(&id), missing).await
}

/// A parachain's anchored blocks, oldest first, a page at a time.
#[utoipa::path(get, path = "/parachains/{id}/anchors", tag = "parachains",
    params(("id" = String, Path, description = "the parachain's chain id"), AnchorPage),
    responses((status = 200, body = AnchorPageView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_parachain_anchors(
    State(chain): Chain,
    id: PathSegment,
    query: Result<Query<AnchorPage>, QueryRejection>,
) -> ApiResult<AnchorPageView> {
    let id = segment(id)?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = page_limit(query.limit)? as usize;
    let from = query.from.unwrap_or(0);
    let missing = format!("no parachain '{id}' is registered");
    blocking_found(move || chain.parachain_anchors(&id, from, limit), missing).await
}
