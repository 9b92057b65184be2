//! The member registry: organisations, their roles and accounts (DOMAIN.md "Who takes part").
//!
//! Genesis writes the chain spec's members straight into this contract's storage; afterwards
//! membership changes only by a proposal that enough governing members approve. The node's
//! admission check reads `a/<account>` from here, so a removed account can no longer send
//! transactions from the next block on.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use catena_schema::registry::method;
use catena_schema::registry::{
    events, keys, AccountRecord, AuditScope, Change, Init, LineDecision, MemberRecord,
    MembershipGovernance, MembershipProposal, MembershipProposalStatus, NodeRecord,
    MAX_NODES_PER_MEMBER,
};
use catena_schema::voucher::method::{CREDIT_LINE, RESTORE_CREDIT_LINE, REVOKE_CREDIT_LINE};
use catena_schema::voucher::{CreditLine, CreditLines};
use catena_schema::{uscc, Account, Role, Uscc};
use catena_sdk::{block_height, block_time_ms, call_method, caller, emit_encoded, storage};

catena_sdk::methods! {
    method::INIT => init,
    method::PROPOSE => propose,
    method::APPROVE => approve,
    method::MEMBER => member,
    method::ACCOUNT => account,
    method::MEMBERS => members,
    method::GOVERNANCE => governance,
    method::PROPOSAL => proposal,
    method::REGISTER_NODE => register_node,
    method::REMOVE_NODE => remove_node,
    method::NODES => nodes,
    method::GRANT_AUDIT => grant_audit,
    method::REVOKE_AUDIT => revoke_audit,
    method::AUDIT_GRANTS => audit_grants,
}

mod audit;
use audit::{audit_grants, grant_audit, revoke_audit};

/// Why a registry call was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    AlreadyInitialised,
    NotAMember,
    NotGoverning(Uscc),
    NoProposal(u64),
    AlreadyApplied(u64),
    AlreadyApproved(Uscc),
    Invalid(String),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::AlreadyInitialised => write!(f, "the registry is already initialised"),
            Error::NotAMember => write!(f, "the caller is not an account of any member"),
            Error::NotGoverning(uscc) => write!(
                f,
                "member {uscc} does not govern membership: only governing members may propose or approve"
            ),
            Error::NoProposal(id) => write!(f, "there is no membership proposal {id}"),
            Error::AlreadyApplied(id) => write!(f, "proposal {id} is already applied"),
            Error::AlreadyApproved(uscc) => {
                write!(f, "member {uscc} has already approved this proposal")
            }
            Error::Invalid(reason) => write!(f, "{reason}"),
        }
    }
}

/// Where the registry keeps its `init` argument (the governance also under its own key).
const CONFIG: &[u8] = b"cfg";

fn init(init: Init) -> Result<(), Error> {
    storage::ensure_absent(keys::GOVERNANCE, Error::AlreadyInitialised)?;
    storage::save(keys::GOVERNANCE, &init.governance);
    storage::save(CONFIG, &init);
    Ok(())
}

fn config() -> Init {
    storage::load_or_fail(CONFIG, "the registry is not initialised")
}

/// What the dependent contracts say the member still has, one sentence each.
fn holdings(uscc: &str) -> Vec<String> {
    let mut out = Vec::new();
    for contract in config().dependents {
        let held: Vec<String> = call_method(
            &contract,
            catena_schema::cash::method::HOLDINGS,
            &String::from(uscc),
        );
        out.extend(held);
    }
    out
}

fn governance(_: ()) -> Result<MembershipGovernance, Error> {
    Ok(storage::load(keys::GOVERNANCE).unwrap_or_default())
}

fn member(uscc: Uscc) -> Result<Option<MemberRecord>, Error> {
    Ok(storage::load(&keys::member_key(&uscc)))
}

fn account(account: Account) -> Result<Option<AccountRecord>, Error> {
    Ok(storage::load(&keys::account_key(&account)))
}

/// Every record stored under `prefix`, in key order.
fn listed<T: catena_sdk::codec::Decode>(prefix: &[u8]) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    while let Some((key, value)) = storage::next(prefix, after.as_deref()) {
        out.push(catena_sdk::decode(&value).map_err(Error::Invalid)?);
        after = Some(key);
    }
    Ok(out)
}

