//! The consensus driver, one effect loop for every node: the Tendermint engine, with every own
//! vote written to the vote log before it is signed, blocks built and committed here. A
//! validator of a multi-validator chain runs it with its peers ([`peers`]: the libp2p network,
//! gossip, block sync); the single validator of a dev chain runs the same loop without peers,
//! deciding each height alone (a quorum of one); a follower (a member's node without a validator
//! key) runs it with its peers and no key: it judges proposals and votes like a validator and
//! commits what a quorum certifies, but never proposes, votes or signs. Blocks from peers are
//! validated (re-executed, roots compared) before the engine hears of them; nodes that fall
//! behind fetch certified blocks from their peers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use catena_consensus::tendermint::wire::{self, WireMessage, WireProposal};
use catena_consensus::tendermint::{
    ConsensusVote, Input, Output, Tendermint, Timeouts, VoteKind, MAX_ROUNDS_AHEAD,
};
use catena_mempool::AdmitError;
use catena_network::{Event, MessageId, NetworkHandle, Peer as PeerId, Topic, Verdict};
use catena_primitives::{Block, Call, Hash, SecretKey, Transaction};
use catena_storage::crash_points::{self, crash_point};
use catena_storage::mark::{Position, SigningMark};
use catena_storage::wal::{LoggedProposal, LoggedVote, ProposalLog, VoteLog};
use parity_scale_codec::Encode;
use tokio::sync::{mpsc, oneshot};

use crate::chain::{ChainError, ChainInstance, PeerRequest, SyncRequest, SyncResponse};
use crate::now_ms;

mod cache;
mod gate;
pub mod peers;
mod state_sync;
use cache::ProposalCache;
pub use cache::MAX_EXECUTED_PER_ROUND;
pub use peers::{decode_gossip_batch, MAX_GOSSIP_TXS};
use peers::{REBROADCAST_EVERY, SYNC_EVERY};
pub use state_sync::CHUNK_ENTRIES_VAR;

/// How far a proposal's time may be ahead of this node's clock (consortium nodes keep their
/// clocks in sync by NTP; this allows for drift and delay, not for a skewed proposer).
pub const MAX_PROPOSAL_AHEAD_MS: u64 = 10_000;

/// A node's peers: the network and what arrives from it. (The transactions admitted through
/// this node's API are gossiped by their own task, [`crate::forward`].)
#[derive(Debug)]
pub struct Peers {
    pub network: NetworkHandle,
    pub events: catena_network::Events,
}

/// What a validator signs with: its key, and the log of every vote it signed.
#[derive(Debug)]
pub struct Signing {
    pub key: SecretKey,
    pub votes: VoteLog,
    pub proposals: ProposalLog,
    /// The highest height and round this validator ever signed at, kept apart from the data.
    pub mark: SigningMark,
    /// At or below this, the logs cannot vouch for what was signed (they are older than the
    /// mark): nothing new is signed there (ADR 0034).
    pub floor: Option<Position>,
}

impl Signing {
    /// Whether this validator may sign something new at `at`; if so the mark is raised to it
    /// (synced) first. Refusals are logged with what to do.
    fn clear_to_sign(&mut self, at: Position, what: &str) -> Result<bool, ChainError> {
        if let Some(floor) = self.floor {
            if at <= floor {
                tracing::error!(target: "consensus::vote", height = at.0, round = at.1, what, mark = %self.mark.path().display(), "not signing: this validator may already have signed at this height and round (its signing mark is at height {} round {}, above what its vote log holds: the log was restored from an older copy or lost); it signs again above the mark", floor.0, floor.1);
                return Ok(false);
            }
            self.floor = None;
            tracing::info!(target: "consensus::vote", height = at.0, round = at.1, "past the signing mark: signing again");
        }
        tokio::task::block_in_place(|| self.mark.raise(at))?;
        Ok(true)
    }
}

