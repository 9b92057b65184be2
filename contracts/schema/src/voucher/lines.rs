//! Credit lines (授信额度) financiers grant core enterprises, and what vouchers draw on them.
use super::*;

/// One financier's credit line (授信额度) to a core enterprise, and what the issuer's
/// outstanding vouchers draw on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct CreditLine {
    /// The granting financier: only it changes or closes the line.
    pub financier: Uscc,
    pub limit: Amount,
    pub outstanding: Amount,
    /// Revoked by the governing quorum: nothing new draws on it, its financier cannot change it,
    /// and it stays revoked (kept, also once nothing is outstanding) until the quorum restores it.
    pub revoked: bool,
}

impl CreditLine {
    /// What a new voucher may still draw on this line.
    pub fn available(&self) -> Amount {
        if self.revoked {
            0
        } else {
            self.limit.saturating_sub(self.outstanding)
        }
    }
}

/// A core enterprise's credit lines, one per financier, in financier USCC order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct CreditLines {
    pub issuer: Uscc,
    pub lines: Vec<CreditLine>,
}

/// The totals over every line, each a [`Total`]: lines of different financiers may add up to more
/// than one amount holds.
impl CreditLines {
    pub fn limit(&self) -> Total {
        self.lines.iter().map(|l| Total::from(l.limit)).sum()
    }
    pub fn outstanding(&self) -> Total {
        self.lines.iter().map(|l| Total::from(l.outstanding)).sum()
    }
    pub fn available(&self) -> Total {
        self.lines.iter().map(|l| Total::from(l.available())).sum()
    }
}

/// What one financier's line backs of an original voucher.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Draw {
    pub financier: Uscc,
    pub amount: Amount,
}
