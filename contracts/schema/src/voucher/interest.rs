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
