//! The types the node, the CLI and the contracts share: the system contracts' stored records,
//! their methods' arguments and results, and their events, all SCALE-encoded.
//!
//! A system contract method takes the SCALE encoding of its argument type as input and returns
//! the SCALE encoding of its result. Variant indices and field orders are part of the format: a
//! change is a reviewed decision, like a change of the host ABI. `no_std`, so the contracts
//! build it for wasm32.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use parity_scale_codec::{Decode, Encode};

/// A storage key: `prefix` then `rest`.
fn prefixed(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    [prefix, rest].concat()
}

/// A storage key: `prefix` then `id` big-endian (so that keys sort by id).
fn with_id(prefix: &[u8], id: u64) -> Vec<u8> {
    prefixed(prefix, &id.to_be_bytes())
}

pub mod uscc;

mod method;
pub use method::{same_name, Method};

#[cfg(feature = "std")]
mod decode;
#[cfg(feature = "std")]
pub mod metadata;

/// An ed25519 public key: a member's account.
pub type Account = [u8; 32];
/// A contract id (SHA-256), as contracts see it.
pub type ContractId = [u8; 32];
/// A member is named by its unified social credit code (18 characters).
pub type Uscc = String;
/// An amount of money in minor units (fen): never a float.
pub type Amount = u64;
/// A sum of amounts (the credit lines of an issuer, what a member owes in all): wide enough
/// that adding any number of amounts that a chain can hold never wraps.
pub type Total = u128;
/// A recorded document, named by the SHA-256 of its bytes.
pub type RecordId = [u8; 32];
/// Milliseconds since 1970, as in block headers.
pub type TimeMs = u64;

/// The names of the system contracts deployed at genesis. Their ids are
/// `catena_primitives::system_contract_id(name)`.
/// What a contract's read-only `reindex` returns (ADR 0049, docs/abi.md "Index entries"): index
/// entries derived from its committed entries (its own keys, each under `~/`), and where the next
/// page starts (`None`: none is left).
pub type Reindexed = (Vec<(Vec<u8>, Vec<u8>)>, Option<Vec<u8>>);

pub mod names {
    pub const REGISTRY: &str = "registry";
    pub const RECORDS: &str = "records";
    pub const CASH: &str = "cash";
    pub const VOUCHER: &str = "voucher";
    pub const RECEIPTS: &str = "receipts";
    pub const LENDING: &str = "lending";
    /// The system contracts, in the order genesis creates them.
    pub const SYSTEM: [&str; 6] = [REGISTRY, RECORDS, CASH, VOUCHER, RECEIPTS, LENDING];
}

/// A member's role (DOMAIN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum Role {
    /// 核心企业: confirms payables, issues vouchers, funds settlement.
    #[codec(index = 0)]
    Core,
    /// 供应商: requests confirmation, holds, splits and transfers vouchers.
    #[codec(index = 1)]
    Supplier,
    /// 资金方: finances vouchers, mints and burns settlement cash.
    #[codec(index = 2)]
    Financier,
    /// 物流/仓储: records shipments, deliveries, warehouse receipts.
    #[codec(index = 3)]
    Logistics,
    /// 监管/审计: reads, never writes business state.
    #[codec(index = 4)]
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Core,
        Role::Supplier,
        Role::Financier,
        Role::Logistics,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Core => "core",
            Role::Supplier => "supplier",
            Role::Financier => "financier",
            Role::Logistics => "logistics",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

pub mod registry;

pub mod records;

pub mod cash;

pub mod voucher;

pub mod receipts;

pub mod lending;

/// Formats minor units as a decimal amount with two places: `100000000` → `"1000000.00"`.
pub fn format_amount(amount: Amount) -> String {
    format_total(Total::from(amount))
}

/// Formats a sum of amounts ([`Total`]) as [`format_amount`] does: shown as it is, never wrapped.
pub fn format_total(total: Total) -> String {
    alloc::format!("{}.{:02}", total / 100, total % 100)
}

/// Formats basis points as a percentage: `365` → `"3.65%"`.
pub fn format_rate(bps: u32) -> String {
    alloc::format!("{}.{:02}%", bps / 100, bps % 100)
}

/// Parses a percentage with at most two decimal places into basis points: `"3.65"` or
/// `"3.65%"` → 365. At most 100%.
pub fn parse_rate(text: &str) -> Result<u32, String> {
    let number = text.strip_suffix('%').unwrap_or(text);
    let bps = parse_amount(number).map_err(|_| {
        alloc::format!("'{text}' is not a rate: write a percentage like 3.65 or 3.65% (at most two decimal places)")
    })?;
    if bps > 10_000 {
        return Err(alloc::format!("'{text}' is above 100%"));
    }
    Ok(bps as u32)
}

