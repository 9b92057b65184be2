//! The voucher rules one at a time, on the mock host with the real registry, records and cash
//! contracts. `tests/model.rs` drives random sequences of them against a model.

use super::*;
use catena_schema::cash::Mint;
use catena_schema::records::NewRecord;
use catena_sdk::mock;
use catena_testkit::{
    call, call_bytes, m, query, refused, registry, trade_contracts, uscc_of, voucher_config,
    AUDITOR, BANK, CORE, FACTOR, LOGISTICS, OUTSIDER, REGISTRY, TIER1, TIER2, TIER3, VOUCHER,
};

const DAY: u64 = 86_400_000;
const MILLION: Amount = 100_000_000;

/// The registry, records, cash and voucher contracts; the bank gives the core a credit line of
/// 5,000,000.00 and mints it 2,000,000.00; tier 1 records invoice 1 (1,000,000.00) and invoice 2
/// (300,000.00) to the core.
fn setup() {
    registry();
    trade_contracts(
        records::dispatch,
        cash::dispatch,
        dispatch,
        &voucher_config(),
    );
    let line = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: 5 * MILLION,
    };
    call(BANK, m::voucher::SET_CREDIT_LINE, &line).expect("credit line");
    mint(CORE, 2 * MILLION);
    record_invoice(1, MILLION);
    record_invoice(2, 3 * MILLION / 10);
}

fn mint(to: u8, amount: Amount) {
    let args = Mint {
        to: uscc_of(to),
        amount,
    };
    call(BANK, m::cash::MINT, &args).expect("minted");
}

fn record_invoice(n: u8, amount: Amount) {
    let invoice: NewRecord = records::testing::invoice(n, &uscc_of(TIER1), &uscc_of(CORE), amount);
    call(TIER1, m::records::RECORD, &invoice).expect("invoice recorded");
}

fn terms(counterparty: u8, amount: Amount, invoices: &[u8]) -> Terms {
    Terms {
        counterparty: uscc_of(counterparty),
        amount,
        currency: "CNY".into(),
        maturity_ms: mock::block().1 + 30 * DAY,
        invoices: invoices.iter().map(|n| [*n; 32]).collect(),
        records: Vec::new(),
        line: None,
    }
}

fn issue(amount: Amount) -> VoucherId {
    let out = call(CORE, m::voucher::ISSUE, &terms(TIER1, amount, &[1])).expect("issued");
    catena_sdk::decode(&out).expect("an id")
}

fn voucher(id: VoucherId) -> Voucher {
    query(m::voucher::GET, &id).expect("the voucher exists")
}

fn cash_of(member: u8) -> Amount {
    query(m::cash::BALANCE, &uscc_of(member))
}

fn transfer(who: u8, id: VoucherId, to: u8, amount: Option<Amount>) -> Result<VoucherId, String> {
    let args = Transfer {
        voucher: id,
        to: uscc_of(to),
        amount,
    };
    call(who, m::voucher::TRANSFER, &args).map(|out| catena_sdk::decode(&out).expect("an id"))
}

/// Moves the mock's clock to `time_ms` and runs the calls due, as the node does at the start
/// of a block.
fn advance_to(time_ms: u64) {
    let (height, _) = mock::block();
    mock::set_block(height + 1, time_ms);
    for (_, outcome) in mock::run_due() {
        outcome.result.expect("a scheduled settlement succeeds");
    }
}

/// An acceptance of the offer of voucher `id` at `price`, without interest.
fn acceptance(id: VoucherId, price: Price, recourse: bool) -> Accept {
    Accept {
        voucher: id,
        price,
        recourse,
        interest_bps: 0,
    }
}

/// [`setup`], and the core issues tier 1 a 1,000,000.00 voucher on invoice 1.
fn setup_with_a_voucher() -> VoucherId {
    setup();
    issue(MILLION)
}

/// After [`setup`]: the bank holds 1,000,000.00 in cash and tier 1 a 1,000,000.00 voucher.
fn issued_with_a_funded_bank() -> VoucherId {
    setup();
    mint(BANK, MILLION);
    issue(MILLION)
}

/// After [`setup`]: the factor holds 1,000,000.00 in cash and tier 1 offers it a 1,000,000.00
/// voucher for factoring.
fn offered_to_the_factor() -> VoucherId {
    setup();
    mint(FACTOR, MILLION);
    let id = issue(MILLION);
    offer(id, FACTOR, FinanceKind::Factoring);
    id
}

/// [`offered_to_the_factor`], and the factor accepts at `price`, with or without recourse.
fn factored(price: Price, recourse: bool) -> VoucherId {
    let id = offered_to_the_factor();
    call(FACTOR, m::voucher::ACCEPT, &acceptance(id, price, recourse)).expect("factored");
    id
}

/// Member `from` pays `amount` of its cash to `to`.
fn spend(from: u8, to: u8, amount: Amount) {
    let args = catena_schema::cash::Transfer {
        to: uscc_of(to),
        amount,
        custodian: None,
    };
    call(from, m::cash::TRANSFER, &args).expect("spent");
}

#[test]
fn request_and_confirm_issues_to_the_supplier() {
    setup();
    let out = call(TIER1, m::voucher::REQUEST, &terms(CORE, MILLION, &[1])).expect("requested");
    let request: u64 = catena_sdk::decode(&out).expect("id");
    assert!(refused(TIER2, m::voucher::CONFIRM, &request)
        .contains(&format!("it is {}'s", uscc_of(CORE))));
    let out = call(CORE, m::voucher::CONFIRM, &request).expect("confirmed");
    let id: VoucherId = catena_sdk::decode(&out).expect("id");
    let v = voucher(id);
    assert_eq!(
        (v.holder.clone(), v.amount, v.status),
        (uscc_of(TIER1), MILLION, Status::Active)
    );
    assert_eq!(
        v.backing,
        vec![Backing {
            invoice: [1; 32],
            amount: MILLION
        }]
    );
    assert!(refused(CORE, m::voucher::CONFIRM, &request).contains("is confirmed"));
    assert_eq!(
        query(m::voucher::CREDIT_LINE, &uscc_of(CORE)).outstanding(),
        Total::from(MILLION)
    );
    assert_eq!(
        mock::scheduled().len(),
        1,
        "settlement is scheduled at maturity"
    );
    assert_eq!(mock::scheduled()[0].at_ms, v.maturity_ms);
}

