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
use catena_abi::cash::OperatorTransfer;
use catena_abi::records::{Kind, Record};
use catena_abi::registry::{AccountRecord, MemberRecord};
use catena_abi::voucher::{
    events, keys, Accept, Action, Backing, Config, CreditLine, Factoring, FinanceKind,
    HistoryEntry, Offer, Pledge, Price, Request, RequestStatus, SetCreditLine, Split, Status,
    Terms, Transfer, Voucher, VoucherId, MAX_PARTS_PER_VOUCHER, MAX_TIME_MS,
};
use catena_abi::{format_amount, Amount, RecordId, Role, Uscc};
use catena_sdk::codec::Encode;
use catena_sdk::{block_height, block_time_ms, call_typed, caller, emit_encoded, storage};

mod error;
pub use error::Error;

catena_sdk::methods!(
    init,
    set_credit_line,
    request,
    confirm,
    reject,
    issue,
    split,
    transfer,
    offer,
    withdraw_offer,
    accept,
    release,
    repay,
    cancel,
    settle,
    get,
    lineage,
    path,
    history,
    credit_line,
    invoice_use,
    get_request,
    held_by,
    issued_by
);

/// Invoices and other records one voucher may rest on.
pub const MAX_BACKING: usize = 16;

fn init(config: Config) -> Result<(), Error> {
    if storage::get(keys::CONFIG).is_some() {
        return Err(Error::AlreadyInitialised);
    }
    if config.min_part == 0 || config.max_parts < 2 || config.settle_batch == 0 {
        return Err(Error::Invalid(
            "min_part must be above zero, max_parts at least 2, settle_batch above zero".into(),
        ));
    }
    storage::save(keys::CONFIG, &config);
    Ok(())
}

fn config() -> Config {
    storage::load(keys::CONFIG)
        .unwrap_or_else(|| catena_sdk::fail("the voucher contract is not initialised"))
}

// ---- who is asking -------------------------------------------------------------------------

/// The member the calling account belongs to.
fn signer() -> Result<AccountRecord, Error> {
    // Read from the registry's storage (its published layout), not by calling it: no second
    // contract instance for a lookup.
    let key = catena_abi::registry::keys::account_key(&caller());
    let record: Option<AccountRecord> = storage::load_of(&config().registry, &key);
    record.ok_or(Error::NotAMember)
}

fn signer_with(role: Role) -> Result<Uscc, Error> {
    let who = signer()?;
    if !who.has(role) {
        return Err(Error::MissingRole {
            member: who.uscc,
            role: role.as_str(),
        });
    }
    Ok(who.uscc)
}

/// The signer's member, which must be `owner` (of the `what` being acted on).
fn signer_is(owner: &str, what: &'static str) -> Result<Uscc, Error> {
    let who = signer()?.uscc;
    if who != owner {
        return Err(Error::NotYours {
            who,
            what,
            owner: owner.into(),
        });
    }
    Ok(who)
}

fn member(uscc: &str) -> Result<MemberRecord, Error> {
    let key = catena_abi::registry::keys::member_key(uscc);
    let member: Option<MemberRecord> = storage::load_of(&config().registry, &key);
    member.ok_or_else(|| Error::UnknownMember(uscc.into()))
}

/// A member that may hold vouchers: a supplier, a core enterprise or a financier.
fn check_holder(uscc: &str) -> Result<(), Error> {
    let member = member(uscc)?;
    if [Role::Supplier, Role::Core, Role::Financier]
        .iter()
        .any(|r| member.roles.contains(r))
    {
        Ok(())
    } else {
        Err(Error::CannotHold(uscc.into()))
    }
}

fn check_role(uscc: &str, role: Role) -> Result<(), Error> {
    if member(uscc)?.roles.contains(&role) {
        Ok(())
    } else {
        Err(Error::MissingRole {
            member: uscc.into(),
            role: role.as_str(),
        })
    }
}

// ---- stored state --------------------------------------------------------------------------

fn load(id: VoucherId) -> Result<Voucher, Error> {
    storage::load(&keys::voucher_key(id)).ok_or(Error::NoVoucher(id))
}

fn save(voucher: &Voucher) {
    storage::save(&keys::voucher_key(voucher.id), voucher);
}

