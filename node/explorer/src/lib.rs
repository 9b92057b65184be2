//! The block explorer a node serves (issue 18; ADR 0042): HTML pages rendered on the server from
//! templates compiled into the binary, over the same [`ChainApi`] the JSON API reads. Pages
//! work without JavaScript; a small script, embedded too, adds new blocks as they are
//! committed, from the API's event stream.
//!
//! The main chain's explorer is at `/explorer`, every hosted chain's at
//! `/chains/{chain_id}/explorer`. A chain whose reads are for its members (a parachain) shows
//! nothing here yet but says so.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use catena_api::{reads, ApiError, BlockId, ChainApi, Reader};

mod charts;
mod consortium;
mod evidence;
mod fields;
mod format;
mod lineage;
mod lists;
mod pages;
mod session;

use pages::Page;

/// Blocks the home page lists.
const LATEST_BLOCKS: u64 = 10;
/// Transactions the home page lists, newest first, from those blocks.
const LATEST_TRANSACTIONS: usize = 10;
/// Vouchers a member's page lists, held and issued (the first by id; the API pages the rest).
const MEMBER_VOUCHERS: u32 = 100;
/// Events of a member's transactions its page lists (the oldest; the events page has the rest).
const MEMBER_HISTORY: u32 = 100;

/// One chain's explorer: its data, where its pages are, and where its API is.
#[derive(Clone)]
pub(crate) struct Explorer {
    chain: Arc<dyn ChainApi>,
    /// The path the pages are under: `/explorer` or `/chains/{id}/explorer`.
    base: String,
    /// The path the chain's API is under: `` or `/chains/{id}`.
    api: String,
    /// Every chain this node hosts, by id (a main chain's page of a parachain says how far its
    /// anchored head trails the parachain's tip where this node hosts it).
    hosted: Arc<HashMap<String, Arc<dyn ChainApi>>>,
    /// The main chain (the first this node hosts): evidence is proved to its genesis.
    main: Arc<dyn ChainApi>,
    /// Sign-in challenges and sessions of a chain whose data is for its members.
    sessions: Arc<session::Sessions>,
    /// The node serves only HTTPS: session cookies are `Secure`.
    https: bool,
}

/// The explorer of every chain a node hosts, the main chain (the first) also at `/explorer`;
/// `https`: the node serves only HTTPS, so members' session cookies are marked `Secure`.
pub fn router(chains: &[Arc<dyn ChainApi>], https: bool) -> Router {
    let hosted: Arc<HashMap<_, _>> = Arc::new(
        chains
            .iter()
            .map(|chain| (chain.chain_id(), Arc::clone(chain)))
            .collect(),
    );
    let mut app = Router::new();
    for (i, chain) in chains.iter().enumerate() {
        let api = format!("/chains/{}", chain.chain_id());
        let explorer = |base: String, api: String| Explorer {
            chain: Arc::clone(chain),
            base,
            api,
            hosted: Arc::clone(&hosted),
            main: Arc::clone(&chains[0]),
            sessions: Arc::default(),
            https,
        };
        app = app.nest(
            &format!("{api}/explorer"),
            chain_router(explorer(format!("{api}/explorer"), api.clone())),
        );
        if i == 0 {
            app = app.nest(
                "/explorer",
                chain_router(explorer("/explorer".into(), String::new())),
            );
        }
    }
    app
}

fn chain_router(explorer: Explorer) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/blocks", get(lists::blocks))
        .route("/blocks.csv", get(lists::blocks_csv))
        .route("/blocks/{id}", get(block))
        .route("/charts", get(charts::charts))
        .route("/members", get(consortium::members))
        .route("/validators", get(consortium::validators))
        .route("/parachains", get(consortium::parachains))
        .route("/parachains/{id}", get(consortium::parachain))
        .route("/events", get(lists::events))
        .route("/events.csv", get(lists::events_csv))
        .route("/tx/{hash}", get(transaction))
        .route("/vouchers/{id}", get(voucher))
        .route("/vouchers/{id}/evidence", get(evidence::voucher))
        .route("/records/{hash}/evidence", get(evidence::record))
        .route("/members/{uscc}", get(member))
        .route("/records/{hash}", get(record))
        .route("/search", get(search))
        .route("/assets/style.css", get(style))
        .route("/assets/live.js", get(live))
        .route("/assets/sign-in.js", get(sign_in_script))
        .route("/stream", get(stream))
        .route(
            "/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            explorer.clone(),
            session::admit,
        ))
        .with_state(explorer)
}

/// A page, or the page that says why there is none.
pub(crate) type PageResult = Result<Response, Response>;

