//! The voucher contract: queries.

use super::*;

pub(crate) fn get(id: VoucherId) -> Result<Option<Voucher>, Error> {
    Ok(storage::load(&keys::voucher_key(id)))
}

/// The whole tree the voucher belongs to, from its original down, parents before children.
pub(crate) fn lineage(id: VoucherId) -> Result<Vec<Voucher>, Error> {
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
/// own transfers, factorings and recourse (the seller holds the part again).
pub(crate) fn path(id: VoucherId) -> Result<Vec<Uscc>, Error> {
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
            Action::Recourse { seller, .. } => path.push(seller),
            _ => {}
        }
    }
    Ok(path)
}

/// Everything that happened to a voucher, oldest first.
pub(crate) fn history(id: VoucherId) -> Result<Vec<HistoryEntry>, Error> {
    load(id)?;
    Ok(history_of(id))
}

/// The issuer's credit lines, one per financier.
pub(crate) fn credit_line(issuer: Uscc) -> Result<CreditLines, Error> {
    Ok(CreditLines {
        lines: lines_of(&issuer),
        issuer,
    })
}

/// What a member still has in this contract, one sentence each: governance does not remove a
/// member while anything is listed.
pub(crate) fn holdings(uscc: Uscc) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let count = |prefix: Vec<u8>| storage::keys(&prefix, None, 1_001).len();
    let held = count(keys::by_holder_prefix(&uscc));
    if held > 0 {
        out.push(format!("holds {}", counted(held, "live voucher")));
    }
    // Sums of amounts are totals: a member's lines or debts may add up past one amount.
    let owed: Total = lines_of(&uscc)
        .iter()
        .map(|l| Total::from(l.outstanding))
        .sum();
    if owed > 0 {
        out.push(format!("owes {} on vouchers it issued", format_total(owed)));
    }
    let sold = count(keys::by_recourse_seller_prefix(&uscc));
    if sold > 0 {
        out.push(format!(
            "may have to take back {} it sold with recourse",
            counted(sold, "voucher")
        ));
    }
    let pledges = count(keys::by_pledgee_prefix(&uscc));
    if pledges > 0 {
        out.push(format!("is the pledgee of {}", counted(pledges, "voucher")));
    }
    let (owes, owed_to) = (
        debts_left(&keys::by_debtor_prefix(&uscc))?,
        debts_left(&keys::by_creditor_prefix(&uscc))?,
    );
    if owes > 0 {
        out.push(format!("owes {} in recourse", format_total(owes)));
    }
    if owed_to > 0 {
        out.push(format!("is owed {} in recourse", format_total(owed_to)));
    }
    let mut backed: Total = 0;
    let granted = keys::by_financier_prefix(&uscc);
    for key in storage::keys(&granted, None, 1_000) {
        let issuer = core::str::from_utf8(&key[granted.len()..]).unwrap_or_default();
        backed += line_of(issuer, &uscc).map_or(0, |l| Total::from(l.outstanding));
    }
    if backed > 0 {
        out.push(format!(
            "backs {} of vouchers with its credit lines",
            format_total(backed)
        ));
    }
    Ok(out)
}

/// What is left to pay of the recourse debts listed under `prefix` (a debtor's or a creditor's).
fn debts_left(prefix: &[u8]) -> Result<Total, Error> {
    let mut left: Total = 0;
    for key in storage::keys(prefix, None, 1_000) {
        let id = <[u8; 8]>::try_from(&key[key.len() - 8..]).map_or(0, u64::from_be_bytes);
        left += debt(id)?.map_or(0, |d| Total::from(d.amount - d.paid));
    }
    Ok(left)
}

/// "1 voucher", "3 vouchers", "1,000 or more vouchers" (past what one look counts).
pub(crate) fn counted(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n if n > 1_000 => format!("1,000 or more {noun}s"),
        n => format!("{n} {noun}s"),
    }
}

/// The governing quorum revokes a line, through the registry (the only caller allowed): it
/// backs what it backs, takes nothing new, and stays revoked — its financier cannot grant it
/// again — until the quorum restores it.
pub(crate) fn revoke_credit_line(args: LineDecision) -> Result<(), Error> {
    let mut line = decided_line(&args, "revokes")?;
    line.revoked = true;
    line.limit = line.outstanding;
    storage::save(
        &keys::revocation_key(&args.issuer, &args.financier),
        &args.proposal,
    );
    save_line(&args.issuer, &line);
    emit_encoded(events::CREDIT_LINE, &(args.issuer, line));
    Ok(())
}

/// The governing quorum restores a line it revoked, through the registry: its financier may
/// change it again (it keeps the limit it had, what it backed when revoked).
pub(crate) fn restore_credit_line(args: LineDecision) -> Result<(), Error> {
    let mut line = decided_line(&args, "restores")?;
    invalid_if(
        !line.revoked,
        &format!(
            "the credit line of {} to {} is not revoked",
            args.financier, args.issuer
        ),
    )?;
    line.revoked = false;
    storage::remove(&keys::revocation_key(&args.issuer, &args.financier));
    save_line(&args.issuer, &line);
    emit_encoded(events::CREDIT_LINE, &(args.issuer, line));
    Ok(())
}