fn next_id(key: &[u8], first: u64) -> u64 {
    let id = storage::get_u64(key).max(first);
    storage::set_u64(key, id + 1);
    id
}

/// Appends to a voucher's history (one entry a key; the voucher keeps the count).
fn record(voucher: &mut Voucher, action: Action) {
    let entry = HistoryEntry {
        height: block_height(),
        time_ms: block_time_ms(),
        action,
    };
    storage::save(&keys::history_key(voucher.id, voucher.history_len), &entry);
    voucher.history_len += 1;
}

fn history_of(id: VoucherId) -> Vec<HistoryEntry> {
    let prefix = keys::history_prefix(id);
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    while let Some((key, value)) = storage::next(&prefix, after.as_deref()) {
        out.push(
            catena_sdk::decode(&value)
                .unwrap_or_else(|e| catena_sdk::fail(&format!("a stored history entry: {e}"))),
        );
        after = Some(key);
    }
    out
}

fn credit(issuer: &str) -> CreditLine {
    storage::load(&keys::credit_line_key(issuer)).unwrap_or_default()
}

fn used(invoice: &RecordId) -> Amount {
    storage::load(&keys::invoice_use_key(invoice)).unwrap_or(0)
}

fn set_used(invoice: &RecordId, amount: Amount) {
    if amount == 0 {
        storage::remove(&keys::invoice_use_key(invoice));
    } else {
        storage::save(&keys::invoice_use_key(invoice), &amount);
    }
}

fn hold(uscc: &str, id: VoucherId) {
    storage::set(&keys::by_holder_key(uscc, id), &[]);
}

fn unhold(uscc: &str, id: VoucherId) {
    storage::remove(&keys::by_holder_key(uscc, id));
}

fn cash_balance(uscc: &str) -> Amount {
    call_typed(&config().cash, "balance", &String::from(uscc))
}

/// Moves cash between members through the cash contract. A payer without enough cash makes the
/// whole call fail with the cash contract's reason ("member … holds … in cash, … is needed").
fn pay(from: &str, to: &str, amount: Amount) {
    let args = OperatorTransfer {
        from: from.into(),
        to: to.into(),
        amount,
    };
    let _: () = call_typed(&config().cash, "operator_transfer", &args);
}

// ---- issuing -------------------------------------------------------------------------------

/// Checks the terms of a voucher `issuer` would issue to `holder`, and allocates its amount over
/// the backing invoices. The credit line is checked only when `with_credit`.
fn check_terms(
    issuer: &str,
    holder: &str,
    terms: &Terms,
    with_credit: bool,
) -> Result<Vec<Backing>, Error> {
    let config = config();
    if terms.amount == 0 {
        return Err(Error::ZeroAmount);
    }
    if terms.currency != config.currency {
        return Err(Error::Currency {
            found: terms.currency.clone(),
            expected: config.currency,
        });
    }
    if terms.maturity_ms <= block_time_ms() {
        return Err(Error::MaturityNotInFuture);
    }
    if terms.maturity_ms > MAX_TIME_MS {
        return Err(Error::Invalid(
            "the maturity date is after the year 9999".into(),
        ));
    }
    check_role(issuer, Role::Core)?;
    check_holder(holder)?;
    if issuer == holder {
        return Err(Error::Invalid(
            "a voucher's issuer cannot be its holder".into(),
        ));
    }
    if terms.invoices.is_empty() {
        return Err(Error::Invalid(
            "a voucher rests on at least one recorded invoice".into(),
        ));
    }
    if terms.invoices.len() > MAX_BACKING || terms.records.len() > MAX_BACKING {
        return Err(Error::Invalid(format!(
            "a voucher rests on at most {MAX_BACKING} invoices and {MAX_BACKING} other records"
        )));
    }
    let mut backing = Vec::new();
    let mut left = terms.amount;
    for (i, id) in terms.invoices.iter().enumerate() {
        if terms.invoices[..i].contains(id) {
            return Err(Error::Invalid("an invoice is listed twice".into()));
        }
        let record: Option<Record> = call_typed(&config.records, "get", id);
        let record = record.ok_or(Error::NotRecorded(*id))?;
        let invoice = match (&record.invoice, record.kind) {
            (Some(invoice), Kind::Invoice) => invoice,
            _ => return Err(Error::NotAnInvoice(*id)),
        };
        if invoice.buyer != issuer || invoice.seller != holder {
            return Err(Error::InvoiceParties {
                number: invoice.number.clone(),
                buyer: invoice.buyer.clone(),
                seller: invoice.seller.clone(),
            });
        }
        if record.currency != terms.currency {
            return Err(Error::Currency {
                found: record.currency,
                expected: terms.currency.clone(),
            });
        }
        let free = record.amount.saturating_sub(used(id));
        if free == 0 {
            return Err(Error::InvoiceUsedUp {
                number: invoice.number.clone(),
                amount: record.amount,
            });
        }
        let take = free.min(left);
        if take > 0 {
            backing.push(Backing {
                invoice: *id,
                amount: take,
            });
        }
        left -= take;
    }
    if left > 0 {
        return Err(Error::OverFinanced {
            needed: terms.amount,
            available: terms.amount - left,
        });
    }
    for id in &terms.records {
        let record: Option<Record> = call_typed(&config.records, "get", id);
        record.ok_or(Error::NotRecorded(*id))?;
    }
    if with_credit {
        let line = credit(issuer);
        let available = line.limit.saturating_sub(line.outstanding);
        if terms.amount > available {
            return Err(Error::CreditLineExceeded {
                issuer: issuer.into(),
                available,
                needed: terms.amount,
            });
        }
    }
    Ok(backing)
}

