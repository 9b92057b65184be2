//! The voucher contract's storage keys.
use super::*;
pub const CONFIG: &[u8] = b"cfg";
/// → `u64`: the next voucher id (ids start at 1).
pub const NEXT_VOUCHER: &[u8] = b"nv";
/// → `u64`: the next request id.
pub const NEXT_REQUEST: &[u8] = b"nr";
/// `v/<id big-endian>` → [`Voucher`].
pub const VOUCHER: &[u8] = b"v/";
/// `q/<id big-endian>` → [`Request`].
pub const REQUEST: &[u8] = b"q/";
/// `u/<invoice record id>` → [`Amount`]: how much of the invoice backs vouchers.
pub const INVOICE_USE: &[u8] = b"u/";
/// `l/<issuer uscc>/<financier uscc>` → [`CreditLine`]: each financier's own line.
pub const CREDIT_LINE: &[u8] = b"l/";
/// `d/<original id big-endian>` → `Vec<`[`Draw`]`>`: what each credit line still backs
/// of an original voucher, in the order drawn.
pub const DRAWS: &[u8] = b"d/";
/// `~/g/<pledgee uscc>/<id big-endian>` → `()`: the pledges a financier holds in force (an
/// index entry, outside the state tree: ADR 0049).
pub const BY_PLEDGEE: &[u8] = b"~/g/";
/// `f/<financier uscc>/<issuer uscc>` → `()`: the lines a financier granted.
pub const BY_FINANCIER: &[u8] = b"f/";
/// → `u64`: the next recourse debt id.
pub const NEXT_DEBT: &[u8] = b"nd";
/// `r/<debt id big-endian>` → [`Debt`]: what a seller owes its factor after recourse.
pub const DEBT: &[u8] = b"r/";
/// `w/<debtor uscc>/<debt id big-endian>` → `()`: the recourse debts a member owes.
pub const BY_DEBTOR: &[u8] = b"w/";
/// `k/<creditor uscc>/<debt id big-endian>` → `()`: the recourse debts owed to a member.
pub const BY_CREDITOR: &[u8] = b"k/";
/// `z/<issuer uscc>/<financier uscc>` → `u64`: the membership proposal that revoked the line,
/// while the revocation stands.
pub const REVOCATION: &[u8] = b"z/";
/// `y/<id big-endian>` → `()`: a part whose payment settlement holds back (its payee may not be
/// paid cash), until it is paid.
pub const HELD_BACK: &[u8] = b"y/";
/// `x/<debt id big-endian>` → [`crate::TimeMs`]: when a collection was last scheduled.
pub const DEBT_RETRY: &[u8] = b"x/";

/// `p/<invoice fingerprint>` → [`InvoiceClaim`]: a claim of the invoice this parachain took
/// from the main chain (written by the node's `TakeInvoiceClaims`, ADR 0031).
pub const INVOICE_CLAIM: &[u8] = b"p/";

/// `a/<voucher id>` → `LoanId`: the loan on the ledger of the voucher's pledge (ADR 0045).
pub const PLEDGE_LOAN: &[u8] = b"a/";

pub fn pledge_loan_key(id: VoucherId) -> Vec<u8> {
    crate::with_id(PLEDGE_LOAN, id)
}

pub fn invoice_claim_key(fingerprint: &[u8; 32]) -> Vec<u8> {
    [INVOICE_CLAIM, &fingerprint[..]].concat()
}
pub fn debt_key(id: u64) -> Vec<u8> {
    crate::with_id(DEBT, id)
}
pub fn held_back_key(id: VoucherId) -> Vec<u8> {
    crate::with_id(HELD_BACK, id)
}
pub fn debt_retry_key(id: u64) -> Vec<u8> {
    crate::with_id(DEBT_RETRY, id)
}
pub fn by_creditor_prefix(uscc: &str) -> Vec<u8> {
    index_prefix(BY_CREDITOR, uscc)
}
pub fn by_creditor_key(uscc: &str, id: u64) -> Vec<u8> {
    crate::with_id(&by_creditor_prefix(uscc), id)
}
pub fn by_debtor_prefix(uscc: &str) -> Vec<u8> {
    index_prefix(BY_DEBTOR, uscc)
}
pub fn by_debtor_key(uscc: &str, id: u64) -> Vec<u8> {
    crate::with_id(&by_debtor_prefix(uscc), id)
}
/// `o/<id big-endian>` → [`Offer`]: a pending offer to a financier.
pub const OFFER: &[u8] = b"o/";
/// `~/h/<uscc>/<id big-endian>` → `()`: the live vouchers a member holds (an index entry,
/// outside the state tree: ADR 0049).
pub const BY_HOLDER: &[u8] = b"~/h/";
/// `~/t/<seller uscc>/<id big-endian>` → `()`: the live parts a member sold with recourse (it
/// takes them back if they go unpaid), listed while their factor's right of recourse stands (an
/// index entry, outside the state tree: ADR 0049).
pub const BY_RECOURSE_SELLER: &[u8] = b"~/t/";
/// `i/<uscc>/<id big-endian>` → `()`: the original vouchers a member issued.
pub const BY_ISSUER: &[u8] = b"i/";
/// `e/<id big-endian>/<n big-endian u32>` → [`HistoryEntry`]: a voucher's history, one
/// entry a key, so a voucher's record never grows with its history.
pub const HISTORY: &[u8] = b"e/";
/// `n/<original id big-endian>` → `u32`: the parts an original has been split into.
pub const PART_COUNT: &[u8] = b"n/";
/// `s/<original id big-endian>` → [`crate::TimeMs`]: the block time at which a
/// settlement retry was last scheduled, so a retry is scheduled once per block.
pub const RETRY: &[u8] = b"s/";
/// `c/<original id big-endian>` → [`Round`]: the settlement round in progress (its
/// shares fixed when it began), so a round spread over several runs stays pro rata.
pub const SETTLE_ROUND: &[u8] = b"c/";

