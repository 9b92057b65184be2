//! How values read to people: dates in UTC, hashes shortened where a link carries the whole.

use time::macros::format_description;
use time::OffsetDateTime;

/// A block time (milliseconds since 1970) as `2026-12-07 08:30:17 UTC`.
pub fn time_ms(ms: u64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    i128::from(ms)
        .checked_mul(1_000_000)
        .and_then(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// `0x` and the first 8 hex digits, then an ellipsis: enough to tell hashes apart on a page.
pub fn short(full: &str) -> String {
    match full.get(..10) {
        Some(head) if full.len() > 10 => format!("{head}…"),
        _ => full.to_string(),
    }
}

/// The mean time between the first and last of `times` (newest first), as `1.02 s`.
pub fn mean_gap(times: &[u64]) -> Option<String> {
    let (newest, oldest) = (times.first()?, times.last()?);
    let gaps = times.len().checked_sub(1).filter(|n| *n > 0)?;
    let ms = newest.saturating_sub(*oldest) as f64 / gaps as f64;
    Some(format!("{:.2} s", ms / 1_000.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_hashes_and_gaps_read_as_people_write_them() {
        assert_eq!(time_ms(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(time_ms(1_796_632_217_000), "2026-12-07 08:30:17 UTC");
        assert_eq!(short("0x0123456789abcdef"), "0x01234567…");
        assert_eq!(short("0x01"), "0x01");
        assert_eq!(mean_gap(&[3_000, 2_000, 1_000]), Some("1.00 s".into()));
        assert_eq!(mean_gap(&[3_000]), None);
        assert_eq!(mean_gap(&[]), None);
    }
}
