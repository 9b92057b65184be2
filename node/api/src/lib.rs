//! The node's HTTP API: JSON over HTTP, described by an OpenAPI document served at
//! `/openapi.json`. Handlers depend on the [`ChainApi`] trait, not on the node, so the API is
//! tested against a fake chain and the node is free to change underneath.
//!
//! Every error is a JSON body `{"error": {"code": "...", "message": "..."}}` with a 4xx status
//! when the request is at fault; a 5xx means the node itself failed.

use std::sync::Arc;

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use catena_primitives::{AccountId, Hash, Transaction};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod views;
pub use views::*;

mod business;
pub mod reference;
pub use business::{
    BackingView, BalanceView, CustodiedView, HistoryItemView, HistoryView, MemberInfoView,
    RecordView, SearchHit, VoucherPageView, VoucherView,
};

/// The largest request body accepted (a transaction in hex is twice its size).
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// What the API needs from a chain. Implemented by the node's chain instance.
pub trait ChainApi: Send + Sync + 'static {
    fn status(&self) -> Result<StatusView, ApiError>;
    fn block(&self, id: BlockId) -> Result<Option<BlockView>, ApiError>;
    fn transaction(&self, hash: Hash) -> Result<Option<TransactionView>, ApiError>;
    fn account(&self, account: AccountId) -> Result<AccountView, ApiError>;
    fn state_entry(&self, key: Vec<u8>, height: Option<u64>) -> Result<StateEntryView, ApiError>;
    /// Equivocation evidence recorded on chain, oldest height first per signer.
    fn evidence(&self) -> Result<Vec<EvidenceView>, ApiError>;
    /// Governing members, the validator set of the next block, and the proposals.
    fn governance(&self) -> Result<GovernanceView, ApiError>;
    fn contract(&self, id: Hash) -> Result<Option<ContractView>, ApiError>;
    /// Events from `from` (height, index) inclusive up to `to_height` that `query` accepts, at
    /// most `limit`; and where a next page would start.
    fn events(
        &self,
        query: &EventQuery,
        from: (u64, u32),
        to_height: u64,
        limit: usize,
    ) -> Result<EventSlice, ApiError>;
    /// Wakes up on every committed block with its height, if this node can tell.
    fn subscribe(&self) -> Option<tokio::sync::broadcast::Receiver<u64>>;
    /// Runs a contract method read-only against the latest committed state.
    fn query(&self, id: Hash, method: String, input: Vec<u8>) -> Result<Vec<u8>, ApiError>;
    fn submit(&self, tx: Transaction) -> Result<Hash, ApiError>;
    /// Submits many transactions; the outcome of each, in order.
    fn submit_batch(&self, txs: Vec<Transaction>) -> Vec<Result<Hash, ApiError>> {
        txs.into_iter().map(|tx| self.submit(tx)).collect()
    }
    /// Metrics in the OpenMetrics text format.
    fn metrics(&self) -> String;
}

/// Events found, and where the next page would start (if anything is left in the range).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventSlice {
    pub events: Vec<EventRecordView>,
    pub resume: Option<(u64, u32)>,
}

/// An [`EventFilter`] checked: which events to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub contract: Option<Hash>,
    pub topic: Option<Vec<u8>>,
    pub account: Option<AccountId>,
}

impl EventQuery {
    /// Parses the filter's fields; the error names the one that is wrong.
    pub fn parse(filter: &EventFilter) -> Result<EventQuery, ApiError> {
        let bad = |field: &str, e: String| {
            ApiError::bad_request("invalid_filter", format!("{field}: {e}"))
        };
        Ok(EventQuery {
            contract: filter
                .contract
                .as_deref()
                .map(|c| {
                    c.parse::<Hash>()
                        .map_err(|e| bad("contract", e.to_string()))
                })
                .transpose()?,
            topic: filter.topic.as_ref().map(|t| t.as_bytes().to_vec()),
            account: filter
                .account
                .as_deref()
                .map(|a| {
                    a.parse::<AccountId>()
                        .map_err(|e| bad("account", e.to_string()))
                })
                .transpose()?,
        })
    }

