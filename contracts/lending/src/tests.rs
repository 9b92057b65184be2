//! The loan ledger's rules one at a time, on the mock host with the real registry, records and
//! cash contracts.

use super::*;
use catena_schema::cash::Mint;
use catena_schema::records::{Kind, NewRecord};
use catena_schema::voucher::DAY_MS;
use catena_sdk::mock;
use catena_testkit::{
    call, lending_contracts, m, query, refused, registry, trade_contracts, uscc_of, voucher_config,
    AUDITOR, BANK, CORE, FACTOR, LOGISTICS, OUTSIDER, TIER1, TIER2,
};

const MILLION: Amount = 100_000_000;
const START: u64 = 1_700_000_000_000;

/// The system contracts with the lending contract; the bank holds 10,000,000.00 of its own cash.
fn setup() {
    registry();
    trade_contracts(
        records::dispatch,
        cash::dispatch,
        voucher::dispatch,
        &voucher_config(),
    );
    lending_contracts(receipts::dispatch, dispatch);
    mock::set_block(2, START);
    let mint = Mint {
        to: uscc_of(BANK),
        amount: 10 * MILLION,
    };
    call(BANK, m::cash::MINT, &mint).expect("minted");
}

/// Tier 1 records a sales contract with the core and the invoice of it, both dated now and of the
/// same amount: a complete, timely and accurate record (rated AAA, 80 % of what it invoiced).
fn good_record(n: u8, amount: Amount) {
    let now = mock::block().1;
    let contract = NewRecord {
        kind: Kind::Contract,
        doc_hash: [n; 32],
        parties: vec![uscc_of(TIER1), uscc_of(CORE)],
        amount,
        currency: "CNY".into(),
        date_ms: now,
        links: vec![],
        invoice: None,
    };
    call(TIER1, m::records::RECORD, &contract).expect("contract recorded");
    let mut invoice = records::testing::invoice(n + 1, &uscc_of(TIER1), &uscc_of(CORE), amount);
    invoice.date_ms = now;
    invoice.links = vec![[n; 32]];
    call(TIER1, m::records::RECORD, &invoice).expect("invoice recorded");
}

fn application(amount: Amount) -> Application {
    Application {
        lender: uscc_of(BANK),
        amount,
        max_rate_bps: 600,
        due_ms: mock::block().1 + 90 * DAY_MS,
        collateral: Collateral::Unsecured,
    }
}

fn apply_for(amount: Amount) -> LoanId {
    let out = call(TIER1, m::lending::APPLY, &application(amount)).expect("applied");
    catena_sdk::decode(&out).expect("an id")
}

fn approve_at(id: LoanId, rate_bps: u32) {
    let approval = Approval { loan: id, rate_bps };
    call(BANK, m::lending::APPROVE, &approval).expect("approved");
}

fn loan(id: LoanId) -> Loan {
    query(m::lending::GET, &id).expect("the loan exists")
}

fn cash_of(member: u8) -> Amount {
    query(m::cash::BALANCE, &uscc_of(member))
}

fn limit() -> CreditSuggestion {
    query(m::lending::SUGGEST_LIMIT, &uscc_of(TIER1))
}

fn advance_to(time_ms: u64) {
    let (height, _) = mock::block();
    mock::set_block(height + 1, time_ms);
    for (_, outcome) in mock::run_due() {
        outcome.result.expect("a scheduled call succeeds");
    }
}

/// The ledger's own identity: what is owed is the principal plus the interest charged less what
/// was paid.
fn check_outstanding(loan: &Loan, now: u64) {
    let accrual = loan.accrual.as_ref().expect("advanced");
    let interest_charged = loan.interest_paid + accrual.interest_owed(now);
    assert_eq!(
        accrual.owed(now),
        loan.amount + interest_charged - accrual.received
    );
}

#[test]
fn the_limit_comes_from_the_borrowers_own_record() {
    setup();
    let empty = limit();
    assert_eq!((empty.limit, empty.available), (0, 0));
    good_record(10, 2 * MILLION);
    let s = limit();
    assert_eq!(s.records.rating, "AAA");
    assert_eq!(s.records.quality.invoiced, 2 * MILLION);
    assert_eq!(s.factor_bps, 10_000);
    assert_eq!(
        s.limit,
        16 * MILLION / 10,
        "80% of the 2,000,000.00 invoiced"
    );
    assert!(s.rule.contains("limit 1600000.00"), "{}", s.rule);
    assert!(
        s.records.rule.contains("it invoiced as seller"),
        "{}",
        s.records.rule
    );
    // A core enterprise's line suggestion is unchanged by the supplier's own tallies.
    let line: catena_schema::records::Suggestion = query(m::records::SUGGEST_LINE, &uscc_of(CORE));
    assert!(line.rule.contains("invoiced to it"), "{}", line.rule);
}

