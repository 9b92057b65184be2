//! Electronic receivable vouchers (电子债权凭证).
use super::*;

pub type VoucherId = u64;

pub mod keys;
pub mod method;

/// `init`'s argument, kept as the contract's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Config {
    pub registry: ContractId,
    pub records: ContractId,
    pub cash: ContractId,
    /// The contract's own id: scheduled settlement calls come from it.
    pub own_id: ContractId,
    pub currency: String,
    /// The smallest part a split may create.
    pub min_part: Amount,
    /// The most parts one split may create.
    pub max_parts: u32,
    /// Live parts one settlement call pays at most; the rest wait for the next block.
    pub settle_batch: u32,
    /// How long after maturity an unpaid part factored with recourse must wait before its
    /// factor may exercise recourse (chain parameter `recourse_grace_days`).
    pub recourse_grace_ms: TimeMs,
    /// The loan ledger a pledge is kept on as a loan with the voucher as collateral (ADR 0045),
    /// if any.
    pub lending: Option<ContractId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum Status {
    /// Held; may be split, transferred, offered, pledged, factored, cancelled.
    #[codec(index = 0)]
    Active,
    /// Frozen for its pledgee until released or settled.
    #[codec(index = 1)]
    Pledged,
    /// Replaced by its parts; inactive.
    #[codec(index = 2)]
    Split,
    /// Paid in full at maturity; closed.
    #[codec(index = 3)]
    Settled,
    /// Cancelled by issuer and holder; closed.
    #[codec(index = 4)]
    Cancelled,
    /// Past maturity and not (fully) paid: retried every block.
    #[codec(index = 5)]
    Overdue,
}

impl Status {
    /// A live part is one that settlement still has to pay.
    pub fn is_live(self) -> bool {
        matches!(self, Status::Active | Status::Pledged | Status::Overdue)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Pledged => "pledged",
            Status::Split => "split",
            Status::Settled => "settled",
            Status::Cancelled => "cancelled",
            Status::Overdue => "overdue",
        }
    }
}

/// An invoice backing an original voucher, and how much of the voucher it backs.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Backing {
    pub invoice: RecordId,
    pub amount: Amount,
}

/// Where a parachain's claim of an invoice's fingerprint stands (ADR 0031).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum ClaimState {
    /// Proved held for this chain on the main chain; no voucher rests on the invoice yet.
    Claimed,
    /// A voucher rests on the invoice.
    InUse,
    /// No voucher rests on it any more (its backing cancelled): the main chain may free it.
    Released,
}

/// A claim of an invoice's fingerprint this parachain took from the main chain.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct InvoiceClaim {
    /// The main chain's number of the claim it was proved with.
    pub claim: u64,
    pub state: ClaimState,
}

mod pledge;
pub use pledge::Pledge;

mod interest;
mod lines;
pub use interest::{days_between, discounted_price, interest, Accrual, DAY_MS};
pub use lines::{CreditLine, CreditLines, Draw};

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Factoring {
    pub financier: Uscc,
    pub price: Amount,
    /// The seller the factor may turn to if the issuer does not pay (with recourse).
    pub recourse_to: Option<Uscc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum FinanceKind {
    #[codec(index = 0)]
    Pledge,
    #[codec(index = 1)]
    Factoring,
}

/// One entry of a voucher's history.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum Action {
    #[codec(index = 0)]
    Issued { holder: Uscc, amount: Amount },
    #[codec(index = 1)]
    SplitInto(Vec<VoucherId>),
    #[codec(index = 2)]
    SplitFrom(VoucherId),
    #[codec(index = 3)]
    Transferred { from: Uscc, to: Uscc },
    #[codec(index = 4)]
    Offered { financier: Uscc, kind: FinanceKind },
    #[codec(index = 5)]
    Pledged {
        pledgee: Uscc,
        advance: Amount,
        rate_bps: u32,
    },
    #[codec(index = 6)]
    Released { pledgee: Uscc, repaid: Amount },
    #[codec(index = 7)]
    Factored {
        financier: Uscc,
        price: Amount,
        recourse: bool,
    },
    #[codec(index = 8)]
    CancelConsent(Uscc),
    #[codec(index = 9)]
    Cancelled,
    #[codec(index = 10)]
    Paid { to: Uscc, amount: Amount },
    #[codec(index = 11)]
    Overdue { unpaid: Amount },
    #[codec(index = 12)]
    OfferWithdrawn,
    /// The factor exercised recourse: the seller paid `paid` of the `owed` unpaid amount
    /// at once (the rest is debt `debt`) and holds the part again.
    #[codec(index = 13)]
    Recourse {
        factor: Uscc,
        seller: Uscc,
        owed: Amount,
        paid: Amount,
        debt: Option<u64>,
    },
    /// Settlement could not pay this part: `payee` (its holder, or its pledgee) may not be paid
    /// cash (not a member, or an auditor). Its share stays with the issuer, the other parts are
    /// paid, and the part is paid once the cause is cured and settlement is pushed.
    #[codec(index = 14)]
    HeldBack { payee: Uscc },
}

