//! Voucher pledges on the ledger (ADR 0045): the voucher contract keeps the money and the rules
//! it always had; the ledger lists the pledge as a loan with the voucher as collateral and owes
//! by the same arithmetic at every moment.

use super::*;
use catena_schema::lending::Owed;
use catena_schema::voucher::{
    Accept, FinanceKind, Offer, PledgeDue, Price, SetCreditLine, Status, Terms, Voucher, VoucherId,
};

/// The contracts with the voucher contract keeping its pledges on the ledger; the bank's line to
/// the core, the core's cash, and voucher 1 of 1,000,000.00 to tier 1, due in 30 days.
fn with_voucher() -> VoucherId {
    registry();
    let config = catena_schema::voucher::Config {
        lending: Some(catena_testkit::LENDING),
        ..voucher_config()
    };
    trade_contracts(
        records::dispatch,
        cash::dispatch,
        voucher::dispatch,
        &config,
    );
    lending_contracts(receipts::dispatch, dispatch);
    mock::set_block(2, START);
    for (to, amount) in [(BANK, 10 * MILLION), (CORE, 2 * MILLION)] {
        let mint = Mint {
            to: uscc_of(to),
            amount,
        };
        call(BANK, m::cash::MINT, &mint).expect("minted");
    }
    let line = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: 5 * MILLION,
    };
    call(BANK, m::voucher::SET_CREDIT_LINE, &line).expect("line");
    let invoice = records::testing::invoice(1, &uscc_of(TIER1), &uscc_of(CORE), MILLION);
    call(TIER1, m::records::RECORD, &invoice).expect("invoice");
    let terms = Terms {
        counterparty: uscc_of(TIER1),
        amount: MILLION,
        currency: "CNY".into(),
        maturity_ms: START + 30 * DAY_MS,
        invoices: vec![[1; 32]],
        records: vec![],
        line: None,
    };
    let out = call(CORE, m::voucher::ISSUE, &terms).expect("issued");
    catena_sdk::decode(&out).expect("an id")
}

fn pledge(voucher: VoucherId) -> LoanId {
    let offer = Offer {
        voucher,
        financier: uscc_of(BANK),
        kind: FinanceKind::Pledge,
        min_price: 1,
    };
    call(TIER1, m::voucher::OFFER, &offer).expect("offered");
    let accept = Accept {
        voucher,
        price: Price::Amount(6 * MILLION / 10),
        recourse: false,
        interest_bps: 365,
    };
    call(BANK, m::voucher::ACCEPT, &accept).expect("accepted");
    let page = LoanPage {
        party: Party::Borrower(uscc_of(TIER1)),
        after: None,
        limit: 100,
    };
    let listed: LoanListing = query(m::lending::LIST, &page);
    *listed.ids.last().expect("the pledge is a loan")
}

/// The ledger owes what the voucher contract's pledge secures.
fn same_owed(voucher: VoucherId, loan_id: LoanId) {
    let due: Option<PledgeDue> = query(m::voucher::PLEDGE_DUE, &voucher);
    let owed: Option<Owed> = query(m::lending::OWED, &loan_id);
    let (due, owed) = (due.expect("pledged"), owed.expect("a loan"));
    assert_eq!((owed.total, owed.interest), (due.owed, due.interest));
}

#[test]
fn a_voucher_pledge_is_a_loan_on_the_ledger_owing_the_same() {
    let voucher = with_voucher();
    let id = pledge(voucher);
    let l = loan(id);
    assert_eq!(
        (l.collateral.clone(), l.status, l.amount, l.lender.clone()),
        (
            Collateral::Voucher(voucher),
            LoanStatus::Active,
            6 * MILLION / 10,
            uscc_of(BANK)
        )
    );
    same_owed(voucher, id);
    advance_to(START + 10 * DAY_MS + 5);
    same_owed(voucher, id);
    // Its money moves through the voucher contract only.
    let repay = Repay {
        loan: id,
        amount: None,
    };
    assert!(refused(TIER1, m::lending::REPAY, &repay).contains("voucher repay"));
    let direct = Application {
        collateral: Collateral::Voucher(voucher),
        ..application(1)
    };
    assert!(refused(TIER1, m::lending::APPLY, &direct).contains("voucher pledge"));
    let open = catena_schema::lending::VoucherPledge {
        voucher,
        lender: uscc_of(BANK),
        borrower: uscc_of(TIER1),
        advance: 1,
        rate_bps: 0,
        due_ms: START + DAY_MS,
    };
    assert!(refused(TIER1, m::lending::OPEN_PLEDGE, &open).contains("only the voucher contract"));
    let interest = Mint {
        to: uscc_of(TIER1),
        amount: MILLION / 100,
    };
    call(BANK, m::cash::MINT, &interest).expect("minted");
    call(TIER1, m::voucher::REPAY, &voucher).expect("repaid through the voucher contract");
    let repaid = loan(id);
    let v: Voucher = query(m::voucher::GET, &voucher).expect("the voucher");
    assert_eq!(
        (repaid.status, v.status),
        (LoanStatus::Repaid, Status::Active)
    );
    // 600,000.00 at 3.65% for 11 started days: 669.16.
    assert_eq!(repaid.interest_paid, 66_916);
    let history: History = query(m::lending::HISTORY, &uscc_of(TIER1));
    assert_eq!(history.on_time, 1);
}

#[test]
fn settlement_at_maturity_repays_the_pledge_on_the_ledger() {
    let voucher = with_voucher();
    let id = pledge(voucher);
    advance_to(START + 30 * DAY_MS);
    let v: Voucher = query(m::voucher::GET, &voucher).expect("the voucher");
    assert_eq!(v.status, Status::Settled);
    let l = loan(id);
    assert_eq!(l.status, LoanStatus::Repaid);
    let received = l.accrual.as_ref().map(|a| a.received);
    // The advance and 30 days' interest, paid to the bank from the issuer's money.
    assert_eq!(received, Some(6 * MILLION / 10 + 182_500));
}
