//! The consensus driver, one effect loop for every validator: the Tendermint engine, with every
//! own vote written to the vote log before it is signed, blocks built and committed here. A
//! validator of a multi-validator chain runs it with its peers ([`peers`]: the libp2p network,
//! gossip, block sync); the single validator of a dev chain runs the same loop without peers,
//! deciding each height alone (a quorum of one). Blocks from peers are validated (re-executed,
//! roots compared) before the engine hears of them; nodes that fall behind fetch certified
//! blocks from their peers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use catena_consensus::tendermint::wire::{self, WireMessage, WireProposal};
use catena_consensus::tendermint::{
    Input, Output, Tendermint, Timeouts, VoteKind, MAX_ROUNDS_AHEAD,
};
use catena_mempool::AdmitError;
use catena_network::{Event, MessageId, NetworkHandle, Peer as PeerId, Topic, Verdict};
use catena_primitives::{Block, Call, SecretKey, Transaction};
use catena_storage::wal::{LoggedVote, VoteLog};
use parity_scale_codec::Encode;
use tokio::sync::{mpsc, oneshot};

use crate::chain::{ChainError, ChainInstance, SyncRequest, SyncResponse};
use crate::metrics::{PeerLabel, ProposerLabel};
use crate::now_ms;

mod cache;
pub mod peers;
use cache::ProposalCache;
pub use cache::MAX_EXECUTED_PER_ROUND;
pub use peers::{decode_gossip_batch, MAX_GOSSIP_TXS};
use peers::{REBROADCAST_EVERY, SYNC_EVERY};

/// How far a proposal's time may be ahead of this node's clock (consortium nodes keep their
/// clocks in sync by NTP; this allows for drift and delay, not for a skewed proposer).
pub const MAX_PROPOSAL_AHEAD_MS: u64 = 10_000;

/// A validator's peers: the network and what arrives from it.
#[derive(Debug)]
pub struct Peers {
    pub network: NetworkHandle,
    pub events: mpsc::Receiver<Event>,
    /// Transactions admitted through this node's API, to gossip.
    pub local_transactions: mpsc::UnboundedReceiver<Transaction>,
}

/// What the driver needs.
#[derive(Debug)]
pub struct DriverParts {
    pub chain: Arc<ChainInstance>,
    pub key: SecretKey,
    pub votes: VoteLog,
    /// `None` for the single validator of a chain, which decides alone.
    pub peers: Option<Peers>,
    pub max_message_bytes: usize,
    /// Written when this node finds it cannot reproduce a certified block; while it exists the
    /// node does not vote, across restarts too.
    pub halt_marker: std::path::PathBuf,
}

struct Driver {
    chain: Arc<ChainInstance>,
    key: SecretKey,
    votes: VoteLog,
    /// `None` when this validator decides alone.
    network: Option<NetworkHandle>,
    /// The peers last given to the network ([`peers::allowed_peers`]).
    allowed: Vec<(PeerId, Option<catena_network::Address>)>,
    engine: Tendermint,
    chain_id: String,
    /// Blocks built or validated at the current height, by hash.
    proposals: ProposalCache,
    timers: Vec<(Instant, Input)>,
    max_message_bytes: usize,
    sync_results: mpsc::UnboundedSender<(PeerId, Vec<u8>)>,
    next_sync_peer: usize,
    /// This validator's messages of the current height: (height, encoded message).
    own_messages: Vec<(u64, Vec<u8>)>,
    /// Set when the node cannot reproduce a certified block: it no longer votes or proposes.
    halted: bool,
    /// When the current height began (its `NewHeight`), for pacing.
    height_started: Instant,
    halt_marker: std::path::PathBuf,
}

