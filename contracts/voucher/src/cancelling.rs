//! The voucher contract: cancelling.

use super::*;

/// Issuer and holder each call this; when both have, an unsplit, untransferred voucher is
/// cancelled, its credit line and invoices freed.
pub(crate) fn cancel(id: VoucherId) -> Result<(), Error> {
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
    claims::release_unused(&voucher);
    free_lines(&voucher, voucher.amount);
    unhold(&voucher);
    save(&voucher);
    emit_encoded(events::CANCELLED, &voucher);
    Ok(())
}