/// Creates an original voucher (after [`check_terms`]) and schedules its settlement.
fn create(issuer: &str, holder: &str, terms: Terms, backing: Vec<Backing>) -> VoucherId {
    let id = next_id(keys::NEXT_VOUCHER, 1);
    for part in &backing {
        set_used(&part.invoice, used(&part.invoice) + part.amount);
    }
    let mut line = credit(issuer);
    line.outstanding += terms.amount;
    storage::save(&keys::credit_line_key(issuer), &line);
    let mut voucher = Voucher {
        id,
        root: id,
        parent: None,
        children: Vec::new(),
        issuer: issuer.into(),
        holder: holder.into(),
        amount: terms.amount,
        paid: 0,
        currency: terms.currency,
        issued_ms: block_time_ms(),
        maturity_ms: terms.maturity_ms,
        backing,
        records: terms.records,
        status: Status::Active,
        pledge: None,
        factoring: None,
        transferred: false,
        cancel_consent: Vec::new(),
        history_len: 0,
    };
    record(
        &mut voucher,
        Action::Issued {
            holder: holder.into(),
            amount: terms.amount,
        },
    );
    save(&voucher);
    hold(holder, id);
    storage::set(&keys::by_issuer_key(issuer, id), &[]);
    catena_sdk::schedule(voucher.maturity_ms, "settle", &id.encode());
    emit_encoded(events::ISSUED, &voucher);
    id
}

/// A financier sets a core enterprise's credit line (授信额度).
fn set_credit_line(args: SetCreditLine) -> Result<(), Error> {
    let financier = signer_with(Role::Financier)?;
    check_role(&args.issuer, Role::Core)?;
    let mut line = credit(&args.issuer);
    if !line.set_by.is_empty() && line.set_by != financier {
        return Err(Error::NotYours {
            who: financier,
            what: "credit line",
            owner: line.set_by,
        });
    }
    if args.limit < line.outstanding {
        return Err(Error::Invalid(format!(
            "the credit line cannot go below the issuer's outstanding vouchers ({})",
            format_amount(line.outstanding)
        )));
    }
    line.limit = args.limit;
    line.set_by = financier;
    storage::save(&keys::credit_line_key(&args.issuer), &line);
    emit_encoded(events::CREDIT_LINE, &(args.issuer, line));
    Ok(())
}

/// A supplier asks the core enterprise `terms.counterparty` to confirm a payable (申请确权).
fn request(terms: Terms) -> Result<u64, Error> {
    let supplier = signer_with(Role::Supplier)?;
    check_terms(&terms.counterparty, &supplier, &terms, false)?;
    let id = next_id(keys::NEXT_REQUEST, 1);
    let request = Request {
        id,
        supplier,
        issuer: terms.counterparty.clone(),
        terms,
        status: RequestStatus::Pending,
    };
    storage::save(&keys::request_key(id), &request);
    emit_encoded(events::REQUESTED, &request);
    Ok(id)
}

