//! Validator-set governance: a governing member proposes a change effective from a height, the
//! other governing members approve it, and once `threshold` distinct members have approved, the
//! change is scheduled. At the end of the block before its height, the change is applied to the
//! validator set in state, so the set that certifies block `h` is always the one in the state
//! after block `h - 1`.

use catena_primitives::{AccountId, ValidatorChange, ValidatorChangeProposal};
use parity_scale_codec::{Decode, DecodeAll, Encode};

use crate::{keys, BlockContext, Changes, Overlay};

pub use catena_primitives::validator::ValidatorEntry;

/// Who governs the chain: the governing members' names and how many must approve a change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct ValidatorGovernance {
    pub members: Vec<String>,
    pub threshold: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ValidatorSetProposalStatus {
    /// Waiting for approvals.
    Open,
    /// Approved by a quorum; applied at its height.
    Scheduled,
}

/// A governance proposal as recorded in state.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ValidatorSetProposal {
    pub id: u64,
    /// The transaction that proposed it.
    pub proposed_in: catena_primitives::Hash,
    pub proposal: ValidatorChangeProposal,
    pub proposer: AccountId,
    /// Names of the members that approved, the proposer's first.
    pub approvals: Vec<String>,
    pub status: ValidatorSetProposalStatus,
}

/// The entry under `key` of the overlay, decoded; a decoding failure names the key.
pub(crate) fn read<T: Decode>(overlay: &Overlay<'_>, key: &[u8]) -> Result<Option<T>, String> {
    overlay
        .get(key)
        .map_err(|e| e.to_string())?
        .map(|bytes| {
            T::decode_all(&mut &bytes[..])
                .map_err(|e| format!("stored {} cannot be decoded: {e}", keys::describe(key)))
        })
        .transpose()
}

pub(crate) fn validators_in(overlay: &Overlay<'_>) -> Result<Vec<ValidatorEntry>, String> {
    read(overlay, keys::VALIDATORS)?.ok_or_else(|| "the state holds no validator set".into())
}

/// The name of the governing member whose account signed, or why it may not govern.
pub(crate) fn governing_member(
    overlay: &Overlay<'_>,
    signer: &AccountId,
) -> Result<String, String> {
    let governance: ValidatorGovernance = read(overlay, keys::GOVERNANCE)?
        .ok_or("this chain has no governance: its validator set is fixed")?;
    let member: crate::MemberAccount =
        read(overlay, &keys::member(signer))?.ok_or_else(|| format!("{signer} is not a member"))?;
    if !governance.members.contains(&member.member) {
        return Err(format!(
            "'{}' is not a governing member of this chain",
            member.member
        ));
    }
    Ok(member.member)
}

pub(crate) fn threshold(overlay: &Overlay<'_>) -> Result<usize, String> {
    let governance: ValidatorGovernance = read(overlay, keys::GOVERNANCE)?
        .ok_or("this chain has no governance: its validator set is fixed")?;
    Ok(governance.threshold as usize)
}

pub(crate) fn propose(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    tx: &catena_primitives::Transaction,
    proposal: &ValidatorChangeProposal,
) -> Result<(), String> {
    let signer = &tx.signer;
    let member = governing_member(overlay, signer)?;
    if proposal.from_height < context.height + 2 {
        return Err(format!(
            "a change proposed in block {} can take effect from height {} at the earliest, not {}",
            context.height,
            context.height + 2,
            proposal.from_height
        ));
    }
    let validators = validators_in(overlay)?;
    match &proposal.change {
        ValidatorChange::Add {
            account,
            peer_id,
            address,
        } => {
            if validators.iter().any(|v| v.account == *account) {
                return Err(format!("{account} is already a validator"));
            }
            if read::<crate::MemberAccount>(overlay, &keys::member(account))?.is_none() {
                return Err(format!(
                    "{account} is not a member account: a validator's key must belong to a member"
                ));
            }
            if peer_id.is_empty() || peer_id.len() > 128 {
                return Err("the peer id must be 1 to 128 characters".into());
            }
            if !address.starts_with('/') || address.len() > 256 {
                return Err(format!("'{address}' is not a multiaddr"));
            }
        }
        ValidatorChange::Remove { account } => {
            if !validators.iter().any(|v| v.account == *account) {
                return Err(format!("{account} is not a validator"));
            }
            if validators.len() == 1 {
                return Err("the last validator cannot be removed".into());
            }
        }
    }
    let id: u64 = read(overlay, keys::NEXT_PROPOSAL)?.unwrap_or(0);
    overlay.put(keys::NEXT_PROPOSAL.to_vec(), (id + 1).encode());
    let record = ValidatorSetProposal {
        id,
        proposed_in: tx.hash(),
        proposal: proposal.clone(),
        proposer: *signer,
        approvals: vec![member],
        status: ValidatorSetProposalStatus::Open,
    };
    settle(overlay, context, record)
}

