//! Routes for integrators and the explorer over the system contracts: members, records,
//! vouchers (with history and lineage), cash balances, and search. Each answers in JSON with
//! amounts as decimal strings, from a read-only call of the contract on the latest state.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::Json;
use catena_primitives::{system_contract_id, AccountId, Hash};
use catena_schema::records::{method as records_method, Record};
use catena_schema::registry::{method as registry_method, MemberRecord};
use catena_schema::voucher::{method as voucher_method, HistoryEntry, Voucher, VoucherId};
use catena_schema::{format_amount, format_rate, Method, Uscc};
use parity_scale_codec::{Decode, Encode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    blocking, blocking_found, parsed_segment, reads, segment, ApiError, ApiResult, BlockId, Chain,
    ChainApi, PathSegment, Reader,
};

/// A voucher or a part of one, as integrators see it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct VoucherView {
    pub id: u64,
    /// The original voucher this part descends from (itself for an original).
    pub root: u64,
    pub parent: Option<u64>,
    pub children: Vec<u64>,
    pub issuer: String,
    pub holder: String,
    /// Face amount, decimal.
    pub amount: String,
    /// Paid by settlement so far, decimal.
    pub paid: String,
    pub currency: String,
    /// active, pledged, split, settled, cancelled, overdue.
    pub status: String,
    pub issued_ms: u64,
    pub maturity_ms: u64,
    pub pledgee: Option<String>,
    pub advance: Option<String>,
    /// The pledge's annual interest rate, e.g. "3.65%" (ACT/360 by days from `pledged_ms`).
    pub interest_rate: Option<String>,
    pub pledged_ms: Option<u64>,
    /// What settlement has paid the pledgee so far, decimal.
    pub pledgee_received: Option<String>,
    pub factor: Option<String>,
    pub recourse_to: Option<String>,
    /// Invoices backing the original, with how much each backs.
    pub backing: Vec<BackingView>,
    pub records: Vec<String>,
    pub transferred: bool,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct BackingView {
    pub invoice: String,
    pub amount: String,
}

impl From<&Voucher> for VoucherView {
    fn from(v: &Voucher) -> VoucherView {
        VoucherView {
            id: v.id,
            root: v.root,
            parent: v.parent,
            children: v.children.clone(),
            issuer: v.issuer.clone(),
            holder: v.holder.clone(),
            amount: format_amount(v.amount),
            paid: format_amount(v.paid),
            currency: v.currency.clone(),
            status: v.status.as_str().into(),
            issued_ms: v.issued_ms,
            maturity_ms: v.maturity_ms,
            pledgee: v.pledge.as_ref().map(|p| p.pledgee.clone()),
            advance: v.pledge.as_ref().map(|p| format_amount(p.advance)),
            interest_rate: v.pledge.as_ref().map(|p| format_rate(p.rate_bps)),
            pledged_ms: v.pledge.as_ref().map(|p| p.since_ms),
            pledgee_received: v.pledge.as_ref().map(|p| format_amount(p.received)),
            factor: v.factoring.as_ref().map(|f| f.financier.clone()),
            recourse_to: v.factoring.as_ref().and_then(|f| f.recourse_to.clone()),
            backing: v
                .backing
                .iter()
                .map(|b| BackingView {
                    invoice: Hash(b.invoice).to_string(),
                    amount: format_amount(b.amount),
                })
                .collect(),
            records: v.records.iter().map(|r| Hash(*r).to_string()).collect(),
            transferred: v.transferred,
        }
    }
}

/// What happened to a voucher, and its holders from the first.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct HistoryView {
    pub voucher: u64,
    pub path: Vec<String>,
    pub history: Vec<HistoryItemView>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct HistoryItemView {
    pub height: u64,
    pub time_ms: u64,
    /// The change in words.
    pub action: String,
}

impl From<&HistoryEntry> for HistoryItemView {
    fn from(h: &HistoryEntry) -> HistoryItemView {
        HistoryItemView {
            height: h.height,
            time_ms: h.time_ms,
            action: h.action.describe(),
        }
    }
}

/// A member organisation.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct MemberInfoView {
    pub name: String,
    pub uscc: String,
    pub roles: Vec<String>,
    pub accounts: Vec<String>,
}

impl From<&MemberRecord> for MemberInfoView {
    fn from(m: &MemberRecord) -> MemberInfoView {
        MemberInfoView {
            name: m.name.clone(),
            uscc: m.uscc.clone(),
            roles: m.roles.iter().map(|r| r.as_str().to_string()).collect(),
            accounts: m
                .accounts
                .iter()
                .map(|a| AccountId(*a).to_string())
                .collect(),
        }
    }
}

