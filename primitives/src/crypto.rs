//! ed25519 accounts, signatures and signing keys.

use core::fmt;
use core::str::FromStr;

use ed25519_dalek::{Signer, Verifier};
use parity_scale_codec::{Decode, Encode, MaxEncodedLen};

use crate::hash::{parse_hex32, serde_as_hex32, ParseHexError};

/// An account: the 32 bytes of an ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode, MaxEncodedLen)]
pub struct AccountId(pub [u8; 32]);

/// An ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen)]
pub struct Signature(pub [u8; 64]);

impl AccountId {
    /// Checks `signature` over `message` against this public key. Strict verification rejects
    /// small-order keys and non-canonical signatures, so one message has one valid signature
    /// encoding per key.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&self.0) else {
            return false;
        };
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &sig).is_ok() && key.verify(message, &sig).is_ok()
    }

    /// Whether these bytes are a valid ed25519 point (a usable public key).
    pub fn is_valid_key(&self) -> bool {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).is_ok_and(|k| !k.is_weak())
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}
impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
impl FromStr for AccountId {
    type Err = ParseHexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex32(s).map(AccountId)
    }
}
serde_as_hex32!(AccountId);

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}
impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
impl serde::Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> serde::Deserialize<'de> for Signature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <alloc::string::String as serde::Deserialize>::deserialize(d)?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        let mut out = [0u8; 64];
        hex::decode_to_slice(digits, &mut out)
            .map_err(|_| serde::de::Error::custom("expected a signature of 128 hex digits"))?;
        Ok(Signature(out))
    }
}

/// An ed25519 signing key. Its secret bytes never appear in `Debug` output.
#[derive(Clone)]
pub struct SecretKey(ed25519_dalek::SigningKey);

impl SecretKey {
    /// The key whose secret seed is these 32 bytes.
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The secret seed, for writing a key file.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn account(&self) -> AccountId {
        AccountId(self.0.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.account())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = SecretKey::from_seed([7u8; 32]);
        let sig = key.sign(b"hello");
        assert!(key.account().verify(b"hello", &sig));
        assert!(!key.account().verify(b"hellO", &sig));
        let mut bad = sig;
        bad.0[3] ^= 1;
        assert!(!key.account().verify(b"hello", &bad));
    }

    #[test]
    fn rejects_invalid_and_weak_keys() {
        // The identity point is a valid encoding but of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(!AccountId(identity).is_valid_key());
        assert!(SecretKey::from_seed([1u8; 32]).account().is_valid_key());
    }
}
