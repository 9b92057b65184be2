//! Criterion benchmarks of the paths a transaction takes (docs/performance.md):
//!
//! - `tx/decode_and_verify`: decode a voucher transfer from its bytes and check it statelessly
//!   (chain id, size, signature); `tx/verify_batch_1024`: one signature inside a batch of 1,024
//!   by 64 accounts, beside ed25519-dalek's own `verify_batch` of the same (`tx/dalek_…`), and
//!   the same with 1,024 distinct keys (`…_distinct_keys`: no key shared);
//! - `runtime/voucher_transfer`: one voucher transfer executed against the committed state in
//!   RocksDB (three contract calls in wasmtime), nothing written;
//! - `block/execute_and_commit_1000_transfers`: build a block of 1,000 voucher transfers from
//!   the mempool, execute it, update the state tree and write it in one synced batch;
//! - `consensus/polka_step`: the Tendermint state machine taking the prevote that completes a
//!   quorum.
//!
//! `cargo bench -p catena-node` measures; `cargo test --benches` runs each once as a check.

// A benchmark measures time; the code it measures never reads the clock.
#![allow(clippy::disallowed_methods, clippy::unwrap_used)]

use std::time::Duration;

use catena_consensus::tendermint::{
    ConsensusVote, Input, Proposal, SignedVote, Tendermint, Timeouts, VoteKind,
};
use catena_node::chain::StoreState;
use catena_node::ChainInstance;
use catena_primitives::{
    AccountId, Call, CommitCertificate, Hash, SecretKey, Signature, Transaction, ValidatorSet,
};
use catena_runtime::system_call as call;
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, NewRecord};
use catena_schema::voucher::method as voucher_method;
use catena_schema::voucher::{SetCreditLine, Split, Terms, Transfer};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use parity_scale_codec::{Decode, Encode};

const GENESIS_MS: u64 = 1_767_225_600_000;
const PARTS: usize = 1_000;

/// A dev chain in a temporary directory (real RocksDB), with 1,000 voucher parts of 1.00 held
/// by the first supplier.
struct Bench {
    _dir: tempfile::TempDir,
    chain: ChainInstance,
    proposer: AccountId,
    keys: std::collections::HashMap<String, SecretKey>,
    nonces: std::collections::HashMap<String, u64>,
    uscc: std::collections::HashMap<String, String>,
    parts: Vec<u64>,
    /// Which member holds the parts now: they go back and forth.
    held_by_tier1: bool,
}

