//! The multi-validator driver: the Tendermint engine, fed by the libp2p network, with every
//! own vote written to the vote log before it is signed and sent. Blocks from peers are
//! validated (re-executed, roots compared) before the engine hears of them; nodes that fall
//! behind fetch certified blocks from their peers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catena_consensus::tendermint::wire::{self, WireMessage, WireProposal};
use catena_consensus::tendermint::{Input, Output, Tendermint, Timeouts, VoteKind};
use catena_mempool::AdmitError;
use catena_network::{Event, MessageId, NetworkHandle, Peer as PeerId, Topic};
use catena_primitives::{Block, Call, Hash, SecretKey, Transaction};
use catena_storage::wal::{LoggedVote, VoteLog};
use parity_scale_codec::Encode;
use tokio::sync::{mpsc, oneshot};

use crate::chain::{ChainError, ChainInstance, PreparedBlock, SyncRequest, SyncResponse};
use crate::metrics::PeerLabel;
use crate::now_ms;

/// How far a proposal's time may be ahead of this node's clock (consortium nodes keep their
/// clocks in sync by NTP; this allows for drift and delay, not for a skewed proposer).
pub const MAX_PROPOSAL_AHEAD_MS: u64 = 10_000;

/// How often a node asks a peer for blocks it may be missing.
const SYNC_EVERY: Duration = Duration::from_millis(1_000);
/// How often a validator re-sends its own proposal and votes of the current height, so that
/// a peer that missed them (reconnecting, restarted) still gets them: gossipsub itself does not
/// retransmit.
const REBROADCAST_EVERY: Duration = Duration::from_millis(2_000);
/// Transactions gossiped in one message, at most.
pub const MAX_GOSSIP_TXS: usize = 2_048;

/// Decodes a gossiped batch of transactions, refusing more than `max_bytes` or
/// [`MAX_GOSSIP_TXS`] transactions, or a transaction that [`Transaction::decode_untrusted`]
/// would refuse.
pub fn decode_gossip_batch(
    bytes: &[u8],
    max_bytes: usize,
) -> Result<Vec<Transaction>, catena_primitives::TxError> {
    let txs: Vec<Transaction> = catena_primitives::decode_limited(bytes, max_bytes)?;
    if txs.len() > MAX_GOSSIP_TXS {
        return Err(catena_primitives::TxError::Decode(
            catena_primitives::DecodeError::Malformed(format!(
                "{} transactions in one message, over the limit of {MAX_GOSSIP_TXS}",
                txs.len()
            )),
        ));
    }
    for tx in &txs {
        if tx.chain_id.len() > catena_primitives::MAX_CHAIN_ID_LEN {
            return Err(catena_primitives::TxError::ChainIdTooLong(
                tx.chain_id.len(),
            ));
        }
    }
    Ok(txs)
}

/// Counts an invalid message from `peer` in the chain's metrics.
fn count_invalid(chain: &ChainInstance, peer: PeerId) {
    chain
        .metrics()
        .invalid_messages
        .get_or_create(&PeerLabel {
            peer: peer.to_string(),
        })
        .inc();
}

/// What the driver needs.
#[derive(Debug)]
pub struct BftParts {
    pub chain: Arc<ChainInstance>,
    pub key: SecretKey,
    pub votes: VoteLog,
    pub network: NetworkHandle,
    pub events: mpsc::Receiver<Event>,
    /// Transactions admitted through this node's API, to gossip.
    pub local_transactions: mpsc::UnboundedReceiver<Transaction>,
    pub max_message_bytes: usize,
    /// Written when this node finds it cannot reproduce a certified block; while it exists the
    /// node does not vote, across restarts too.
    pub halt_marker: std::path::PathBuf,
}

struct Driver {
    chain: Arc<ChainInstance>,
    key: SecretKey,
    votes: VoteLog,
    network: NetworkHandle,
    engine: Tendermint,
    chain_id: String,
    /// Blocks built or validated at the current height, by hash.
    proposals: HashMap<Hash, PreparedBlock>,
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
pub async fn run_bft(
    parts: BftParts,
    mut shutdown: oneshot::Receiver<()>,
) -> Result<(), ChainError> {
    let BftParts {
        chain,
        key,
        votes,
        network,
        mut events,
        mut local_transactions,
        max_message_bytes,
        halt_marker,
    } = parts;
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
        engine,
        proposals: HashMap::new(),
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
            event = events.recv() => match event {
                Some(event) => driver.on_network(event).await?,
                None => return Ok(()),
            },
            Some(tx) = local_transactions.recv() => {
                // Whatever else is waiting goes in the same message.
                let mut batch = vec![tx];
                let mut bytes = batch[0].encoded_size();
                while batch.len() < MAX_GOSSIP_TXS && bytes < max_message_bytes / 2 {
                    let Ok(tx) = local_transactions.try_recv() else { break };
                    bytes += tx.encoded_size();
                    batch.push(tx);
                }
                let _ = driver.network.publish(Topic::Transactions, batch.encode()).await;
            }
            Some((peer, bytes)) = sync_rx.recv() => driver.on_synced(peer, &bytes).await?,
            _ = sync_tick.tick() => driver.request_sync().await,
            _ = rebroadcast_tick.tick() => driver.rebroadcast().await,
        }
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
                    let value = built.block.hash();
                    self.proposals.insert(value, built);
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
    /// pause are judged by the right set.
    async fn follow_validator_set(&mut self) {
        let validators = self.chain.validators();
        if *validators != *self.engine.validators() {
            self.engine.set_validators((*validators).clone());
            self.update_peers().await;
        }
    }

