//! Routes over warehouse receipts (the `receipts` contract, docs/products.md): a receipt, and the
//! live receipts a member owns or a warehouse keeps, a page at a time.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::Json;
use catena_primitives::Hash;
use catena_schema::format_amount;
use catena_schema::receipts::{
    method as receipts_method, Holder, Receipt, ReceiptId, ReceiptListing, ReceiptPage,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::business::{call, uscc_of};
use crate::{blocking, segment, ApiError, ApiResult, Chain, ChainApi, PathSegment, Reader};

/// A warehouse receipt (电子仓单).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct WarehouseReceiptView {
    pub id: u64,
    pub warehouse: String,
    pub owner: String,
    pub goods: String,
    pub quantity: u64,
    pub unit: String,
    pub location: String,
    pub lot: String,
    /// The appraised value of the goods under it now (pro rata to the appraised quantity),
    /// decimal.
    pub value: String,
    /// The appraisal's recorded document and the inspection records, 0x + 64 hex digits.
    pub appraisal: String,
    pub inspections: Vec<String>,
    /// live, split, closed.
    pub status: String,
    pub parent: Option<u64>,
    pub children: Vec<u64>,
    /// While pledged: the lender, the loan, the quantity pledged, what the lender released
    /// and what has left since.
    pub pledgee: Option<String>,
    pub loan: Option<u64>,
    pub pledged_quantity: Option<u64>,
    pub released: Option<u64>,
    pub taken_out: Option<u64>,
    pub issued_ms: u64,
    pub goods_in: u64,
    pub goods_out: u64,
}

impl From<&Receipt> for WarehouseReceiptView {
    fn from(r: &Receipt) -> WarehouseReceiptView {
        let lock = r.lock.as_ref();
        WarehouseReceiptView {
            id: r.id,
            warehouse: r.warehouse.clone(),
            owner: r.owner.clone(),
            goods: r.goods.clone(),
            quantity: r.quantity,
            unit: r.unit.clone(),
            location: r.location.clone(),
            lot: r.lot.clone(),
            value: format_amount(r.value()),
            appraisal: Hash(r.appraisal).to_string(),
            inspections: r.inspections.iter().map(|i| Hash(*i).to_string()).collect(),
            status: r.status.as_str().into(),
            parent: r.parent,
            children: r.children.clone(),
            pledgee: lock.map(|l| l.pledgee.clone()),
            loan: lock.map(|l| l.loan),
            pledged_quantity: lock.map(|l| l.pledged_quantity),
            released: lock.map(|l| l.released),
            taken_out: lock.map(|l| l.taken_out),
            issued_ms: r.issued_ms,
            goods_in: r.goods_in,
            goods_out: r.goods_out,
        }
    }
}

/// A page of receipts; `next` is set when more follow (pass it as `after`).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct WarehouseReceiptPageView {
    pub receipts: Vec<WarehouseReceiptView>,
    pub next: Option<u64>,
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReceiptListQuery {
    /// The live receipts this member (USCC) owns.
    pub owner: Option<String>,
    /// The live receipts this warehouse (USCC) issued and keeps.
    pub warehouse: Option<String>,
    /// Start after this receipt id (the previous page's `next`).
    #[param(minimum = 0)]
    pub after: Option<u64>,
    /// At most this many (1 to 1000; 100 if not given).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Receipt `id`, when `reader` may see its owner's or its warehouse's data.
pub fn receipt(
    chain: &dyn ChainApi,
    reader: &Reader,
    id: ReceiptId,
) -> Result<WarehouseReceiptView, ApiError> {
    let receipt: Receipt = call(chain, receipts_method::GET, id)?
        .ok_or_else(|| ApiError::not_found(format!("there is no warehouse receipt {id}")))?;
    if !(reader.sees_member(&receipt.owner) || reader.sees_member(&receipt.warehouse)) {
        return Err(crate::access::not_granted(format!(
            "warehouse receipt {id} is the data of members {} and {}, which this auditor was not granted",
            receipt.owner, receipt.warehouse
        )));
    }
    Ok(WarehouseReceiptView::from(&receipt))
}

/// A page of the live receipts `holder` names.
pub fn receipts(
    chain: &dyn ChainApi,
    holder: Holder,
    after: Option<ReceiptId>,
    limit: u32,
) -> Result<WarehouseReceiptPageView, ApiError> {
    crate::reads::page_limit(limit)?;
    let page = ReceiptPage {
        holder,
        after,
        limit,
    };
    let listing: ReceiptListing = call(chain, receipts_method::LIST, page)?;
    let mut receipts = Vec::with_capacity(listing.ids.len());
    for id in listing.ids {
        let receipt: Receipt = call(chain, receipts_method::GET, id)?.ok_or_else(|| {
            ApiError::internal(format!("warehouse receipt {id} is listed but not stored"))
        })?;
        receipts.push(WarehouseReceiptView::from(&receipt));
    }
    Ok(WarehouseReceiptPageView {
        receipts,
        next: listing.next,
    })
}

/// A warehouse receipt by id.
#[utoipa::path(get, path = "/receipts/{id}", tag = "business",
    params(("id" = u64, Path, description = "the receipt id")),
    responses((status = 200, body = WarehouseReceiptView), (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_receipt(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    id: PathSegment,
) -> ApiResult<WarehouseReceiptView> {
    let id = segment(id)?;
    let id: ReceiptId = id.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_receipt",
            format!("'{id}' is not a warehouse receipt id (a number)"),
        )
    })?;
    blocking(move || Ok(Json(receipt(chain.as_ref(), &reader, id)?))).await
}

/// The live receipts a member owns, or those a warehouse keeps, by id, a page at a time.
#[utoipa::path(get, path = "/receipts", tag = "business",
    params(ReceiptListQuery),
    responses((status = 200, body = WarehouseReceiptPageView), (status = 400, body = crate::ErrorBody)))]
pub(crate) async fn list_receipts(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    query: Result<Query<ReceiptListQuery>, QueryRejection>,
) -> ApiResult<WarehouseReceiptPageView> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let holder = match (query.owner, query.warehouse) {
        (Some(owner), None) => Holder::Owner(uscc_of(owner)?),
        (None, Some(warehouse)) => Holder::Warehouse(uscc_of(warehouse)?),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "name exactly one of owner=USCC or warehouse=USCC",
            ))
        }
    };
    let (Holder::Owner(uscc) | Holder::Warehouse(uscc)) = &holder;
    reader.require_member(uscc, "the list of its warehouse receipts")?;
    let limit = query.limit.unwrap_or(100);
    blocking(move || Ok(Json(receipts(chain.as_ref(), holder, query.after, limit)?))).await
}
