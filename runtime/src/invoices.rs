//! Invoice fingerprints across parachains (ADR 0031): the main chain maps each claimed
//! fingerprint to the parachain that holds it; a parachain takes a claim with a proof under a
//! certified main-chain header (into the voucher contract's table of claims, which the contract
//! then uses and releases: a proof's signatures are checked natively, not in WASM); the main
//! chain frees a fingerprint on a proof, under an anchored root of the parachain, that the
//! parachain released it.
//!
//! Each claim of a fingerprint has a number, one more than the last: a parachain takes only a
//! claim numbered above the last it took, so a proof of an old claim is never taken again after
//! its release (the main chain frees claim `n` only once the parachain's state shows `n`
//! released, which it can only after taking `n`).

use catena_primitives::invoice::{
    main_claim_key, ClaimInvoices, MainClaim, ReleaseInvoices, KEY_CHECK_KEY, MAX_PER_CALL,
};
use catena_primitives::parachain::{AnchoredBlock, ParachainRecord, ParachainStatus};
use catena_primitives::through_anchor::InState;
use catena_primitives::{AccountId, Hash};
use catena_schema::voucher::{keys as voucher_keys, ClaimState, InvoiceClaim};
use parity_scale_codec::{DecodeAll, Encode};

use crate::governance::read;
use crate::{keys, BlockContext, Overlay};

/// The main chain a parachain's execution checks claims against: its id and genesis
/// validators, from the parachain's spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MainChain {
    pub chain_id: String,
    pub genesis_validators: Vec<AccountId>,
}

/// The state-key prefix of the voucher contract's claims of invoices.
fn claims_prefix() -> &'static [u8] {
    static PREFIX: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PREFIX.get_or_init(|| {
        keys::contract_storage(
            &catena_primitives::system_contract_id(catena_schema::names::VOUCHER),
            voucher_keys::INVOICE_CLAIM,
        )
    })
}

/// The state key of the voucher contract's claim of `fingerprint`.
pub fn claim_key(fingerprint: &Hash) -> Vec<u8> {
    [claims_prefix(), &fingerprint.0[..]].concat()
}

/// The sentence a claim held by another parachain is refused with.
pub const CLAIMED_ELSEWHERE: &str = "already claimed by another parachain";

fn check_count(what: &str, count: usize) -> Result<(), String> {
    if count == 0 || count > MAX_PER_CALL {
        return Err(format!(
            "a {what} names 1 to {MAX_PER_CALL} invoices, not {count}"
        ));
    }
    Ok(())
}

/// Refuses unless this chain records claims and `signer` is an account of a member of the
/// registered, unfrozen parachain `para_id`.
fn check_member_of(overlay: &Overlay<'_>, signer: &AccountId, para_id: &str) -> Result<(), String> {
    if read::<Hash>(overlay, KEY_CHECK_KEY)?.is_none() {
        return Err(
            "this chain's spec commits no invoice key: it records no invoice claims".into(),
        );
    }
    let record: ParachainRecord = read(overlay, &keys::parachain(para_id))?
        .ok_or_else(|| format!("no parachain '{para_id}' is registered"))?;
    if matches!(record.status, ParachainStatus::Frozen(_)) {
        return Err(format!("parachain '{para_id}' is frozen"));
    }
    let member: crate::MemberAccount = read(overlay, &keys::member(signer))?
        .ok_or_else(|| format!("{signer} is not a member's account"))?;
    if !record.registration.members.contains(&member.member) {
        return Err(format!(
            "'{}' is not a member of parachain '{para_id}': only its members claim for it",
            member.member
        ));
    }
    Ok(())
}

/// Main chain: records `claim.fingerprints` as held by `claim.para_id`, all or none. A
/// fingerprint the parachain already holds is left as it is.
pub(crate) fn claim(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    signer: &AccountId,
    claim: &ClaimInvoices,
) -> Result<(), String> {
    check_count("claim", claim.fingerprints.len())?;
    let para_id = &claim.para_id;
    check_member_of(overlay, signer, para_id)?;
    for (i, fingerprint) in claim.fingerprints.iter().enumerate() {
        if claim.fingerprints[..i].contains(fingerprint) {
            return Err(format!("invoice {} is named twice", i + 1));
        }
        let key = main_claim_key(fingerprint);
        let held: Option<MainClaim> = read(overlay, &key)?;
        let number = match &held {
            Some(MainClaim {
                holder: Some(holder),
                ..
            }) if holder == para_id => continue,
            Some(MainClaim {
                holder: Some(_), ..
            }) => {
                return Err(format!(
                    "invoice {} of this claim is {CLAIMED_ELSEWHERE}: an invoice backs vouchers on one parachain only",
                    i + 1
                ))
            }
            Some(MainClaim { claim, .. }) => claim + 1,
            None => 1,
        };
        let record = MainClaim {
            holder: Some(para_id.clone()),
            claim: number,
            at_height: context.height,
        };
        overlay.put(key, record.encode());
    }
    Ok(())
}