    /// Allows and dials every validator in the state's set that the network does not know yet
    /// (one added by governance).
    async fn update_peers(&self) {
        let Ok(entries) = self.chain.validator_entries() else {
            return;
        };
        for entry in entries {
            match (entry.peer_id.parse(), entry.address.parse()) {
                (Ok(peer), Ok(address)) => {
                    let _ = self.network.add_peer(peer, address).await;
                }
                _ => {
                    tracing::warn!(target: "network", peer = %entry.peer_id, address = %entry.address, "a validator's peer id or address in state cannot be parsed")
                }
            }
        }
    }

    /// Reports a gossip message as valid or not, counting invalid ones per peer.
    async fn report(&self, message_id: MessageId, source: PeerId, valid: bool) {
        if !valid {
            self.count_invalid(source);
        }
        let _ = self.network.report(message_id, source, valid).await;
    }

    fn count_invalid(&self, peer: PeerId) {
        count_invalid(&self.chain, peer);
    }

    async fn on_network(&mut self, event: Event) -> Result<(), ChainError> {
        match event {
            Event::Gossip {
                topic: Topic::Consensus,
                source,
                message_id,
                data,
            } => {
                let valid = self.on_consensus_message(&data).await?;
                self.report(message_id, source, valid).await;
            }
            Event::Gossip {
                topic: Topic::Transactions,
                source,
                message_id,
                data,
            } => {
                // Admission (a batch signature check, state reads) runs off this loop, so that
                // a flood of transactions does not delay votes.
                let chain = Arc::clone(&self.chain);
                let admitting = Arc::clone(&self.chain);
                let network = self.network.clone();
                let max_bytes = self.max_message_bytes;
                tokio::spawn(async move {
                    let valid = tokio::task::spawn_blocking(move || {
                        decode_gossip_batch(&data, max_bytes).is_ok_and(|txs| {
                            admitting.submit_batch(txs).iter().all(|outcome| {
                                !matches!(
                                    outcome,
                                    Err(AdmitError::Invalid(_) | AdmitError::NotAMember { .. })
                                )
                            })
                        })
                    })
                    .await;
                    if let Ok(valid) = valid {
                        if !valid {
                            count_invalid(&chain, source);
                        }
                        let _ = network.report(message_id, source, valid).await;
                    }
                });
            }
            Event::Request { id, data, .. } => {
                let response = match SyncRequest::decode_untrusted(&data) {
                    Ok(request) => tokio::task::block_in_place(|| {
                        self.chain.serve_sync(&request, self.max_message_bytes / 2)
                    })?,
                    Err(_) => SyncResponse { blocks: Vec::new() },
                };
                let _ = self.network.respond(id, response.encode()).await;
            }
            Event::PeerConnected(_) => {
                self.chain.metrics().peers.inc();
            }
            Event::PeerDisconnected(_) => {
                self.chain.metrics().peers.dec();
            }
            Event::Listening(_) | Event::Refused { .. } | Event::Banned(_) => {}
        }
        Ok(())
    }

