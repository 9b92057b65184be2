//! Settlement cash: a ledger of deposit tokens. Every unit is a claim on one custodian: a
//! `financier` mints cash against money it holds in custody for a member, and the cash stays a
//! claim on that financier wherever it moves; balances are kept per (member, custodian). A
//! financier burns only its own cash (when it pays money out); one holding another's cash redeems
//! it by transferring it to that custodian, which burns it. Members transfer cash; the operator
//! contracts (the voucher contract) move it for advances and settlement. A payment takes the
//! payer's balances in the payment order of `catena_schema::cash::payment_order`. Nothing else
//! creates or destroys cash: for every custodian, minted less burned is the cash it custodies,
//! which is the sum of every member's balance with it. Auditors hold no cash.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use catena_schema::cash::method;
use catena_schema::cash::{
    events, keys, payment_order, Balance, Init, Mint, Movement, OperatorTransfer, Transfer,
};
use catena_schema::registry::AccountRecord;
use catena_schema::{format_amount, Amount, Role, Uscc};
use catena_sdk::{caller, emit_encoded, registry, storage};

catena_sdk::methods! {
    method::INIT => init,
    method::MINT => mint,
    method::BURN => burn,
    method::TRANSFER => transfer,
    method::OPERATOR_TRANSFER => operator_transfer,
    method::BALANCE => balance,
    method::BALANCES => balances,
    method::SUPPLY => supply,
    method::CUSTODY => custody,
    method::HOLDINGS => holdings,
}

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
    /// The custodian's own cash a burn needs, and what of other custodians' the financier holds.
    InsufficientOwnCash {
        financier: Uscc,
        own: Amount,
        others: Amount,
        needed: Amount,
    },
    InsufficientCustodied {
        member: Uscc,
        custodian: Uscc,
        balance: Amount,
        needed: Amount,
    },
    Auditor(Uscc),
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
            Error::InsufficientOwnCash {
                financier,
                own,
                others,
                needed,
            } => {
                write!(
                    f,
                    "financier {financier} holds {} of its own cash, {} is needed to burn",
                    format_amount(*own),
                    format_amount(*needed)
                )?;
                if *others > 0 {
                    write!(
                        f,
                        "; the {} it holds of other custodians' cash is redeemed with them (transfer it to its custodian)",
                        format_amount(*others)
                    )?;
                }
                Ok(())
            }
            Error::InsufficientCustodied {
                member,
                custodian,
                balance,
                needed,
            } => write!(
                f,
                "member {member} holds {} in cash custodied by {custodian}, {} is needed",
                format_amount(*balance),
                format_amount(*needed)
            ),
            Error::Auditor(uscc) => write!(
                f,
                "member {uscc} is an auditor: auditors hold no cash and move none"
            ),
            Error::ToSelf => write!(f, "a transfer to oneself moves nothing"),
            Error::Overflow => write!(f, "the amount is too large"),
        }
    }
}

fn init(init: Init) -> Result<(), Error> {
    storage::ensure_absent(keys::CONFIG, Error::AlreadyInitialised)?;
    storage::save(keys::CONFIG, &init);
    Ok(())
}

fn config() -> Init {
    storage::load_or_fail(keys::CONFIG, "the cash contract is not initialised")
}

fn signer() -> Result<AccountRecord, Error> {
    let account = caller();
    registry::account(&config().registry, &account).ok_or(Error::NotAMember)
}

/// A member that may hold cash: any member but an auditor.
fn check_holder(uscc: &str) -> Result<(), Error> {
    let member = registry::member(&config().registry, uscc)
        .ok_or_else(|| Error::UnknownMember(uscc.into()))?;
    if member.roles.contains(&Role::Auditor) {
        return Err(Error::Auditor(uscc.into()));
    }
    Ok(())
}

/// The member's balances, one per custodian, in custodian order.
fn balances(uscc: Uscc) -> Result<Vec<Balance>, Error> {
    let prefix = keys::balance_prefix(&uscc);
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    while let Some((key, value)) = storage::next(&prefix, after.as_deref()) {
        let custodian = core::str::from_utf8(&key[prefix.len()..])
            .unwrap_or_else(|_| catena_sdk::fail("a stored balance key is not UTF-8: a bug"));
        let amount = catena_sdk::decode(&value)
            .unwrap_or_else(|e| catena_sdk::fail(&alloc::format!("a stored balance: {e}")));
        out.push(Balance {
            custodian: custodian.into(),
            amount,
        });
        after = Some(key);
    }
    Ok(out)
}

