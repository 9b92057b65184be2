//! The voucher contract: who is asking.

use super::*;

/// The member the calling account belongs to.
pub(crate) fn signer() -> Result<AccountRecord, Error> {
    let account = caller();
    registry::account(&config().registry, &account).ok_or(Error::NotAMember)
}

pub(crate) fn signer_with(role: Role) -> Result<Uscc, Error> {
    let who = signer()?;
    if !who.has(role) {
        return Err(Error::MissingRole {
            member: who.uscc,
            role: role.as_str(),
        });
    }
    Ok(who.uscc)
}

/// The signer's member, which must be `owner` (of the `what` being acted on).
pub(crate) fn signer_is(owner: &str, what: &'static str) -> Result<Uscc, Error> {
    let who = signer()?.uscc;
    if who != owner {
        return Err(Error::NotYours {
            who,
            what,
            owner: owner.into(),
        });
    }
    Ok(who)
}

pub(crate) fn member(uscc: &str) -> Result<MemberRecord, Error> {
    registry::member(&config().registry, uscc).ok_or_else(|| Error::UnknownMember(uscc.into()))
}

/// A member that may hold vouchers: a supplier, a core enterprise or a financier, not an auditor.
pub(crate) fn check_holder(uscc: &str) -> Result<(), Error> {
    let member = member(uscc)?;
    // An auditor writes nothing and cannot be paid cash, so it holds no claim either, whatever
    // other role it also has (the cash contract refuses it the same way).
    if !member.roles.contains(&Role::Auditor)
        && [Role::Supplier, Role::Core, Role::Financier]
            .iter()
            .any(|r| member.roles.contains(r))
    {
        Ok(())
    } else {
        Err(Error::CannotHold(uscc.into()))
    }
}

pub(crate) fn check_role(uscc: &str, role: Role) -> Result<(), Error> {
    if member(uscc)?.roles.contains(&role) {
        Ok(())
    } else {
        Err(Error::MissingRole {
            member: uscc.into(),
            role: role.as_str(),
        })
    }
}
