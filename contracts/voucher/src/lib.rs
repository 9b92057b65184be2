//! Electronic receivable vouchers (电子债权凭证), DOMAIN.md's whole lifecycle: request and
//! confirm (确权) or direct issue against recorded invoices within the issuer's credit line;
//! split; transfer (of all or of an amount); offer to a financier, who accepts as a pledge (with
//! an advance in cash) or as factoring; release or repay a pledge; cancel by issuer and holder
//! together; and settlement at maturity, scheduled at issue, that pays every live part from the
//! issuer's cash, marks what it cannot pay overdue and retries it every block.
//!
//! Every method checks all its rules before it writes anything, and a failed call keeps nothing
//! it wrote, so a refused operation changes nothing and says why.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use catena_schema::cash::method as cash_method;
use catena_schema::cash::OperatorTransfer;
use catena_schema::lending::method as lending_method;
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, Record};
use catena_schema::registry::{AccountRecord, LineDecision, MemberRecord};
use catena_schema::voucher::method;
use catena_schema::voucher::{
    days_between, discounted_price, events, keys, Accept, Action, Backing, Config, CreditLine,
    CreditLines, Debt, Draw, Factoring, FinanceKind, HistoryEntry, Listing, Offer, Page, Pledge,
    PledgeDue, Price, Quote, Quoted, Request, RequestStatus, Round, SetCreditLine, Split, Status,
    Terms, Transfer, Voucher, VoucherId, MAX_PAGE, MAX_PARTS_PER_VOUCHER, MAX_TIME_MS,
};
use catena_schema::{
    format_amount, format_rate, format_total, Amount, RecordId, Role, Total, Uscc,
};
use catena_sdk::{
    block_height, block_time_ms, call_method, caller, emit_encoded, registry, storage,
};

mod error;
use error::invalid_if;
pub use error::Error;

mod access;
use access::*;
mod stored;
use stored::*;
mod issuing;
use issuing::*;
mod moving;
use moving::*;
mod financing;
use financing::*;
mod recourse;
use recourse::*;
mod cancelling;
use cancelling::*;
mod claims;
mod settling;
use settling::*;
mod queries;
use queries::*;

catena_sdk::methods! {
    method::INIT => init,
    method::SET_CREDIT_LINE => set_credit_line,
    method::REQUEST => request,
    method::CONFIRM => confirm,
    method::REJECT => reject,
    method::WITHDRAW_REQUEST => withdraw_request,
    method::ISSUE => issue,
    method::SPLIT => split,
    method::TRANSFER => transfer,
    method::OFFER => offer,
    method::WITHDRAW_OFFER => withdraw_offer,
    method::ACCEPT => accept,
    method::RELEASE => release,
    method::REPAY => repay,
    method::EXERCISE_RECOURSE => exercise_recourse,
    method::COLLECT => collect,
    method::DEBT => debt,
    method::CANCEL => cancel,
    method::SETTLE => settle,
    method::GET => get,
    method::LINEAGE => lineage,
    method::PATH => path,
    method::HISTORY => history,
    method::CREDIT_LINE => credit_line,
    method::DRAWS => draws,
    method::QUOTE => quote,
    method::PLEDGE_DUE => pledge_due,
    method::HOLDINGS => holdings,
    method::REVOKE_CREDIT_LINE => revoke_credit_line,
    method::RESTORE_CREDIT_LINE => restore_credit_line,
    method::REVOCATION => revocation,
    method::GRANT_SUGGESTED_LINE => grant_suggested_line,
    method::INVOICE_USE => invoice_use,
    method::GET_REQUEST => get_request,
    method::HELD_BY => held_by,
    method::ISSUED_BY => issued_by,
    method::REINDEX => reindex,
}

/// Invoices and other records one voucher may rest on.
pub const MAX_BACKING: usize = 16;

fn init(config: Config) -> Result<(), Error> {
    storage::ensure_absent(keys::CONFIG, Error::AlreadyInitialised)?;
    invalid_if(
        config.min_part == 0 || config.max_parts < 2 || config.settle_batch == 0,
        "min_part must be above zero, max_parts at least 2, settle_batch above zero",
    )?;
    storage::save(keys::CONFIG, &config);
    Ok(())
}

fn config() -> Config {
    storage::load_or_fail(keys::CONFIG, "the voucher contract is not initialised")
}

#[cfg(test)]
mod tests;
