//! The in-process chain harness the node's integration tests share: chains built block by block
//! in real RocksDB stores, certified by their validators' keys.
#![allow(dead_code)]

use catena_chain_spec::build_named;
use catena_node::chain::ChainInstance;
use catena_primitives::parachain::{Anchor, ParachainRecord};
use catena_primitives::{Call, CommitCertificate, Header, ReceiptStatus, SecretKey, Transaction};
use catena_runtime::parachains::parachain;

pub const T0: u64 = 1_767_225_600_000;

/// A chain built block by block in a test: its blocks certified by `signers`.
pub struct Chain {
    pub chain: ChainInstance,
    /// Validator vote keys, in the spec's order.
    pub validators: Vec<SecretKey>,
    /// Demo member keys by name.
    pub members: Vec<(String, SecretKey)>,
    pub time: u64,
    pub nonces: std::collections::BTreeMap<String, u64>,
}

impl Chain {
    pub fn new(dir: &std::path::Path, id: &str, validators: usize) -> Chain {
        Chain::custom(dir, id, validators, |_| {})
    }

    /// A chain whose spec `customize` changes first.
    pub fn custom(
        dir: &std::path::Path,
        id: &str,
        validators: usize,
        customize: impl FnOnce(&mut catena_chain_spec::ChainSpec),
    ) -> Chain {
        let mut built = build_named(id, validators, T0, 40_000);
        customize(&mut built.spec);
        Chain {
            chain: ChainInstance::open(built.spec.clone(), &dir.join(id), 1_000).expect("open"),
            validators: built
                .validator_keys
                .iter()
                .map(|(vote, _)| vote.secret.clone())
                .collect(),
            members: built
                .member_keys
                .iter()
                .map(|k| (k.name.clone(), k.secret.clone()))
                .collect(),
            time: T0,
            nonces: Default::default(),
        }
    }

    pub fn id(&self) -> String {
        self.chain.spec().chain_id.clone()
    }

    pub fn member(&self, name: &str) -> SecretKey {
        self.members
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no demo member {name}"))
            .1
            .clone()
    }

    /// Submits `call` signed by demo member `name`; the transaction's hash.
    pub fn send(&mut self, name: &str, call: Call) -> catena_primitives::Hash {
        let (id, key) = (self.id(), self.member(name));
        let nonce = self.nonces.entry(name.to_string()).or_insert(0);
        let tx = Transaction::signed(&id, *nonce, call, &key);
        *nonce += 1;
        self.chain.submit(tx).expect("admitted")
    }

    /// Builds, certifies (by the first `signers` validators of the current set) and commits
    /// the next block `advance_ms` after the last.
    pub fn block(&mut self, advance_ms: u64) -> (Header, CommitCertificate) {
        self.time += advance_ms;
        let height = self.chain.tip().expect("tip").height + 1;
        let set = self.chain.validators();
        let prepared = self
            .chain
            .build_proposal(height, self.time, set.validators[0])
            .expect("build");
        let header = prepared.block.header.clone();
        let certificate = self.certify(&header, set.quorum());
        self.chain.commit(prepared, &certificate).expect("commit");
        (header, certificate)
    }

    /// A certificate of `header` by the first `count` of the current validators.
    pub fn certify(&self, header: &Header, count: usize) -> CommitCertificate {
        let set = self.chain.validators();
        let mut certificate = CommitCertificate {
            height: header.height,
            round: 0,
            block_hash: header.hash(),
            signatures: Vec::new(),
        };
        let message = certificate.vote(&self.id()).signing_bytes();
        for account in set.validators.iter().take(count) {
            let key = self
                .validators
                .iter()
                .find(|k| k.account() == *account)
                .expect("a validator's key");
            certificate.signatures.push((*account, key.sign(&message)));
        }
        certificate
    }

    /// The anchor of committed block `height`, with its certificate as stored.
    pub fn anchor(&self, height: u64) -> Anchor {
        catena_node::anchor::anchor_of(&self.chain, height).expect("an anchor")
    }

    /// Receipt status of transaction `hash`.
    pub fn outcome(&self, hash: catena_primitives::Hash) -> Result<(), String> {
        match self
            .chain
            .store()
            .receipt(&hash)
            .expect("read")
            .expect("receipt")
            .status
        {
            ReceiptStatus::Success => Ok(()),
            ReceiptStatus::Failed(reason) => Err(reason),
        }
    }

    pub fn record(&self, para: &str) -> Option<ParachainRecord> {
        parachain(&catena_node::chain::StoreState(self.chain.store()), para).expect("read")
    }
}

/// The demo names of `chain`'s governing members, in its governance's order.
pub fn governors(chain: &Chain) -> Vec<String> {
    let spec = chain.chain.spec();
    spec.governance
        .members
        .iter()
        .map(|name| {
            chain
                .members
                .iter()
                .zip(&spec.members)
                .find(|(_, m)| &m.name == name)
                .map(|((n, _), _)| n.clone())
                .expect("a governor's key")
        })
        .collect()
}

/// Sends each anchor to `main` in one block; their outcomes in order.
pub fn anchor_all(main: &mut Chain, anchors: Vec<Anchor>) -> Vec<Result<(), String>> {
    let hashes: Vec<_> = anchors
        .into_iter()
        .map(|a| main.send("tier2-parts", Call::Anchor(Box::new(a))))
        .collect();
    main.block(1_000);
    hashes.into_iter().map(|h| main.outcome(h)).collect()
}

pub fn refused(outcome: &Result<(), String>, reason: &str) {
    match outcome {
        Err(message) => assert!(
            message.contains(reason),
            "refused for '{message}', not '{reason}'"
        ),
        Ok(()) => panic!("accepted; expected a refusal for '{reason}'"),
    }
}