fn pending_request_for_issuer(id: u64) -> Result<Request, Error> {
    let request: Request = storage::load(&keys::request_key(id)).ok_or(Error::NoRequest(id))?;
    signer_is(&request.issuer, "request")?;
    if request.status != RequestStatus::Pending {
        return Err(Error::RequestClosed(id));
    }
    Ok(request)
}

/// The core enterprise confirms a request (确权), which issues the voucher to the supplier.
fn confirm(id: u64) -> Result<VoucherId, Error> {
    let mut request = pending_request_for_issuer(id)?;
    signer_with(Role::Core)?;
    let backing = check_terms(&request.issuer, &request.supplier, &request.terms, true)?;
    let voucher = create(
        &request.issuer,
        &request.supplier,
        request.terms.clone(),
        backing,
    );
    request.status = RequestStatus::Confirmed(voucher);
    storage::save(&keys::request_key(id), &request);
    Ok(voucher)
}

fn reject(id: u64) -> Result<(), Error> {
    let mut request = pending_request_for_issuer(id)?;
    request.status = RequestStatus::Rejected;
    storage::save(&keys::request_key(id), &request);
    emit_encoded(events::REJECTED, &request);
    Ok(())
}

/// A core enterprise issues a voucher directly to a supplier it owes.
fn issue(terms: Terms) -> Result<VoucherId, Error> {
    let issuer = signer_with(Role::Core)?;
    let backing = check_terms(&issuer, &terms.counterparty, &terms, true)?;
    let holder = terms.counterparty.clone();
    Ok(create(&issuer, &holder, terms, backing))
}

// ---- moving --------------------------------------------------------------------------------

/// The voucher, if the signer holds it and it may move: active, before maturity, no offer open.
fn movable_by_signer(id: VoucherId) -> Result<(Uscc, Voucher), Error> {
    let voucher = load(id)?;
    let who = signer_is(&voucher.holder, "voucher")?;
    check_movable(&voucher)?;
    Ok((who, voucher))
}

fn check_movable(voucher: &Voucher) -> Result<(), Error> {
    if voucher.status != Status::Active {
        return Err(Error::NotActive {
            id: voucher.id,
            status: voucher.status.as_str(),
        });
    }
    if block_time_ms() >= voucher.maturity_ms {
        return Err(Error::Matured(voucher.id));
    }
    if storage::get(&keys::offer_key(voucher.id)).is_some() {
        return Err(Error::OfferOpen(voucher.id));
    }
    Ok(())
}

/// Splits a movable voucher into parts of `amounts` (adding up exactly): the voucher is saved
/// as split; the parts come back with their history begun, for the caller to [`keep`].
fn split_voucher(mut voucher: Voucher, amounts: &[Amount]) -> Result<Vec<Voucher>, Error> {
    let config = config();
    if amounts.len() < 2 || amounts.len() > config.max_parts as usize {
        return Err(Error::Invalid(format!(
            "a voucher splits into 2 to {} parts",
            config.max_parts
        )));
    }
    if let Some(small) = amounts.iter().find(|a| **a < config.min_part) {
        return Err(Error::PartTooSmall {
            part: *small,
            min: config.min_part,
        });
    }
    let total = amounts
        .iter()
        .try_fold(0u64, |sum, a| sum.checked_add(*a))
        .ok_or(Error::SplitSum {
            total: Amount::MAX,
            amount: voucher.amount,
        })?;
    if total != voucher.amount {
        return Err(Error::SplitSum {
            total,
            amount: voucher.amount,
        });
    }
    let count_key = keys::part_count_key(voucher.root);
    let parts: u32 = storage::load(&count_key).unwrap_or(0);
    let parts = parts.saturating_add(amounts.len() as u32);
    if parts > MAX_PARTS_PER_VOUCHER {
        return Err(Error::Invalid(format!(
            "an original voucher is split into at most {MAX_PARTS_PER_VOUCHER} parts in all"
        )));
    }
    storage::save(&count_key, &parts);
    let first = storage::get_u64(keys::NEXT_VOUCHER).max(1);
    storage::set_u64(keys::NEXT_VOUCHER, first + amounts.len() as u64);
    let mut parts = Vec::with_capacity(amounts.len());
    for (id, amount) in (first..).zip(amounts) {
        let mut part = Voucher {
            id,
            parent: Some(voucher.id),
            children: Vec::new(),
            amount: *amount,
            paid: 0,
            cancel_consent: Vec::new(),
            history_len: 0,
            ..voucher.clone()
        };
        record(&mut part, Action::SplitFrom(voucher.id));
        parts.push(part);
    }
    let ids: Vec<VoucherId> = parts.iter().map(|p| p.id).collect();
    unhold(&voucher.holder, voucher.id);
    voucher.status = Status::Split;
    voucher.children = ids.clone();
    record(&mut voucher, Action::SplitInto(ids));
    save(&voucher);
    emit_encoded(events::SPLIT, &voucher);
    Ok(parts)
}