/// Main chain: frees the fingerprints whose release the parachain's anchored state proves.
pub(crate) fn release(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    signer: &AccountId,
    release: &ReleaseInvoices,
) -> Result<(), String> {
    check_count("release", release.entries.len())?;
    let para_id = &release.para_id;
    check_member_of(overlay, signer, para_id)?;
    let anchored: AnchoredBlock = read(
        overlay,
        &keys::parachain_anchor(para_id, release.anchored_height),
    )?
    .ok_or_else(|| {
        format!(
            "block {} of parachain '{para_id}' is not anchored",
            release.anchored_height
        )
    })?;
    for (i, entry) in release.entries.iter().enumerate() {
        let n = i + 1;
        let fingerprint = entry
            .key
            .strip_prefix(claims_prefix())
            .and_then(|rest| <[u8; 32]>::try_from(rest).ok())
            .map(Hash)
            .ok_or_else(|| format!("entry {n} is not a parachain's claim of an invoice"))?;
        let value = entry
            .value
            .as_deref()
            .ok_or_else(|| format!("entry {n}: the parachain holds no claim of that invoice"))?;
        entry
            .proof
            .verify(anchored.state_root, &entry.key, Some(value))
            .map_err(|e| format!("entry {n}: not in the anchored state of '{para_id}': {e}"))?;
        let taken = InvoiceClaim::decode_all(&mut &value[..])
            .map_err(|e| format!("entry {n} is not a claim: {e}"))?;
        if taken.state != ClaimState::Released {
            return Err(format!(
                "invoice {n} is still claimed on '{para_id}' at its block {}: a voucher rests on it or its claim was not released",
                anchored.height
            ));
        }
        let key = main_claim_key(&fingerprint);
        match read::<MainClaim>(overlay, &key)? {
            Some(MainClaim {
                holder: Some(holder),
                claim,
                ..
            }) if holder == *para_id && claim == taken.claim => {
                let freed = MainClaim {
                    holder: None,
                    claim,
                    at_height: context.height,
                };
                overlay.put(key, freed.encode());
            }
            _ => {
                return Err(format!(
                "invoice {n}: '{para_id}' released claim {}, which is not the one it holds here",
                taken.claim
            ))
            }
        }
    }
    Ok(())
}

/// Parachain: takes the claims the main chain recorded for this chain, each proved under a
/// main-chain header certified from the main chain's genesis validators.
pub(crate) fn take(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    proofs: &[InState],
) -> Result<(), String> {
    check_count("claim", proofs.len())?;
    let main = context
        .main
        .as_ref()
        .ok_or("this chain is no parachain: it takes no invoice claims")?;
    for (i, proof) in proofs.iter().enumerate() {
        let n = i + 1;
        if proof.at.chain_id != main.chain_id {
            return Err(format!(
                "claim {n} is proved on chain '{}', not on the main chain '{}'",
                proof.at.chain_id, main.chain_id
            ));
        }
        proof
            .verify(&main.genesis_validators)
            .map_err(|e| format!("claim {n}: {e}"))?;
        let fingerprint = proof
            .entry
            .key
            .strip_prefix(catena_primitives::invoice::MAIN_CLAIM_PREFIX)
            .and_then(|rest| <[u8; 32]>::try_from(rest).ok())
            .map(Hash)
            .ok_or_else(|| format!("claim {n} proves no invoice claim"))?;
        let held = proof
            .entry
            .value
            .as_deref()
            .map(|v| MainClaim::decode_all(&mut &v[..]))
            .transpose()
            .map_err(|e| format!("claim {n} does not decode: {e}"))?;
        let number = match held {
            Some(MainClaim {
                holder: Some(holder),
                claim,
                ..
            }) if holder == context.chain_id => claim,
            Some(MainClaim {
                holder: Some(_), ..
            }) => return Err(format!("invoice {n} is {CLAIMED_ELSEWHERE}")),
            _ => {
                return Err(format!(
                    "invoice {n} is not claimed for '{}' on the main chain",
                    context.chain_id
                ))
            }
        };
        let key = claim_key(&fingerprint);
        match read::<InvoiceClaim>(overlay, &key)? {
            Some(taken) if taken.claim > number => {
                return Err(format!(
                    "claim {n} is older than the one this chain took (claim {})",
                    taken.claim
                ))
            }
            Some(taken) if taken.claim == number => {
                if taken.state == ClaimState::Released {
                    return Err(format!(
                        "claim {n} was released here: claim the invoice again on the main chain"
                    ));
                }
            }
            _ => overlay.put(
                key,
                InvoiceClaim {
                    claim: number,
                    state: ClaimState::Claimed,
                }
                .encode(),
            ),
        }
    }
    Ok(())
}