/// Runs until `shutdown` fires; returns an error if the chain cannot go on (storage failure,
/// or a vote that would contradict the vote log).
pub async fn run(
    parts: DriverParts,
    mut shutdown: oneshot::Receiver<()>,
) -> Result<(), ChainError> {
    let DriverParts {
        chain,
        key,
        votes,
        peers,
        max_message_bytes,
        halt_marker,
    } = parts;
    let (network, mut events, mut local_transactions) = match peers {
        Some(p) => (Some(p.network), Some(p.events), Some(p.local_transactions)),
        None => (None, None, None),
    };
    let spec = chain.spec();
    let block_time = spec.parameters.block_time_ms;
    let timeouts = Timeouts {
        propose_base_ms: 3 * block_time,
        propose_delta_ms: block_time,
        vote_base_ms: block_time,
        vote_delta_ms: block_time / 2,
    };
    let engine = Tendermint::new(
        spec.chain_id.clone(),
        (*chain.validators()).clone(),
        key.account(),
        timeouts,
    );
    let (sync_results, mut sync_rx) = mpsc::unbounded_channel();
    let mut driver = Driver {
        chain_id: spec.chain_id.clone(),
        chain,
        key,
        votes,
        network,
        allowed: Vec::new(),
        engine,
        proposals: ProposalCache::default(),
        timers: Vec::new(),
        max_message_bytes,
        sync_results,
        next_sync_peer: 0,
        own_messages: Vec::new(),
        halted: false,
        height_started: Instant::now(),
        halt_marker,
    };
    if let Ok(reason) = std::fs::read_to_string(&driver.halt_marker) {
        tracing::error!(target: "consensus", marker = %driver.halt_marker.display(), reason = %reason.trim(), "this node stopped voting earlier because it could not reproduce a certified block; it follows without voting until its operator restores its data and removes the marker");
        driver.halted = true;
        driver.chain.metrics().halted.set(1);
    }
    let height = driver.chain.tip()?.height + 1;
    let start = resume_input(&driver.votes, height);
    if let Input::Resume { round, locked, .. } = &start {
        tracing::info!(target: "consensus", height, round, ?locked, "resuming above the rounds in the vote log");
    }
    driver.feed(start).await?;
    let mut sync_tick = tokio::time::interval(SYNC_EVERY);
    let mut rebroadcast_tick = tokio::time::interval(REBROADCAST_EVERY);
    loop {
        let next_timer = driver.timers.iter().map(|(at, _)| *at).min();
        let sleep = tokio::time::sleep_until(next_timer.map_or_else(
            || tokio::time::Instant::now() + Duration::from_secs(3600),
            tokio::time::Instant::from_std,
        ));
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            () = sleep => {
                let now = Instant::now();
                let (due, later): (Vec<_>, Vec<_>) = driver.timers.drain(..).partition(|(at, _)| *at <= now);
                driver.timers = later;
                for (_, input) in due {
                    driver.feed(input).await?;
                }
            }
            event = next(&mut events) => match event {
                Some(event) => driver.on_network(event).await?,
                None => return Ok(()),
            },
            Some(tx) = next_unbounded(&mut local_transactions) => {
                driver.gossip_transactions(tx, local_transactions.as_mut()).await;
            }
            Some((peer, bytes)) = sync_rx.recv() => driver.on_synced(peer, &bytes).await?,
            _ = sync_tick.tick(), if driver.network.is_some() => driver.request_sync().await,
            _ = rebroadcast_tick.tick(), if driver.network.is_some() => driver.rebroadcast().await,
        }
    }
}

