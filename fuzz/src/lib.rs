//! Fuzz targets for every decoder of untrusted bytes (issue 19, item 5), on stable Rust.
//!
//! Each [`Target`] runs one decoder exactly as the node runs it on bytes from a peer, a user or
//! its own disk, with the node's limits; it must refuse what it cannot decode and never panic.
//! What it accepts must encode back to the very bytes it was given (a round trip: no two
//! encodings of one value, so nothing signed or hashed can be re-encoded differently).
//!
//! Inputs come from a corpus (`fuzz/corpus/<target>/`: valid encodings made by [`seeds`], and
//! any input a campaign ever found failing) and from [`mutate`], which breaks them the way
//! hostile peers do: flipped bits, cut and repeated ranges, spliced messages, and SCALE length
//! prefixes claiming a gigabyte. `tests/corpus.rs` replays the corpus and runs 10,000 mutants of
//! each target in the test suite; `catena-fuzz run` runs longer campaigns.

use catena_consensus::tendermint::wire::{WireMessage, WireProposal};
use catena_node::chain::{PeerRequest, SyncRequest, SyncResponse};
use catena_primitives::{
    Block, Call, CommitCertificate, Equivocation, Hash, Header, SecretKey, Signature, Transaction,
    WireVote,
};
use parity_scale_codec::Encode;

mod mutate;
pub use mutate::{mutate, Rng};

/// What a target made of an input.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Refused, with the decoder's reason.
    Refused(String),
    /// Decoded; the value encoded again, where the decoder's format is its encoding.
    Accepted(Option<Vec<u8>>),
}

/// One decoder of untrusted bytes.
#[derive(Debug)]
pub struct Target {
    pub name: &'static str,
    /// The most bytes the node hands this decoder.
    pub limit: usize,
    pub run: fn(&[u8]) -> Outcome,
}

/// The largest block a peer may send (the chain-spec default of `max_block_bytes`).
const BLOCK_LIMIT: usize = 8 << 20;

