//! A chain's parameters, fixed at genesis, with their defaults.

use serde::{Deserialize, Serialize};

/// Chain parameters fixed at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    pub block_time_ms: u64,
    pub max_block_txs: u32,
    pub max_block_bytes: u32,
    pub max_tx_bytes: u32,
    /// Fuel one transaction may burn in the contract runtime.
    pub max_tx_fuel: u64,
    /// Fuel one block may burn, scheduled calls included (they may use half of it).
    pub max_block_fuel: u64,
    /// The currency settlement cash and vouchers are in.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// The smallest part a voucher split may create, in minor units.
    #[serde(default = "default_min_part")]
    pub voucher_min_part: u64,
    /// The most parts one voucher split may create.
    #[serde(default = "default_max_parts")]
    pub voucher_max_parts: u32,
    /// Days after maturity before the factor of an unpaid part factored with recourse may turn
    /// to the seller (0 allowed, for demos).
    #[serde(default = "default_recourse_grace_days")]
    pub recourse_grace_days: u32,
    /// The most a loan on a warehouse receipt may be, in percent of the receipt's appraised
    /// value (1 to 100).
    #[serde(default = "default_loan_to_value_percent")]
    pub loan_to_value_percent: u32,
}

fn default_currency() -> String {
    "CNY".into()
}
fn default_min_part() -> u64 {
    100
}
fn default_max_parts() -> u32 {
    10
}
fn default_recourse_grace_days() -> u32 {
    30
}
fn default_loan_to_value_percent() -> u32 {
    70
}

impl Default for Parameters {
    fn default() -> Self {
        Parameters {
            block_time_ms: 1_000,
            max_block_txs: 10_000,
            max_block_bytes: 8 << 20,
            max_tx_bytes: 64 << 10,
            max_tx_fuel: 10_000_000,
            max_block_fuel: 2_000_000_000,
            currency: default_currency(),
            voucher_min_part: default_min_part(),
            voucher_max_parts: default_max_parts(),
            recourse_grace_days: default_recourse_grace_days(),
            loan_to_value_percent: default_loan_to_value_percent(),
        }
    }
}
