//! A validator's peers: gossip of consensus messages and transactions (each checked before the
//! engine or the mempool hears of it, and reported to the network as valid or not), the
//! validators to dial as the set changes, and block sync, serving and asking. A validator that
//! decides alone has none of this: every method here does nothing without a network.

use super::*;

/// How often a node asks a peer for blocks it may be missing.
pub(super) const SYNC_EVERY: Duration = Duration::from_millis(1_000);
/// How often a validator re-sends its own proposal and votes of the current height, so that
/// a peer that missed them (reconnecting, restarted) still gets them: gossipsub itself does not
/// retransmit.
pub(super) const REBROADCAST_EVERY: Duration = Duration::from_millis(2_000);
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

/// The peers the committed state allows on the chain's network: the validators of the next
/// block with their addresses (dialled), then the members' registered nodes (not dialled). An
/// entry that cannot be parsed is left out with a warning.
pub(crate) fn allowed_peers(
    chain: &ChainInstance,
) -> Result<Vec<(PeerId, Option<catena_network::Address>)>, ChainError> {
    let mut peers = Vec::new();
    for entry in chain.validator_entries()? {
        match (entry.peer_id.parse(), entry.address.parse()) {
            (Ok(peer), Ok(address)) => peers.push((peer, Some(address))),
            _ => {
                tracing::warn!(target: "network", peer = %entry.peer_id, address = %entry.address, "a validator's peer id or address in state cannot be parsed")
            }
        }
    }
    for node in chain.member_node_peers()? {
        match node.parse() {
            Ok(peer) => peers.push((peer, None)),
            Err(_) => {
                tracing::warn!(target: "network", peer = %node, "a member node's peer id cannot be parsed")
            }
        }
    }
    Ok(peers)
}

/// What a gossiped batch's admission outcomes say of the message. Invalid in its own bytes
/// (malformed, a bad signature, another chain's): counted against the sender. Nothing new in it
/// (every transaction already committed — a replay —, or from a signer that is not a member
/// here, which depends on this node's state): ignored, neither forwarded nor counted. Otherwise
/// valid, and forwarded.
fn judge_batch(outcomes: &[Result<Hash, AdmitError>]) -> Verdict {
    if outcomes
        .iter()
        .any(|o| matches!(o, Err(AdmitError::Invalid(_))))
    {
        Verdict::Invalid
    } else if outcomes.iter().all(|o| {
        matches!(
            o,
            Err(AdmitError::NonceUsed { .. } | AdmitError::NotAMember { .. })
        )
    }) {
        Verdict::Ignore
    } else {
        Verdict::Valid
    }
}

/// Counts an invalid message from `peer` in the chain's metrics.
pub(super) fn count_invalid(chain: &ChainInstance, peer: PeerId) {
    chain.metrics().count_invalid(peer.to_string());
}

impl Driver {
    /// Allows exactly the peers the state names ([`allowed_peers`]), so that one added by
    /// governance or registered is let in and one removed is disconnected. Sent to the network
    /// only when the set changed since the last height.
    pub(super) async fn update_peers(&mut self) {
        let Some(network) = &self.network else {
            return;
        };
        let Ok(peers) = allowed_peers(&self.chain) else {
            return;
        };
        let following = self.chain.following();
        if let Some(me) = following.identity().peer_id {
            following.set_allowed(peers.iter().any(|(peer, _)| peer.to_string() == me));
        }
        if peers != self.allowed {
            let _ = network.set_peers(peers.clone()).await;
            self.allowed = peers;
        }
    }

    /// Reports what this node found of a gossip message, counting invalid ones per peer.
    async fn report(&self, message_id: MessageId, source: PeerId, verdict: Verdict) {
        if verdict == Verdict::Invalid {
            self.count_invalid(source);
        }
        if let Some(network) = &self.network {
            let _ = network.report(message_id, source, verdict).await;
        }
    }

    pub(super) async fn report_invalid(&self, peer: PeerId) {
        if let Some(network) = &self.network {
            let _ = network.report_invalid(peer).await;
        }
    }

    pub(super) fn count_invalid(&self, peer: PeerId) {
        count_invalid(&self.chain, peer);
    }

    /// Admits a gossiped batch of transactions off this task (a batch signature check, state
    /// reads), so that a flood of transactions does not delay votes, through the bounded
    /// [`gate::TRANSACTIONS`]: a batch that does not fit is ignored and counted as shed.
    async fn admit_gossiped(&self, source: PeerId, message_id: MessageId, data: Vec<u8>) {
        let Some(ticket) = self.admission.admit(source, data.len()) else {
            self.chain.metrics().count_shed("transactions", 1);
            self.report(message_id, source, Verdict::Ignore).await;
            return;
        };
        let chain = Arc::clone(&self.chain);
        let admitting = Arc::clone(&self.chain);
        let network = self.network.clone();
        let max_bytes = self.max_message_bytes;
        tokio::spawn(async move {
            let verdict = ticket
                .run(move || match decode_gossip_batch(&data, max_bytes) {
                    Ok(txs) => judge_batch(&admitting.submit_batch(txs)),
                    Err(_) => Verdict::Invalid,
                })
                .await;
            if let Some(verdict) = verdict {
                if verdict == Verdict::Invalid {
                    count_invalid(&chain, source);
                }
                if let Some(network) = network {
                    let _ = network.report(message_id, source, verdict).await;
                }
            }
        });
    }

