//! The main chain's parachain registry and its native anchor check (PARACHAINS.md).
//!
//! A governing member proposes a parachain's registration; once the governing quorum has
//! approved it (with `Approve`, as for validator-set changes), the parachain is registered:
//! its id, genesis hash, members, genesis validator set and anchor period. An anchor — a
//! parachain header, its commit certificate and the proof of the validator set in its state
//! after that block — is checked in order: registered and active, the header's chain id, a
//! height above the head (the head again is a no-op), time after the head's and not far ahead
//! of this block's, the header's validator-set hash equal to the registered set's, the
//! certificate of a quorum of that set, and the next set's proof under the header's state root
//! (its validators must be the parachain's members' accounts). A refusal changes nothing and
//! says why. Two certified blocks at one height freeze the parachain, the evidence recorded,
//! until the governing quorum recovers it (`ProposeParachainRecovery`: active again, its
//! anchored head kept, certified from then on by the set the quorum names).

use catena_primitives::parachain::{
    Anchor, AnchoredBlock, ForkEvidence, ParachainRecord, ParachainRecovery, ParachainRegistration,
    ParachainStatus, ParachainValidator,
};
use catena_primitives::{AccountId, ValidatorSet};
use parity_scale_codec::{Decode, DecodeAll, Encode};

use crate::governance::ValidatorEntry;
use crate::{keys, BlockContext, Overlay};

/// How far ahead of the main block's time an anchored header may be (clocks differ).
pub const MAX_ANCHOR_AHEAD_MS: u64 = 60_000;
/// The most validators a parachain set may have.
pub const MAX_PARACHAIN_VALIDATORS: usize = 100;
/// The most members a parachain may have.
pub const MAX_PARACHAIN_MEMBERS: usize = 100;

/// What a parachain proposal does once approved.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum ParachainAction {
    #[codec(index = 0)]
    Register(ParachainRegistration),
    #[codec(index = 1)]
    Recover(ParachainRecovery),
}

impl ParachainAction {
    fn parachain(&self) -> &str {
        match self {
            ParachainAction::Register(r) => &r.id,
            ParachainAction::Recover(r) => &r.id,
        }
    }
}

/// A proposed registration or recovery as recorded in state, with its approvals.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ParachainProposal {
    pub id: u64,
    pub action: ParachainAction,
    pub proposer: AccountId,
    /// Names of the governing members that approved, the proposer's first.
    pub approvals: Vec<String>,
    /// Whether the quorum approved it (and it was carried out).
    pub done: bool,
}

use crate::governance::read;

/// The names of the main chain's members, from the registry.
fn member_names(overlay: &Overlay<'_>) -> Result<Vec<String>, String> {
    let prefix = keys::registry_entry(catena_schema::registry::keys::MEMBER);
    let (members, _) = crate::state::scan::<catena_schema::registry::MemberRecord>(
        overlay,
        &prefix,
        None,
        usize::MAX,
    )
    .map_err(|e| e.to_string())?;
    Ok(members.into_iter().map(|m| m.name).collect())
}

/// Checks a registration before it is proposed: a valid id no other parachain (nor the main
/// chain) has, known members, a validator set of members' accounts, a sensible anchor period.
fn check_registration(
    overlay: &Overlay<'_>,
    context: &BlockContext,
    registration: &ParachainRegistration,
) -> Result<(), String> {
    let id = &registration.id;
    let valid_id = !id.is_empty()
        && id.len() <= catena_primitives::MAX_CHAIN_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid_id {
        return Err(format!(
            "'{id}' is not a chain id: 1 to {} characters of a-z, 0-9 and '-'",
            catena_primitives::MAX_CHAIN_ID_LEN
        ));
    }
    if *id == context.chain_id {
        return Err(format!("'{id}' is the main chain's own id"));
    }
    if read::<ParachainRecord>(overlay, &keys::parachain(id))?.is_some() {
        return Err(format!("parachain '{id}' is already registered"));
    }
    if registration.members.is_empty() || registration.members.len() > MAX_PARACHAIN_MEMBERS {
        return Err(format!(
            "a parachain has 1 to {MAX_PARACHAIN_MEMBERS} members, not {}",
            registration.members.len()
        ));
    }
    let known = member_names(overlay)?;
    if let Some(unknown) = registration.members.iter().find(|m| !known.contains(m)) {
        return Err(format!("'{unknown}' is not a member of the main chain"));
    }
    check_set(&registration.members, &registration.validators)?;
    if registration.anchor_every_blocks == 0 || registration.anchor_every_ms == 0 {
        return Err("the anchor period (blocks and milliseconds) must be above 0".into());
    }
    Ok(())
}

