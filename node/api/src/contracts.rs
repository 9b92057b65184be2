//! Routes: contracts and their read-only queries.

use super::*;

/// A contract id from the path, as given and parsed.
pub(crate) fn contract_id(
    id: Result<Path<String>, PathRejection>,
) -> Result<(String, Hash), ApiError> {
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
pub(crate) async fn get_contract(
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
pub(crate) async fn query_contract(
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
