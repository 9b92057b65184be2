//! The voucher contract: settling.

use super::*;

/// The live parts of the tree under `root`, in id order.
pub(crate) fn live_parts(root: &Voucher) -> Result<Vec<Voucher>, Error> {
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
pub(crate) fn pro_rata(parts: &[Voucher], pool: Amount, owed: Amount) -> Vec<(VoucherId, Amount)> {
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

/// Pays `amount` of a part from the issuer: to its pledgee first, up to what the pledge is owed
/// now (interest first, then the advance), and the surplus to the holder (the pledgor). A pledge
/// whose claim is paid ends: the part is released, and what comes later goes to the holder.
pub(crate) fn pay_part(issuer: &str, part: &mut Voucher, amount: Amount, now: u64) {
    let mut left = amount;
    if let Some(mut pledge) = part.pledge.clone() {
        let to_pledgee = pledge.owed(now).min(left);
        if to_pledgee > 0 {
            pay(issuer, &pledge.pledgee, to_pledgee);
            pledge.pay(now, to_pledgee);
            pledge_loan_paid(part.id, to_pledgee);
            left -= to_pledgee;
            record(
                part,
                Action::Paid {
                    to: pledge.pledgee.clone(),
                    amount: to_pledgee,
                },
            );
        }
        if pledge.is_paid() {
            storage::remove(&keys::by_pledgee_key(&pledge.pledgee, part.id));
            close_pledge_loan(part.id, catena_schema::lending::PledgeEnd::Settled);
            part.pledge = None;
            let released = Action::Released {
                pledgee: pledge.pledgee.clone(),
                repaid: pledge.received,
            };
            record(part, released);
            emit_encoded(events::RELEASED, &*part);
        } else {
            part.pledge = Some(pledge);
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
pub(crate) fn settle(root: VoucherId) -> Result<(), Error> {
    let config = config();
    let root = load(root)?;
    invalid_if(
        root.parent.is_some(),
        "settlement runs on an original voucher",
    )?;
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
        let mut paying = share.min(cash).min(part.unpaid());
        // A payee that may not be paid holds back its own part only: its share stays with the
        // issuer (later rounds count it as owed, so it stays set aside), the other parts are
        // paid, and this part alone does not make the chain retry every block.
        // Payees are looked up only when something is paid.
        let held = paying > 0
            && match unpayable(&part, now) {
                Some(payee) => {
                    hold_back(&mut part, payee);
                    paying = 0;
                    true
                }
                None => false,
            };
        if paying > 0 {
            // Only an overdue part can have been held back: a first payment writes nothing more.
            if part.status == Status::Overdue {
                let key = keys::held_back_key(part.id);
                if storage::get(&key).is_some() {
                    storage::remove(&key);
                }
            }
            pay_part(&root.issuer, &mut part, paying, now);
            cash -= paying;
            paid_total += paying;
        }
        if part.unpaid() == 0 {
            part.status = Status::Settled;
            unhold(&part);
            if let Some(pledge) = &part.pledge {
                storage::remove(&keys::by_pledgee_key(&pledge.pledgee, part.id));
                close_pledge_loan(part.id, catena_schema::lending::PledgeEnd::Settled);
            }
            storage::remove(&keys::offer_key(part.id));
            save(&part);
            emit_encoded(events::SETTLED, &part);
            continue;
        }
        if !held {
            round.short = true;
        }
        let newly_overdue = part.status != Status::Overdue;
        if newly_overdue {
            if part.pledge.is_some() {
                if let Some(loan) = pledge_loan(part.id) {
                    ledger(lending_method::PLEDGE_OVERDUE, &loan);
                }
            }
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

/// The payee of `part` that may not be paid cash now (not a member, or an auditor, as the cash
/// contract judges): its pledgee while the pledge is owed something, else its holder.
fn unpayable(part: &Voucher, now: u64) -> Option<Uscc> {
    part.pledge
        .iter()
        .filter(|p| p.owed(now) > 0)
        .map(|p| &p.pledgee)
        .chain(core::iter::once(&part.holder))
        .find(|payee| !may_be_paid(payee))
        .cloned()
}

fn may_be_paid(uscc: &str) -> bool {
    member(uscc).is_ok_and(|m| !m.roles.contains(&Role::Auditor))
}

/// Records, once until it is paid, that settlement holds back `part`'s payment.
fn hold_back(part: &mut Voucher, payee: Uscc) {
    let key = keys::held_back_key(part.id);
    if storage::get(&key).is_none() {
        storage::set(&key, &[]);
        record(part, Action::HeldBack { payee });
        emit_encoded(events::HELD_BACK, &*part);
    }
}

/// Schedules the next settlement run at the start of the next block, once however many runs
/// this block had.
pub(crate) fn schedule_retry(root: VoucherId, now: u64) {
    schedule_once(&keys::retry_key(root), method::SETTLE, root, now);
}