/// What the driver needs.
#[derive(Debug)]
pub struct DriverParts {
    pub chain: Arc<ChainInstance>,
    /// `None` for a follower.
    pub signing: Option<Signing>,
    /// `None` for the single validator of a chain, which decides alone.
    pub peers: Option<Peers>,
    pub max_message_bytes: usize,
    /// Written when this node finds it cannot reproduce a certified block; while it exists the
    /// node does not vote, across restarts too.
    pub halt_marker: std::path::PathBuf,
    /// Whether a node that holds only its genesis takes a certified state from its peers
    /// ([`state_sync`]) rather than replaying every block.
    pub state_sync: bool,
}

struct Driver {
    chain: Arc<ChainInstance>,
    /// `None` for a follower.
    signing: Option<Signing>,
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
    /// Gossiped transaction batches waiting for admission, bounded ([`gate::TRANSACTIONS`]).
    admission: gate::Gate,
    /// Sync requests being served, bounded ([`gate::SYNC`]).
    serving: gate::Gate,
    /// Messages the network had dropped when last counted.
    network_dropped: u64,
}

/// Runs until `shutdown` fires; returns an error if the chain cannot go on (storage failure,
/// or a vote that would contradict the vote log).
pub async fn run(
    parts: DriverParts,
    mut shutdown: oneshot::Receiver<()>,
) -> Result<(), ChainError> {
    let DriverParts {
        chain,
        signing,
        peers,
        max_message_bytes,
        halt_marker,
        state_sync,
    } = parts;
    let (network, mut events) = match peers {
        Some(p) => (Some(p.network), Some(p.events)),
        None => (None, None),
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
        signing.as_ref().map(|s| s.key.account()),
        timeouts,
    );
    let (sync_results, mut sync_rx) = mpsc::unbounded_channel();
    let mut driver = Driver {
        chain_id: spec.chain_id.clone(),
        chain,
        signing,
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
        admission: gate::Gate::new(gate::TRANSACTIONS),
        serving: gate::Gate::new(gate::SYNC),
        network_dropped: 0,
    };
    if let Ok(reason) = std::fs::read_to_string(&driver.halt_marker) {
        tracing::error!(target: "consensus", marker = %driver.halt_marker.display(), reason = %reason.trim(), "this node stopped voting earlier because it could not reproduce a certified block; it follows without voting until its operator restores its data and removes the marker");
        driver.halted = true;
        driver.chain.metrics().halted.set(1);
    }
    if state_sync {
        driver.state_sync().await?;
    }
    let height = driver.chain.tip()?.height + 1;
    driver.reload_own_proposals(height)?;
    let start = match &driver.signing {
        Some(signing) => resume_input(&signing.votes, height),
        None => Input::NewHeight { height },
    };
    if let Input::Resume { round, locked, .. } = &start {
        tracing::info!(target: "consensus", height, round, ?locked, "resuming in the last round of the vote log");
    }
    driver.feed(start).await?;
    driver.replay_own_votes(height).await?;
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
            Some((peer, bytes)) = sync_rx.recv() => driver.on_synced(peer, &bytes).await?,
            _ = sync_tick.tick(), if driver.network.is_some() => driver.request_sync().await,
            _ = rebroadcast_tick.tick(), if driver.network.is_some() => {
                driver.count_network_shed();
                driver.rebroadcast().await;
            }
        }
    }
}

/// The next event of a validator's peers; never, for one that decides alone.
async fn next(events: &mut Option<catena_network::Events>) -> Option<Event> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