/// Saves a voucher and lists it under its holder.
fn keep(voucher: &Voucher) {
    save(voucher);
    hold(&voucher.holder, voucher.id);
}

fn split(args: Split) -> Result<Vec<VoucherId>, Error> {
    let (_, voucher) = movable_by_signer(args.voucher)?;
    let parts = split_voucher(voucher, &args.amounts)?;
    parts.iter().for_each(keep);
    Ok(parts.iter().map(|p| p.id).collect())
}

/// Transfers a voucher, or an amount of it (split off first, in the same call), to another
/// member. Returns the id of the voucher that moved.
fn transfer(args: Transfer) -> Result<VoucherId, Error> {
    let (from, voucher) = movable_by_signer(args.voucher)?;
    if args.to == from {
        return Err(Error::Invalid(
            "a voucher cannot be transferred to its holder".into(),
        ));
    }
    if args.to == voucher.issuer {
        return Err(Error::Invalid(
            "a voucher cannot be transferred to its issuer, who owes it".into(),
        ));
    }
    check_holder(&args.to)?;
    // The voucher itself (listed under `from`), or the part split off for the amount (not
    // listed yet; the rest stays with `from`).
    let (mut moving, listed) = match args.amount {
        None => (voucher, true),
        Some(amount) if amount == voucher.amount => (voucher, true),
        Some(amount) if amount == 0 || amount > voucher.amount => {
            return Err(Error::Invalid(format!(
                "the amount to transfer must be above zero and at most the voucher's {}",
                format_amount(voucher.amount)
            )))
        }
        Some(amount) => {
            let rest = voucher.amount - amount;
            let mut parts = split_voucher(voucher, &[amount, rest])?;
            keep(&parts[1]);
            (parts.swap_remove(0), false)
        }
    };
    if listed {
        unhold(&from, moving.id);
    }
    moving.holder = args.to.clone();
    moving.transferred = true;
    moving.cancel_consent.clear();
    record(
        &mut moving,
        Action::Transferred {
            from,
            to: args.to.clone(),
        },
    );
    save(&moving);
    hold(&args.to, moving.id);
    emit_encoded(events::TRANSFERRED, &moving);
    Ok(moving.id)
}

// ---- financing -----------------------------------------------------------------------------

/// The holder offers a voucher to a financier, as a pledge or for factoring.
fn offer(args: Offer) -> Result<(), Error> {
    let (holder, mut voucher) = movable_by_signer(args.voucher)?;
    check_role(&args.financier, Role::Financier)?;
    if args.financier == holder {
        return Err(Error::Invalid(
            "a financier cannot finance its own voucher".into(),
        ));
    }
    if args.financier == voucher.issuer {
        return Err(Error::Invalid(
            "the issuer cannot finance a voucher it owes".into(),
        ));
    }
    if args.min_price == 0 || args.min_price > voucher.amount {
        return Err(Error::Invalid(format!(
            "the least price must be above zero and at most the face amount {}",
            format_amount(voucher.amount)
        )));
    }
    storage::save(&keys::offer_key(voucher.id), &args);
    record(
        &mut voucher,
        Action::Offered {
            financier: args.financier.clone(),
            kind: args.kind,
        },
    );
    save(&voucher);
    emit_encoded(events::OFFERED, &voucher);
    Ok(())
}

fn open_offer(id: VoucherId) -> Result<Offer, Error> {
    storage::load(&keys::offer_key(id)).ok_or(Error::NoOffer(id))
}

