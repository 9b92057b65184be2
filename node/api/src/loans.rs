//! Routes over the loan ledger (the `lending` contract, docs/products.md): a loan, the loans of a
//! borrower or a lender or every overdue one a page at a time, and the data-credit limit a
//! member's record suggests. JSON with amounts as decimal strings and rates as percentages, as
//! the voucher routes.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::Json;
use catena_schema::lending::{
    method as lending_method, Collateral, CreditSuggestion, Loan, LoanId, LoanListing, LoanPage,
    Party,
};
use catena_schema::{format_amount, format_rate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::business::{call, uscc_of};
use crate::{blocking, segment, ApiError, ApiResult, Chain, ChainApi, PathSegment, Reader};

/// A loan on the ledger.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct LoanView {
    pub id: u64,
    pub lender: String,
    pub borrower: String,
    /// What secures it, in words ("none (data credit)", "warehouse receipt 3").
    pub collateral: String,
    /// The pledged warehouse receipt's id, for a loan on one (an order-financed loan's once its
    /// goods secure it).
    pub receipt: Option<u64>,
    /// For prepayment (order) financing: the order, its seller (paid the advance) and whether
    /// the seller undertook to buy the goods back at default.
    pub order: Option<OrderView>,
    /// The principal applied for and advanced, decimal.
    pub amount: String,
    /// The highest annual rate the borrower accepts, e.g. "6.00%".
    pub max_rate: String,
    /// The annual rate agreed at approval (ACT/360 by started days from `start_ms`).
    pub rate: Option<String>,
    /// applied, active, repaid, overdue, enforced, declined, withdrawn.
    pub status: String,
    pub applied_ms: u64,
    pub start_ms: Option<u64>,
    pub due_ms: u64,
    /// What is owed at `at_ms`: principal unpaid and interest, decimal.
    pub principal_owed: String,
    pub interest_owed: String,
    pub owed: String,
    pub at_ms: u64,
    /// Paid so far, all of it and the interest in it, decimal.
    pub repaid: String,
    pub interest_paid: String,
    pub repayments: u32,
    /// What was owed when the lender enforced it, decimal.
    pub enforced_owed: Option<String>,
}

impl LoanView {
    /// The loan as it stands at `now_ms` (the latest block's time).
    pub fn at(loan: &Loan, now_ms: u64) -> LoanView {
        let outstanding = loan.status.is_outstanding();
        let accrual = loan.accrual.as_ref();
        let principal = accrual.filter(|_| outstanding).map_or(0, |a| a.principal);
        let interest = accrual
            .filter(|_| outstanding)
            .map_or(0, |a| a.interest_owed(now_ms));
        LoanView {
            id: loan.id,
            lender: loan.lender.clone(),
            borrower: loan.borrower.clone(),
            collateral: loan.collateral.describe(),
            receipt: loan.collateral.receipt(),
            order: match &loan.collateral {
                Collateral::Order {
                    order,
                    seller,
                    buyback,
                    ..
                } => Some(OrderView {
                    order: catena_primitives::Hash(*order).to_string(),
                    seller: seller.clone(),
                    buyback: *buyback,
                }),
                _ => None,
            },
            amount: format_amount(loan.amount),
            max_rate: format_rate(loan.max_rate_bps),
            rate: accrual.map(|a| format_rate(a.rate_bps)),
            status: loan.status.as_str().into(),
            applied_ms: loan.applied_ms,
            start_ms: accrual.map(|a| a.since_ms),
            due_ms: loan.due_ms,
            principal_owed: format_amount(principal),
            interest_owed: format_amount(interest),
            owed: format_amount(principal.saturating_add(interest)),
            at_ms: now_ms,
            repaid: format_amount(accrual.map_or(0, |a| a.received)),
            interest_paid: format_amount(loan.interest_paid),
            repayments: loan.repayments,
            enforced_owed: (loan.status == catena_schema::lending::LoanStatus::Enforced)
                .then(|| format_amount(loan.enforced_owed)),
        }
    }
}

/// The purchase order an order-financed loan prepays.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct OrderView {
    /// The order's recorded document, 0x + 64 hex digits.
    pub order: String,
    pub seller: String,
    pub buyback: bool,
}

/// A page of loans; `next` is set when more follow (pass it as `after`).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct LoanPageView {
    pub loans: Vec<LoanView>,
    pub next: Option<u64>,
}

/// The data-credit limit a member's own record suggests, and the rule that gives it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct CreditView {
    pub member: String,
    /// The rating of the documents it recorded (completeness, timeliness, accuracy).
    pub rating: String,
    /// The weighted score, e.g. "92.50%".
    pub score: String,
    /// What its records suggest: the rating's share of the invoices it issued, decimal.
    pub suggested: String,
    /// Loans repaid on time and late, enforced, overdue now.
    pub on_time: u32,
    pub late: u32,
    pub enforced: u32,
    pub overdue: u32,
    /// What its repayment history makes of the suggestion, e.g. "105.00%".
    pub factor: String,
    /// The limit, what it owes unsecured now, and what more may be lent, decimal.
    pub limit: String,
    pub outstanding: String,
    pub available: String,
    /// The rules, in words: of the records' rating, and of the limit.
    pub records_rule: String,
    pub rule: String,
}

impl From<&CreditSuggestion> for CreditView {
    fn from(s: &CreditSuggestion) -> CreditView {
        CreditView {
            member: s.borrower.clone(),
            rating: s.records.rating.clone(),
            score: format_rate(s.records.overall),
            suggested: format_amount(s.records.amount),
            on_time: s.history.on_time,
            late: s.history.late,
            enforced: s.history.enforced,
            overdue: s.history.overdue,
            factor: format_rate(s.factor_bps),
            limit: format_amount(s.limit),
            outstanding: format_amount(s.outstanding),
            available: format_amount(s.available),
            records_rule: s.records.rule.clone(),
            rule: s.rule.clone(),
        }
    }
}