/// How to start deciding `height`: where the vote log already holds votes of this height
/// (a restart), resume in the round of the last of them, locked on the latest precommit for a
/// block; otherwise start at round 0. The votes themselves are handed to the engine and sent to
/// the peers again ([`Driver::replay_own_votes`]): the validators still in that round count them
/// (resuming a round higher would leave them waiting for votes this validator never sends), and
/// the vote log refuses any vote that contradicts them.
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
        round: last_round,
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
            // A halted validator, or a follower, signs nothing.
            if (self.halted || self.signing.is_none())
                && matches!(
                    output,
                    Output::BuildProposal { .. } | Output::Propose(_) | Output::Vote(_)
                )
            {
                continue;
            }
            match output {
                Output::BuildProposal { height, round } => {
                    let Some(signing) = &self.signing else {
                        continue;
                    };
                    // A round this validator already proposed in (before a restart) gets the
                    // same block again: never two different proposals for one round. If that
                    // block can no longer be proposed, this validator proposes nothing in the
                    // round (the others time out and move on).
                    let logged = signing.proposals.get(height, round).map(|p| p.value);
                    let value = match logged {
                        Some(value) if self.proposals.contains(&value) => value,
                        Some(value) => {
                            tracing::warn!(target: "consensus", height, round, %value, "not proposing in this round: this validator proposed a block in it before it restarted and can no longer use that block");
                            continue;
                        }
                        None => match self.build_and_log_proposal(height, round)? {
                            Some(value) => value,
                            None => continue,
                        },
                    };
                    queue.extend(self.engine.process(Input::ProposalBuilt {
                        height,
                        round,
                        value,
                    }));
                }
                Output::Propose(proposal) => {
                    let (Some(signing), Some(block)) = (
                        &self.signing,
                        self.proposals
                            .get(&proposal.value)
                            .map(|p| p.block.encode()),
                    ) else {
                        continue;
                    };
                    let wire_proposal = WireProposal::from_proposal(&proposal);
                    let signature = signing.key.sign(&wire::proposal_signing_bytes(
                        &self.chain_id,
                        &wire_proposal,
                    ));
                    let message = WireMessage::Proposal {
                        proposal: wire_proposal,
                        signature,
                        block,
                    };
                    self.publish_own(proposal.height, message.encode()).await;
                    crash_point(crash_points::PROPOSAL_PUBLISHED);
                }
                Output::Vote(vote) => {
                    let Some(signing) = &mut self.signing else {
                        continue;
                    };
                    let logged = LoggedVote {
                        kind: vote.kind,
                        height: vote.height,
                        round: vote.round,
                        value: vote.value,
                    };
                    if signing.votes.conflict(&logged).is_some() {
                        tracing::error!(target: "consensus::vote", height = vote.height, round = vote.round, "not signing: the vote log holds a different vote for this round");
                        continue;
                    }
                    if !signing.votes.votes().contains(&logged) {
                        if !signing.clear_to_sign((vote.height, vote.round), "vote")? {
                            continue;
                        }
                        tokio::task::block_in_place(|| signing.votes.append(logged))?;
                        crash_point(crash_points::VOTE_LOGGED);
                    }
                    let signed = wire::sign_vote(&self.chain_id, vote, &signing.key);
                    crash_point(crash_points::VOTE_SIGNED);
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
                            let carried = proposal.block.transactions.len();
                            let tip = tokio::task::block_in_place(|| {
                                self.chain.commit(proposal, &certificate)
                            })?;
                            if let Some(signing) = &mut self.signing {
                                tokio::task::block_in_place(|| {
                                    signing.proposals.prune_below(tip.height + 1)
                                })?;
                                if tip.height % 100 == 0 {
                                    tokio::task::block_in_place(|| {
                                        signing.votes.prune_below(tip.height + 1)
                                    })?;
                                }
                            }
                            self.proposals.clear();
                            self.follow_validator_set().await;
                            // Deciding alone is only right while this node is the whole set.
                            let validators = self.chain.validators();
                            let me = self.signing.as_ref().map(|s| s.key.account());
                            if self.network.is_none()
                                && (validators.len() != 1
                                    || !me.is_some_and(|me| validators.contains(&me)))
                            {
                                return Err(ChainError::SoloSetChanged {
                                    validators: validators.len(),
                                });
                            }
                            // Pace blocks: the next height starts one block time after this
                            // one started (at once if deciding it took longer), or at once
                            // while transactions keep coming: this block carried some and more
                            // wait. A pool of transactions that cannot run (a nonce gap) does
                            // not make empty blocks back to back.
                            let busy = carried > 0 && !self.chain.mempool().is_empty();
                            let pause = if busy {
                                Duration::ZERO
                            } else {
                                Duration::from_millis(self.chain.spec().parameters.block_time_ms)
                                    .saturating_sub(self.height_started.elapsed())
                            };
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
                    // A follower has no key to sign the report with; the validators report it.
                    let Some(signing) = &self.signing else {
                        tracing::warn!(target: "consensus::evidence", signer = %first.signer, height = first.vote.height, round = first.vote.round, "equivocation seen (a validator reports it on chain)");
                        continue;
                    };
                    tracing::warn!(target: "consensus::evidence", signer = %first.signer, height = first.vote.height, round = first.vote.round, "equivocation: reporting it on chain");
                    let evidence = wire::to_evidence(&first, &second);
                    if let Err(e) = self
                        .chain
                        .submit_signed(&signing.key, Call::ReportEquivocation(Box::new(evidence)))
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

    /// Builds this validator's block for `height` and `round` and logs it (synced) before the
    /// engine may publish it (none for a follower).
    fn build_and_log_proposal(
        &mut self,
        height: u64,
        round: u32,
    ) -> Result<Option<Hash>, ChainError> {
        let Some(signing) = &mut self.signing else {
            return Ok(None);
        };
        if !signing.clear_to_sign((height, round), "proposal")? {
            return Ok(None);
        }
        let proposer = signing.key.account();
        let chain = &self.chain;
        tokio::task::block_in_place(|| {
            let built = chain.build_proposal(height, now_ms(), proposer)?;
            let value = built.block.hash();
            signing.proposals.append(LoggedProposal {
                height,
                round,
                value,
                block: built.block.encode(),
            })?;
            crash_point(crash_points::PROPOSAL_LOGGED);
            Ok::<_, ChainError>(built)
        })
        .map(|built| Some(self.proposals.insert_own(built)))
    }

    /// After a restart, hands the engine (and the peers) again the votes this validator signed
    /// at `height` before it stopped, so that a round resumed above them can rest on them: a
    /// block re-proposed with its earlier polka needs that polka's prevotes. Signatures are
    /// deterministic, so each is the same vote, never a second one.
    async fn replay_own_votes(&mut self, height: u64) -> Result<(), ChainError> {
        let Some(signing) = &self.signing else {
            return Ok(());
        };
        let signed: Vec<_> = signing
            .votes
            .votes()
            .iter()
            .filter(|v| v.height == height)
            .map(|v| {
                let vote = ConsensusVote {
                    kind: v.kind,
                    height: v.height,
                    round: v.round,
                    value: v.value,
                };
                wire::sign_vote(&self.chain_id, vote, &signing.key)
            })
            .collect();
        for vote in signed {
            let message = WireMessage::Vote(wire::to_wire(&vote));
            self.publish_own(height, message.encode()).await;
            self.feed(Input::Vote(vote)).await?;
        }
        Ok(())
    }

    /// After a restart, executes again the blocks this validator proposed at `height` (they are
    /// in its proposal log), so that it can propose the same block in a round it proposed in
    /// before, and re-propose the block it locked on.
    fn reload_own_proposals(&mut self, height: u64) -> Result<(), ChainError> {
        let Some(signing) = &self.signing else {
            return Ok(());
        };
        let logged: Vec<LoggedProposal> = signing
            .proposals
            .proposals()
            .iter()
            .filter(|p| p.height == height)
            .cloned()
            .collect();
        for proposal in logged {
            let block = match Block::decode_untrusted(&proposal.block, self.max_message_bytes) {
                Ok(block) if block.hash() == proposal.value => block,
                _ => {
                    tracing::warn!(target: "consensus", height, round = proposal.round, "a logged proposal does not decode to its hash; not reused");
                    continue;
                }
            };
            match tokio::task::block_in_place(|| self.chain.validate_proposal(block)) {
                Ok(prepared) => {
                    self.proposals.insert_own(prepared);
                    tracing::info!(target: "consensus", height, round = proposal.round, value = %proposal.value, "reloaded this validator's logged proposal");
                }
                Err(crate::chain::ValidateError::Invalid(reason)) => {
                    tracing::warn!(target: "consensus", height, round = proposal.round, %reason, "a logged proposal no longer executes; not reused");
                }
                Err(crate::chain::ValidateError::Chain(e)) => return Err(e),
            }
        }
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
