//! Who may read a chain: on a chain whose data only its members may read (every parachain, and a
//! main chain whose config says so), every route answers only requests signed by an account of
//! one of its members (see [`catena_primitives::read`]); 401 when the signature is missing,
//! wrong, stale or replayed, 403 when the account is no member's. Handlers see the caller as a
//! [`Reader`] and show an auditor only what members granted it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{OriginalUri, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use catena_primitives::read;
use catena_primitives::Signature;

use super::*;

/// Who is reading, as the chain's access check found.
#[derive(Clone, Debug, PartialEq)]
pub enum Reader {
    /// The chain's data is open to anyone: no signature was asked for.
    Anyone,
    /// An account of a member: reads everything on the chain.
    Member { account: AccountId, uscc: String },
    /// An account of an auditor: reads what members granted it, now.
    Auditor {
        account: AccountId,
        uscc: String,
        scope: AuditScope,
    },
}

/// What an auditor may read now: the whole chain, or the data of some members.
#[derive(Clone, Debug, PartialEq)]
pub enum AuditScope {
    Chain,
    Members(BTreeSet<String>),
}

impl Reader {
    /// Whether this reader may see the data of member `uscc`.
    pub fn sees_member(&self, uscc: &str) -> bool {
        match self {
            Reader::Anyone | Reader::Member { .. } => true,
            Reader::Auditor { scope, .. } => match scope {
                AuditScope::Chain => true,
                AuditScope::Members(members) => members.contains(uscc),
            },
        }
    }

    /// Whether this reader may see everything on the chain.
    pub fn sees_all(&self) -> bool {
        match self {
            Reader::Anyone | Reader::Member { .. } => true,
            Reader::Auditor { scope, .. } => *scope == AuditScope::Chain,
        }
    }

    /// A 403 for a reader who may not see member `uscc`'s data (`what` names it).
    pub fn require_member(&self, uscc: &str, what: &str) -> Result<(), ApiError> {
        if self.sees_member(uscc) {
            return Ok(());
        }
        Err(not_granted(format!(
            "{what} is member {uscc}'s data, which this auditor was not granted"
        )))
    }

    /// Whether this reader may see a transaction: an auditor those of the members granted it.
    pub fn sees_transaction(
        &self,
        chain: &dyn ChainApi,
        tx: &TransactionView,
    ) -> Result<bool, ApiError> {
        if self.sees_all() {
            return Ok(true);
        }
        Ok(chain
            .account(tx.signer)?
            .member
            .is_some_and(|m| self.sees_member(&m.uscc)))
    }

    /// A 403 for a reader who may not see what `what` names, unless it sees everything.
    pub fn require_all(&self, what: &str) -> Result<(), ApiError> {
        if self.sees_all() {
            return Ok(());
        }
        Err(not_granted(format!(
            "{what} shows every member's data; this auditor was granted only some members' \
             (a grant of the whole chain allows it)"
        )))
    }
}

/// A 403 for what an auditor was not granted.
pub(crate) fn not_granted(message: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "not_granted", message)
}

/// Signed requests seen within the window, so that none is answered twice.
pub(crate) struct ReadGuard {
    pub(crate) chain: Arc<dyn ChainApi>,
    seen: Mutex<HashMap<[u8; 64], u64>>,
}

/// At most this many signatures remembered: past it, expired ones are dropped, and when none
/// has expired the request is refused as busy (remembering fewer would let replays through).
const MAX_REMEMBERED: usize = 200_000;

impl ReadGuard {
    pub(crate) fn new(chain: Arc<dyn ChainApi>) -> Arc<ReadGuard> {
        Arc::new(ReadGuard {
            chain,
            seen: Mutex::new(HashMap::new()),
        })
    }

