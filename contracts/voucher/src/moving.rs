//! The voucher contract: moving.

use super::*;

/// The voucher, if the signer holds it and it may move: active, before maturity, no offer open.
pub(crate) fn movable_by_signer(id: VoucherId) -> Result<(Uscc, Voucher), Error> {
    let voucher = load(id)?;
    let who = signer_is(&voucher.holder, "voucher")?;
    check_movable(&voucher)?;
    Ok((who, voucher))
}

pub(crate) fn check_movable(voucher: &Voucher) -> Result<(), Error> {
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
pub(crate) fn split_voucher(
    mut voucher: Voucher,
    amounts: &[Amount],
) -> Result<Vec<Voucher>, Error> {
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
    unhold(&voucher);
    voucher.status = Status::Split;
    voucher.children = ids.clone();
    record(&mut voucher, Action::SplitInto(ids));
    save(&voucher);
    emit_encoded(events::SPLIT, &voucher);
    Ok(parts)
}

/// Gives `voucher` (already off its holder's list) to `to`: consents to cancel it lapse,
/// `action` enters its history, it is saved and listed under `to`, and `topic` announces it.
pub(crate) fn hand_over(voucher: &mut Voucher, to: &Uscc, action: Action, topic: &str) {
    voucher.holder = to.clone();
    voucher.cancel_consent.clear();
    record(voucher, action);
    keep(voucher);
    emit_encoded(topic, voucher);
}

/// Saves a voucher and lists it under its holder.
pub(crate) fn keep(voucher: &Voucher) {
    save(voucher);
    hold(voucher);
}

pub(crate) fn split(args: Split) -> Result<Vec<VoucherId>, Error> {
    let (_, voucher) = movable_by_signer(args.voucher)?;
    let parts = split_voucher(voucher, &args.amounts)?;
    parts.iter().for_each(keep);
    Ok(parts.iter().map(|p| p.id).collect())
}

/// Transfers a voucher, or an amount of it (split off first, in the same call), to another
/// member. Returns the id of the voucher that moved.
pub(crate) fn transfer(args: Transfer) -> Result<VoucherId, Error> {
    let (from, voucher) = movable_by_signer(args.voucher)?;
    invalid_if(
        args.to == from,
        "a voucher cannot be transferred to its holder",
    )?;
    invalid_if(
        args.to == voucher.issuer,
        "a voucher cannot be transferred to its issuer, who owes it",
    )?;
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
        unhold(&moving);
    }
    moving.transferred = true;
    let transferred = Action::Transferred {
        from,
        to: args.to.clone(),
    };
    hand_over(&mut moving, &args.to, transferred, events::TRANSFERRED);
    Ok(moving.id)
}
