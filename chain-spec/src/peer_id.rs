//! libp2p peer ids of ed25519 network keys, computed without the networking stack.
//!
//! A peer id of an ed25519 key is the identity multihash (code 0x00, length 36) of the key's
//! protobuf encoding (`08 01` = key type Ed25519, `12 20` = 32 bytes of data), written in
//! base58btc. That is the form `12D3KooW…` libp2p prints.

use catena_primitives::AccountId;

const PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

/// The peer id of an ed25519 public key.
pub fn from_ed25519(public: &AccountId) -> String {
    let mut bytes = Vec::with_capacity(38);
    bytes.extend_from_slice(&PREFIX);
    bytes.extend_from_slice(&public.0);
    bs58::encode(bytes).into_string()
}

/// The ed25519 public key inside a peer id, or why it is not one.
pub fn parse(peer_id: &str) -> Result<AccountId, String> {
    if peer_id.len() > 64 {
        return Err("is too long for a peer id".into());
    }
    let bytes = bs58::decode(peer_id)
        .into_vec()
        .map_err(|_| "is not base58".to_string())?;
    if bytes.len() != 38 || bytes[..6] != PREFIX {
        return Err("is not the peer id of an ed25519 key (12D3KooW…)".into());
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes[6..]);
    let account = AccountId(key);
    if !account.is_valid_key() {
        return Err("holds an invalid ed25519 key".into());
    }
    Ok(account)
}