#[derive(Deserialize, IntoParams, Debug)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LoanListQuery {
    /// The loans this member (USCC) applied for.
    pub borrower: Option<String>,
    /// The loans asked of this financier (USCC).
    pub lender: Option<String>,
    /// Every loan overdue now (alone: without `borrower` or `lender`).
    pub overdue: Option<bool>,
    /// Start after this loan id (the previous page's `next`).
    #[param(minimum = 0)]
    pub after: Option<u64>,
    /// At most this many (1 to 1000; 100 if not given).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The latest block's time: what interest is counted to.
fn chain_time(chain: &dyn ChainApi) -> Result<u64, ApiError> {
    Ok(chain.status()?.time_ms)
}

/// Loan `id` as it stands now, when `reader` may see its borrower's or its lender's data.
pub fn loan(chain: &dyn ChainApi, reader: &Reader, id: LoanId) -> Result<LoanView, ApiError> {
    let loan: Loan = call(chain, lending_method::GET, id)?
        .ok_or_else(|| ApiError::not_found(format!("there is no loan {id}")))?;
    if !(reader.sees_member(&loan.borrower) || reader.sees_member(&loan.lender)) {
        return Err(crate::access::not_granted(format!(
            "loan {id} is the data of members {} and {}, which this auditor was not granted",
            loan.borrower, loan.lender
        )));
    }
    Ok(LoanView::at(&loan, chain_time(chain)?))
}

/// A page of the loans `party` names.
pub fn loans(
    chain: &dyn ChainApi,
    party: Party,
    after: Option<LoanId>,
    limit: u32,
) -> Result<LoanPageView, ApiError> {
    crate::reads::page_limit(limit)?;
    let page = LoanPage {
        party,
        after,
        limit,
    };
    let listing: LoanListing = call(chain, lending_method::LIST, page)?;
    let now = chain_time(chain)?;
    let mut loans = Vec::with_capacity(listing.ids.len());
    for id in listing.ids {
        let loan: Loan = call(chain, lending_method::GET, id)?
            .ok_or_else(|| ApiError::internal(format!("loan {id} is listed but not stored")))?;
        loans.push(LoanView::at(&loan, now));
    }
    Ok(LoanPageView {
        loans,
        next: listing.next,
    })
}

/// The data-credit limit member `uscc`'s record suggests.
pub fn credit(chain: &dyn ChainApi, uscc: String) -> Result<CreditView, ApiError> {
    let suggestion: CreditSuggestion = call(chain, lending_method::SUGGEST_LIMIT, uscc)?;
    Ok(CreditView::from(&suggestion))
}

fn loan_id(id: PathSegment) -> Result<LoanId, ApiError> {
    let id = segment(id)?;
    id.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_loan",
            format!("'{id}' is not a loan id (a number)"),
        )
    })
}

/// A loan by id, with what it owes now.
#[utoipa::path(get, path = "/loans/{id}", tag = "business",
    params(("id" = u64, Path, description = "the loan id")),
    responses((status = 200, body = LoanView), (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_loan(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    id: PathSegment,
) -> ApiResult<LoanView> {
    let id = loan_id(id)?;
    blocking(move || Ok(Json(loan(chain.as_ref(), &reader, id)?))).await
}

/// The loans a member applied for, those asked of a financier, or every overdue loan, by id, a
/// page at a time.
#[utoipa::path(get, path = "/loans", tag = "business",
    params(LoanListQuery),
    responses((status = 200, body = LoanPageView), (status = 400, body = crate::ErrorBody)))]
pub(crate) async fn list_loans(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    query: Result<Query<LoanListQuery>, QueryRejection>,
) -> ApiResult<LoanPageView> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let party = match (query.borrower, query.lender, query.overdue) {
        (Some(borrower), None, None | Some(false)) => Party::Borrower(uscc_of(borrower)?),
        (None, Some(lender), None | Some(false)) => Party::Lender(uscc_of(lender)?),
        (None, None, Some(true)) => Party::Overdue,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "name exactly one of borrower=USCC, lender=USCC or overdue=true",
            ))
        }
    };
    match &party {
        Party::Borrower(uscc) | Party::Lender(uscc) => {
            reader.require_member(uscc, "the list of its loans")?
        }
        Party::Overdue => reader.require_all("the list of every overdue loan")?,
    }
    let limit = query.limit.unwrap_or(100);
    blocking(move || Ok(Json(loans(chain.as_ref(), party, query.after, limit)?))).await
}

/// The data-credit limit a member's own record suggests: the rating of the documents it recorded
/// applied to the invoices it issued, scaled by its repayment history, less what it owes
/// unsecured.
#[utoipa::path(get, path = "/members/{uscc}/credit", tag = "business",
    params(("uscc" = String, Path, description = "the member's unified social credit code")),
    responses((status = 200, body = CreditView), (status = 400, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub(crate) async fn get_credit(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    uscc: PathSegment,
) -> ApiResult<CreditView> {
    let uscc = uscc_of(segment(uscc)?)?;
    reader.require_member(&uscc, "its credit record")?;
    blocking(move || {
        let missing = format!("{uscc} is not a member");
        if crate::reads::member(chain.as_ref(), &uscc)?.is_none() {
            return Err(ApiError::not_found(missing));
        }
        Ok(Json(credit(chain.as_ref(), uscc)?))
    })
    .await
}