#[test]
fn a_data_credit_loan_is_applied_for_approved_and_advanced_within_the_limit() {
    setup();
    let error = refused(TIER1, m::lending::APPLY, &application(MILLION));
    assert!(error.contains("unsecured credit available"), "{error}");
    good_record(10, 2 * MILLION);
    let error = refused(TIER1, m::lending::APPLY, &application(17 * MILLION / 10));
    assert!(error.contains("1600000.00"), "{error}");
    let id = apply_for(MILLION);
    assert_eq!(loan(id).status, LoanStatus::Applied);
    assert_eq!(cash_of(TIER1), 0, "nothing moves before approval");
    // Only the lender approves, never above the borrower's highest rate.
    let error = refused(
        FACTOR,
        m::lending::APPROVE,
        &Approval {
            loan: id,
            rate_bps: 500,
        },
    );
    assert!(error.contains("not the lender"), "{error}");
    let error = refused(
        BANK,
        m::lending::APPROVE,
        &Approval {
            loan: id,
            rate_bps: 601,
        },
    );
    assert!(error.contains("6.00%"), "{error}");
    approve_at(id, 500);
    let loan = loan(id);
    assert_eq!(loan.status, LoanStatus::Active);
    assert_eq!(cash_of(TIER1), MILLION);
    assert_eq!(cash_of(BANK), 9 * MILLION);
    assert_eq!(limit().available, 6 * MILLION / 10);
    let error = refused(
        BANK,
        m::lending::APPROVE,
        &Approval {
            loan: id,
            rate_bps: 500,
        },
    );
    assert!(error.contains("is active"), "{error}");
    // A second application beyond what is left is refused.
    let error = refused(TIER1, m::lending::APPLY, &application(7 * MILLION / 10));
    assert!(error.contains("600000.00"), "{error}");
}

#[test]
fn applications_are_refused_with_reasons() {
    setup();
    good_record(10, 2 * MILLION);
    let mut to_supplier = application(MILLION);
    to_supplier.lender = uscc_of(TIER2);
    let error = refused(TIER1, m::lending::APPLY, &to_supplier);
    assert!(error.contains("not a financier"), "{error}");
    let mut past = application(MILLION);
    past.due_ms = START;
    assert!(refused(TIER1, m::lending::APPLY, &past).contains("due date"));
    let mut rate = application(MILLION);
    rate.max_rate_bps = 10_001;
    assert!(refused(TIER1, m::lending::APPLY, &rate).contains("100%"));
    assert!(refused(TIER1, m::lending::APPLY, &application(0)).contains("above zero"));
    assert!(refused(AUDITOR, m::lending::APPLY, &application(1)).contains("auditor"));
    assert!(refused(OUTSIDER, m::lending::APPLY, &application(1)).contains("not an account"));
    assert!(refused(BANK, m::lending::APPLY, &application(1)).contains("itself"));
}

#[test]
fn an_application_is_declined_or_withdrawn_once() {
    setup();
    good_record(10, 2 * MILLION);
    let declined = apply_for(MILLION / 2);
    assert!(refused(TIER1, m::lending::DECLINE, &declined).contains("not the lender"));
    call(BANK, m::lending::DECLINE, &declined).expect("declined");
    assert_eq!(loan(declined).status, LoanStatus::Declined);
    let withdrawn = apply_for(MILLION / 2);
    assert!(refused(BANK, m::lending::WITHDRAW, &withdrawn).contains("not the borrower"));
    call(TIER1, m::lending::WITHDRAW, &withdrawn).expect("withdrawn");
    let error = refused(
        BANK,
        m::lending::APPROVE,
        &Approval {
            loan: withdrawn,
            rate_bps: 0,
        },
    );
    assert!(error.contains("is withdrawn"), "{error}");
    assert!(refused(BANK, m::lending::DECLINE, &99).contains("no loan 99"));
    assert_eq!(cash_of(TIER1), 0);
}

#[test]
fn repayments_pay_interest_first_and_close_the_loan_on_time() {
    setup();
    good_record(10, 2 * MILLION);
    let id = apply_for(MILLION);
    approve_at(id, 360);
    // 30 days at 3.60% on 1,000,000.00: 3,000.00 of interest.
    advance_to(START + 30 * DAY_MS);
    let owed: Owed = query(m::lending::OWED, &id).expect("owed");
    assert_eq!((owed.principal, owed.interest), (MILLION, 300_000));
    let over = Repay {
        loan: id,
        amount: Some(owed.total + 1),
    };
    assert!(refused(TIER1, m::lending::REPAY, &over).contains("more than"));
    let part = Repay {
        loan: id,
        amount: Some(MILLION / 2),
    };
    assert!(refused(BANK, m::lending::REPAY, &part).contains("not the borrower"));
    call(TIER1, m::lending::REPAY, &part).expect("repaid in part");
    let after = loan(id);
    assert_eq!(after.interest_paid, 300_000);
    assert_eq!(
        after.accrual.as_ref().map(|a| a.principal),
        Some(MILLION - (MILLION / 2 - 300_000))
    );
    check_outstanding(&after, START + 30 * DAY_MS);
    assert_eq!(cash_of(BANK), 9 * MILLION + MILLION / 2);
    // The borrower needs more cash than the advance to pay the interest.
    call(
        BANK,
        m::cash::MINT,
        &Mint {
            to: uscc_of(TIER1),
            amount: MILLION,
        },
    )
    .expect("minted");
    let all = Repay {
        loan: id,
        amount: None,
    };
    call(TIER1, m::lending::REPAY, &all).expect("repaid");
    let closed = loan(id);
    assert_eq!(closed.status, LoanStatus::Repaid);
    assert_eq!(closed.repayments, 2);
    assert!(refused(TIER1, m::lending::REPAY, &all).contains("is repaid"));
    let history: History = query(m::lending::HISTORY, &uscc_of(TIER1));
    assert_eq!((history.on_time, history.unsecured), (1, 0));
    let s = limit();
    assert_eq!(s.factor_bps, 10_500, "5% more for a loan repaid on time");
    assert_eq!(s.available, 16 * MILLION / 10 * 105 / 100);
}

