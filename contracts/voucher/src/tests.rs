//! The voucher rules one at a time, on the mock host with the real registry, records and cash
//! contracts. `tests/model.rs` drives random sequences of them against a model.

use super::*;
use catena_abi::cash::Mint;
use catena_abi::records::NewRecord;
use catena_sdk::mock;
use catena_testkit::{
    call, query, refused, registry, uscc_of, AUDITOR, BANK, CASH, CORE, FACTOR, LOGISTICS,
    OUTSIDER, RECORDS, REGISTRY, TIER1, TIER2, TIER3, VOUCHER,
};

const DAY: u64 = 86_400_000;
const MILLION: Amount = 100_000_000;

/// The registry, records, cash and voucher contracts; the bank gives the core a credit line of
/// 5,000,000.00 and mints it 2,000,000.00; tier 1 records invoice 1 (1,000,000.00) and invoice 2
/// (300,000.00) to the core.
fn setup() {
    registry();
    mock::deploy(RECORDS, records::dispatch);
    mock::deploy(CASH, cash::dispatch);
    mock::deploy(VOUCHER, dispatch);
    call(
        CORE,
        RECORDS,
        "init",
        &catena_abi::records::Init { registry: REGISTRY },
    )
    .expect("records");
    let cash_init = catena_abi::cash::Init {
        registry: REGISTRY,
        operators: vec![VOUCHER],
        currency: "CNY".into(),
    };
    call(CORE, CASH, "init", &cash_init).expect("cash");
    let config = Config {
        registry: REGISTRY,
        records: RECORDS,
        cash: CASH,
        own_id: VOUCHER,
        currency: "CNY".into(),
        min_part: 100,
        max_parts: 10,
        settle_batch: 64,
    };
    call(CORE, VOUCHER, "init", &config).expect("voucher");
    let line = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: 5 * MILLION,
    };
    call(BANK, VOUCHER, "set_credit_line", &line).expect("credit line");
    mint(CORE, 2 * MILLION);
    record_invoice(1, MILLION);
    record_invoice(2, 3 * MILLION / 10);
}

fn mint(to: u8, amount: Amount) {
    let args = Mint {
        to: uscc_of(to),
        amount,
    };
    call(BANK, CASH, "mint", &args).expect("minted");
}

fn record_invoice(n: u8, amount: Amount) {
    let invoice: NewRecord = records::testing::invoice(n, &uscc_of(TIER1), &uscc_of(CORE), amount);
    call(TIER1, RECORDS, "record", &invoice).expect("invoice recorded");
}

fn terms(counterparty: u8, amount: Amount, invoices: &[u8]) -> Terms {
    Terms {
        counterparty: uscc_of(counterparty),
        amount,
        currency: "CNY".into(),
        maturity_ms: mock::block().1 + 30 * DAY,
        invoices: invoices.iter().map(|n| [*n; 32]).collect(),
        records: Vec::new(),
    }
}

fn issue(amount: Amount) -> VoucherId {
    let out = call(CORE, VOUCHER, "issue", &terms(TIER1, amount, &[1])).expect("issued");
    catena_sdk::decode(&out).expect("an id")
}

fn voucher(id: VoucherId) -> Voucher {
    query::<Option<Voucher>>(VOUCHER, "get", &id).expect("the voucher exists")
}

fn cash_of(member: u8) -> Amount {
    query(CASH, "balance", &uscc_of(member))
}