/// The next event of a validator's peers; never, for one that decides alone.
async fn next(events: &mut Option<mpsc::Receiver<Event>>) -> Option<Event> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_unbounded<T>(receiver: &mut Option<mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match receiver {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// How to start deciding `height`: where the vote log already holds votes of this height
/// (a restart), resume in the round after the last of them, locked on the latest precommit for
/// a block; otherwise start at round 0.
fn resume_input(votes: &VoteLog, height: u64) -> Input {
    let logged: Vec<&LoggedVote> = votes
        .votes()
        .iter()
        .filter(|v| v.height == height)
        .collect();
    let Some(last_round) = logged.iter().map(|v| v.round).max() else {
        return Input::NewHeight { height };
    };
    let locked = logged
        .iter()
        .filter(|v| v.kind == VoteKind::Precommit)
        .filter_map(|v| v.value.map(|value| (value, v.round)))
        .max_by_key(|(_, round)| *round);
    Input::Resume {
        height,
        round: last_round + 1,
        locked,
    }
}

impl Driver {
    /// Feeds one input and performs every effect that follows.
    async fn feed(&mut self, input: Input) -> Result<(), ChainError> {
        if let Input::NewHeight { .. } = input {
            self.height_started = Instant::now();
            self.follow_validator_set().await;
        }
        let mut queue = std::collections::VecDeque::from(self.engine.process(input));
        while let Some(output) = queue.pop_front() {
            if self.halted
                && matches!(
                    output,
                    Output::BuildProposal { .. } | Output::Propose(_) | Output::Vote(_)
                )
            {
                continue;
            }
            match output {
                Output::BuildProposal { height, round } => {
                    let built = tokio::task::block_in_place(|| {
                        self.chain
                            .build_proposal(height, now_ms(), self.key.account())
                    })?;
                    let value = self.proposals.insert_own(built);
                    queue.extend(self.engine.process(Input::ProposalBuilt {
                        height,
                        round,
                        value,
                    }));
                }
                Output::Propose(proposal) => {
                    let Some(block) = self
                        .proposals
                        .get(&proposal.value)
                        .map(|p| p.block.encode())
                    else {
                        continue;
                    };
                    let wire_proposal = WireProposal::from_proposal(&proposal);
                    let signature = self.key.sign(&wire::proposal_signing_bytes(
                        &self.chain_id,
                        &wire_proposal,
                    ));
                    let message = WireMessage::Proposal {
                        proposal: wire_proposal,
                        signature,
                        block,
                    };
                    self.publish_own(proposal.height, message.encode()).await;
                }
                Output::Vote(vote) => {
                    let logged = LoggedVote {
                        kind: vote.kind,
                        height: vote.height,
                        round: vote.round,
                        value: vote.value,
                    };
                    if self.votes.conflict(&logged).is_some() {
                        tracing::error!(target: "consensus::vote", height = vote.height, round = vote.round, "not signing: the vote log holds a different vote for this round");
                        continue;
                    }
                    if !self.votes.votes().contains(&logged) {
                        tokio::task::block_in_place(|| self.votes.append(logged))?;
                    }
                    let signed = wire::sign_vote(&self.chain_id, vote, &self.key);
                    let message = WireMessage::Vote(wire::to_wire(&signed));
                    self.publish_own(vote.height, message.encode()).await;
                    queue.extend(self.engine.process(Input::Vote(signed)));
                }
                Output::ScheduleTimeout { timeout, after_ms } => {
                    self.timers.push((
                        Instant::now() + Duration::from_millis(after_ms),
                        Input::Timeout(timeout),
                    ));
                }
                Output::Decide { value, certificate } => {
                    let height = certificate.height;
                    match self.proposals.remove(&value) {
                        Some(proposal) => {
                            let tip = tokio::task::block_in_place(|| {
                                self.chain.commit(proposal, &certificate)
                            })?;
                            if tip.height % 100 == 0 {
                                tokio::task::block_in_place(|| {
                                    self.votes.prune_below(tip.height + 1)
                                })?;
                            }
                            self.proposals.clear();
                            self.follow_validator_set().await;
                            // Deciding alone is only right while this node is the whole set.
                            let validators = self.chain.validators();
                            if self.network.is_none()
                                && (validators.len() != 1
                                    || !validators.contains(&self.key.account()))
                            {
                                return Err(ChainError::SoloSetChanged {
                                    validators: validators.len(),
                                });
                            }
                            // Pace blocks: the next height starts one block time after this
                            // one started (at once if deciding it took longer).
                            let pause =
                                Duration::from_millis(self.chain.spec().parameters.block_time_ms)
                                    .saturating_sub(self.height_started.elapsed());
                            self.timers.push((
                                Instant::now() + pause,
                                Input::NewHeight { height: height + 1 },
                            ));
                        }
                        None => {
                            tracing::warn!(target: "consensus", height, %value, "decided a block this node does not have; it will sync it")
                        }
                    }
                }
                Output::Equivocation { first, second } => {
                    self.chain.metrics().equivocations.inc();
                    tracing::warn!(target: "consensus::evidence", signer = %first.signer, height = first.vote.height, round = first.vote.round, "equivocation: reporting it on chain");
                    let evidence = wire::to_evidence(&first, &second);
                    if let Err(e) = self
                        .chain
                        .submit_signed(&self.key, Call::ReportEquivocation(Box::new(evidence)))
                    {
                        tracing::warn!(target: "consensus::evidence", error = %e, "could not submit the equivocation report");
                    }
                }
            }
        }
        self.chain
            .metrics()
            .round
            .set(i64::from(self.engine.round()));
        Ok(())
    }

    /// Hands the engine the set that certifies the next height (the one in the state at the
    /// tip), right after a commit, so that messages of the next height that arrive during the
    /// pause are judged by the right set; and the network the peers the state allows.
    async fn follow_validator_set(&mut self) {
        let validators = self.chain.validators();
        if *validators != *self.engine.validators() {
            self.engine.set_validators((*validators).clone());
        }
        // Registered nodes change without the set changing: the peers are read every height.
        self.update_peers().await;
    }
}
