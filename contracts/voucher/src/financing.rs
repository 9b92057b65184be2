//! The voucher contract: financing.

use super::*;

/// The holder offers a voucher to a financier, as a pledge or for factoring.
pub(crate) fn offer(args: Offer) -> Result<(), Error> {
    let (holder, mut voucher) = movable_by_signer(args.voucher)?;
    check_role(&args.financier, Role::Financier)?;
    invalid_if(
        args.financier == holder,
        "a financier cannot finance its own voucher",
    )?;
    invalid_if(
        args.financier == voucher.issuer,
        "the issuer cannot finance a voucher it owes",
    )?;
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

pub(crate) fn open_offer(id: VoucherId) -> Result<Offer, Error> {
    storage::load(&keys::offer_key(id)).ok_or(Error::NoOffer(id))
}

pub(crate) fn withdraw_offer(id: VoucherId) -> Result<(), Error> {
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
pub(crate) fn accept(args: Accept) -> Result<(), Error> {
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
    invalid_if(
        args.interest_bps > 10_000,
        "an interest rate is at most 100% a year",
    )?;
    invalid_if(
        args.interest_bps > 0 && offer.kind == FinanceKind::Factoring,
        "interest applies to a pledge; factoring is priced by its discount",
    )?;
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
    invalid_if(
        financier == voucher.issuer,
        "the issuer cannot finance a voucher it owes",
    )?;
    invalid_if(
        args.recourse && offer.kind == FinanceKind::Pledge,
        "recourse applies to factoring, not to a pledge",
    )?;
    let holder = voucher.holder.clone();
    pay(&financier, &holder, price);
    storage::remove(&keys::offer_key(voucher.id));
    match offer.kind {
        FinanceKind::Pledge => {
            voucher.status = Status::Pledged;
            let pledge = Pledge::new(financier.clone(), price, args.interest_bps, now);
            open_pledge_loan(&voucher, &pledge);
            voucher.pledge = Some(pledge);
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
            unhold(&voucher);
            voucher.factoring = Some(Factoring {
                financier: financier.clone(),
                price,
                recourse_to: args.recourse.then(|| holder.clone()),
            });
            voucher.transferred = true;
            let factored = Action::Factored {
                financier: financier.clone(),
                price,
                recourse: args.recourse,
            };
            hand_over(&mut voucher, &financier, factored, events::FACTORED);
        }
    }
    Ok(())
}

pub(crate) fn pledged(id: VoucherId) -> Result<(Voucher, Pledge), Error> {
    let voucher = load(id)?;
    match (&voucher.pledge, voucher.status) {
        (Some(pledge), Status::Pledged | Status::Overdue) => {
            let pledge = pledge.clone();
            Ok((voucher, pledge))
        }
        _ => Err(Error::NotPledged(id)),
    }
}

pub(crate) fn end_pledge(mut voucher: Voucher, pledge: Pledge, repaid: Amount) {
    storage::remove(&keys::by_pledgee_key(&pledge.pledgee, voucher.id));
    close_pledge_loan(voucher.id, catena_schema::lending::PledgeEnd::Released);
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
pub(crate) fn release(id: VoucherId) -> Result<(), Error> {
    let (voucher, pledge) = pledged(id)?;
    signer_is(&pledge.pledgee, "pledge")?;
    end_pledge(voucher, pledge, 0);
    Ok(())
}

/// The pledgor (the holder) repays what the pledge secures now, advance plus accrued interest
/// less what settlement already paid the pledgee, which releases the pledge. Also while the
/// part is overdue: the pledgor then holds the overdue claim, released.
pub(crate) fn repay(id: VoucherId) -> Result<(), Error> {
    let (voucher, mut pledge) = pledged(id)?;
    signer_is(&voucher.holder, "voucher")?;
    let now = block_time_ms();
    let owed = pledge.owed(now);
    if owed > 0 {
        pay(&voucher.holder, &pledge.pledgee, owed);
        pledge.pay(now, owed);
        pledge_loan_paid(voucher.id, owed);
    }
    end_pledge(voucher, pledge, owed);
    Ok(())
}

/// The price factoring at `rate_bps` a year pays for the voucher now.
pub(crate) fn tenor_price(voucher: &Voucher, rate_bps: u32, now: u64) -> Result<Quoted, Error> {
    invalid_if(rate_bps > 10_000, "an annual discount rate is at most 100%")?;
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