#[test]
fn the_issue_rules() {
    setup();
    let mut past = terms(TIER1, MILLION, &[1]);
    past.maturity_ms = mock::block().1;
    assert!(refused(CORE, m::voucher::ISSUE, &past).contains("future"));
    assert!(refused(CORE, m::voucher::ISSUE, &terms(TIER1, 0, &[1])).contains("above zero"));
    assert!(refused(TIER1, m::voucher::ISSUE, &terms(TIER2, 10, &[1])).contains("'core'"));
    assert!(refused(CORE, m::voucher::ISSUE, &terms(TIER2, 10, &[1]))
        .contains("first holder as seller"));
    assert!(refused(CORE, m::voucher::ISSUE, &terms(TIER1, 10, &[9])).contains("not recorded"));
    assert!(refused(CORE, m::voucher::ISSUE, &terms(AUDITOR, 10, &[1])).contains("cannot hold"));
    let mut usd = terms(TIER1, 10, &[1]);
    usd.currency = "USD".into();
    assert!(refused(CORE, m::voucher::ISSUE, &usd).contains("settles in CNY"));
    // Invoices 1 and 2 together back 1,300,000.00.
    assert!(
        refused(CORE, m::voucher::ISSUE, &terms(TIER1, MILLION + 1, &[1]))
            .contains("double financing")
    );
    let id: VoucherId = catena_sdk::decode(
        &call(
            CORE,
            m::voucher::ISSUE,
            &terms(TIER1, 12 * MILLION / 10, &[1, 2]),
        )
        .expect("issued"),
    )
    .expect("id");
    assert_eq!(voucher(id).backing.len(), 2);
    assert_eq!(query(m::voucher::INVOICE_USE, &[2u8; 32]), 2 * MILLION / 10);
    // A second voucher on the same invoice is double financing.
    let error = refused(
        CORE,
        m::voucher::ISSUE,
        &terms(TIER1, MILLION / 10 + 1, &[1, 2]),
    );
    assert!(
        error.contains("invoice 00000001 already backs vouchers for its whole amount"),
        "{error}"
    );
    assert!(refused(
        CORE,
        m::voucher::ISSUE,
        &terms(TIER1, MILLION / 10 + 1, &[2])
    )
    .contains("double financing"));
}

#[test]
fn the_credit_line_bounds_outstanding_vouchers() {
    setup();
    let line = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: MILLION / 2,
    };
    call(BANK, m::voucher::SET_CREDIT_LINE, &line).expect("lowered");
    assert!(refused(CORE, m::voucher::ISSUE, &terms(TIER1, MILLION, &[1])).contains("credit line"));
    issue(MILLION / 2);
    let lower = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: MILLION / 4,
    };
    assert!(refused(BANK, m::voucher::SET_CREDIT_LINE, &lower).contains("outstanding"));
    assert!(refused(CORE, m::voucher::SET_CREDIT_LINE, &line).contains("'financier'"));
}

#[test]
fn split_parts_add_up_exactly() {
    let id = setup_with_a_voucher();
    let split = |amounts: Vec<Amount>| Split {
        voucher: id,
        amounts,
    };
    assert!(refused(
        TIER1,
        m::voucher::SPLIT,
        &split(vec![MILLION / 2, MILLION / 2 - 1])
    )
    .contains("add up exactly"));
    assert!(
        refused(TIER1, m::voucher::SPLIT, &split(vec![MILLION - 50, 50])).contains("smallest part")
    );
    assert!(refused(TIER1, m::voucher::SPLIT, &split(vec![MILLION])).contains("2 to 10 parts"));
    assert!(
        refused(TIER2, m::voucher::SPLIT, &split(vec![MILLION / 2; 2]))
            .contains(&format!("it is {}'s", uscc_of(TIER1)))
    );
    let out = call(
        TIER1,
        m::voucher::SPLIT,
        &split(vec![6 * MILLION / 10, 4 * MILLION / 10]),
    )
    .expect("split");
    let parts: Vec<VoucherId> = catena_sdk::decode(&out).expect("ids");
    assert_eq!(voucher(id).status, Status::Split);
    assert_eq!(
        parts.iter().map(|p| voucher(*p).amount).sum::<Amount>(),
        MILLION
    );
    assert!(parts.iter().all(|p| voucher(*p).parent == Some(id)));
    assert!(refused(TIER1, m::voucher::SPLIT, &split(vec![MILLION / 2; 2])).contains("is split"));
    assert_eq!(query(m::voucher::LINEAGE, &parts[1]).len(), 3);
}

#[test]
fn transfers_go_up_the_chain_and_keep_the_path() {
    let id = setup_with_a_voucher();
    let moved = transfer(TIER1, id, TIER2, Some(3 * MILLION / 10)).expect("part moved");
    assert_ne!(moved, id, "an amount is split off first");
    assert_eq!(voucher(moved).holder, uscc_of(TIER2));
    let again = transfer(TIER2, moved, TIER3, None).expect("moved on");
    assert_eq!(again, moved);
    assert_eq!(
        query(m::voucher::PATH, &moved),
        vec![uscc_of(TIER1), uscc_of(TIER2), uscc_of(TIER3)]
    );
    assert_eq!(held(TIER3), vec![moved]);
    let before = mock::snapshot();
    assert!(transfer(TIER3, moved, OUTSIDER, None)
        .expect_err("stranger")
        .contains("is not a member"));
    assert!(transfer(TIER3, moved, LOGISTICS, None)
        .expect_err("logistics")
        .contains("cannot hold"));
    assert!(transfer(TIER3, moved, TIER3, None)
        .expect_err("self")
        .contains("its holder"));
    assert!(transfer(TIER3, 999, TIER1, None)
        .expect_err("unknown")
        .contains("no voucher 999"));
    assert_eq!(mock::snapshot(), before);
}

#[test]
fn a_pledge_pays_the_advance_freezes_the_voucher_and_is_released_on_repayment() {
    let id = setup_with_a_voucher();
    offer(id, BANK, FinanceKind::Pledge);
    assert!(transfer(TIER1, id, TIER2, None)
        .expect_err("offer open")
        .contains("withdraw the offer"));
    let accept = acceptance(id, Price::Amount(8 * MILLION / 10), false);
    assert!(refused(BANK, m::voucher::ACCEPT, &accept).contains("holds 0.00 in cash"));
    mint(BANK, MILLION);
    assert!(refused(FACTOR, m::voucher::ACCEPT, &accept).contains("offer: it is"));
    call(BANK, m::voucher::ACCEPT, &accept).expect("accepted");
    assert_eq!(
        cash_of(TIER1),
        8 * MILLION / 10,
        "the advance is paid in the same call"
    );
    let v = voucher(id);
    assert_eq!(
        (v.status, v.pledge.clone().map(|p| p.pledgee)),
        (Status::Pledged, Some(uscc_of(BANK)))
    );
    assert!(transfer(TIER1, id, TIER2, None)
        .expect_err("pledged")
        .contains("is pledged"));
    let split = Split {
        voucher: id,
        amounts: vec![MILLION / 2; 2],
    };
    assert!(refused(TIER1, m::voucher::SPLIT, &split).contains("is pledged"));
    assert!(refused(TIER2, m::voucher::RELEASE, &id).contains("pledge: it is"));
    call(TIER1, m::voucher::REPAY, &id).expect("repaid");
    assert_eq!((cash_of(TIER1), voucher(id).status), (0, Status::Active));
    transfer(TIER1, id, TIER2, None).expect("free to move again");
}

#[test]
fn factoring_makes_the_financier_the_holder() {
    let id = factored(Price::DiscountBps(250), true);
    let v = voucher(id);
    assert_eq!(cash_of(TIER1), 97_500_000, "face less 2.5%");
    assert_eq!(v.holder, uscc_of(FACTOR));
    assert_eq!(
        v.factoring.and_then(|f| f.recourse_to),
        Some(uscc_of(TIER1))
    );
}