/// Checks a validator set: 1 to [`MAX_PARACHAIN_VALIDATORS`] distinct accounts, each run by one
/// of the parachain's `members`.
fn check_set(members: &[String], validators: &[ParachainValidator]) -> Result<(), String> {
    if validators.is_empty() || validators.len() > MAX_PARACHAIN_VALIDATORS {
        return Err(format!(
            "a parachain has 1 to {MAX_PARACHAIN_VALIDATORS} validators, not {}",
            validators.len()
        ));
    }
    for (i, validator) in validators.iter().enumerate() {
        if validators[..i]
            .iter()
            .any(|v| v.account == validator.account)
        {
            return Err(format!("validator {} is listed twice", validator.account));
        }
        run_by_member(members, &validator.account, &validator.member)?;
    }
    Ok(())
}

/// Checks that validator `account` is run by one of the parachain's `members`.
fn run_by_member(members: &[String], account: &AccountId, member: &str) -> Result<(), String> {
    if members.iter().any(|m| m == member) {
        Ok(())
    } else {
        Err(format!(
            "validator {account} is run by '{member}', which is not a member of the parachain"
        ))
    }
}

/// Checks a recovery: the parachain is registered and frozen, and the new set is run by its
/// members.
fn check_recovery(overlay: &Overlay<'_>, recovery: &ParachainRecovery) -> Result<(), String> {
    let id = &recovery.id;
    let record: ParachainRecord = read(overlay, &keys::parachain(id))?
        .ok_or_else(|| format!("no parachain '{id}' is registered"))?;
    if record.status == ParachainStatus::Active {
        return Err(format!("parachain '{id}' is not frozen"));
    }
    check_set(&record.registration.members, &recovery.validators)?;
    Ok(())
}

fn check(
    overlay: &Overlay<'_>,
    context: &BlockContext,
    action: &ParachainAction,
) -> Result<(), String> {
    match action {
        ParachainAction::Register(registration) => {
            check_registration(overlay, context, registration)
        }
        ParachainAction::Recover(recovery) => check_recovery(overlay, recovery),
    }
}

/// `ProposeParachain` and `ProposeParachainRecovery`: a governing member proposes (its approval
/// counted); the proposal's id, which the others `Approve`.
pub(crate) fn propose(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    signer: &AccountId,
    action: ParachainAction,
) -> Result<u64, String> {
    let member = crate::governance::governing_member(overlay, signer)?;
    check(overlay, context, &action)?;
    let id: u64 = read(overlay, keys::NEXT_PROPOSAL)?.unwrap_or(0);
    overlay.put(keys::NEXT_PROPOSAL.to_vec(), (id + 1).encode());
    let proposal = ParachainProposal {
        id,
        action,
        proposer: *signer,
        approvals: vec![member],
        done: false,
    };
    settle(overlay, context, proposal)?;
    Ok(id)
}

/// Writes the record of a parachain registered at `height`: active, nothing anchored yet.
fn put_registered(overlay: &mut Overlay<'_>, registration: ParachainRegistration, height: u64) {
    let record = ParachainRecord {
        validators: registration.validators.iter().map(|v| v.account).collect(),
        registration,
        status: ParachainStatus::Active,
        head: None,
        registered_at: height,
    };
    overlay.put(keys::parachain(&record.registration.id), record.encode());
}

/// A parachain the chain spec registers at genesis: checked as a registration is (its members
/// main-chain members, its validators run by them, a period above 0, not registered twice).
pub(crate) fn register_at_genesis(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    registration: &ParachainRegistration,
) -> Result<(), String> {
    check(
        overlay,
        context,
        &ParachainAction::Register(registration.clone()),
    )?;
    put_registered(overlay, registration.clone(), 0);
    Ok(())
}

/// The parachain proposal `id`, if that id is one.
pub(crate) fn proposal(
    overlay: &Overlay<'_>,
    id: u64,
) -> Result<Option<ParachainProposal>, String> {
    read(overlay, &keys::parachain_proposal(id))
}

