//! Electronic warehouse receipts (电子仓单, docs/products.md). A logistics member, as warehouse,
//! issues a receipt for a lot it holds for an owner, naming the goods, quantity and unit,
//! location, the appraised value with the appraisal's recorded document, and inspection records;
//! a lot backs at most one live receipt. The warehouse records goods in and out; the owner splits
//! the receipt by quantity (each part its own sub-lot) or transfers it (the title moves). While a
//! lender's lock stands (a pledge, placed by the lending contract at the loan's approval) the
//! receipt is neither split nor transferred nor pledged again, and goods leave only as far as the
//! pledgee released them — by its consent, or in proportion to repayment. At default the pledgee
//! enforces: the receipt passes to it. Every operation conserves quantities: for each original
//! lot, issued + in − out is what its live receipts hold.
//!
//! Every method checks all its rules before it writes anything, and a failed call keeps nothing.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use catena_schema::receipts::method;
use catena_schema::receipts::{
    events, keys, GoodsMove, Holder, Init, Lock, LockReceipt, NewReceipt, Receipt, ReceiptId,
    ReceiptListing, ReceiptPage, ReceiptStatus, Seize, SplitReceipt, TransferReceipt, MAX_GOODS,
    MAX_INSPECTIONS, MAX_LOCATION, MAX_LOT, MAX_SPLIT, MAX_UNIT,
};
use catena_schema::records::{method as records_method, Record};
use catena_schema::registry::AccountRecord;
use catena_schema::voucher::MAX_PAGE;
use catena_schema::{format_amount, RecordId, Role, Uscc};
use catena_sdk::{block_time_ms, call_method, caller, emit_encoded, hex, registry, storage};

catena_sdk::methods! {
    method::INIT => init,
    method::ISSUE => issue,
    method::GOODS_IN => goods_in,
    method::GOODS_OUT => goods_out,
    method::SPLIT => split,
    method::TRANSFER => transfer,
    method::LOCK => lock,
    method::RELEASE => release,
    method::UNLOCK => unlock,
    method::SEIZE => seize,
    method::GET => get,
    method::LIST => list,
    method::HOLDINGS => holdings,
}

/// Why an operation was refused, in a sentence a warehouse or a lender can act on.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    AlreadyInitialised,
    NotAMember,
    NotAnOperator,
    NoReceipt(ReceiptId),
    NotYours {
        who: Uscc,
        role: &'static str,
        id: ReceiptId,
    },
    NotLive {
        id: ReceiptId,
        status: &'static str,
    },
    Pledged {
        id: ReceiptId,
        pledgee: Uscc,
    },
    Invalid(String),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::AlreadyInitialised => write!(f, "the receipts contract is already initialised"),
            Error::NotAMember => write!(f, "the caller is not an account of any member"),
            Error::NotAnOperator => write!(
                f,
                "only the lending contract locks, unlocks and seizes pledged receipts"
            ),
            Error::NoReceipt(id) => write!(f, "there is no warehouse receipt {id}"),
            Error::NotYours { who, role, id } => write!(
                f,
                "member {who} is not the {role} of warehouse receipt {id}: only its {role} may do this"
            ),
            Error::NotLive { id, status } => {
                write!(f, "warehouse receipt {id} is {status}: only a live receipt may change")
            }
            Error::Pledged { id, pledgee } => write!(
                f,
                "warehouse receipt {id} is pledged to {pledgee}: it cannot be split, transferred or pledged again until released"
            ),
            Error::Invalid(reason) => write!(f, "{reason}"),
        }
    }
}

fn invalid(reason: &str) -> Error {
    Error::Invalid(reason.into())
}

fn init(init: Init) -> Result<(), Error> {
    storage::ensure_absent(keys::CONFIG, Error::AlreadyInitialised)?;
    storage::save(keys::CONFIG, &init);
    Ok(())
}

fn config() -> Init {
    storage::load_or_fail(keys::CONFIG, "the receipts contract is not initialised")
}

