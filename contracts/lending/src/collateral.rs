//! The ledger's collateral, by kind: none (data credit, within the suggested limit), a warehouse
//! receipt (within the loan-to-value limit, locked for the lender), and a purchase order (the
//! advance to the seller; the goods' receipt secured later; the seller's buy-back at default).

use super::*;

/// The unsecured limit check: `amount` more must fit in what the borrower's record suggests.
fn within_suggestion(borrower: &str, amount: Amount) -> Result<(), Error> {
    let suggestion = suggest_limit(borrower.into())?;
    if amount > suggestion.available {
        return Err(Error::OverLimit {
            amount,
            available: suggestion.available,
            rule: suggestion.rule,
        });
    }
    Ok(())
}

/// A live warehouse receipt the borrower holds and has not pledged.
fn pledgeable_receipt(id: ReceiptId, borrower: &str) -> Result<Receipt, Error> {
    let receipt: Receipt = call_method(&config().receipts, receipts_method::GET, &id)
        .ok_or_else(|| Error::Invalid(format!("there is no warehouse receipt {id}")))?;
    if receipt.owner != borrower {
        return Err(Error::Invalid(format!(
            "warehouse receipt {id} is held by {}, not by the borrower {borrower}",
            receipt.owner
        )));
    }
    if receipt.status != ReceiptStatus::Live {
        return Err(Error::Invalid(format!(
            "warehouse receipt {id} is {}: only a live receipt is pledged",
            receipt.status.as_str()
        )));
    }
    if let Some(lock) = &receipt.lock {
        return Err(Error::Invalid(format!(
            "warehouse receipt {id} is already pledged to {} for loan {}: the same goods are not pledged twice",
            lock.pledgee, lock.loan
        )));
    }
    Ok(receipt)
}

/// A pledgeable receipt whose appraised value covers `amount` within the loan-to-value limit.
fn within_ltv(id: ReceiptId, borrower: &str, amount: Amount) -> Result<(), Error> {
    let receipt = pledgeable_receipt(id, borrower)?;
    let ltv = config().ltv_bps;
    let most = (u128::from(receipt.value()) * u128::from(ltv) / 10_000) as Amount;
    if amount > most {
        return Err(Error::OverLtv {
            amount,
            value: receipt.value(),
            ltv_bps: ltv,
            most,
        });
    }
    Ok(())
}

/// A purchase order the borrower (its buyer) may finance: recorded, of kind purchase order,
/// binding the borrower and the seller, of at least `amount`, and not financed before.
fn financeable_order(
    order: &RecordId,
    seller: &str,
    borrower: &str,
    amount: Amount,
) -> Result<(), Error> {
    let hash = catena_sdk::hex(order);
    let record: Record = call_method(&config().records, records_method::GET, order)
        .ok_or_else(|| Error::Invalid(format!("0x{hash} is not a recorded document")))?;
    if record.kind != Kind::PurchaseOrder {
        return Err(Error::Invalid(format!(
            "document 0x{hash} is a {}, not a purchase order",
            record.kind.as_str()
        )));
    }
    if seller == borrower
        || !record.parties.iter().any(|p| p == borrower)
        || !record.parties.iter().any(|p| p == seller)
    {
        return Err(Error::Invalid(format!(
            "purchase order 0x{hash} must bind the borrower {borrower} as buyer and {seller} as seller"
        )));
    }
    match registry::member(&config().registry, seller) {
        Some(m) if !m.roles.contains(&Role::Auditor) => {}
        _ => return Err(Error::UnknownMember(seller.into())),
    }
    if amount > record.amount {
        return Err(Error::Invalid(format!(
            "{} is more than the purchase order's {}: a prepayment finances at most the order",
            format_amount(amount),
            format_amount(record.amount)
        )));
    }
    if let Some(loan) = storage::load::<LoanId>(&keys::order_key(order)) {
        return Err(Error::Invalid(format!(
            "purchase order 0x{hash} is financed already, by loan {loan}"
        )));
    }
    Ok(())
}

/// The collateral's rules for `amount` to `borrower`, checked at application and at approval.
pub(crate) fn check(collateral: &Collateral, borrower: &str, amount: Amount) -> Result<(), Error> {
    match collateral {
        Collateral::Voucher(_) => Err(Error::invalid(
            "a voucher is pledged with `voucher pledge`: the voucher contract puts the pledge on the ledger",
        )),
        Collateral::Unsecured => within_suggestion(borrower, amount),
        Collateral::Receipt(id) => within_ltv(*id, borrower, amount),
        Collateral::Order {
            order,
            seller,
            receipt,
            ..
        } => {
            if receipt.is_some() {
                return Err(Error::invalid(
                    "an order-financed loan starts without goods: they follow (`secure`)",
                ));
            }
            financeable_order(order, seller, borrower, amount)
        }
    }
}

