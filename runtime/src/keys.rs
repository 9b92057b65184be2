//! The layout of system entries in the state tree. Keys are byte strings; system entries live
//! under `sys/`, so contract storage (under `contract/`) can never collide with them.

use catena_primitives::AccountId;

pub const NONCE_PREFIX: &[u8] = b"sys/nonce/";
pub const MEMBER_PREFIX: &[u8] = b"sys/member/";
pub const EVIDENCE_PREFIX: &[u8] = b"sys/evidence/";
/// The current validator set (SCALE `Vec<AccountId>`).
pub const VALIDATORS: &[u8] = b"sys/validators";

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

/// The member record of an account (SCALE [`crate::MemberAccount`]).
pub fn member(account: &AccountId) -> Vec<u8> {
    with_account(MEMBER_PREFIX, account)
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