#[test]
fn cancel_needs_issuer_and_holder_and_frees_credit_and_invoices() {
    let id = setup_with_a_voucher();
    call(CORE, m::voucher::CANCEL, &id).expect("issuer agrees");
    assert_eq!(
        voucher(id).status,
        Status::Active,
        "one consent is not enough"
    );
    assert!(refused(CORE, m::voucher::CANCEL, &id).contains("already agreed"));
    assert!(refused(TIER2, m::voucher::CANCEL, &id).contains("may not act"));
    call(TIER1, m::voucher::CANCEL, &id).expect("holder agrees");
    assert_eq!(voucher(id).status, Status::Cancelled);
    assert_eq!(query(m::voucher::INVOICE_USE, &[1u8; 32]), 0);
    assert_eq!(
        query(m::voucher::CREDIT_LINE, &uscc_of(CORE)).outstanding(),
        0
    );
    let moved = issue(MILLION / 2);
    transfer(TIER1, moved, TIER2, None).expect("moved");
    assert!(refused(TIER2, m::voucher::CANCEL, &moved).contains("only an untouched original"));
}

#[test]
fn maturity_pays_every_live_part_without_a_transaction() {
    let id = issued_with_a_funded_bank();
    let to_tier2 = transfer(TIER1, id, TIER2, Some(4 * MILLION / 10)).expect("moved");
    transfer(TIER2, to_tier2, TIER3, Some(MILLION / 10)).expect("moved");
    // Tier 2 keeps the other 300,000.00 of its part, and pledges it.
    let kept = voucher(to_tier2).children[1];
    offer(kept, BANK, FinanceKind::Pledge);
    let price = Price::Amount(2 * MILLION / 10);
    call(BANK, m::voucher::ACCEPT, &acceptance(kept, price, false)).expect("pledged");
    let (tier1, tier2, tier3, bank) = (
        cash_of(TIER1),
        cash_of(TIER2),
        cash_of(TIER3),
        cash_of(BANK),
    );
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity - 1);
    assert_eq!(
        cash_of(CORE),
        2 * MILLION,
        "nothing is paid before maturity"
    );
    advance_to(maturity);
    assert_eq!(cash_of(CORE), MILLION);
    assert_eq!(cash_of(TIER1) - tier1, 6 * MILLION / 10);
    assert_eq!(
        cash_of(TIER2) - tier2,
        MILLION / 10,
        "the pledged part pays the pledgee what is secured and the pledgor the surplus"
    );
    assert_eq!(cash_of(TIER3) - tier3, MILLION / 10);
    assert_eq!(cash_of(BANK) - bank, 2 * MILLION / 10);
    for v in query(m::voucher::LINEAGE, &id) {
        assert!(
            matches!(v.status, Status::Settled | Status::Split),
            "{:?}",
            v.status
        );
    }
    assert_eq!(
        query(m::voucher::CREDIT_LINE, &uscc_of(CORE)).outstanding(),
        0
    );
    assert!(mock::scheduled().is_empty(), "nothing is left to retry");
    call(TIER3, m::voucher::SETTLE, &id).expect("after maturity any member may push settlement");
    assert_eq!(
        cash_of(TIER3) - tier3,
        MILLION / 10,
        "and nothing is paid twice"
    );
}

#[test]
fn an_issuer_without_cash_goes_overdue_and_pays_when_cash_arrives() {
    let id = setup_with_a_voucher();
    let core_cash = cash_of(CORE);
    spend(CORE, BANK, core_cash - MILLION / 4);
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity);
    let v = voucher(id);
    assert_eq!(
        (v.status, v.paid),
        (Status::Overdue, MILLION / 4),
        "partial payment is recorded"
    );
    assert_eq!(cash_of(TIER1), MILLION / 4);
    advance_to(maturity + 1000);
    assert_eq!(voucher(id).status, Status::Overdue, "retried, still unpaid");
    assert_eq!(mock::scheduled().len(), 1, "and retried again next block");
    mint(CORE, MILLION);
    advance_to(maturity + 2000);
    let v = voucher(id);
    assert_eq!((v.status, v.paid), (Status::Settled, MILLION));
    assert_eq!(cash_of(TIER1), MILLION);
    assert!(mock::scheduled().is_empty());
}

#[test]
fn settlement_cannot_be_triggered_before_maturity() {
    let id = setup_with_a_voucher();
    assert!(refused(TIER1, m::voucher::SETTLE, &id).contains("not before"));
    let mut far = terms(TIER1, 10, &[1]);
    far.maturity_ms = u64::MAX;
    assert!(refused(CORE, m::voucher::ISSUE, &far).contains("after the year 9999"));
}

#[test]
fn the_holders_least_price_binds_the_financier() {
    let id = issued_with_a_funded_bank();
    offer_at(id, BANK, FinanceKind::Pledge, 9 * MILLION / 10);
    let low = acceptance(id, Price::Amount(MILLION / 100), false);
    assert!(refused(BANK, m::voucher::ACCEPT, &low).contains("below the least the holder accepts"));
    let discount = acceptance(id, Price::DiscountBps(2_000), false);
    assert!(refused(BANK, m::voucher::ACCEPT, &discount).contains("below the least"));
    let fair = acceptance(id, Price::DiscountBps(500), false);
    call(BANK, m::voucher::ACCEPT, &fair).expect("at 95%");
    assert_eq!(cash_of(TIER1), 95 * MILLION / 100);
}

fn held(member: u8) -> Vec<VoucherId> {
    let page = Page {
        owner: uscc_of(member),
        after: None,
        limit: MAX_PAGE,
    };
    query(m::voucher::HELD_BY, &page).ids
}

fn lines() -> Vec<(u8, Amount, Amount)> {
    query(m::voucher::CREDIT_LINE, &uscc_of(CORE))
        .lines
        .into_iter()
        .map(|l| {
            let who = if l.financier == uscc_of(BANK) {
                BANK
            } else {
                FACTOR
            };
            (who, l.limit, l.outstanding)
        })
        .collect()
}

fn set_line(financier: u8, limit: Amount) -> Result<Vec<u8>, String> {
    let line = SetCreditLine {
        issuer: uscc_of(CORE),
        limit,
    };
    call(financier, m::voucher::SET_CREDIT_LINE, &line)
}

#[test]
fn each_financier_grants_its_own_credit_line() {
    setup();
    // A rival sets its own line: the bank's stays, and the core's available line is the sum.
    set_line(FACTOR, 0).expect("a line of zero is no line");
    assert_eq!(lines(), vec![(BANK, 5 * MILLION, 0)]);
    set_line(FACTOR, MILLION / 2).expect("the factor grants its own");
    assert_eq!(
        lines(),
        vec![(BANK, 5 * MILLION, 0), (FACTOR, MILLION / 2, 0)]
    );
    // Issues draw on the lines in financier USCC order (the bank's sorts first) ...
    record_invoice(3, 6 * MILLION);
    let all = call(
        CORE,
        m::voucher::ISSUE,
        &terms(TIER1, 5 * MILLION + MILLION / 4, &[3]),
    );
    let id: VoucherId = catena_sdk::decode(&all.expect("issued")).expect("id");
    assert_eq!(
        lines(),
        vec![
            (BANK, 5 * MILLION, 5 * MILLION),
            (FACTOR, MILLION / 2, MILLION / 4)
        ]
    );
    assert_eq!(
        query(m::voucher::DRAWS, &id),
        vec![
            Draw {
                financier: uscc_of(BANK),
                amount: 5 * MILLION
            },
            Draw {
                financier: uscc_of(FACTOR),
                amount: MILLION / 4
            }
        ]
    );
    // ... or on the one named.
    let mut named = terms(TIER1, MILLION / 2, &[3]);
    named.line = Some(uscc_of(BANK));
    assert_eq!(
        refused(CORE, m::voucher::ISSUE, &named),
        format!(
            "issuer {} has 0.00 available on the credit line of {}, the voucher needs 500000.00",
            uscc_of(CORE),
            uscc_of(BANK)
        )
    );
    assert!(
        refused(CORE, m::voucher::ISSUE, &terms(TIER1, MILLION / 2, &[3]))
            .contains("has 250000.00 of its credit lines available")
    );
    // Only the granting financier changes its line, never below what it backs.
    assert!(set_line(FACTOR, MILLION / 5)
        .expect_err("below")
        .contains("what it backs"));
    assert!(refused(
        CORE,
        m::voucher::SET_CREDIT_LINE,
        &SetCreditLine {
            issuer: uscc_of(CORE),
            limit: 1
        }
    )
    .contains("'financier'"));
    // Cancelling frees both lines.
    call(CORE, m::voucher::CANCEL, &id).expect("consent");
    call(TIER1, m::voucher::CANCEL, &id).expect("cancelled");
    assert_eq!(
        lines(),
        vec![(BANK, 5 * MILLION, 0), (FACTOR, MILLION / 2, 0)]
    );
    set_line(FACTOR, 0).expect("closed");
    assert_eq!(lines(), vec![(BANK, 5 * MILLION, 0)]);
}

