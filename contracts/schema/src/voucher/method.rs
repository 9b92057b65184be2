//! The voucher contract's methods.
use super::*;
use crate::method::methods;
use crate::records::Suggestion;
use crate::registry::LineDecision;

methods! { crate::names::VOUCHER;
    INIT = "init": Config => ();
    SET_CREDIT_LINE = "set_credit_line": SetCreditLine => ();
    /// A supplier asks a core enterprise to confirm a payable; the request's id.
    REQUEST = "request": Terms => u64;
    CONFIRM = "confirm": u64 => VoucherId;
    REJECT = "reject": u64 => ();
    WITHDRAW_REQUEST = "withdraw_request": u64 => ();
    ISSUE = "issue": Terms => VoucherId;
    /// The new parts' ids, in the order of the amounts.
    SPLIT = "split": Split => Vec<VoucherId>;
    /// The id of the part the recipient holds.
    TRANSFER = "transfer": Transfer => VoucherId;
    OFFER = "offer": Offer => ();
    WITHDRAW_OFFER = "withdraw_offer": VoucherId => ();
    ACCEPT = "accept": Accept => ();
    RELEASE = "release": VoucherId => ();
    REPAY = "repay": VoucherId => ();
    /// The id of the debt the seller owes for what its cash did not cover, if any.
    EXERCISE_RECOURSE = "exercise_recourse": VoucherId => Option<u64>;
    COLLECT = "collect": u64 => ();
    DEBT = "debt": u64 => Option<Debt>;
    CANCEL = "cancel": VoucherId => ();
    SETTLE = "settle": VoucherId => ();
    GET = "get": VoucherId => Option<Voucher>;
    LINEAGE = "lineage": VoucherId => Vec<Voucher>;
    PATH = "path": VoucherId => Vec<Uscc>;
    HISTORY = "history": VoucherId => Vec<HistoryEntry>;
    CREDIT_LINE = "credit_line": Uscc => CreditLines;
    DRAWS = "draws": VoucherId => Vec<Draw>;
    QUOTE = "quote": Quote => Quoted;
    PLEDGE_DUE = "pledge_due": VoucherId => Option<PledgeDue>;
    HOLDINGS = "holdings": Uscc => Vec<String>;
    /// Only for the registry, applying a revocation the governing quorum approved.
    REVOKE_CREDIT_LINE = "revoke_credit_line": LineDecision => ();
    /// Only for the registry, applying a restoration the governing quorum approved.
    RESTORE_CREDIT_LINE = "restore_credit_line": LineDecision => ();
    /// The membership proposal that revoked a line (issuer, financier), while it stands.
    REVOCATION = "revocation": (Uscc, Uscc) => Option<u64>;
    GRANT_SUGGESTED_LINE = "grant_suggested_line": Uscc => Suggestion;
    INVOICE_USE = "invoice_use": RecordId => Amount;
    GET_REQUEST = "get_request": u64 => Option<Request>;
    HELD_BY = "held_by": Page => Listing;
    ISSUED_BY = "issued_by": Page => Listing;
    /// The index entries (ADR 0049) derived from the voucher records after the voucher key
    /// given, a page of records at a time, and the key the next page starts after (`None`:
    /// none is left). For a node that restored a snapshot, which carries no index entries.
    REINDEX = "reindex": Option<Vec<u8>> => crate::Reindexed;
}
