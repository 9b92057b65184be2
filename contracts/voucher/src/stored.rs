//! The voucher contract: stored state.

use super::*;

pub(crate) fn load(id: VoucherId) -> Result<Voucher, Error> {
    storage::load(&keys::voucher_key(id)).ok_or(Error::NoVoucher(id))
}

pub(crate) fn save(voucher: &Voucher) {
    storage::save(&keys::voucher_key(voucher.id), voucher);
}

pub(crate) fn next_id(key: &[u8], first: u64) -> u64 {
    let id = storage::get_u64(key).max(first);
    storage::set_u64(key, id + 1);
    id
}

/// Appends to a voucher's history (one entry a key; the voucher keeps the count).
pub(crate) fn record(voucher: &mut Voucher, action: Action) {
    let entry = HistoryEntry {
        height: block_height(),
        time_ms: block_time_ms(),
        action,
    };
    storage::save(&keys::history_key(voucher.id, voucher.history_len), &entry);
    voucher.history_len += 1;
}

pub(crate) fn history_of(id: VoucherId) -> Vec<HistoryEntry> {
    load_all(&keys::history_prefix(id), "history entry")
}

/// Every stored value under `prefix`, decoded, in key order.
pub(crate) fn load_all<T: catena_sdk::codec::Decode>(prefix: &[u8], what: &str) -> Vec<T> {
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
pub(crate) fn lines_of(issuer: &str) -> Vec<CreditLine> {
    load_all(&keys::credit_line_prefix(issuer), "credit line")
}

pub(crate) fn line_of(issuer: &str, financier: &str) -> Option<CreditLine> {
    storage::load(&keys::credit_line_key(issuer, financier))
}

/// Stores a line (listed under its financier too); a line with no limit left and nothing
/// outstanding is closed (removed).
pub(crate) fn save_line(issuer: &str, line: &CreditLine) {
    let key = keys::credit_line_key(issuer, &line.financier);
    let listed = keys::by_financier_key(&line.financier, issuer);
    // A revoked line is kept as revoked, also once nothing is outstanding: the revocation
    // stands until the governing quorum restores the line.
    if line.outstanding == 0 && line.limit == 0 && !line.revoked {
        storage::remove(&key);
        storage::remove(&listed);
    } else {
        storage::save(&key, line);
        storage::set(&listed, &[]);
    }
}

/// How a voucher of `amount` would draw on the issuer's lines: on the one named, or on each in
/// financier USCC order, as far as each has room.
pub(crate) fn plan_draws(
    issuer: &str,
    amount: Amount,
    named: Option<&str>,
) -> Result<Vec<Draw>, Error> {
    let lines = match named {
        Some(financier) => {
            let line = line_of(issuer, financier).ok_or_else(|| Error::NoCreditLine {
                issuer: issuer.into(),
                financier: financier.into(),
            })?;
            if line.revoked {
                return Err(revoked(issuer, financier));
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
pub(crate) fn change_outstanding(issuer: &str, financier: &str, add: Amount, take: Amount) {
    let mut line = line_of(issuer, financier)
        .unwrap_or_else(|| catena_sdk::fail("a drawn credit line is missing: a bug"));
    line.outstanding = (line.outstanding + add)
        .checked_sub(take)
        .unwrap_or_else(|| catena_sdk::fail("a credit line went negative: a bug"));
    save_line(issuer, &line);
}

/// Frees `amount` of the lines an original draws on, the first drawn first.
pub(crate) fn free_lines(root: &Voucher, mut amount: Amount) {
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

pub(crate) fn used(invoice: &RecordId) -> Amount {
    storage::load(&keys::invoice_use_key(invoice)).unwrap_or(0)
}

pub(crate) fn set_used(invoice: &RecordId, amount: Amount) {
    if amount == 0 {
        storage::remove(&keys::invoice_use_key(invoice));
    } else {
        storage::save(&keys::invoice_use_key(invoice), &amount);
    }
}

/// Lists a live voucher under its holder and, if it was factored with recourse, under the seller
/// who would take it back (index entries, outside the state tree: ADR 0049).
pub(crate) fn hold(voucher: &Voucher) {
    storage::set(&keys::by_holder_key(&voucher.holder, voucher.id), &[]);
    if let Some(seller) = recourse_seller(voucher) {
        storage::set(&keys::by_recourse_seller_key(seller, voucher.id), &[]);
    }
}

/// Takes a voucher off the lists [`hold`] put it on (before its holder or factoring changes, or
/// once it is no longer live).
pub(crate) fn unhold(voucher: &Voucher) {
    storage::remove(&keys::by_holder_key(&voucher.holder, voucher.id));
    if let Some(seller) = recourse_seller(voucher) {
        storage::remove(&keys::by_recourse_seller_key(seller, voucher.id));
    }
}

/// Every index a live voucher is listed in, derived from its record alone: its holder's, its
/// recourse seller's ([`hold`]), its pledgee's (while pledged). What `reindex` rebuilds.
pub(crate) fn listed_under(voucher: &Voucher) -> Vec<Vec<u8>> {
    let mut keys = vec![keys::by_holder_key(&voucher.holder, voucher.id)];
    if let Some(seller) = recourse_seller(voucher) {
        keys.push(keys::by_recourse_seller_key(seller, voucher.id));
    }
    if let Some(pledge) = &voucher.pledge {
        keys.push(keys::by_pledgee_key(&pledge.pledgee, voucher.id));
    }
    keys
}

fn recourse_seller(voucher: &Voucher) -> Option<&Uscc> {
    voucher.factoring.as_ref()?.recourse_to.as_ref()
}

pub(crate) fn is_auditor(who: &AccountRecord) -> Result<(), Error> {
    if who.has(Role::Auditor) {
        return Err(Error::Auditor(who.uscc.clone()));
    }
    Ok(())
}

pub(crate) fn cash_balance(uscc: &str) -> Amount {
    call_method(&config().cash, cash_method::BALANCE, &String::from(uscc))
}

/// Moves cash between members through the cash contract. A payer without enough cash makes the
/// whole call fail with the cash contract's reason ("member … holds … in cash, … is needed").
pub(crate) fn pay(from: &str, to: &str, amount: Amount) {
    let args = OperatorTransfer {
        from: from.into(),
        to: to.into(),
        amount,
    };
    let _: () = call_method(&config().cash, cash_method::OPERATOR_TRANSFER, &args);
}

/// Tells the loan ledger (if the chain has one) about a change of a voucher's pledge: its loan
/// there is kept by the same arithmetic (ADR 0045).
pub(crate) fn ledger<A: catena_sdk::codec::Encode>(
    method: catena_sdk::Method<A, ()>,
    argument: &A,
) {
    if let Some(lending) = config().lending {
        let _: () = call_method(&lending, method, argument);
    }
}

/// The ledger's loan for voucher `id`'s pledge, if it has one.
pub(crate) fn pledge_loan(id: VoucherId) -> Option<u64> {
    config().lending?;
    storage::load(&keys::pledge_loan_key(id))
}

/// Opens the ledger's loan for a pledge just accepted on `voucher`.
pub(crate) fn open_pledge_loan(voucher: &Voucher, pledge: &Pledge) {
    let Some(lending) = config().lending else {
        return;
    };
    let args = catena_schema::lending::VoucherPledge {
        voucher: voucher.id,
        lender: pledge.pledgee.clone(),
        borrower: voucher.holder.clone(),
        advance: pledge.advance,
        rate_bps: pledge.rate_bps,
        due_ms: voucher.maturity_ms,
    };
    let loan: u64 = call_method(&lending, lending_method::OPEN_PLEDGE, &args);
    storage::save(&keys::pledge_loan_key(voucher.id), &loan);
}

/// The pledgee of voucher `id` was paid `amount`: the ledger's loan takes it.
pub(crate) fn pledge_loan_paid(id: VoucherId, amount: Amount) {
    if let Some(loan) = pledge_loan(id) {
        let args = catena_schema::lending::PledgePaid { loan, amount };
        ledger(lending_method::PLEDGE_PAID, &args);
    }
}

/// Voucher `id`'s pledge ended: the ledger's loan closes.
pub(crate) fn close_pledge_loan(id: VoucherId, end: catena_schema::lending::PledgeEnd) {
    if let Some(loan) = pledge_loan(id) {
        let args = catena_schema::lending::ClosePledge { loan, end };
        ledger(lending_method::CLOSE_PLEDGE, &args);
        storage::remove(&keys::pledge_loan_key(id));
    }
}
