//! Settlement cash: deposit tokens minted and burned by financiers. Every unit is a claim on one
//! custodian (the financier that minted it), so balances are kept per (member, custodian).
use super::*;

pub mod keys {
    use super::*;
    /// `b/<member uscc>/<custodian uscc>` → [`Amount`]: the member's cash custodied by that
    /// financier (no entry for zero).
    pub const BALANCE: &[u8] = b"b/";
    /// → [`Amount`]: all cash in existence.
    pub const SUPPLY: &[u8] = b"supply";
    /// `c/<financier uscc>` → [`Amount`]: minted less burned by that financier: the cash it
    /// custodies, which equals the sum of every member's balance with it.
    pub const CUSTODY: &[u8] = b"c/";
    pub const CONFIG: &[u8] = b"cfg";

    /// `b/<member>/`: the member's balances, one per custodian, in custodian order.
    pub fn balance_prefix(member: &str) -> Vec<u8> {
        [BALANCE, member.as_bytes(), b"/"].concat()
    }
    pub fn balance_key(member: &str, custodian: &str) -> Vec<u8> {
        crate::prefixed(&balance_prefix(member), custodian.as_bytes())
    }
    pub fn custody_key(uscc: &str) -> Vec<u8> {
        crate::prefixed(CUSTODY, uscc.as_bytes())
    }
}

/// `init`'s argument, kept as the contract's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Init {
    pub registry: ContractId,
    /// Contracts allowed to move cash between members (the voucher contract, for advances
    /// and settlement).
    pub operators: Vec<ContractId>,
    pub currency: String,
}

/// `mint`'s argument: a financier mints cash against money it holds for `to`; the cash is
/// a claim on that financier.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Mint {
    pub to: Uscc,
    pub amount: Amount,
}

/// `transfer`'s argument: from the signer's member to `to`. With a custodian, only cash of
/// that custodian moves (to redeem it with that custodian, transfer it to the custodian);
/// without, the payer's balances are taken in [the payment order](payment_order).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Transfer {
    pub to: Uscc,
    pub amount: Amount,
    pub custodian: Option<Uscc>,
}

/// `operator_transfer`'s argument (operators only), taken in the payment order.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct OperatorTransfer {
    pub from: Uscc,
    pub to: Uscc,
    pub amount: Amount,
}

/// A member's cash with one custodian.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Balance {
    pub custodian: Uscc,
    pub amount: Amount,
}

/// The order in which a payment takes the payer's balances: first cash the payee itself
/// custodies (a claim on the payee, which it can then burn), then the others by ascending
/// custodian USCC. Returns the amounts taken per custodian, or `None` if the balances do
/// not cover `amount`.
pub fn payment_order(balances: &[Balance], payee: &str, amount: Amount) -> Option<Vec<Balance>> {
    let mut order: Vec<&Balance> = balances.iter().filter(|b| b.amount > 0).collect();
    order.sort_by(|a, b| {
        (a.custodian != payee, &a.custodian).cmp(&(b.custodian != payee, &b.custodian))
    });
    let mut left = amount;
    let mut out = Vec::new();
    for balance in order {
        if left == 0 {
            break;
        }
        let take = balance.amount.min(left);
        out.push(Balance {
            custodian: balance.custodian.clone(),
            amount: take,
        });
        left -= take;
    }
    (left == 0).then_some(out)
}

/// An event's data: `from` is empty for a mint, `to` for a burn; `custodian` is whose
/// claim moved. A payment over several custodians emits one event per custodian.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Movement {
    pub from: Uscc,
    pub to: Uscc,
    pub custodian: Uscc,
    pub amount: Amount,
}

pub mod events {
    #[cfg(feature = "std")]
    use super::*;
    use crate::method::events;

    events! {
        MINTED = "minted": Movement;
        BURNED = "burned": Movement;
        TRANSFERRED = "transferred": Movement;
    }
}

/// The cash contract's methods.
pub mod method {
    use super::*;
    use crate::method::methods;

    methods! { crate::names::CASH;
        INIT = "init": Init => ();
        MINT = "mint": Mint => ();
        BURN = "burn": Amount => ();
        TRANSFER = "transfer": Transfer => ();
        /// Only for the contracts the cash contract names as operators (the voucher contract).
        OPERATOR_TRANSFER = "operator_transfer": OperatorTransfer => ();
        BALANCE = "balance": Uscc => Amount;
        BALANCES = "balances": Uscc => Vec<Balance>;
        SUPPLY = "supply": () => Amount;
        CUSTODY = "custody": Uscc => Amount;
        HOLDINGS = "holdings": Uscc => Vec<String>;
    }
}
