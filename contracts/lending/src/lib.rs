//! The loan ledger (ADR 0045, docs/products.md): a member applies to a financier for a loan; the
//! financier approves at a rate no higher than the borrower accepts and advances the principal in
//! cash in the same call (or declines; the borrower may withdraw first); the borrower repays in
//! one or more payments, interest first, ACT/360 by started days ([`Accrual`]); a loan not repaid
//! by its due date falls overdue by a call scheduled at approval, and its lender may then enforce
//! it. A data-credit loan has no collateral and is lent only within the limit the borrower's own
//! record suggests (its recorded documents' rating and its repayment history), checked at
//! application and again at approval.
//!
//! Every method checks all its rules before it writes anything, and a failed call keeps nothing
//! it wrote, so a refused operation changes nothing and says why.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use catena_schema::cash::{method as cash_method, OperatorTransfer};
use catena_schema::lending::method;
use catena_schema::lending::{
    events, keys, Accrual, Application, Approval, ClosePledge, Collateral, CreditSuggestion,
    History, Init, Loan, LoanId, LoanListing, LoanPage, LoanStatus, Owed, Party, PledgeEnd,
    PledgePaid, Repay, Repayment, Secure, VoucherPledge, MAX_TIME_MS,
};
use catena_schema::receipts::{
    method as receipts_method, GoodsMove, LockReceipt, Receipt, ReceiptId, ReceiptStatus, Seize,
};
use catena_schema::records::{method as records_method, Kind, Record};
use catena_schema::registry::AccountRecord;
use catena_schema::voucher::MAX_PAGE;
use catena_schema::{format_amount, format_rate, Amount, RecordId, Role, Uscc};
use catena_sdk::{block_time_ms, call_method, caller, emit_encoded, registry, storage};

mod collateral;
use collateral::{secure, undertake_buyback};
mod pledges;
use pledges::{close_pledge, open_pledge, pledge_overdue, pledge_paid};
mod error;
pub use error::Error;

catena_sdk::methods! {
    method::INIT => init,
    method::APPLY => apply,
    method::APPROVE => approve,
    method::DECLINE => decline,
    method::WITHDRAW => withdraw,
    method::REPAY => repay,
    method::MARK_OVERDUE => mark_overdue,
    method::ENFORCE => enforce,
    method::SECURE => secure,
    method::UNDERTAKE_BUYBACK => undertake_buyback,
    method::OPEN_PLEDGE => open_pledge,
    method::PLEDGE_PAID => pledge_paid,
    method::PLEDGE_OVERDUE => pledge_overdue,
    method::CLOSE_PLEDGE => close_pledge,
    method::GET => get,
    method::OWED => owed,
    method::LIST => list,
    method::HISTORY => history,
    method::SUGGEST_LIMIT => suggest_limit,
    method::HOLDINGS => holdings,
}

fn init(init: Init) -> Result<(), Error> {
    storage::ensure_absent(keys::CONFIG, Error::AlreadyInitialised)?;
    storage::save(keys::CONFIG, &init);
    Ok(())
}

fn config() -> Init {
    storage::load_or_fail(keys::CONFIG, "the lending contract is not initialised")
}

fn signer() -> Result<AccountRecord, Error> {
    registry::account(&config().registry, &caller()).ok_or(Error::NotAMember)
}

fn load(id: LoanId) -> Result<Loan, Error> {
    storage::load(&keys::loan_key(id)).ok_or(Error::NoLoan(id))
}

fn save(loan: &Loan) {
    storage::save(&keys::loan_key(loan.id), loan);
}

fn index_key(prefix: Vec<u8>, id: LoanId) -> Vec<u8> {
    [prefix, id.to_be_bytes().to_vec()].concat()
}

fn load_history(uscc: &str) -> History {
    storage::load(&keys::history_key(uscc)).unwrap_or_default()
}

fn update_history(uscc: &str, change: impl FnOnce(&mut History)) {
    let mut history = load_history(uscc);
    change(&mut history);
    storage::save(&keys::history_key(uscc), &history);
}

/// Moves cash between members through the cash contract (this contract is one of its operators).
fn pay(from: &str, to: &str, amount: Amount) {
    let args = OperatorTransfer {
        from: from.into(),
        to: to.into(),
        amount,
    };
    let _: () = call_method(&config().cash, cash_method::OPERATOR_TRANSFER, &args);
}