/// `Approve` of a parachain proposal by a governing member.
pub(crate) fn approve(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    member: String,
    mut proposal: ParachainProposal,
) -> Result<(), String> {
    if proposal.done {
        return Err(format!(
            "proposal {} about parachain '{}' is already approved and carried out",
            proposal.id,
            proposal.action.parachain()
        ));
    }
    if proposal.approvals.contains(&member) {
        return Err(format!(
            "'{member}' has already approved proposal {}",
            proposal.id
        ));
    }
    proposal.approvals.push(member);
    settle(overlay, context, proposal)
}

/// Stores the proposal, carrying it out once the quorum has approved.
fn settle(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    mut proposal: ParachainProposal,
) -> Result<(), String> {
    if proposal.approvals.len() >= crate::governance::threshold(overlay)? {
        // Checked again: the state may have changed since it was proposed.
        check(overlay, context, &proposal.action)?;
        match &proposal.action {
            ParachainAction::Register(registration) => {
                put_registered(overlay, registration.clone(), context.height)
            }
            ParachainAction::Recover(recovery) => {
                let key = keys::parachain(&recovery.id);
                let mut record: ParachainRecord =
                    read(overlay, &key)?.ok_or("the parachain is gone")?;
                record.status = ParachainStatus::Active;
                record.validators = recovery.validators.iter().map(|v| v.account).collect();
                overlay.put(key, record.encode());
            }
        }
        proposal.done = true;
    }
    overlay.put(keys::parachain_proposal(proposal.id), proposal.encode());
    Ok(())
}

/// `Anchor`: checks a parachain block against the registry and records it as the head.
pub(crate) fn anchor(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    anchor: &Anchor,
) -> Result<(), String> {
    let id = &anchor.para_id;
    let key = keys::parachain(id);
    let mut record: ParachainRecord =
        read(overlay, &key)?.ok_or_else(|| format!("no parachain '{id}' is registered"))?;
    if let ParachainStatus::Frozen(evidence) = &record.status {
        return Err(format!(
            "parachain '{id}' is frozen since main height {}: two blocks were certified at its height {}",
            evidence.found_at, evidence.height
        ));
    }
    let header = &anchor.header;
    if header.chain_id != *id {
        return Err(format!(
            "the header is of chain '{}', not of parachain '{id}'",
            header.chain_id
        ));
    }
    let block_hash = header.hash();
    let set = ValidatorSet::new(record.validators.clone());
    if let Some(head) = &record.head {
        if header.height <= head.height {
            let anchored: Option<AnchoredBlock> =
                read(overlay, &keys::parachain_anchor(id, header.height))?;
            return match anchored {
                Some(a) if a.block_hash == block_hash => Ok(()),
                // Certified by the set that certified the anchored block (the registered one):
                // a fork.
                Some(a)
                    if header.validator_set_hash == set.hash()
                        && a.validator_set_hash == set.hash()
                        && set
                            .verify_certificate(id, header.height, block_hash, &anchor.certificate)
                            .is_ok() =>
                {
                    record.status = ParachainStatus::Frozen(Box::new(ForkEvidence {
                        height: header.height,
                        anchored: a.block_hash,
                        conflicting: header.clone(),
                        certificate: anchor.certificate.clone(),
                        found_at: context.height,
                    }));
                    overlay.put(key, record.encode());
                    Ok(())
                }
                _ => Err(format!(
                    "height {} is not above parachain '{id}''s anchored head {}",
                    header.height, head.height
                )),
            };
        }
        if header.time_ms <= head.time_ms {
            return Err(format!(
                "the header's time {} is not after the anchored head's {}",
                header.time_ms, head.time_ms
            ));
        }
    }
    if header.time_ms > context.time_ms.saturating_add(MAX_ANCHOR_AHEAD_MS) {
        return Err(format!(
            "the header's time {} is more than {MAX_ANCHOR_AHEAD_MS} ms ahead of this block's {}",
            header.time_ms, context.time_ms
        ));
    }
    if header.validator_set_hash != set.hash() {
        return Err(format!(
            "validator set changed: block {} is certified by another set than the registered one; anchor the last block before the change first",
            header.height
        ));
    }
    set.verify_certificate(id, header.height, block_hash, &anchor.certificate)
        .map_err(|e| format!("the certificate does not verify: {e}"))?;
    anchor
        .next_validators_proof
        .verify(
            header.state_root,
            keys::VALIDATORS,
            Some(&anchor.next_validators),
        )
        .map_err(|e| format!("the next validator set's proof does not verify: {e}"))?;
    let next: Vec<ValidatorEntry> = Vec::decode_all(&mut &anchor.next_validators[..])
        .map_err(|e| format!("the next validator set cannot be decoded: {e}"))?;
    if next.is_empty() || next.len() > MAX_PARACHAIN_VALIDATORS {
        return Err(format!(
            "the next validator set has {} validators, not 1 to {MAX_PARACHAIN_VALIDATORS}",
            next.len()
        ));
    }
    for entry in &next {
        run_by_member(&record.registration.members, &entry.account, &entry.member)?;
    }
    let anchored = AnchoredBlock {
        height: header.height,
        block_hash,
        state_root: header.state_root,
        time_ms: header.time_ms,
        validator_set_hash: header.validator_set_hash,
        main_height: context.height,
    };
    overlay.put(keys::parachain_anchor(id, header.height), anchored.encode());
    record.validators = next.into_iter().map(|v| v.account).collect();
    record.head = Some(anchored);
    overlay.put(key, record.encode());
    Ok(())
}