    /// Records `signature` as answered; an error if it was already, or the memory is full.
    fn first_use(&self, signature: &Signature, now_ms: u64) -> Result<(), ApiError> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_REMEMBERED {
            seen.retain(|_, expires| *expires > now_ms);
        }
        if seen.len() >= MAX_REMEMBERED {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many signed requests within a minute; try again shortly",
            ));
        }
        match seen.insert(signature.0, now_ms + 2 * read::WINDOW_MS) {
            Some(_) => Err(unauthorized(
                "replayed",
                "this signed request was answered already: sign each request anew".into(),
            )),
            None => Ok(()),
        }
    }
}

fn unauthorized(code: &'static str, message: String) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as u64
}

/// The three signature headers, parsed.
fn signature_headers(
    headers: &HeaderMap,
    chain_id: &str,
) -> Result<(AccountId, u64, Signature), ApiError> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(account), Some(timestamp), Some(signature)) = (
        text(read::ACCOUNT_HEADER),
        text(read::TIMESTAMP_HEADER),
        text(read::SIGNATURE_HEADER),
    ) else {
        return Err(unauthorized(
            "unsigned",
            format!(
                "chain '{chain_id}' answers only requests signed by an account of one of its \
                 members: send the headers {}, {} and {} (see docs/integrators.md)",
                read::ACCOUNT_HEADER,
                read::TIMESTAMP_HEADER,
                read::SIGNATURE_HEADER
            ),
        ));
    };
    let bad = |name: &str, what: &str| {
        unauthorized(
            "bad_signature_headers",
            format!("header {name} is not {what}"),
        )
    };
    Ok((
        account
            .parse()
            .map_err(|_| bad(read::ACCOUNT_HEADER, "an account (0x and 64 hex digits)"))?,
        timestamp.parse().map_err(|_| {
            bad(
                read::TIMESTAMP_HEADER,
                "milliseconds since the Unix epoch in decimal",
            )
        })?,
        signature.parse().map_err(|_| {
            bad(
                read::SIGNATURE_HEADER,
                "a signature (0x and 128 hex digits)",
            )
        })?,
    ))
}

/// The middleware of one chain's routes: lets a request through with its [`Reader`] when the
/// chain is open or the request is signed by an account of one of its members.
pub(crate) async fn check_reader(
    State(guard): State<Arc<ReadGuard>>,
    request: Request,
    next: Next,
) -> Response {
    match admit(&guard, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn admit(guard: &Arc<ReadGuard>, mut request: Request) -> Result<Request, ApiError> {
    let chain = Arc::clone(&guard.chain);
    if !chain.signed_reads() {
        request.extensions_mut().insert(Reader::Anyone);
        return Ok(request);
    }
    let chain_id = chain.chain_id();
    let (account, timestamp, signature) = signature_headers(request.headers(), &chain_id)?;
    let now = now_ms();
    if timestamp.abs_diff(now) > read::WINDOW_MS {
        return Err(unauthorized(
            "stale",
            format!(
                "the request was signed at {timestamp} ms, {} s from this node's clock ({now} ms); \
                 a signature is good for {} s either way",
                timestamp.abs_diff(now) / 1000,
                read::WINDOW_MS / 1000
            ),
        ));
    }
    let uri = request
        .extensions()
        .get::<OriginalUri>()
        .map(|OriginalUri(uri)| uri.clone())
        .unwrap_or_else(|| request.uri().clone());
    let method = request.method().as_str().to_string();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("a request body is at most {MAX_BODY_BYTES} bytes"),
            )
        })?;
    let signed = read::Request {
        chain_id: &chain_id,
        method: &method,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        timestamp_ms: timestamp,
        body: &body,
    }
    .verify(&account, &signature);
    if !signed {
        return Err(unauthorized(
            "bad_signature",
            format!(
                "the signature is not {account}'s over this request on chain '{chain_id}' \
                 (method, path, query, timestamp and body hash: see docs/integrators.md)"
            ),
        ));
    }
    guard.first_use(&signature, now)?;
    let reader = blocking(move || chain.reader(&account, now)).await?;
    let mut request = Request::from_parts(parts, Body::from(body));
    request.extensions_mut().insert(reader);
    Ok(request)
}
