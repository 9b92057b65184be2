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

    /// The pledge's debt, under the chain's one set of interest rules ([`Accrual`]).
    pub fn accrual(&self) -> Accrual {
        Accrual {
            rate_bps: self.rate_bps,
            since_ms: self.since_ms,
            received: self.received,
            principal: self.principal,
            interest_due: self.interest_due,
            days_charged: self.days_charged,
        }
    }

    fn set_accrual(&mut self, accrual: Accrual) {
        self.received = accrual.received;
        self.principal = accrual.principal;
        self.interest_due = accrual.interest_due;
        self.days_charged = accrual.days_charged;
    }

    /// The interest owed at `now_ms`: charged and unpaid, plus the days since on the unpaid
    /// advance.
    pub fn interest_owed(&self, now_ms: TimeMs) -> Amount {
        self.accrual().interest_owed(now_ms)
    }

    /// What the pledgee is still owed at `now_ms`: the unpaid advance and the interest owed.
    pub fn owed(&self, now_ms: TimeMs) -> Amount {
        self.accrual().owed(now_ms)
    }

    /// What the pledge has secured by `now_ms`: what it was paid and what it is owed.
    pub fn secured(&self, now_ms: TimeMs) -> Amount {
        self.received.saturating_add(self.owed(now_ms))
    }

    /// Takes a payment of `amount` (at most [`Pledge::owed`]) at `now_ms`: interest is charged
    /// up to now, the payment goes to it first and then to the advance. What was taken.
    pub fn pay(&mut self, now_ms: TimeMs, amount: Amount) -> Amount {
        let mut accrual = self.accrual();
        let (to_interest, to_advance) = accrual.pay(now_ms, amount);
        self.set_accrual(accrual);
        to_interest + to_advance
    }

    /// Whether the claim is paid: nothing left of the advance or the interest charged.
    pub fn is_paid(&self) -> bool {
        self.principal == 0 && self.interest_due == 0
    }
}