    /// Serves a block-sync request off this task (reading and encoding up to 64 blocks), so
    /// that many nodes catching up at once do not delay this node's votes, through the bounded
    /// [`gate::SYNC`]: a request that does not fit (a peer asking in a loop) gets an empty
    /// answer at once and is counted as shed.
    async fn serve(&self, peer: PeerId, id: u64, data: Vec<u8>) {
        let Some(network) = self.network.clone() else {
            return;
        };
        let Some(ticket) = self.serving.admit(peer, data.len()) else {
            self.chain.metrics().count_shed("sync", 1);
            let empty = SyncResponse { blocks: Vec::new() }.encode();
            let _ = network.respond(id, empty).await;
            return;
        };
        let chain = Arc::clone(&self.chain);
        let max_bytes = self.max_message_bytes / 2;
        tokio::spawn(async move {
            let served = ticket
                .run(move || match PeerRequest::decode_untrusted(&data) {
                    Ok(request) => chain.serve(&request, max_bytes),
                    Err(_) => Ok(SyncResponse { blocks: Vec::new() }.encode()),
                })
                .await;
            match served {
                Some(Ok(response)) => {
                    let _ = network.respond(id, response).await;
                }
                Some(Err(e)) => {
                    tracing::warn!(target: "sync", error = %e, "could not serve blocks")
                }
                None => tracing::warn!(target: "sync", "sync serving failed"),
            }
        });
    }

    /// Counts the messages the network dropped since the last call because this node had
    /// not taken the ones before them.
    pub(super) fn count_network_shed(&mut self) {
        let Some(network) = &self.network else {
            return;
        };
        let dropped = network.dropped();
        if dropped > self.network_dropped {
            self.chain
                .metrics()
                .count_shed("network", dropped - self.network_dropped);
            self.network_dropped = dropped;
        }
    }