/// A decoder's answer as an outcome: what it accepted, encoded again.
fn outcome<T: Encode, E: std::fmt::Display>(decoded: Result<T, E>) -> Outcome {
    match decoded {
        Ok(value) => Outcome::Accepted(Some(value.encode())),
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

fn scale<T: parity_scale_codec::Decode + Encode>(bytes: &[u8], limit: usize) -> Outcome {
    outcome(catena_primitives::decode_limited::<T>(bytes, limit))
}

fn transaction(bytes: &[u8]) -> Outcome {
    outcome(Transaction::decode_untrusted(bytes))
}

fn block(bytes: &[u8]) -> Outcome {
    outcome(Block::decode_untrusted(bytes, BLOCK_LIMIT))
}

fn wire_message(bytes: &[u8]) -> Outcome {
    let limit = catena_network::DEFAULT_MAX_MESSAGE_BYTES;
    outcome(WireMessage::decode_untrusted(bytes, limit))
}

fn sync_request(bytes: &[u8]) -> Outcome {
    outcome(PeerRequest::decode_untrusted(bytes))
}

fn sync_response(bytes: &[u8]) -> Outcome {
    outcome(SyncResponse::decode_untrusted(
        bytes,
        catena_network::DEFAULT_MAX_MESSAGE_BYTES,
    ))
}

fn gossip_batch(bytes: &[u8]) -> Outcome {
    let limit = catena_network::DEFAULT_MAX_MESSAGE_BYTES;
    outcome(catena_node::driver::peers::decode_gossip_batch(
        bytes, limit,
    ))
}

fn equivocation(bytes: &[u8]) -> Outcome {
    scale::<Equivocation>(bytes, catena_primitives::tx::MAX_TX_DECODE_BYTES)
}

/// A vote log read back from disk: whatever its bytes, opening it recovers what it can or says
/// why not. Its format is records with checksums, not one encoding: no round trip.
fn vote_log(bytes: &[u8]) -> Outcome {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("votes.wal");
    std::fs::write(&path, bytes).expect("write the log");
    match catena_storage::wal::VoteLog::open(&path) {
        Ok(_) => Outcome::Accepted(None),
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

/// Contract arguments as the system contracts decode them (the voucher's, the cash's).
fn contract_arguments(bytes: &[u8]) -> Outcome {
    use catena_schema::voucher::{Split, Transfer};
    let Some((&kind, rest)) = bytes.split_first() else {
        return Outcome::Refused("empty".into());
    };
    let limit = catena_abi::MAX_VALUE_BYTES;
    match kind % 3 {
        0 => prefixed(kind, scale::<Transfer>(rest, limit)),
        1 => prefixed(kind, scale::<Split>(rest, limit)),
        _ => prefixed(kind, scale::<catena_schema::cash::Mint>(rest, limit)),
    }
}

fn prefixed(kind: u8, outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Accepted(Some(bytes)) => Outcome::Accepted(Some([&[kind][..], &bytes].concat())),
        other => other,
    }
}

/// A request-response frame from a peer (`[len u32 LE][len bytes]`), through the node's codec.
fn network_frame(bytes: &[u8]) -> Outcome {
    use libp2p::request_response::Codec;
    let mut codec = catena_network::codec::LimitedCodec { max_bytes: 1 << 16 };
    let protocol = libp2p::StreamProtocol::new("/catena/fuzz/1");
    let mut io = libp2p::futures::io::Cursor::new(bytes.to_vec());
    match libp2p::futures::executor::block_on(codec.read_request(&protocol, &mut io)) {
        Ok(message) => {
            let mut framed = (message.len() as u32).to_le_bytes().to_vec();
            framed.extend_from_slice(&message);
            // Bytes after the frame are the stream's next message, not this one's.
            Outcome::Accepted(Some(framed).filter(|f| f.len() == bytes.len()))
        }
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

/// Every target.
pub fn targets() -> Vec<Target> {
    let message = catena_network::DEFAULT_MAX_MESSAGE_BYTES;
    vec![
        Target {
            name: "transaction",
            limit: catena_primitives::tx::MAX_TX_DECODE_BYTES,
            run: transaction,
        },
        Target {
            name: "block",
            limit: BLOCK_LIMIT,
            run: block,
        },
        Target {
            name: "wire_message",
            limit: message,
            run: wire_message,
        },
        Target {
            name: "sync_request",
            limit: 64,
            run: sync_request,
        },
        Target {
            name: "sync_response",
            limit: message,
            run: sync_response,
        },
        Target {
            name: "gossip_batch",
            limit: message,
            run: gossip_batch,
        },
        Target {
            name: "equivocation",
            limit: catena_primitives::tx::MAX_TX_DECODE_BYTES,
            run: equivocation,
        },
        Target {
            name: "vote_log",
            limit: usize::MAX,
            run: vote_log,
        },
        Target {
            name: "contract_arguments",
            limit: catena_abi::MAX_VALUE_BYTES,
            run: contract_arguments,
        },
        Target {
            name: "network_frame",
            limit: 1 << 16,
            run: network_frame,
        },
    ]
}

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

fn transactions() -> Vec<Transaction> {
    let calls = vec![
        Call::Remark(b"a remark".to_vec()),
        Call::Remark(Vec::new()),
        Call::Approve(7),
        Call::UploadCode(vec![0, 97, 115, 109, 1, 0, 0, 0]),
        Call::Instantiate {
            code_hash: Hash([3; 32]),
            input: vec![1, 2, 3],
        },
        Call::CallContract {
            contract: Hash([4; 32]),
            method: "transfer".into(),
            input: (7u64, "91310000MA1FL0000X".to_string(), Some(500u64)).encode(),
        },
        Call::UpgradeContract {
            contract: Hash([4; 32]),
            code_hash: Hash([5; 32]),
        },
        Call::ReportEquivocation(Box::new(equivocation_seed())),
    ];
    calls
        .into_iter()
        .enumerate()
        .map(|(i, call)| Transaction::signed("catena-dev", i as u64, call, &key(1)))
        .collect()
}

fn vote(round: u32, value: Option<Hash>) -> WireVote {
    WireVote {
        kind: 1,
        height: 12,
        round,
        value,
        signer: key(2).account(),
        signature: key(2).sign(b"a vote"),
    }
}

fn equivocation_seed() -> Equivocation {
    Equivocation {
        first: vote(0, Some(Hash([8; 32]))),
        second: vote(0, Some(Hash([9; 32]))),
    }
}

fn block_seed(txs: Vec<Transaction>) -> (Block, CommitCertificate) {
    let header = Header {
        chain_id: "catena-dev".into(),
        height: 12,
        parent_hash: Hash([1; 32]),
        time_ms: 1_767_225_600_000,
        proposer: key(2).account(),
        tx_root: Hash([2; 32]),
        state_root: Hash([3; 32]),
        receipts_root: Hash([4; 32]),
        validator_set_hash: Hash([5; 32]),
    };
    let block = Block {
        header,
        transactions: txs,
    };
    let certificate = CommitCertificate {
        height: 12,
        round: 1,
        block_hash: block.hash(),
        signatures: (2..6)
            .map(|n| (key(n).account(), key(n).sign(b"precommit")))
            .collect(),
    };
    (block, certificate)
}

/// Valid encodings to start from, per target: what honest peers, users and disks hold.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let txs = transactions();
    let (block, certificate) = block_seed(txs.clone());
    let (empty, empty_certificate) = block_seed(Vec::new());
    match target {
        "transaction" => txs.iter().map(Encode::encode).collect(),
        "block" => vec![block.encode(), empty.encode()],
        "wire_message" => vec![
            WireMessage::Vote(vote(0, Some(Hash([8; 32])))).encode(),
            WireMessage::Vote(vote(3, None)).encode(),
            WireMessage::Proposal {
                proposal: WireProposal {
                    height: 12,
                    round: 1,
                    value: block.hash(),
                    pol_round: Some(0),
                    proposer: key(2).account(),
                },
                signature: Signature([6; 64]),
                block: block.encode(),
            }
            .encode(),
        ],
        "sync_request" => vec![
            PeerRequest::Blocks(SyncRequest {
                from_height: 1,
                max_blocks: 64,
            })
            .encode(),
            PeerRequest::Blocks(SyncRequest {
                from_height: u64::MAX,
                max_blocks: 0,
            })
            .encode(),
            PeerRequest::SnapshotOffer.encode(),
            PeerRequest::SnapshotChunk {
                height: 7,
                after: Some(Hash::digest(b"key")),
                max_entries: 4_096,
            }
            .encode(),
        ],
        "sync_response" => vec![
            SyncResponse {
                blocks: vec![(block, certificate), (empty, empty_certificate)],
            }
            .encode(),
            SyncResponse { blocks: Vec::new() }.encode(),
        ],
        "gossip_batch" => vec![txs.encode(), txs[..1].to_vec().encode()],
        "equivocation" => vec![equivocation_seed().encode()],
        "vote_log" => vote_log_seeds(),
        "contract_arguments" => {
            use catena_schema::voucher::{Split, Transfer};
            vec![
                [
                    &[0u8][..],
                    &Transfer {
                        voucher: 7,
                        to: "91310000MA1FL0000X".into(),
                        amount: Some(500),
                    }
                    .encode(),
                ]
                .concat(),
                [
                    &[1u8][..],
                    &Split {
                        voucher: 7,
                        amounts: vec![100, 200, 300],
                    }
                    .encode(),
                ]
                .concat(),
                [
                    &[2u8][..],
                    &catena_schema::cash::Mint {
                        to: "91310000MA1FL0000X".into(),
                        amount: 1_000,
                    }
                    .encode(),
                ]
                .concat(),
            ]
        }
        "network_frame" => vec![
            [&5u32.to_le_bytes()[..], b"hello"].concat(),
            0u32.to_le_bytes().to_vec(),
        ],
        other => panic!("no target {other}"),
    }
}

/// Vote logs as the node writes them: a few votes appended, read back as bytes.
fn vote_log_seeds() -> Vec<Vec<u8>> {
    use catena_primitives::VoteKind;
    use catena_storage::wal::{LoggedVote, VoteLog};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("votes.wal");
    let (mut log, _) = VoteLog::open(&path).expect("a new log");
    let mut seeds = vec![std::fs::read(&path).expect("read")];
    for (height, kind) in [
        (1, VoteKind::Prevote),
        (1, VoteKind::Precommit),
        (2, VoteKind::Prevote),
    ] {
        log.append(LoggedVote {
            kind,
            height,
            round: 0,
            value: Some(Hash([height as u8; 32])),
        })
        .expect("append");
        seeds.push(std::fs::read(&path).expect("read"));
    }
    seeds
}