/// Every member, in USCC order.
fn members(_: ()) -> Result<Vec<MemberRecord>, Error> {
    listed(keys::MEMBER)
}

/// Every registered node, in key order.
fn nodes(_: ()) -> Result<Vec<NodeRecord>, Error> {
    listed(keys::NODE)
}

/// The member the caller is an account of.
fn callers_member() -> Result<Uscc, Error> {
    storage::load::<AccountRecord>(&keys::account_key(&caller()))
        .map(|record| record.uscc)
        .ok_or(Error::NotAMember)
}

/// A member registers its own node: it grants the node what the member has already (the chain's
/// data and its gossip), so no quorum is asked (ADR 0024).
fn register_node(key: Account) -> Result<(), Error> {
    let uscc = callers_member()?;
    if let Some(node) = storage::load::<NodeRecord>(&keys::node_key(&key)) {
        return Err(invalid(format!(
            "node key 0x{} is already registered by member {}",
            catena_sdk::hex(&key),
            node.uscc
        )));
    }
    let own = nodes(())?.iter().filter(|n| n.uscc == uscc).count();
    if own >= MAX_NODES_PER_MEMBER {
        return Err(invalid(format!(
            "member {uscc} already has {MAX_NODES_PER_MEMBER} nodes, the most one member may register"
        )));
    }
    let node = NodeRecord { key, uscc };
    storage::save(&keys::node_key(&key), &node);
    emit_encoded(events::NODE_REGISTERED, &node);
    Ok(())
}

fn remove_node(key: Account) -> Result<(), Error> {
    let uscc = callers_member()?;
    match storage::load::<NodeRecord>(&keys::node_key(&key)) {
        Some(node) if node.uscc == uscc => {
            storage::remove(&keys::node_key(&key));
            emit_encoded(events::NODE_REMOVED, &node);
            Ok(())
        }
        Some(node) => Err(invalid(format!(
            "node key 0x{} is registered by member {}, not by {uscc}",
            catena_sdk::hex(&key),
            node.uscc
        ))),
        None => Err(invalid(format!(
            "node key 0x{} is not registered",
            catena_sdk::hex(&key)
        ))),
    }
}

fn proposal(id: u64) -> Result<Option<MembershipProposal>, Error> {
    Ok(storage::load(&keys::proposal_key(id)))
}

/// The governing member the caller acts for.
fn governing_caller() -> Result<Uscc, Error> {
    let record: AccountRecord =
        storage::load(&keys::account_key(&caller())).ok_or(Error::NotAMember)?;
    let gov = governance(())?;
    if !gov.members.contains(&record.uscc) {
        return Err(Error::NotGoverning(record.uscc));
    }
    Ok(record.uscc)
}

/// Proposes a change; the proposer's member approves it by proposing. Returns the proposal id.
fn propose(change: Change) -> Result<u64, Error> {
    let proposer = governing_caller()?;
    check(&change)?;
    let id = storage::get_u64(keys::NEXT_PROPOSAL);
    storage::set_u64(keys::NEXT_PROPOSAL, id + 1);
    let mut proposal = MembershipProposal {
        id,
        change,
        approvals: alloc::vec![proposer],
        status: MembershipProposalStatus::Open,
    };
    emit_encoded(events::PROPOSED, &proposal);
    apply_if_approved(&mut proposal)?;
    storage::save(&keys::proposal_key(id), &proposal);
    Ok(id)
}

fn approve(id: u64) -> Result<(), Error> {
    let approver = governing_caller()?;
    let mut proposal: MembershipProposal =
        storage::load(&keys::proposal_key(id)).ok_or(Error::NoProposal(id))?;
    if proposal.status != MembershipProposalStatus::Open {
        return Err(Error::AlreadyApplied(id));
    }
    if proposal.approvals.contains(&approver) {
        return Err(Error::AlreadyApproved(approver));
    }
    proposal.approvals.push(approver);
    emit_encoded(events::APPROVED, &proposal);
    apply_if_approved(&mut proposal)?;
    storage::save(&keys::proposal_key(id), &proposal);
    Ok(())
}