#[test]
fn a_loan_unpaid_at_its_due_date_falls_overdue_and_may_be_enforced() {
    setup();
    good_record(10, 2 * MILLION);
    let id = apply_for(MILLION);
    approve_at(id, 500);
    let due = loan(id).due_ms;
    assert!(refused(BANK, m::lending::ENFORCE, &id).contains("is active"));
    assert!(refused(TIER1, m::lending::MARK_OVERDUE, &id).contains("scheduled"));
    advance_to(due);
    let overdue = loan(id);
    assert_eq!(overdue.status, LoanStatus::Overdue);
    let page = LoanPage {
        party: Party::Overdue,
        after: None,
        limit: 10,
    };
    let listed: LoanListing = query(m::lending::LIST, &page);
    assert_eq!(listed.ids, vec![id]);
    let s = limit();
    assert_eq!((s.factor_bps, s.available), (0, 0));
    assert!(s.rule.contains("1 overdue"), "{}", s.rule);
    assert!(refused(TIER1, m::lending::ENFORCE, &id).contains("not the lender"));
    call(BANK, m::lending::ENFORCE, &id).expect("enforced");
    let enforced = loan(id);
    assert_eq!(enforced.status, LoanStatus::Enforced);
    assert!(enforced.enforced_owed > MILLION, "principal and interest");
    let listed: LoanListing = query(m::lending::LIST, &page);
    assert!(listed.ids.is_empty());
    let history: History = query(m::lending::HISTORY, &uscc_of(TIER1));
    assert_eq!(
        (history.enforced, history.overdue, history.unsecured),
        (1, 0, 0)
    );
    assert!(limit().rule.contains("1 loan(s) enforced"));
}

#[test]
fn a_loan_repaid_after_it_fell_overdue_counts_as_late() {
    setup();
    good_record(10, 2 * MILLION);
    let id = apply_for(MILLION);
    approve_at(id, 0);
    advance_to(loan(id).due_ms + DAY_MS);
    let all = Repay {
        loan: id,
        amount: None,
    };
    call(TIER1, m::lending::REPAY, &all).expect("repaid late");
    let history: History = query(m::lending::HISTORY, &uscc_of(TIER1));
    assert_eq!((history.late, history.overdue, history.on_time), (1, 0, 0));
    assert_eq!(limit().factor_bps, 7_500, "25% off for a loan repaid late");
}

#[test]
fn loans_are_listed_by_party_a_page_at_a_time_and_held_against_removal() {
    setup();
    good_record(10, 2 * MILLION);
    let ids: Vec<LoanId> = (0..3).map(|_| apply_for(MILLION / 10)).collect();
    approve_at(ids[0], 100);
    let page = |party, after| LoanPage {
        party,
        after,
        limit: 2,
    };
    let first: LoanListing = query(
        m::lending::LIST,
        &page(Party::Borrower(uscc_of(TIER1)), None),
    );
    assert_eq!(
        (first.ids.clone(), first.next),
        (ids[..2].to_vec(), Some(ids[1]))
    );
    let second: LoanListing = query(
        m::lending::LIST,
        &page(Party::Borrower(uscc_of(TIER1)), first.next),
    );
    assert_eq!((second.ids, second.next), (ids[2..].to_vec(), None));
    let lent: LoanListing = query(m::lending::LIST, &page(Party::Lender(uscc_of(BANK)), None));
    assert_eq!(lent.ids.len(), 2);
    let nobody: LoanListing = query(
        m::lending::LIST,
        &page(Party::Lender(uscc_of(LOGISTICS)), None),
    );
    assert!(nobody.ids.is_empty());
    let mut too_long = page(Party::Overdue, None);
    too_long.limit = 0;
    assert!(refused(OUTSIDER, m::lending::LIST, &too_long).contains("1 to"));
    let held: Vec<String> = query(m::lending::HOLDINGS, &uscc_of(TIER1));
    assert_eq!(held.len(), 3, "{held:?}");
    assert!(held[0].contains("100000.00 owed, as borrower"), "{held:?}");
    assert!(held[1].contains("open application"), "{held:?}");
    let lender: Vec<String> = query(m::lending::HOLDINGS, &uscc_of(BANK));
    assert_eq!(lender.len(), 3);
}

mod orders;
mod receipt_pledges;
mod voucher_pledges;
