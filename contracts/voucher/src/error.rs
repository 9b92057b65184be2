//! Why a voucher operation was refused: each variant says it in a sentence a treasurer can act on.

use alloc::string::String;
use catena_schema::voucher::VoucherId;
use catena_schema::{format_amount, Amount, RecordId, Uscc};

#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    AlreadyInitialised,
    NotAMember,
    MissingRole {
        member: Uscc,
        role: &'static str,
    },
    UnknownMember(Uscc),
    CannotHold(Uscc),
    NoVoucher(VoucherId),
    NoRequest(u64),
    RequestClosed {
        id: u64,
        status: &'static str,
    },
    RequestExpired(u64),
    Auditor(Uscc),
    SelfGrant(Uscc),
    NoCreditLine {
        issuer: Uscc,
        financier: Uscc,
    },
    LineRevoked {
        issuer: Uscc,
        financier: Uscc,
        /// The membership proposal that revoked it.
        proposal: Option<u64>,
    },
    UnrelatedRecord {
        id: RecordId,
        issuer: Uscc,
        holder: Uscc,
    },
    NoOffer(VoucherId),
    NotYours {
        who: Uscc,
        what: &'static str,
        owner: Uscc,
    },
    NotActive {
        id: VoucherId,
        status: &'static str,
    },
    Matured(VoucherId),
    OfferOpen(VoucherId),
    NotPledged(VoucherId),
    NotCancellable(VoucherId),
    AlreadyConsented(Uscc),
    ZeroAmount,
    Currency {
        found: String,
        expected: String,
    },
    MaturityNotInFuture,
    NotRecorded(RecordId),
    NotAnInvoice(RecordId),
    InvoiceParties {
        number: String,
        buyer: Uscc,
        seller: Uscc,
    },
    InvoiceUsedUp {
        number: String,
        amount: Amount,
    },
    InvoiceNotClaimed {
        number: String,
    },
    OverFinanced {
        needed: Amount,
        available: Amount,
    },
    CreditLineExceeded {
        issuer: Uscc,
        /// The one line asked for, or all of them.
        financier: Option<Uscc>,
        available: Amount,
        needed: Amount,
    },
    PartTooSmall {
        part: Amount,
        min: Amount,
    },
    SplitSum {
        total: Amount,
        amount: Amount,
    },
    NotScheduled,
    Invalid(String),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let hex = |id: &RecordId| catena_sdk::hex(id);
        match self {
            Error::AlreadyInitialised => write!(f, "the voucher contract is already initialised"),
            Error::NotAMember => write!(f, "the caller is not an account of any member"),
            Error::MissingRole { member, role } => {
                write!(f, "member {member} does not have the role '{role}'")
            }
            Error::UnknownMember(uscc) => write!(f, "{uscc} is not a member"),
            Error::CannotHold(uscc) => write!(
                f,
                "member {uscc} cannot hold vouchers (only suppliers, core enterprises and financiers that are not auditors can)"
            ),
            Error::NoVoucher(id) => write!(f, "there is no voucher {id}"),
            Error::NoRequest(id) => write!(f, "there is no confirmation request {id}"),
            Error::RequestClosed { id, status } => {
                write!(f, "request {id} is {status}: only a pending request can do this")
            }
            Error::RequestExpired(id) => write!(
                f,
                "request {id} expired at the maturity it names: it can no longer be confirmed"
            ),
            Error::Auditor(uscc) => write!(
                f,
                "member {uscc} is an auditor: auditors read, they write no business state"
            ),
            Error::SelfGrant(uscc) => write!(
                f,
                "member {uscc} cannot grant a credit line to itself"
            ),
            Error::NoCreditLine { issuer, financier } => write!(
                f,
                "financier {financier} has granted no credit line to {issuer}"
            ),
            Error::LineRevoked {
                issuer,
                financier,
                proposal,
            } => {
                write!(
                    f,
                    "the credit line of {financier} to {issuer} was revoked by governance"
                )?;
                if let Some(proposal) = proposal {
                    write!(f, " (membership proposal {proposal})")?;
                }
                write!(
                    f,
                    ": it backs what it backs and changes no more until the governing quorum restores it"
                )
            }
            Error::UnrelatedRecord { id, issuer, holder } => write!(
                f,
                "record 0x{} names neither both {issuer} and {holder} among its parties nor is it linked with a backing invoice: a voucher rests only on documents of its own trade",
                hex(id)
            ),
            Error::NoOffer(id) => write!(f, "voucher {id} is not offered to any financier"),
            Error::NotYours { who, what, owner } => {
                write!(f, "member {who} may not act on this {what}: it is {owner}'s")
            }
            Error::NotActive { id, status } => write!(
                f,
                "voucher {id} is {status}: only an active voucher can do this"
            ),
            Error::Matured(id) => write!(f, "voucher {id} has reached maturity and is being settled"),
            Error::OfferOpen(id) => write!(
                f,
                "voucher {id} is offered to a financier: withdraw the offer first"
            ),
            Error::NotPledged(id) => write!(f, "voucher {id} is not pledged"),
            Error::NotCancellable(id) => write!(
                f,
                "voucher {id} was split or transferred: only an untouched original can be cancelled"
            ),
            Error::AlreadyConsented(who) => {
                write!(f, "member {who} has already agreed to cancel this voucher")
            }
            Error::ZeroAmount => write!(f, "the amount must be above zero"),
            Error::Currency { found, expected } => write!(
                f,
                "the currency is {found}, this chain settles in {expected}"
            ),
            Error::MaturityNotInFuture => write!(f, "the maturity date must be in the future"),
            Error::NotRecorded(id) => write!(f, "document 0x{} is not recorded", hex(id)),
            Error::NotAnInvoice(id) => write!(f, "record 0x{} is not an invoice", hex(id)),
            Error::InvoiceParties {
                number,
                buyer,
                seller,
            } => write!(
                f,
                "invoice {number} is from {seller} to {buyer}: a voucher's invoices name its issuer as buyer and its first holder as seller"
            ),
            Error::InvoiceUsedUp { number, amount } => write!(
                f,
                "invoice {number} already backs vouchers for its whole amount {}: refused as double financing",
                format_amount(*amount)
            ),
            Error::InvoiceNotClaimed { number } => write!(
                f,
                "invoice {number} is not claimed for this parachain on the main chain: claim it first (catena invoice claim); an invoice another parachain claimed backs vouchers there only"
            ),
            Error::OverFinanced { needed, available } => write!(
                f,
                "the invoices can back only {} more, the voucher is for {}: an invoice never backs more than its amount (double financing)",
                format_amount(*available),
                format_amount(*needed)
            ),
            Error::CreditLineExceeded {
                issuer,
                financier: None,
                available,
                needed,
            } => write!(
                f,
                "issuer {issuer} has {} of its credit lines available, the voucher needs {}",
                format_amount(*available),
                format_amount(*needed)
            ),
            Error::CreditLineExceeded {
                issuer,
                financier: Some(financier),
                available,
                needed,
            } => write!(
                f,
                "issuer {issuer} has {} available on the credit line of {financier}, the voucher needs {}",
                format_amount(*available),
                format_amount(*needed)
            ),
            Error::PartTooSmall { part, min } => write!(
                f,
                "a part of {} is below the smallest part allowed, {}",
                format_amount(*part),
                format_amount(*min)
            ),
            Error::SplitSum { total, amount } => write!(
                f,
                "the parts add up to {}, the voucher is for {}: they must add up exactly",
                format_amount(*total),
                format_amount(*amount)
            ),
            Error::NotScheduled => write!(
                f,
                "settlement runs by itself at maturity, not before"
            ),
            Error::Invalid(reason) => write!(f, "{reason}"),
        }
    }
}

/// Refuses the call with `reason` (an [`Error::Invalid`]) if `broken`.
pub(crate) fn invalid_if(broken: bool, reason: &str) -> Result<(), Error> {
    if broken {
        return Err(Error::Invalid(reason.into()));
    }
    Ok(())
}