/// The member's cash, all custodians together.
fn balance(uscc: Uscc) -> Result<Amount, Error> {
    Ok(balances(uscc)?.iter().map(|b| b.amount).sum())
}

fn supply(_: ()) -> Result<Amount, Error> {
    Ok(storage::load(keys::SUPPLY).unwrap_or(0))
}

/// Minted less burned by this financier: the cash it custodies.
fn custody(financier: Uscc) -> Result<Amount, Error> {
    Ok(storage::load(&keys::custody_key(&financier)).unwrap_or(0))
}

/// What a member still has in cash, one sentence each: governance does not remove a member while
/// anything is listed.
fn holdings(uscc: Uscc) -> Result<alloc::vec::Vec<String>, Error> {
    let mut out = alloc::vec::Vec::new();
    let held = balance(uscc.clone())?;
    if held > 0 {
        out.push(alloc::format!("holds {} in cash", format_amount(held)));
    }
    let custodied = custody(uscc)?;
    if custodied > 0 {
        out.push(alloc::format!(
            "custodies {} of cash (minted less burned)",
            format_amount(custodied)
        ));
    }
    Ok(out)
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
    check_holder(&args.to)?;
    add(keys::SUPPLY, args.amount)?;
    add(&keys::custody_key(&financier), args.amount)?;
    add(&keys::balance_key(&args.to, &financier), args.amount)?;
    emit_encoded(
        events::MINTED,
        &Movement {
            from: String::new(),
            to: args.to,
            custodian: financier,
            amount: args.amount,
        },
    );
    Ok(())
}

/// Burns the financier's own cash (a claim on itself): money it paid out of custody.
fn burn(amount: Amount) -> Result<(), Error> {
    let financier = financier()?;
    if amount == 0 {
        return Err(Error::ZeroAmount);
    }
    let own_key = keys::balance_key(&financier, &financier);
    let own: Amount = storage::load(&own_key).unwrap_or(0);
    if own < amount {
        let total = balance(financier.clone())?;
        return Err(Error::InsufficientOwnCash {
            financier,
            own,
            others: total - own,
            needed: amount,
        });
    }
    put_amount(&own_key, own - amount);
    subtract(&keys::custody_key(&financier), amount);
    subtract(keys::SUPPLY, amount);
    emit_encoded(
        events::BURNED,
        &Movement {
            from: financier.clone(),
            to: String::new(),
            custodian: financier,
            amount,
        },
    );
    Ok(())
}

fn transfer(args: Transfer) -> Result<(), Error> {
    let from = signer()?;
    if from.has(Role::Auditor) {
        return Err(Error::Auditor(from.uscc));
    }
    check_holder(&args.to)?;
    move_cash(from.uscc, args.to, args.amount, args.custodian)
}

/// Moves cash between any two members; only the operator contracts may.
fn operator_transfer(args: OperatorTransfer) -> Result<(), Error> {
    if !config().operators.contains(&caller()) {
        return Err(Error::NotAnOperator);
    }
    check_holder(&args.to)?;
    move_cash(args.from, args.to, args.amount, None)
}

/// Moves `amount` from `from` to `to`: of one custodian's cash, or in the payment order.
fn move_cash(from: Uscc, to: Uscc, amount: Amount, custodian: Option<Uscc>) -> Result<(), Error> {
    if amount == 0 {
        return Err(Error::ZeroAmount);
    }
    if from == to {
        return Err(Error::ToSelf);
    }
    let held = balances(from.clone())?;
    let taken = match custodian {
        Some(custodian) => {
            let balance = held
                .iter()
                .find(|b| b.custodian == custodian)
                .map_or(0, |b| b.amount);
            if balance < amount {
                return Err(Error::InsufficientCustodied {
                    member: from,
                    custodian,
                    balance,
                    needed: amount,
                });
            }
            alloc::vec![Balance { custodian, amount }]
        }
        None => payment_order(&held, &to, amount).ok_or_else(|| Error::InsufficientCash {
            member: from.clone(),
            balance: held.iter().map(|b| b.amount).sum(),
            needed: amount,
        })?,
    };
    for part in taken {
        let had = held
            .iter()
            .find(|b| b.custodian == part.custodian)
            .map_or(0, |b| b.amount);
        put_amount(
            &keys::balance_key(&from, &part.custodian),
            had - part.amount,
        );
        add(&keys::balance_key(&to, &part.custodian), part.amount)?;
        emit_encoded(
            events::TRANSFERRED,
            &Movement {
                from: from.clone(),
                to: to.clone(),
                custodian: part.custodian,
                amount: part.amount,
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