fn withdraw_offer(id: VoucherId) -> Result<(), Error> {
    let mut voucher = load(id)?;
    signer_is(&voucher.holder, "voucher")?;
    open_offer(id)?;
    storage::remove(&keys::offer_key(id));
    record(&mut voucher, Action::OfferWithdrawn);
    save(&voucher);
    emit_encoded(events::OFFER_WITHDRAWN, &voucher);
    Ok(())
}

/// The financier accepts an offer: it pays the price in cash to the holder in this same call,
/// and takes the voucher in pledge or becomes its holder.
fn accept(args: Accept) -> Result<(), Error> {
    let offer = open_offer(args.voucher)?;
    let financier = signer_with(Role::Financier)?;
    if financier != offer.financier {
        return Err(Error::NotYours {
            who: financier,
            what: "offer",
            owner: offer.financier,
        });
    }
    let mut voucher = load(args.voucher)?;
    if voucher.status != Status::Active {
        return Err(Error::NotActive {
            id: voucher.id,
            status: voucher.status.as_str(),
        });
    }
    if block_time_ms() >= voucher.maturity_ms {
        return Err(Error::Matured(voucher.id));
    }
    let price = match args.price {
        Price::Amount(amount) => amount,
        Price::DiscountBps(bps) if bps <= 10_000 => {
            (u128::from(voucher.amount) * u128::from(10_000 - bps) / 10_000) as Amount
        }
        Price::DiscountBps(_) => {
            return Err(Error::Invalid(
                "a discount is at most 10,000 basis points".into(),
            ))
        }
    };
    if price == 0 || price > voucher.amount {
        return Err(Error::Invalid(format!(
            "the price must be above zero and at most the face amount {}",
            format_amount(voucher.amount)
        )));
    }
    if price < offer.min_price {
        return Err(Error::Invalid(format!(
            "the price {} is below the least the holder accepts, {}",
            format_amount(price),
            format_amount(offer.min_price)
        )));
    }
    if financier == voucher.issuer {
        return Err(Error::Invalid(
            "the issuer cannot finance a voucher it owes".into(),
        ));
    }
    if args.recourse && offer.kind == FinanceKind::Pledge {
        return Err(Error::Invalid(
            "recourse applies to factoring, not to a pledge".into(),
        ));
    }
    let holder = voucher.holder.clone();
    pay(&financier, &holder, price);
    storage::remove(&keys::offer_key(voucher.id));
    match offer.kind {
        FinanceKind::Pledge => {
            voucher.status = Status::Pledged;
            voucher.pledge = Some(Pledge {
                pledgee: financier.clone(),
                advance: price,
            });
            record(
                &mut voucher,
                Action::Pledged {
                    pledgee: financier,
                    advance: price,
                },
            );
            save(&voucher);
            emit_encoded(events::PLEDGED, &voucher);
        }
        FinanceKind::Factoring => {
            unhold(&holder, voucher.id);
            voucher.factoring = Some(Factoring {
                financier: financier.clone(),
                price,
                recourse_to: args.recourse.then(|| holder.clone()),
            });
            voucher.holder = financier.clone();
            voucher.transferred = true;
            voucher.cancel_consent.clear();
            record(
                &mut voucher,
                Action::Factored {
                    financier: financier.clone(),
                    price,
                    recourse: args.recourse,
                },
            );
            save(&voucher);
            hold(&financier, voucher.id);
            emit_encoded(events::FACTORED, &voucher);
        }
    }
    Ok(())
}

fn pledged(id: VoucherId) -> Result<(Voucher, Pledge), Error> {
    let voucher = load(id)?;
    match (&voucher.pledge, voucher.status) {
        (Some(pledge), Status::Pledged | Status::Overdue) => {
            let pledge = pledge.clone();
            Ok((voucher, pledge))
        }
        _ => Err(Error::NotPledged(id)),
    }
}

fn end_pledge(mut voucher: Voucher, pledge: Pledge, repaid: Amount) {
    voucher.pledge = None;
    if voucher.status == Status::Pledged {
        voucher.status = Status::Active;
    }
    record(
        &mut voucher,
        Action::Released {
            pledgee: pledge.pledgee,
            repaid,
        },
    );
    save(&voucher);
    emit_encoded(events::RELEASED, &voucher);
}

/// The pledgee releases the pledge (the loan was repaid outside this contract).
fn release(id: VoucherId) -> Result<(), Error> {
    let (voucher, pledge) = pledged(id)?;
    signer_is(&pledge.pledgee, "pledge")?;
    end_pledge(voucher, pledge, 0);
    Ok(())
}

