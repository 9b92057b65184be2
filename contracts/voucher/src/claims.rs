//! The voucher contract: invoice claims on a parachain (ADR 0031). On a chain that keeps them
//! (the host holds the consortium's invoice key), a voucher rests only on invoices whose
//! fingerprint this parachain claimed on the main chain (the node's `TakeInvoiceClaims` writes
//! the claims it proved into this contract's storage); a claim is in use while a voucher rests
//! on the invoice and released when none does any more, so the main chain may free it.

use super::*;
use catena_schema::voucher::{ClaimState, InvoiceClaim};

/// The invoice's fingerprint where claims are kept; `None` on any other chain.
pub(crate) fn fingerprint(invoice: &Invoice) -> Option<[u8; 32]> {
    catena_sdk::invoice_fingerprint(&invoice.code, &invoice.number, &invoice.seller)
}

fn claim_of(fingerprint: &[u8; 32]) -> Option<InvoiceClaim> {
    storage::load(&keys::invoice_claim_key(fingerprint))
}

/// Refuses an invoice this parachain holds no live claim of (where claims are kept); its
/// fingerprint, to mark in use once the voucher is created.
pub(crate) fn check(invoice: &Invoice) -> Result<Option<[u8; 32]>, Error> {
    let Some(fingerprint) = fingerprint(invoice) else {
        return Ok(None);
    };
    match claim_of(&fingerprint) {
        Some(claim) if claim.state != ClaimState::Released => Ok(Some(fingerprint)),
        _ => Err(Error::InvoiceNotClaimed {
            number: invoice.number.clone(),
        }),
    }
}

/// Sets a held claim's state (in use, or released).
pub(crate) fn mark(fingerprint: &[u8; 32], state: ClaimState) {
    if let Some(mut claim) = claim_of(fingerprint) {
        if claim.state != ClaimState::Released && claim.state != state {
            claim.state = state;
            storage::save(&keys::invoice_claim_key(fingerprint), &claim);
        }
    }
}

/// Releases the claims of `voucher`'s invoices that no voucher rests on any more.
pub(crate) fn release_unused(voucher: &Voucher) {
    let records = config().records;
    for part in &voucher.backing {
        if used(&part.invoice) != 0 {
            continue;
        }
        let record: Option<Record> = call_method(&records, records_method::GET, &part.invoice);
        let fingerprint = record
            .and_then(|r| r.invoice)
            .and_then(|invoice| fingerprint(&invoice));
        if let Some(fingerprint) = fingerprint {
            mark(&fingerprint, ClaimState::Released);
        }
    }
}
