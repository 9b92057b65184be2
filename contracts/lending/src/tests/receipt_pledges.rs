//! Warehouse-receipt pledges (存货/仓单质押融资): within the loan-to-value limit, never twice,
//! goods out only with the pledgee's consent or in proportion to repayment, the receipt to the
//! lender at default.

use super::*;
use catena_schema::receipts::{
    GoodsMove, NewReceipt, Receipt, ReceiptId, SplitReceipt, TransferReceipt,
};

/// Setup, and the warehouse issues tier 1 a receipt for 100 t appraised at 1,000,000.00.
fn with_receipt() -> ReceiptId {
    setup();
    let appraisal = NewRecord {
        kind: Kind::WarehouseReceipt,
        doc_hash: [7; 32],
        parties: vec![uscc_of(TIER1)],
        amount: 10 * MILLION / 10,
        currency: "CNY".into(),
        date_ms: mock::block().1,
        links: vec![],
        invoice: None,
    };
    call(LOGISTICS, m::records::RECORD, &appraisal).expect("appraisal recorded");
    let new = NewReceipt {
        owner: uscc_of(TIER1),
        goods: "hot-rolled steel coil".into(),
        quantity: 100,
        unit: "t".into(),
        location: "Shanghai Waigaoqiao, bay 7".into(),
        lot: "L-1".into(),
        appraised_value: MILLION,
        appraisal: [7; 32],
        inspections: vec![],
    };
    let out = call(LOGISTICS, m::receipts::ISSUE, &new).expect("issued");
    catena_sdk::decode(&out).expect("an id")
}

fn on_receipt(id: ReceiptId, amount: Amount) -> Application {
    Application {
        collateral: Collateral::Receipt(id),
        ..application(amount)
    }
}

fn receipt(id: ReceiptId) -> Receipt {
    query(m::receipts::GET, &id).expect("the receipt exists")
}

fn goods_out(id: ReceiptId, quantity: u64) -> Result<Vec<u8>, String> {
    call(
        LOGISTICS,
        m::receipts::GOODS_OUT,
        &GoodsMove {
            receipt: id,
            quantity,
        },
    )
}

#[test]
fn a_receipt_is_pledged_within_the_loan_to_value_limit_and_never_twice() {
    let id = with_receipt();
    let error = refused(
        TIER1,
        m::lending::APPLY,
        &on_receipt(id, 7 * MILLION / 10 + 1),
    );
    assert!(
        error.contains(
            "above the 700000.00 a loan may be: 70.00% of the receipt's appraised value 1000000.00"
        ),
        "{error}"
    );
    let error = refused(TIER2, m::lending::APPLY, &on_receipt(id, MILLION / 10));
    assert!(error.contains("not by the borrower"), "{error}");
    let out = call(TIER1, m::lending::APPLY, &on_receipt(id, 6 * MILLION / 10)).expect("applied");
    let loan_id: LoanId = catena_sdk::decode(&out).expect("an id");
    approve_at(loan_id, 500);
    assert_eq!(cash_of(TIER1), 6 * MILLION / 10);
    let lock = receipt(id).lock.expect("pledged");
    assert_eq!(
        (lock.pledgee, lock.loan, lock.pledged_quantity),
        (uscc_of(BANK), loan_id, 100)
    );
    // The same goods are not pledged again, split or moved.
    let error = refused(TIER1, m::lending::APPLY, &on_receipt(id, MILLION / 10));
    assert!(error.contains("already pledged to"), "{error}");
    let split = SplitReceipt {
        receipt: id,
        quantities: vec![50, 50],
    };
    assert!(refused(TIER1, m::receipts::SPLIT, &split).contains("is pledged to"));
    let transfer = TransferReceipt {
        receipt: id,
        to: uscc_of(TIER2),
    };
    assert!(refused(TIER1, m::receipts::TRANSFER, &transfer).contains("is pledged to"));
    // No goods leave without the pledgee's consent.
    let before = mock::snapshot();
    let error = goods_out(id, 1).expect_err("refused");
    assert!(error.contains("0 t may leave with its consent"), "{error}");
    assert_eq!(mock::snapshot(), before);
    let consent = GoodsMove {
        receipt: id,
        quantity: 10,
    };
    assert!(refused(TIER1, m::receipts::RELEASE, &consent).contains("not the pledgee"));
    call(BANK, m::receipts::RELEASE, &consent).expect("consented");
    goods_out(id, 10).expect("ten leave");
    assert!(goods_out(id, 1).is_err());
    assert_eq!(receipt(id).quantity, 90);
}

#[test]
fn goods_are_released_in_proportion_to_repayment_and_the_receipt_freed_when_repaid() {
    let id = with_receipt();
    let out = call(TIER1, m::lending::APPLY, &on_receipt(id, 6 * MILLION / 10)).expect("applied");
    let loan_id: LoanId = catena_sdk::decode(&out).expect("an id");
    approve_at(loan_id, 0);
    // Half the principal repaid: half the pledged goods may leave.
    let half = Repay {
        loan: loan_id,
        amount: Some(3 * MILLION / 10),
    };
    call(TIER1, m::lending::REPAY, &half).expect("repaid half");
    assert_eq!(receipt(id).lock.expect("still pledged").released, 50);
    assert!(goods_out(id, 51).is_err());
    goods_out(id, 50).expect("half leaves");
    // A quarter more: 75 released in all, 25 more may leave.
    let quarter = Repay {
        loan: loan_id,
        amount: Some(15 * MILLION / 100),
    };
    call(TIER1, m::lending::REPAY, &quarter).expect("repaid a quarter");
    let lock = receipt(id).lock.expect("still pledged");
    assert_eq!(
        (lock.released, lock.taken_out, lock.may_leave()),
        (75, 50, 25)
    );
    let rest = Repay {
        loan: loan_id,
        amount: None,
    };
    call(TIER1, m::lending::REPAY, &rest).expect("repaid");
    let freed = receipt(id);
    assert_eq!((freed.lock, freed.quantity), (None, 50));
    goods_out(id, 50).expect("the rest leaves");
    assert_eq!(loan(loan_id).status, LoanStatus::Repaid);
}

#[test]
fn at_default_the_pledgee_enforces_and_the_receipt_passes_to_it() {
    let id = with_receipt();
    let out = call(TIER1, m::lending::APPLY, &on_receipt(id, MILLION / 2)).expect("applied");
    let loan_id: LoanId = catena_sdk::decode(&out).expect("an id");
    approve_at(loan_id, 500);
    advance_to(loan(loan_id).due_ms);
    assert_eq!(loan(loan_id).status, LoanStatus::Overdue);
    call(BANK, m::lending::ENFORCE, &loan_id).expect("enforced");
    let seized = receipt(id);
    assert_eq!((seized.owner, seized.lock), (uscc_of(BANK), None));
    let held: Vec<String> = query(m::receipts::HOLDINGS, &uscc_of(BANK));
    assert_eq!(held.len(), 1, "{held:?}");
    // A receipt-backed default is not unsecured credit, but it is a default.
    let history: History = query(m::lending::HISTORY, &uscc_of(TIER1));
    assert_eq!((history.enforced, history.unsecured), (1, 0));
}