/// A registered parachain, as the main chain's state holds it.
pub fn parachain(
    state: &dyn crate::StateReader,
    id: &str,
) -> Result<Option<ParachainRecord>, crate::ExecutionError> {
    crate::state::read_entry(state, &keys::parachain(id))
}

/// Every registered parachain, by id.
pub fn parachains(
    state: &dyn crate::StateReader,
) -> Result<Vec<ParachainRecord>, crate::ExecutionError> {
    crate::state::scan(state, keys::PARACHAIN_PREFIX, None, usize::MAX).map(|(all, _)| all)
}

/// A parachain's anchored block at `height`, if that height was anchored.
pub fn parachain_anchor(
    state: &dyn crate::StateReader,
    id: &str,
    height: u64,
) -> Result<Option<AnchoredBlock>, crate::ExecutionError> {
    crate::state::read_entry(state, &keys::parachain_anchor(id, height))
}

/// Anchors of parachain `id` at heights from `from` up, oldest first, at most `limit`; and the
/// height the next page would start from, if there are more.
pub fn parachain_anchors(
    state: &dyn crate::StateReader,
    id: &str,
    from: u64,
    limit: usize,
) -> Result<(Vec<AnchoredBlock>, Option<u64>), crate::ExecutionError> {
    let prefix = [keys::PARACHAIN_ANCHOR_PREFIX, id.as_bytes(), b"/"].concat();
    let after = from
        .checked_sub(1)
        .map(|before| keys::parachain_anchor(id, before));
    let (page, beyond) = crate::state::scan::<AnchoredBlock>(state, &prefix, after, limit)?;
    Ok((page, beyond.map(|next| next.height)))
}

/// Whether `tx`'s signer may send it on this chain: a member account may send anything; a
/// validator of a registered parachain's current set may send that parachain's anchors (the
/// anchorer signs with the vote key its node holds, which need not be a main-chain member
/// account). Admission and execution apply the same rule.
pub fn may_send(
    state: &dyn crate::StateReader,
    tx: &catena_primitives::Transaction,
) -> Result<bool, crate::ExecutionError> {
    Ok(sender(state, tx)?.is_some())
}

/// Who answers for `tx` if its signer may send it ([`may_send`]): `member <USCC>` for a member
/// account (the same for all of a member's accounts), `anchorer <account>` for a parachain
/// validator anchoring; `None` if it may not send. The mempool's fair shares are per sender.
pub fn sender(
    state: &dyn crate::StateReader,
    tx: &catena_primitives::Transaction,
) -> Result<Option<String>, crate::ExecutionError> {
    if let Some(record) = crate::member(state, &tx.signer)? {
        return Ok(Some(format!("member {}", record.uscc)));
    }
    let catena_primitives::Call::Anchor(anchor) = &tx.call else {
        return Ok(None);
    };
    let anchors = parachain(state, &anchor.para_id)?
        .is_some_and(|record| record.validators.contains(&tx.signer));
    Ok(anchors.then(|| format!("anchorer {}", tx.signer)))
}