/// Parses a decimal amount with at most two places into minor units: `"1000000.00"`,
/// `"12.5"`, `"7"`. Refuses signs, other characters, a third decimal place and overflow.
pub fn parse_amount(text: &str) -> Result<Amount, String> {
    let bad = || {
        alloc::format!(
            "'{text}' is not an amount: write it like 1000000.00 (at most two decimal places)"
        )
    };
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let mut cents: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| bad())?
    };
    if fraction.len() == 1 {
        cents *= 10;
    }
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(|| alloc::format!("'{text}' is too large an amount"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_and_format() {
        assert_eq!(parse_amount("1000000.00"), Ok(100_000_000));
        assert_eq!(parse_amount("12.5"), Ok(1_250));
        assert_eq!(parse_amount("7"), Ok(700));
        assert_eq!(format_amount(100_000_000), "1000000.00");
        assert_eq!(format_amount(5), "0.05");
        assert_eq!(
            format_total(3 * Total::from(Amount::MAX)),
            "553402322211286548.45"
        );
        for bad in [
            "",
            "-1",
            "1.234",
            "1.",
            ".5",
            "1,000",
            "1e3",
            "99999999999999999999",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    /// Two financiers' lines of 10^19 fen each: the totals are their true sums, not wrapped.
    #[test]
    fn credit_line_totals_do_not_wrap() {
        let line = |financier: &str, limit: Amount, outstanding: Amount| voucher::CreditLine {
            financier: financier.into(),
            limit,
            outstanding,
            revoked: false,
        };
        let ten_to_19: Amount = 10_000_000_000_000_000_000;
        let lines = voucher::CreditLines {
            issuer: "core".into(),
            lines: alloc::vec![
                line("bank a", ten_to_19, ten_to_19 - 1),
                line("bank b", ten_to_19, ten_to_19),
            ],
        };
        assert_eq!(lines.limit(), 20_000_000_000_000_000_000);
        assert_eq!(lines.outstanding(), 19_999_999_999_999_999_999);
        assert_eq!(lines.available(), 1);
        assert_eq!(format_total(lines.limit()), "200000000000000000.00");
    }

    #[test]
    fn interest_is_act_360_by_started_days_rounded_down() {
        use voucher::{days_between, discounted_price, interest, DAY_MS};
        assert_eq!(days_between(0, 1), 1);
        assert_eq!(days_between(0, DAY_MS), 1);
        assert_eq!(days_between(0, DAY_MS + 1), 2);
        assert_eq!(days_between(5, 5), 0);
        assert_eq!(days_between(9, 5), 0);
        // 300,000.00 at 3.65% for one day: 30.416… → 30.41.
        assert_eq!(interest(30_000_000, 365, 1), 3_041);
        assert_eq!(interest(30_000_000, 365, 360), 1_095_000);
        assert_eq!(interest(u64::MAX, u32::MAX, u64::MAX), u64::MAX);
        // 1,000,000.00 at 3.60% for 90 days: 1,000,000 × (1 − 0.009) = 991,000.00.
        assert_eq!(discounted_price(100_000_000, 360, 90), Some(99_100_000));
        // Rounded down to the fen: 1.01 at 1% for 1 day = 1.00997… → 1.00.
        assert_eq!(discounted_price(101, 100, 1), Some(100));
        assert_eq!(discounted_price(100, 10_000, 360), None);
        assert_eq!(discounted_price(100, 0, 30), Some(100));
    }

    #[test]
    fn payments_take_the_payees_own_cash_first_then_custodian_order() {
        use alloc::vec;
        use cash::{payment_order, Balance};
        let b = |c: &str, amount| Balance {
            custodian: c.into(),
            amount,
        };
        let held = [b("A", 50), b("B", 30), b("C", 20)];
        assert_eq!(
            payment_order(&held, "C", 40),
            Some(vec![b("C", 20), b("A", 20)])
        );
        assert_eq!(
            payment_order(&held, "X", 60),
            Some(vec![b("A", 50), b("B", 10)])
        );
        assert_eq!(payment_order(&held, "X", 100).map(|v| v.len()), Some(3));
        assert_eq!(payment_order(&held, "X", 101), None);
    }

    #[test]
    fn rates_parse_and_format() {
        assert_eq!(parse_rate("3.65"), Ok(365));
        assert_eq!(parse_rate("3.65%"), Ok(365));
        assert_eq!(parse_rate("100%"), Ok(10_000));
        assert_eq!(format_rate(365), "3.65%");
        for bad in ["", "-1", "3.655", "101", "abc"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invoice_keys_do_not_collide() {
        assert_ne!(
            records::keys::invoice_key("ab", "c", "x"),
            records::keys::invoice_key("a", "bc", "x")
        );
    }
}
