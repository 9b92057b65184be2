//! The layout of system entries in the state tree. Keys are byte strings; system entries live
//! under `sys/`, so contract storage (under `contract/`) can never collide with them.

use catena_primitives::AccountId;

pub const NONCE_PREFIX: &[u8] = b"sys/nonce/";
pub const EVIDENCE_PREFIX: &[u8] = b"sys/evidence/";
/// The validator set that certifies the next block (SCALE `Vec<ValidatorEntry>`).
pub const VALIDATORS: &[u8] = catena_primitives::validator::VALIDATORS_KEY;
/// The governing members and threshold (SCALE [`crate::governance::ValidatorGovernance`]).
pub const GOVERNANCE: &[u8] = b"sys/governance";
/// The id of the next governance proposal (SCALE `u64`).
pub const NEXT_PROPOSAL: &[u8] = b"sys/gov/next";
pub const PROPOSAL_PREFIX: &[u8] = b"sys/gov/proposal/";
pub const SCHEDULED_PREFIX: &[u8] = b"sys/gov/scheduled/";
/// Registered parachains, by id.
pub const PARACHAIN_PREFIX: &[u8] = catena_primitives::parachain::RECORD_PREFIX;
/// Anchored parachain blocks, by parachain and height.
pub const PARACHAIN_ANCHOR_PREFIX: &[u8] = catena_primitives::parachain::ANCHOR_PREFIX;
/// Parachain registration proposals.
pub const PARACHAIN_PROPOSAL_PREFIX: &[u8] = b"sys/gov/para/";

/// Scheduled calls by due time, then id (both big-endian): SCALE [`crate::wasm::ScheduledCall`].
pub const SCHEDULE_PREFIX: &[u8] = b"sys/sched/";
/// The id of the next scheduled call (SCALE `u64`).
pub const NEXT_SCHEDULE: &[u8] = b"sys/sched-next";

pub const CODE_PREFIX: &[u8] = b"sys/code/";
pub const CONTRACT_PREFIX: &[u8] = b"sys/contract/";
/// Contract storage lives under `contract/<id>/`, never under `sys/`.
pub const CONTRACT_STORAGE_PREFIX: &[u8] = b"contract/";

/// Contract code by its SHA-256.
pub fn code(hash: &catena_primitives::Hash) -> Vec<u8> {
    let mut key = CODE_PREFIX.to_vec();
    key.extend_from_slice(&hash.0);
    key
}

/// A contract's record (SCALE [`crate::contracts::ContractRecord`]).
pub fn contract(id: &catena_primitives::Hash) -> Vec<u8> {
    let mut key = CONTRACT_PREFIX.to_vec();
    key.extend_from_slice(&id.0);
    key
}

/// The prefix of a contract's own storage keys.
pub fn contract_storage_prefix(id: &catena_primitives::Hash) -> Vec<u8> {
    let mut key = CONTRACT_STORAGE_PREFIX.to_vec();
    key.extend_from_slice(&id.0);
    key.push(b'/');
    key
}

/// A governance proposal (SCALE [`crate::governance::ValidatorSetProposal`]), by id (big-endian).
/// A registered parachain: `sys/para/<id>`.
pub fn parachain(id: &str) -> Vec<u8> {
    catena_primitives::parachain::record_key(id)
}

/// A parachain's anchored block at `height`: `sys/para-anchor/<id>/<height, big-endian>`.
pub fn parachain_anchor(id: &str, height: u64) -> Vec<u8> {
    catena_primitives::parachain::anchor_key(id, height)
}

/// A parachain registration proposal: `sys/gov/para/<id, big-endian>` (ids shared with the
/// validator-set proposals).
pub fn parachain_proposal(id: u64) -> Vec<u8> {
    [PARACHAIN_PROPOSAL_PREFIX, &id.to_be_bytes()[..]].concat()
}

pub fn proposal(id: u64) -> Vec<u8> {
    let mut key = PROPOSAL_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// The validator-set changes that take effect at `height` (SCALE `Vec<ValidatorChange>`).
pub fn scheduled_changes(height: u64) -> Vec<u8> {
    let mut key = SCHEDULED_PREFIX.to_vec();
    key.extend_from_slice(&height.to_be_bytes());
    key
}

fn with_account(prefix: &[u8], account: &AccountId) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + 32);
    key.extend_from_slice(prefix);
    key.extend_from_slice(&account.0);
    key
}

/// The next nonce of an account (SCALE `u64`).
pub fn nonce(account: &AccountId) -> Vec<u8> {
    with_account(NONCE_PREFIX, account)
}

/// The state key of `key` in `contract`'s storage.
pub fn contract_storage(contract: &catena_primitives::Hash, key: &[u8]) -> Vec<u8> {
    catena_primitives::tx::contract_storage_key(contract, key)
}

/// The registry's record of an account (SCALE [`crate::MemberAccount`]): membership lives in
/// the registry contract's storage, whether or not the chain deploys its code.
pub fn member(account: &AccountId) -> Vec<u8> {
    registry_entry(&catena_schema::registry::keys::account_key(&account.0))
}

/// The state key of `key` in the registry contract's storage.
pub fn registry_entry(key: &[u8]) -> Vec<u8> {
    contract_storage(registry_id(), key)
}

/// The id of the system contract `registry`.
pub fn registry_id() -> &'static catena_primitives::Hash {
    static ID: std::sync::OnceLock<catena_primitives::Hash> = std::sync::OnceLock::new();
    ID.get_or_init(|| catena_primitives::system_contract_id(catena_schema::names::REGISTRY))
}

/// A scheduled call's entry: due time, then id, so entries sort in the order they run.
pub fn scheduled(at_ms: u64, id: u64) -> Vec<u8> {
    let mut key = SCHEDULE_PREFIX.to_vec();
    key.extend_from_slice(&at_ms.to_be_bytes());
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// Recorded equivocation evidence (SCALE [`catena_primitives::Equivocation`]): signer, then
/// height, round (big-endian, so entries sort by time) and vote kind.
pub fn evidence(signer: &AccountId, height: u64, round: u32, kind: u8) -> Vec<u8> {
    let mut key = with_account(EVIDENCE_PREFIX, signer);
    key.extend_from_slice(&height.to_be_bytes());
    key.extend_from_slice(&round.to_be_bytes());
    key.push(kind);
    key
}

/// A readable form of a key: its text prefix and the rest in hex.
pub fn describe(key: &[u8]) -> String {
    let text_len = key
        .iter()
        .position(|b| !(b.is_ascii_graphic()))
        .unwrap_or(key.len());
    format!(
        "{}{}",
        String::from_utf8_lossy(&key[..text_len]),
        if text_len < key.len() {
            format!("0x{}", hex_lower(&key[text_len..]))
        } else {
            String::new()
        }
    )
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