    pub fn accepts(&self, contract: &Hash, topic: &[u8], signer: Option<&AccountId>) -> bool {
        self.contract.as_ref().is_none_or(|c| c == contract)
            && self.topic.as_deref().is_none_or(|t| t == topic)
            && self.account.as_ref().is_none_or(|a| Some(a) == signer)
    }
}

/// A block named by height or by hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockId {
    Height(u64),
    Hash(Hash),
    Latest,
}

impl std::str::FromStr for BlockId {
    type Err = ApiError;
    fn from_str(text: &str) -> Result<Self, ApiError> {
        if text == "latest" {
            return Ok(BlockId::Latest);
        }
        if let Ok(height) = text.parse::<u64>() {
            return Ok(BlockId::Height(height));
        }
        text.parse::<Hash>().map(BlockId::Hash).map_err(|e| {
            ApiError::bad_request(
                "invalid_block_id",
                format!("'{text}' is neither a block height, 'latest', nor a block hash: {e}"),
            )
        })
    }
}

/// An error answered to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// The JSON body of every error.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct ErrorDetail {
    /// A stable, machine-readable code such as `nonce_used` or `not_found`.
    pub code: String,
    /// What is wrong, in words.
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(target: "api", code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

type Chain = State<Arc<dyn ChainApi>>;
type ApiResult<T> = Result<Json<T>, ApiError>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Catena node API",
        description = "Submit signed transactions and read blocks, transactions, accounts and \
                       state entries with Merkle proofs. Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    components(schemas(ErrorBody, ErrorDetail))
)]
struct ApiDoc;

/// The API router for one chain, with `/openapi.json`.
pub fn router(chain: Arc<dyn ChainApi>) -> Router {
    let (router, openapi) = openapi_router().split_for_parts();
    let openapi = Arc::new(openapi);
    router
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&openapi);
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(|| async { ApiError::not_found("no such route; see /openapi.json") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this route; see /openapi.json",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(chain)
}

/// The OpenAPI document alone.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi_router().split_for_parts().1
}

fn openapi_router() -> OpenApiRouter<Arc<dyn ChainApi>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(get_status))
        .routes(routes!(submit_transaction))
        .routes(routes!(submit_transactions))
        .routes(routes!(get_transaction))
        .routes(routes!(get_block))
        .routes(routes!(list_blocks))
        .routes(routes!(list_block_transactions))
        .routes(routes!(get_account))
        .routes(routes!(get_state_entry))
        .routes(routes!(get_evidence))
        .routes(routes!(get_governance))
        .routes(routes!(get_contract))
        .routes(routes!(query_contract))
        .routes(routes!(business::get_members))
        .routes(routes!(business::get_member))
        .routes(routes!(business::get_record))
        .routes(routes!(business::get_voucher))
        .routes(routes!(business::get_voucher_history))
        .routes(routes!(business::get_voucher_lineage))
        .routes(routes!(business::list_vouchers))
        .routes(routes!(business::get_balance))
        .routes(routes!(business::search))
        .routes(routes!(get_events))
        .routes(routes!(stream))
        .routes(routes!(get_metrics))
}

/// Runs a chain call on the blocking pool: chain calls read RocksDB (and admission checks a
/// signature), which must not stall the async workers that serve other requests.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| ApiError::internal(format!("request task failed: {e}")))?
}

/// A path segment, or a JSON 400 when it cannot be read (bad percent-encoding, say).
fn segment(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(segment)| segment)
        .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))
}

/// The chain's tip.
#[utoipa::path(get, path = "/status", tag = "chain",
    responses((status = 200, body = StatusView)))]
async fn get_status(State(chain): Chain) -> ApiResult<StatusView> {
    blocking(move || chain.status()).await.map(Json)
}

