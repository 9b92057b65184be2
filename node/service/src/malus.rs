//! A Byzantine member peer for the fault tests (docs/reliability.md, checks 8 and 16): when
//! [`MALUS_FILE_VAR`] names a file, this node — otherwise the real node, following its chain
//! with its real network stack — also sends what a faulty or hostile member's node would, of
//! the kinds and at the rate the file says. The file is re-read every 200 ms; its lines:
//!
//! ```text
//! rate 1000          # messages a second, over all the kinds listed
//! replays            # gossiped batches of transactions already committed
//! old-votes          # real validators' precommits of heights already decided
//! sync-loop          # block requests from height 1, to every peer, without pause
//! proposals          # proposals for the next height signed by this node's own key
//! malformed          # bytes that decode as nothing, on both topics
//! oversized          # a gossip message and a sync request over the peers' size limits
//! bad-signatures     # votes in a validator's name with a signature that does not verify
//! ```
//!
//! An empty file (or none) sends nothing. The first three are not invalid in their own bytes
//! (a peer may replay in good faith) and must cost the honest nodes little; the others are
//! invalid, and the honest nodes ban the sender. This node's own network allows messages twice
//! the chain's limit, so that it can send oversized ones. Not meant for production use.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use catena_consensus::tendermint::wire::{proposal_signing_bytes, WireMessage, WireProposal};
use catena_network::{NetworkHandle, Topic};
use catena_primitives::evidence::{PRECOMMIT, PREVOTE};
use catena_primitives::{Block, CommitCertificate, Hash, Header, SecretKey, Signature, WireVote};
use parity_scale_codec::Encode;

use crate::chain::{ChainInstance, PeerRequest, SyncRequest};

/// Names the file that arms the Byzantine behaviours (see the module's documentation).
pub const MALUS_FILE_VAR: &str = "CATENA_TEST_MALUS_FILE";

/// Sync requests of this node waiting for an answer, at most.
const MAX_REQUESTS_IN_FLIGHT: usize = 256;
/// Transactions in one replayed batch, at most.
const MAX_REPLAYED: usize = 64;

/// One kind of misbehaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Replays,
    OldVotes,
    SyncLoop,
    Proposals,
    Malformed,
    Oversized,
    BadSignatures,
}

impl Kind {
    const ALL: [(&'static str, Kind); 7] = [
        ("replays", Kind::Replays),
        ("old-votes", Kind::OldVotes),
        ("sync-loop", Kind::SyncLoop),
        ("proposals", Kind::Proposals),
        ("malformed", Kind::Malformed),
        ("oversized", Kind::Oversized),
        ("bad-signatures", Kind::BadSignatures),
    ];
}

/// What the file asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub rate: u32,
    pub kinds: Vec<Kind>,
}

/// Reads the file's text; an unknown word is an error (the plan in force stays).
pub fn parse(text: &str) -> Result<Plan, String> {
    let mut plan = Plan::default();
    for line in text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            ["rate", rate] => {
                plan.rate = rate
                    .parse()
                    .map_err(|_| format!("rate '{rate}' is not a number"))?
            }
            [word] => match Kind::ALL.iter().find(|(name, _)| name == word) {
                Some((_, kind)) => plan.kinds.push(*kind),
                None => return Err(format!("unknown misbehaviour '{word}'")),
            },
            _ => return Err(format!("cannot read the line '{line}'")),
        }
    }
    Ok(plan)
}

/// A signed proposal of an empty block with made-up roots at `(height, round)` on `parent`, by
/// `key`'s validator whether or not it leads that round: what a Byzantine validator or member
/// sends out of turn.
pub fn proposal_out_of_turn(
    key: &SecretKey,
    chain_id: &str,
    (height, round): (u64, u32),
    parent: Hash,
    time_ms: u64,
) -> Vec<u8> {
    let block = Block {
        header: Header {
            chain_id: chain_id.to_string(),
            height,
            parent_hash: parent,
            time_ms,
            proposer: key.account(),
            tx_root: Hash::digest(b"no transactions"),
            state_root: Hash::digest(b"made up"),
            receipts_root: Hash::digest(b"no receipts"),
            validator_set_hash: Hash::digest(b"made up"),
        },
        transactions: Vec::new(),
    };
    let proposal = WireProposal {
        height,
        round,
        value: block.hash(),
        pol_round: None,
        proposer: key.account(),
    };
    let signature = key.sign(&proposal_signing_bytes(chain_id, &proposal));
    WireMessage::Proposal {
        proposal,
        signature,
        block: block.encode(),
    }
    .encode()
}