#[test]
fn no_member_grants_a_credit_line_to_itself() {
    setup();
    // A member that is both a core enterprise and a financier.
    let both = catena_schema::registry::MemberRecord {
        name: "Conglomerate".into(),
        uscc: uscc_of(42),
        roles: vec![Role::Core, Role::Financier],
        accounts: vec![[42; 32]],
    };
    for (key, value) in both.entries() {
        mock::put(REGISTRY, &key, &value);
    }
    let own = SetCreditLine {
        issuer: uscc_of(42),
        limit: MILLION,
    };
    assert_eq!(
        refused(42, m::voucher::SET_CREDIT_LINE, &own),
        Error::SelfGrant(uscc_of(42)).to_string()
    );
    call(BANK, m::voucher::SET_CREDIT_LINE, &own).expect("another financier may");
}

/// A pledge at 3.65% a year: 300,000.00 advanced, maturity 30 days on. At maturity the bank is
/// paid the advance and 30 days' interest to the fen, and the pledgor the surplus.
#[test]
fn a_pledge_secures_advance_and_interest_and_the_surplus_goes_to_the_pledgor() {
    let id = pledged_part(365);
    let (bank, tier1) = (cash_of(BANK), cash_of(TIER1));
    let due: Option<PledgeDue> = query(m::voucher::PLEDGE_DUE, &id);
    let due = due.expect("pledged");
    assert_eq!(
        (due.days, due.interest, due.secured),
        (0, 0, 3 * MILLION / 10)
    );
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity);
    // 300,000.00 × 3.65% × 30 / 360 = 912.50
    let interest = 91_250;
    assert_eq!(cash_of(BANK) - bank, 3 * MILLION / 10 + interest);
    assert_eq!(cash_of(TIER1) - tier1, MILLION / 10 - interest);
    assert_eq!(voucher(id).status, Status::Settled);
}

/// After [`setup`]: a 400,000.00 voucher of tier 1's pledged to the bank for 300,000.00 at
/// `rate_bps` a year.
fn pledged_part(rate_bps: u32) -> VoucherId {
    setup();
    let id = issue(4 * MILLION / 10);
    mint(BANK, MILLION);
    offer(id, BANK, FinanceKind::Pledge);
    let accept = Accept {
        interest_bps: rate_bps,
        ..acceptance(id, Price::Amount(3 * MILLION / 10), false)
    };
    call(BANK, m::voucher::ACCEPT, &accept).expect("pledged");
    id
}

/// The holder offers voucher `id` to `financier` for `kind`, at any price.
fn offer(id: VoucherId, financier: u8, kind: FinanceKind) {
    offer_at(id, financier, kind, 1);
}

/// The holder (a supplier) offers voucher `id` to `financier` for `kind`, at `min_price` at least.
fn offer_at(id: VoucherId, financier: u8, kind: FinanceKind, min_price: Amount) {
    let offer = Offer {
        voucher: id,
        financier: uscc_of(financier),
        kind,
        min_price,
    };
    let holder = [TIER1, TIER2, TIER3]
        .into_iter()
        .find(|m| voucher(id).holder == uscc_of(*m))
        .expect("a supplier holds it");
    call(holder, m::voucher::OFFER, &offer).expect("offered");
}

/// The auditor's case: an 80,000.00 advance at 5.40% on a 100,000.00 part due in 30 days. The
/// issuer pays 90,000.00 at maturity, which covers the pledge (the advance and 360.00 of
/// interest); the pledge ends there. The rest arrives 30 days later and goes to the pledgor
/// whole: no more interest runs on an advance that was paid.
#[test]
fn a_pledge_paid_at_maturity_ends_and_charges_no_later_interest() {
    setup();
    let id = issue(MILLION / 10);
    mint(BANK, MILLION);
    offer(id, BANK, FinanceKind::Pledge);
    let accept = Accept {
        interest_bps: 540,
        ..acceptance(id, Price::Amount(8 * MILLION / 100), false)
    };
    call(BANK, m::voucher::ACCEPT, &accept).expect("pledged");
    spend(CORE, TIER3, cash_of(CORE) - 9 * MILLION / 100);
    let (bank, tier1) = (cash_of(BANK), cash_of(TIER1));
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity);
    // 80,000.00 × 5.40% × 30 / 360 = 360.00
    assert_eq!(cash_of(BANK) - bank, 8 * MILLION / 100 + 36_000);
    assert_eq!(cash_of(TIER1) - tier1, MILLION / 100 - 36_000);
    let v = voucher(id);
    assert_eq!((v.status, v.pledge.clone()), (Status::Overdue, None));
    assert!(
        history_has_release(id),
        "the pledge ended when its claim was paid"
    );
    let due: Option<PledgeDue> = query(m::voucher::PLEDGE_DUE, &id);
    assert!(due.is_none());
    mint(CORE, MILLION);
    advance_to(maturity + 30 * DAY);
    assert_eq!(
        cash_of(BANK) - bank,
        8 * MILLION / 100 + 36_000,
        "nothing more"
    );
    assert_eq!(cash_of(TIER1) - tier1, 2 * MILLION / 100 - 36_000);
    assert_eq!(voucher(id).status, Status::Settled);
    let due: Vec<String> = query(m::voucher::HOLDINGS, &uscc_of(BANK));
    assert!(!due.iter().any(|h| h.contains("pledgee")), "{due:?}");
}

fn history_has_release(id: VoucherId) -> bool {
    let history: Vec<HistoryEntry> = query(m::voucher::HISTORY, &id);
    history
        .iter()
        .any(|e| matches!(e.action, Action::Released { .. }))
}

