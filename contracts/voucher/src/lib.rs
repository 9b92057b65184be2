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
use catena_schema::records::method as records_method;
use catena_schema::records::{Kind, Record};
use catena_schema::registry::{AccountRecord, MemberRecord};
use catena_schema::voucher::method;
use catena_schema::voucher::{
    days_between, discounted_price, events, interest, keys, Accept, Action, Backing, Config,
    CreditLine, CreditLines, Debt, Draw, Factoring, FinanceKind, HistoryEntry, Listing, Offer,
    Page, Pledge, PledgeDue, Price, Quote, Quoted, Request, RequestStatus, Round, SetCreditLine,
    Split, Status, Terms, Transfer, Voucher, VoucherId, MAX_PAGE, MAX_PARTS_PER_VOUCHER,
    MAX_TIME_MS,
};
use catena_schema::{format_amount, format_rate, Amount, RecordId, Role, Uscc};
use catena_sdk::{block_height, block_time_ms, call_method, caller, emit_encoded, storage};

mod error;
pub use error::Error;

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
    method::GRANT_SUGGESTED_LINE => grant_suggested_line,
    method::INVOICE_USE => invoice_use,
    method::GET_REQUEST => get_request,
    method::HELD_BY => held_by,
    method::ISSUED_BY => issued_by,
}

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
    let key = catena_schema::registry::keys::account_key(&caller());
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
    let key = catena_schema::registry::keys::member_key(uscc);
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
    load_all(&keys::history_prefix(id), "history entry")
}

/// Every stored value under `prefix`, decoded, in key order.
fn load_all<T: catena_sdk::codec::Decode>(prefix: &[u8], what: &str) -> Vec<T> {
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    while let Some((key, value)) = storage::next(prefix, after.as_deref()) {
        out.push(
            catena_sdk::decode(&value)
                .unwrap_or_else(|e| catena_sdk::fail(&format!("a stored {what}: {e}"))),
        );
        after = Some(key);
    }
    out
}

/// The issuer's credit lines, in financier USCC order.
fn lines_of(issuer: &str) -> Vec<CreditLine> {
    load_all(&keys::credit_line_prefix(issuer), "credit line")
}

fn line_of(issuer: &str, financier: &str) -> Option<CreditLine> {
    storage::load(&keys::credit_line_key(issuer, financier))
}

/// Stores a line (listed under its financier too); a line with no limit left and nothing
/// outstanding is closed (removed).
fn save_line(issuer: &str, line: &CreditLine) {
    let key = keys::credit_line_key(issuer, &line.financier);
    let listed = keys::by_financier_key(&line.financier, issuer);
    if line.outstanding == 0 && (line.limit == 0 || line.revoked) {
        storage::remove(&key);
        storage::remove(&listed);
    } else {
        storage::save(&key, line);
        storage::set(&listed, &[]);
    }
}

/// How a voucher of `amount` would draw on the issuer's lines: on the one named, or on each in
/// financier USCC order, as far as each has room.
fn plan_draws(issuer: &str, amount: Amount, named: Option<&str>) -> Result<Vec<Draw>, Error> {
    let lines = match named {
        Some(financier) => {
            let line = line_of(issuer, financier).ok_or_else(|| Error::NoCreditLine {
                issuer: issuer.into(),
                financier: financier.into(),
            })?;
            if line.revoked {
                return Err(Error::LineRevoked {
                    issuer: issuer.into(),
                    financier: financier.into(),
                });
            }
            vec![line]
        }
        None => lines_of(issuer),
    };
    let mut left = amount;
    let mut draws = Vec::new();
    for line in &lines {
        let take = line.available().min(left);
        if take > 0 {
            draws.push(Draw {
                financier: line.financier.clone(),
                amount: take,
            });
            left -= take;
        }
    }
    if left > 0 {
        return Err(Error::CreditLineExceeded {
            issuer: issuer.into(),
            financier: named.map(String::from),
            available: amount - left,
            needed: amount,
        });
    }
    Ok(draws)
}