/// The misbehaving side of this node.
struct Malus {
    chain: Arc<ChainInstance>,
    network: NetworkHandle,
    chain_id: String,
    /// The chain's message limit (this node's own is twice it).
    limit: usize,
    key: SecretKey,
    in_flight: Arc<AtomicUsize>,
    /// A counter that varies what is sent (no randomness is needed, only variety).
    counter: u64,
    /// Recent committed blocks and their certificates, refreshed every second.
    recent: Vec<(Block, CommitCertificate)>,
}

/// Runs the behaviours the file at `path` asks for, on the chain's network, until the node
/// stops.
pub async fn run(
    path: std::path::PathBuf,
    chain: Arc<ChainInstance>,
    network: NetworkHandle,
    limit: usize,
) {
    tracing::warn!(target: "malus", file = %path.display(), "this node can be made to misbehave from this file (a fault test's switch; never set in production)");
    let mut malus = Malus {
        chain_id: chain.spec().chain_id.clone(),
        key: SecretKey::from_seed(Hash::digest(&network.local_peer_id.to_bytes()).0),
        chain,
        network,
        limit,
        in_flight: Arc::default(),
        counter: 0,
        recent: Vec::new(),
    };
    let mut plan = Plan::default();
    let mut text = String::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let (mut sent, mut refresh_at) = (0u64, 0u64);
    // Reports cover the time a plan was in force, by the clock.
    let mut window = std::time::Instant::now();
    for ticks in 0u64.. {
        tick.tick().await;
        if ticks % 10 == 0 {
            let now = std::fs::read_to_string(&path).unwrap_or_default();
            if now != text {
                match parse(&now) {
                    Ok(new) => {
                        tracing::warn!(target: "malus", rate = new.rate, kinds = ?new.kinds, "misbehaviour changed");
                        report(&mut sent, &mut window);
                        plan = new;
                    }
                    Err(e) => {
                        tracing::error!(target: "malus", error = %e, "misbehaviour not changed")
                    }
                }
                text = now;
            }
        }
        if ticks >= refresh_at {
            malus.refresh();
            refresh_at = ticks + 50;
        }
        if plan.kinds.is_empty() || plan.rate == 0 {
            window = std::time::Instant::now();
            continue;
        }
        // Messages due by this tick (of 20 ms), spread over the kinds in turn.
        let due = (u64::from(plan.rate) * (ticks + 1)) / 50 - (u64::from(plan.rate) * ticks) / 50;
        for _ in 0..due {
            let kind = plan.kinds[(malus.counter % plan.kinds.len() as u64) as usize];
            malus.counter += 1;
            if malus.send(kind).await {
                sent += 1;
            }
        }
        if window.elapsed() >= Duration::from_secs(5) {
            report(&mut sent, &mut window);
        }
    }
}

/// Logs the messages sent since `window` began, and begins a new window.
fn report(sent: &mut u64, window: &mut std::time::Instant) {
    if *sent > 0 {
        let millis = window.elapsed().as_millis();
        tracing::warn!(target: "malus", sent = *sent, millis, "misbehaving: messages sent");
    }
    *sent = 0;
    *window = std::time::Instant::now();
}

impl Malus {
    fn refresh(&mut self) {
        let Ok(tip) = self.chain.tip() else { return };
        let request = SyncRequest {
            from_height: tip.height.saturating_sub(8).max(1),
            max_blocks: 8,
        };
        if let Ok(response) = self.chain.serve_sync(&request, self.limit / 2) {
            self.recent = response.blocks;
        }
    }

    fn tip(&self) -> u64 {
        self.chain.tip().map(|t| t.height).unwrap_or(0)
    }