fn check_status(loan: &Loan, allowed: &[LoanStatus]) -> Result<(), Error> {
    if allowed.contains(&loan.status) {
        Ok(())
    } else {
        Err(Error::WrongStatus {
            id: loan.id,
            status: loan.status.as_str(),
        })
    }
}

/// The signer's member, which must be `owner` (the `role` the loan gives it).
fn signer_is(owner: &str, role: &'static str, id: LoanId) -> Result<(), Error> {
    let who = signer()?.uscc;
    if who != owner {
        return Err(Error::NotYours { who, role, id });
    }
    Ok(())
}

/// The signer's member asks a financier for a loan.
fn apply(args: Application) -> Result<LoanId, Error> {
    let borrower = signer()?;
    if borrower.has(Role::Auditor) {
        return Err(Error::Auditor(borrower.uscc));
    }
    let lender = registry::member(&config().registry, &args.lender)
        .ok_or_else(|| Error::UnknownMember(args.lender.clone()))?;
    if !lender.roles.contains(&Role::Financier) {
        return Err(Error::NotAFinancier(args.lender));
    }
    if args.lender == borrower.uscc {
        return Err(Error::invalid("a financier cannot lend to itself"));
    }
    if args.amount == 0 {
        return Err(Error::invalid("a loan's amount must be above zero"));
    }
    if args.max_rate_bps > 10_000 {
        return Err(Error::invalid("an interest rate is at most 100% a year"));
    }
    let now = block_time_ms();
    if args.due_ms <= now || args.due_ms > MAX_TIME_MS {
        return Err(Error::invalid(
            "the due date must be after now and before the year 10000",
        ));
    }
    if matches!(args.collateral, Collateral::Order { buyback: true, .. }) {
        return Err(Error::invalid(
            "a buy-back is undertaken by the seller itself (`undertake_buyback`)",
        ));
    }
    collateral::check(&args.collateral, &borrower.uscc, args.amount)?;
    let id = next_id();
    let loan = Loan {
        id,
        lender: args.lender,
        borrower: borrower.uscc,
        collateral: args.collateral,
        amount: args.amount,
        max_rate_bps: args.max_rate_bps,
        due_ms: args.due_ms,
        status: LoanStatus::Applied,
        applied_ms: now,
        accrual: None,
        interest_paid: 0,
        repayments: 0,
        enforced_owed: 0,
    };
    index(&loan);
    save(&loan);
    emit_encoded(events::APPLIED, &loan);
    Ok(id)
}

fn next_id() -> LoanId {
    let id = storage::get_u64(keys::NEXT_ID).max(1);
    storage::set_u64(keys::NEXT_ID, id + 1);
    id
}

/// Lists a new loan under its borrower and its lender.
fn index(loan: &Loan) {
    storage::set(
        &index_key(keys::by_borrower_prefix(&loan.borrower), loan.id),
        &[],
    );
    storage::set(
        &index_key(keys::by_lender_prefix(&loan.lender), loan.id),
        &[],
    );
}

/// The lender approves and advances the principal to the borrower in this same call.
fn approve(args: Approval) -> Result<(), Error> {
    let mut loan = load(args.loan)?;
    signer_is(&loan.lender, "lender", loan.id)?;
    check_status(&loan, &[LoanStatus::Applied])?;
    if args.rate_bps > loan.max_rate_bps {
        return Err(Error::Invalid(format!(
            "the rate {} is above the {} the borrower accepts",
            format_rate(args.rate_bps),
            format_rate(loan.max_rate_bps)
        )));
    }
    let now = block_time_ms();
    if now >= loan.due_ms {
        return Err(Error::invalid(
            "the loan's due date has passed: the borrower applies again",
        ));
    }
    collateral::check(&loan.collateral, &loan.borrower, loan.amount)?;
    let payee = collateral::take(&loan);
    pay(&loan.lender, &payee, loan.amount);
    loan.accrual = Some(Accrual::new(loan.amount, args.rate_bps, now));
    loan.status = LoanStatus::Active;
    if loan.collateral == Collateral::Unsecured {
        update_history(&loan.borrower, |h| h.unsecured += loan.amount);
    }
    catena_sdk::schedule_method(loan.due_ms, method::MARK_OVERDUE, &loan.id);
    save(&loan);
    emit_encoded(events::APPROVED, &loan);
    Ok(())
}