impl Action {
    /// The entry in words, for people.
    pub fn describe(&self) -> String {
        match self {
            Action::Issued { holder, amount } => {
                alloc::format!("issued {} to {holder}", format_amount(*amount))
            }
            Action::SplitInto(parts) => alloc::format!(
                "split into {}",
                parts
                    .iter()
                    .map(|p| alloc::format!("{p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Action::SplitFrom(parent) => alloc::format!("split from {parent}"),
            Action::Transferred { from, to } => {
                alloc::format!("transferred from {from} to {to}")
            }
            Action::Offered { financier, kind } => alloc::format!(
                "offered to {financier} for {}",
                match kind {
                    FinanceKind::Pledge => "a pledge",
                    FinanceKind::Factoring => "factoring",
                }
            ),
            Action::Pledged {
                pledgee,
                advance,
                rate_bps,
            } => alloc::format!(
                "pledged to {pledgee} for an advance of {} at {} a year",
                format_amount(*advance),
                format_rate(*rate_bps)
            ),
            Action::Released { pledgee, repaid } => {
                alloc::format!("released by {pledgee} (repaid {})", format_amount(*repaid))
            }
            Action::Factored {
                financier,
                price,
                recourse,
            } => alloc::format!(
                "factored to {financier} for {}{}",
                format_amount(*price),
                if *recourse { " with recourse" } else { "" }
            ),
            Action::CancelConsent(who) => alloc::format!("{who} agreed to cancel"),
            Action::Cancelled => "cancelled".into(),
            Action::Paid { to, amount } => {
                alloc::format!("paid {} to {to}", format_amount(*amount))
            }
            Action::Overdue { unpaid } => {
                alloc::format!("overdue: {} unpaid", format_amount(*unpaid))
            }
            Action::OfferWithdrawn => "offer withdrawn".into(),
            Action::Recourse {
                factor,
                seller,
                owed,
                paid,
                debt,
            } => alloc::format!(
                "recourse: {factor} turned to {seller} for {}, {} paid at once{}; {seller} holds the claim again",
                format_amount(*owed),
                format_amount(*paid),
                debt.map_or(String::new(), |d| alloc::format!(", the rest is debt {d}"))
            ),
            Action::HeldBack { payee } => alloc::format!(
                "held back: {payee} may not be paid cash; paid once that is cured and settlement is pushed"
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct HistoryEntry {
    pub height: u64,
    pub time_ms: TimeMs,
    pub action: Action,
}

/// A voucher or a part of one.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Voucher {
    pub id: VoucherId,
    /// The original voucher this part descends from (itself for an original).
    pub root: VoucherId,
    pub parent: Option<VoucherId>,
    pub children: Vec<VoucherId>,
    /// The obligor, a `core` member.
    pub issuer: Uscc,
    pub holder: Uscc,
    /// Face amount of this part.
    pub amount: Amount,
    /// What settlement has paid of it so far.
    pub paid: Amount,
    pub currency: String,
    pub issued_ms: TimeMs,
    pub maturity_ms: TimeMs,
    /// The invoices behind the original voucher (the same for every part).
    pub backing: Vec<Backing>,
    /// The other trade records behind it (contract, delivery receipt, ...).
    pub records: Vec<RecordId>,
    pub status: Status,
    pub pledge: Option<Pledge>,
    pub factoring: Option<Factoring>,
    /// Whether it (or an ancestor) ever changed hands.
    pub transferred: bool,
    /// Who agreed to cancel it (issuer and holder both must).
    pub cancel_consent: Vec<Uscc>,
    /// How many entries its history has (under [`keys::history_key`]).
    pub history_len: u32,
}

impl Voucher {
    /// What settlement still owes on this part.
    pub fn unpaid(&self) -> Amount {
        self.amount - self.paid
    }

    /// Who is paid at maturity: the pledgee of a pledged part, else the holder.
    pub fn payee(&self) -> &str {
        self.pledge.as_ref().map_or(&self.holder, |p| &p.pledgee)
    }
}

/// Terms shared by a request for confirmation and a direct issue.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Terms {
    /// For a request: the core enterprise asked to confirm; for an issue: the holder.
    pub counterparty: Uscc,
    pub amount: Amount,
    pub currency: String,
    pub maturity_ms: TimeMs,
    /// Recorded invoices naming the issuer as buyer and the first holder as seller.
    pub invoices: Vec<RecordId>,
    /// Other recorded documents of the trade: each names the issuer and the holder among
    /// its parties, or is linked with one of the invoices.
    pub records: Vec<RecordId>,
    /// The financier whose credit line the voucher draws on; `None` draws on the issuer's
    /// lines in ascending financier USCC order.
    pub line: Option<Uscc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum RequestStatus {
    #[codec(index = 0)]
    Pending,
    #[codec(index = 1)]
    Confirmed(VoucherId),
    #[codec(index = 2)]
    Rejected,
    /// Withdrawn by the supplier.
    #[codec(index = 3)]
    Withdrawn,
    /// Pending when its maturity came: it can no longer be confirmed (shown by queries;
    /// stored as pending).
    #[codec(index = 4)]
    Expired,
}

/// A supplier's request that a core enterprise confirm a payable (申请确权).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Request {
    pub id: u64,
    pub supplier: Uscc,
    pub issuer: Uscc,
    pub terms: Terms,
    pub status: RequestStatus,
}

/// A settlement round of an original voucher: each live part's share of what the issuer
/// could pay when the round began (all it owes, or a pro-rata share), paid `settle_batch`
/// parts a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Round {
    pub shares: Vec<(VoucherId, Amount)>,
    /// The first share not yet paid.
    pub next: u32,
    /// Whether a part of this round was left with something unpaid: the round is then
    /// followed by another in the next block.
    pub short: bool,
}

/// `held_by` and `issued_by`'s argument: a member's vouchers by id, a page at a time.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Page {
    pub owner: Uscc,
    /// Start after this id (the previous page's `next`).
    pub after: Option<VoucherId>,
    /// At most [`MAX_PAGE`].
    pub limit: u32,
}

/// A page of voucher ids; `next` is set when more follow (pass it as `after`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Listing {
    pub ids: Vec<VoucherId>,
    pub next: Option<VoucherId>,
}

/// The most ids one page lists.
pub const MAX_PAGE: u32 = 1_000;

/// What a seller owes its factor after recourse (有追索权保理), collected from the seller's
/// cash as it arrives.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Debt {
    pub id: u64,
    pub voucher: VoucherId,
    pub debtor: Uscc,
    pub creditor: Uscc,
    pub amount: Amount,
    pub paid: Amount,
}

/// `quote`'s argument: the price factoring at an annual discount rate would pay now.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Quote {
    pub voucher: VoucherId,
    pub annual_rate_bps: u32,
}

