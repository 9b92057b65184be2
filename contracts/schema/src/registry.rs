//! The member registry: organisations, their roles and accounts, governed by a quorum.
use super::*;

/// Storage layout of the registry contract. The node reads [`account_key`] for admission.
pub mod keys {
    use super::*;
    /// `a/<account>` → [`AccountRecord`].
    pub const ACCOUNT: &[u8] = b"a/";
    /// `m/<uscc>` → [`MemberRecord`].
    pub const MEMBER: &[u8] = b"m/";
    /// → [`MembershipGovernance`].
    pub const GOVERNANCE: &[u8] = b"gov";
    /// → `u64`, the next proposal id.
    pub const NEXT_PROPOSAL: &[u8] = b"np";
    /// `p/<id big-endian>` → [`MembershipProposal`].
    pub const PROPOSAL: &[u8] = b"p/";
    /// `n/<node key>` → [`NodeRecord`]: a member's node, allowed on the chain's network. The
    /// node reads these for its allow list.
    pub const NODE: &[u8] = b"n/";
    /// `g/<auditor>/<member>` → [`AuditGrant`]: a member's grant of its data to an auditor;
    /// `g/<auditor>/*` the quorum's grant of the whole chain. The node reads an auditor's
    /// grants (under [`grants_prefix`]) to decide what it may read.
    pub const GRANT: &[u8] = b"g/";

    pub fn account_key(account: &Account) -> Vec<u8> {
        crate::prefixed(ACCOUNT, &account[..])
    }
    pub fn member_key(uscc: &str) -> Vec<u8> {
        crate::prefixed(MEMBER, uscc.as_bytes())
    }
    pub fn node_key(key: &Account) -> Vec<u8> {
        crate::prefixed(NODE, &key[..])
    }
    pub fn grants_prefix(auditor: &str) -> Vec<u8> {
        let mut key = crate::prefixed(GRANT, auditor.as_bytes());
        key.push(b'/');
        key
    }
    /// The key of the grant to `auditor` of `scope`.
    pub fn grant_key(auditor: &str, scope: &AuditScope) -> Vec<u8> {
        let mut key = grants_prefix(auditor);
        match scope {
            AuditScope::Member(member) => key.extend_from_slice(member.as_bytes()),
            AuditScope::Chain => key.push(b'*'),
        }
        key
    }
    pub fn proposal_key(id: u64) -> Vec<u8> {
        crate::with_id(PROPOSAL, id)
    }
}

/// What the chain knows of an account: its member and the member's roles.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct AccountRecord {
    /// The member's name.
    pub member: String,
    pub uscc: Uscc,
    pub roles: Vec<Role>,
}

impl AccountRecord {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A member's node: its network key (the ed25519 public key its libp2p peer id is made of) and
/// the member that runs it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct NodeRecord {
    pub key: Account,
    pub uscc: Uscc,
}

/// What an auditor was granted to read: one member's data, or the whole chain's.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum AuditScope {
    /// The data of this member (its vouchers, records, cash and transactions), granted by it.
    #[codec(index = 0)]
    Member(Uscc),
    /// Everything on the chain, granted by the governing quorum.
    #[codec(index = 1)]
    Chain,
}

/// A grant to an auditor, in force from `from_ms` (inclusive) until `until_ms` (exclusive).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct AuditGrant {
    pub auditor: Uscc,
    pub scope: AuditScope,
    pub from_ms: TimeMs,
    pub until_ms: TimeMs,
}

impl AuditGrant {
    pub fn in_force(&self, now_ms: TimeMs) -> bool {
        self.from_ms <= now_ms && now_ms < self.until_ms
    }
}

/// `grant_audit`'s argument, and the quorum's [`Change::GrantChainAudit`]: to whom, from when,
/// until when (milliseconds since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct GrantAudit {
    pub auditor: Uscc,
    pub from_ms: TimeMs,
    pub until_ms: TimeMs,
}

/// Nodes one member may register, at most.
pub const MAX_NODES_PER_MEMBER: usize = 16;

/// A member organisation.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct MemberRecord {
    pub name: String,
    pub uscc: Uscc,
    pub roles: Vec<Role>,
    pub accounts: Vec<Account>,
}

impl MemberRecord {
    /// The registry's storage entries for this member: its record and one per account.
    /// Genesis writes these for the chain spec's members; the contract for added ones.
    pub fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let record = AccountRecord {
            member: self.name.clone(),
            uscc: self.uscc.clone(),
            roles: self.roles.clone(),
        }
        .encode();
        let mut out = alloc::vec![(keys::member_key(&self.uscc), self.encode())];
        out.extend(
            self.accounts
                .iter()
                .map(|a| (keys::account_key(a), record.clone())),
        );
        out
    }
}