/// The line a decision of the quorum is about, once the caller is known to be the registry (the
/// only one allowed to apply what the quorum `verb`, such as "revokes").
fn decided_line(args: &LineDecision, verb: &str) -> Result<CreditLine, Error> {
    invalid_if(
        caller() != config().registry,
        &format!("only the governing quorum {verb} a credit line, through the registry"),
    )?;
    line_of(&args.issuer, &args.financier).ok_or_else(|| Error::NoCreditLine {
        issuer: args.issuer.clone(),
        financier: args.financier.clone(),
    })
}

/// The membership proposal that revoked the line of `financier` to `issuer`, while it stands.
pub(crate) fn revocation((issuer, financier): (Uscc, Uscc)) -> Result<Option<u64>, Error> {
    Ok(storage::load(&keys::revocation_key(&issuer, &financier)))
}

/// The refusal of a change to a revoked line, naming the decision.
pub(crate) fn revoked(issuer: &str, financier: &str) -> Error {
    Error::LineRevoked {
        issuer: issuer.into(),
        financier: financier.into(),
        proposal: storage::load(&keys::revocation_key(issuer, financier)),
    }
}

/// What each credit line still backs of an original voucher.
pub(crate) fn draws(id: VoucherId) -> Result<Vec<Draw>, Error> {
    load(id)?;
    Ok(storage::load(&keys::draws_key(id)).unwrap_or_default())
}

/// The price factoring at an annual discount rate would pay for the voucher now.
pub(crate) fn quote(args: Quote) -> Result<Quoted, Error> {
    let voucher = load(args.voucher)?;
    let now = block_time_ms();
    if now >= voucher.maturity_ms {
        return Err(Error::Matured(voucher.id));
    }
    tenor_price(&voucher, args.annual_rate_bps, now)
}

/// What the voucher's pledge secures now, if it is pledged.
pub(crate) fn pledge_due(id: VoucherId) -> Result<Option<PledgeDue>, Error> {
    let voucher = load(id)?;
    let now = block_time_ms();
    Ok(voucher.pledge.map(|pledge| PledgeDue {
        days: days_between(pledge.since_ms, now),
        interest: pledge.interest_owed(now),
        secured: pledge.secured(now),
        owed: pledge.owed(now),
        pledge,
    }))
}

/// How much of an invoice backs vouchers.
pub(crate) fn invoice_use(invoice: RecordId) -> Result<Amount, Error> {
    Ok(used(&invoice))
}

pub(crate) fn get_request(id: u64) -> Result<Option<Request>, Error> {
    match request_now(id) {
        Ok(request) => Ok(Some(request)),
        Err(Error::NoRequest(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A page of the ids listed under `prefix` (an index of voucher ids by member).
pub(crate) fn page_under(prefix: &[u8], page: &Page) -> Result<Listing, Error> {
    if page.limit == 0 || page.limit > MAX_PAGE {
        return Err(Error::Invalid(format!(
            "a page lists 1 to {MAX_PAGE} vouchers"
        )));
    }
    let (ids, next) = storage::id_page(prefix, page.after, page.limit);
    Ok(Listing { ids, next })
}

/// The live vouchers a member holds, a page at a time.
pub(crate) fn held_by(page: Page) -> Result<Listing, Error> {
    page_under(&keys::by_holder_prefix(&page.owner), &page)
}

/// The original vouchers a member issued, a page at a time.
pub(crate) fn issued_by(page: Page) -> Result<Listing, Error> {
    page_under(&keys::by_issuer_prefix(&page.owner), &page)
}

/// Voucher records one page of [`reindex`] reads.
const REINDEX_RECORDS: usize = 256;

/// The index entries derived from the voucher records after the voucher key `after` (ADR 0049):
/// each live voucher under its holder, under the seller who would take it back if it was
/// factored with recourse, and under its pledgee if it is pledged — what [`hold`] and the pledges
/// keep. A page of records at a time; the key the next page starts after, if any is left.
pub(crate) fn reindex(after: Option<Vec<u8>>) -> Result<catena_schema::Reindexed, Error> {
    let mut entries = Vec::new();
    let mut cursor = after;
    for _ in 0..REINDEX_RECORDS {
        let Some((key, value)) = storage::next(keys::VOUCHER, cursor.as_deref()) else {
            return Ok((entries, None));
        };
        let voucher: Voucher = catena_sdk::decode(&value)
            .unwrap_or_else(|e| catena_sdk::fail(&format!("a stored voucher: {e}")));
        if voucher.status.is_live() {
            entries.extend(listed_under(&voucher).into_iter().map(|k| (k, Vec::new())));
        }
        cursor = Some(key);
    }
    Ok((entries, cursor))
}
