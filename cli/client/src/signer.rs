//! A member's key with the next nonce it will sign with: a test or the bench signs a run of
//! transactions without asking the node for a nonce each time.

use catena_primitives::{Call, SecretKey, Transaction};

/// Signs transactions of one account for one chain, counting its nonce.
#[derive(Debug)]
pub struct Signer {
    pub key: SecretKey,
    /// The nonce of the next transaction signed.
    pub nonce: u64,
    chain_id: String,
}

impl Signer {
    /// A signer whose next transaction has `nonce` (the account's next nonce on the chain).
    pub fn new(chain_id: &str, key: SecretKey, nonce: u64) -> Signer {
        Signer {
            key,
            nonce,
            chain_id: chain_id.to_string(),
        }
    }

    /// The call signed with the next nonce (which then moves on by one).
    pub fn sign(&mut self, call: Call) -> Transaction {
        let tx = Transaction::signed(&self.chain_id, self.nonce, call, &self.key);
        self.nonce += 1;
        tx
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
}
