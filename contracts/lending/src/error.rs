//! Why a ledger operation was refused, in a sentence a treasurer can act on.

use alloc::string::String;
use catena_schema::lending::LoanId;
use catena_schema::{format_amount, Amount, Uscc};

#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    AlreadyInitialised,
    NotAMember,
    UnknownMember(Uscc),
    NotAFinancier(Uscc),
    Auditor(Uscc),
    NoLoan(LoanId),
    NotYours {
        who: Uscc,
        role: &'static str,
        id: LoanId,
    },
    WrongStatus {
        id: LoanId,
        status: &'static str,
    },
    OverLtv {
        amount: Amount,
        value: Amount,
        ltv_bps: u32,
        most: Amount,
    },
    OverLimit {
        amount: Amount,
        available: Amount,
        rule: String,
    },
    Invalid(String),
}

impl Error {
    pub(crate) fn invalid(reason: &str) -> Error {
        Error::Invalid(reason.into())
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::AlreadyInitialised => write!(f, "the lending contract is already initialised"),
            Error::NotAMember => write!(f, "the caller is not an account of any member"),
            Error::UnknownMember(uscc) => write!(f, "{uscc} is not a member"),
            Error::NotAFinancier(uscc) => {
                write!(f, "member {uscc} is not a financier: only financiers lend")
            }
            Error::Auditor(uscc) => write!(
                f,
                "member {uscc} is an auditor: auditors neither borrow nor lend"
            ),
            Error::NoLoan(id) => write!(f, "there is no loan {id}"),
            Error::NotYours { who, role, id } => write!(
                f,
                "member {who} is not the {role} of loan {id}: only its {role} may do this"
            ),
            Error::WrongStatus { id, status } => {
                write!(f, "loan {id} is {status}: this step does not apply to it")
            }
            Error::OverLimit {
                amount,
                available,
                rule,
            } => write!(
                f,
                "{} is above the {} of unsecured credit available to the borrower ({rule})",
                format_amount(*amount),
                format_amount(*available)
            ),
            Error::OverLtv {
                amount,
                value,
                ltv_bps,
                most,
            } => write!(
                f,
                "{} is above the {} a loan may be: {} of the receipt's appraised value {}",
                format_amount(*amount),
                format_amount(*most),
                catena_schema::format_rate(*ltv_bps),
                format_amount(*value)
            ),
            Error::Invalid(reason) => write!(f, "{reason}"),
        }
    }
}
