//! A pledge (质押) of a voucher and the interest it secures.
use super::*;

/// A pledge (质押): the pledgee advanced `advance` at `since_ms`; it secures the unpaid advance
/// plus simple interest on it at `rate_bps` a year, ACT/360. Interest runs on the unpaid advance
/// only; a payment goes first to the interest charged, then to the advance; days are counted
/// from acceptance, every started day (see [`days_between`]), and a day once charged is never
/// charged again. The pledge ends once its claim is paid.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Pledge {
    pub pledgee: Uscc,
    pub advance: Amount,
    /// Annual interest rate in basis points (1/10,000), agreed at acceptance.
    pub rate_bps: u32,
    pub since_ms: TimeMs,
    /// What settlement and repayment have paid the pledgee so far.
    pub received: Amount,
    /// The advance still unpaid.
    pub principal: Amount,
    /// Interest charged (for the days up to `days_charged`) and not yet paid.
    pub interest_due: Amount,
    /// The days from acceptance interest has been charged for.
    pub days_charged: u64,
}

impl Pledge {
    /// A pledge of `advance` at `rate_bps` a year, accepted at `since_ms`.
    pub fn new(pledgee: Uscc, advance: Amount, rate_bps: u32, since_ms: TimeMs) -> Pledge {
        Pledge {
            pledgee,
            advance,
            rate_bps,
            since_ms,
            received: 0,
            principal: advance,
            interest_due: 0,
            days_charged: 0,
        }
    }

    /// The days from acceptance to `now_ms` not yet charged.
    fn days_to_charge(&self, now_ms: TimeMs) -> u64 {
        days_between(self.since_ms, now_ms).saturating_sub(self.days_charged)
    }

    /// The interest owed at `now_ms`: charged and unpaid, plus the days since on the unpaid
    /// advance.
    pub fn interest_owed(&self, now_ms: TimeMs) -> Amount {
        let accruing = interest(self.principal, self.rate_bps, self.days_to_charge(now_ms));
        self.interest_due.saturating_add(accruing)
    }

    /// What the pledgee is still owed at `now_ms`: the unpaid advance and the interest owed.
    pub fn owed(&self, now_ms: TimeMs) -> Amount {
        self.principal.saturating_add(self.interest_owed(now_ms))
    }

    /// What the pledge has secured by `now_ms`: what it was paid and what it is owed.
    pub fn secured(&self, now_ms: TimeMs) -> Amount {
        self.received.saturating_add(self.owed(now_ms))
    }

    /// Takes a payment of `amount` (at most [`Pledge::owed`]) at `now_ms`: interest is charged
    /// up to now, the payment goes to it first and then to the advance. What was taken.
    pub fn pay(&mut self, now_ms: TimeMs, amount: Amount) -> Amount {
        self.interest_due = self.interest_owed(now_ms);
        self.days_charged = days_between(self.since_ms, now_ms).max(self.days_charged);
        let to_interest = amount.min(self.interest_due);
        self.interest_due -= to_interest;
        let to_advance = (amount - to_interest).min(self.principal);
        self.principal -= to_advance;
        let taken = to_interest + to_advance;
        self.received = self.received.saturating_add(taken);
        taken
    }

    /// Whether the claim is paid: nothing left of the advance or the interest charged.
    pub fn is_paid(&self) -> bool {
        self.principal == 0 && self.interest_due == 0
    }
}