/// Submits a signed transaction (its SCALE bytes in hex). Answers once the mempool admitted it;
/// poll `/transactions/{hash}` for its inclusion.
#[utoipa::path(post, path = "/transactions", tag = "transactions",
    request_body = SubmitRequest,
    responses(
        (status = 202, body = SubmitResponse, description = "admitted to the mempool"),
        (status = 400, body = ErrorBody, description = "malformed request or transaction"),
        (status = 403, body = ErrorBody, description = "the signer is not a member"),
        (status = 409, body = ErrorBody, description = "nonce already used or taken (replay)"),
        (status = 413, body = ErrorBody, description = "transaction over the size limit"),
        (status = 422, body = ErrorBody, description = "wrong chain id or bad signature"),
        (status = 503, body = ErrorBody, description = "mempool full, try later"),
    ))]
async fn submit_transaction(
    State(chain): Chain,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SubmitResponse>), ApiError> {
    let request: SubmitRequest = json_body(body, "{\"transaction\": \"0x<hex>\"}")?;
    let tx = decode_submitted(&request.transaction)?;
    let hash = blocking(move || chain.submit(tx)).await?;
    Ok((StatusCode::ACCEPTED, Json(SubmitResponse { hash })))
}

/// A JSON request body; `expected` shows its shape in the error.
fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<axum::body::Bytes, BytesRejection>,
    expected: &str,
) -> Result<T, ApiError> {
    let body = body.map_err(|e| ApiError::new(e.status(), "bad_body", e.body_text()))?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("expected {expected}: {e}")))
}

/// Transactions in one `POST /transactions/batch`, at most.
pub const MAX_BATCH_TXS: usize = 1_000;

/// Decodes one submitted transaction from hex; the error as the API answers it.
fn decode_submitted(text: &str) -> Result<Transaction, ApiError> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(digits).map_err(|e| {
        ApiError::bad_request("invalid_hex", format!("transaction is not hex: {e}"))
    })?;
    Transaction::decode_untrusted(&bytes).map_err(|e| {
        let status = match e {
            catena_primitives::TxError::Decode(catena_primitives::DecodeError::TooLarge {
                ..
            }) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, "malformed_transaction", e.to_string())
    })
}

/// Submits up to 1,000 signed transactions at once (their signatures are checked in one batch,
/// which costs about half as much per transaction). Each gets the outcome `POST /transactions`
/// would give it, in order: its hash, or its error with the HTTP status it would have had.
/// Answers 200 when the batch was read, whatever each outcome; 503 (`mempool_full`) when the
/// mempool was full for every one of them.
#[utoipa::path(post, path = "/transactions/batch", tag = "transactions",
    request_body = BatchSubmitRequest,
    responses(
        (status = 200, body = BatchSubmitResponse, description = "the outcome of each transaction"),
        (status = 400, body = ErrorBody, description = "malformed request, or an empty batch"),
        (status = 413, body = ErrorBody, description = "more than 1,000 transactions"),
        (status = 503, body = ErrorBody, description = "mempool full for every transaction, try later"),
    ))]
