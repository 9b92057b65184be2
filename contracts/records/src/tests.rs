use super::testing::invoice;
use super::*;
use catena_schema::records::Invoice;
use catena_sdk::codec::Encode;
use catena_sdk::mock;

const RECORDS: [u8; 32] = [0xDD; 32];
const REGISTRY: [u8; 32] = [0xEE; 32];
const SELLER: &str = "91320500MA1MX00025";
const BUYER: &str = "91310000MA1FL00014";
const CARRIER: &str = "91440300MA5EF00068";
const AUDITOR: &str = "12100000MB0JK00071";

/// A stand-in registry's storage: account [1] is the seller, [2] the buyer, [3] a carrier, [4]
/// an auditor (the records contract reads the registry's account records directly).
fn setup() {
    mock::reset();
    for (n, uscc, role) in [
        (1u8, SELLER, Role::Supplier),
        (2, BUYER, Role::Core),
        (3, CARRIER, Role::Logistics),
        (4, AUDITOR, Role::Auditor),
    ] {
        let record = AccountRecord {
            member: uscc.into(),
            uscc: uscc.into(),
            roles: alloc::vec![role],
        };
        let key = catena_schema::registry::keys::account_key(&[n; 32]);
        mock::put(REGISTRY, &key, &record.encode());
    }
    mock::deploy(RECORDS, dispatch);
    let init = Init {
        registry: REGISTRY,
        quality: Default::default(),
    };
    mock::call([0; 32], RECORDS, method::INIT.name, &init.encode())
        .result
        .expect("init");
}

fn record_as(who: u8, new: &NewRecord) -> Result<Vec<u8>, String> {
    mock::call([who; 32], RECORDS, method::RECORD.name, &new.encode()).result
}

fn refused(who: u8, new: &NewRecord) -> String {
    let before = mock::snapshot();
    let error = record_as(who, new).expect_err("refused");
    assert_eq!(mock::snapshot(), before, "a refused record changes nothing");
    error
}

fn document(kind: Kind, n: u8, parties: &[&str]) -> NewRecord {
    NewRecord {
        kind,
        doc_hash: [n; 32],
        parties: parties.iter().map(|p| String::from(*p)).collect(),
        amount: 100_000_000,
        currency: "CNY".into(),
        date_ms: 1,
        links: Vec::new(),
        invoice: None,
    }
}

#[test]
fn a_trade_is_recorded_across_the_flows_with_links() {
    setup();
    let contract = document(Kind::Contract, 1, &[SELLER, BUYER]);
    record_as(2, &contract).expect("the buyer records the contract");
    let mut delivery = document(Kind::DeliveryReceipt, 2, &[SELLER, BUYER]);
    delivery.links = alloc::vec![[1; 32]];
    record_as(3, &delivery).expect("the carrier records the delivery");
    let mut inv = invoice(3, SELLER, BUYER, 100_000_000);
    inv.links = alloc::vec![[1; 32], [2; 32]];
    let out = mock::call([1; 32], RECORDS, method::RECORD.name, &inv.encode());
    assert_eq!(out.events.len(), 1, "one 'recorded' event");
    let stored: Option<Record> = catena_sdk::decode(
        &mock::call([9; 32], RECORDS, method::GET.name, &[3u8; 32].encode())
            .result
            .expect("get"),
    )
    .expect("decodes");
    let stored = stored.expect("recorded");
    assert_eq!(stored.recorder, SELLER);
    assert_eq!(stored.recorder_account, [1; 32]);
    assert_eq!(stored.links, alloc::vec![[1; 32], [2; 32]]);
    let query = InvoiceQuery {
        code: "3100231130".into(),
        number: "00000003".into(),
        seller: SELLER.into(),
    };
    let found: Option<Record> = catena_sdk::decode(
        &mock::call([9; 32], RECORDS, method::INVOICE.name, &query.encode())
            .result
            .expect("query"),
    )
    .expect("decodes");
    assert_eq!(found.map(|r| r.id), Some([3; 32]));
}

#[test]
fn a_document_and_an_invoice_are_recorded_once() {
    setup();
    record_as(1, &invoice(3, SELLER, BUYER, 500)).expect("first");
    assert!(refused(1, &invoice(3, SELLER, BUYER, 500)).contains("already recorded"));
    // The same invoice identity in another file is the same invoice.
    let mut copy = invoice(3, SELLER, BUYER, 500);
    copy.doc_hash = [33; 32];
    assert!(refused(1, &copy).contains("invoice 3100231130 00000003 of this seller"));
}

#[test]
fn who_may_record_what() {
    setup();
    assert!(refused(4, &document(Kind::Contract, 1, &[AUDITOR, BUYER])).contains("auditor"));
    assert!(refused(9, &document(Kind::Contract, 1, &[SELLER, BUYER])).contains("not an account"));
    assert!(refused(1, &document(Kind::Contract, 1, &[BUYER, CARRIER])).contains("party"));
    assert!(refused(1, &document(Kind::WarehouseReceipt, 1, &[SELLER])).contains("logistics"));
    assert!(refused(2, &invoice(3, SELLER, BUYER, 500)).contains("recorded by its seller"));
    record_as(3, &document(Kind::Shipment, 5, &[SELLER, BUYER]))
        .expect("a carrier records a shipment");
}