impl Bench {
    fn new() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let mut built = catena_chain_spec::build_dev(GENESIS_MS);
        built.spec.parameters.voucher_max_parts = 100;
        // The proposer's time budget is half a block time: long enough here that the block of
        // 1,000 transfers is measured whole, in any profile.
        built.spec.parameters.block_time_ms = 60_000;
        let proposer = built.spec.validators[0].account;
        let keys: std::collections::HashMap<String, SecretKey> = built
            .member_keys
            .iter()
            .map(|k| (k.name.clone(), k.secret.clone()))
            .collect();
        let uscc = built
            .spec
            .members
            .iter()
            .zip(&built.member_keys)
            .map(|(m, k)| (k.name.clone(), m.uscc.clone()))
            .collect();
        let chain = ChainInstance::open(built.spec, dir.path(), 100_000).unwrap();
        let mut bench = Bench {
            _dir: dir,
            chain,
            proposer,
            keys,
            nonces: Default::default(),
            uscc,
            parts: Vec::new(),
            held_by_tier1: true,
        };
        bench.set_up_parts();
        bench
    }

    fn sign(&mut self, who: &str, call: Call) -> Transaction {
        let nonce = self.nonces.entry(who.to_string()).or_default();
        let tx = Transaction::signed(&self.chain.spec().chain_id, *nonce, call, &self.keys[who]);
        *nonce += 1;
        tx
    }

    /// Admits `txs`, then builds, executes and commits one block of them; the receipts'
    /// outputs.
    fn block(&self, txs: Vec<Transaction>) -> Vec<Vec<u8>> {
        for outcome in self.chain.submit_batch(txs) {
            outcome.unwrap();
        }
        let height = self.chain.tip().unwrap().height + 1;
        let proposal = self
            .chain
            .build_proposal(height, GENESIS_MS + height * 1_000, self.proposer)
            .unwrap();
        let certificate = CommitCertificate {
            height,
            round: 0,
            block_hash: proposal.block.hash(),
            signatures: Vec::new(),
        };
        let receipts = proposal.receipts.clone();
        self.chain.commit(proposal, &certificate).unwrap();
        receipts
            .into_iter()
            .map(|r| {
                assert_eq!(
                    r.status,
                    catena_primitives::ReceiptStatus::Success,
                    "a setup call failed"
                );
                r.output
            })
            .collect()
    }

    fn set_up_parts(&mut self) {
        let (core, tier1) = (
            self.uscc["huaxia-motors"].clone(),
            self.uscc["tier1-steel"].clone(),
        );
        let line = SetCreditLine {
            issuer: core.clone(),
            limit: 1 << 40,
        };
        let tx = self.sign("merchant-bank", call(voucher_method::SET_CREDIT_LINE, line));
        self.block(vec![tx]);
        let originals = PARTS / 100;
        let invoices: Vec<[u8; 32]> = (0..originals)
            .map(|o| Hash::digest(format!("bench invoice {o}").as_bytes()).0)
            .collect();
        let records = invoices
            .iter()
            .enumerate()
            .map(|(o, doc_hash)| {
                let record = NewRecord {
                    kind: Kind::Invoice,
                    doc_hash: *doc_hash,
                    parties: vec![tier1.clone(), core.clone()],
                    amount: 10_000,
                    currency: "CNY".into(),
                    date_ms: GENESIS_MS,
                    links: vec![],
                    invoice: Some(Invoice {
                        code: "3100231130".into(),
                        number: format!("{:08}", o + 1),
                        seller: tier1.clone(),
                        buyer: core.clone(),
                    }),
                };
                self.sign("tier1-steel", call(records_method::RECORD, record))
            })
            .collect();
        self.block(records);
        let issues = invoices
            .iter()
            .map(|invoice| {
                let terms = Terms {
                    counterparty: tier1.clone(),
                    amount: 10_000,
                    currency: "CNY".into(),
                    maturity_ms: GENESIS_MS + 365 * 24 * 3600 * 1000,
                    invoices: vec![*invoice],
                    records: vec![],
                    line: None,
                };
                self.sign("huaxia-motors", call(voucher_method::ISSUE, terms))
            })
            .collect();
        let originals: Vec<u64> = self
            .block(issues)
            .iter()
            .map(|o| u64::decode(&mut &o[..]).unwrap())
            .collect();
        let splits = originals
            .iter()
            .map(|id| {
                let split = Split {
                    voucher: *id,
                    amounts: vec![100; 100],
                };
                self.sign("tier1-steel", call(voucher_method::SPLIT, split))
            })
            .collect();
        for output in self.block(splits) {
            self.parts
                .extend(Vec::<u64>::decode(&mut &output[..]).unwrap());
        }
        assert_eq!(self.parts.len(), PARTS);
    }

    /// Transfers of every part to the other supplier (they alternate between the two).
    fn transfers(&mut self) -> Vec<Transaction> {
        let (from, to) = if self.held_by_tier1 {
            ("tier1-steel", "tier2-parts")
        } else {
            ("tier2-parts", "tier1-steel")
        };
        self.held_by_tier1 = !self.held_by_tier1;
        let to = self.uscc[to].clone();
        let parts = self.parts.clone();
        parts
            .into_iter()
            .map(|voucher| {
                let transfer = Transfer {
                    voucher,
                    to: to.clone(),
                    amount: None,
                };
                self.sign(from, call(voucher_method::TRANSFER, transfer))
            })
            .collect()
    }
}

fn transactions(c: &mut Criterion) {
    let key = SecretKey::from_seed([7; 32]);
    let transfer = Transfer {
        voucher: 42,
        to: "91330200MA2AB0003X".into(),
        amount: None,
    };
    let tx = Transaction::signed(
        "catena-dev",
        0,
        call(voucher_method::TRANSFER, transfer),
        &key,
    );
    let bytes = tx.encode();
    c.bench_function("tx/decode_and_verify", |b| {
        b.iter(|| {
            let tx = Transaction::decode_untrusted(&bytes).unwrap();
            tx.check_stateless("catena-dev", 64 << 10).unwrap();
        })
    });
    let keys: Vec<SecretKey> = (0..64u8).map(|i| SecretKey::from_seed([i; 32])).collect();
    let signed: Vec<(AccountId, Vec<u8>, Signature)> = (0..1024u32)
        .map(|i| {
            let key = &keys[i as usize % keys.len()];
            let message = i.to_le_bytes().repeat(40);
            (key.account(), message.clone(), key.sign(&message))
        })
        .collect();
    let distinct: Vec<(AccountId, Vec<u8>, Signature)> = (0..1024u32)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            seed[4] = 1;
            let key = SecretKey::from_seed(seed);
            let message = i.to_le_bytes().repeat(40);
            (key.account(), message.clone(), key.sign(&message))
        })
        .collect();
    let mut group = c.benchmark_group("tx");
    group.throughput(criterion::Throughput::Elements(1024));
    for (name, signed) in [("", &signed), ("_distinct_keys", &distinct)] {
        let items: Vec<catena_primitives::crypto::SignedItem<'_>> = signed
            .iter()
            .map(|(a, m, s)| (a, m.as_slice(), s))
            .collect();
        group.bench_function(format!("verify_batch_1024{name}"), |b| {
            b.iter(|| assert!(catena_primitives::verify_batch(&items)))
        });
        let messages: Vec<&[u8]> = signed.iter().map(|(_, m, _)| m.as_slice()).collect();
        let signatures: Vec<ed25519_dalek::Signature> = signed
            .iter()
            .map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(&s.0))
            .collect();
        // From the keys' bytes, as a node gets them (decoding a key is a point decompression,
        // which the node's batch does too).
        group.bench_function(format!("dalek_verify_batch_1024{name}"), |b| {
            b.iter(|| {
                let keys: Vec<ed25519_dalek::VerifyingKey> = signed
                    .iter()
                    .map(|(a, _, _)| ed25519_dalek::VerifyingKey::from_bytes(&a.0).unwrap())
                    .collect();
                ed25519_dalek::verify_batch(&messages, &signatures, &keys).unwrap()
            })
        });
    }
    group.finish();
}