fn signer() -> Result<AccountRecord, Error> {
    registry::account(&config().registry, &caller()).ok_or(Error::NotAMember)
}

fn operator() -> Result<(), Error> {
    if config().operators.contains(&caller()) {
        Ok(())
    } else {
        Err(Error::NotAnOperator)
    }
}

fn load(id: ReceiptId) -> Result<Receipt, Error> {
    storage::load(&keys::receipt_key(id)).ok_or(Error::NoReceipt(id))
}

fn save(receipt: &Receipt) {
    storage::save(&keys::receipt_key(receipt.id), receipt);
}

fn index_key(prefix: Vec<u8>, id: ReceiptId) -> Vec<u8> {
    [prefix, id.to_be_bytes().to_vec()].concat()
}

/// A live receipt, whose `role` ("warehouse" or "owner") the signer's member must be.
fn live_for(id: ReceiptId, role: &'static str) -> Result<Receipt, Error> {
    let receipt = load(id)?;
    let who = signer()?.uscc;
    let owner = if role == "warehouse" {
        &receipt.warehouse
    } else {
        &receipt.owner
    };
    if &who != owner {
        return Err(Error::NotYours { who, role, id });
    }
    live(receipt)
}

fn live(receipt: Receipt) -> Result<Receipt, Error> {
    if receipt.status != ReceiptStatus::Live {
        return Err(Error::NotLive {
            id: receipt.id,
            status: receipt.status.as_str(),
        });
    }
    Ok(receipt)
}

fn unlocked(receipt: &Receipt) -> Result<(), Error> {
    match &receipt.lock {
        Some(lock) => Err(Error::Pledged {
            id: receipt.id,
            pledgee: lock.pledgee.clone(),
        }),
        None => Ok(()),
    }
}

/// A member that may hold title to goods: any member but an auditor.
fn check_owner(uscc: &str) -> Result<(), Error> {
    let member = registry::member(&config().registry, uscc)
        .ok_or_else(|| Error::Invalid(format!("{uscc} is not a member")))?;
    if member.roles.contains(&Role::Auditor) {
        return Err(Error::Invalid(format!(
            "member {uscc} is an auditor: auditors hold no goods"
        )));
    }
    Ok(())
}

fn check_recorded(id: &RecordId, what: &str) -> Result<(), Error> {
    let record: Option<Record> = call_method(&config().records, records_method::GET, id);
    match record {
        Some(_) => Ok(()),
        None => Err(Error::Invalid(format!(
            "the {what} 0x{} is not a recorded document: record it first",
            hex(id)
        ))),
    }
}

fn check_text(text: &str, what: &str, max: usize) -> Result<(), Error> {
    if text.trim().is_empty() || text.len() > max {
        return Err(Error::Invalid(format!(
            "the {what} must be 1 to {max} bytes of text"
        )));
    }
    Ok(())
}

/// Indexes a new live receipt (its lot, owner and warehouse) and stores it.
fn open(receipt: &Receipt) {
    storage::set(
        &keys::lot_key(&receipt.warehouse, &receipt.lot),
        &receipt.id.to_be_bytes(),
    );
    storage::set(
        &index_key(keys::by_owner_prefix(&receipt.owner), receipt.id),
        &[],
    );
    storage::set(
        &index_key(keys::by_warehouse_prefix(&receipt.warehouse), receipt.id),
        &[],
    );
    save(receipt);
}

/// Takes a receipt out of the live indexes (split or closed).
fn close(receipt: &Receipt) {
    storage::remove(&keys::lot_key(&receipt.warehouse, &receipt.lot));
    storage::remove(&index_key(
        keys::by_owner_prefix(&receipt.owner),
        receipt.id,
    ));
    storage::remove(&index_key(
        keys::by_warehouse_prefix(&receipt.warehouse),
        receipt.id,
    ));
}