/// Runs chain reads on the blocking pool (they read RocksDB), as the API does, for a reader who
/// may see the whole chain (an auditor granted some members' data sees only their pages).
pub(crate) async fn read<T: Send + 'static>(
    explorer: &Explorer,
    reader: &Reader,
    call: impl FnOnce(Arc<dyn ChainApi>) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, Response> {
    reader
        .require_all("this page")
        .map_err(|e| explorer.api_problem(e))?;
    read_as(explorer, reader, move |chain, _| call(chain)).await
}

/// Runs chain reads on the blocking pool that check for themselves what `reader` may see.
pub(crate) async fn read_as<T: Send + 'static>(
    explorer: &Explorer,
    reader: &Reader,
    call: impl FnOnce(Arc<dyn ChainApi>, &Reader) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, Response> {
    let chain = Arc::clone(&explorer.chain);
    let reader = reader.clone();
    match tokio::task::spawn_blocking(move || call(chain, &reader)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(explorer.api_problem(e)),
        Err(e) => Err(explorer.problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The node failed",
            &format!("reading the chain failed: {e}"),
        )),
    }
}

/// A page's query string as its form, or the page that says what in it is wrong.
pub(crate) async fn form<T>(
    explorer: &Explorer,
    form: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, Response> {
    form.map(|Query(form)| form)
        .map_err(|e| explorer.bad_input(&e.body_text()))
}

impl Explorer {
    pub(crate) fn problem(&self, status: StatusCode, title: &str, message: &str) -> Response {
        let page = pages::Problem {
            page: Page::new(self, title),
            message,
        };
        pages::respond(status, &page)
    }

    /// 400: what was asked for cannot be read.
    pub(crate) fn bad_input(&self, message: &str) -> Response {
        self.problem(StatusCode::BAD_REQUEST, "Cannot show that", message)
    }

    /// 404: nothing on this chain answers to what was asked for.
    pub(crate) fn missing(&self, message: &str) -> Response {
        self.problem(StatusCode::NOT_FOUND, "Not found", message)
    }

    fn api_problem(&self, e: ApiError) -> Response {
        let title = if e.status == StatusCode::NOT_FOUND {
            "Not found"
        } else if e.status.is_client_error() {
            "Cannot show that"
        } else {
            "The node failed"
        };
        self.problem(e.status, title, &e.message)
    }
}

async fn home(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
) -> PageResult {
    let home = read(&explorer, &reader, |chain| {
        let status = chain.status()?;
        let mut blocks = Vec::new();
        for height in (status.height.saturating_sub(LATEST_BLOCKS - 1)..=status.height).rev() {
            if let Some(block) = chain.block(BlockId::Height(height))? {
                blocks.push(block);
            }
        }
        let mut transactions = Vec::new();
        'blocks: for block in &blocks {
            for hash in block.transactions.iter().rev() {
                if transactions.len() == LATEST_TRANSACTIONS {
                    break 'blocks;
                }
                if let Some(tx) = chain.transaction(*hash)? {
                    transactions.push(tx);
                }
            }
        }
        Ok((status, blocks, transactions))
    })
    .await?;
    Ok(pages::render(&pages::Home::new(&explorer, home)))
}

async fn block(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    Path(id): Path<String>,
) -> PageResult {
    let Ok(block_id) = id.parse::<BlockId>() else {
        return Err(explorer.bad_input(&format!(
            "'{id}' is not a block height, a block hash (0x and 64 hex digits) or 'latest'"
        )));
    };
    let found = read(&explorer, &reader, move |chain| {
        let Some(block) = chain.block(block_id)? else {
            return Ok(None);
        };
        let mut transactions = Vec::new();
        for hash in &block.transactions {
            if let Some(tx) = chain.transaction(*hash)? {
                transactions.push(tx);
            }
        }
        Ok(Some((block, transactions)))
    })
    .await?;
    let Some(found) = found else {
        return Err(explorer.missing(&format!("this chain has no block {id}")));
    };
    Ok(pages::render(&pages::BlockPage::new(&explorer, found)))
}

async fn transaction(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    Path(hash): Path<String>,
) -> PageResult {
    let Ok(parsed) = hash.parse::<catena_primitives::Hash>() else {
        return Err(explorer.bad_input(&format!(
            "'{hash}' is not a transaction hash (0x and 64 hex digits)"
        )));
    };
    let Some(tx) = read(&explorer, &reader, move |chain| chain.transaction(parsed)).await? else {
        return Err(explorer.missing(&format!("this node knows no transaction {hash}")));
    };
    Ok(pages::render(&pages::TransactionPage::new(&explorer, tx)))
}