fn runtime_and_block(c: &mut Criterion) {
    let mut bench = Bench::new();
    let tip = bench.chain.tip().unwrap().height;
    let one = bench.transfers().swap_remove(0);
    let context = catena_node::chain::block_context(
        bench.chain.spec(),
        tip + 1,
        GENESIS_MS + (tip + 1) * 1_000,
    );
    // The transfers were only signed: the parts are still tier 1's.
    bench.held_by_tier1 = true;
    // Its fuel, to set against its time: the end-to-end rate of fuel against the node's store
    // (ADR 0038).
    let fuel = catena_runtime::execute_block(
        &StoreState(bench.chain.store()),
        &context,
        std::slice::from_ref(&one),
    )
    .unwrap()
    .receipts[0]
        .fuel_used;
    println!("runtime/voucher_transfer: {fuel} fuel");
    c.bench_function("runtime/voucher_transfer", |b| {
        b.iter(|| {
            let executed = catena_runtime::execute_block(
                &StoreState(bench.chain.store()),
                &context,
                std::slice::from_ref(&one),
            )
            .unwrap();
            assert_eq!(
                executed.receipts[0].status,
                catena_primitives::ReceiptStatus::Success
            );
        })
    });
    // Nonces as committed, for the blocks.
    let tier1 = bench.keys["tier1-steel"].account();
    let tier2 = bench.keys["tier2-parts"].account();
    for (name, account) in [("tier1-steel", tier1), ("tier2-parts", tier2)] {
        let nonce = catena_runtime::nonce(&StoreState(bench.chain.store()), &account).unwrap();
        bench.nonces.insert(name.to_string(), nonce);
    }
    let mut group = c.benchmark_group("block");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(criterion::Throughput::Elements(PARTS as u64));
    let bench = std::cell::RefCell::new(bench);
    group.bench_function("execute_and_commit_1000_transfers", |b| {
        b.iter_batched(
            || {
                let txs = bench.borrow_mut().transfers();
                for outcome in bench.borrow().chain.submit_batch(txs) {
                    outcome.unwrap();
                }
            },
            |()| {
                let bench = bench.borrow();
                let height = bench.chain.tip().unwrap().height + 1;
                let proposal = bench
                    .chain
                    .build_proposal(height, GENESIS_MS + height * 1_000, bench.proposer)
                    .unwrap();
                assert_eq!(proposal.block.transactions.len(), PARTS);
                let certificate = CommitCertificate {
                    height,
                    round: 0,
                    block_hash: proposal.block.hash(),
                    signatures: Vec::new(),
                };
                bench.chain.commit(proposal, &certificate).unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn consensus(c: &mut Criterion) {
    let keys: Vec<SecretKey> = (1..=4u8).map(|i| SecretKey::from_seed([i; 32])).collect();
    let validators = ValidatorSet::new(keys.iter().map(SecretKey::account).collect());
    let value = Hash::digest(b"block");
    let vote = |i: usize| SignedVote {
        vote: ConsensusVote {
            kind: VoteKind::Prevote,
            height: 1,
            round: 0,
            value: Some(value),
        },
        signer: keys[i].account(),
        signature: Signature([0; 64]),
    };
    c.bench_function("consensus/polka_step", |b| {
        b.iter_batched(
            || {
                // An observer of the four validators, at height 1 with the proposal and two of
                // the three prevotes a quorum needs.
                let mut engine = Tendermint::new(
                    "bench".into(),
                    validators.clone(),
                    None,
                    Timeouts {
                        propose_base_ms: 1_000,
                        propose_delta_ms: 500,
                        vote_base_ms: 1_000,
                        vote_delta_ms: 500,
                    },
                );
                engine.process(Input::NewHeight { height: 1 });
                let proposer = engine.proposer(1, 0);
                engine.process(Input::Proposal {
                    proposal: Proposal {
                        height: 1,
                        round: 0,
                        value,
                        pol_round: None,
                        proposer,
                    },
                    valid: true,
                });
                engine.process(Input::Vote(vote(0)));
                engine.process(Input::Vote(vote(1)));
                engine
            },
            |mut engine| engine.process(Input::Vote(vote(2))),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, transactions, runtime_and_block, consensus);
criterion_main!(benches);