fn next_id() -> ReceiptId {
    let id = storage::get_u64(keys::NEXT_ID).max(1);
    storage::set_u64(keys::NEXT_ID, id + 1);
    id
}

fn issue(new: NewReceipt) -> Result<ReceiptId, Error> {
    let warehouse = signer()?;
    if !warehouse.has(Role::Logistics) {
        return Err(Error::Invalid(format!(
            "member {} is not a logistics member: only a warehouse issues receipts",
            warehouse.uscc
        )));
    }
    check_owner(&new.owner)?;
    check_text(&new.goods, "goods description", MAX_GOODS)?;
    check_text(&new.unit, "unit", MAX_UNIT)?;
    check_text(&new.location, "location", MAX_LOCATION)?;
    check_text(&new.lot, "lot", MAX_LOT)?;
    if new.quantity == 0 || new.appraised_value == 0 {
        return Err(invalid(
            "a receipt's quantity and appraised value must be above zero",
        ));
    }
    if new.inspections.len() > MAX_INSPECTIONS {
        return Err(Error::Invalid(format!(
            "a receipt names at most {MAX_INSPECTIONS} inspection records"
        )));
    }
    let lot_key = keys::lot_key(&warehouse.uscc, &new.lot);
    if let Some(held) = storage::get(&lot_key) {
        let id = <[u8; 8]>::try_from(held.as_slice()).map_or(0, u64::from_be_bytes);
        return Err(Error::Invalid(format!(
            "lot '{}' already backs live warehouse receipt {id}: one receipt per lot",
            new.lot
        )));
    }
    check_recorded(&new.appraisal, "appraisal")?;
    for inspection in &new.inspections {
        check_recorded(inspection, "inspection record")?;
    }
    let receipt = Receipt {
        id: next_id(),
        warehouse: warehouse.uscc,
        owner: new.owner,
        goods: new.goods,
        quantity: new.quantity,
        unit: new.unit,
        location: new.location,
        lot: new.lot,
        appraised_value: new.appraised_value,
        appraised_quantity: new.quantity,
        appraisal: new.appraisal,
        inspections: new.inspections,
        status: ReceiptStatus::Live,
        parent: None,
        children: Vec::new(),
        lock: None,
        issued_ms: block_time_ms(),
        goods_in: 0,
        goods_out: 0,
    };
    open(&receipt);
    emit_encoded(events::ISSUED, &receipt);
    Ok(receipt.id)
}

fn goods_in(args: GoodsMove) -> Result<(), Error> {
    let mut receipt = live_for(args.receipt, "warehouse")?;
    if args.quantity == 0 {
        return Err(invalid("the quantity must be above zero"));
    }
    receipt.quantity = receipt
        .quantity
        .checked_add(args.quantity)
        .ok_or_else(|| invalid("the quantity is too large"))?;
    receipt.goods_in += args.quantity;
    save(&receipt);
    emit_encoded(events::GOODS_IN, &receipt);
    Ok(())
}

/// The warehouse records goods leaving (delivered to the owner or at its order): of a pledged
/// receipt only as far as the pledgee released them. All of it gone, the receipt closes.
fn goods_out(args: GoodsMove) -> Result<(), Error> {
    let mut receipt = live_for(args.receipt, "warehouse")?;
    if args.quantity == 0 || args.quantity > receipt.quantity {
        return Err(Error::Invalid(format!(
            "the quantity must be 1 to the {} {} under the receipt",
            receipt.quantity, receipt.unit
        )));
    }
    if let Some(lock) = &mut receipt.lock {
        if args.quantity > lock.may_leave() {
            return Err(Error::Invalid(format!(
                "warehouse receipt {} is pledged to {}: {} {} may leave with its consent, not {}",
                receipt.id,
                lock.pledgee,
                lock.may_leave(),
                receipt.unit,
                args.quantity
            )));
        }
        lock.taken_out += args.quantity;
    }
    receipt.quantity -= args.quantity;
    receipt.goods_out += args.quantity;
    if receipt.quantity == 0 {
        if receipt.lock.is_some() {
            return Err(invalid(
                "a pledged receipt keeps goods until its loan is repaid or enforced",
            ));
        }
        receipt.status = ReceiptStatus::Closed;
        close(&receipt);
    }
    save(&receipt);
    emit_encoded(events::GOODS_OUT, &receipt);
    Ok(())
}