/// The holder repays the advance in cash to the pledgee, which releases the pledge.
fn repay(id: VoucherId) -> Result<(), Error> {
    let (voucher, pledge) = pledged(id)?;
    signer_is(&voucher.holder, "voucher")?;
    if voucher.status != Status::Pledged {
        return Err(Error::NotActive {
            id,
            status: voucher.status.as_str(),
        });
    }
    pay(&voucher.holder, &pledge.pledgee, pledge.advance);
    let advance = pledge.advance;
    end_pledge(voucher, pledge, advance);
    Ok(())
}

// ---- cancelling ----------------------------------------------------------------------------

/// Issuer and holder each call this; when both have, an unsplit, untransferred voucher is
/// cancelled, its credit line and invoices freed.
fn cancel(id: VoucherId) -> Result<(), Error> {
    let mut voucher = load(id)?;
    let who = signer()?.uscc;
    if who != voucher.issuer && who != voucher.holder {
        return Err(Error::NotYours {
            who,
            what: "voucher (to cancel, as issuer or holder)",
            owner: voucher.holder,
        });
    }
    if voucher.parent.is_some() || voucher.transferred {
        return Err(Error::NotCancellable(id));
    }
    check_movable(&voucher)?;
    if voucher.cancel_consent.contains(&who) {
        return Err(Error::AlreadyConsented(who));
    }
    voucher.cancel_consent.push(who.clone());
    record(&mut voucher, Action::CancelConsent(who));
    let both = voucher.cancel_consent.contains(&voucher.issuer)
        && voucher.cancel_consent.contains(&voucher.holder);
    if !both {
        save(&voucher);
        emit_encoded(events::CANCEL_CONSENT, &voucher);
        return Ok(());
    }
    voucher.status = Status::Cancelled;
    record(&mut voucher, Action::Cancelled);
    for part in &voucher.backing {
        set_used(&part.invoice, used(&part.invoice) - part.amount);
    }
    let mut line = credit(&voucher.issuer);
    line.outstanding -= voucher.amount;
    storage::save(&keys::credit_line_key(&voucher.issuer), &line);
    unhold(&voucher.holder, id);
    save(&voucher);
    emit_encoded(events::CANCELLED, &voucher);
    Ok(())
}

// ---- settling ------------------------------------------------------------------------------

/// The live parts of the tree under `root`, in id order.
fn live_parts(root: &Voucher) -> Result<Vec<Voucher>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(voucher) = stack.pop() {
        if voucher.status == Status::Split {
            for child in voucher.children.iter().rev() {
                stack.push(load(*child)?);
            }
        } else if voucher.status.is_live() {
            out.push(voucher);
        }
    }
    out.sort_by_key(|v| v.id);
    Ok(out)
}

