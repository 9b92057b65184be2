//! Invoice fingerprints across parachains (PARACHAINS.md, "Invoice fingerprints across
//! parachains"; ADR 0031): an invoice's fingerprint is keyed under the consortium's invoice key
//! `K`, so that nobody without `K` can test guesses (seller USCCs are public and invoice numbers
//! sequential); the main chain maps each claimed fingerprint to the parachain that holds it.

use alloc::string::String;
use alloc::vec::Vec;

use hmac::{Hmac, Mac};
use parity_scale_codec::{Decode, Encode};
use sha2::Sha256;

use crate::hash::Hash;

/// The domain of invoice fingerprints.
const FINGERPRINT_DOMAIN: &[u8] = b"catena/invoice-fp/v1";
/// The domain of the check value a main chain's spec commits.
const CHECK_DOMAIN: &[u8] = b"catena/fp-key-check/v1";

/// The main chain's state key of the check value of the consortium's invoice key (SCALE
/// [`Hash`]), written at genesis from its spec.
pub const KEY_CHECK_KEY: &[u8] = b"sys/fp-key-check";
/// The main chain's state keys of claimed fingerprints: `sys/fp/<fingerprint>` →
/// [`MainClaim`].
pub const MAIN_CLAIM_PREFIX: &[u8] = b"sys/fp/";
/// The consortium's invoice key: 32 secret bytes held by the nodes of the parachains' members.
#[derive(Clone, PartialEq, Eq)]
pub struct InvoiceKey(pub [u8; 32]);

impl core::fmt::Debug for InvoiceKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "InvoiceKey(check {})", self.check())
    }
}

impl InvoiceKey {
    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }

    /// The check value a main chain's spec commits: `HMAC(K, "catena/fp-key-check/v1")`.
    pub fn check(&self) -> Hash {
        let mut mac = self.mac();
        mac.update(CHECK_DOMAIN);
        Hash(mac.finalize().into_bytes().into())
    }

    /// The fingerprint of invoice `code` / `number` of `seller` (as the records contract stores
    /// them): `HMAC(K, "catena/invoice-fp/v1" ‖ each of code, number, seller as a 4-byte
    /// big-endian length and its bytes)`.
    pub fn fingerprint(&self, code: &str, number: &str, seller: &str) -> Hash {
        let mut mac = self.mac();
        mac.update(FINGERPRINT_DOMAIN);
        for part in [code, number, seller] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            mac.update(&len.to_be_bytes());
            mac.update(part.as_bytes());
        }
        Hash(mac.finalize().into_bytes().into())
    }
}

/// The main chain's state key of a claimed fingerprint.
pub fn main_claim_key(fingerprint: &Hash) -> Vec<u8> {
    [MAIN_CLAIM_PREFIX, &fingerprint.0[..]].concat()
}

/// A fingerprint as the main chain holds it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct MainClaim {
    /// The parachain that holds it; `None` once released.
    pub holder: Option<String>,
    /// How many times it was claimed: each claim's number, so that a parachain never takes an
    /// old claim's proof again.
    pub claim: u64,
    /// The main-chain block of the latest claim or release.
    pub at_height: u64,
}

/// Most fingerprints one claim or release names (a voucher rests on at most 16 invoices).
pub const MAX_PER_CALL: usize = 16;

/// A parachain's claim of invoice fingerprints on the main chain.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ClaimInvoices {
    pub para_id: String,
    pub fingerprints: Vec<Hash>,
}

/// A release of a parachain's claims on the main chain: the voucher contract's entries of the
/// claims (`catena_schema::voucher::keys::invoice_claim_key`, each released) in the parachain's
/// state under the root of its block `anchored_height`, as anchored on the main chain.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ReleaseInvoices {
    pub para_id: String,
    pub anchored_height: u64,
    pub entries: Vec<crate::through_anchor::Entry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_on_the_key_and_every_field() {
        let k = InvoiceKey([7; 32]);
        let fp = k.fingerprint("3100231130", "00000001", "91310000MA1FL8X72K");
        assert_eq!(
            fp,
            k.fingerprint("3100231130", "00000001", "91310000MA1FL8X72K")
        );
        assert_ne!(
            fp,
            InvoiceKey([8; 32]).fingerprint("3100231130", "00000001", "91310000MA1FL8X72K")
        );
        assert_ne!(
            fp,
            k.fingerprint("3100231130", "00000002", "91310000MA1FL8X72K")
        );
        assert_ne!(
            fp,
            k.fingerprint("3100231130", "00000001", "91310000MA1FL8X73K")
        );
        // The length prefixes keep the fields apart.
        assert_ne!(
            k.fingerprint("31", "0023", "X"),
            k.fingerprint("310", "023", "X")
        );
        assert_ne!(k.check(), InvoiceKey([8; 32]).check());
        assert_ne!(k.check(), fp);
    }

    /// Known answers computed independently (Python's `hmac` module) from the construction as
    /// documented: what a court's or integrator's own implementation must reproduce.
    #[test]
    fn known_answers() {
        let k = InvoiceKey([7; 32]);
        assert_eq!(
            hex::encode(
                k.fingerprint("3100231130", "00000001", "91310000MA1FL8X72K")
                    .0
            ),
            "c0c536355d73f4004c7f68f0b9045d1811afff6b38480c92fd1f7faefe143e7c"
        );
        assert_eq!(
            hex::encode(k.check().0),
            "1b4e271a738fa3be654f383b0585b068de3e10961a9064107fef110291476262"
        );
    }
}
