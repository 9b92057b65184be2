//! Routes: the node's status and metrics, accounts, state entries with proofs, evidence and governance.

use super::*;

/// The chain's tip.
#[utoipa::path(get, path = "/status", tag = "chain",
    responses((status = 200, body = StatusView)))]
pub(crate) async fn get_status(State(chain): Chain) -> ApiResult<StatusView> {
    blocking(move || chain.status()).await.map(Json)
}

/// An account's next nonce and, if it is a member's, the member.
#[utoipa::path(get, path = "/accounts/{account}", tag = "accounts",
    params(("account" = String, Path, description = "ed25519 public key, 0x + 64 hex digits")),
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody)))]
pub(crate) async fn get_account(
    State(chain): Chain,
    account: PathSegment,
) -> ApiResult<AccountView> {
    let (_, account) = parsed_segment::<AccountId>(account, "invalid_account", "an account")?;
    blocking(move || chain.account(account)).await.map(Json)
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
pub(crate) struct StateQuery {
    /// The height to read at (default: the latest).
    height: Option<u64>,
}

/// A state entry (or its absence) with a Merkle proof against the state root at a height.
#[utoipa::path(get, path = "/state/{key}", tag = "state",
    params(("key" = String, Path, description = "the entry's key in hex (0x optional)"), StateQuery),
    responses((status = 200, body = StateEntryView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_state_entry(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    key: PathSegment,
    query: Result<Query<StateQuery>, QueryRejection>,
) -> ApiResult<StateEntryView> {
    reader.require_all("a raw state entry")?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let key = state_key(key)?;
    blocking(move || chain.state_entry(key, query.height))
        .await
        .map(Json)
}

/// A state key from a path segment in hex (0x optional), at most 1024 bytes.
pub(crate) fn state_key(key: PathSegment) -> Result<Vec<u8>, ApiError> {
    let key = segment(key)?;
    let digits = key.strip_prefix("0x").unwrap_or(&key);
    if digits.len() > 2 * 1024 {
        return Err(ApiError::bad_request(
            "invalid_key",
            "state keys are at most 1024 bytes",
        ));
    }
    hex::decode(digits)
        .map_err(|e| ApiError::bad_request("invalid_key", format!("key is not hex: {e}")))
}

/// Equivocation evidence recorded on chain: validators that signed two conflicting votes.
#[utoipa::path(get, path = "/evidence", tag = "state",
    responses((status = 200, body = Vec<EvidenceView>)))]
pub(crate) async fn get_evidence(State(chain): Chain) -> ApiResult<Vec<EvidenceView>> {
    blocking(move || chain.evidence()).await.map(Json)
}

/// The governing members and threshold, the validator set of the next block, and every
/// validator-set change proposed, with its approvals.
#[utoipa::path(get, path = "/governance", tag = "state",
    responses((status = 200, body = GovernanceView)))]
pub(crate) async fn get_governance(State(chain): Chain) -> ApiResult<GovernanceView> {
    blocking(move || chain.governance()).await.map(Json)
}

/// Prometheus metrics: height, mempool size, committed and rejected transactions, block
/// interval and commit latency histograms.
#[utoipa::path(get, path = "/metrics", tag = "node",
    responses((status = 200, content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String)))]
pub(crate) async fn get_metrics(State(chain): Chain) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        chain.metrics(),
    )
}
