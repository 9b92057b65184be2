//! The API of a node hosting several chains: `GET /chains` lists them, each chain's routes are
//! served under `/chains/{chain_id}/…`, and the main chain (the first) also at `/`.

use axum::extract::Request;
use axum::middleware::Next;
use axum::routing::any;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::Required;

use super::*;

type Chains = State<Arc<Vec<Arc<dyn ChainApi>>>>;

/// The router for every chain a node hosts, the main chain first, with the OpenAPI document of
/// all their routes at `/openapi.json`, within the node's request limits (`limits.rs`).
pub fn host_router(chains: Vec<Arc<dyn ChainApi>>, limits: Limits) -> Router {
    host_router_with(chains, limits, Router::new())
}

/// [`host_router`] with more routes served beside the API's, within the same limits and
/// fallbacks: the explorer's pages.
pub fn host_router_with(chains: Vec<Arc<dyn ChainApi>>, limits: Limits, pages: Router) -> Router {
    let doc = Arc::new(host_openapi());
    let mut app = Router::new();
    for chain in &chains {
        app = app.nest(
            &format!("/chains/{}", chain.chain_id()),
            chain_routes(Arc::clone(chain)),
        );
    }
    let listing: Router = Router::new()
        .route("/chains", get(list_chains))
        .route("/chains/{chain_id}", any(unknown_chain))
        .route("/chains/{chain_id}/{*rest}", any(unknown_chain))
        .with_state(Arc::new(chains.clone()));
    app = app.merge(listing).route(
        "/openapi.json",
        get(move || {
            let doc = Arc::clone(&doc);
            async move { Json(doc.as_ref().clone()) }
        }),
    );
    if let Some(main) = chains.first() {
        app = app.merge(chain_routes(Arc::clone(main)));
    }
    with_fallbacks(app.merge(pages)).layer(axum::middleware::from_fn_with_state(
        limits,
        crate::limits::enforce,
    ))
}

/// The chains this node hosts, the main chain first: id, genesis hash, this node's role,
/// height and health.
#[utoipa::path(get, path = "/chains", tag = "node",
    responses((status = 200, body = Vec<ChainSummaryView>)))]
pub(crate) async fn list_chains(State(chains): Chains) -> Json<Vec<ChainSummaryView>> {
    Json(chains.iter().map(|chain| chain.summary()).collect())
}

/// A path under `/chains/` that no hosted chain's routes took: a chain this node does not
/// host, or a route a hosted chain does not have.
async fn unknown_chain(
    State(chains): Chains,
    path: Result<Path<Vec<(String, String)>>, PathRejection>,
) -> ApiError {
    let params = match path {
        Ok(Path(params)) => params,
        Err(e) => return ApiError::bad_request("invalid_path", e.body_text()),
    };
    let id = params
        .into_iter()
        .find(|(name, _)| name == "chain_id")
        .map(|(_, value)| value)
        .unwrap_or_default();
    let ids: Vec<String> = chains.iter().map(|c| c.chain_id()).collect();
    if ids.contains(&id) {
        return ApiError::not_found("no such route; see /openapi.json");
    }
    ApiError::not_found(format!(
        "this node hosts no chain '{id}' (it hosts {}); see GET /chains",
        ids.join(", ")
    ))
}

/// A chain that stopped on this node answers every route with 503 and why.
pub(crate) async fn refuse_if_failed(
    State(chain): Chain,
    request: Request,
    next: Next,
) -> Response {
    match chain.failure() {
        Some(reason) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "chain_failed",
            format!(
                "chain '{}' stopped on this node: {reason}",
                chain.chain_id()
            ),
        )
        .into_response(),
        None => next.run(request).await,
    }
}

/// The OpenAPI document of a host: the main chain's routes at `/`, every route again under
/// `/chains/{chain_id}`, and `GET /chains`.
pub fn host_openapi() -> serde_json::Value {
    let chain = raw_openapi();
    let mut nested = chain.clone();
    nested.components = None;
    nested.paths.paths = chain
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let mut item = item.clone();
            let mut parameters = item.parameters.take().unwrap_or_default();
            parameters.insert(0, chain_id_parameter());
            item.parameters = Some(parameters);
            (format!("/chains/{{chain_id}}{path}"), item)
        })
        .collect();
    let mut doc = raw_reference();
    doc.merge(nested);
    crate::rules::hosted(crate::rules::stated(&doc))
}

/// The routes of one chain and `GET /chains`: what docs/api-reference.md lists (every chain
/// route is also served under `/chains/{chain_id}`).
pub fn reference_openapi() -> serde_json::Value {
    crate::rules::stated(&raw_reference())
}

fn raw_reference() -> utoipa::openapi::OpenApi {
    let (_, listing) = OpenApiRouter::<Arc<Vec<Arc<dyn ChainApi>>>>::new()
        .routes(routes!(list_chains))
        .split_for_parts();
    let mut doc = raw_openapi();
    doc.merge(listing);
    doc
}

fn chain_id_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("chain_id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("A chain this node hosts, as `GET /chains` lists it"))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String),
        ))
        .build()
}