fn close_application(id: LoanId, role: &'static str, status: LoanStatus) -> Result<(), Error> {
    let mut loan = load(id)?;
    let owner = if role == "lender" {
        &loan.lender
    } else {
        &loan.borrower
    };
    signer_is(owner, role, id)?;
    check_status(&loan, &[LoanStatus::Applied])?;
    loan.status = status;
    save(&loan);
    let topic = if status == LoanStatus::Declined {
        events::DECLINED
    } else {
        events::WITHDRAWN
    };
    emit_encoded(topic, &loan);
    Ok(())
}

fn decline(id: LoanId) -> Result<(), Error> {
    close_application(id, "lender", LoanStatus::Declined)
}

fn withdraw(id: LoanId) -> Result<(), Error> {
    close_application(id, "borrower", LoanStatus::Withdrawn)
}

/// The loan's debt, which an outstanding loan always has.
fn accrual_of(loan: &Loan) -> Accrual {
    loan.accrual
        .clone()
        .unwrap_or_else(|| catena_sdk::fail("an advanced loan without its accrual: a bug"))
}

/// The borrower pays the lender: interest first, then principal. Paid in full, the loan closes.
fn repay(args: Repay) -> Result<(), Error> {
    let mut loan = load(args.loan)?;
    signer_is(&loan.borrower, "borrower", loan.id)?;
    check_status(&loan, &[LoanStatus::Active, LoanStatus::Overdue])?;
    not_a_voucher_pledge(&loan)?;
    let owed = accrual_of(&loan).owed(block_time_ms());
    let amount = args.amount.unwrap_or(owed);
    if amount == 0 {
        return Err(Error::invalid("a repayment must be above zero"));
    }
    if amount > owed {
        return Err(Error::Invalid(format!(
            "{} is more than the {} owed on loan {} now",
            format_amount(amount),
            format_amount(owed),
            loan.id
        )));
    }
    pay(&loan.borrower, &loan.lender, amount);
    take_payment(&mut loan, amount);
    Ok(())
}

/// The lender was paid `amount` now: interest first, then principal, by the loan's accrual; paid
/// in full, the loan closes (its goods freed); the borrower's history counts it.
fn take_payment(loan: &mut Loan, amount: Amount) {
    let now = block_time_ms();
    let mut accrual = accrual_of(loan);
    let (to_interest, to_principal) = accrual.pay(now, amount);
    loan.interest_paid += to_interest;
    loan.repayments += 1;
    let paid = accrual.is_paid();
    loan.accrual = Some(accrual);
    let was = loan.status;
    if paid {
        loan.status = LoanStatus::Repaid;
        storage::remove(&keys::overdue_key(loan.id));
    }
    collateral::free_goods(loan, &accrual_of(loan), paid);
    let unsecured = loan.collateral == Collateral::Unsecured;
    update_history(&loan.borrower, |h| {
        if unsecured {
            h.unsecured -= to_principal;
        }
        if paid && was == LoanStatus::Overdue {
            h.overdue -= 1;
            h.late += 1;
        } else if paid {
            h.on_time += 1;
        }
    });
    save(loan);
    let repayment = Repayment {
        loan: loan.clone(),
        to_interest,
        to_principal,
    };
    emit_encoded(events::REPAID, &repayment);
}

/// Scheduled at the due date: a loan still owing falls overdue.
fn mark_overdue(id: LoanId) -> Result<(), Error> {
    if caller() != config().own_id {
        return Err(Error::invalid(
            "a loan falls overdue by the call scheduled at its due date only",
        ));
    }
    let mut loan = load(id)?;
    if loan.status == LoanStatus::Active {
        fall_overdue(&mut loan);
    }
    Ok(())
}

fn fall_overdue(loan: &mut Loan) {
    loan.status = LoanStatus::Overdue;
    storage::set(&keys::overdue_key(loan.id), &[]);
    update_history(&loan.borrower, |h| h.overdue += 1);
    save(loan);
    emit_encoded(events::OVERDUE, &*loan);
}

/// A voucher's pledge is repaid and enforced through the voucher contract, which moves its money.
fn not_a_voucher_pledge(loan: &Loan) -> Result<(), Error> {
    if let Collateral::Voucher(voucher) = loan.collateral {
        return Err(Error::Invalid(format!(
            "loan {} is voucher {voucher}'s pledge: it is repaid with `voucher repay` and settled at the voucher's maturity",
            loan.id
        )));
    }
    Ok(())
}

