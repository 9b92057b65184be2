//! Model-based property test of the financing products (issue 17, docs/products.md): random
//! sequences of every operation of the warehouse receipts and the loan ledger — receipts issued
//! on a few lots, goods in and out, splits, transfers, the pledgee's releases; data-credit,
//! receipt and order loans applied for, approved, declined, withdrawn, repaid in part or in full,
//! secured by goods, bought back and enforced; cash minted; time passing with loans falling
//! overdue — by several members (outsiders and auditors among them) against the real registry,
//! records, cash, receipts and lending contracts on the mock host. After every step the
//! invariants are checked on the contracts' own state:
//!
//! - quantities are conserved per original lot (issued + in − out = what its live receipts hold);
//! - every live receipt has one holder (listed under exactly one owner), at most one pledgee, and
//!   a pledge's lock matches its outstanding loan; goods left a pledged receipt only as far as
//!   they were released;
//! - no lot backs two live receipts;
//! - a loan's outstanding = principal + interest charged − repayments, and what it received is
//!   the sum of the repayments the test made;
//! - cash is conserved per custodian (minted − burned = what members hold of it);
//! - a refused step changes nothing and says why.
//!
//! `PROPTEST_CASES` sets the number of sequences (10,000 by default), `PROPTEST_SEED` which ones;
//! `MODEL_REASONS` prints every refusal's reason.

use std::collections::BTreeMap;

use catena_schema::cash::{keys as cash_keys, Mint};
use catena_schema::lending::{Application, Approval, Collateral, Loan, LoanId, Repay, Secure};
use catena_schema::receipts::{
    keys as receipt_keys, GoodsMove, Holder, NewReceipt, Receipt, ReceiptId, ReceiptListing,
    ReceiptPage, ReceiptStatus, SplitReceipt, TransferReceipt,
};
use catena_schema::records::{Kind, NewRecord};
use catena_schema::voucher::DAY_MS;
use catena_schema::{Amount, Uscc};
use catena_sdk::codec::Encode;
use catena_sdk::{mock, Method};
use catena_testkit::model::{count, counts, run_sequences};
use catena_testkit::{
    call, contract_id, lending_contracts, m, registry, trade_contracts, uscc_of, voucher_config,
    AUDITOR, BANK, CASH, CORE, FACTOR, LOGISTICS, OUTSIDER, RECEIPTS, TIER1, TIER2, TIER3,
};
use proptest::prelude::*;

mod invariants;
mod steps;
use invariants::check;
use steps::step;

const START_MS: u64 = 1_000_000_000;
const ACTORS: [u8; 9] = [
    CORE, TIER1, TIER2, TIER3, BANK, FACTOR, LOGISTICS, AUDITOR, OUTSIDER,
];
const OWNERS: [u8; 4] = [TIER1, TIER2, CORE, AUDITOR];
const LOTS: [&str; 3] = ["A", "B", "C"];
/// The purchase order tier 2 placed with the core enterprise, recorded at the start.
const ORDER: [u8; 32] = [31; 32];

#[derive(Clone, Debug)]
enum Op {
    Issue {
        lot: u8,
        owner: u8,
        quantity: u64,
        who: u8,
    },
    GoodsIn {
        receipt: u8,
        quantity: u64,
        who: u8,
    },
    GoodsOut {
        receipt: u8,
        quantity: u64,
        who: u8,
    },
    Split {
        receipt: u8,
        cut: u64,
        who: u8,
    },
    Transfer {
        receipt: u8,
        to: u8,
        who: u8,
    },
    Release {
        receipt: u8,
        quantity: u64,
        who: u8,
    },
    /// 0: unsecured, 1: on a receipt, 2: the order.
    Apply {
        kind: u8,
        receipt: u8,
        amount: u64,
        who: u8,
        due_days: u64,
    },
    Approve {
        loan: u8,
        rate_bps: u32,
        who: u8,
    },
    Decline {
        loan: u8,
        who: u8,
    },
    Withdraw {
        loan: u8,
        who: u8,
    },
    Repay {
        loan: u8,
        amount: Option<u64>,
        who: u8,
    },
    Secure {
        loan: u8,
        receipt: u8,
        who: u8,
    },
    Buyback {
        loan: u8,
        who: u8,
    },
    Enforce {
        loan: u8,
        who: u8,
    },
    Mint {
        to: u8,
        amount: u64,
    },
    Wait {
        days: u64,
    },
}

/// Who acts: mostly (below [`ANYONE`]) the member the step is for — the warehouse, the owner,
/// the borrower, the lender, the pledgee, the seller — else anyone at all.
const ANYONE: u8 = 192;