/// Adds `amount` to (or takes it from) what a financier's line backs.
fn change_outstanding(issuer: &str, financier: &str, add: Amount, take: Amount) {
    let mut line = line_of(issuer, financier)
        .unwrap_or_else(|| catena_sdk::fail("a drawn credit line is missing: a bug"));
    line.outstanding = (line.outstanding + add)
        .checked_sub(take)
        .unwrap_or_else(|| catena_sdk::fail("a credit line went negative: a bug"));
    save_line(issuer, &line);
}

/// Frees `amount` of the lines an original draws on, the first drawn first.
fn free_lines(root: &Voucher, mut amount: Amount) {
    let key = keys::draws_key(root.id);
    let mut draws: Vec<Draw> = storage::load(&key).unwrap_or_default();
    for draw in draws.iter_mut() {
        let take = draw.amount.min(amount);
        if take > 0 {
            change_outstanding(&root.issuer, &draw.financier, 0, take);
            draw.amount -= take;
            amount -= take;
        }
    }
    draws.retain(|d| d.amount > 0);
    if draws.is_empty() {
        storage::remove(&key);
    } else {
        storage::save(&key, &draws);
    }
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

fn is_auditor(who: &AccountRecord) -> Result<(), Error> {
    if who.has(Role::Auditor) {
        return Err(Error::Auditor(who.uscc.clone()));
    }
    Ok(())
}

fn cash_balance(uscc: &str) -> Amount {
    call_method(&config().cash, cash_method::BALANCE, &String::from(uscc))
}

/// Moves cash between members through the cash contract. A payer without enough cash makes the
/// whole call fail with the cash contract's reason ("member … holds … in cash, … is needed").
fn pay(from: &str, to: &str, amount: Amount) {
    let args = OperatorTransfer {
        from: from.into(),
        to: to.into(),
        amount,
    };
    let _: () = call_method(&config().cash, cash_method::OPERATOR_TRANSFER, &args);
}

// ---- issuing -------------------------------------------------------------------------------

/// Checks the terms of a voucher `issuer` would issue to `holder`, and allocates its amount over
/// the backing invoices and (only when `with_credit`) over the issuer's credit lines.
fn check_terms(
    issuer: &str,
    holder: &str,
    terms: &Terms,
    with_credit: bool,
) -> Result<(Vec<Backing>, Vec<Draw>), Error> {
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
    let mut invoice_links: Vec<RecordId> = Vec::new();
    let mut left = terms.amount;
    for (i, id) in terms.invoices.iter().enumerate() {
        if terms.invoices[..i].contains(id) {
            return Err(Error::Invalid("an invoice is listed twice".into()));
        }
        let record: Option<Record> = call_method(&config.records, records_method::GET, id);
        let record = record.ok_or(Error::NotRecorded(*id))?;
        invoice_links.extend(record.links.iter().copied());
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
    // Backing that belongs: each other record is of this trade.
    for id in &terms.records {
        let record: Option<Record> = call_method(&config.records, records_method::GET, id);
        let record = record.ok_or(Error::NotRecorded(*id))?;
        let names_both = record.parties.iter().any(|p| p == issuer)
            && record.parties.iter().any(|p| p == holder);
        let linked =
            invoice_links.contains(id) || record.links.iter().any(|l| terms.invoices.contains(l));
        if !names_both && !linked {
            return Err(Error::UnrelatedRecord {
                id: *id,
                issuer: issuer.into(),
                holder: holder.into(),
            });
        }
    }
    let draws = if with_credit {
        plan_draws(issuer, terms.amount, terms.line.as_deref())?
    } else {
        Vec::new()
    };
    Ok((backing, draws))
}

/// Creates an original voucher (after [`check_terms`]) and schedules its settlement.
fn create(
    issuer: &str,
    holder: &str,
    terms: Terms,
    (backing, draws): (Vec<Backing>, Vec<Draw>),
) -> VoucherId {
    let id = next_id(keys::NEXT_VOUCHER, 1);
    for part in &backing {
        set_used(&part.invoice, used(&part.invoice) + part.amount);
    }
    for draw in &draws {
        change_outstanding(issuer, &draw.financier, draw.amount, 0);
    }
    storage::save(&keys::draws_key(id), &draws);
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
    catena_sdk::schedule_method(voucher.maturity_ms, method::SETTLE, &id);
    emit_encoded(events::ISSUED, &voucher);
    id
}

/// A financier grants, changes or closes (limit 0) its own credit line (授信额度) to a core
/// enterprise; never below what the line backs, never to itself.
fn set_credit_line(args: SetCreditLine) -> Result<(), Error> {
    let financier = signer_with(Role::Financier)?;
    if financier == args.issuer {
        return Err(Error::SelfGrant(financier));
    }
    check_role(&args.issuer, Role::Core)?;
    let mut line = line_of(&args.issuer, &financier).unwrap_or(CreditLine {
        financier: financier.clone(),
        ..CreditLine::default()
    });
    if line.revoked {
        return Err(Error::LineRevoked {
            issuer: args.issuer,
            financier,
        });
    }
    if args.limit < line.outstanding {
        return Err(Error::Invalid(format!(
            "the credit line cannot go below what it backs of the issuer's outstanding vouchers ({})",
            format_amount(line.outstanding)
        )));
    }
    line.limit = args.limit;
    save_line(&args.issuer, &line);
    emit_encoded(events::CREDIT_LINE, &(args.issuer, line));
    Ok(())
}

/// A financier sets its own line to a core enterprise to what the quality of the core's records
/// suggests now (the records contract's `suggest_line`), in one transaction.
fn grant_suggested_line(issuer: Uscc) -> Result<catena_schema::records::Suggestion, Error> {
    let suggestion: catena_schema::records::Suggestion =
        call_method(&config().records, records_method::SUGGEST_LINE, &issuer);
    set_credit_line(SetCreditLine {
        issuer,
        limit: suggestion.amount,
    })?;
    Ok(suggestion)
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

/// A request as queries show it: a pending one whose maturity has come is expired.
fn request_now(id: u64) -> Result<Request, Error> {
    let mut request: Request = storage::load(&keys::request_key(id)).ok_or(Error::NoRequest(id))?;
    if request.status == RequestStatus::Pending && block_time_ms() >= request.terms.maturity_ms {
        request.status = RequestStatus::Expired;
    }
    Ok(request)
}

fn pending(request: Request) -> Result<Request, Error> {
    match request.status {
        RequestStatus::Pending => Ok(request),
        RequestStatus::Expired => Err(Error::RequestExpired(request.id)),
        other => Err(Error::RequestClosed {
            id: request.id,
            status: match other {
                RequestStatus::Confirmed(_) => "confirmed",
                RequestStatus::Rejected => "rejected",
                _ => "withdrawn",
            },
        }),
    }
}

fn pending_request_for_issuer(id: u64) -> Result<Request, Error> {
    let request = request_now(id)?;
    signer_is(&request.issuer, "request")?;
    pending(request)
}

/// The supplier withdraws its pending request.
fn withdraw_request(id: u64) -> Result<(), Error> {
    let request = request_now(id)?;
    signer_is(&request.supplier, "request")?;
    let mut request = pending(request)?;
    request.status = RequestStatus::Withdrawn;
    storage::save(&keys::request_key(id), &request);
    emit_encoded(events::REQUEST_WITHDRAWN, &request);
    Ok(())
}

/// The core enterprise confirms a request (确权), which issues the voucher to the supplier.
fn confirm(id: u64) -> Result<VoucherId, Error> {
    let mut request = pending_request_for_issuer(id)?;
    signer_with(Role::Core)?;
    let allocation = check_terms(&request.issuer, &request.supplier, &request.terms, true)?;
    let voucher = create(
        &request.issuer,
        &request.supplier,
        request.terms.clone(),
        allocation,
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
    let allocation = check_terms(&issuer, &terms.counterparty, &terms, true)?;
    let holder = terms.counterparty.clone();
    Ok(create(&issuer, &holder, terms, allocation))
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
    let now = block_time_ms();
    if now >= voucher.maturity_ms {
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
        Price::AnnualRateBps(rate) => tenor_price(&voucher, rate, now)?.price,
    };
    if args.interest_bps > 10_000 {
        return Err(Error::Invalid(
            "an interest rate is at most 100% a year".into(),
        ));
    }
    if args.interest_bps > 0 && offer.kind == FinanceKind::Factoring {
        return Err(Error::Invalid(
            "interest applies to a pledge; factoring is priced by its discount".into(),
        ));
    }
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
                rate_bps: args.interest_bps,
                since_ms: now,
                received: 0,
            });
            storage::set(&keys::by_pledgee_key(&financier, voucher.id), &[]);
            record(
                &mut voucher,
                Action::Pledged {
                    pledgee: financier,
                    advance: price,
                    rate_bps: args.interest_bps,
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
    storage::remove(&keys::by_pledgee_key(&pledge.pledgee, voucher.id));
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

/// The pledgor (the holder) repays what the pledge secures now, advance plus accrued interest
/// less what settlement already paid the pledgee, which releases the pledge. Also while the
/// part is overdue: the pledgor then holds the overdue claim, released.
fn repay(id: VoucherId) -> Result<(), Error> {
    let (voucher, pledge) = pledged(id)?;
    signer_is(&voucher.holder, "voucher")?;
    let owed = pledge.owed(block_time_ms());
    if owed > 0 {
        pay(&voucher.holder, &pledge.pledgee, owed);
    }
    end_pledge(voucher, pledge, owed);
    Ok(())
}

/// The price factoring at `rate_bps` a year pays for the voucher now.
fn tenor_price(voucher: &Voucher, rate_bps: u32, now: u64) -> Result<Quoted, Error> {
    if rate_bps > 10_000 {
        return Err(Error::Invalid(
            "an annual discount rate is at most 100%".into(),
        ));
    }
    let days = days_between(now, voucher.maturity_ms);
    let price = discounted_price(voucher.amount, rate_bps, days).ok_or_else(|| {
        Error::Invalid(format!(
            "at {} a year for {days} days to maturity nothing is left to pay",
            format_rate(rate_bps)
        ))
    })?;
    Ok(Quoted {
        face: voucher.amount,
        days,
        price,
    })
}

// ---- recourse ------------------------------------------------------------------------------

/// The factor of an overdue part factored with recourse (有追索权保理), once the grace period
/// after maturity has passed, turns to the seller: the seller owes the unpaid amount, paid from
/// its cash as far as it goes and the rest a recorded debt collected as cash arrives, and takes
/// the part back, holding the claim on the issuer. Returns the debt's id if some is left.
fn exercise_recourse(id: VoucherId) -> Result<Option<u64>, Error> {
    let config = config();
    let mut voucher = load(id)?;
    let factor = signer_is(&voucher.holder, "voucher")?;
    let seller = voucher
        .factoring
        .as_ref()
        .filter(|f| f.financier == factor)
        .and_then(|f| f.recourse_to.clone())
        .ok_or_else(|| {
            Error::Invalid(format!(
                "voucher {id} was not factored to {factor} with recourse"
            ))
        })?;
    if voucher.status != Status::Overdue {
        return Err(Error::Invalid(format!(
            "recourse applies to an overdue part: voucher {id} is {}",
            voucher.status.as_str()
        )));
    }
    let now = block_time_ms();
    let opens = voucher.maturity_ms.saturating_add(config.recourse_grace_ms);
    if now < opens {
        return Err(Error::Invalid(format!(
            "recourse opens {} day(s) after maturity: voucher {id} may turn to its seller from block time {opens}",
            config.recourse_grace_ms / catena_schema::voucher::DAY_MS
        )));
    }
    check_holder(&seller)?;
    let owed = voucher.unpaid();
    let paid = owed.min(cash_balance(&seller));
    if paid > 0 {
        pay(&seller, &factor, paid);
    }
    let debt = (paid < owed).then(|| {
        let debt = Debt {
            id: next_id(keys::NEXT_DEBT, 1),
            voucher: id,
            debtor: seller.clone(),
            creditor: factor.clone(),
            amount: owed - paid,
            paid: 0,
        };
        storage::save(&keys::debt_key(debt.id), &debt);
        storage::set(&keys::by_debtor_key(&seller, debt.id), &[]);
        schedule_once(
            &keys::debt_retry_key(debt.id),
            method::COLLECT,
            debt.id,
            now,
        );
        debt.id
    });
    unhold(&factor, id);
    voucher.holder = seller.clone();
    voucher.factoring = None;
    voucher.cancel_consent.clear();
    record(
        &mut voucher,
        Action::Recourse {
            factor,
            seller: seller.clone(),
            owed,
            paid,
            debt,
        },
    );
    save(&voucher);
    hold(&seller, id);
    emit_encoded(events::RECOURSE, &voucher);
    Ok(debt)
}

/// Collects a recourse debt from the debtor's cash, as far as it goes; scheduled every block
/// while something is owed, and any member but an auditor may push it.
fn collect(id: u64) -> Result<(), Error> {
    if caller() != config().own_id {
        is_auditor(&signer()?)?;
    }
    let key = keys::debt_key(id);
    let mut debt: Debt = storage::load(&key)
        .ok_or_else(|| Error::Invalid(format!("there is no recourse debt {id}")))?;
    let owed = debt.amount - debt.paid;
    if owed == 0 {
        return Ok(());
    }
    let paying = owed.min(cash_balance(&debt.debtor));
    if paying > 0 {
        pay(&debt.debtor, &debt.creditor, paying);
        debt.paid += paying;
        storage::save(&key, &debt);
        emit_encoded(events::DEBT_PAID, &debt);
    }
    if debt.paid == debt.amount {
        storage::remove(&keys::by_debtor_key(&debt.debtor, id));
    } else {
        schedule_once(
            &keys::debt_retry_key(id),
            method::COLLECT,
            id,
            block_time_ms(),
        );
    }
    Ok(())
}

fn debt(id: u64) -> Result<Option<Debt>, Error> {
    Ok(storage::load(&keys::debt_key(id)))
}

/// Schedules `method(input)` for the start of the next block, once however many times this
/// block asks (the time it was last scheduled kept under `key`).
fn schedule_once(key: &[u8], method: catena_sdk::Method<u64, ()>, input: u64, now: u64) {
    if storage::load::<u64>(key) != Some(now) {
        storage::save(key, &now);
        catena_sdk::schedule_method(now, method, &input);
    }
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
    free_lines(&voucher, voucher.amount);
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

/// Each part's share of `pool`: what it is owed when the pool covers everything, else pro rata
/// over the unpaid amounts, each share rounded down to the fen and the leftover fen given one
/// each to the parts in id order.
fn pro_rata(parts: &[Voucher], pool: Amount, owed: Amount) -> Vec<(VoucherId, Amount)> {
    if pool >= owed {
        return parts.iter().map(|p| (p.id, p.unpaid())).collect();
    }
    let mut shares: Vec<(VoucherId, Amount)> = parts
        .iter()
        .map(|p| {
            let share = u128::from(p.unpaid()) * u128::from(pool) / u128::from(owed);
            (p.id, share as Amount)
        })
        .collect();
    let mut leftover = pool - shares.iter().map(|(_, a)| a).sum::<Amount>();
    for (_, share) in shares.iter_mut() {
        if leftover == 0 {
            break;
        }
        *share += 1;
        leftover -= 1;
    }
    shares
}

/// Pays `amount` of a part from the issuer: to its pledgee first, up to what the pledge secures
/// now, and the surplus to the holder (the pledgor).
fn pay_part(issuer: &str, part: &mut Voucher, amount: Amount, now: u64) {
    let mut left = amount;
    if let Some(mut pledge) = part.pledge.clone() {
        let to_pledgee = pledge.owed(now).min(left);
        if to_pledgee > 0 {
            pay(issuer, &pledge.pledgee, to_pledgee);
            pledge.received += to_pledgee;
            left -= to_pledgee;
            let to = pledge.pledgee.clone();
            part.pledge = Some(pledge);
            record(
                part,
                Action::Paid {
                    to,
                    amount: to_pledgee,
                },
            );
        }
    }
    if left > 0 {
        let holder = part.holder.clone();
        pay(issuer, &holder, left);
        record(
            part,
            Action::Paid {
                to: holder,
                amount: left,
            },
        );
    }
    part.paid += amount;
}

/// Runs as a scheduled call at the first block at or past the voucher's maturity, and again
/// every block while something is unpaid. A round fixes each live part's share of the issuer's
/// cash when it begins (everything owed, or pro rata when the cash falls short) and pays
/// `settle_batch` parts a run; what is left unpaid is overdue and a new round follows in the
/// next block.
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
    // The schedule runs it; after maturity any member but an auditor may also push it along
    // (should a run ever fail, nothing is lost).
    if caller() != config.own_id {
        is_auditor(&signer()?)?;
    }
    let round_key = keys::settle_round_key(root.id);
    let mut cash = cash_balance(&root.issuer);
    let mut round = match storage::load::<Round>(&round_key) {
        Some(round) => round,
        None => {
            let parts = live_parts(&root)?;
            if parts.is_empty() {
                return Ok(());
            }
            let owed: Amount = parts.iter().map(Voucher::unpaid).sum();
            let pool = cash.min(owed);
            if pool == 0 && parts.iter().all(|p| p.status == Status::Overdue) {
                // Nothing to pay and nothing new to mark: wait for cash.
                schedule_retry(root.id, now);
                return Ok(());
            }
            Round {
                shares: pro_rata(&parts, pool, owed),
                next: 0,
                short: pool < owed,
            }
        }
    };
    let start = round.next as usize;
    let end = (start + config.settle_batch as usize).min(round.shares.len());
    let mut paid_total = 0;
    for &(id, share) in &round.shares[start..end] {
        let mut part = load(id)?;
        if !part.status.is_live() {
            continue;
        }
        // At most the issuer's balance, read once per run.
        let paying = share.min(cash).min(part.unpaid());
        if paying > 0 {
            pay_part(&root.issuer, &mut part, paying, now);
            cash -= paying;
            paid_total += paying;
        }
        if part.unpaid() == 0 {
            part.status = Status::Settled;
            unhold(&part.holder, part.id);
            if let Some(pledge) = &part.pledge {
                storage::remove(&keys::by_pledgee_key(&pledge.pledgee, part.id));
            }
            storage::remove(&keys::offer_key(part.id));
            save(&part);
            emit_encoded(events::SETTLED, &part);
            continue;
        }
        round.short = true;
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
    round.next = end as u32;
    let done = end == round.shares.len();
    if done {
        storage::remove(&round_key);
    } else {
        storage::save(&round_key, &round);
    }
    if paid_total > 0 {
        free_lines(&root, paid_total);
    }
    if !done || round.short {
        schedule_retry(root.id, now);
    }
    Ok(())
}

/// Schedules the next settlement run at the start of the next block, once however many runs
/// this block had.
fn schedule_retry(root: VoucherId, now: u64) {
    schedule_once(&keys::retry_key(root), method::SETTLE, root, now);
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

/// The issuer's credit lines, one per financier.
fn credit_line(issuer: Uscc) -> Result<CreditLines, Error> {
    Ok(CreditLines {
        lines: lines_of(&issuer),
        issuer,
    })
}

/// What a member still has in this contract, one sentence each: governance does not remove a
/// member while anything is listed.
fn holdings(uscc: Uscc) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let count = |prefix: Vec<u8>| storage::keys(&prefix, None, 1_001).len();
    let held = count(keys::by_holder_prefix(&uscc));
    if held > 0 {
        out.push(format!("holds {}", counted(held, "live voucher")));
    }
    let owed: Amount = lines_of(&uscc).iter().map(|l| l.outstanding).sum();
    if owed > 0 {
        out.push(format!(
            "owes {} on vouchers it issued",
            format_amount(owed)
        ));
    }
    let pledges = count(keys::by_pledgee_prefix(&uscc));
    if pledges > 0 {
        out.push(format!("is the pledgee of {}", counted(pledges, "voucher")));
    }
    let mut owes = 0;
    for key in storage::keys(&keys::by_debtor_prefix(&uscc), None, 1_000) {
        let id = <[u8; 8]>::try_from(&key[key.len() - 8..]).map_or(0, u64::from_be_bytes);
        owes += debt(id)?.map_or(0, |d| d.amount - d.paid);
    }
    if owes > 0 {
        out.push(format!("owes {} in recourse", format_amount(owes)));
    }
    let mut backed = 0;
    let granted = keys::by_financier_prefix(&uscc);
    for key in storage::keys(&granted, None, 1_000) {
        let issuer = core::str::from_utf8(&key[granted.len()..]).unwrap_or_default();
        backed += line_of(issuer, &uscc).map_or(0, |l| l.outstanding);
    }
    if backed > 0 {
        out.push(format!(
            "backs {} of vouchers with its credit lines",
            format_amount(backed)
        ));
    }
    Ok(out)
}

/// "1 voucher", "3 vouchers", "1,000 or more vouchers" (past what one look counts).
fn counted(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n if n > 1_000 => format!("1,000 or more {noun}s"),
        n => format!("{n} {noun}s"),
    }
}

/// The governing quorum revokes a line, through the registry (the only caller allowed).
fn revoke_credit_line(args: catena_schema::registry::Revoke) -> Result<(), Error> {
    if caller() != config().registry {
        return Err(Error::Invalid(
            "only the governing quorum revokes a credit line, through the registry".into(),
        ));
    }
    let mut line = line_of(&args.issuer, &args.financier).ok_or_else(|| Error::NoCreditLine {
        issuer: args.issuer.clone(),
        financier: args.financier.clone(),
    })?;
    line.revoked = true;
    line.limit = line.outstanding;
    save_line(&args.issuer, &line);
    emit_encoded(events::CREDIT_LINE, &(args.issuer, line));
    Ok(())
}

/// What each credit line still backs of an original voucher.
fn draws(id: VoucherId) -> Result<Vec<Draw>, Error> {
    load(id)?;
    Ok(storage::load(&keys::draws_key(id)).unwrap_or_default())
}

/// The price factoring at an annual discount rate would pay for the voucher now.
fn quote(args: Quote) -> Result<Quoted, Error> {
    let voucher = load(args.voucher)?;
    let now = block_time_ms();
    if now >= voucher.maturity_ms {
        return Err(Error::Matured(voucher.id));
    }
    tenor_price(&voucher, args.annual_rate_bps, now)
}

/// What the voucher's pledge secures now, if it is pledged.
fn pledge_due(id: VoucherId) -> Result<Option<PledgeDue>, Error> {
    let voucher = load(id)?;
    let now = block_time_ms();
    Ok(voucher.pledge.map(|pledge| {
        let days = days_between(pledge.since_ms, now);
        PledgeDue {
            days,
            interest: interest(pledge.advance, pledge.rate_bps, days),
            secured: pledge.secured(now),
            owed: pledge.owed(now),
            pledge,
        }
    }))
}

/// How much of an invoice backs vouchers.
fn invoice_use(invoice: RecordId) -> Result<Amount, Error> {
    Ok(used(&invoice))
}

fn get_request(id: u64) -> Result<Option<Request>, Error> {
    match request_now(id) {
        Ok(request) => Ok(Some(request)),
        Err(Error::NoRequest(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A page of the ids listed under `prefix` (an index of voucher ids by member).
fn page_under(prefix: &[u8], page: &Page) -> Result<Listing, Error> {
    if page.limit == 0 || page.limit > MAX_PAGE {
        return Err(Error::Invalid(format!(
            "a page lists 1 to {MAX_PAGE} vouchers"
        )));
    }
    let after = page
        .after
        .map(|id| [prefix, &id.to_be_bytes()[..]].concat());
    let mut ids: Vec<VoucherId> = storage::keys(prefix, after.as_deref(), page.limit as usize + 1)
        .into_iter()
        .filter_map(|key| {
            key.get(prefix.len()..)
                .and_then(|tail| <[u8; 8]>::try_from(tail).ok())
                .map(u64::from_be_bytes)
        })
        .collect();
    let next = if ids.len() > page.limit as usize {
        ids.truncate(page.limit as usize);
        ids.last().copied()
    } else {
        None
    };
    Ok(Listing { ids, next })
}

/// The live vouchers a member holds, a page at a time.
fn held_by(page: Page) -> Result<Listing, Error> {
    page_under(&keys::by_holder_prefix(&page.owner), &page)
}

/// The original vouchers a member issued, a page at a time.
fn issued_by(page: Page) -> Result<Listing, Error> {
    page_under(&keys::by_issuer_prefix(&page.owner), &page)
}

#[cfg(test)]
mod tests;