#[test]
fn an_unpaid_pledge_pays_the_pledgee_first_and_can_be_repaid_while_overdue() {
    let id = pledged_part(720);
    // The core keeps only 100,000.00.
    spend(CORE, TIER3, cash_of(CORE) - MILLION / 10);
    let (bank, tier1) = (cash_of(BANK), cash_of(TIER1));
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity);
    assert_eq!(
        cash_of(BANK) - bank,
        MILLION / 10,
        "the pledgee is paid first"
    );
    assert_eq!(cash_of(TIER1), tier1);
    let v = voucher(id);
    assert_eq!((v.status, v.paid), (Status::Overdue, MILLION / 10));
    // The 100,000.00 paid 30 days' interest on the whole advance first (300,000.00 × 7.2% ×
    // 30 / 360 = 1,800.00), then 98,200.00 of the advance: 201,800.00 is left unpaid.
    let pledge = v.pledge.expect("still pledged");
    assert_eq!(
        (pledge.principal, pledge.interest_due, pledge.days_charged),
        (20_180_000, 0, 30)
    );
    // Repaying while overdue, half a day later (day 31 started): interest on the unpaid advance
    // for that one day only, 201,800.00 × 7.2% / 360 = 40.36.
    advance_to(maturity + DAY / 2);
    let due: PledgeDue = query(m::voucher::PLEDGE_DUE, &id).expect("pledged");
    assert_eq!((due.days, due.interest), (31, 4_036));
    assert_eq!(due.owed, 20_180_000 + 4_036);
    assert_eq!(due.secured, MILLION / 10 + due.owed);
    mint(TIER1, MILLION);
    let tier1 = cash_of(TIER1);
    call(TIER1, m::voucher::REPAY, &id).expect("repaid while overdue");
    assert_eq!(tier1 - cash_of(TIER1), due.owed);
    let v = voucher(id);
    assert_eq!(
        (v.status, v.pledge),
        (Status::Overdue, None),
        "the pledgor holds the overdue claim"
    );
    // Cash arrives: the rest goes to the pledgor now.
    mint(CORE, MILLION);
    let tier1 = cash_of(TIER1);
    advance_to(maturity + DAY);
    assert_eq!(cash_of(TIER1) - tier1, 3 * MILLION / 10);
    assert_eq!(voucher(id).status, Status::Settled);
}

#[test]
fn a_shortfall_is_shared_pro_rata() {
    let id = setup_with_a_voucher();
    // Parts of 500,000.00 (tier 1), 300,000.00 (tier 2) and 200,000.00 (tier 3).
    let to2 = transfer(TIER1, id, TIER2, Some(3 * MILLION / 10)).expect("moved");
    let rest = voucher(id).children[1];
    let to3 = transfer(TIER1, rest, TIER3, Some(2 * MILLION / 10)).expect("moved");
    // The core has 100,000.01: shares 50,000.00 + 30,000.00 + 20,000.00 and the leftover fen to
    // the lowest part id.
    spend(CORE, BANK, cash_of(CORE) - MILLION / 10 - 1);
    let before = [cash_of(TIER1), cash_of(TIER2), cash_of(TIER3)];
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity);
    let got = [
        cash_of(TIER1) - before[0],
        cash_of(TIER2) - before[1],
        cash_of(TIER3) - before[2],
    ];
    let kept = voucher(rest).children[1];
    let lowest = [to2, to3, kept].into_iter().min().expect("parts");
    let mut expected = [5 * MILLION / 100, 3 * MILLION / 100, 2 * MILLION / 100];
    let index = [kept, to2, to3]
        .iter()
        .position(|p| *p == lowest)
        .expect("one of them");
    expected[index] += 1;
    assert_eq!(got, expected);
    for part in [to2, to3, kept] {
        assert_eq!(voucher(part).status, Status::Overdue);
    }
    // Cash arrives: the retries pay the rest.
    mint(CORE, MILLION);
    advance_to(maturity + 1_000);
    for part in [to2, to3, kept] {
        assert_eq!(voucher(part).status, Status::Settled);
    }
    assert_eq!(
        cash_of(TIER1) + cash_of(TIER2) + cash_of(TIER3),
        before.iter().sum::<Amount>() + MILLION
    );
}

#[test]
fn factoring_is_priced_by_tenor() {
    let id = offered_to_the_factor();
    let quoted: Quoted = query(
        m::voucher::QUOTE,
        &Quote {
            voucher: id,
            annual_rate_bps: 360,
        },
    );
    // 1,000,000.00 × (1 − 3.6% × 30 / 360) = 997,000.00
    assert_eq!((quoted.days, quoted.price), (30, 99_700_000));
    let accept = acceptance(id, Price::AnnualRateBps(360), false);
    let with_interest = Accept {
        interest_bps: 100,
        ..accept.clone()
    };
    assert!(refused(FACTOR, m::voucher::ACCEPT, &with_interest)
        .contains("interest applies to a pledge"));
    call(FACTOR, m::voucher::ACCEPT, &accept).expect("factored");
    assert_eq!(cash_of(TIER1), quoted.price);
}

#[test]
fn a_supplier_withdraws_its_request_and_requests_expire() {
    setup();
    let request = |amount| -> u64 {
        let out = call(TIER1, m::voucher::REQUEST, &terms(CORE, amount, &[1])).expect("requested");
        catena_sdk::decode(&out).expect("id")
    };
    let first = request(MILLION / 10);
    assert!(refused(TIER2, m::voucher::WITHDRAW_REQUEST, &first).contains("may not act"));
    call(TIER1, m::voucher::WITHDRAW_REQUEST, &first).expect("withdrawn");
    assert_eq!(
        refused(CORE, m::voucher::CONFIRM, &first),
        "request 1 is withdrawn: only a pending request can do this"
    );
    let second = request(MILLION / 10);
    let maturity = query(m::voucher::GET_REQUEST, &second)
        .expect("stored")
        .terms
        .maturity_ms;
    advance_to(maturity);
    assert_eq!(
        query(m::voucher::GET_REQUEST, &second).map(|r| r.status),
        Some(RequestStatus::Expired)
    );
    assert_eq!(
        refused(CORE, m::voucher::CONFIRM, &second),
        Error::RequestExpired(second).to_string()
    );
}

#[test]
fn listings_page() {
    let id = setup_with_a_voucher();
    let parts: Vec<VoucherId> = catena_sdk::decode(
        &call(
            TIER1,
            m::voucher::SPLIT,
            &Split {
                voucher: id,
                amounts: vec![MILLION / 5; 5],
            },
        )
        .expect("split"),
    )
    .expect("ids");
    let page = |after, limit| -> Listing {
        query(
            m::voucher::HELD_BY,
            &Page {
                owner: uscc_of(TIER1),
                after,
                limit,
            },
        )
    };
    let first = page(None, 2);
    assert_eq!(
        (first.ids.clone(), first.next),
        (parts[..2].to_vec(), Some(parts[1]))
    );
    let second = page(first.next, 2);
    assert_eq!(second.ids, parts[2..4].to_vec());
    let last = page(second.next, 2);
    assert_eq!((last.ids, last.next), (parts[4..].to_vec(), None));
    let bad = Page {
        owner: uscc_of(TIER1),
        after: None,
        limit: 0,
    };
    assert!(refused(TIER1, m::voucher::HELD_BY, &bad).contains("1 to 1000"));
}

#[test]
fn auditors_write_nothing() {
    let id = setup_with_a_voucher();
    advance_to(voucher(id).maturity_ms);
    assert_eq!(
        refused(AUDITOR, m::voucher::SETTLE, &id),
        Error::Auditor(uscc_of(AUDITOR)).to_string()
    );
}

