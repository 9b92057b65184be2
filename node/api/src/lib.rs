//! The node's HTTP API: JSON over HTTP, described by an OpenAPI document served at
//! `/openapi.json`. Handlers depend on the [`ChainApi`] trait, not on the node, so the API is
//! tested against a fake chain and the node is free to change underneath.
//!
//! Every error is a JSON body `{"error": {"code": "...", "message": "..."}}` with a 4xx status
//! when the request is at fault; a 5xx means the node itself failed.

use std::sync::Arc;

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
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
pub mod loans;
pub mod reads;
pub mod receipts;
pub mod reference;
pub mod rules;
pub mod schema;

mod access;
mod blocks;
mod chain_api;
mod claims;
mod contracts;
mod errors;
mod events;
mod host;
mod limits;
pub use limits::Limits;
mod parachains;
mod proofs;
mod state;
mod transactions;
pub use access::{AuditScope, Reader};
pub use blocks::*;
pub use business::{
    search_terms, BackingView, BalanceView, CustodiedView, HistoryItemView, HistoryView,
    MemberInfoView, RecordView, SearchHit, VoucherPageView, VoucherView,
};
pub use chain_api::*;
pub use claims::{ClaimFacts, InvoiceClaimView};
pub use contracts::*;
pub use errors::*;
pub use events::*;
pub use host::{host_openapi, host_router, host_router_with, reference_openapi};
pub use parachains::{
    AnchorPageView, AnchoredView, ForkView, ParachainValidatorView, ParachainView,
};
pub use proofs::{BlockEvidenceView, BlockTxView, ProofKind, ProofView};
pub use state::*;
pub use transactions::*;

/// The largest request body accepted (a transaction in hex is twice its size).
pub const MAX_BODY_BYTES: usize = 4 << 20;

type Chain = State<Arc<dyn ChainApi>>;

/// A path segment as a handler takes it: a segment that cannot be read comes as its rejection,
/// which [`segment`] answers in JSON.
type PathSegment = Result<Path<String>, PathRejection>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Catena node API",
        description = "Submit signed transactions and read blocks, transactions, accounts and \
                       state entries with Merkle proofs. Errors are `{\"error\": {\"code\", \"message\"}}`. \
                       Any route may answer 429 `rate_limited` (over 2,000 requests a second from \
                       one address; `Retry-After` says when), 503 `busy` (1,024 requests in \
                       progress on the node) or 503 `timeout` (no answer within 30 s)."
    ),
    components(schemas(ErrorBody, ErrorDetail))
)]
struct ApiDoc;

/// The API router for one chain, with `/openapi.json`.
pub fn router(chain: Arc<dyn ChainApi>) -> Router {
    let openapi = Arc::new(openapi());
    with_fallbacks(chain_routes(chain).route(
        "/openapi.json",
        get(move || {
            let doc = Arc::clone(&openapi);
            async move { Json(doc.as_ref().clone()) }
        }),
    ))
}

/// One chain's routes: each answers 503 with the reason once the chain has stopped on this
/// node.
fn chain_routes(chain: Arc<dyn ChainApi>) -> Router {
    let (router, _) = openapi_router().split_for_parts();
    router
        .layer(axum::middleware::from_fn_with_state(
            access::ReadGuard::new(Arc::clone(&chain)),
            access::check_reader,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&chain),
            host::refuse_if_failed,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(chain)
}

/// One chain's routes as `reader` reads them, asking no signature: for a caller in the node's
/// own process that has decided who reads (the explorer, for its signed-in member). Each route
/// still checks what that reader may see.
pub fn router_as(chain: Arc<dyn ChainApi>, reader: Reader) -> Router {
    let (router, _) = openapi_router().split_for_parts();
    with_fallbacks(
        router
            .layer(axum::Extension(reader))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&chain),
                host::refuse_if_failed,
            ))
            .with_state(chain),
    )
}

/// JSON answers for a path no route has and a method a route does not take.
fn with_fallbacks(router: Router) -> Router {
    router
        .fallback(|| async { ApiError::not_found("no such route; see /openapi.json") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this route; see /openapi.json",
            )
        })
}

/// The OpenAPI document alone.
pub fn openapi() -> serde_json::Value {
    rules::stated(&raw_openapi())
}

/// The document utoipa derives from the handlers, before [`rules`] states what they enforce.
fn raw_openapi() -> utoipa::openapi::OpenApi {
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
        .routes(routes!(proofs::get_proof))
        .routes(routes!(proofs::get_block_evidence))
        .routes(routes!(claims::get_invoice_claim))
        .routes(routes!(get_evidence))
        .routes(routes!(get_governance))
        .routes(routes!(parachains::list_parachains))
        .routes(routes!(parachains::get_parachain))
        .routes(routes!(parachains::list_parachain_anchors))
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
        .routes(routes!(loans::get_loan))
        .routes(routes!(loans::list_loans))
        .routes(routes!(loans::get_credit))
        .routes(routes!(receipts::get_receipt))
        .routes(routes!(receipts::list_receipts))
        .routes(routes!(business::search))
        .routes(routes!(get_events))
        .routes(routes!(stream))
        .routes(routes!(get_metrics))
        .routes(routes!(schema::get_schema))
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

/// Runs a chain lookup on the blocking pool (see [`blocking`]): what it finds, or a 404 saying
/// `missing` when it finds nothing.
async fn blocking_found<T: Send + 'static>(
    lookup: impl FnOnce() -> Result<Option<T>, ApiError> + Send + 'static,
    missing: String,
) -> ApiResult<T> {
    blocking(lookup)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(missing))
}

/// A path segment, or a JSON 400 when it cannot be read (bad percent-encoding, say).
fn segment(path: PathSegment) -> Result<String, ApiError> {
    path.map(|Path(segment)| segment)
        .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))
}

/// A path segment as given and parsed; when it does not parse, a 400 with `code` saying the
/// segment "is not `what`".
fn parsed_segment<T: std::str::FromStr>(
    path: PathSegment,
    code: &'static str,
    what: &str,
) -> Result<(String, T), ApiError>
where
    T::Err: std::fmt::Display,
{
    let text = segment(path)?;
    match text.parse() {
        Ok(value) => Ok((text, value)),
        Err(e) => Err(ApiError::bad_request(
            code,
            format!("'{text}' is not {what}: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests;