fn op() -> impl Strategy<Value = Op> {
    let who = any::<u8>();
    prop_oneof![
        4 => (any::<u8>(), any::<u8>(), 0u64..120, who).prop_map(|(lot, owner, quantity, who)| Op::Issue { lot, owner, quantity, who }),
        2 => (any::<u8>(), 0u64..40, who).prop_map(|(receipt, quantity, who)| Op::GoodsIn { receipt, quantity, who }),
        4 => (any::<u8>(), 0u64..60, who).prop_map(|(receipt, quantity, who)| Op::GoodsOut { receipt, quantity, who }),
        2 => (any::<u8>(), 0u64..100, who).prop_map(|(receipt, cut, who)| Op::Split { receipt, cut, who }),
        2 => (any::<u8>(), any::<u8>(), who).prop_map(|(receipt, to, who)| Op::Transfer { receipt, to, who }),
        2 => (any::<u8>(), 0u64..60, who).prop_map(|(receipt, quantity, who)| Op::Release { receipt, quantity, who }),
        6 => (0u8..3, any::<u8>(), 0u64..900_000, who, 1u64..40).prop_map(|(kind, receipt, amount, who, due_days)| Op::Apply { kind, receipt, amount, who, due_days }),
        5 => (any::<u8>(), prop_oneof![3 => 0u32..900, 1 => Just(10_001u32)], who).prop_map(|(loan, rate_bps, who)| Op::Approve { loan, rate_bps, who }),
        1 => (any::<u8>(), who).prop_map(|(loan, who)| Op::Decline { loan, who }),
        1 => (any::<u8>(), who).prop_map(|(loan, who)| Op::Withdraw { loan, who }),
        5 => (any::<u8>(), prop_oneof![1 => Just(None), 2 => (0u64..500_000).prop_map(Some)], who).prop_map(|(loan, amount, who)| Op::Repay { loan, amount, who }),
        2 => (any::<u8>(), any::<u8>(), who).prop_map(|(loan, receipt, who)| Op::Secure { loan, receipt, who }),
        1 => (any::<u8>(), who).prop_map(|(loan, who)| Op::Buyback { loan, who }),
        2 => (any::<u8>(), who).prop_map(|(loan, who)| Op::Enforce { loan, who }),
        2 => (any::<u8>(), 0u64..600_000).prop_map(|(to, amount)| Op::Mint { to, amount }),
        2 => (0u64..20).prop_map(|days| Op::Wait { days }),
    ]
}

/// What the test itself knows, to check the contracts against.
#[derive(Default)]
struct World {
    /// Original receipts and the quantity each was issued with.
    issued: BTreeMap<ReceiptId, u64>,
    receipts: u64,
    loans: u64,
    /// What each loan was repaid, by the test's own count.
    repaid: BTreeMap<LoanId, Amount>,
    minted: Amount,
}

/// The member acting: `natural` unless `who` asks for anyone.
fn actor(who: u8, natural: u8) -> u8 {
    if who < ANYONE {
        natural
    } else {
        ACTORS[(who - ANYONE) as usize % ACTORS.len()]
    }
}

/// The demo member whose USCC this is (an outsider for none).
fn member_of(uscc: &str) -> u8 {
    ACTORS
        .into_iter()
        .find(|m| uscc_of(*m) == uscc)
        .unwrap_or(OUTSIDER)
}

/// One of `count` ids (from 1), or one past them (nothing there): half the time the latest, so
/// that steps build on each other (an application approved, repaid, enforced).
fn pick(count: u64, i: u8) -> u64 {
    if i < 128 {
        count.max(1)
    } else {
        u64::from(i) % (count + 1) + 1
    }
}

fn receipt(id: ReceiptId) -> Option<Receipt> {
    query(m::receipts::GET, &id)
}

fn loan(id: LoanId) -> Option<Loan> {
    query(m::lending::GET, &id)
}

fn query<A: Encode, O: catena_sdk::codec::Decode>(method: Method<A, O>, input: &A) -> O {
    let out = call(OUTSIDER, method, input).expect("a query succeeds");
    method.output(&out).expect("a query's output decodes")
}