#[test]
fn backing_records_belong_to_the_trade() {
    setup();
    // A delivery receipt between the core and tier 2: not tier 1's trade, not linked.
    let mut other = records::testing::invoice(7, &uscc_of(TIER2), &uscc_of(CORE), MILLION);
    other.kind = catena_schema::records::Kind::DeliveryReceipt;
    other.invoice = None;
    call(TIER2, m::records::RECORD, &other).expect("recorded");
    let mut with_other = terms(TIER1, MILLION / 10, &[1]);
    with_other.records = vec![other.doc_hash];
    assert!(refused(CORE, m::voucher::ISSUE, &with_other).contains("its own trade"));
    // Linked with the backing invoice: accepted.
    let mut linked = records::testing::invoice(8, &uscc_of(TIER2), &uscc_of(CORE), MILLION);
    linked.kind = catena_schema::records::Kind::DeliveryReceipt;
    linked.invoice = None;
    linked.links = vec![[1; 32]];
    call(TIER2, m::records::RECORD, &linked).expect("recorded");
    let mut with_linked = terms(TIER1, MILLION / 10, &[1]);
    with_linked.records = vec![linked.doc_hash];
    call(CORE, m::voucher::ISSUE, &with_linked).expect("a linked record backs it");
}

#[test]
fn an_original_splits_into_a_bounded_number_of_parts() {
    setup();
    let mut id = issue(MILLION);
    let mut made = 0;
    loop {
        let amount = voucher(id).amount;
        let split = Split {
            voucher: id,
            amounts: vec![amount - 100, 100],
        };
        match call(TIER1, m::voucher::SPLIT, &split) {
            Ok(out) => id = catena_sdk::decode::<Vec<VoucherId>>(&out).expect("ids")[0],
            Err(e) => {
                assert!(e.contains("at most 256 parts"), "{e}");
                break;
            }
        }
        made += 2;
    }
    assert_eq!(made, catena_schema::voucher::MAX_PARTS_PER_VOUCHER);
    // Settlement walks them in batches, every part paid once.
    let maturity = voucher(id).maturity_ms;
    for n in 0..40 {
        advance_to(maturity + n * 1000);
    }
    assert_eq!(cash_of(TIER1), MILLION);
    assert!(mock::scheduled().is_empty());
}

#[test]
fn nobody_acts_on_what_is_not_theirs() {
    let id = setup_with_a_voucher();
    assert!(refused(
        OUTSIDER,
        m::voucher::SPLIT,
        &Split {
            voucher: id,
            amounts: vec![MILLION / 2; 2]
        }
    )
    .contains("not an account"));
    assert!(refused(TIER2, m::voucher::WITHDRAW_OFFER, &id).contains("may not act"));
    assert!(refused(TIER1, m::voucher::WITHDRAW_OFFER, &id).contains("not offered"));
    assert!(refused(BANK, m::voucher::RELEASE, &id).contains("not pledged"));
    let offer = Offer {
        voucher: id,
        financier: uscc_of(TIER2),
        kind: FinanceKind::Pledge,
        min_price: 1,
    };
    assert!(refused(TIER1, m::voucher::OFFER, &offer).contains("'financier'"));
    assert!(call_bytes(TIER1, m::voucher::SPLIT, &[0xff, 0xff])
        .expect_err("garbage")
        .contains("cannot be decoded"));
}

#[test]
fn members_that_owe_or_hold_stay_and_the_quorum_revokes_a_line() {
    use catena_schema::registry::Change;
    let id = setup_with_a_voucher();
    mint(TIER2, 500);
    offer(id, BANK, FinanceKind::Pledge);
    let accept = acceptance(id, Price::Amount(MILLION / 2), false);
    mint(BANK, MILLION);
    call(BANK, m::voucher::ACCEPT, &accept).expect("pledged");
    let remove = |who: u8| Change::RemoveMember(uscc_of(who));
    assert_eq!(
        refused(CORE, m::registry::PROPOSE, &remove(TIER1)),
        format!(
            "member {} cannot be removed while it still holds 500000.00 in cash; holds 1 live voucher",
            uscc_of(TIER1)
        )
    );
    assert_eq!(
        refused(CORE, m::registry::PROPOSE, &remove(TIER2)),
        format!(
            "member {} cannot be removed while it still holds 5.00 in cash",
            uscc_of(TIER2)
        )
    );
    // The factor has nothing: it can be removed by the quorum.
    let out = call(CORE, m::registry::PROPOSE, &remove(FACTOR)).expect("proposed");
    let proposal: u64 = catena_sdk::decode(&out).expect("id");
    call(LOGISTICS, m::registry::APPROVE, &proposal).expect("applied");
    assert!(call(FACTOR, m::cash::BURN, &1u64)
        .expect_err("removed")
        .contains("not an account"));
    // The quorum revokes the bank's line: it backs what it backs and takes no new draw.
    let revoke = Change::RevokeCreditLine {
        issuer: uscc_of(CORE),
        financier: uscc_of(BANK),
    };
    let out = call(CORE, m::registry::PROPOSE, &revoke).expect("proposed");
    let proposal: u64 = catena_sdk::decode(&out).expect("id");
    call(LOGISTICS, m::registry::APPROVE, &proposal).expect("revoked");
    let line = &query(m::voucher::CREDIT_LINE, &uscc_of(CORE)).lines[0];
    assert_eq!(
        (line.revoked, line.limit, line.outstanding),
        (true, MILLION, MILLION)
    );
    assert!(set_line(BANK, 9 * MILLION)
        .expect_err("revoked")
        .contains("was revoked by governance"));
    assert!(
        refused(CORE, m::voucher::ISSUE, &terms(TIER1, MILLION / 10, &[2]))
            .contains("has 0.00 of its credit lines available")
    );
    assert!(refused(CORE, m::registry::PROPOSE, &revoke).contains("already revoked"));
    // Only the registry calls it.
    let direct = catena_schema::registry::LineDecision {
        issuer: uscc_of(CORE),
        financier: uscc_of(BANK),
        proposal: 0,
    };
    assert!(refused(BANK, m::voucher::REVOKE_CREDIT_LINE, &direct).contains("governing quorum"));
}

