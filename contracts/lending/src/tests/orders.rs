//! Prepayment (order) financing (预付账款/订单融资): the advance paid to the seller, the goods
//! received under a receipt pledged to the lender and delivered in proportion to repayment, the
//! seller's buy-back at default.

use super::*;
use catena_schema::receipts::{GoodsMove, NewReceipt, Receipt, ReceiptId};
use catena_testkit::TIER3;

const ORDER: [u8; 32] = [21; 32];

/// Setup; Tier 2 (the buyer) and the core enterprise (the seller) record a purchase order of
/// 1,000,000.00.
fn with_order() {
    setup();
    let order = NewRecord {
        kind: Kind::PurchaseOrder,
        doc_hash: ORDER,
        parties: vec![uscc_of(TIER2), uscc_of(CORE)],
        amount: MILLION,
        currency: "CNY".into(),
        date_ms: mock::block().1,
        links: vec![],
        invoice: None,
    };
    call(TIER2, m::records::RECORD, &order).expect("order recorded");
}

fn order_loan(amount: Amount) -> Application {
    Application {
        lender: uscc_of(BANK),
        amount,
        max_rate_bps: 600,
        due_ms: mock::block().1 + 60 * DAY_MS,
        collateral: Collateral::Order {
            order: ORDER,
            seller: uscc_of(CORE),
            receipt: None,
            buyback: false,
        },
    }
}

fn apply_order(amount: Amount) -> LoanId {
    let out = call(TIER2, m::lending::APPLY, &order_loan(amount)).expect("applied");
    catena_sdk::decode(&out).expect("an id")
}

/// The seller ships 100 t into the warehouse, which issues the buyer a receipt for them.
fn shipped() -> ReceiptId {
    let appraisal = NewRecord {
        kind: Kind::WarehouseReceipt,
        doc_hash: [22; 32],
        parties: vec![uscc_of(TIER2)],
        amount: MILLION,
        currency: "CNY".into(),
        date_ms: mock::block().1,
        links: vec![ORDER],
        invoice: None,
    };
    call(LOGISTICS, m::records::RECORD, &appraisal).expect("appraisal recorded");
    let new = NewReceipt {
        owner: uscc_of(TIER2),
        goods: "engine blocks".into(),
        quantity: 100,
        unit: "pcs".into(),
        location: "Supervised warehouse 3".into(),
        lot: "PO-1".into(),
        appraised_value: MILLION,
        appraisal: [22; 32],
        inspections: vec![],
    };
    let out = call(LOGISTICS, m::receipts::ISSUE, &new).expect("issued");
    catena_sdk::decode(&out).expect("an id")
}

fn receipt(id: ReceiptId) -> Receipt {
    query(m::receipts::GET, &id).expect("the receipt exists")
}

fn secure(who: u8, loan: LoanId, receipt: ReceiptId) -> Result<Vec<u8>, String> {
    call(who, m::lending::SECURE, &Secure { loan, receipt })
}

