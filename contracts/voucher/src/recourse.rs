//! The voucher contract: recourse.

use super::*;

/// The factor of an overdue part factored with recourse (有追索权保理), once the grace period
/// after maturity has passed, turns to the seller: the seller owes the unpaid amount, paid from
/// its cash as far as it goes and the rest a recorded debt collected as cash arrives, and takes
/// the part back, holding the claim on the issuer. Returns the debt's id if some is left.
pub(crate) fn exercise_recourse(id: VoucherId) -> Result<Option<u64>, Error> {
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
    // A pledged part secures the factor's own lender, who is paid first from the issuer's
    // money: handing the seller a part still pledged would make it pay the whole unpaid amount
    // for a claim whose proceeds go to someone else first.
    if let Some(pledge) = &voucher.pledge {
        return Err(Error::Invalid(format!(
            "voucher {id} is pledged to {}: recourse waits until the pledge is released",
            pledge.pledgee
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
        storage::set(&keys::by_creditor_key(&factor, debt.id), &[]);
        schedule_once(
            &keys::debt_retry_key(debt.id),
            method::COLLECT,
            debt.id,
            now,
        );
        debt.id
    });
    unhold(&voucher);
    voucher.factoring = None;
    let recourse = Action::Recourse {
        factor,
        seller: seller.clone(),
        owed,
        paid,
        debt,
    };
    hand_over(&mut voucher, &seller, recourse, events::RECOURSE);
    Ok(debt)
}

/// Collects a recourse debt from the debtor's cash, as far as it goes; scheduled every block
/// while something is owed, and any member but an auditor may push it.
pub(crate) fn collect(id: u64) -> Result<(), Error> {
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
        storage::remove(&keys::by_creditor_key(&debt.creditor, id));
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

pub(crate) fn debt(id: u64) -> Result<Option<Debt>, Error> {
    Ok(storage::load(&keys::debt_key(id)))
}

/// Schedules `method(input)` for the start of the next block, once however many times this
/// block asks (the time it was last scheduled kept under `key`).
pub(crate) fn schedule_once(key: &[u8], method: catena_sdk::Method<u64, ()>, input: u64, now: u64) {
    if storage::load::<u64>(key) != Some(now) {
        storage::save(key, &now);
        catena_sdk::schedule_method(now, method, &input);
    }
}