fn apply_if_approved(proposal: &mut MembershipProposal) -> Result<(), Error> {
    let gov = governance(())?;
    if (proposal.approvals.len() as u32) < gov.threshold.max(1) {
        return Ok(());
    }
    // The registry may have changed since the proposal: check again before applying.
    check(&proposal.change)?;
    apply(&proposal.change, proposal.id);
    proposal.status = MembershipProposalStatus::Applied(block_height());
    emit_encoded(events::APPLIED, &proposal.change);
    Ok(())
}

fn invalid(reason: String) -> Error {
    Error::Invalid(reason)
}

fn existing(uscc: &str) -> Result<MemberRecord, Error> {
    storage::load(&keys::member_key(uscc)).ok_or_else(|| invalid(format!("no member {uscc}")))
}

fn check_roles(roles: &[Role]) -> Result<(), Error> {
    if roles.is_empty() {
        return Err(invalid("a member needs at least one role".into()));
    }
    if roles
        .iter()
        .enumerate()
        .any(|(i, r)| roles[..i].contains(r))
    {
        return Err(invalid("a role is listed twice".into()));
    }
    Ok(())
}

/// A member that still holds, owes, secures, custodies or is owed anything live keeps every
/// role it has and does not become an auditor (who writes nothing, and so could not be paid or
/// pay): a role change must never strand what others are owed. The refusal lists what it has.
fn check_role_change(member: &MemberRecord, roles: &[Role]) -> Result<(), Error> {
    let dropped: Vec<&str> = member
        .roles
        .iter()
        .filter(|r| !roles.contains(r))
        .map(|r| r.as_str())
        .collect();
    let to_auditor = roles.contains(&Role::Auditor) && !member.roles.contains(&Role::Auditor);
    if dropped.is_empty() && !to_auditor {
        return Ok(());
    }
    let held = holdings(&member.uscc);
    if held.is_empty() {
        return Ok(());
    }
    let change = match (dropped.is_empty(), to_auditor) {
        (false, true) => format!("lose the role {} and become an auditor", dropped.join(", ")),
        (false, false) => format!("lose the role {}", dropped.join(", ")),
        _ => "become an auditor".into(),
    };
    Err(invalid(format!(
        "member {} cannot {change} while it still {}",
        member.uscc,
        held.join("; ")
    )))
}

fn check_account_free(account: &Account) -> Result<(), Error> {
    match storage::load::<AccountRecord>(&keys::account_key(account)) {
        Some(owner) => Err(invalid(format!(
            "account 0x{} already belongs to member {}",
            catena_sdk::hex(account),
            owner.uscc
        ))),
        None => Ok(()),
    }
}

/// Whether `change` can be applied to the registry as it is now.
fn check(change: &Change) -> Result<(), Error> {
    match change {
        Change::AddMember(member) => {
            uscc::validate(&member.uscc)
                .map_err(|e| invalid(format!("USCC {}: {e}", member.uscc)))?;
            if storage::get(&keys::member_key(&member.uscc)).is_some() {
                return Err(invalid(format!("member {} already exists", member.uscc)));
            }
            if member.name.trim().is_empty() || member.name.len() > 200 {
                return Err(invalid(
                    "a member's name must be 1 to 200 characters".into(),
                ));
            }
            check_roles(&member.roles)?;
            if member.accounts.is_empty() {
                return Err(invalid("a member needs at least one account".into()));
            }
            for (i, account) in member.accounts.iter().enumerate() {
                if member.accounts[..i].contains(account) {
                    return Err(invalid("an account is listed twice".into()));
                }
                check_account_free(account)?;
            }
        }
        Change::RemoveMember(uscc) => {
            existing(uscc)?;
            if governance(())?.members.contains(uscc) {
                return Err(invalid(format!(
                    "member {uscc} governs membership and cannot be removed"
                )));
            }
            let held = holdings(uscc);
            if !held.is_empty() {
                return Err(invalid(format!(
                    "member {uscc} cannot be removed while it still {}",
                    held.join("; ")
                )));
            }
        }
        Change::RevokeCreditLine { issuer, financier } => {
            if line_to_decide(issuer, financier)?.revoked {
                return Err(invalid(format!(
                    "the credit line of {financier} to {issuer} is already revoked"
                )));
            }
        }
        Change::RestoreCreditLine { issuer, financier } => {
            if !line_to_decide(issuer, financier)?.revoked {
                return Err(invalid(format!(
                    "the credit line of {financier} to {issuer} is not revoked: there is nothing to restore"
                )));
            }
        }
        Change::SetRoles { uscc, roles } => {
            let member = existing(uscc)?;
            check_roles(roles)?;
            check_role_change(&member, roles)?;
        }
        Change::AddAccount { uscc, account } => {
            existing(uscc)?;
            check_account_free(account)?;
        }
        Change::RemoveAccount { uscc, account } => {
            let member = existing(uscc)?;
            if !member.accounts.contains(account) {
                return Err(invalid(format!(
                    "account 0x{} is not an account of member {uscc}",
                    catena_sdk::hex(account)
                )));
            }
            if member.accounts.len() == 1 {
                return Err(invalid(format!(
                    "account 0x{} is member {uscc}'s last account",
                    catena_sdk::hex(account)
                )));
            }
        }
        Change::GrantChainAudit(grant) => audit::check_grant(grant, None)?,
        Change::RevokeChainAudit(auditor) => {
            audit::existing_grant(auditor, &AuditScope::Chain)?;
        }
    }
    Ok(())
}

