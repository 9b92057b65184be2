//! Voucher pledges on the ledger (ADR 0045): the voucher contract keeps a pledge's money and its
//! refusals, and tells the ledger each change, which the ledger follows by the same arithmetic
//! ([`Accrual`]), so every product's loans are listed, counted in a borrower's history and owe by
//! one set of rules.

use super::*;

fn operator() -> Result<(), Error> {
    if config().operators.contains(&caller()) {
        Ok(())
    } else {
        Err(Error::invalid(
            "only the voucher contract keeps its pledges on the ledger",
        ))
    }
}

/// An outstanding loan on a voucher, for the voucher contract to update.
fn voucher_loan(id: LoanId) -> Result<Loan, Error> {
    let loan = load(id)?;
    if !matches!(loan.collateral, Collateral::Voucher(_)) {
        return Err(Error::Invalid(format!(
            "loan {id} is not a voucher's pledge"
        )));
    }
    Ok(loan)
}

pub(crate) fn open_pledge(args: VoucherPledge) -> Result<LoanId, Error> {
    operator()?;
    let now = block_time_ms();
    let id = next_id();
    let loan = Loan {
        id,
        lender: args.lender,
        borrower: args.borrower,
        collateral: Collateral::Voucher(args.voucher),
        amount: args.advance,
        max_rate_bps: args.rate_bps,
        due_ms: args.due_ms,
        status: LoanStatus::Active,
        applied_ms: now,
        accrual: Some(Accrual::new(args.advance, args.rate_bps, now)),
        interest_paid: 0,
        repayments: 0,
        enforced_owed: 0,
    };
    index(&loan);
    save(&loan);
    emit_encoded(events::APPROVED, &loan);
    Ok(id)
}

pub(crate) fn pledge_paid(args: PledgePaid) -> Result<(), Error> {
    operator()?;
    let mut loan = voucher_loan(args.loan)?;
    check_status(&loan, &[LoanStatus::Active, LoanStatus::Overdue])?;
    take_payment(&mut loan, args.amount);
    Ok(())
}

pub(crate) fn pledge_overdue(id: LoanId) -> Result<(), Error> {
    operator()?;
    let mut loan = voucher_loan(id)?;
    if loan.status == LoanStatus::Active {
        fall_overdue(&mut loan);
    }
    Ok(())
}

pub(crate) fn close_pledge(args: ClosePledge) -> Result<(), Error> {
    operator()?;
    let mut loan = voucher_loan(args.loan)?;
    if !loan.status.is_outstanding() {
        return Ok(());
    }
    let owed = accrual_of(&loan).owed(block_time_ms());
    let was = loan.status;
    match args.end {
        PledgeEnd::Settled if owed > 0 => {
            loan.enforced_owed = owed;
            loan.status = LoanStatus::Enforced;
        }
        _ => loan.status = LoanStatus::Repaid,
    }
    storage::remove(&keys::overdue_key(loan.id));
    let enforced = loan.status == LoanStatus::Enforced;
    update_history(&loan.borrower, |h| {
        if was == LoanStatus::Overdue {
            h.overdue -= 1;
        }
        match (enforced, was) {
            (true, _) => h.enforced += 1,
            (false, LoanStatus::Overdue) => h.late += 1,
            (false, _) => h.on_time += 1,
        }
    });
    save(&loan);
    let topic = if enforced {
        events::ENFORCED
    } else {
        events::REPAID
    };
    if enforced {
        emit_encoded(topic, &loan);
    } else {
        let repayment = Repayment {
            loan,
            to_interest: 0,
            to_principal: 0,
        };
        emit_encoded(topic, &repayment);
    }
    Ok(())
}