pub(crate) fn approve(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    signer: &AccountId,
    id: u64,
) -> Result<(), String> {
    let member = governing_member(overlay, signer)?;
    if let Some(proposal) = crate::parachains::proposal(overlay, id)? {
        return crate::parachains::approve(overlay, context, member, proposal);
    }
    let mut record: ValidatorSetProposal =
        read(overlay, &keys::proposal(id))?.ok_or_else(|| format!("no proposal {id}"))?;
    if record.status == ValidatorSetProposalStatus::Scheduled {
        return Err(format!("proposal {id} is already approved and scheduled"));
    }
    if record.approvals.contains(&member) {
        return Err(format!("'{member}' has already approved proposal {id}"));
    }
    record.approvals.push(member);
    settle(overlay, context, record)
}

/// Stores the proposal, scheduling it if it has enough approvals.
fn settle(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    mut record: ValidatorSetProposal,
) -> Result<(), String> {
    let from = record.proposal.from_height;
    if from < context.height + 2 {
        return Err(format!(
            "proposal {} was to take effect from height {from}, too close to this block ({}): propose it again with a later height",
            record.id, context.height
        ));
    }
    if record.approvals.len() >= threshold(overlay)? {
        record.status = ValidatorSetProposalStatus::Scheduled;
        let key = keys::scheduled_changes(from);
        let mut scheduled: Vec<ValidatorChange> = read(overlay, &key)?.unwrap_or_default();
        scheduled.push(record.proposal.change.clone());
        overlay.put(key, scheduled.encode());
    }
    overlay.put(keys::proposal(record.id), record.encode());
    Ok(())
}

/// Applies the changes scheduled for the next height to the validator set, in the order they
/// were approved. A change that no longer applies (adding a validator twice, removing one that
/// is gone, removing the last) is skipped.
pub(crate) fn apply_scheduled(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
) -> Result<(), String> {
    let key = keys::scheduled_changes(context.height + 1);
    let Some(changes) = read::<Vec<ValidatorChange>>(overlay, &key)? else {
        return Ok(());
    };
    let mut validators = validators_in(overlay)?;
    for change in changes {
        match change {
            ValidatorChange::Add {
                account,
                peer_id,
                address,
            } => {
                let member: Option<crate::MemberAccount> = read(overlay, &keys::member(&account))?;
                if let (Some(member), false) =
                    (member, validators.iter().any(|v| v.account == account))
                {
                    validators.push(ValidatorEntry {
                        account,
                        member: member.member,
                        peer_id,
                        address,
                    });
                }
            }
            ValidatorChange::Remove { account } => {
                if validators.len() > 1 {
                    validators.retain(|v| v.account != account);
                }
            }
        }
    }
    overlay.put(keys::VALIDATORS.to_vec(), validators.encode());
    overlay.tx.insert(key, None);
    Ok(())
}

/// Genesis entries of the validator set and the governance.
pub(crate) fn genesis(
    changes: &mut Changes,
    validators: &[ValidatorEntry],
    governance: &ValidatorGovernance,
) {
    changes.insert(keys::VALIDATORS.to_vec(), Some(validators.encode()));
    changes.insert(keys::GOVERNANCE.to_vec(), Some(governance.encode()));
}