/// After default the lender enforces the loan: a seller that undertook a buy-back pays what its
/// cash covers and takes the goods back; else a pledged warehouse receipt passes to the lender. A
/// data-credit loan has nothing to take: its default is recorded (the claim is pursued off chain).
/// Either way the loan closes on the ledger with what was still owed (`enforced_owed`).
fn enforce(id: LoanId) -> Result<(), Error> {
    let mut loan = load(id)?;
    signer_is(&loan.lender, "lender", id)?;
    check_status(&loan, &[LoanStatus::Overdue])?;
    not_a_voucher_pledge(&loan)?;
    let now = block_time_ms();
    let accrual = accrual_of(&loan);
    loan.enforced_owed = collateral::enforce_on(&loan, accrual.owed(now));
    loan.status = LoanStatus::Enforced;
    storage::remove(&keys::overdue_key(id));
    let unsecured = loan.collateral == Collateral::Unsecured;
    update_history(&loan.borrower, |h| {
        h.overdue -= 1;
        h.enforced += 1;
        if unsecured {
            h.unsecured -= accrual.principal;
        }
    });
    save(&loan);
    emit_encoded(events::ENFORCED, &loan);
    Ok(())
}

fn get(id: LoanId) -> Result<Option<Loan>, Error> {
    Ok(storage::load(&keys::loan_key(id)))
}

fn owed(id: LoanId) -> Result<Option<Owed>, Error> {
    let Some(loan) = get(id)? else {
        return Ok(None);
    };
    let now = block_time_ms();
    let (principal, interest) = match (&loan.accrual, loan.status.is_outstanding()) {
        (Some(accrual), true) => (accrual.principal, accrual.interest_owed(now)),
        _ => (0, 0),
    };
    Ok(Some(Owed {
        loan: id,
        principal,
        interest,
        total: principal + interest,
        at_ms: now,
    }))
}

fn list(page: LoanPage) -> Result<LoanListing, Error> {
    if page.limit == 0 || page.limit > MAX_PAGE {
        return Err(Error::Invalid(format!(
            "a page lists 1 to {MAX_PAGE} loans"
        )));
    }
    let prefix = match &page.party {
        Party::Borrower(uscc) => keys::by_borrower_prefix(uscc),
        Party::Lender(uscc) => keys::by_lender_prefix(uscc),
        Party::Overdue => keys::OVERDUE.to_vec(),
    };
    let (ids, next) = storage::id_page(&prefix, page.after, page.limit);
    Ok(LoanListing { ids, next })
}

fn history(uscc: Uscc) -> Result<History, Error> {
    Ok(load_history(&uscc))
}

/// The data-credit limit the borrower's record suggests: the records contract's rating of the
/// documents it recorded, scaled by its repayment history here.
fn suggest_limit(borrower: Uscc) -> Result<CreditSuggestion, Error> {
    let config = config();
    let records = call_method(&config.records, records_method::SUGGEST_CREDIT, &borrower);
    let history = load_history(&borrower);
    Ok(config.credit.suggest(&borrower, records, history))
}

/// What a member still has on the ledger, one sentence each: governance does not remove a member
/// while anything is listed.
fn holdings(uscc: Uscc) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let now = block_time_ms();
    for (prefix, role) in [
        (keys::by_borrower_prefix(&uscc), "borrower"),
        (keys::by_lender_prefix(&uscc), "lender"),
    ] {
        let mut after: Option<Vec<u8>> = None;
        while let Some((key, _)) = storage::next(&prefix, after.as_deref()) {
            let id = key
                .get(prefix.len()..)
                .and_then(|tail| <[u8; 8]>::try_from(tail).ok())
                .map(u64::from_be_bytes)
                .unwrap_or_else(|| catena_sdk::fail("a loan index key is malformed: a bug"));
            let loan = load(id)?;
            match loan.status {
                LoanStatus::Applied => {
                    out.push(format!("loan {id}: an open application, as {role}"))
                }
                status if status.is_outstanding() => out.push(format!(
                    "loan {id}: {} owed, as {role}",
                    format_amount(loan.owed(now))
                )),
                _ => {}
            }
            after = Some(key);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