fn transfer(who: u8, id: VoucherId, to: u8, amount: Option<Amount>) -> Result<VoucherId, String> {
    let args = Transfer {
        voucher: id,
        to: uscc_of(to),
        amount,
    };
    call(who, VOUCHER, "transfer", &args).map(|out| catena_sdk::decode(&out).expect("an id"))
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

#[test]
fn request_and_confirm_issues_to_the_supplier() {
    setup();
    let out = call(TIER1, VOUCHER, "request", &terms(CORE, MILLION, &[1])).expect("requested");
    let request: u64 = catena_sdk::decode(&out).expect("id");
    assert!(refused(TIER2, VOUCHER, "confirm", &request)
        .contains(&format!("it is {}'s", uscc_of(CORE))));
    let out = call(CORE, VOUCHER, "confirm", &request).expect("confirmed");
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
    assert!(refused(CORE, VOUCHER, "confirm", &request).contains("already confirmed"));
    assert_eq!(
        query::<CreditLine>(VOUCHER, "credit_line", &uscc_of(CORE)).outstanding,
        MILLION
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
    assert!(refused(CORE, VOUCHER, "issue", &past).contains("future"));
    assert!(refused(CORE, VOUCHER, "issue", &terms(TIER1, 0, &[1])).contains("above zero"));
    assert!(refused(TIER1, VOUCHER, "issue", &terms(TIER2, 10, &[1])).contains("'core'"));
    assert!(
        refused(CORE, VOUCHER, "issue", &terms(TIER2, 10, &[1])).contains("first holder as seller")
    );
    assert!(refused(CORE, VOUCHER, "issue", &terms(TIER1, 10, &[9])).contains("not recorded"));
    assert!(refused(CORE, VOUCHER, "issue", &terms(AUDITOR, 10, &[1])).contains("cannot hold"));
    let mut usd = terms(TIER1, 10, &[1]);
    usd.currency = "USD".into();
    assert!(refused(CORE, VOUCHER, "issue", &usd).contains("settles in CNY"));
    // Invoices 1 and 2 together back 1,300,000.00.
    assert!(
        refused(CORE, VOUCHER, "issue", &terms(TIER1, MILLION + 1, &[1]))
            .contains("double financing")
    );
    let id: VoucherId = catena_sdk::decode(
        &call(
            CORE,
            VOUCHER,
            "issue",
            &terms(TIER1, 12 * MILLION / 10, &[1, 2]),
        )
        .expect("issued"),
    )
    .expect("id");
    assert_eq!(voucher(id).backing.len(), 2);
    assert_eq!(
        query::<Amount>(VOUCHER, "invoice_use", &[2u8; 32]),
        2 * MILLION / 10
    );
    // A second voucher on the same invoice is double financing.
    let error = refused(
        CORE,
        VOUCHER,
        "issue",
        &terms(TIER1, MILLION / 10 + 1, &[1, 2]),
    );
    assert!(
        error.contains("invoice 00000001 already backs vouchers for its whole amount"),
        "{error}"
    );
    assert!(refused(
        CORE,
        VOUCHER,
        "issue",
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
    call(BANK, VOUCHER, "set_credit_line", &line).expect("lowered");
    assert!(refused(CORE, VOUCHER, "issue", &terms(TIER1, MILLION, &[1])).contains("credit line"));
    issue(MILLION / 2);
    let lower = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: MILLION / 4,
    };
    assert!(refused(BANK, VOUCHER, "set_credit_line", &lower).contains("outstanding"));
    assert!(refused(CORE, VOUCHER, "set_credit_line", &line).contains("'financier'"));
}

#[test]
fn split_parts_add_up_exactly() {
    setup();
    let id = issue(MILLION);
    let split = |amounts: Vec<Amount>| Split {
        voucher: id,
        amounts,
    };
    assert!(refused(
        TIER1,
        VOUCHER,
        "split",
        &split(vec![MILLION / 2, MILLION / 2 - 1])
    )
    .contains("add up exactly"));
    assert!(
        refused(TIER1, VOUCHER, "split", &split(vec![MILLION - 50, 50])).contains("smallest part")
    );
    assert!(refused(TIER1, VOUCHER, "split", &split(vec![MILLION])).contains("2 to 10 parts"));
    assert!(
        refused(TIER2, VOUCHER, "split", &split(vec![MILLION / 2; 2]))
            .contains(&format!("it is {}'s", uscc_of(TIER1)))
    );
    let out = call(
        TIER1,
        VOUCHER,
        "split",
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
    assert!(refused(TIER1, VOUCHER, "split", &split(vec![MILLION / 2; 2])).contains("is split"));
    assert_eq!(
        query::<Vec<Voucher>>(VOUCHER, "lineage", &parts[1]).len(),
        3
    );
}

#[test]
fn transfers_go_up_the_chain_and_keep_the_path() {
    setup();
    let id = issue(MILLION);
    let moved = transfer(TIER1, id, TIER2, Some(3 * MILLION / 10)).expect("part moved");
    assert_ne!(moved, id, "an amount is split off first");
    assert_eq!(voucher(moved).holder, uscc_of(TIER2));
    let again = transfer(TIER2, moved, TIER3, None).expect("moved on");
    assert_eq!(again, moved);
    assert_eq!(
        query::<Vec<Uscc>>(VOUCHER, "path", &moved),
        vec![uscc_of(TIER1), uscc_of(TIER2), uscc_of(TIER3)]
    );
    assert_eq!(
        query::<Vec<VoucherId>>(VOUCHER, "held_by", &uscc_of(TIER3)),
        vec![moved]
    );
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
    setup();
    let id = issue(MILLION);
    let offer = Offer {
        voucher: id,
        financier: uscc_of(BANK),
        kind: FinanceKind::Pledge,
        min_price: 1,
    };
    call(TIER1, VOUCHER, "offer", &offer).expect("offered");
    assert!(transfer(TIER1, id, TIER2, None)
        .expect_err("offer open")
        .contains("withdraw the offer"));
    let accept = Accept {
        voucher: id,
        price: Price::Amount(8 * MILLION / 10),
        recourse: false,
    };
    assert!(refused(BANK, VOUCHER, "accept", &accept).contains("holds 0.00 in cash"));
    mint(BANK, MILLION);
    assert!(refused(FACTOR, VOUCHER, "accept", &accept).contains("offer: it is"));
    call(BANK, VOUCHER, "accept", &accept).expect("accepted");
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
    assert!(refused(TIER1, VOUCHER, "split", &split).contains("is pledged"));
    assert!(refused(TIER2, VOUCHER, "release", &id).contains("pledge: it is"));
    call(TIER1, VOUCHER, "repay", &id).expect("repaid");
    assert_eq!((cash_of(TIER1), voucher(id).status), (0, Status::Active));
    transfer(TIER1, id, TIER2, None).expect("free to move again");
}

#[test]
fn factoring_makes_the_financier_the_holder() {
    setup();
    mint(FACTOR, MILLION);
    let id = issue(MILLION);
    let offer = Offer {
        voucher: id,
        financier: uscc_of(FACTOR),
        kind: FinanceKind::Factoring,
        min_price: 1,
    };
    call(TIER1, VOUCHER, "offer", &offer).expect("offered");
    let accept = Accept {
        voucher: id,
        price: Price::DiscountBps(250),
        recourse: true,
    };
    call(FACTOR, VOUCHER, "accept", &accept).expect("factored");
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
    setup();
    let id = issue(MILLION);
    call(CORE, VOUCHER, "cancel", &id).expect("issuer agrees");
    assert_eq!(
        voucher(id).status,
        Status::Active,
        "one consent is not enough"
    );
    assert!(refused(CORE, VOUCHER, "cancel", &id).contains("already agreed"));
    assert!(refused(TIER2, VOUCHER, "cancel", &id).contains("may not act"));
    call(TIER1, VOUCHER, "cancel", &id).expect("holder agrees");
    assert_eq!(voucher(id).status, Status::Cancelled);
    assert_eq!(query::<Amount>(VOUCHER, "invoice_use", &[1u8; 32]), 0);
    assert_eq!(
        query::<CreditLine>(VOUCHER, "credit_line", &uscc_of(CORE)).outstanding,
        0
    );
    let moved = issue(MILLION / 2);
    transfer(TIER1, moved, TIER2, None).expect("moved");
    assert!(refused(TIER2, VOUCHER, "cancel", &moved).contains("only an untouched original"));
}

#[test]
fn maturity_pays_every_live_part_without_a_transaction() {
    setup();
    mint(BANK, MILLION);
    let id = issue(MILLION);
    let to_tier2 = transfer(TIER1, id, TIER2, Some(4 * MILLION / 10)).expect("moved");
    transfer(TIER2, to_tier2, TIER3, Some(MILLION / 10)).expect("moved");
    // Tier 2 keeps the other 300,000.00 of its part, and pledges it.
    let kept = voucher(to_tier2).children[1];
    let offer = Offer {
        voucher: kept,
        financier: uscc_of(BANK),
        kind: FinanceKind::Pledge,
        min_price: 1,
    };
    call(TIER2, VOUCHER, "offer", &offer).expect("offered");
    let price = Price::Amount(2 * MILLION / 10);
    call(
        BANK,
        VOUCHER,
        "accept",
        &Accept {
            voucher: kept,
            price,
            recourse: false,
        },
    )
    .expect("pledged");
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
        0,
        "the pledged part pays the pledgee"
    );
    assert_eq!(cash_of(TIER3) - tier3, MILLION / 10);
    assert_eq!(cash_of(BANK) - bank, 3 * MILLION / 10);
    for v in query::<Vec<Voucher>>(VOUCHER, "lineage", &id) {
        assert!(
            matches!(v.status, Status::Settled | Status::Split),
            "{:?}",
            v.status
        );
    }
    assert_eq!(
        query::<CreditLine>(VOUCHER, "credit_line", &uscc_of(CORE)).outstanding,
        0
    );
    assert!(mock::scheduled().is_empty(), "nothing is left to retry");
    call(TIER3, VOUCHER, "settle", &id).expect("after maturity any member may push settlement");
    assert_eq!(
        cash_of(TIER3) - tier3,
        MILLION / 10,
        "and nothing is paid twice"
    );
}

#[test]
fn an_issuer_without_cash_goes_overdue_and_pays_when_cash_arrives() {
    setup();
    let id = issue(MILLION);
    let core_cash = cash_of(CORE);
    call(
        CORE,
        CASH,
        "transfer",
        &catena_abi::cash::Transfer {
            to: uscc_of(BANK),
            amount: core_cash - MILLION / 4,
        },
    )
    .expect("the core spends its cash");
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
    setup();
    let id = issue(MILLION);
    assert!(refused(TIER1, VOUCHER, "settle", &id).contains("not before"));
    let mut far = terms(TIER1, 10, &[1]);
    far.maturity_ms = u64::MAX;
    assert!(refused(CORE, VOUCHER, "issue", &far).contains("after the year 9999"));
}

#[test]
fn the_holders_least_price_binds_the_financier() {
    setup();
    mint(BANK, MILLION);
    let id = issue(MILLION);
    let offer = Offer {
        voucher: id,
        financier: uscc_of(BANK),
        kind: FinanceKind::Pledge,
        min_price: 9 * MILLION / 10,
    };
    call(TIER1, VOUCHER, "offer", &offer).expect("offered");
    let low = Accept {
        voucher: id,
        price: Price::Amount(MILLION / 100),
        recourse: false,
    };
    assert!(refused(BANK, VOUCHER, "accept", &low).contains("below the least the holder accepts"));
    let discount = Accept {
        voucher: id,
        price: Price::DiscountBps(2_000),
        recourse: false,
    };
    assert!(refused(BANK, VOUCHER, "accept", &discount).contains("below the least"));
    let fair = Accept {
        voucher: id,
        price: Price::DiscountBps(500),
        recourse: false,
    };
    call(BANK, VOUCHER, "accept", &fair).expect("at 95%");
    assert_eq!(cash_of(TIER1), 95 * MILLION / 100);
}

#[test]
fn only_the_financier_that_set_a_credit_line_changes_it() {
    setup();
    let line = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: 9 * MILLION,
    };
    assert!(refused(FACTOR, VOUCHER, "set_credit_line", &line).contains("credit line: it is"));
    call(BANK, VOUCHER, "set_credit_line", &line).expect("the bank raises its own line");
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
        match call(TIER1, VOUCHER, "split", &split) {
            Ok(out) => id = catena_sdk::decode::<Vec<VoucherId>>(&out).expect("ids")[0],
            Err(e) => {
                assert!(e.contains("at most 256 parts"), "{e}");
                break;
            }
        }
        made += 2;
    }
    assert_eq!(made, catena_abi::voucher::MAX_PARTS_PER_VOUCHER);
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
    setup();
    let id = issue(MILLION);
    assert!(refused(
        OUTSIDER,
        VOUCHER,
        "split",
        &Split {
            voucher: id,
            amounts: vec![MILLION / 2; 2]
        }
    )
    .contains("not an account"));
    assert!(refused(TIER2, VOUCHER, "withdraw_offer", &id).contains("may not act"));
    assert!(refused(TIER1, VOUCHER, "withdraw_offer", &id).contains("not offered"));
    assert!(refused(BANK, VOUCHER, "release", &id).contains("not pledged"));
    let offer = Offer {
        voucher: id,
        financier: uscc_of(TIER2),
        kind: FinanceKind::Pledge,
        min_price: 1,
    };
    assert!(refused(TIER1, VOUCHER, "offer", &offer).contains("'financier'"));
    assert!(call(TIER1, VOUCHER, "split", &[0xff, 0xff])
        .expect_err("garbage")
        .contains("cannot be decoded"));
}
