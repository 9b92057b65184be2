//! Auditors' grants (DOMAIN.md "Who may read what"): a member grants an auditor the reading of
//! its own data for a period; the governing quorum grants the whole chain. The node reads the
//! grants to decide what an auditor's signed requests may see; nothing here reads the clock but
//! the block's time.

use super::*;
use catena_schema::registry::{AuditGrant, AuditScope, GrantAudit};

/// The grant checked: the auditor is a member whose roles include auditor, not the granter,
/// and the period ends after it begins and after this block.
pub(crate) fn check_grant(grant: &GrantAudit, granter: Option<&str>) -> Result<(), Error> {
    let auditor = existing(&grant.auditor)?;
    if !auditor.roles.contains(&Role::Auditor) {
        return Err(invalid(format!(
            "member {} ({}) is not an auditor: grants are made to auditors",
            auditor.name, auditor.uscc
        )));
    }
    if granter == Some(grant.auditor.as_str()) {
        return Err(invalid("a member cannot grant itself".into()));
    }
    if grant.until_ms <= grant.from_ms {
        return Err(invalid(format!(
            "a grant must end after it begins (from {} ms, until {} ms)",
            grant.from_ms, grant.until_ms
        )));
    }
    if grant.until_ms <= block_time_ms() {
        return Err(invalid(format!(
            "a grant until {} ms would already have ended (the block's time is {} ms)",
            grant.until_ms,
            block_time_ms()
        )));
    }
    Ok(())
}

/// Stores a grant (replacing one of the same scope) and tells it.
pub(crate) fn save_grant(grant: &GrantAudit, scope: AuditScope) {
    let record = AuditGrant {
        auditor: grant.auditor.clone(),
        scope,
        from_ms: grant.from_ms,
        until_ms: grant.until_ms,
    };
    storage::save(&keys::grant_key(&grant.auditor, &record.scope), &record);
    emit_encoded(events::AUDIT_GRANTED, &record);
}

/// The grant to `auditor` of `scope`, or why there is none.
pub(crate) fn existing_grant(auditor: &str, scope: &AuditScope) -> Result<AuditGrant, Error> {
    storage::load(&keys::grant_key(auditor, scope)).ok_or_else(|| {
        invalid(match scope {
            AuditScope::Member(member) => {
                format!("member {member} has granted auditor {auditor} nothing")
            }
            AuditScope::Chain => format!("auditor {auditor} holds no grant of the whole chain"),
        })
    })
}

/// Removes a grant and tells it.
pub(crate) fn remove_grant(grant: &AuditGrant) {
    storage::remove(&keys::grant_key(&grant.auditor, &grant.scope));
    emit_encoded(events::AUDIT_REVOKED, grant);
}

pub(crate) fn grant_audit(grant: GrantAudit) -> Result<(), Error> {
    let member = callers_member()?;
    check_grant(&grant, Some(&member))?;
    save_grant(&grant, AuditScope::Member(member));
    Ok(())
}

pub(crate) fn revoke_audit(auditor: Uscc) -> Result<(), Error> {
    let member = callers_member()?;
    let grant = existing_grant(&auditor, &AuditScope::Member(member))?;
    remove_grant(&grant);
    Ok(())
}

pub(crate) fn audit_grants(auditor: Uscc) -> Result<Vec<AuditGrant>, Error> {
    listed(&keys::grants_prefix(&auditor))
}
