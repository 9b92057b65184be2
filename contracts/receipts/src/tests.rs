//! The warehouse receipt's rules one at a time, on the mock host with the real registry and
//! records contracts. Pledges (through the lending contract) are tested in contracts/lending.

use super::*;
use catena_schema::records::{Kind, NewRecord};
use catena_sdk::mock;
use catena_testkit::{
    call, lending_contracts, m, query, refused, registry, trade_contracts, uscc_of, voucher_config,
    AUDITOR, BANK, LOGISTICS, TIER1, TIER2,
};

/// The system contracts with receipts and lending; the warehouse recorded appraisal 1.
fn setup() {
    registry();
    trade_contracts(
        records::dispatch,
        cash::dispatch,
        voucher::dispatch,
        &voucher_config(),
    );
    lending_contracts(dispatch, lending_stub);
    recorded(1);
}

/// The lending contract is not under test here: a dispatch that refuses everything (this
/// contract's operator methods are called by the tests as an outsider, and refused).
fn lending_stub(method: &str, _: &[u8]) -> Result<Vec<u8>, String> {
    if method == "init" {
        return Ok(Vec::new());
    }
    Err("not under test".into())
}

/// The warehouse records document `n` (an appraisal or an inspection).
fn recorded(n: u8) -> RecordId {
    let record = NewRecord {
        kind: Kind::WarehouseReceipt,
        doc_hash: [n; 32],
        parties: vec![uscc_of(TIER1)],
        amount: 100,
        currency: "CNY".into(),
        date_ms: mock::block().1,
        links: vec![],
        invoice: None,
    };
    call(LOGISTICS, m::records::RECORD, &record).expect("recorded");
    [n; 32]
}

fn new_receipt(lot: &str, quantity: u64) -> NewReceipt {
    NewReceipt {
        owner: uscc_of(TIER1),
        goods: "hot-rolled steel coil".into(),
        quantity,
        unit: "t".into(),
        location: "Shanghai Waigaoqiao, bay 7".into(),
        lot: lot.into(),
        appraised_value: 100_000 * quantity,
        appraisal: [1; 32],
        inspections: vec![],
    }
}

fn issue(lot: &str, quantity: u64) -> ReceiptId {
    let out = call(LOGISTICS, m::receipts::ISSUE, &new_receipt(lot, quantity)).expect("issued");
    catena_sdk::decode(&out).expect("an id")
}

fn receipt(id: ReceiptId) -> Receipt {
    query(m::receipts::GET, &id).expect("the receipt exists")
}

fn moved(id: ReceiptId, quantity: u64) -> GoodsMove {
    GoodsMove {
        receipt: id,
        quantity,
    }
}

#[test]
fn a_warehouse_issues_one_receipt_per_lot() {
    setup();
    let id = issue("L-1", 100);
    let r = receipt(id);
    assert_eq!(
        (
            r.warehouse.as_str(),
            r.owner.as_str(),
            r.quantity,
            r.value()
        ),
        (
            uscc_of(LOGISTICS).as_str(),
            uscc_of(TIER1).as_str(),
            100,
            10_000_000
        )
    );
    let error = refused(LOGISTICS, m::receipts::ISSUE, &new_receipt("L-1", 5));
    assert!(
        error.contains("lot 'L-1' already backs live warehouse receipt 1"),
        "{error}"
    );
    let error = refused(TIER1, m::receipts::ISSUE, &new_receipt("L-2", 5));
    assert!(error.contains("not a logistics member"), "{error}");
    let mut unappraised = new_receipt("L-2", 5);
    unappraised.appraisal = [9; 32];
    let error = refused(LOGISTICS, m::receipts::ISSUE, &unappraised);
    assert!(error.contains("appraisal 0x0909"), "{error}");
    let mut to_auditor = new_receipt("L-2", 5);
    to_auditor.owner = uscc_of(AUDITOR);
    assert!(refused(LOGISTICS, m::receipts::ISSUE, &to_auditor).contains("auditor"));
    let mut empty = new_receipt("L-2", 0);
    assert!(refused(LOGISTICS, m::receipts::ISSUE, &empty).contains("above zero"));
    empty.quantity = 5;
    empty.lot = " ".into();
    assert!(refused(LOGISTICS, m::receipts::ISSUE, &empty).contains("the lot must be"));
    let mut inspected = new_receipt("L-2", 5);
    inspected.inspections = vec![recorded(2)];
    issue_with(inspected);
}

fn issue_with(new: NewReceipt) {
    call(LOGISTICS, m::receipts::ISSUE, &new).expect("issued");
}