async fn voucher(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    Path(id): Path<String>,
) -> PageResult {
    let Ok(number) = id.parse::<u64>() else {
        return Err(explorer.bad_input(&format!("'{id}' is not a voucher id (a number)")));
    };
    let story = read_as(&explorer, &reader, move |chain, reader| {
        let voucher = reads::voucher(chain.as_ref(), reader, number)?;
        let history = reads::voucher_history(chain.as_ref(), reader, number)?;
        let tree = reads::voucher_lineage(chain.as_ref(), reader, number)?;
        Ok((voucher, history, tree))
    })
    .await?;
    Ok(pages::render(&pages::VoucherPage::new(&explorer, story)))
}

async fn member(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    Path(uscc): Path<String>,
) -> PageResult {
    let asked = uscc.clone();
    let found = read_as(&explorer, &reader, move |chain, reader| {
        reader.require_member(&asked, &format!("member {asked}'s page"))?;
        let Some(member) = reads::member(chain.as_ref(), &asked)? else {
            return Ok(None);
        };
        let cash = reads::balance(chain.as_ref(), asked.clone())?;
        let lines = reads::credit_lines(chain.as_ref(), asked.clone())?;
        let held = reads::vouchers_of(chain.as_ref(), &asked, false, None, MEMBER_VOUCHERS)?;
        let issued = reads::vouchers_of(chain.as_ref(), &asked, true, None, MEMBER_VOUCHERS)?;
        let mut history = Vec::new();
        for account in &member.accounts {
            let filter = catena_api::EventFilter {
                account: Some(account.clone()),
                limit: Some(MEMBER_HISTORY),
                ..Default::default()
            };
            history.extend(catena_api::event_page(chain.as_ref(), &filter)?.events);
        }
        history.sort_by_key(|e| (e.height, e.index));
        history.truncate(MEMBER_HISTORY as usize);
        Ok(Some(pages::MemberData {
            member,
            cash,
            lines,
            held,
            issued,
            history,
        }))
    })
    .await?;
    let Some(found) = found else {
        return Err(explorer.missing(&format!("{uscc} is not a member of this consortium")));
    };
    Ok(pages::render(&pages::MemberPage::new(&explorer, found)))
}

async fn record(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    Path(hash): Path<String>,
) -> PageResult {
    let Ok(parsed) = hash.parse::<catena_primitives::Hash>() else {
        return Err(explorer.bad_input(&format!(
            "'{hash}' is not a document hash (0x and 64 hex digits)"
        )));
    };
    let found = read_as(&explorer, &reader, move |chain, reader| {
        let Some(record) = reads::record(chain.as_ref(), reader, parsed)? else {
            return Ok(None);
        };
        let used = if record.kind == "invoice" {
            Some(reads::invoice_use(chain.as_ref(), parsed)?)
        } else {
            None
        };
        Ok(Some((record, used)))
    })
    .await?;
    let Some(found) = found else {
        return Err(explorer.missing(&format!("document {hash} is not recorded on this chain")));
    };
    Ok(pages::render(&pages::RecordPage::new(&explorer, found)))
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// One term, one page: straight there when it names one thing with a page; otherwise the list.
async fn search(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Response> {
    let term = query.map(|Query(q)| q.q).unwrap_or_default();
    let term = term.trim().to_string();
    if term.is_empty() || term.len() > 100 {
        return Err(explorer.problem(
            StatusCode::BAD_REQUEST,
            "Search",
            "Type a block height or hash, a transaction hash, an account, a USCC or a voucher \
             id (1 to 100 characters).",
        ));
    }
    let searched = term.clone();
    let hits = read_as(&explorer, &reader, move |chain, reader| {
        catena_api::search_terms(chain, reader, &searched)
    })
    .await?;
    let links: Vec<pages::Hit> = hits
        .iter()
        .map(|hit| pages::Hit::new(&explorer, hit))
        .collect();
    if let [only] = links.as_slice() {
        if only.page {
            return Ok(Redirect::to(&only.href).into_response());
        }
    }
    let page = pages::SearchPage {
        page: Page::new(&explorer, "Search"),
        term: &term,
        hits: links,
    };
    Ok(pages::render(&page))
}

async fn not_found(State(explorer): State<Explorer>) -> Response {
    explorer.missing("The explorer has no such page.")
}

async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/style.css"),
    )
}

async fn live() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/live.js"),
    )
}

async fn sign_in_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/sign-in.js"),
    )
}

/// New blocks as they are committed, for the pages' script: the API's event stream, read as the
/// page's reader (a signed-in member on a members' chain, whose browser cannot sign each
/// request the API's stream asks for).
async fn stream(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
) -> Response {
    let filter = catena_api::EventFilter::default();
    catena_api::event_stream(Arc::clone(&explorer.chain), &reader, filter)
        .await
        .unwrap_or_else(|e| explorer.api_problem(e))
}