/// A recorded document.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct RecordView {
    pub id: String,
    pub kind: String,
    pub recorder: String,
    pub recorder_account: String,
    pub parties: Vec<String>,
    pub amount: String,
    pub currency: String,
    pub date_ms: u64,
    pub links: Vec<String>,
    pub invoice_code: Option<String>,
    pub invoice_number: Option<String>,
    pub seller: Option<String>,
    pub buyer: Option<String>,
    pub height: u64,
    pub time_ms: u64,
}

impl From<&Record> for RecordView {
    fn from(r: &Record) -> RecordView {
        RecordView {
            id: Hash(r.id).to_string(),
            kind: r.kind.as_str().into(),
            recorder: r.recorder.clone(),
            recorder_account: AccountId(r.recorder_account).to_string(),
            parties: r.parties.clone(),
            amount: format_amount(r.amount),
            currency: r.currency.clone(),
            date_ms: r.date_ms,
            links: r.links.iter().map(|l| Hash(*l).to_string()).collect(),
            invoice_code: r.invoice.as_ref().map(|i| i.code.clone()),
            invoice_number: r.invoice.as_ref().map(|i| i.number.clone()),
            seller: r.invoice.as_ref().map(|i| i.seller.clone()),
            buyer: r.invoice.as_ref().map(|i| i.buyer.clone()),
            height: r.height,
            time_ms: r.time_ms,
        }
    }
}

/// A member's settlement cash: in total, and per custodian (each unit is a claim on the
/// financier that minted it).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct BalanceView {
    pub member: String,
    /// All custodians together, decimal.
    pub balance: String,
    pub by_custodian: Vec<CustodiedView>,
    /// For a financier: the cash it custodies (minted less burned), decimal.
    pub custodies: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct CustodiedView {
    pub custodian: String,
    pub amount: String,
}

/// A page of vouchers; `next` is set when more follow (pass it as `after`).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct VoucherPageView {
    pub vouchers: Vec<VoucherView>,
    pub next: Option<u64>,
}

/// What a search term names.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// block, transaction, record, account, member, voucher.
    pub kind: String,
    pub id: String,
    /// Where to read it.
    pub path: String,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VoucherListQuery {
    /// The live vouchers this member (USCC) holds (with `issuer`: those of them that member
    /// issued; with neither: every voucher and part on the chain).
    pub holder: Option<String>,
    /// The original vouchers this member (USCC) issued.
    pub issuer: Option<String>,
    /// Start after this voucher id (the previous page's `next`).
    #[param(minimum = 0)]
    pub after: Option<u64>,
    /// At most this many (1 to 1000; 100 if not given).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// A block height or hash, a transaction hash, a document hash, an account, a USCC, or a voucher id.
    pub q: String,
}

/// Calls a system contract's `method` read-only and decodes its SCALE output.
pub(crate) fn call<A: Encode, O: Decode>(
    chain: &dyn ChainApi,
    method: Method<A, O>,
    argument: A,
) -> Result<O, ApiError> {
    let output = chain.query(
        system_contract_id(method.contract),
        method.name.into(),
        method.input(&argument),
    )?;
    method.output(&output).map_err(|e| {
        ApiError::internal(format!(
            "the {} contract's answer to {method} does not decode: {e}",
            method.contract
        ))
    })
}

fn voucher_id(id: PathSegment) -> Result<VoucherId, ApiError> {
    let id = segment(id)?;
    id.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_voucher",
            format!("'{id}' is not a voucher id (a number)"),
        )
    })
}

/// A USCC from a request: 400 when it is not of a USCC's shape (18 characters of its alphabet,
/// as the OpenAPI document's pattern says), 404 when its check character is wrong (no member can
/// have it; the message says which character it should be).
pub(crate) fn uscc_of(text: String) -> Result<Uscc, ApiError> {
    let shaped = text.len() == 18
        && text
            .bytes()
            .all(|b| catena_schema::uscc::ALPHABET.contains(&b));
    catena_schema::uscc::validate(&text)
        .map(|()| text.clone())
        .map_err(|e| match shaped {
            true => ApiError::not_found(format!("no member has USCC '{text}': its {e}")),
            false => ApiError::bad_request("invalid_member", format!("USCC '{text}': {e}")),
        })
}

