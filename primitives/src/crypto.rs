//! ed25519 accounts, signatures and signing keys.

use core::fmt;
use core::str::FromStr;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::Signer;
use parity_scale_codec::{Decode, Encode, MaxEncodedLen};
use sha2::{Digest, Sha256, Sha512};

use crate::hash::{parse_hex32, serde_as_hex32, ParseHexError};

/// An account: the 32 bytes of an ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode, MaxEncodedLen)]
pub struct AccountId(pub [u8; 32]);

/// An ed25519 signature (64 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen)]
pub struct Signature(pub [u8; 64]);

impl AccountId {
    /// Checks `signature` over `message` against this public key, by the chain's rule (see
    /// [`verify_batch`] and docs/adr/0016-signature-rule-cofactored-batch.md): the encodings of the key, of `R`
    /// and of `s` must be canonical, neither point may be of small order, and the cofactored
    /// equation `[8](s·B − k·A − R) = 0` must hold. A signature made by any RFC 8032 signer
    /// passes; and a batch of signatures passes [`verify_batch`] exactly when each passes this.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        canonical_point(&self.0)
            .zip(prepare(self, message, signature))
            .is_some_and(|(a, p)| p.holds(&a))
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
        text.parse().map_err(serde::de::Error::custom)
    }
}
impl FromStr for Signature {
    type Err = &'static str;
    /// `0x` (optional) and 128 hex digits.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.strip_prefix("0x").unwrap_or(text);
        let mut out = [0u8; 64];
        hex::decode_to_slice(digits, &mut out)
            .map_err(|_| "expected a signature of 128 hex digits")?;
        Ok(Signature(out))
    }
}

/// One signature to check: the key, the message, the signature.
pub type SignedItem<'a> = (&'a AccountId, &'a [u8], &'a Signature);

/// A signature's parts, decoded and checked for canonical encodings (the key apart: a batch
/// decodes each distinct key once).
struct Prepared {
    r: EdwardsPoint,
    s: Scalar,
    /// `SHA-512(R ‖ A ‖ message)` reduced modulo the group order.
    k: Scalar,
    /// The encoding of `R`, for the batch coefficients.
    r_bytes: [u8; 32],
}

impl Prepared {
    /// The cofactored equation `[8](s·B − k·A − R) = 0`.
    fn holds(&self, a: &EdwardsPoint) -> bool {
        let sb_minus_ka =
            EdwardsPoint::vartime_double_scalar_mul_basepoint(&self.k, &(-a), &self.s);
        (sb_minus_ka - self.r).mul_by_cofactor().is_identity()
    }
}

/// Whether 32 bytes encode a `y` coordinate below the field prime 2^255 − 19 (the sign bit
/// aside): the only encodings a point has but one are those of `y ≥ p`.
fn canonical_y(bytes: &[u8; 32]) -> bool {
    let top = bytes[31] & 0x7f;
    !(top == 0x7f && bytes[1..31].iter().all(|b| *b == 0xff) && bytes[0] >= 0xed)
}

/// A point from its canonical encoding, refusing points of small order (and with them the two
/// points with x = 0, whose sign bit could otherwise be flipped).
fn canonical_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !canonical_y(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes)
        .decompress()
        .filter(|point| !point.is_small_order())
}

fn prepare(key: &AccountId, message: &[u8], signature: &Signature) -> Option<Prepared> {
    let mut r_bytes = [0u8; 32];
    r_bytes.copy_from_slice(&signature.0[..32]);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&signature.0[32..]);
    let s: Scalar = Option::from(Scalar::from_canonical_bytes(s_bytes))?;
    let r = canonical_point(&r_bytes)?;
    let mut hram = Sha512::new();
    hram.update(r_bytes);
    hram.update(key.0);
    hram.update(message);
    let k = Scalar::from_bytes_mod_order_wide(&hram.finalize().into());
    Some(Prepared { r, s, k, r_bytes })
}