/// Writes a member and the record of each of its accounts.
fn save_member(member: &MemberRecord) {
    for (key, value) in member.entries() {
        storage::set(&key, &value);
    }
}

fn apply(change: &Change, proposal: u64) {
    match change {
        Change::AddMember(member) => save_member(member),
        Change::RemoveMember(uscc) => {
            if let Some(member) = storage::load::<MemberRecord>(&keys::member_key(uscc)) {
                for account in &member.accounts {
                    storage::remove(&keys::account_key(account));
                }
                // A removed member's nodes leave the network with it.
                for node in nodes(()).unwrap_or_default() {
                    if &node.uscc == uscc {
                        storage::remove(&keys::node_key(&node.key));
                    }
                }
                storage::remove(&keys::member_key(uscc));
            }
        }
        Change::GrantChainAudit(grant) => audit::save_grant(grant, AuditScope::Chain),
        Change::RevokeChainAudit(auditor) => {
            if let Ok(grant) = audit::existing_grant(auditor, &AuditScope::Chain) {
                audit::remove_grant(&grant);
            }
        }
        Change::SetRoles { uscc, roles } => {
            if let Some(mut member) = storage::load::<MemberRecord>(&keys::member_key(uscc)) {
                member.roles = roles.clone();
                save_member(&member);
            }
        }
        Change::AddAccount { uscc, account } => {
            if let Some(mut member) = storage::load::<MemberRecord>(&keys::member_key(uscc)) {
                member.accounts.push(*account);
                save_member(&member);
            }
        }
        Change::RemoveAccount { uscc, account } => {
            if let Some(mut member) = storage::load::<MemberRecord>(&keys::member_key(uscc)) {
                member.accounts.retain(|a| a != account);
                storage::remove(&keys::account_key(account));
                save_member(&member);
            }
        }
        Change::RevokeCreditLine { issuer, financier } => {
            decide_line(issuer, financier, proposal, REVOKE_CREDIT_LINE)
        }
        Change::RestoreCreditLine { issuer, financier } => {
            decide_line(issuer, financier, proposal, RESTORE_CREDIT_LINE)
        }
    }
}

/// The credit line of `financier` to `issuer`, which a governance change is about to revoke or
/// restore; a refusal if the chain keeps no lines or the financier granted none.
fn line_to_decide(issuer: &Uscc, financier: &Uscc) -> Result<CreditLine, Error> {
    let Some(lines) = config().lines else {
        return Err(invalid("this chain keeps no credit lines".into()));
    };
    let all: CreditLines = call_method(&lines, CREDIT_LINE, issuer);
    all.lines
        .into_iter()
        .find(|l| &l.financier == financier)
        .ok_or_else(|| {
            invalid(format!(
                "financier {financier} has granted no credit line to {issuer}"
            ))
        })
}

/// Has the contract keeping the lines apply the quorum's decision `proposal` on a line.
fn decide_line(
    issuer: &Uscc,
    financier: &Uscc,
    proposal: u64,
    method: catena_sdk::Method<LineDecision, ()>,
) {
    if let Some(lines) = config().lines {
        let args = LineDecision {
            issuer: issuer.clone(),
            financier: financier.clone(),
            proposal,
        };
        let _: () = call_method(&lines, method, &args);
    }
}

#[cfg(test)]
mod tests;