pub(crate) fn load_voucher(chain: &dyn ChainApi, id: VoucherId) -> Result<Voucher, ApiError> {
    call(chain, voucher_method::GET, id)?
        .ok_or_else(|| ApiError::not_found(format!("there is no voucher {id}")))
}

/// Every member of the consortium, with roles and accounts.
#[utoipa::path(get, path = "/members", tag = "business",
    responses((status = 200, body = Vec<MemberInfoView>)))]
pub(crate) async fn get_members(State(chain): Chain) -> ApiResult<Vec<MemberInfoView>> {
    blocking(move || Ok(Json(reads::members(chain.as_ref())?))).await
}

/// A member by USCC.
#[utoipa::path(get, path = "/members/{uscc}", tag = "business",
    params(("uscc" = String, Path, description = "the member's unified social credit code")),
    responses((status = 200, body = MemberInfoView), (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_member(
    State(chain): Chain,
    uscc: PathSegment,
) -> ApiResult<MemberInfoView> {
    let uscc = uscc_of(segment(uscc)?)?;
    let missing = format!("{uscc} is not a member");
    blocking_found(move || reads::member(chain.as_ref(), &uscc), missing).await
}

/// A recorded document by its SHA-256.
#[utoipa::path(get, path = "/records/{hash}", tag = "business",
    params(("hash" = String, Path, description = "the document's SHA-256, 0x + 64 hex digits")),
    responses((status = 200, body = RecordView), (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_record(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    hash: PathSegment,
) -> ApiResult<RecordView> {
    let (_, hash) = parsed_segment::<Hash>(hash, "invalid_hash", "a hash")?;
    blocking_found(
        move || reads::record(chain.as_ref(), &reader, hash),
        format!("document {hash} is not recorded"),
    )
    .await
}

/// A voucher or part by id.
#[utoipa::path(get, path = "/vouchers/{id}", tag = "business",
    params(("id" = u64, Path, description = "the voucher id")),
    responses((status = 200, body = VoucherView), (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_voucher(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    id: PathSegment,
) -> ApiResult<VoucherView> {
    let id = voucher_id(id)?;
    blocking(move || Ok(Json(reads::voucher(chain.as_ref(), &reader, id)?))).await
}

/// Voucher `id`, if this reader may see it: an auditor one whose issuer or holder granted it.
pub(crate) fn visible_voucher(
    chain: &dyn ChainApi,
    reader: &Reader,
    id: u64,
) -> Result<Voucher, ApiError> {
    let voucher = load_voucher(chain, id)?;
    if sees_voucher(reader, &voucher) {
        return Ok(voucher);
    }
    Err(crate::access::not_granted(format!(
        "voucher {id} is member {}'s data, which this auditor was not granted",
        voucher.holder
    )))
}

pub(crate) fn sees_voucher(reader: &Reader, voucher: &Voucher) -> bool {
    reader.sees_member(&voucher.issuer) || reader.sees_member(&voucher.holder)
}

/// A voucher's history and its holders from the first.
#[utoipa::path(get, path = "/vouchers/{id}/history", tag = "business",
    params(("id" = u64, Path, description = "the voucher id")),
    responses((status = 200, body = HistoryView), (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_voucher_history(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    id: PathSegment,
) -> ApiResult<HistoryView> {
    let id = voucher_id(id)?;
    blocking(move || Ok(Json(reads::voucher_history(chain.as_ref(), &reader, id)?))).await
}

/// The whole tree of parts the voucher belongs to, parents before children.
#[utoipa::path(get, path = "/vouchers/{id}/lineage", tag = "business",
    params(("id" = u64, Path, description = "the voucher id")),
    responses((status = 200, body = Vec<VoucherView>), (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_voucher_lineage(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    id: PathSegment,
) -> ApiResult<Vec<VoucherView>> {
    let id = voucher_id(id)?;
    blocking(move || Ok(Json(reads::voucher_lineage(chain.as_ref(), &reader, id)?))).await
}

/// The live vouchers a member holds, or the originals it issued, by id, a page at a time.
#[utoipa::path(get, path = "/vouchers", tag = "business",
    params(VoucherListQuery),
    responses((status = 200, body = VoucherPageView), (status = 400, body = crate::ErrorBody)))]
pub(crate) async fn list_vouchers(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    query: Result<Query<VoucherListQuery>, QueryRejection>,
) -> ApiResult<VoucherPageView> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    let after = query.after;
    let holder = query.holder.map(uscc_of).transpose()?;
    let issuer = query.issuer.map(uscc_of).transpose()?;
    for member in holder.iter().chain(&issuer) {
        reader.require_member(member, "the list of its vouchers")?;
    }
    if holder.is_none() && issuer.is_none() {
        reader.require_all("the list of every voucher")?;
    }
    blocking(move || {
        let page = match (holder, issuer) {
            (Some(holder), None) => {
                reads::vouchers_of(chain.as_ref(), &holder, false, after, limit)?
            }
            (None, Some(issuer)) => {
                reads::vouchers_of(chain.as_ref(), &issuer, true, after, limit)?
            }
            // Held by one member, issued by another: the holder's page, those of the issuer.
            (Some(holder), Some(issuer)) => {
                let mut page = reads::vouchers_of(chain.as_ref(), &holder, false, after, limit)?;
                page.vouchers.retain(|v| v.issuer == issuer);
                page
            }
            (None, None) => reads::all_vouchers(chain.as_ref(), after, limit)?,
        };
        Ok(Json(page))
    })
    .await
}

/// A member's settlement cash, in total and per custodian.
#[utoipa::path(get, path = "/cash/{uscc}", tag = "business",
    params(("uscc" = String, Path, description = "the member's unified social credit code")),
    responses((status = 200, body = BalanceView), (status = 400, body = crate::ErrorBody)))]
pub(crate) async fn get_balance(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    uscc: PathSegment,
) -> ApiResult<BalanceView> {
    let uscc = uscc_of(segment(uscc)?)?;
    reader.require_member(&uscc, "its cash")?;
    blocking(move || Ok(Json(reads::balance(chain.as_ref(), uscc)?))).await
}

/// What a term names: a block (height or hash), a transaction, a recorded document, an account,
/// a member (USCC) or a voucher id. A number can be both a height and a voucher id; both are listed.
#[utoipa::path(get, path = "/search", tag = "business",
    params(SearchQuery),
    responses((status = 200, body = Vec<SearchHit>), (status = 400, body = crate::ErrorBody)))]
pub(crate) async fn search(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> ApiResult<Vec<SearchHit>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let term = query.q.trim().to_string();
    if term.is_empty() || term.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "q is 1 to 100 characters",
        ));
    }
    blocking(move || Ok(Json(search_terms(chain, &reader, &term)?))).await
}

