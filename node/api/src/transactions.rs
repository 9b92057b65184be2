//! Routes: submitting transactions (one or a batch) and reading one back.

use super::*;

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
        (status = 503, body = ErrorBody, description = "mempool full (`mempool_full`); the mempool more than half full and the signer's member holding its share of a quarter of it (`over_share`); a later nonce of an account whose earlier nonce this node refused so (`behind_refused`: send that one again first); or this node is catching up (`syncing`: at H of H′); try later or at another node"),
    ))]
pub(crate) async fn submit_transaction(
    State(chain): Chain,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SubmitResponse>), ApiError> {
    let request: SubmitRequest = json_body(body, "{\"transaction\": \"0x<hex>\"}")?;
    let tx = decode_submitted(&request.transaction)?;
    let hash = blocking(move || chain.submit(tx)).await?;
    Ok((StatusCode::ACCEPTED, Json(SubmitResponse { hash })))
}

/// A JSON request body; `expected` shows its shape in the error.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
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
pub(crate) fn decode_submitted(text: &str) -> Result<Transaction, ApiError> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(digits).map_err(|e| {
        ApiError::bad_request("invalid_hex", format!("transaction is not hex: {e}"))
    })?;
    Transaction::decode_untrusted(&bytes).map_err(|e| {
        let status = match e {
            catena_primitives::TxError::Decode(catena_primitives::DecodeError::TooLarge {
                ..
            }) => StatusCode::PAYLOAD_TOO_LARGE,
            // Hex of whole bytes, as the document asks, that are not a transaction: the body's
            // form is right, its content cannot be used.
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, "malformed_transaction", e.to_string())
    })
}

/// Submits up to 1,000 signed transactions at once (their signatures are checked in one batch,
/// which costs about half as much per transaction). Each gets the outcome `POST /transactions`
/// would give it, in order: its hash, or its error with the HTTP status it would have had.
/// Answers 200 when the batch was read, whatever each outcome; 503 (`syncing`) while this node
/// catches up; 503 (`mempool_full`) when the mempool was full for every one of them.
#[utoipa::path(post, path = "/transactions/batch", tag = "transactions",
    request_body = BatchSubmitRequest,
    responses(
        (status = 200, body = BatchSubmitResponse, description = "the outcome of each transaction"),
        (status = 400, body = ErrorBody, description = "malformed request, or an empty batch"),
        (status = 413, body = ErrorBody, description = "more than 1,000 transactions"),
        (status = 503, body = ErrorBody, description = "mempool full for every transaction (`mempool_full`), or this node is catching up (`syncing`); try later"),
    ))]
pub(crate) async fn submit_transactions(
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
    // A batch whose form is wrong (an item that is not hex of whole bytes, as the document's
    // pattern says) is refused whole; an item of the right form that is no transaction gets
    // its own 422 in the results.
    if let Some((i, _)) = request.transactions.iter().enumerate().find(|(_, text)| {
        let digits = text.strip_prefix("0x").unwrap_or(text);
        digits.is_empty() || digits.len() % 2 == 1 || !digits.bytes().all(|b| b.is_ascii_hexdigit())
    }) {
        return Err(ApiError::bad_request(
            "invalid_hex",
            format!("transaction {i} of the batch is not hex of whole bytes (0x optional)"),
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
    // A node that is catching up refuses the whole batch, as it does one transaction.
    if let Some(Err(e)) = outcomes
        .first()
        .filter(|o| matches!(o, Err(e) if e.code == "syncing"))
    {
        return Err(e.clone());
    }
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
pub(crate) async fn get_transaction(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    hash: PathSegment,
) -> ApiResult<TransactionView> {
    let (_, hash) = parsed_segment::<Hash>(hash, "invalid_hash", "a transaction hash")?;
    blocking_found(
        move || {
            let tx = chain.transaction(hash)?;
            if let Some(tx) = &tx {
                if !reader.sees_transaction(chain.as_ref(), tx)? {
                    return Err(crate::access::not_granted(format!(
                        "transaction {hash} was sent by a member whose data this auditor was \
                         not granted"
                    )));
                }
            }
            Ok(tx)
        },
        format!("transaction {hash} is neither pending nor committed"),
    )
    .await
}