    pub(super) async fn on_network(&mut self, event: Event) -> Result<(), ChainError> {
        match event {
            Event::Gossip {
                topic: Topic::Consensus,
                source,
                message_id,
                data,
            } => {
                let verdict = self.on_consensus_message(&data).await?;
                self.report(message_id, source, verdict).await;
            }
            Event::Gossip {
                topic: Topic::Transactions,
                source,
                message_id,
                data,
            } => self.admit_gossiped(source, message_id, data).await,
            Event::Request { peer, id, data } => self.serve(peer, id, data).await,
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

    /// Judges a consensus message and hands it to the engine if it may be. Invalid: malformed,
    /// badly signed, or a proposal by a validator that does not lead its round (refused before
    /// its block is decoded or executed). Ignored: a proposal of another height, or too many
    /// rounds ahead, or beyond what one round may have executed. A proposal whose block does not
    /// execute to its header's roots, or whose time is ahead of this node's clock, is valid as a
    /// message (its judgement depends on this node's state and clock): the engine hears it as
    /// an invalid block and votes nil.
    async fn on_consensus_message(&mut self, data: &[u8]) -> Result<Verdict, ChainError> {
        let Ok(message) = WireMessage::decode_untrusted(data, self.max_message_bytes) else {
            return Ok(Verdict::Invalid);
        };
        match message {
            // A vote of a height this node has left behind (a replay) tells it nothing: ignored
            // before its signature is checked. (The previous height's votes still count: they
            // may complete a certificate this node's peers are missing.)
            WireMessage::Vote(vote) if vote.height.saturating_add(1) < self.engine.height() => {
                Ok(Verdict::Ignore)
            }
            WireMessage::Vote(vote) => match wire::verify_vote(&vote, &self.chain_id) {
                // Signed, but not by a validator this node knows of (its set may be behind):
                // not forwarded, counted against nobody.
                Ok(signed) if !self.chain.validators().contains(&signed.signer) => {
                    Ok(Verdict::Ignore)
                }
                Ok(signed) => {
                    self.heard_vote_at(signed.vote.height);
                    tracing::debug!(target: "consensus::wire", signer = %signed.signer, height = signed.vote.height, round = signed.vote.round, kind = ?signed.vote.kind, value = ?signed.vote.value, "vote");
                    self.feed(Input::Vote(signed)).await?;
                    Ok(Verdict::Valid)
                }
                Err(_) => Ok(Verdict::Invalid),
            },
            WireMessage::Proposal {
                proposal,
                signature,
                block,
            } => {
                // Only a proposal for the next block can be checked against our state and set.
                if proposal.height != self.chain.tip()?.height + 1 {
                    return Ok(Verdict::Ignore);
                }
                if proposal.proposer != self.engine.proposer(proposal.height, proposal.round) {
                    self.chain.metrics().proposals_not_from_proposer.inc();
                    tracing::debug!(target: "consensus::proposal", height = proposal.height, round = proposal.round, signer = %proposal.proposer, "proposal from a validator that does not lead its round");
                    return Ok(Verdict::Invalid);
                }
                if proposal.verify(&self.chain_id, &signature).is_err() {
                    return Ok(Verdict::Invalid);
                }
                if let Some(first) =
                    self.proposals
                        .note_signed(proposal.height, proposal.round, proposal.value)
                {
                    tracing::warn!(target: "consensus::evidence", proposer = %proposal.proposer, height = proposal.height, round = proposal.round, %first, second = %proposal.value, "the proposer signed two different proposals for one round");
                }
                if proposal.round > self.engine.round() + MAX_ROUNDS_AHEAD {
                    return Ok(Verdict::Ignore);
                }
                let Ok(block) = Block::decode_untrusted(&block, self.max_message_bytes) else {
                    return Ok(Verdict::Invalid);
                };
                if block.hash() != proposal.value || block.header.proposer != proposal.proposer {
                    return Ok(Verdict::Invalid);
                }
                // Block time decides when vouchers mature: a proposer may not run the chain's
                // clock ahead of ours. Such a proposal gets a nil vote (it is not cached, so the
                // same block is judged again once our clock has caught up).
                let ahead_ms = block.header.time_ms.saturating_sub(now_ms());
                let valid = if ahead_ms > MAX_PROPOSAL_AHEAD_MS {
                    tracing::warn!(target: "consensus::proposal", height = proposal.height, round = proposal.round, ahead_ms, "proposal's time is ahead of this node's clock");
                    false
                } else if self.proposals.contains(&proposal.value) {
                    true
                } else if !self.proposals.may_execute(proposal.round) {
                    return Ok(Verdict::Ignore);
                } else {
                    self.chain
                        .metrics()
                        .count_executed(proposal.proposer.to_string());
                    match tokio::task::block_in_place(|| self.chain.validate_proposal(block)) {
                        Ok(validated) => {
                            self.proposals
                                .executed(proposal.round, Some((proposal.value, validated)));
                            true
                        }
                        Err(crate::chain::ValidateError::Invalid(reason)) => {
                            self.proposals.executed(proposal.round, None);
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
                Ok(Verdict::Valid)
            }
        }
    }

    /// Sends this validator's own proposal or vote to its peers, and keeps it to send again
    /// (a validator deciding alone has no one to send it to).
    pub(super) async fn publish_own(&mut self, height: u64, message: Vec<u8>) {
        let Some(network) = &self.network else {
            return;
        };
        let _ = network.publish(Topic::Consensus, message.clone()).await;
        self.own_messages.push((height, message));
    }

    /// A validator voted at `height`: this node has heard of height − 1.
    fn heard_vote_at(&self, height: u64) {
        let following = self.chain.following();
        following.heard_vote_at(height);
        // The engine decides the height after the tip.
        let heard = following.heard(self.engine.height().saturating_sub(1));
        self.chain
            .metrics()
            .heard_height
            .set(i64::try_from(heard).unwrap_or(i64::MAX));
    }

    /// Re-sends this validator's messages of the current height.
    pub(super) async fn rebroadcast(&mut self) {
        let height = self.engine.height();
        self.own_messages.retain(|(h, _)| *h >= height);
        let Some(network) = &self.network else {
            return;
        };
        for (_, message) in &self.own_messages {
            let _ = network.publish(Topic::Consensus, message.clone()).await;
        }
    }

    /// Asks the next connected peer for blocks after our tip; the answer comes back through
    /// `sync_results`.
    pub(super) async fn request_sync(&mut self) {
        let Some(network) = self.network.clone() else {
            return;
        };
        let Ok(peers) = network.connected_peers().await else {
            return;
        };
        if peers.is_empty() {
            return;
        }
        let peer = peers[self.next_sync_peer % peers.len()];
        self.next_sync_peer += 1;
        let Ok(tip) = self.chain.tip() else { return };
        let request = PeerRequest::Blocks(SyncRequest {
            from_height: tip.height + 1,
            max_blocks: 64,
        })
        .encode();
        let results = self.sync_results.clone();
        // The composition root's task: the request may wait for a slow peer.
        tokio::spawn(async move {
            if let Ok(bytes) = network.request(peer, request).await {
                let _ = results.send((peer, bytes));
            }
        });
    }

    pub(super) async fn on_synced(&mut self, peer: PeerId, bytes: &[u8]) -> Result<(), ChainError> {
        let Ok(response) = SyncResponse::decode_untrusted(bytes, self.max_message_bytes) else {
            self.count_invalid(peer);
            self.report_invalid(peer).await;
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
                self.report_invalid(peer).await;
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
            self.chain.following().synced_from(before);
            tracing::info!(target: "sync", from = before, to = after, "caught up");
            self.proposals.clear();
            self.feed(Input::NewHeight { height: after + 1 }).await?;
            // More may be waiting: ask again now rather than at the next tick.
            self.request_sync().await;
        }
        Ok(())
    }
}