    /// Sends one message of `kind`; `false` when there was nothing to send it with.
    async fn send(&mut self, kind: Kind) -> bool {
        let pick = self.counter as usize;
        let message = match kind {
            Kind::Replays => {
                let Some((block, _)) = self
                    .recent
                    .iter()
                    .rev()
                    .find(|(b, _)| !b.transactions.is_empty())
                else {
                    return false;
                };
                let txs: Vec<_> = block.transactions.iter().take(MAX_REPLAYED).collect();
                (Topic::Transactions, txs.encode())
            }
            Kind::OldVotes => {
                let tip = self.tip();
                let old: Vec<&CommitCertificate> = self
                    .recent
                    .iter()
                    .map(|(_, c)| c)
                    .filter(|c| c.height < tip && !c.signatures.is_empty())
                    .collect();
                let Some(certificate) = old.get(pick % old.len().max(1)) else {
                    return false;
                };
                let (signer, signature) =
                    certificate.signatures[pick % certificate.signatures.len()];
                let vote = WireVote {
                    kind: PRECOMMIT,
                    height: certificate.height,
                    round: certificate.round,
                    value: Some(certificate.block_hash),
                    signer,
                    signature,
                };
                (Topic::Consensus, WireMessage::Vote(vote).encode())
            }
            Kind::SyncLoop => {
                let request = PeerRequest::Blocks(SyncRequest {
                    from_height: 1,
                    max_blocks: 64,
                });
                return self.request(request.encode()).await;
            }
            Kind::Proposals => (Topic::Consensus, self.proposal_out_of_turn(pick)),
            Kind::Malformed => {
                let mut bytes = self.noise(16 + pick % 2_048);
                // An enum index no message has; a length prefix claiming a gigabyte.
                bytes[0] = 0xff;
                if pick % 2 == 0 {
                    (Topic::Consensus, bytes)
                } else {
                    bytes[..4].copy_from_slice(&[0xff, 0xff, 0xff, 0x3f]);
                    (Topic::Transactions, bytes)
                }
            }
            Kind::Oversized => {
                if pick % 2 == 0 {
                    (Topic::Consensus, vec![0; self.limit + 1_024])
                } else {
                    return self.request(vec![0; self.limit + 1_024]).await;
                }
            }
            Kind::BadSignatures => {
                let validators = self.chain.validators();
                let Some(signer) = validators.validators.get(pick % validators.len().max(1)) else {
                    return false;
                };
                let mut signature = [0u8; 64];
                signature.copy_from_slice(&self.noise(64));
                let vote = WireVote {
                    kind: PREVOTE,
                    height: self.tip() + 1,
                    round: 0,
                    value: Some(Hash::digest(&pick.to_le_bytes())),
                    signer: *signer,
                    signature: Signature(signature),
                };
                (Topic::Consensus, WireMessage::Vote(vote).encode())
            }
        };
        self.network.publish(message.0, message.1).await.is_ok()
    }

    /// A proposal for the next height, signed by this node's key: it leads no round.
    fn proposal_out_of_turn(&self, pick: usize) -> Vec<u8> {
        let parent = self
            .recent
            .last()
            .map_or(Hash::digest(b"none"), |(b, _)| b.hash());
        let at = (self.tip() + 1, (pick % 4) as u32);
        proposal_out_of_turn(&self.key, &self.chain_id, at, parent, crate::now_ms())
    }

    /// Bytes that vary with the counter (xorshift).
    fn noise(&self, len: usize) -> Vec<u8> {
        let mut state = self.counter.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    /// Sends `data` as a sync request to the next connected peer without waiting for the
    /// answer (at most [`MAX_REQUESTS_IN_FLIGHT`] wait); `false` if none could be sent.
    async fn request(&self, data: Vec<u8>) -> bool {
        let Ok(peers) = self.network.connected_peers().await else {
            return false;
        };
        if peers.is_empty() || self.in_flight.load(Ordering::Relaxed) >= MAX_REQUESTS_IN_FLIGHT {
            return false;
        }
        let peer = peers[self.counter as usize % peers.len()];
        let (network, in_flight) = (self.network.clone(), Arc::clone(&self.in_flight));
        in_flight.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let _ = network.request(peer, data).await;
            in_flight.fetch_sub(1, Ordering::Relaxed);
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_names_a_rate_and_kinds_and_unknown_words_are_refused() {
        let plan = parse("rate 1000\nreplays # comment\n\nold-votes\nsync-loop\n").expect("plan");
        assert_eq!(plan.rate, 1_000);
        assert_eq!(
            plan.kinds,
            vec![Kind::Replays, Kind::OldVotes, Kind::SyncLoop]
        );
        assert_eq!(parse("").expect("empty"), Plan::default());
        assert!(parse("rate fast").is_err());
        assert!(parse("explode").is_err());
        assert!(parse("rate 1 2").is_err());
    }
}