/// At approval: a pledged receipt is locked for the lender, a financed order marked; who the
/// advance is paid to (the seller of an order, else the borrower).
pub(crate) fn take(loan: &Loan) -> Uscc {
    match &loan.collateral {
        Collateral::Unsecured | Collateral::Voucher(_) => loan.borrower.clone(),
        Collateral::Receipt(id) => {
            lock(*id, loan);
            loan.borrower.clone()
        }
        Collateral::Order { order, seller, .. } => {
            storage::save(&keys::order_key(order), &loan.id);
            seller.clone()
        }
    }
}

fn lock(receipt: ReceiptId, loan: &Loan) {
    let lock = LockReceipt {
        receipt,
        owner: loan.borrower.clone(),
        pledgee: loan.lender.clone(),
        loan: loan.id,
    };
    let _: () = call_method(&config().receipts, receipts_method::LOCK, &lock);
}

/// After a repayment: paid in full, the pledged receipt is unlocked; else goods are released in
/// proportion to the principal repaid (beyond what the lender already let go).
pub(crate) fn free_goods(loan: &Loan, accrual: &Accrual, paid: bool) {
    let Some(id) = loan.collateral.receipt() else {
        return;
    };
    let receipts = config().receipts;
    if paid {
        let _: () = call_method(&receipts, receipts_method::UNLOCK, &id);
        return;
    }
    let receipt: Option<Receipt> = call_method(&receipts, receipts_method::GET, &id);
    let Some(lock) = receipt.and_then(|r| r.lock) else {
        catena_sdk::fail("a loan's pledged receipt lost its lock: a bug");
    };
    let repaid = loan.amount - accrual.principal;
    let due =
        (u128::from(lock.pledged_quantity) * u128::from(repaid) / u128::from(loan.amount)) as u64;
    if due > lock.released {
        let release = GoodsMove {
            receipt: id,
            quantity: due - lock.released,
        };
        let _: () = call_method(&receipts, receipts_method::RELEASE, &release);
    }
}

/// At enforcement, with `owed` owed: a seller that undertook to buy the goods back pays what its
/// cash covers of it and takes the goods; else a pledged receipt passes to the lender. What is
/// still owed after.
pub(crate) fn enforce_on(loan: &Loan, owed: Amount) -> Amount {
    let (buyer, left) = match &loan.collateral {
        Collateral::Order {
            seller,
            buyback: true,
            ..
        } => {
            let cash: Amount = call_method(&config().cash, cash_method::BALANCE, seller);
            let paid = cash.min(owed);
            if paid > 0 {
                pay(seller, &loan.lender, paid);
            }
            (seller.clone(), owed - paid)
        }
        _ => (loan.lender.clone(), owed),
    };
    if let Some(receipt) = loan.collateral.receipt() {
        let seize = Seize { receipt, to: buyer };
        let _: () = call_method(&config().receipts, receipts_method::SEIZE, &seize);
    }
    left
}

/// The goods of an order-financed loan, received under a receipt its borrower holds, pledged to
/// the lender: by the borrower or the lender, once.
pub(crate) fn secure(args: Secure) -> Result<(), Error> {
    let mut loan = load(args.loan)?;
    let who = signer()?.uscc;
    if who != loan.borrower && who != loan.lender {
        return Err(Error::NotYours {
            who,
            role: "borrower or lender",
            id: loan.id,
        });
    }
    check_status(&loan, &[LoanStatus::Active, LoanStatus::Overdue])?;
    let Collateral::Order { receipt, .. } = &mut loan.collateral else {
        return Err(Error::invalid(
            "only an order-financed loan is secured by the goods after its advance",
        ));
    };
    if let Some(id) = receipt {
        return Err(Error::Invalid(format!(
            "loan {} is secured already, by warehouse receipt {id}",
            args.loan
        )));
    }
    pledgeable_receipt(args.receipt, &loan.borrower)?;
    *receipt = Some(args.receipt);
    lock(args.receipt, &loan);
    save(&loan);
    emit_encoded(events::SECURED, &loan);
    Ok(())
}

/// The seller of an order-financed loan undertakes to buy the goods back if the buyer defaults.
pub(crate) fn undertake_buyback(id: LoanId) -> Result<(), Error> {
    let mut loan = load(id)?;
    check_status(
        &loan,
        &[LoanStatus::Applied, LoanStatus::Active, LoanStatus::Overdue],
    )?;
    let who = signer()?.uscc;
    let Collateral::Order {
        seller, buyback, ..
    } = &mut loan.collateral
    else {
        return Err(Error::invalid(
            "a buy-back is undertaken for an order-financed loan only",
        ));
    };
    if who != *seller {
        return Err(Error::NotYours {
            who,
            role: "seller",
            id,
        });
    }
    if *buyback {
        return Err(Error::Invalid(format!(
            "the buy-back of loan {id} is undertaken already"
        )));
    }
    *buyback = true;
    save(&loan);
    emit_encoded(events::BUYBACK_UNDERTAKEN, &loan);
    Ok(())
}
