//! Invoice claims on a parachain (ADR 0031), on the mock host with the real registry, records,
//! cash and voucher contracts: where the host holds the consortium's invoice key, a voucher
//! rests only on invoices whose fingerprint the chain took a claim of; issuing marks the claim
//! in use; cancelling the last voucher on an invoice releases it, after which it backs nothing
//! until claimed again; a chain without the key needs no claims.

use catena_schema::cash::Mint;
use catena_schema::records::NewRecord;
use catena_schema::voucher::{keys, ClaimState, InvoiceClaim, SetCreditLine, Terms, VoucherId};
use catena_schema::Amount;
use catena_sdk::codec::{Decode, Encode};
use catena_sdk::mock;
use catena_testkit::{
    call, contract_id, m, refused, registry, trade_contracts, uscc_of, voucher_config, BANK, CORE,
    TIER1,
};

const MILLION: Amount = 100_000_000;
const KEY: [u8; 32] = [7; 32];

fn setup(key: Option<[u8; 32]>) {
    registry();
    trade_contracts(
        records::dispatch,
        cash::dispatch,
        voucher::dispatch,
        &voucher_config(),
    );
    mock::set_invoice_key(key);
    let line = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: 5 * MILLION,
    };
    call(BANK, m::voucher::SET_CREDIT_LINE, &line).expect("credit line");
    let mint = Mint {
        to: uscc_of(CORE),
        amount: 2 * MILLION,
    };
    call(BANK, m::cash::MINT, &mint).expect("minted");
    let invoice: NewRecord = records::testing::invoice(1, &uscc_of(TIER1), &uscc_of(CORE), MILLION);
    call(TIER1, m::records::RECORD, &invoice).expect("invoice recorded");
}

fn terms(amount: Amount) -> Terms {
    Terms {
        counterparty: uscc_of(TIER1),
        amount,
        currency: "CNY".into(),
        maturity_ms: mock::block().1 + 30 * 86_400_000,
        invoices: vec![[1; 32]],
        records: Vec::new(),
        line: None,
    }
}

/// The fingerprint of invoice 1 (code 3100231130, number 00000001, seller tier 1).
fn fingerprint() -> [u8; 32] {
    catena_sdk::invoice_fingerprint("3100231130", "00000001", &uscc_of(TIER1)).expect("a key")
}

fn claim() -> Option<InvoiceClaim> {
    mock::get(
        contract_id("voucher"),
        &keys::invoice_claim_key(&fingerprint()),
    )
    .map(|bytes| InvoiceClaim::decode(&mut &bytes[..]).expect("a claim"))
}

/// What the node's `TakeInvoiceClaims` writes for a proved claim.
fn take(number: u64) {
    let claim = InvoiceClaim {
        claim: number,
        state: ClaimState::Claimed,
    };
    mock::put(
        contract_id("voucher"),
        &keys::invoice_claim_key(&fingerprint()),
        &claim.encode(),
    );
}

/// The mock computes fingerprints as the node does (catena_primitives::invoice's known answer).
#[test]
fn the_mock_fingerprint_is_the_nodes() {
    mock::reset();
    mock::set_invoice_key(Some(KEY));
    let fp = catena_sdk::invoice_fingerprint("3100231130", "00000001", "91310000MA1FL8X72K")
        .expect("a key");
    assert_eq!(
        fp.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "c0c536355d73f4004c7f68f0b9045d1811afff6b38480c92fd1f7faefe143e7c"
    );
    mock::set_invoice_key(None);
    assert_eq!(catena_sdk::invoice_fingerprint("1", "2", "3"), None);
}

#[test]
fn a_voucher_rests_only_on_claimed_invoices_and_cancelling_releases_them() {
    setup(Some(KEY));
    let refusal = refused(CORE, m::voucher::ISSUE, &terms(MILLION / 2));
    assert!(
        refusal.contains("invoice 00000001 is not claimed for this parachain on the main chain"),
        "{refusal}"
    );
    take(1);
    let out = call(CORE, m::voucher::ISSUE, &terms(MILLION / 2)).expect("issued on a claim");
    let first: VoucherId = catena_sdk::decode(&out).expect("an id");
    assert_eq!(claim().map(|c| c.state), Some(ClaimState::InUse));
    let out = call(CORE, m::voucher::ISSUE, &terms(MILLION / 4)).expect("the rest of it");
    let second: VoucherId = catena_sdk::decode(&out).expect("an id");

    // Cancelling one voucher keeps the claim in use while the other rests on the invoice.
    for who in [CORE, TIER1] {
        call(who, m::voucher::CANCEL, &first).expect("cancel consent");
    }
    assert_eq!(claim().map(|c| c.state), Some(ClaimState::InUse));
    for who in [CORE, TIER1] {
        call(who, m::voucher::CANCEL, &second).expect("cancel consent");
    }
    assert_eq!(
        claim(),
        Some(InvoiceClaim {
            claim: 1,
            state: ClaimState::Released
        })
    );
    // Released: nothing rests on it until the chain takes a new claim.
    let refusal = refused(CORE, m::voucher::ISSUE, &terms(MILLION / 2));
    assert!(refusal.contains("is not claimed"), "{refusal}");
    take(2);
    call(CORE, m::voucher::ISSUE, &terms(MILLION / 2)).expect("issued on the new claim");
}

#[test]
fn a_chain_without_the_key_needs_no_claims() {
    setup(None);
    call(CORE, m::voucher::ISSUE, &terms(MILLION / 2)).expect("issued");
}

/// A supplier's request needs no claim (it creates nothing); the issuer's confirmation does.
#[test]
fn the_confirmation_needs_the_claim_not_the_request() {
    setup(Some(KEY));
    let asked = Terms {
        counterparty: uscc_of(CORE),
        ..terms(MILLION / 2)
    };
    let out = call(TIER1, m::voucher::REQUEST, &asked).expect("requested without a claim");
    let request: u64 = catena_sdk::decode(&out).expect("an id");
    let refusal = refused(CORE, m::voucher::CONFIRM, &request);
    assert!(refusal.contains("is not claimed"), "{refusal}");
    take(1);
    call(CORE, m::voucher::CONFIRM, &request).expect("confirmed on the claim");
    assert_eq!(claim().map(|c| c.state), Some(ClaimState::InUse));
}
