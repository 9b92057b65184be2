//! Interest and discount by days, ACT/360, in whole fen.
use crate::{Amount, TimeMs};

/// A day, for interest and tenor: 24 hours of block time.
pub const DAY_MS: TimeMs = 86_400_000;
/// 360 days of 10,000 basis points: the ACT/360 denominator.
const YEAR_BPS_DAYS: u128 = 360 * 10_000;

/// The days counted from `from_ms` to `to_ms`: every started day (24 hours of block time)
/// counts, so a loan taken and repaid within a day pays one day's interest.
pub fn days_between(from_ms: TimeMs, to_ms: TimeMs) -> u64 {
    to_ms.saturating_sub(from_ms).div_ceil(DAY_MS)
}

/// Interest on `principal` at `rate_bps` a year for `days`, ACT/360, rounded down to the fen.
pub fn interest(principal: Amount, rate_bps: u32, days: u64) -> Amount {
    let value = (u128::from(principal) * u128::from(rate_bps)).saturating_mul(u128::from(days))
        / YEAR_BPS_DAYS;
    Amount::try_from(value).unwrap_or(Amount::MAX)
}

/// The price of `face` discounted at `rate_bps` a year for `days` to maturity:
/// face × (1 − rate × days / 360), rounded down to the fen; `None` when nothing is left.
pub fn discounted_price(face: Amount, rate_bps: u32, days: u64) -> Option<Amount> {
    let discount = u128::from(rate_bps).saturating_mul(u128::from(days));
    if discount >= YEAR_BPS_DAYS {
        return None;
    }
    let price = u128::from(face) * (YEAR_BPS_DAYS - discount) / YEAR_BPS_DAYS;
    Amount::try_from(price).ok().filter(|p| *p > 0)
}

/// A debt that bears simple interest, ACT/360: the one set of rules every loan of the chain
/// follows (a voucher pledge's advance, a loan on the ledger). Interest runs on the unpaid
/// principal only; a payment goes first to the interest charged, then to the principal; days
/// are counted from the start, every started day (see [`days_between`]), and a day once charged
/// is never charged again. Outstanding = principal + interest charged − payments.
#[derive(Clone, Debug, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Accrual {
    /// Annual interest rate in basis points (1/10,000).
    pub rate_bps: u32,
    pub since_ms: TimeMs,
    /// What has been paid so far.
    pub received: Amount,
    /// The principal still unpaid.
    pub principal: Amount,
    /// Interest charged (for the days up to `days_charged`) and not yet paid.
    pub interest_due: Amount,
    /// The days from the start interest has been charged for.
    pub days_charged: u64,
}

impl Accrual {
    /// A debt of `principal` at `rate_bps` a year from `since_ms`.
    pub fn new(principal: Amount, rate_bps: u32, since_ms: TimeMs) -> Accrual {
        Accrual {
            rate_bps,
            since_ms,
            received: 0,
            principal,
            interest_due: 0,
            days_charged: 0,
        }
    }

    /// The days from the start to `now_ms` not yet charged.
    fn days_to_charge(&self, now_ms: TimeMs) -> u64 {
        days_between(self.since_ms, now_ms).saturating_sub(self.days_charged)
    }

    /// The interest owed at `now_ms`: charged and unpaid, plus the days since on the unpaid
    /// principal.
    pub fn interest_owed(&self, now_ms: TimeMs) -> Amount {
        let accruing = interest(self.principal, self.rate_bps, self.days_to_charge(now_ms));
        self.interest_due.saturating_add(accruing)
    }

    /// What is still owed at `now_ms`: the unpaid principal and the interest owed.
    pub fn owed(&self, now_ms: TimeMs) -> Amount {
        self.principal.saturating_add(self.interest_owed(now_ms))
    }

    /// Takes a payment of `amount` (at most [`Accrual::owed`]) at `now_ms`: interest is charged
    /// up to now, the payment goes to it first and then to the principal. What was taken, to
    /// interest and to principal.
    pub fn pay(&mut self, now_ms: TimeMs, amount: Amount) -> (Amount, Amount) {
        self.interest_due = self.interest_owed(now_ms);
        self.days_charged = days_between(self.since_ms, now_ms).max(self.days_charged);
        let to_interest = amount.min(self.interest_due);
        self.interest_due -= to_interest;
        let to_principal = (amount - to_interest).min(self.principal);
        self.principal -= to_principal;
        self.received = self.received.saturating_add(to_interest + to_principal);
        (to_interest, to_principal)
    }

    /// Whether the debt is paid: nothing left of the principal or the interest charged.
    pub fn is_paid(&self) -> bool {
        self.principal == 0 && self.interest_due == 0
    }
}