#[test]
fn goods_in_and_out_are_recorded_by_the_warehouse_and_conserved() {
    setup();
    let id = issue("L-1", 100);
    assert!(refused(TIER1, m::receipts::GOODS_IN, &moved(id, 5)).contains("not the warehouse"));
    call(LOGISTICS, m::receipts::GOODS_IN, &moved(id, 20)).expect("goods in");
    call(LOGISTICS, m::receipts::GOODS_OUT, &moved(id, 30)).expect("goods out");
    let r = receipt(id);
    assert_eq!((r.quantity, r.goods_in, r.goods_out), (90, 20, 30));
    assert_eq!(r.value(), 9_000_000, "the value follows the quantity");
    let error = refused(LOGISTICS, m::receipts::GOODS_OUT, &moved(id, 91));
    assert!(error.contains("1 to the 90 t"), "{error}");
    // All of it out: the receipt closes and the lot is free again.
    call(LOGISTICS, m::receipts::GOODS_OUT, &moved(id, 90)).expect("goods out");
    assert_eq!(receipt(id).status, ReceiptStatus::Closed);
    assert!(refused(LOGISTICS, m::receipts::GOODS_IN, &moved(id, 1)).contains("is closed"));
    issue("L-1", 10);
}

#[test]
fn a_receipt_splits_by_quantity_and_moves_its_title() {
    setup();
    let id = issue("L-1", 100);
    let split = SplitReceipt {
        receipt: id,
        quantities: vec![60, 30],
    };
    assert!(refused(TIER1, m::receipts::SPLIT, &split).contains("add up to the 100 t"));
    let split = SplitReceipt {
        receipt: id,
        quantities: vec![60, 40],
    };
    assert!(refused(TIER2, m::receipts::SPLIT, &split).contains("not the owner"));
    let out = call(TIER1, m::receipts::SPLIT, &split).expect("split");
    let parts: Vec<ReceiptId> = catena_sdk::decode(&out).expect("ids");
    assert_eq!(receipt(id).status, ReceiptStatus::Split);
    let (a, b) = (receipt(parts[0]), receipt(parts[1]));
    assert_eq!(
        (a.lot.as_str(), a.quantity, a.value()),
        ("L-1/2", 60, 6_000_000)
    );
    assert_eq!(
        (b.lot.as_str(), b.quantity, b.value()),
        ("L-1/3", 40, 4_000_000)
    );
    // The original lot is free; the parts' lots are taken.
    issue("L-1", 1);
    let error = refused(LOGISTICS, m::receipts::ISSUE, &new_receipt("L-1/2", 1));
    assert!(error.contains("already backs"), "{error}");
    // A lot named like a future part's: the split that would reuse it is refused.
    let next = issue("L-9", 10);
    issue(&format!("L-9/{}", next + 2), 1);
    let clash = SplitReceipt {
        receipt: next,
        quantities: vec![5, 5],
    };
    let error = refused(TIER1, m::receipts::SPLIT, &clash);
    assert!(error.contains("backs a live receipt already"), "{error}");
    let transfer = TransferReceipt {
        receipt: parts[1],
        to: uscc_of(TIER2),
    };
    call(TIER1, m::receipts::TRANSFER, &transfer).expect("transferred");
    assert_eq!(receipt(parts[1]).owner, uscc_of(TIER2));
    assert!(refused(TIER1, m::receipts::TRANSFER, &transfer).contains("not the owner"));
    let page = ReceiptPage {
        holder: Holder::Owner(uscc_of(TIER2)),
        after: None,
        limit: 10,
    };
    let listed: ReceiptListing = query(m::receipts::LIST, &page);
    assert_eq!(listed.ids, vec![parts[1]]);
    let held: Vec<String> = query(m::receipts::HOLDINGS, &uscc_of(TIER2));
    assert_eq!(held.len(), 1);
    assert!(
        held[0].contains("40 t of hot-rolled steel coil"),
        "{held:?}"
    );
}

#[test]
fn only_the_lending_contract_locks_releases_and_seizes() {
    setup();
    let id = issue("L-1", 100);
    let lock = LockReceipt {
        receipt: id,
        owner: uscc_of(TIER1),
        pledgee: uscc_of(BANK),
        loan: 1,
    };
    assert!(refused(BANK, m::receipts::LOCK, &lock).contains("only the lending contract"));
    let seize = catena_schema::receipts::Seize {
        receipt: id,
        to: uscc_of(BANK),
    };
    assert!(refused(BANK, m::receipts::SEIZE, &seize).contains("only the lending contract"));
    assert!(refused(TIER1, m::receipts::UNLOCK, &id).contains("only the lending contract"));
    let error = refused(BANK, m::receipts::RELEASE, &moved(id, 1));
    assert!(error.contains("is not pledged"), "{error}");
}