/// The owner splits a receipt by quantity: each part is a receipt of its own sub-lot, the lot and
/// the part's id (`LOT/2`, `LOT/3`, …), with the same goods, unit value and inspections.
fn split(args: SplitReceipt) -> Result<Vec<ReceiptId>, Error> {
    let mut receipt = live_for(args.receipt, "owner")?;
    unlocked(&receipt)?;
    let parts = args.quantities.len();
    if !(2..=MAX_SPLIT).contains(&parts) || args.quantities.contains(&0) {
        return Err(Error::Invalid(format!(
            "a split makes 2 to {MAX_SPLIT} parts, each above zero"
        )));
    }
    let total = args
        .quantities
        .iter()
        .try_fold(0u64, |sum, q| sum.checked_add(*q));
    if total != Some(receipt.quantity) {
        return Err(Error::Invalid(format!(
            "the parts must add up to the {} {} under the receipt",
            receipt.quantity, receipt.unit
        )));
    }
    // Each part's lot is the receipt's lot and the part's own id: unique while ids are.
    let first = storage::get_u64(keys::NEXT_ID).max(1);
    let ids: Vec<ReceiptId> = (first..first + parts as u64).collect();
    let lots: Vec<String> = ids
        .iter()
        .map(|id| format!("{}/{id}", receipt.lot))
        .collect();
    if lots.iter().any(|lot| lot.len() > MAX_LOT) {
        return Err(Error::Invalid(format!(
            "the parts' lots would be longer than {MAX_LOT} bytes"
        )));
    }
    if let Some(taken) = lots
        .iter()
        .find(|lot| storage::get(&keys::lot_key(&receipt.warehouse, lot)).is_some())
    {
        return Err(Error::Invalid(format!(
            "lot '{taken}' backs a live receipt already: the warehouse renames it first"
        )));
    }
    close(&receipt);
    storage::set_u64(keys::NEXT_ID, first + parts as u64);
    let mut out = Vec::with_capacity(parts);
    for ((quantity, lot), id) in args.quantities.iter().zip(lots).zip(ids) {
        let part = Receipt {
            id,
            quantity: *quantity,
            lot,
            parent: Some(receipt.id),
            children: Vec::new(),
            goods_in: 0,
            goods_out: 0,
            issued_ms: block_time_ms(),
            ..receipt.clone()
        };
        open(&part);
        out.push(part);
    }
    receipt.children = out.iter().map(|p| p.id).collect();
    receipt.status = ReceiptStatus::Split;
    save(&receipt);
    emit_encoded(events::SPLIT, &out);
    Ok(receipt.children)
}

fn transfer(args: TransferReceipt) -> Result<(), Error> {
    let mut receipt = live_for(args.receipt, "owner")?;
    unlocked(&receipt)?;
    check_owner(&args.to)?;
    if args.to == receipt.owner {
        return Err(invalid("a transfer to oneself moves nothing"));
    }
    storage::remove(&index_key(
        keys::by_owner_prefix(&receipt.owner),
        receipt.id,
    ));
    receipt.owner = args.to;
    storage::set(
        &index_key(keys::by_owner_prefix(&receipt.owner), receipt.id),
        &[],
    );
    save(&receipt);
    emit_encoded(events::TRANSFERRED, &receipt);
    Ok(())
}