/// A role change must not strand what others are owed: a member that holds, owes, secures,
/// custodies or is owed anything live keeps its roles and does not become an auditor; the refusal
/// lists what it has, and nothing changes. Gaining a role is allowed, and once the member has
/// nothing live, any change is.
#[test]
fn a_member_with_something_live_keeps_its_roles_and_does_not_become_an_auditor() {
    use catena_schema::registry::Change;
    let id = setup_with_a_voucher();
    let set = |who: u8, roles: &[Role]| Change::SetRoles {
        uscc: uscc_of(who),
        roles: roles.to_vec(),
    };
    let decide = |change: &Change| {
        let out = call(CORE, m::registry::PROPOSE, change).expect("proposed");
        let proposal: u64 = catena_sdk::decode(&out).expect("id");
        call(LOGISTICS, m::registry::APPROVE, &proposal).expect("applied");
    };
    let tier1 = uscc_of(TIER1);
    assert_eq!(
        refused(CORE, m::registry::PROPOSE, &set(TIER1, &[Role::Auditor])),
        format!(
            "member {tier1} cannot lose the role supplier and become an auditor while it still holds 1 live voucher"
        )
    );
    assert_eq!(
        refused(
            CORE,
            m::registry::PROPOSE,
            &set(TIER1, &[Role::Supplier, Role::Auditor])
        ),
        format!("member {tier1} cannot become an auditor while it still holds 1 live voucher")
    );
    // The bank grants the core's line and custodies cash: it keeps its role too.
    assert!(
        refused(CORE, m::registry::PROPOSE, &set(BANK, &[Role::Logistics]))
            .contains("cannot lose the role financier while it still custodies")
    );
    // The core owes the voucher it issued.
    assert!(
        refused(CORE, m::registry::PROPOSE, &set(CORE, &[Role::Supplier]))
            .contains("cannot lose the role core while it still")
    );
    let roles = |who: u8| -> Vec<Role> {
        let member: Option<MemberRecord> = query(m::registry::MEMBER, &uscc_of(who));
        member.expect("a member").roles
    };
    assert_eq!(roles(TIER1), [Role::Supplier], "nothing changed");
    decide(&set(TIER1, &[Role::Supplier, Role::Logistics]));
    assert_eq!(roles(TIER1), [Role::Supplier, Role::Logistics]);
    // Once tier 1 has passed the voucher on, it holds nothing and may become an auditor.
    let moved = transfer(TIER1, id, TIER2, None).expect("moved");
    decide(&set(TIER1, &[Role::Auditor]));
    assert_eq!(roles(TIER1), [Role::Auditor]);
    // An auditor that is a supplier as well holds no claim either (it could not be paid).
    decide(&set(TIER1, &[Role::Supplier, Role::Auditor]));
    let refusal = transfer(TIER2, moved, TIER1, None).expect_err("an auditor");
    assert!(
        refusal.contains(&format!("member {tier1} cannot hold vouchers")),
        "{refusal}"
    );
}

/// Sets a member's roles in the registry's storage directly, as a chain could hold them from
/// before the registry refused such a change (governance itself refuses it now).
fn force_roles(who: u8, roles: &[Role]) {
    let member: Option<MemberRecord> = query(m::registry::MEMBER, &uscc_of(who));
    let member = MemberRecord {
        roles: roles.to_vec(),
        ..member.expect("a member")
    };
    for (key, value) in member.entries() {
        mock::put(REGISTRY, &key, &value);
    }
}

/// Settlement of one part never blocks another's: a part whose holder may not be paid (an
/// auditor) is held back — recorded once, its share left with the issuer, not retried every
/// block — while the other parts are paid; once the cause is cured and anyone pushes settlement,
/// it is paid.
#[test]
fn a_part_whose_holder_cannot_be_paid_holds_back_only_itself() {
    let id = setup_with_a_voucher();
    let to_tier2 = transfer(TIER1, id, TIER2, Some(4 * MILLION / 10)).expect("moved");
    let kept = voucher(id).children[1];
    force_roles(TIER2, &[Role::Auditor]);
    let (core, tier1) = (cash_of(CORE), cash_of(TIER1));
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity);
    assert_eq!(
        cash_of(TIER1) - tier1,
        6 * MILLION / 10,
        "tier 1's part is paid"
    );
    assert_eq!(voucher(kept).status, Status::Settled);
    let held = voucher(to_tier2);
    assert_eq!((held.status, held.paid), (Status::Overdue, 0));
    assert_eq!(
        core - cash_of(CORE),
        6 * MILLION / 10,
        "the held part's share stays with the issuer"
    );
    let history: Vec<HistoryEntry> = query(m::voucher::HISTORY, &to_tier2);
    let held_back = |h: &[HistoryEntry]| {
        h.iter()
            .filter(|e| {
                e.action
                    == Action::HeldBack {
                        payee: uscc_of(TIER2),
                    }
            })
            .count()
    };
    assert_eq!(held_back(&history), 1, "{history:?}");
    assert!(
        mock::scheduled().is_empty(),
        "a held-back part alone is not retried every block"
    );
    // Pushed again before the cause is cured: still held back, recorded once.
    advance_to(maturity + 1_000);
    call(TIER3, m::voucher::SETTLE, &id).expect("pushed");
    assert_eq!(voucher(to_tier2).paid, 0);
    assert_eq!(held_back(&query(m::voucher::HISTORY, &to_tier2)), 1);
    // Cured: tier 2 is a supplier again, and a push pays it.
    force_roles(TIER2, &[Role::Supplier]);
    call(TIER3, m::voucher::SETTLE, &id).expect("pushed");
    let paid = voucher(to_tier2);
    assert_eq!(
        (paid.status, paid.paid),
        (Status::Settled, 4 * MILLION / 10)
    );
    assert_eq!(cash_of(TIER2), 4 * MILLION / 10);
    assert!(mock::get(VOUCHER, &keys::held_back_key(to_tier2)).is_none());
}

/// A line the quorum revoked stays revoked once what it backed is paid: it is kept, not deleted;
/// its financier's new grant is refused with a sentence naming the decision; only the quorum
/// restores it, and only a revoked line.
#[test]
fn a_revocation_stands_until_the_quorum_restores_the_line() {
    use catena_schema::registry::{Change, LineDecision};
    let id = setup_with_a_voucher();
    let decide = |change: &Change| -> u64 {
        let out = call(CORE, m::registry::PROPOSE, change).expect("proposed");
        let proposal: u64 = catena_sdk::decode(&out).expect("id");
        call(LOGISTICS, m::registry::APPROVE, &proposal).expect("applied");
        proposal
    };
    let (issuer, financier) = (uscc_of(CORE), uscc_of(BANK));
    let revoke = Change::RevokeCreditLine {
        issuer: issuer.clone(),
        financier: financier.clone(),
    };
    let restore = Change::RestoreCreditLine {
        issuer: issuer.clone(),
        financier: financier.clone(),
    };
    assert!(refused(CORE, m::registry::PROPOSE, &restore).contains("is not revoked"));
    let revoked = decide(&revoke);
    // The voucher is paid at maturity: the line backs nothing any more, and stays revoked.
    advance_to(voucher(id).maturity_ms);
    assert_eq!(voucher(id).status, Status::Settled);
    let lines = query(m::voucher::CREDIT_LINE, &issuer);
    assert_eq!(
        lines
            .lines
            .iter()
            .map(|l| (l.financier.clone(), l.revoked, l.outstanding))
            .collect::<Vec<_>>(),
        [(financier.clone(), true, 0)]
    );
    let pair = (issuer.clone(), financier.clone());
    assert_eq!(query(m::voucher::REVOCATION, &pair), Some(revoked));
    let refusal = set_line(BANK, MILLION).expect_err("revoked");
    assert!(
        refusal.contains(&format!(
            "the credit line of {financier} to {issuer} was revoked by governance (membership proposal {revoked})"
        )),
        "{refusal}"
    );
    assert!(
        refused(CORE, m::voucher::ISSUE, &terms(TIER1, MILLION / 10, &[2]))
            .contains("has 0.00 of its credit lines available")
    );
    // Only the registry restores a line, for the quorum.
    let direct = LineDecision {
        issuer: issuer.clone(),
        financier: financier.clone(),
        proposal: revoked,
    };
    assert!(refused(BANK, m::voucher::RESTORE_CREDIT_LINE, &direct).contains("governing quorum"));
    decide(&restore);
    assert_eq!(query(m::voucher::REVOCATION, &pair), None);
    set_line(BANK, MILLION).expect("the financier grants it again");
    call(CORE, m::voucher::ISSUE, &terms(TIER1, MILLION / 10, &[2])).expect("drawn on it");
    assert!(refused(CORE, m::registry::PROPOSE, &restore).contains("is not revoked"));
}