#[test]
fn malformed_records_are_refused() {
    setup();
    let mut no_fields = invoice(3, SELLER, BUYER, 500);
    no_fields.invoice = None;
    assert!(refused(1, &no_fields).contains("needs its code"));
    let mut fields_on_contract = document(Kind::Contract, 1, &[SELLER, BUYER]);
    fields_on_contract.invoice = Some(Invoice {
        code: "1".into(),
        number: "2".into(),
        seller: SELLER.into(),
        buyer: BUYER.into(),
    });
    assert!(refused(1, &fields_on_contract).contains("only an invoice"));
    assert!(refused(1, &invoice(3, SELLER, BUYER, 0)).contains("above zero"));
    for (code, number) in [
        ("3100231130", "0000001 "),
        ("310023113", "00000001"),
        ("", "0000000000000000000X"),
        ("３１００２３１１３０", "00000001"),
    ] {
        let mut odd = invoice(3, SELLER, BUYER, 10);
        let fields = odd.invoice.as_mut().expect("an invoice");
        fields.code = code.into();
        fields.number = number.into();
        assert!(refused(1, &odd).contains("digits only"), "{code} {number}");
    }
    let mut digital = invoice(3, SELLER, BUYER, 10);
    let fields = digital.invoice.as_mut().expect("an invoice");
    fields.code = String::new();
    fields.number = "24312000000012345678".into();
    record_as(1, &digital).expect("a fully digital invoice");
    let mut to_self = invoice(3, SELLER, BUYER, 10);
    to_self.invoice.as_mut().expect("an invoice").buyer = SELLER.into();
    assert!(refused(1, &to_self).contains("differ"));
    let mut dangling = document(Kind::Payment, 7, &[SELLER, BUYER]);
    dangling.links = alloc::vec![[8; 32]];
    assert!(refused(1, &dangling).contains("not recorded"));
    let twice = document(Kind::Contract, 1, &[SELLER, SELLER]);
    assert!(refused(1, &twice).contains("twice"));
    assert!(
        mock::call([1; 32], RECORDS, method::RECORD.name, &[1, 2, 3])
            .result
            .expect_err("garbage")
            .contains("cannot be decoded")
    );
}

/// The worked example of docs/vouchers.md: a contract, a delivery receipt three days late and an
/// invoice 1% below the contract, all naming the core enterprise.
#[test]
fn the_quality_of_a_core_enterprises_records_suggests_a_line() {
    setup();
    let core = catena_schema::registry::MemberRecord {
        name: "Core".into(),
        uscc: BUYER.into(),
        roles: alloc::vec![Role::Core],
        accounts: alloc::vec![[2; 32]],
    };
    mock::put(
        REGISTRY,
        &catena_schema::registry::keys::member_key(BUYER),
        &core.encode(),
    );
    let day = 86_400_000;
    mock::set_block(10, 10 * day);
    let mut contract = document(Kind::Contract, 1, &[SELLER, BUYER]);
    contract.date_ms = 10 * day;
    record_as(1, &contract).expect("contract");
    let mut delivery = document(Kind::DeliveryReceipt, 2, &[SELLER, BUYER]);
    delivery.date_ms = 7 * day;
    delivery.links = alloc::vec![[1; 32]];
    record_as(3, &delivery).expect("delivery");
    let mut bill = invoice(3, SELLER, BUYER, 99_000_000);
    bill.date_ms = 10 * day;
    bill.links = alloc::vec![[1; 32], [2; 32]];
    record_as(1, &bill).expect("invoice");
    let out = mock::call(
        [9; 32],
        RECORDS,
        method::SUGGEST_LINE.name,
        &String::from(BUYER).encode(),
    );
    let s: Suggestion = catena_sdk::decode(&out.result.expect("a suggestion")).expect("decodes");
    assert_eq!(
        (
            s.quality.records,
            s.quality.fields_present,
            s.quality.fields_required
        ),
        (3, 12, 12)
    );
    assert_eq!(s.quality.timeliness, alloc::vec![2, 1, 0, 0]);
    assert_eq!(s.quality.accuracy, alloc::vec![1, 2, 0, 0]);
    // Completeness 100%; timeliness (2 × 100% + 1 × 80%) / 3; accuracy (100% + 2 × 80%) / 3.
    assert_eq!(
        (s.completeness.score, s.timeliness.score, s.accuracy.score),
        (10_000, 9_333, 8_666)
    );
    // 40% × 100.00 + 30% × 93.33 + 30% × 86.66 = 93.99: AAA, 80% of the 990,000.00 invoiced.
    assert_eq!((s.overall, s.rating.as_str()), (9_399, "AAA"));
    assert_eq!(s.amount, 79_200_000);
    assert!(
        s.rule
            .contains("rating AAA (at least 90.00%) suggests 80.00% of the 990000.00 invoiced"),
        "{}",
        s.rule
    );
    assert_eq!(
        s.timeliness.band,
        "2 within 1 day(s), 1 within 7 day(s), 0 within 30 day(s), 0 later"
    );
    // Not a core enterprise: refused with a sentence.
    let out = mock::call(
        [9; 32],
        RECORDS,
        method::SUGGEST_LINE.name,
        &String::from(SELLER).encode(),
    );
    assert!(out.result.expect_err("refused").contains("is not a member"));
}
