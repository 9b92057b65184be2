//! The business reads as plain functions: the JSON routes of `business.rs` answer with them, and
//! the explorer's pages show them, so the two say the same. Each reads the system contracts on
//! the latest state (call it on the blocking pool) and checks what `reader` may see.

use catena_primitives::Hash;
use catena_schema::cash::{method as cash_method, Balance};
use catena_schema::records::{method as records_method, Record};
use catena_schema::registry::{method as registry_method, MemberRecord};
use catena_schema::voucher::{
    method as voucher_method, HistoryEntry, Listing, Page, Voucher, VoucherId, MAX_PAGE,
};
use catena_schema::{format_amount, Amount, Uscc};

use crate::business::{call, load_voucher, sees_voucher, visible_voucher};
use crate::{
    ApiError, BalanceView, ChainApi, CustodiedView, HistoryItemView, HistoryView, MemberInfoView,
    Reader, RecordView, VoucherPageView, VoucherView,
};

/// Member `uscc`, if it is one.
pub fn member(chain: &dyn ChainApi, uscc: &str) -> Result<Option<MemberInfoView>, ApiError> {
    let member: Option<MemberRecord> = call(chain, registry_method::MEMBER, uscc.to_string())?;
    Ok(member.map(|m| MemberInfoView::from(&m)))
}

/// Every member of the consortium.
pub fn members(chain: &dyn ChainApi) -> Result<Vec<MemberInfoView>, ApiError> {
    let members: Vec<MemberRecord> = call(chain, registry_method::MEMBERS, ())?;
    Ok(members.iter().map(MemberInfoView::from).collect())
}

/// Voucher `id`, if `reader` may see it.
pub fn voucher(
    chain: &dyn ChainApi,
    reader: &Reader,
    id: VoucherId,
) -> Result<VoucherView, ApiError> {
    Ok(VoucherView::from(&visible_voucher(chain, reader, id)?))
}

/// What happened to voucher `id`, and its holders from the first.
pub fn voucher_history(
    chain: &dyn ChainApi,
    reader: &Reader,
    id: VoucherId,
) -> Result<HistoryView, ApiError> {
    visible_voucher(chain, reader, id)?;
    let history: Vec<HistoryEntry> = call(chain, voucher_method::HISTORY, id)?;
    let path: Vec<Uscc> = call(chain, voucher_method::PATH, id)?;
    Ok(HistoryView {
        voucher: id,
        path,
        history: history.iter().map(HistoryItemView::from).collect(),
    })
}

/// The whole tree of parts voucher `id` belongs to, parents before children, less the parts
/// `reader` may not see.
pub fn voucher_lineage(
    chain: &dyn ChainApi,
    reader: &Reader,
    id: VoucherId,
) -> Result<Vec<VoucherView>, ApiError> {
    visible_voucher(chain, reader, id)?;
    let tree: Vec<Voucher> = call(chain, voucher_method::LINEAGE, id)?;
    Ok(tree
        .iter()
        .filter(|part| sees_voucher(reader, part))
        .map(VoucherView::from)
        .collect())
}

/// A page of the live vouchers `member` holds (or, with `issued`, the originals it issued), by
/// id after `after`, at most `limit` (1 to [`MAX_PAGE`]). The caller checks that its reader may
/// see the member's vouchers.
pub fn vouchers_of(
    chain: &dyn ChainApi,
    member: &str,
    issued: bool,
    after: Option<VoucherId>,
    limit: u32,
) -> Result<VoucherPageView, ApiError> {
    page_limit(limit)?;
    let method = if issued {
        voucher_method::ISSUED_BY
    } else {
        voucher_method::HELD_BY
    };
    let page = Page {
        owner: member.to_string(),
        after,
        limit,
    };
    let listing: Listing = call(chain, method, page)?;
    let vouchers = listing
        .ids
        .into_iter()
        .map(|id| load_voucher(chain, id).map(|v| VoucherView::from(&v)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VoucherPageView {
        vouchers,
        next: listing.next,
    })
}

/// Member `uscc`'s settlement cash, in total and per custodian. The caller checks that its
/// reader may see it.
pub fn balance(chain: &dyn ChainApi, uscc: Uscc) -> Result<BalanceView, ApiError> {
    let held: Vec<Balance> = call(chain, cash_method::BALANCES, uscc.clone())?;
    let custody: Amount = call(chain, cash_method::CUSTODY, uscc.clone())?;
    let member: Option<MemberRecord> = call(chain, registry_method::MEMBER, uscc.clone())?;
    let financier = member.is_some_and(|m| m.roles.contains(&catena_schema::Role::Financier));
    Ok(BalanceView {
        member: uscc,
        balance: format_amount(held.iter().map(|b| b.amount).sum()),
        by_custodian: held
            .into_iter()
            .map(|b| CustodiedView {
                custodian: b.custodian,
                amount: format_amount(b.amount),
            })
            .collect(),
        custodies: financier.then(|| format_amount(custody)),
    })
}

/// The document recorded under `hash`, if any, when `reader` may see its recorder's data.
pub fn record(
    chain: &dyn ChainApi,
    reader: &Reader,
    hash: Hash,
) -> Result<Option<RecordView>, ApiError> {
    let record: Option<Record> = call(chain, records_method::GET, hash.0)?;
    if let Some(record) = &record {
        reader.require_member(&record.recorder, &format!("document {hash}"))?;
    }
    Ok(record.map(|r| RecordView::from(&r)))
}

/// How much of invoice `hash`'s amount vouchers have financed so far, decimal.
pub fn invoice_use(chain: &dyn ChainApi, hash: Hash) -> Result<String, ApiError> {
    let used: Amount = call(chain, voucher_method::INVOICE_USE, hash.0)?;
    Ok(format_amount(used))
}

/// The credit lines financiers granted issuer `uscc` (none for a member that issues nothing).
pub fn credit_lines(
    chain: &dyn ChainApi,
    uscc: Uscc,
) -> Result<catena_schema::voucher::CreditLines, ApiError> {
    call(chain, voucher_method::CREDIT_LINE, uscc)
}

/// A page of every voucher and part on the chain, by id after `after`, at most `limit` (ids are
/// given from 1 without gaps, so the first missing id ends the list). The caller checks that its
/// reader may see them all.
pub fn all_vouchers(
    chain: &dyn ChainApi,
    after: Option<VoucherId>,
    limit: u32,
) -> Result<VoucherPageView, ApiError> {
    page_limit(limit)?;
    let first = after.unwrap_or(0).saturating_add(1);
    let mut vouchers = Vec::new();
    let mut next = None;
    for id in first..first.saturating_add(u64::from(limit)) {
        let found: Option<Voucher> = call(chain, voucher_method::GET, id)?;
        let Some(voucher) = found else {
            break;
        };
        vouchers.push(VoucherView::from(&voucher));
        next = Some(id);
    }
    // A full page may have more after it.
    let next = next.filter(|_| vouchers.len() == limit as usize);
    Ok(VoucherPageView { vouchers, next })
}

/// A 400 unless `limit` is 1 to [`MAX_PAGE`].
pub(crate) fn page_limit(limit: u32) -> Result<(), ApiError> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit is 1 to {MAX_PAGE}"),
        ));
    }
    Ok(())
}