async fn submit_transactions(
    State(chain): Chain,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Json<BatchSubmitResponse>, ApiError> {
    let request: BatchSubmitRequest = json_body(body, "{\"transactions\": [\"0x<hex>\", ...]}")?;
    if request.transactions.is_empty() {
        return Err(ApiError::bad_request(
            "empty_batch",
            "the batch holds no transactions",
        ));
    }
    if request.transactions.len() > MAX_BATCH_TXS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "{} transactions in one batch, over the limit of {MAX_BATCH_TXS}",
                request.transactions.len()
            ),
        ));
    }
    // Each transaction decoded, or its decoding error in its place.
    let mut errors: Vec<Option<ApiError>> = Vec::with_capacity(request.transactions.len());
    let mut to_submit = Vec::with_capacity(request.transactions.len());
    for text in &request.transactions {
        match decode_submitted(text) {
            Ok(tx) => {
                to_submit.push(tx);
                errors.push(None);
            }
            Err(e) => errors.push(Some(e)),
        }
    }
    let mut submitted = blocking(move || Ok(chain.submit_batch(to_submit)))
        .await?
        .into_iter();
    let outcomes: Vec<Result<Hash, ApiError>> = errors
        .into_iter()
        .map(|error| match error {
            Some(e) => Err(e),
            None => submitted
                .next()
                .unwrap_or_else(|| Err(ApiError::internal("no outcome for a transaction"))),
        })
        .collect();
    if outcomes
        .iter()
        .all(|o| matches!(o, Err(e) if e.code == "mempool_full"))
    {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "mempool_full",
            "the mempool is full for every transaction of the batch; try again after the next block",
        ));
    }
    let admitted = outcomes.iter().filter(|o| o.is_ok()).count();
    let results = outcomes
        .into_iter()
        .map(|outcome| match outcome {
            Ok(hash) => BatchOutcome {
                status: StatusCode::ACCEPTED.as_u16(),
                hash: Some(hash),
                error: None,
            },
            Err(e) => BatchOutcome {
                status: e.status.as_u16(),
                hash: None,
                error: Some(ErrorDetail {
                    code: e.code.into(),
                    message: e.message,
                }),
            },
        })
        .collect();
    Ok(Json(BatchSubmitResponse { admitted, results }))
}

/// A transaction by hash: pending in the mempool, or committed with its receipt.
#[utoipa::path(get, path = "/transactions/{hash}", tag = "transactions",
    params(("hash" = String, Path, description = "transaction hash, 0x + 64 hex digits")),
    responses((status = 200, body = TransactionView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_transaction(
    State(chain): Chain,
    hash: Result<Path<String>, PathRejection>,
) -> ApiResult<TransactionView> {
    let hash = segment(hash)?;
    let hash: Hash = hash.parse().map_err(|e| {
        ApiError::bad_request(
            "invalid_hash",
            format!("'{hash}' is not a transaction hash: {e}"),
        )
    })?;
    blocking(move || chain.transaction(hash))
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "transaction {hash} is neither pending nor committed"
            ))
        })
}