#[test]
fn the_financier_pays_the_seller_and_the_goods_secure_the_loan() {
    with_order();
    for (application, says) in [
        (order_loan(MILLION + 1), "at most the order"),
        (
            Application {
                collateral: Collateral::Order {
                    order: ORDER,
                    seller: uscc_of(TIER3),
                    receipt: None,
                    buyback: false,
                },
                ..order_loan(MILLION)
            },
            "must bind the borrower",
        ),
        (
            Application {
                collateral: Collateral::Order {
                    order: [99; 32],
                    seller: uscc_of(CORE),
                    receipt: None,
                    buyback: false,
                },
                ..order_loan(MILLION)
            },
            "is not a recorded document",
        ),
        (
            Application {
                collateral: Collateral::Order {
                    order: ORDER,
                    seller: uscc_of(CORE),
                    receipt: None,
                    buyback: true,
                },
                ..order_loan(MILLION)
            },
            "by the seller itself",
        ),
    ] {
        let error = refused(TIER2, m::lending::APPLY, &application);
        assert!(error.contains(says), "{says}: {error}");
    }
    let id = apply_order(8 * MILLION / 10);
    assert!(refused(TIER2, m::lending::UNDERTAKE_BUYBACK, &id).contains("not the seller"));
    call(CORE, m::lending::UNDERTAKE_BUYBACK, &id).expect("buy-back undertaken");
    approve_at(id, 400);
    // The seller is paid, never the buyer.
    assert_eq!((cash_of(CORE), cash_of(TIER2)), (8 * MILLION / 10, 0));
    let error = refused(TIER2, m::lending::APPLY, &order_loan(MILLION / 10));
    assert!(error.contains("financed already, by loan 1"), "{error}");
    // The goods arrive; their receipt becomes the collateral.
    let goods = shipped();
    let before = mock::snapshot();
    assert!(secure(TIER3, id, goods)
        .expect_err("refused")
        .contains("not the borrower or lender"));
    assert_eq!(mock::snapshot(), before);
    secure(BANK, id, goods).expect("secured");
    assert!(secure(TIER2, id, goods)
        .expect_err("refused")
        .contains("secured already"));
    let lock = receipt(goods).lock.expect("pledged");
    assert_eq!((lock.pledgee, lock.loan), (uscc_of(BANK), id));
    // The buyer repays in tranches and takes delivery in proportion (提货).
    call(
        BANK,
        m::cash::MINT,
        &Mint {
            to: uscc_of(TIER2),
            amount: MILLION,
        },
    )
    .expect("minted");
    // In the block of the advance no day has started: no interest yet.
    let tranche = Repay {
        loan: id,
        amount: Some(2 * MILLION / 10),
    };
    call(TIER2, m::lending::REPAY, &tranche).expect("a tranche");
    let lock = receipt(goods).lock.expect("still pledged");
    assert_eq!(
        lock.released, 25,
        "a quarter of the principal, a quarter of the goods"
    );
    let delivery = GoodsMove {
        receipt: goods,
        quantity: 25,
    };
    call(LOGISTICS, m::receipts::GOODS_OUT, &delivery).expect("delivered");
    let rest = Repay {
        loan: id,
        amount: None,
    };
    call(TIER2, m::lending::REPAY, &rest).expect("repaid");
    assert_eq!(receipt(goods).lock, None);
    assert_eq!(loan(id).status, LoanStatus::Repaid);
}

#[test]
fn at_default_the_seller_buys_the_goods_back() {
    with_order();
    let id = apply_order(8 * MILLION / 10);
    call(CORE, m::lending::UNDERTAKE_BUYBACK, &id).expect("buy-back undertaken");
    approve_at(id, 0);
    let goods = shipped();
    secure(TIER2, id, goods).expect("secured");
    advance_to(loan(id).due_ms);
    call(BANK, m::lending::ENFORCE, &id).expect("enforced");
    // The seller's cash (the advance it was paid) buys the goods back.
    assert_eq!((cash_of(CORE), cash_of(BANK)), (0, 10 * MILLION));
    let back = receipt(goods);
    assert_eq!((back.owner, back.lock), (uscc_of(CORE), None));
    assert_eq!(loan(id).enforced_owed, 0);
}

#[test]
fn without_a_buy_back_the_goods_pass_to_the_lender() {
    with_order();
    let id = apply_order(MILLION / 2);
    approve_at(id, 0);
    let goods = shipped();
    secure(TIER2, id, goods).expect("secured");
    advance_to(loan(id).due_ms);
    call(BANK, m::lending::ENFORCE, &id).expect("enforced");
    assert_eq!(receipt(goods).owner, uscc_of(BANK));
    assert_eq!(loan(id).enforced_owed, MILLION / 2);
    assert_eq!(
        cash_of(CORE),
        MILLION / 2,
        "the seller keeps what it was paid"
    );
}