/// `quote`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Quoted {
    pub face: Amount,
    /// Days to maturity, every started day counted.
    pub days: u64,
    pub price: Amount,
}

/// `pledge_due`'s answer: what a pledge secures now.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct PledgeDue {
    pub pledge: Pledge,
    /// Days since acceptance, every started day counted.
    pub days: u64,
    /// The interest owed now (on the unpaid advance).
    pub interest: Amount,
    /// What was paid and what is owed.
    pub secured: Amount,
    /// What repaying costs now: the unpaid advance and the interest owed.
    pub owed: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct SetCreditLine {
    pub issuer: Uscc,
    pub limit: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Split {
    pub voucher: VoucherId,
    /// The parts' amounts; they must add up exactly to the voucher's.
    pub amounts: Vec<Amount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Transfer {
    pub voucher: VoucherId,
    pub to: Uscc,
    /// Transfer only this much: the voucher is split into this amount and the rest, and
    /// the first part moves. `None` moves the whole voucher.
    pub amount: Option<Amount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Offer {
    pub voucher: VoucherId,
    pub financier: Uscc,
    pub kind: FinanceKind,
    /// The least the holder accepts as advance or price: the financier cannot pay less.
    pub min_price: Amount,
}

/// The largest number of parts one original voucher may be split into, all splits together:
/// it bounds what settlement walks.
pub const MAX_PARTS_PER_VOUCHER: u32 = 256;
/// The latest maturity accepted: the end of year 9999.
pub const MAX_TIME_MS: TimeMs = 253_402_300_799_999;

/// What the financier pays on acceptance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum Price {
    /// This amount of cash.
    #[codec(index = 0)]
    Amount(Amount),
    /// The face amount less this many basis points (1/10,000), rounded down.
    #[codec(index = 1)]
    DiscountBps(u32),
    /// Priced by tenor: the face discounted at this annual rate in basis points for the
    /// days to maturity ([`discounted_price`]).
    #[codec(index = 2)]
    AnnualRateBps(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Accept {
    pub voucher: VoucherId,
    pub price: Price,
    /// Factoring only: whether the factor keeps recourse to the seller.
    pub recourse: bool,
    /// Pledge only: the annual interest rate in basis points the pledge secures (0: none).
    pub interest_bps: u32,
}

/// Events (topic, data). Every change of a voucher emits one.
pub mod events {
    #[cfg(feature = "std")]
    use super::*;
    use crate::method::events;

    events! {
        REQUESTED = "requested": Request;
        REJECTED = "rejected": Request;
        REQUEST_WITHDRAWN = "request_withdrawn": Request;
        /// The new original.
        ISSUED = "issued": Voucher;
        /// The voucher split, with its children.
        SPLIT = "split": Voucher;
        /// The voucher after the change, here and for the topics that follow.
        TRANSFERRED = "transferred": Voucher;
        OFFERED = "offered": Voucher;
        OFFER_WITHDRAWN = "offer_withdrawn": Voucher;
        PLEDGED = "pledged": Voucher;
        RELEASED = "released": Voucher;
        FACTORED = "factored": Voucher;
        CANCEL_CONSENT = "cancel_consent": Voucher;
        CANCELLED = "cancelled": Voucher;
        /// A part paid in full at maturity.
        SETTLED = "settled": Voucher;
        /// Part of what was due was paid; the rest is overdue.
        PARTIALLY_PAID = "partially_paid": Voucher;
        /// Nothing or not all could be paid; retried each block.
        OVERDUE = "overdue": Voucher;
        /// After recourse was exercised.
        RECOURSE = "recourse": Voucher;
        /// The debt after a payment of it.
        DEBT_PAID = "recourse_paid": Debt;
        /// The issuer and the financier's line after the change.
        CREDIT_LINE = "credit_line": (Uscc, CreditLine);
        /// A part whose payment settlement held back (see `Action::HeldBack`).
        HELD_BACK = "held_back": Voucher;
    }
}