/// The world at the start: the members, the contracts, an appraisal, tier 1's good record
/// (data credit), the order, and both financiers' cash.
fn setup() -> World {
    registry();
    trade_contracts(
        records::dispatch,
        cash::dispatch,
        voucher::dispatch,
        &voucher_config(),
    );
    lending_contracts(receipts::dispatch, lending::dispatch);
    mock::set_block(2, START_MS);
    let record = |who, kind, doc_hash: [u8; 32], parties: Vec<Uscc>| {
        let new = NewRecord {
            kind,
            doc_hash,
            parties,
            amount: 1_000_000,
            currency: "CNY".into(),
            date_ms: START_MS,
            links: vec![],
            invoice: None,
        };
        call(who, m::records::RECORD, &new).expect("recorded");
    };
    record(
        LOGISTICS,
        Kind::WarehouseReceipt,
        [30; 32],
        vec![uscc_of(TIER1)],
    );
    record(
        TIER2,
        Kind::PurchaseOrder,
        ORDER,
        vec![uscc_of(TIER2), uscc_of(CORE)],
    );
    record(
        TIER1,
        Kind::Contract,
        [32; 32],
        vec![uscc_of(TIER1), uscc_of(CORE)],
    );
    let mut invoice = records::testing::invoice(33, &uscc_of(TIER1), &uscc_of(CORE), 1_000_000);
    invoice.date_ms = START_MS;
    invoice.links = vec![[32; 32]];
    call(TIER1, m::records::RECORD, &invoice).expect("invoice recorded");
    let mut world = World::default();
    for financier in [BANK, FACTOR] {
        let mint = Mint {
            to: uscc_of(financier),
            amount: 5_000_000,
        };
        call(financier, m::cash::MINT, &mint).expect("minted");
        world.minted += 5_000_000;
    }
    world
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut w = setup();
    for op in ops {
        if let Op::Wait { days } = op {
            let (height, now) = mock::block();
            mock::set_block(height + 1, now + days * DAY_MS + 1);
            for (scheduled, outcome) in mock::run_due() {
                prop_assert!(
                    outcome.result.is_ok(),
                    "scheduled {scheduled:?} failed: {:?}",
                    outcome.result
                );
            }
            check(&w)?;
            continue;
        }
        let (who, method, contract, input) = step(op, &w);
        let before = mock::snapshot();
        let outcome = mock::call(catena_testkit::account(who), contract, method, &input);
        match &outcome.result {
            Ok(out) => {
                count(method, true);
                match method {
                    "issue" if contract == RECEIPTS => {
                        let id: ReceiptId = catena_sdk::decode(out).expect("an id");
                        w.issued.insert(id, receipt(id).expect("issued").quantity);
                        w.receipts = w.receipts.max(id);
                    }
                    "split" => {
                        let ids: Vec<ReceiptId> = catena_sdk::decode(out).expect("ids");
                        w.receipts = w.receipts.max(ids.into_iter().max().unwrap_or(0));
                    }
                    "apply" => {
                        let id: LoanId = catena_sdk::decode(out).expect("an id");
                        w.loans = w.loans.max(id);
                    }
                    "repay" => {
                        let args: Repay = catena_sdk::decode(&input[..]).expect("the input");
                        let after = loan(args.loan).expect("the loan");
                        let received = after.accrual.as_ref().map_or(0, |a| a.received);
                        let before = w.repaid.insert(args.loan, received).unwrap_or(0);
                        prop_assert!(received > before, "a repayment received nothing");
                        if let Some(amount) = args.amount {
                            prop_assert_eq!(received - before, amount);
                        }
                    }
                    "mint" => {
                        let args: Mint = catena_sdk::decode(&input[..]).expect("the input");
                        w.minted += args.amount;
                    }
                    _ => {}
                }
            }
            Err(reason) => {
                count(method, false);
                if std::env::var_os("MODEL_REASONS").is_some() {
                    println!(
                        "refused {method}: {}",
                        reason.chars().take(70).collect::<String>()
                    );
                }
                prop_assert!(
                    !reason.trim().is_empty(),
                    "{op:?} was refused without a reason"
                );
                prop_assert_eq!(
                    mock::snapshot(),
                    before,
                    "refused {:?} changed state: {}",
                    op,
                    reason
                );
            }
        }
        check(&w)?;
    }
    Ok(())
}

#[test]
fn the_products_keep_their_invariants() {
    if !run_sequences(prop::collection::vec(op(), 1..50), 17, |ops| run(&ops)) {
        return;
    }
    let counts = counts();
    for method in [
        "issue",
        "goods_in",
        "goods_out",
        "split",
        "transfer",
        "release",
        "apply",
        "approve",
        "decline",
        "withdraw",
        "repay",
        "secure",
        "undertake_buyback",
        "enforce",
    ] {
        let (ok, refused) = counts.get(method).copied().unwrap_or_default();
        assert!(
            ok > 0 && refused > 0,
            "{method}: {ok} succeeded, {refused} refused"
        );
    }
}