/// A block by height, by hash, or `latest`.
#[utoipa::path(get, path = "/blocks/{id}", tag = "chain",
    params(("id" = String, Path, description = "a height, a block hash (0x + 64 hex digits), or `latest`")),
    responses((status = 200, body = BlockView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_block(
    State(chain): Chain,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<BlockView> {
    let id = segment(id)?;
    let block_id: BlockId = id.parse()?;
    blocking(move || chain.block(block_id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no block {id}")))
}

/// The largest page of blocks or transactions.
pub const MAX_PAGE: u32 = 100;

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BlockPage {
    /// Blocks below this height (default: from the tip down).
    before: Option<u64>,
    /// At most this many (1 to 100, default 20).
    limit: Option<u32>,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct TxPage {
    /// Skip this many of the block's transactions.
    offset: Option<u32>,
    /// At most this many (1 to 100, default 20).
    limit: Option<u32>,
}

fn page_limit(limit: Option<u32>) -> Result<u64, ApiError> {
    match limit.unwrap_or(20) {
        n @ 1..=MAX_PAGE => Ok(u64::from(n)),
        _ => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit: 1 to {MAX_PAGE}"),
        )),
    }
}

/// Recent blocks, newest first, a page at a time (`before` = the lowest height of the last page).
#[utoipa::path(get, path = "/blocks", tag = "chain",
    params(BlockPage),
    responses((status = 200, body = Vec<BlockView>), (status = 400, body = ErrorBody)))]
async fn list_blocks(
    State(chain): Chain,
    query: Result<Query<BlockPage>, QueryRejection>,
) -> ApiResult<Vec<BlockView>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = page_limit(query.limit)?;
    blocking(move || {
        let tip = chain.status()?.height;
        let top = query
            .before
            .map_or(Some(tip), |b| b.checked_sub(1))
            .map(|t| t.min(tip));
        let mut blocks = Vec::new();
        if let Some(top) = top {
            for height in (top.saturating_sub(limit - 1)..=top).rev() {
                if let Some(block) = chain.block(BlockId::Height(height))? {
                    blocks.push(block);
                }
            }
        }
        Ok(Json(blocks))
    })
    .await
}

/// A block's transactions with their receipts, in block order, a page at a time.
#[utoipa::path(get, path = "/blocks/{id}/transactions", tag = "chain",
    params(("id" = String, Path, description = "a height, a block hash, or `latest`"), TxPage),
    responses((status = 200, body = Vec<TransactionView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_block_transactions(
    State(chain): Chain,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<TxPage>, QueryRejection>,
) -> ApiResult<Vec<TransactionView>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = page_limit(query.limit)? as usize;
    let id = segment(id)?;
    let block_id: BlockId = id.parse()?;
    blocking(move || {
        let block = chain
            .block(block_id)?
            .ok_or_else(|| ApiError::not_found(format!("no block {id}")))?;
        let mut out = Vec::new();
        for hash in block
            .transactions
            .iter()
            .skip(query.offset.unwrap_or(0) as usize)
            .take(limit)
        {
            if let Some(tx) = chain.transaction(*hash)? {
                out.push(tx);
            }
        }
        Ok(Json(out))
    })
    .await
}

/// An account's next nonce and, if it is a member's, the member.
#[utoipa::path(get, path = "/accounts/{account}", tag = "accounts",
    params(("account" = String, Path, description = "ed25519 public key, 0x + 64 hex digits")),
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody)))]
async fn get_account(
    State(chain): Chain,
    account: Result<Path<String>, PathRejection>,
) -> ApiResult<AccountView> {
    let account = segment(account)?;
    let account: AccountId = account.parse().map_err(|e| {
        ApiError::bad_request(
            "invalid_account",
            format!("'{account}' is not an account: {e}"),
        )
    })?;
    blocking(move || chain.account(account)).await.map(Json)
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
struct StateQuery {
    /// The height to read at (default: the latest).
    height: Option<u64>,
}

/// A state entry (or its absence) with a Merkle proof against the state root at a height.
#[utoipa::path(get, path = "/state/{key}", tag = "state",
    params(("key" = String, Path, description = "the entry's key in hex (0x optional)"), StateQuery),
    responses((status = 200, body = StateEntryView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_state_entry(
    State(chain): Chain,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<StateQuery>, QueryRejection>,
) -> ApiResult<StateEntryView> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let key = segment(key)?;
    let digits = key.strip_prefix("0x").unwrap_or(&key);
    if digits.len() > 2 * 1024 {
        return Err(ApiError::bad_request(
            "invalid_key",
            "state keys are at most 1024 bytes",
        ));
    }
    let key = hex::decode(digits)
        .map_err(|e| ApiError::bad_request("invalid_key", format!("key is not hex: {e}")))?;
    blocking(move || chain.state_entry(key, query.height))
        .await
        .map(Json)
}

/// Equivocation evidence recorded on chain: validators that signed two conflicting votes.
#[utoipa::path(get, path = "/evidence", tag = "state",
    responses((status = 200, body = Vec<EvidenceView>)))]
async fn get_evidence(State(chain): Chain) -> ApiResult<Vec<EvidenceView>> {
    blocking(move || chain.evidence()).await.map(Json)
}

/// The governing members and threshold, the validator set of the next block, and every
/// validator-set change proposed, with its approvals.
#[utoipa::path(get, path = "/governance", tag = "state",
    responses((status = 200, body = GovernanceView)))]
async fn get_governance(State(chain): Chain) -> ApiResult<GovernanceView> {
    blocking(move || chain.governance()).await.map(Json)
}