/// Checks many signatures at once, about twice as fast per signature as one at a time. The
/// answer is the same as checking each with [`AccountId::verify`]: the rule is the cofactored
/// equation, for which a random linear combination of the equations holds (except with
/// probability about 2^-128) exactly when each does. (A cofactorless rule, RFC 8032's and
/// ed25519-dalek's `verify_batch`, can answer differently in a batch than alone for a crafted
/// signature; validators that batch differently would then disagree on a block.)
///
/// The coefficients come from SHA-256 of everything checked, never from a random source, so
/// every node computes the same; finding signatures that cancel would need a hash preimage.
/// A batch that fails does not say which signature is bad: check those one at a time.
///
/// Signatures by the same key share one term: each distinct key is decoded once and enters
/// the multi-scalar multiplication once, with the sum of its signatures' coefficients (the
/// same linear combination, so the same answer), which makes a batch of many signatures by a
/// few accounts much cheaper.
pub fn verify_batch(items: &[SignedItem<'_>]) -> bool {
    let Some(prepared) = items
        .iter()
        .map(|(key, message, signature)| prepare(key, message, signature))
        .collect::<Option<alloc::vec::Vec<Prepared>>>()
    else {
        return false;
    };
    match prepared.len() {
        0 => return true,
        1 => return canonical_point(&items[0].0 .0).is_some_and(|a| prepared[0].holds(&a)),
        _ => {}
    }
    let mut seed = Sha256::new();
    seed.update(b"catena batch verification");
    for p in &prepared {
        // k binds the key and the message; R and s complete the signature.
        seed.update(p.k.as_bytes());
        seed.update(p.r_bytes);
        seed.update(p.s.as_bytes());
    }
    let seed: [u8; 32] = seed.finalize().into();
    let z: alloc::vec::Vec<Scalar> = (0..prepared.len() as u64)
        .map(|i| {
            let digest = Sha256::new()
                .chain_update(seed)
                .chain_update(i.to_le_bytes())
                .finalize();
            let mut bytes = [0u8; 32];
            bytes[..16].copy_from_slice(&digest[..16]);
            Scalar::from_bytes_mod_order(bytes)
        })
        .collect();
    // Σ zᵢ·(sᵢ·B − kᵢ·Aᵢ − Rᵢ) = (Σ zᵢsᵢ)·B − Σ zᵢ·Rᵢ − Σ_A (Σ_{i: Aᵢ = A} zᵢkᵢ)·A
    let b_coefficient: Scalar = prepared.iter().zip(&z).map(|(p, z)| z * p.s).sum();
    let mut per_key: alloc::collections::BTreeMap<&[u8; 32], Scalar> = Default::default();
    for ((key, _, _), (p, z)) in items.iter().zip(prepared.iter().zip(&z)) {
        *per_key.entry(&key.0).or_insert(Scalar::ZERO) += z * p.k;
    }
    let Some(keys) = per_key
        .iter()
        .map(|(bytes, zk)| canonical_point(bytes).map(|a| (a, -zk)))
        .collect::<Option<alloc::vec::Vec<(EdwardsPoint, Scalar)>>>()
    else {
        return false;
    };
    let scalars = core::iter::once(b_coefficient)
        .chain(z.iter().map(|z| -z))
        .chain(keys.iter().map(|(_, zk)| *zk));
    let points = core::iter::once(curve25519_dalek::constants::ED25519_BASEPOINT_POINT)
        .chain(prepared.iter().map(|p| p.r))
        .chain(keys.iter().map(|(a, _)| *a));
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
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

    /// A signature whose R carries a torsion component: `s·B − k·A − R` is a point of order 8.
    /// Valid under the cofactored rule (alone and in a batch alike); RFC 8032's cofactorless
    /// check (ed25519-dalek's `verify_strict`) refuses it. Honest signers never make one.
    fn torsion_signature(message: &[u8]) -> (AccountId, Signature) {
        use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
        let a = Scalar::from_bytes_mod_order([42u8; 32]);
        let public = (B * a).compress().to_bytes();
        let r = Scalar::from_bytes_mod_order([9u8; 32]);
        let big_r = (B * r + EIGHT_TORSION[1]).compress().to_bytes();
        let mut hram = Sha512::new();
        hram.update(big_r);
        hram.update(public);
        hram.update(message);
        let k = Scalar::from_bytes_mod_order_wide(&hram.finalize().into());
        let s = r + k * a;
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&big_r);
        signature[32..].copy_from_slice(s.as_bytes());
        (AccountId(public), Signature(signature))
    }

    #[test]
    fn agrees_with_rfc8032_on_honest_signatures_and_batches_agree_with_singles() {
        let keys: alloc::vec::Vec<SecretKey> =
            (0..40u8).map(|i| SecretKey::from_seed([i; 32])).collect();
        let messages: alloc::vec::Vec<alloc::vec::Vec<u8>> = (0..40u32)
            .map(|i| i.to_le_bytes().repeat(i as usize % 7 + 1))
            .collect();
        let signatures: alloc::vec::Vec<Signature> =
            keys.iter().zip(&messages).map(|(k, m)| k.sign(m)).collect();
        let accounts: alloc::vec::Vec<AccountId> = keys.iter().map(SecretKey::account).collect();
        for ((account, message), signature) in accounts.iter().zip(&messages).zip(&signatures) {
            assert!(account.verify(message, signature));
            let dalek = ed25519_dalek::VerifyingKey::from_bytes(&account.0).expect("key");
            let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
            assert!(dalek.verify_strict(message, &sig).is_ok());
        }
        let items: alloc::vec::Vec<SignedItem<'_>> = accounts
            .iter()
            .zip(&messages)
            .zip(&signatures)
            .map(|((a, m), s)| (a, m.as_slice(), s))
            .collect();
        assert!(verify_batch(&items));
        assert!(verify_batch(&items[..1]));
        assert!(verify_batch(&[]));
        // One wrong message, one flipped bit in a signature, one signature by another key:
        // each makes the batch fail, as it fails alone.
        let wrong = b"not the message".to_vec();
        let mut flipped = signatures[5];
        flipped.0[40] ^= 1;
        let cases: [(usize, SignedItem<'_>); 3] = [
            (3, (&accounts[3], &wrong, &signatures[3])),
            (5, (&accounts[5], &messages[5], &flipped)),
            (7, (&accounts[8], &messages[7], &signatures[7])),
        ];
        for (at, item) in cases {
            assert!(!item.0.verify(item.1, item.2));
            let mut batch = items.clone();
            batch[at] = item;
            assert!(
                !verify_batch(&batch),
                "bad signature at {at} passed the batch"
            );
        }
    }

    #[test]
    fn signatures_by_the_same_key_share_a_term_and_a_bad_one_still_fails_the_batch() {
        // 30 signatures by 3 keys, as a batch of one account's transfers looks.
        let keys: alloc::vec::Vec<SecretKey> = (0..3u8)
            .map(|i| SecretKey::from_seed([i + 50; 32]))
            .collect();
        let accounts: alloc::vec::Vec<AccountId> = keys.iter().map(SecretKey::account).collect();
        let messages: alloc::vec::Vec<alloc::vec::Vec<u8>> =
            (0..30u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let signatures: alloc::vec::Vec<Signature> = messages
            .iter()
            .enumerate()
            .map(|(i, m)| keys[i % 3].sign(m))
            .collect();
        let items: alloc::vec::Vec<SignedItem<'_>> = messages
            .iter()
            .zip(&signatures)
            .enumerate()
            .map(|(i, (m, s))| (&accounts[i % 3], m.as_slice(), s))
            .collect();
        assert!(verify_batch(&items));
        for at in [0, 14, 29] {
            let mut flipped = signatures[at];
            flipped.0[33] ^= 1;
            let wrong = b"another message".to_vec();
            // The same key's other signature, a changed signature, another message, the
            // signature checked against another of the three keys.
            let cases: [SignedItem<'_>; 4] = [
                (&accounts[at % 3], &messages[at], &signatures[(at + 3) % 30]),
                (&accounts[at % 3], &messages[at], &flipped),
                (&accounts[at % 3], &wrong, &signatures[at]),
                (&accounts[(at + 1) % 3], &messages[at], &signatures[at]),
            ];
            for item in cases {
                assert!(!item.0.verify(item.1, item.2));
                let mut batch = items.clone();
                batch[at] = item;
                assert!(!verify_batch(&batch), "a bad signature at {at} passed");
            }
        }
        // Two bad signatures by one key whose errors would cancel if the key's terms were
        // summed without coefficients: s moved from one to the other.
        let mut first = signatures[0];
        let mut second = signatures[3];
        let one = Scalar::ONE;
        let s0 = Scalar::from_canonical_bytes(first.0[32..].try_into().expect("32")).unwrap();
        let s3 = Scalar::from_canonical_bytes(second.0[32..].try_into().expect("32")).unwrap();
        first.0[32..].copy_from_slice((s0 + one).as_bytes());
        second.0[32..].copy_from_slice((s3 - one).as_bytes());
        let mut batch = items.clone();
        batch[0].2 = &first;
        batch[3].2 = &second;
        assert!(!verify_batch(&batch));
    }

    #[test]
    fn a_torsion_component_gets_the_same_answer_alone_and_in_any_batch() {
        let (account, signature) = torsion_signature(b"crafted");
        let dalek = ed25519_dalek::VerifyingKey::from_bytes(&account.0).expect("key");
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        assert!(dalek.verify_strict(b"crafted", &sig).is_err());
        assert!(account.verify(b"crafted", &signature));
        let honest = SecretKey::from_seed([3u8; 32]);
        let honest_sig = honest.sign(b"honest");
        let honest_account = honest.account();
        for copies in 1..6 {
            let mut batch: alloc::vec::Vec<SignedItem<'_>> =
                alloc::vec![(&honest_account, b"honest".as_slice(), &honest_sig)];
            for _ in 0..copies {
                batch.push((&account, b"crafted".as_slice(), &signature));
            }
            assert!(verify_batch(&batch), "{copies} copies");
        }
    }

    #[test]
    fn refuses_non_canonical_encodings_and_small_order_points() {
        let key = SecretKey::from_seed([5u8; 32]);
        let account = key.account();
        let signature = key.sign(b"m");
        // s + ℓ: the same scalar, a second encoding.
        // ℓ = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut s = [0u8; 32];
        s.copy_from_slice(&signature.0[32..]);
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(s[i]) + u16::from(l[i]) + carry;
            s[i] = sum as u8;
            carry = sum >> 8;
        }
        let mut malleated = signature;
        malleated.0[32..].copy_from_slice(&s);
        assert!(!account.verify(b"m", &malleated));
        // R of small order (the identity), and a public key of small order.
        let mut small_r = signature;
        small_r.0[..32].copy_from_slice(&{
            let mut identity = [0u8; 32];
            identity[0] = 1;
            identity
        });
        assert!(!account.verify(b"m", &small_r));
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(!AccountId(identity).verify(b"m", &signature));
        // y ≥ p is refused without decoding.
        let mut high = [0xffu8; 32];
        high[31] = 0x7f;
        assert!(!canonical_y(&high));
        high[0] = 0xec;
        assert!(canonical_y(&high));
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
