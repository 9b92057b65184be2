//! Signed reads: what a client signs so that a node answers a request on a chain whose data only
//! its members may read (every parachain; a main chain whose config says so).
//!
//! A request carries three headers: [`ACCOUNT_HEADER`] (the account, `0x` and 64 hex digits),
//! [`TIMESTAMP_HEADER`] (milliseconds since the Unix epoch, decimal) and [`SIGNATURE_HEADER`]
//! (`0x` and 128 hex digits): the account's ed25519 signature over [`message`]. The node
//! accepts a timestamp within [`WINDOW_MS`] of its clock and each signature once.

use alloc::string::String;
use alloc::vec::Vec;

use crate::{AccountId, Hash, SecretKey, Signature};

/// The header naming the account that signed.
pub const ACCOUNT_HEADER: &str = "x-catena-account";
/// The header with the time of signing, in milliseconds since the Unix epoch.
pub const TIMESTAMP_HEADER: &str = "x-catena-timestamp";
/// The header with the signature over [`message`].
pub const SIGNATURE_HEADER: &str = "x-catena-signature";
/// How far a request's timestamp may be from the node's clock, either way.
pub const WINDOW_MS: u64 = 60_000;
/// The first line of every signed message: names the scheme and its version.
pub const DOMAIN: &str = "catena-signed-read/v1";

/// A request as it is signed: the chain it is for, the method, the path as sent (such as
/// `/chains/para-a/vouchers/4`), the query as sent without its `?` (empty if none), the time of
/// signing in milliseconds since the Unix epoch, and the body (empty for a GET).
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub chain_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub timestamp_ms: u64,
    pub body: &'a [u8],
}

impl Request<'_> {
    /// What is signed, as text lines joined by `\n`: [`DOMAIN`], the chain id, the method in
    /// capitals, the path, the query, the timestamp in decimal, and the SHA-256 of the body in
    /// lower-case hex. Naming the chain keeps a signature for one chain from being replayed on
    /// another chain the same node serves at the same path.
    pub fn message(&self) -> Vec<u8> {
        let body_hash = hex::encode(Hash::digest(self.body).0);
        let mut text = String::new();
        for line in [
            DOMAIN,
            self.chain_id,
            &self.method.to_ascii_uppercase(),
            self.path,
            self.query,
            &alloc::format!("{}", self.timestamp_ms),
        ] {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&body_hash);
        text.into_bytes()
    }

    /// The three header values (account, timestamp, signature) of this request signed by `key`.
    pub fn sign(&self, key: &SecretKey) -> [String; 3] {
        let signature = key.sign(&self.message());
        [
            alloc::format!("{}", key.account()),
            alloc::format!("{}", self.timestamp_ms),
            alloc::format!("{signature}"),
        ]
    }

    /// Whether `signature` by `account` signs this request.
    pub fn verify(&self, account: &AccountId, signature: &Signature) -> bool {
        account.verify(&self.message(), signature)
    }
}

/// The first line of what a member's key signs to sign in to a chain's explorer.
pub const SIGN_IN_DOMAIN: &str = "catena-explorer-sign-in/v1";

/// What a member's key signs to sign in to a chain's explorer with `challenge` (the node's, one
/// use, which names the chain): [`SIGN_IN_DOMAIN`], a newline, the challenge. Nothing else a key
/// signs starts with that line, so the signature is good for this and nothing else.
pub fn sign_in_message(challenge: &str) -> Vec<u8> {
    [SIGN_IN_DOMAIN.as_bytes(), b"\n", challenge.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: Request<'static> = Request {
        chain_id: "para-a",
        method: "GET",
        path: "/chains/para-a/status",
        query: "",
        timestamp_ms: 1_700_000_000_000,
        body: b"",
    };

    #[test]
    fn a_signature_covers_every_part_of_the_request() {
        let key = SecretKey::from_seed([7; 32]);
        let [account, _, signature] = REQUEST.sign(&key);
        let account: AccountId = account.parse().unwrap();
        let signature: Signature = signature.parse().unwrap();
        assert!(REQUEST.verify(&account, &signature));
        let changed = [
            Request {
                chain_id: "para-b",
                ..REQUEST
            },
            Request {
                method: "POST",
                ..REQUEST
            },
            Request {
                path: "/status",
                ..REQUEST
            },
            Request {
                query: "limit=1",
                ..REQUEST
            },
            Request {
                timestamp_ms: REQUEST.timestamp_ms + 1,
                ..REQUEST
            },
            Request {
                body: b"{}",
                ..REQUEST
            },
        ];
        for request in changed {
            assert!(!request.verify(&account, &signature), "{request:?}");
        }
        let other = SecretKey::from_seed([8; 32]).account();
        assert!(!REQUEST.verify(&other, &signature));
    }

    #[test]
    fn the_message_is_the_documented_text() {
        let request = Request {
            chain_id: "main",
            method: "get",
            path: "/blocks",
            query: "limit=2",
            timestamp_ms: 5,
            body: b"",
        };
        assert_eq!(
            core::str::from_utf8(&request.message()).unwrap(),
            "catena-signed-read/v1\nmain\nGET\n/blocks\nlimit=2\n5\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
