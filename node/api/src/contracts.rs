//! Routes: contracts and their read-only queries.

use super::*;

/// A contract id from the path, as given and parsed.
pub(crate) fn contract_id(id: PathSegment) -> Result<(String, Hash), ApiError> {
    parsed_segment(id, "invalid_contract", "a contract id")
}

/// A contract by id: the code it runs, its owner, when it was created, and its upgrades.
#[utoipa::path(get, path = "/contracts/{id}", tag = "contracts",
    params(("id" = String, Path, description = "the contract id, 0x + 64 hex digits")),
    responses((status = 200, body = ContractView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_contract(State(chain): Chain, id: PathSegment) -> ApiResult<ContractView> {
    let (id, hash) = contract_id(id)?;
    blocking_found(move || chain.contract(hash), format!("no contract {id}")).await
}

/// Calls a contract method read-only on the latest committed state: what it writes is dropped.
#[utoipa::path(post, path = "/contracts/{id}/query", tag = "contracts",
    params(("id" = String, Path, description = "the contract id, 0x + 64 hex digits")),
    request_body = QueryRequest,
    responses((status = 200, body = QueryView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn query_contract(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    id: PathSegment,
    body: Result<Json<QueryRequest>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<QueryView> {
    let (_, hash) = contract_id(id)?;
    // The registry holds who takes part (members, roles, accounts, nodes, grants): what every
    // reader of the chain may know. Other contracts hold members' business.
    if hash != catena_primitives::system_contract_id(catena_schema::names::REGISTRY) {
        reader.require_all("a contract query")?;
    }
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