/// Runs as a scheduled call at the first block at or past the voucher's maturity, and again
/// every block while something is unpaid: pays each live part from the issuer's cash to its
/// payee, as far as the cash goes; what is left is overdue.
fn settle(root: VoucherId) -> Result<(), Error> {
    let config = config();
    let root = load(root)?;
    if root.parent.is_some() {
        return Err(Error::Invalid(
            "settlement runs on an original voucher".into(),
        ));
    }
    let now = block_time_ms();
    if now < root.maturity_ms {
        return Err(Error::NotScheduled);
    }
    // The schedule runs it; after maturity any member may also push it along (should a run
    // ever fail, nothing is lost).
    if caller() != config.own_id {
        signer()?;
    }
    let parts = live_parts(&root)?;
    // Start after the part the last run ended with, so that every part gets its turn.
    let cursor: VoucherId = storage::load(&keys::settle_cursor_key(root.id)).unwrap_or(0);
    let (after, before): (Vec<Voucher>, Vec<Voucher>) =
        parts.into_iter().partition(|p| p.id > cursor);
    let mut queue = after;
    queue.extend(before);
    let batch = config.settle_batch as usize;
    let mut unfinished = queue.len() > batch;
    let mut paid_total = 0;
    let mut cash = cash_balance(&root.issuer);
    let mut last = cursor;
    for mut part in queue.into_iter().take(batch) {
        last = part.id;
        let due = part.unpaid();
        let paying = due.min(cash);
        if paying > 0 {
            let payee = String::from(part.payee());
            // At most the issuer's balance, read once before the loop.
            pay(&root.issuer, &payee, paying);
            cash -= paying;
            paid_total += paying;
            part.paid += paying;
            record(
                &mut part,
                Action::Paid {
                    to: payee,
                    amount: paying,
                },
            );
        }
        if part.unpaid() == 0 {
            part.status = Status::Settled;
            unhold(&part.holder, part.id);
            storage::remove(&keys::offer_key(part.id));
            save(&part);
            emit_encoded(events::SETTLED, &part);
            continue;
        }
        unfinished = true;
        let newly_overdue = part.status != Status::Overdue;
        if newly_overdue {
            part.status = Status::Overdue;
            storage::remove(&keys::offer_key(part.id));
            let unpaid = part.unpaid();
            record(&mut part, Action::Overdue { unpaid });
        }
        save(&part);
        if paying > 0 {
            emit_encoded(events::PARTIALLY_PAID, &part);
        }
        if newly_overdue {
            emit_encoded(events::OVERDUE, &part);
        }
    }
    storage::save(&keys::settle_cursor_key(root.id), &last);
    if paid_total > 0 {
        let mut line = credit(&root.issuer);
        line.outstanding -= paid_total;
        storage::save(&keys::credit_line_key(&root.issuer), &line);
    }
    // Retried at the start of the next block, once however many runs this block had.
    let retry_key = keys::retry_key(root.id);
    if unfinished && storage::load::<u64>(&retry_key) != Some(now) {
        storage::save(&retry_key, &now);
        catena_sdk::schedule(now, "settle", &root.id.encode());
    }
    Ok(())
}

// ---- queries -------------------------------------------------------------------------------

fn get(id: VoucherId) -> Result<Option<Voucher>, Error> {
    Ok(storage::load(&keys::voucher_key(id)))
}

/// The whole tree the voucher belongs to, from its original down, parents before children.
fn lineage(id: VoucherId) -> Result<Vec<Voucher>, Error> {
    let root = load(load(id)?.root)?;
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(voucher) = stack.pop() {
        for child in voucher.children.iter().rev() {
            stack.push(load(*child)?);
        }
        out.push(voucher);
    }
    Ok(out)
}

/// The holders from the first to today's: the parent's path up to the split, then this part's
/// own transfers.
fn path(id: VoucherId) -> Result<Vec<Uscc>, Error> {
    let voucher = load(id)?;
    let mut path = match voucher.parent {
        Some(parent) => path(parent)?,
        None => Vec::new(),
    };
    for entry in history_of(id) {
        match entry.action {
            Action::Issued { holder, .. } => path.push(holder),
            Action::Transferred { to, .. } => path.push(to),
            Action::Factored { financier, .. } => path.push(financier),
            _ => {}
        }
    }
    Ok(path)
}

/// Everything that happened to a voucher, oldest first.
fn history(id: VoucherId) -> Result<Vec<HistoryEntry>, Error> {
    load(id)?;
    Ok(history_of(id))
}

fn credit_line(issuer: Uscc) -> Result<CreditLine, Error> {
    Ok(credit(&issuer))
}

/// How much of an invoice backs vouchers.
fn invoice_use(invoice: RecordId) -> Result<Amount, Error> {
    Ok(used(&invoice))
}

fn get_request(id: u64) -> Result<Option<Request>, Error> {
    Ok(storage::load(&keys::request_key(id)))
}

fn ids_under(prefix: &[u8]) -> Vec<VoucherId> {
    storage::keys(prefix, None, 10_000)
        .into_iter()
        .filter_map(|key| {
            key.get(prefix.len()..)
                .and_then(|tail| <[u8; 8]>::try_from(tail).ok())
                .map(u64::from_be_bytes)
        })
        .collect()
}

/// The live vouchers a member holds.
fn held_by(uscc: Uscc) -> Result<Vec<VoucherId>, Error> {
    Ok(ids_under(&keys::by_holder_prefix(&uscc)))
}

/// The original vouchers a member issued.
fn issued_by(uscc: Uscc) -> Result<Vec<VoucherId>, Error> {
    Ok(ids_under(&keys::by_issuer_prefix(&uscc)))
}

#[cfg(test)]
mod tests;
