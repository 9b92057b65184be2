//! Settlement cash: a ledger of deposit tokens. A `financier` mints cash against money it holds
//! in custody for a member and burns its own cash when it pays money out; members transfer
//! cash; the operator contracts (the voucher contract) move it for advances and settlement.
//! Nothing else creates or destroys cash: the sum of balances is always the supply, and the
//! supply is always what was minted less what was burned.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::string::String;
use catena_abi::cash::{events, keys, Init, Mint, Movement, OperatorTransfer, Transfer};
use catena_abi::registry::AccountRecord;
use catena_abi::{format_amount, Amount, Role, Uscc};
use catena_sdk::{caller, emit_encoded, storage};

catena_sdk::methods!(
    init,
    mint,
    burn,
    transfer,
    operator_transfer,
    balance,
    supply,
    custody
);

#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    AlreadyInitialised,
    NotAMember,
    NotAFinancier(Uscc),
    NotAnOperator,
    ZeroAmount,
    UnknownMember(Uscc),
    InsufficientCash {
        member: Uscc,
        balance: Amount,
        needed: Amount,
    },
    ToSelf,
    Overflow,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::AlreadyInitialised => write!(f, "the cash contract is already initialised"),
            Error::NotAMember => write!(f, "the caller is not an account of any member"),
            Error::NotAFinancier(uscc) => write!(
                f,
                "member {uscc} is not a financier: only financiers mint and burn cash"
            ),
            Error::NotAnOperator => write!(
                f,
                "only the settlement operators (the voucher contract) may move cash between members"
            ),
            Error::ZeroAmount => write!(f, "the amount must be above zero"),
            Error::UnknownMember(uscc) => write!(f, "{uscc} is not a member"),
            Error::InsufficientCash {
                member,
                balance,
                needed,
            } => write!(
                f,
                "member {member} holds {} in cash, {} is needed",
                format_amount(*balance),
                format_amount(*needed)
            ),
            Error::ToSelf => write!(f, "a transfer to oneself moves nothing"),
            Error::Overflow => write!(f, "the amount is too large"),
        }
    }
}

fn init(init: Init) -> Result<(), Error> {
    if storage::get(keys::CONFIG).is_some() {
        return Err(Error::AlreadyInitialised);
    }
    storage::save(keys::CONFIG, &init);
    Ok(())
}

fn config() -> Init {
    storage::load(keys::CONFIG)
        .unwrap_or_else(|| catena_sdk::fail("the cash contract is not initialised"))
}

fn signer() -> Result<AccountRecord, Error> {
    // Read from the registry's storage (its published layout), not by calling it.
    let key = catena_abi::registry::keys::account_key(&caller());
    let record: Option<AccountRecord> = storage::load_of(&config().registry, &key);
    record.ok_or(Error::NotAMember)
}

fn check_member(uscc: &str) -> Result<(), Error> {
    let key = catena_abi::registry::keys::member_key(uscc);
    let member: Option<catena_abi::registry::MemberRecord> =
        storage::load_of(&config().registry, &key);
    member
        .map(|_| ())
        .ok_or_else(|| Error::UnknownMember(uscc.into()))
}

fn balance(uscc: Uscc) -> Result<Amount, Error> {
    Ok(storage::load(&keys::balance_key(&uscc)).unwrap_or(0))
}

fn supply(_: ()) -> Result<Amount, Error> {
    Ok(storage::load(keys::SUPPLY).unwrap_or(0))
}

/// Minted less burned by this financier.
fn custody(financier: Uscc) -> Result<Amount, Error> {
    Ok(storage::load(&keys::custody_key(&financier)).unwrap_or(0))
}

fn add(key: &[u8], amount: Amount) -> Result<(), Error> {
    let value: Amount = storage::load(key).unwrap_or(0);
    storage::save(key, &value.checked_add(amount).ok_or(Error::Overflow)?);
    Ok(())
}

fn subtract(key: &[u8], amount: Amount) {
    let value: Amount = storage::load(key).unwrap_or(0);
    let left = value
        .checked_sub(amount)
        .unwrap_or_else(|| catena_sdk::fail("cash accounts went negative: a bug"));
    put_amount(key, left);
}

/// Stores an amount; none is kept for zero.
fn put_amount(key: &[u8], value: Amount) {
    if value == 0 {
        storage::remove(key);
    } else {
        storage::save(key, &value);
    }
}

fn financier() -> Result<Uscc, Error> {
    let who = signer()?;
    if !who.has(Role::Financier) {
        return Err(Error::NotAFinancier(who.uscc));
    }
    Ok(who.uscc)
}

fn mint(args: Mint) -> Result<(), Error> {
    let financier = financier()?;
    if args.amount == 0 {
        return Err(Error::ZeroAmount);
    }
    check_member(&args.to)?;
    add(keys::SUPPLY, args.amount)?;
    add(&keys::custody_key(&financier), args.amount)?;
    add(&keys::balance_key(&args.to), args.amount)?;
    emit_encoded(
        events::MINTED,
        &Movement {
            from: String::new(),
            to: args.to,
            amount: args.amount,
        },
    );
    Ok(())
}

/// Burns the financier's own cash: money it paid out of custody.
fn burn(amount: Amount) -> Result<(), Error> {
    let financier = financier()?;
    if amount == 0 {
        return Err(Error::ZeroAmount);
    }
    let held = balance(financier.clone())?;
    if held < amount {
        return Err(Error::InsufficientCash {
            member: financier,
            balance: held,
            needed: amount,
        });
    }
    let custody = custody(financier.clone())?;
    if custody < amount {
        return Err(Error::InsufficientCash {
            member: financier,
            balance: custody,
            needed: amount,
        });
    }
    put_amount(&keys::balance_key(&financier), held - amount);
    put_amount(&keys::custody_key(&financier), custody - amount);
    subtract(keys::SUPPLY, amount);
    emit_encoded(
        events::BURNED,
        &Movement {
            from: financier,
            to: String::new(),
            amount,
        },
    );
    Ok(())
}

fn transfer(args: Transfer) -> Result<(), Error> {
    let from = signer()?.uscc;
    check_member(&args.to)?;
    move_cash(from, args.to, args.amount)
}

/// Moves cash between any two members; only the operator contracts may.
fn operator_transfer(args: OperatorTransfer) -> Result<(), Error> {
    if !config().operators.contains(&caller()) {
        return Err(Error::NotAnOperator);
    }
    move_cash(args.from, args.to, args.amount)
}

fn move_cash(from: Uscc, to: Uscc, amount: Amount) -> Result<(), Error> {
    if amount == 0 {
        return Err(Error::ZeroAmount);
    }
    if from == to {
        return Err(Error::ToSelf);
    }
    let held = balance(from.clone())?;
    if held < amount {
        return Err(Error::InsufficientCash {
            member: from,
            balance: held,
            needed: amount,
        });
    }
    put_amount(&keys::balance_key(&from), held - amount);
    add(&keys::balance_key(&to), amount)?;
    emit_encoded(events::TRANSFERRED, &Movement { from, to, amount });
    Ok(())
}

#[cfg(test)]
mod tests;