/// Who governs membership: members by USCC, and how many must approve a change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct MembershipGovernance {
    pub members: Vec<Uscc>,
    pub threshold: u32,
}

/// A change of membership, applied once enough governing members approved it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum Change {
    #[codec(index = 0)]
    AddMember(MemberRecord),
    #[codec(index = 1)]
    RemoveMember(Uscc),
    #[codec(index = 2)]
    SetRoles { uscc: Uscc, roles: Vec<Role> },
    #[codec(index = 3)]
    AddAccount { uscc: Uscc, account: Account },
    #[codec(index = 4)]
    RemoveAccount { uscc: Uscc, account: Account },
    /// Revoke a financier's credit line to a core enterprise: nothing new draws on it and it
    /// changes no more, its financier cannot grant it again, and it stays revoked (also once what
    /// it backs is paid) until the quorum restores it.
    #[codec(index = 5)]
    RevokeCreditLine { issuer: Uscc, financier: Uscc },
    /// Restore a line the quorum revoked: its financier may grant and change it again.
    #[codec(index = 6)]
    RestoreCreditLine { issuer: Uscc, financier: Uscc },
    /// Grant an auditor the reading of the whole chain for a period.
    #[codec(index = 7)]
    GrantChainAudit(GrantAudit),
    /// End an auditor's grant of the whole chain.
    #[codec(index = 8)]
    RevokeChainAudit(Uscc),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum MembershipProposalStatus {
    #[codec(index = 0)]
    Open,
    /// Approved by the threshold and applied at this height.
    #[codec(index = 1)]
    Applied(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct MembershipProposal {
    pub id: u64,
    pub change: Change,
    /// Governing members (USCC) that approved, the proposer first.
    pub approvals: Vec<Uscc>,
    pub status: MembershipProposalStatus,
}

/// `init`'s argument (at genesis; the members themselves are written by genesis).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Init {
    pub governance: MembershipGovernance,
    /// Contracts asked what a member still has (`holdings(uscc) -> Vec<String>`, one
    /// sentence each) before it is removed: it stays while any answers something.
    pub dependents: Vec<ContractId>,
    /// The contract keeping the credit lines (the voucher contract), whose
    /// `revoke_credit_line` and `restore_credit_line` a [`Change::RevokeCreditLine`] and a
    /// [`Change::RestoreCreditLine`] call.
    pub lines: Option<ContractId>,
}

/// `revoke_credit_line`'s and `restore_credit_line`'s argument: the registry calls them for the
/// governing quorum, naming the membership proposal that decided.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct LineDecision {
    pub issuer: Uscc,
    pub financier: Uscc,
    /// The membership proposal the quorum approved.
    pub proposal: u64,
}

/// Events (topic, data).
pub mod events {
    #[cfg(feature = "std")]
    use super::*;
    use crate::method::events;

    events! {
        PROPOSED = "proposed": MembershipProposal;
        APPROVED = "approved": MembershipProposal;
        APPLIED = "applied": Change;
        NODE_REGISTERED = "node_registered": NodeRecord;
        NODE_REMOVED = "node_removed": NodeRecord;
        AUDIT_GRANTED = "audit_granted": AuditGrant;
        /// The grant that ended.
        AUDIT_REVOKED = "audit_revoked": AuditGrant;
    }
}

/// The registry's methods.
pub mod method {
    use super::*;
    use crate::method::methods;

    methods! { crate::names::REGISTRY;
        INIT = "init": Init => ();
        /// A membership change by a governing member (its approval counts); the proposal's id.
        PROPOSE = "propose": Change => u64;
        APPROVE = "approve": u64 => ();
        MEMBER = "member": Uscc => Option<MemberRecord>;
        ACCOUNT = "account": Account => Option<AccountRecord>;
        MEMBERS = "members": () => Vec<MemberRecord>;
        GOVERNANCE = "governance": () => MembershipGovernance;
        PROPOSAL = "proposal": u64 => Option<MembershipProposal>;
        /// Registers a node of the caller's member by its network key: the chain's nodes let it
        /// connect from the block after.
        REGISTER_NODE = "register_node": Account => ();
        /// Removes a node the caller's member registered: the chain's nodes disconnect it.
        REMOVE_NODE = "remove_node": Account => ();
        /// Every registered node, in key order.
        NODES = "nodes": () => Vec<NodeRecord>;
        /// The caller's member grants an auditor the reading of its data for a period
        /// (replacing a grant it made that auditor before).
        GRANT_AUDIT = "grant_audit": GrantAudit => ();
        /// The caller's member ends its grant to this auditor.
        REVOKE_AUDIT = "revoke_audit": Uscc => ();
        /// Every grant to this auditor, in key order (in force or not).
        AUDIT_GRANTS = "audit_grants": Uscc => Vec<AuditGrant>;
    }
}