/// Factoring with recourse: the factor splits the voucher (each part keeps the recourse), the
/// issuer pays nothing, and after the grace period the factor turns to the seller, who pays what
/// its cash covers, owes the rest as a debt collected when cash arrives, and holds the parts again.
#[test]
fn recourse_turns_an_unpaid_factored_part_back_to_the_seller() {
    let id = factored(Price::Amount(9 * MILLION / 10), true);
    let split = Split {
        voucher: id,
        amounts: vec![6 * MILLION / 10, 4 * MILLION / 10],
    };
    let parts: Vec<VoucherId> =
        catena_sdk::decode(&call(FACTOR, m::voucher::SPLIT, &split).expect("split")).expect("ids");
    for part in &parts {
        let f = voucher(*part)
            .factoring
            .expect("the terms go with each part");
        assert_eq!(f.recourse_to, Some(uscc_of(TIER1)));
    }
    // The seller may have to take both parts back: it keeps the roles that let it, and stays.
    let liable: Vec<String> = query(m::voucher::HOLDINGS, &uscc_of(TIER1));
    assert_eq!(
        liable,
        ["may have to take back 2 vouchers it sold with recourse"]
    );
    let to_auditor = catena_schema::registry::Change::SetRoles {
        uscc: uscc_of(TIER1),
        roles: vec![Role::Auditor],
    };
    let refusal = refused(CORE, m::registry::PROPOSE, &to_auditor);
    assert!(
        refusal.contains("may have to take back 2 vouchers it sold with recourse"),
        "{refusal}"
    );
    // The issuer has nothing at maturity.
    spend(CORE, BANK, cash_of(CORE));
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity);
    assert!(refused(FACTOR, m::voucher::EXERCISE_RECOURSE, &parts[0])
        .contains("recourse opens 10 day(s) after maturity"));
    assert!(refused(TIER1, m::voucher::EXERCISE_RECOURSE, &parts[0]).contains("may not act"));
    advance_to(maturity + 10 * DAY);
    // Tier 1 holds the 900,000.00 price: it covers the first part, and 300,000.00 of the second.
    call(FACTOR, m::voucher::EXERCISE_RECOURSE, &parts[0]).expect("recourse");
    assert_eq!(cash_of(TIER1), 3 * MILLION / 10);
    let out = call(FACTOR, m::voucher::EXERCISE_RECOURSE, &parts[1]).expect("recourse");
    let debt_id: Option<u64> = catena_sdk::decode(&out).expect("a debt id");
    let debt_id = debt_id.expect("a debt for the rest");
    assert_eq!(cash_of(TIER1), 0);
    let debt: Option<Debt> = query(m::voucher::DEBT, &debt_id);
    let debt = debt.expect("recorded");
    assert_eq!((debt.amount, debt.paid), (MILLION / 10, 0));
    for part in &parts {
        let v = voucher(*part);
        assert_eq!(
            (v.holder.clone(), v.status),
            (uscc_of(TIER1), Status::Overdue)
        );
    }
    assert!(refused(FACTOR, m::voucher::EXERCISE_RECOURSE, &parts[1]).contains("may not act"));
    // The holder path ends with the seller, who holds the part again.
    let path: Vec<Uscc> = query(m::voucher::PATH, &parts[0]);
    assert_eq!(path, [uscc_of(TIER1), uscc_of(FACTOR), uscc_of(TIER1)]);
    let owes: Vec<String> = query(m::voucher::HOLDINGS, &uscc_of(TIER1));
    assert_eq!(
        owes,
        ["holds 2 live vouchers", "owes 100000.00 in recourse"],
        "the right of recourse is spent: tier 1 holds the parts again and owes the rest"
    );
    // The factor is owed it: it is not removed from the consortium while that stands either.
    let owed: Vec<String> = query(m::voucher::HOLDINGS, &uscc_of(FACTOR));
    assert!(
        owed.contains(&"is owed 100000.00 in recourse".to_string()),
        "{owed:?}"
    );
    // Cash arrives at tier 1: the debt is collected by the schedule.
    mint(TIER1, MILLION / 4);
    let factor = cash_of(FACTOR);
    advance_to(maturity + 10 * DAY + 1_000);
    assert_eq!(cash_of(FACTOR) - factor, MILLION / 10);
    let debt: Option<Debt> = query(m::voucher::DEBT, &debt_id);
    assert_eq!(debt.map(|d| d.paid), Some(MILLION / 10));
    // And the issuer's eventual payment now goes to tier 1, which holds the claim again.
    mint(CORE, 2 * MILLION);
    let tier1 = cash_of(TIER1);
    advance_to(maturity + 10 * DAY + 2_000);
    assert_eq!(cash_of(TIER1) - tier1, MILLION);
}

#[test]
fn recourse_needs_factoring_with_recourse_held_by_the_factor() {
    let id = factored(Price::Amount(9 * MILLION / 10), false);
    spend(CORE, BANK, cash_of(CORE));
    advance_to(voucher(id).maturity_ms + 10 * DAY);
    assert!(refused(FACTOR, m::voucher::EXERCISE_RECOURSE, &id).contains("was not factored to"));
}

/// A factor that pledged a part it bought with recourse cannot hand it back to the seller while
/// the pledge stands: the pledgee would still be paid first from the issuer's money, with the
/// seller paying the whole unpaid amount. Recourse is refused, and nothing changes.
#[test]
fn recourse_on_a_pledged_part_waits_for_the_release() {
    let id = factored(Price::Amount(9 * MILLION / 10), true);
    let offer = Offer {
        voucher: id,
        financier: uscc_of(BANK),
        kind: FinanceKind::Pledge,
        min_price: 1,
    };
    call(FACTOR, m::voucher::OFFER, &offer).expect("the factor offers it in pledge");
    mint(BANK, MILLION);
    let accept = acceptance(id, Price::Amount(5 * MILLION / 10), false);
    call(BANK, m::voucher::ACCEPT, &accept).expect("pledged to the bank");
    spend(CORE, BANK, cash_of(CORE));
    let maturity = voucher(id).maturity_ms;
    advance_to(maturity + 10 * DAY);
    let before = (voucher(id), cash_of(TIER1), cash_of(FACTOR));
    let refusal = refused(FACTOR, m::voucher::EXERCISE_RECOURSE, &id);
    assert!(
        refusal.contains(&format!(
            "voucher {id} is pledged to {}: recourse waits until the pledge is released",
            uscc_of(BANK)
        )),
        "{refusal}"
    );
    assert_eq!((voucher(id), cash_of(TIER1), cash_of(FACTOR)), before);
}

/// The holder, recourse-seller and pledgee lists are index entries (ADR 0049): outside the state
/// tree, derived again by `reindex`; a voucher's record and history stay committed.
#[test]
fn the_member_lists_are_index_entries_and_records_are_not() {
    for key in [
        keys::by_holder_key("x", 1),
        keys::by_recourse_seller_key("x", 1),
        keys::by_pledgee_key("x", 1),
    ] {
        assert!(key.starts_with(catena_sdk::INDEX_PREFIX), "{key:?}");
    }
    for key in [
        keys::voucher_key(1),
        keys::history_key(1, 0),
        keys::CONFIG.to_vec(),
    ] {
        assert!(!key.starts_with(catena_sdk::INDEX_PREFIX), "{key:?}");
    }
}