/// A contract id from the path, as given and parsed.
fn contract_id(id: Result<Path<String>, PathRejection>) -> Result<(String, Hash), ApiError> {
    let id = segment(id)?;
    let hash: Hash = id.parse().map_err(|e| {
        ApiError::bad_request(
            "invalid_contract",
            format!("'{id}' is not a contract id: {e}"),
        )
    })?;
    Ok((id, hash))
}

/// A contract by id: the code it runs, its owner, when it was created, and its upgrades.
#[utoipa::path(get, path = "/contracts/{id}", tag = "contracts",
    params(("id" = String, Path, description = "the contract id, 0x + 64 hex digits")),
    responses((status = 200, body = ContractView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_contract(
    State(chain): Chain,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<ContractView> {
    let (id, hash) = contract_id(id)?;
    blocking(move || chain.contract(hash))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no contract {id}")))
}

/// Calls a contract method read-only on the latest committed state: what it writes is dropped.
#[utoipa::path(post, path = "/contracts/{id}/query", tag = "contracts",
    params(("id" = String, Path, description = "the contract id, 0x + 64 hex digits")),
    request_body = QueryRequest,
    responses((status = 200, body = QueryView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn query_contract(
    State(chain): Chain,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<QueryRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<QueryView> {
    let (_, hash) = contract_id(id)?;
    let Json(request) = body.map_err(|e| ApiError::bad_request("invalid_body", e.body_text()))?;
    if request.method.is_empty() || request.method.len() > 64 {
        return Err(ApiError::bad_request(
            "invalid_method",
            "a method name is 1 to 64 characters",
        ));
    }
    let digits = request.input.strip_prefix("0x").unwrap_or(&request.input);
    if digits.len() > 2 * 64 * 1024 {
        return Err(ApiError::bad_request(
            "invalid_input",
            "the input is over 64 KiB",
        ));
    }
    let input = hex::decode(digits).map_err(|e| {
        ApiError::bad_request("invalid_input", format!("the input is not hex: {e}"))
    })?;
    let output = blocking(move || chain.query(hash, request.method, input)).await?;
    Ok(Json(QueryView {
        output: format!("0x{}", hex::encode(output)),
    }))
}

/// The largest page of `GET /events`.
pub const MAX_EVENT_PAGE: u32 = 1_000;
/// Index entries one request reads at most (a sparse filter over a long range gets a `next`).
pub const MAX_EVENTS_SCANNED: usize = 100_000;

fn parse_after(after: &str) -> Result<(u64, u32), ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_filter",
            format!("after: '{after}' is not HEIGHT:INDEX"),
        )
    };
    let (height, index) = after.split_once(':').ok_or_else(bad)?;
    let height: u64 = height.parse().map_err(|_| bad())?;
    let index: u32 = index.parse().map_err(|_| bad())?;
    Ok(match index.checked_add(1) {
        Some(next) => (height, next),
        None => (height + 1, 0),
    })
}

/// Contract events in chain order, filtered by contract, topic, signer and height range, a page
/// at a time.
#[utoipa::path(get, path = "/events", tag = "events",
    params(EventFilter),
    responses((status = 200, body = EventPage), (status = 400, body = ErrorBody)))]
async fn get_events(
    State(chain): Chain,
    filter: Result<Query<EventFilter>, QueryRejection>,
) -> ApiResult<EventPage> {
    let Query(filter) =
        filter.map_err(|e| ApiError::bad_request("invalid_filter", e.body_text()))?;
    let query = EventQuery::parse(&filter)?;
    let limit = filter.limit.unwrap_or(MAX_EVENT_PAGE);
    if limit == 0 || limit > MAX_EVENT_PAGE {
        return Err(ApiError::bad_request(
            "invalid_filter",
            format!("limit: 1 to {MAX_EVENT_PAGE}"),
        ));
    }
    let from = match &filter.after {
        Some(after) => parse_after(after)?,
        None => (filter.from_height.unwrap_or(0), 0),
    };
    let to_height = filter.to_height.unwrap_or(u64::MAX);
    if to_height < from.0 {
        return Err(ApiError::bad_request(
            "invalid_filter",
            "to_height is below the start of the range",
        ));
    }
    let EventSlice { events, resume } =
        blocking(move || chain.events(&query, from, to_height, limit as usize)).await?;
    Ok(Json(EventPage {
        next: resume.map(|(h, i)| match i.checked_sub(1) {
            Some(before) => format!("{h}:{before}"),
            None => format!("{}:{}", h.saturating_sub(1), u32::MAX),
        }),
        events,
    }))
}

/// Server-sent events: each committed block (`event: block`, a [`BlockView`]), then its
/// contract events that match the filter (`event: contract_event`, an [`EventRecordView`]), in
/// chain order, each once; ids are `HEIGHT` and `HEIGHT:INDEX`. Starts at `from_height` (default:
/// the next block) and replays what is already committed first, so a client that reconnects
/// with `from_height` = its last height + 1 misses nothing.
#[utoipa::path(get, path = "/stream", tag = "events",
    params(EventFilter),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn stream(
    State(chain): Chain,
    filter: Result<Query<EventFilter>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let Query(filter) =
        filter.map_err(|e| ApiError::bad_request("invalid_filter", e.body_text()))?;
    if filter.limit.is_some() || filter.after.is_some() {
        return Err(ApiError::bad_request(
            "invalid_filter",
            "limit and after are for /events; the stream starts at from_height",
        ));
    }
    let query = EventQuery::parse(&filter)?;
    let Some(wake) = chain.subscribe() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_stream",
            "this node does not stream its blocks",
        ));
    };
    let tip = {
        let chain = chain.clone();
        blocking(move || chain.status()).await?.height
    };
    let next = filter.from_height.unwrap_or(tip + 1);
    let to_height = filter.to_height.unwrap_or(u64::MAX);
    struct Cursor {
        chain: Arc<dyn ChainApi>,
        wake: tokio::sync::broadcast::Receiver<u64>,
        next: u64,
        to_height: u64,
        query: EventQuery,
        pending: std::collections::VecDeque<Event>,
    }
    let cursor = Cursor {
        chain,
        wake,
        next,
        to_height,
        query,
        pending: Default::default(),
    };
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(event) = c.pending.pop_front() {
                return Some((Ok::<_, std::convert::Infallible>(event), c));
            }
            if c.next > c.to_height {
                return None;
            }
            let (chain, height, query) = (c.chain.clone(), c.next, c.query.clone());
            let loaded = blocking(move || {
                let Some(block) = chain.block(BlockId::Height(height))? else {
                    return Ok(None);
                };
                let events = chain
                    .events(&query, (height, 0), height, usize::MAX)?
                    .events;
                Ok(Some((block, events)))
            })
            .await;
            match loaded {
                Ok(Some((block, events))) => {
                    c.pending.push_back(
                        Event::default()
                            .event("block")
                            .id(height.to_string())
                            .data(serde_json::to_string(&block).expect("views serialise")),
                    );
                    for e in events {
                        c.pending.push_back(
                            Event::default()
                                .event("contract_event")
                                .id(format!("{}:{}", e.height, e.index))
                                .data(serde_json::to_string(&e).expect("views serialise")),
                        );
                    }
                    c.next += 1;
                }
                // Not committed yet: wait for the next commit (a missed notice only means
                // looking again).
                Ok(None) => match c.wake.recv().await {
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
                Err(_) => return None,
            }
        }
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Prometheus metrics: height, mempool size, committed and rejected transactions, block
/// interval and commit latency histograms.
#[utoipa::path(get, path = "/metrics", tag = "node",
    responses((status = 200, content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String)))]
async fn get_metrics(State(chain): Chain) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        chain.metrics(),
    )
}

#[cfg(test)]
mod tests;