/// What `term` names, as `reader` may see it (the search route's answer; the explorer's search
/// box asks the same).
pub fn search_terms(
    chain: Arc<dyn ChainApi>,
    reader: &Reader,
    term: &str,
) -> Result<Vec<SearchHit>, ApiError> {
    let hit = |kind: &str, id: String, path: String| SearchHit {
        kind: kind.into(),
        id,
        path,
    };
    let mut hits = Vec::new();
    if let Ok(number) = term.parse::<u64>() {
        if chain.block(BlockId::Height(number))?.is_some() {
            hits.push(hit("block", term.into(), format!("/blocks/{number}")));
        }
        let voucher: Option<Voucher> = call(chain.as_ref(), voucher_method::GET, number)?;
        if voucher.is_some_and(|v| sees_voucher(reader, &v)) {
            hits.push(hit("voucher", term.into(), format!("/vouchers/{number}")));
        }
    }
    if let Ok(hash) = term.parse::<Hash>() {
        if chain.block(BlockId::Hash(hash))?.is_some() {
            hits.push(hit("block", hash.to_string(), format!("/blocks/{hash}")));
        }
        let tx = chain.transaction(hash)?;
        if tx.is_some_and(|tx| {
            reader
                .sees_transaction(chain.as_ref(), &tx)
                .unwrap_or(false)
        }) {
            hits.push(hit(
                "transaction",
                hash.to_string(),
                format!("/transactions/{hash}"),
            ));
        }
        let record: Option<Record> = call(chain.as_ref(), records_method::GET, hash.0)?;
        if record.is_some_and(|r| reader.sees_member(&r.recorder)) {
            hits.push(hit("record", hash.to_string(), format!("/records/{hash}")));
        }
        let account = AccountId(hash.0);
        if chain.account(account)?.member.is_some() {
            hits.push(hit(
                "account",
                account.to_string(),
                format!("/accounts/{account}"),
            ));
        }
    }
    if catena_schema::uscc::validate(term).is_ok() {
        let member: Option<MemberRecord> =
            call(chain.as_ref(), registry_method::MEMBER, term.to_string())?;
        if member.is_some() {
            hits.push(hit("member", term.into(), format!("/members/{term}")));
        }
    }
    Ok(hits)
}