    /// Returns whether the message was well-formed and correctly signed.
    async fn on_consensus_message(&mut self, data: &[u8]) -> Result<bool, ChainError> {
        let Ok(message) = WireMessage::decode_untrusted(data, self.max_message_bytes) else {
            return Ok(false);
        };
        match message {
            WireMessage::Vote(vote) => match wire::verify_vote(&vote, &self.chain_id) {
                Ok(signed) => {
                    tracing::debug!(target: "consensus::wire", signer = %signed.signer, height = signed.vote.height, round = signed.vote.round, kind = ?signed.vote.kind, value = ?signed.vote.value, "vote");
                    self.feed(Input::Vote(signed)).await?;
                    Ok(true)
                }
                Err(_) => Ok(false),
            },
            WireMessage::Proposal {
                proposal,
                signature,
                block,
            } => {
                if proposal.verify(&self.chain_id, &signature).is_err() {
                    return Ok(false);
                }
                let Ok(block) = Block::decode_untrusted(&block, self.max_message_bytes) else {
                    return Ok(false);
                };
                if block.hash() != proposal.value {
                    return Ok(false);
                }
                // Only a proposal for the next block can be checked against our state.
                if proposal.height != self.chain.tip()?.height + 1 {
                    return Ok(true);
                }
                // Block time decides when vouchers mature: a proposer may not run the chain's
                // clock ahead of ours. Such a proposal gets a nil vote (it is not cached, so the
                // same block is judged again once our clock has caught up).
                let ahead_ms = block.header.time_ms.saturating_sub(now_ms());
                let valid = if ahead_ms > MAX_PROPOSAL_AHEAD_MS {
                    tracing::warn!(target: "consensus::proposal", height = proposal.height, round = proposal.round, ahead_ms, "proposal's time is ahead of this node's clock");
                    false
                } else if self.proposals.contains_key(&proposal.value) {
                    true
                } else {
                    match tokio::task::block_in_place(|| self.chain.validate_proposal(block)) {
                        Ok(validated) => {
                            self.proposals.insert(proposal.value, validated);
                            true
                        }
                        Err(crate::chain::ValidateError::Invalid(reason)) => {
                            tracing::warn!(target: "consensus::proposal", height = proposal.height, round = proposal.round, %reason, "invalid proposal");
                            false
                        }
                        Err(crate::chain::ValidateError::Chain(e)) => return Err(e),
                    }
                };
                self.feed(Input::Proposal {
                    proposal: proposal.to_proposal(),
                    valid,
                })
                .await?;
                Ok(true)
            }
        }
    }

    async fn publish_own(&mut self, height: u64, message: Vec<u8>) {
        let _ = self
            .network
            .publish(Topic::Consensus, message.clone())
            .await;
        self.own_messages.push((height, message));
    }

    /// Re-sends this validator's messages of the current height.
    async fn rebroadcast(&mut self) {
        let height = self.engine.height();
        self.own_messages.retain(|(h, _)| *h >= height);
        for (_, message) in &self.own_messages {
            let _ = self
                .network
                .publish(Topic::Consensus, message.clone())
                .await;
        }
    }

    /// Asks the next connected peer for blocks after our tip; the answer comes back through
    /// `sync_results`.
    async fn request_sync(&mut self) {
        let Ok(peers) = self.network.connected_peers().await else {
            return;
        };
        if peers.is_empty() {
            return;
        }
        let peer = peers[self.next_sync_peer % peers.len()];
        self.next_sync_peer += 1;
        let Ok(tip) = self.chain.tip() else { return };
        let request = SyncRequest {
            from_height: tip.height + 1,
            max_blocks: 64,
        }
        .encode();
        let network = self.network.clone();
        let results = self.sync_results.clone();
        // The composition root's task: the request may wait for a slow peer.
        tokio::spawn(async move {
            if let Ok(bytes) = network.request(peer, request).await {
                let _ = results.send((peer, bytes));
            }
        });
    }

    async fn on_synced(&mut self, peer: PeerId, bytes: &[u8]) -> Result<(), ChainError> {
        let Ok(response) = SyncResponse::decode_untrusted(bytes, self.max_message_bytes) else {
            self.count_invalid(peer);
            let _ = self.network.report_invalid(peer).await;
            return Ok(());
        };
        if response.blocks.is_empty() {
            return Ok(());
        }
        let before = self.chain.tip()?.height;
        match tokio::task::block_in_place(|| self.chain.apply_synced(response)) {
            Ok(_) => {}
            Err(crate::chain::SyncError::Chain(e)) => return Err(e),
            Err(e @ crate::chain::SyncError::Certificate { .. }) => {
                // A certificate that does not verify was forged or corrupted by the sender.
                tracing::warn!(target: "sync", %peer, error = %e, "refused synced blocks");
                self.count_invalid(peer);
                let _ = self.network.report_invalid(peer).await;
            }
            Err(e) if e.is_divergence() => {
                tracing::error!(target: "sync", %peer, error = %e, "state root mismatch: the validators certified a block this node cannot reproduce; this node STOPS VOTING until its operator restores its data from a healthy node (or fixes its version)");
                self.halted = true;
                self.chain.metrics().halted.set(1);
                if let Err(io) = std::fs::write(&self.halt_marker, format!("{e}\n")) {
                    tracing::error!(target: "consensus", error = %io, "cannot write the halt marker");
                }
            }
            Err(e) => tracing::warn!(target: "sync", %peer, error = %e, "refused synced blocks"),
        }
        let after = self.chain.tip()?.height;
        if after > before {
            tracing::info!(target: "sync", from = before, to = after, "caught up");
            self.proposals.clear();
            self.feed(Input::NewHeight { height: after + 1 }).await?;
            // More may be waiting: ask again now rather than at the next tick.
            self.request_sync().await;
        }
        Ok(())
    }
}