pub fn history_prefix(id: VoucherId) -> Vec<u8> {
    [HISTORY, &id.to_be_bytes()[..], b"/"].concat()
}
pub fn history_key(id: VoucherId, n: u32) -> Vec<u8> {
    [&history_prefix(id)[..], &n.to_be_bytes()[..]].concat()
}
pub fn part_count_key(root: VoucherId) -> Vec<u8> {
    crate::with_id(PART_COUNT, root)
}
pub fn retry_key(root: VoucherId) -> Vec<u8> {
    crate::with_id(RETRY, root)
}
pub fn settle_round_key(root: VoucherId) -> Vec<u8> {
    crate::with_id(SETTLE_ROUND, root)
}
pub fn draws_key(root: VoucherId) -> Vec<u8> {
    crate::with_id(DRAWS, root)
}

pub fn voucher_key(id: VoucherId) -> Vec<u8> {
    crate::with_id(VOUCHER, id)
}
pub fn request_key(id: u64) -> Vec<u8> {
    crate::with_id(REQUEST, id)
}
pub fn invoice_use_key(invoice: &RecordId) -> Vec<u8> {
    crate::prefixed(INVOICE_USE, &invoice[..])
}
pub fn credit_line_prefix(issuer: &str) -> Vec<u8> {
    index_prefix(CREDIT_LINE, issuer)
}
pub fn credit_line_key(issuer: &str, financier: &str) -> Vec<u8> {
    crate::prefixed(&credit_line_prefix(issuer), financier.as_bytes())
}
pub fn revocation_key(issuer: &str, financier: &str) -> Vec<u8> {
    crate::prefixed(&index_prefix(REVOCATION, issuer), financier.as_bytes())
}
pub fn offer_key(id: VoucherId) -> Vec<u8> {
    crate::with_id(OFFER, id)
}
pub fn by_holder_prefix(uscc: &str) -> Vec<u8> {
    index_prefix(BY_HOLDER, uscc)
}
pub fn by_holder_key(uscc: &str, id: VoucherId) -> Vec<u8> {
    crate::with_id(&by_holder_prefix(uscc), id)
}
pub fn by_recourse_seller_prefix(uscc: &str) -> Vec<u8> {
    index_prefix(BY_RECOURSE_SELLER, uscc)
}
pub fn by_recourse_seller_key(uscc: &str, id: VoucherId) -> Vec<u8> {
    crate::with_id(&by_recourse_seller_prefix(uscc), id)
}
pub fn by_pledgee_prefix(uscc: &str) -> Vec<u8> {
    index_prefix(BY_PLEDGEE, uscc)
}
pub fn by_pledgee_key(uscc: &str, id: VoucherId) -> Vec<u8> {
    crate::with_id(&by_pledgee_prefix(uscc), id)
}
pub fn by_financier_prefix(uscc: &str) -> Vec<u8> {
    index_prefix(BY_FINANCIER, uscc)
}
pub fn by_financier_key(financier: &str, issuer: &str) -> Vec<u8> {
    crate::prefixed(&by_financier_prefix(financier), issuer.as_bytes())
}
pub fn by_issuer_prefix(uscc: &str) -> Vec<u8> {
    index_prefix(BY_ISSUER, uscc)
}
pub fn by_issuer_key(uscc: &str, id: VoucherId) -> Vec<u8> {
    crate::with_id(&by_issuer_prefix(uscc), id)
}
/// `<index>/<uscc>/`: a member's entries in an index of voucher ids.
fn index_prefix(index: &[u8], uscc: &str) -> Vec<u8> {
    [index, uscc.as_bytes(), b"/"].concat()
}