fn lock(args: LockReceipt) -> Result<(), Error> {
    operator()?;
    let mut receipt = live(load(args.receipt)?)?;
    unlocked(&receipt)?;
    if receipt.owner != args.owner {
        return Err(Error::NotYours {
            who: args.owner,
            role: "owner",
            id: receipt.id,
        });
    }
    receipt.lock = Some(Lock {
        pledgee: args.pledgee,
        loan: args.loan,
        pledged_quantity: receipt.quantity,
        released: 0,
        taken_out: 0,
    });
    save(&receipt);
    emit_encoded(events::LOCKED, &receipt);
    Ok(())
}

/// The pledgee consents to `quantity` more units leaving; the lending contract does the same on
/// a repayment, in proportion to the principal repaid.
fn release(args: GoodsMove) -> Result<(), Error> {
    let mut receipt = live(load(args.receipt)?)?;
    let by_operator = config().operators.contains(&caller());
    let Some(lock) = &mut receipt.lock else {
        return Err(Error::Invalid(format!(
            "warehouse receipt {} is not pledged: its goods leave without consent",
            args.receipt
        )));
    };
    if !by_operator {
        let who = signer()?.uscc;
        if who != lock.pledgee {
            return Err(Error::NotYours {
                who,
                role: "pledgee",
                id: args.receipt,
            });
        }
    }
    let room = receipt.quantity.saturating_sub(lock.may_leave());
    if args.quantity == 0 || args.quantity > room {
        return Err(Error::Invalid(format!(
            "the quantity must be 1 to the {room} {} not yet released",
            receipt.unit
        )));
    }
    lock.released += args.quantity;
    save(&receipt);
    emit_encoded(events::RELEASED, &receipt);
    Ok(())
}

fn unlock(id: ReceiptId) -> Result<(), Error> {
    operator()?;
    let mut receipt = live(load(id)?)?;
    if receipt.lock.take().is_none() {
        return Err(Error::Invalid(format!(
            "warehouse receipt {id} is not pledged"
        )));
    }
    save(&receipt);
    emit_encoded(events::UNLOCKED, &receipt);
    Ok(())
}

fn seize(args: Seize) -> Result<(), Error> {
    operator()?;
    let id = args.receipt;
    let mut receipt = live(load(id)?)?;
    if receipt.lock.take().is_none() {
        return Err(Error::Invalid(format!(
            "warehouse receipt {id} is not pledged"
        )));
    }
    check_owner(&args.to)?;
    storage::remove(&index_key(keys::by_owner_prefix(&receipt.owner), id));
    receipt.owner = args.to;
    storage::set(&index_key(keys::by_owner_prefix(&receipt.owner), id), &[]);
    save(&receipt);
    emit_encoded(events::SEIZED, &receipt);
    Ok(())
}

fn get(id: ReceiptId) -> Result<Option<Receipt>, Error> {
    Ok(storage::load(&keys::receipt_key(id)))
}

fn list(page: ReceiptPage) -> Result<ReceiptListing, Error> {
    if page.limit == 0 || page.limit > MAX_PAGE {
        return Err(Error::Invalid(format!(
            "a page lists 1 to {MAX_PAGE} receipts"
        )));
    }
    let prefix = match &page.holder {
        Holder::Owner(uscc) => keys::by_owner_prefix(uscc),
        Holder::Warehouse(uscc) => keys::by_warehouse_prefix(uscc),
    };
    let (ids, next) = storage::id_page(&prefix, page.after, page.limit);
    Ok(ReceiptListing { ids, next })
}

/// What a member still has here, one sentence each: governance does not remove a member while
/// anything is listed.
fn holdings(uscc: Uscc) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for (prefix, role) in [
        (keys::by_owner_prefix(&uscc), "owns"),
        (keys::by_warehouse_prefix(&uscc), "keeps as warehouse"),
    ] {
        let (ids, _) = storage::id_page(&prefix, None, MAX_PAGE);
        for id in ids {
            let receipt = load(id)?;
            out.push(format!(
                "{role} the goods of warehouse receipt {id} ({} {} of {}, {})",
                receipt.quantity,
                receipt.unit,
                receipt.goods,
                format_amount(receipt.value())
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
