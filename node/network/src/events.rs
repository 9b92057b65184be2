//! What the network task does with what arrives: the node's commands, the swarm's events
//! (connections, gossip, bans) and block-sync requests and answers.

use super::*;

impl Network {
    /// Tells gossipsub what became of a message: forwarded, dropped, or dropped and rejected.
    fn judge(&mut self, id: &MessageId, source: &PeerId, acceptance: MessageAcceptance) {
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, acceptance);
    }

    /// Hands an event to the node without waiting ([`crate::queue`]); a message that does not
    /// fit is dropped.
    fn emit(&mut self, event: Event) {
        self.events.send(event);
    }

    pub(super) fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { topic, data, sent } => {
                let topic = self
                    .topics
                    .iter()
                    .find(|(k, _)| *k == topic)
                    .map(|(_, t)| t.clone())
                    .expect("both topics exist");
                let outcome = self.swarm.behaviour_mut().gossipsub.publish(topic, data);
                if let Err(e) = &outcome {
                    tracing::debug!(target: "network", error = %e, "publish failed");
                }
                if let Some(sent) = sent {
                    let _ = sent.send(outcome.is_ok());
                }
            }
            Command::Report {
                message_id,
                source,
                verdict,
            } => {
                let acceptance = match verdict {
                    Verdict::Valid => MessageAcceptance::Accept,
                    Verdict::Invalid => MessageAcceptance::Reject,
                    Verdict::Ignore => MessageAcceptance::Ignore,
                };
                self.judge(&message_id, &source, acceptance);
                if verdict == Verdict::Invalid && self.count_invalid(source) {
                    self.emit(Event::Banned(source));
                }
            }
            Command::Invalid { peer } => {
                if self.count_invalid(peer) {
                    self.emit(Event::Banned(peer));
                }
            }
            Command::Request { peer, data, reply } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, data);
                self.requests.insert(id, reply);
            }
            Command::Respond { id, data } => {
                if let Some(channel) = self.channels.remove(&id) {
                    let _ = self.swarm.behaviour_mut().sync.send_response(channel, data);
                }
            }
            Command::ConnectedPeers { reply } => {
                let _ = reply.send(self.connected.iter().copied().collect());
            }
            Command::SetBlocked { peers } => self.set_blocked(peers),
            Command::SetPeers { peers } => self.set_peers(peers),
        }
    }

    pub(super) fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(target: "network", %address, "listening");
                self.emit(Event::Listening(address));
                self.dial_missing();
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } if num_established.get() == 1 => {
                self.connected.insert(peer_id);
                tracing::info!(target: "network", peer = %peer_id, "peer connected");
                self.emit(Event::PeerConnected(peer_id));
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.connected.remove(&peer_id);
                self.emit(Event::PeerDisconnected(peer_id));
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error,
                ..
            } => {
                tracing::info!(target: "network", address = %send_back_addr, %error, "refused an incoming connection");
                self.emit(Event::Refused {
                    address: send_back_addr,
                });
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => match self.topic_of(&message.topic) {
                Some(topic) => {
                    let event = Event::Gossip {
                        topic,
                        source: propagation_source,
                        message_id: message_id.clone(),
                        data: message.data,
                    };
                    if !self.events.send(event) {
                        // The node is behind: dropped unjudged, neither forwarded nor counted
                        // against the sender.
                        self.judge(&message_id, &propagation_source, MessageAcceptance::Ignore);
                    }
                }
                None => self.judge(&message_id, &propagation_source, MessageAcceptance::Reject),
            },
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync_event(event),
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event {
                peer,
                connection,
                result: Err(error),
            })) => {
                tracing::info!(target: "network", %peer, %error, "ping failed; closing the connection");
                self.swarm.close_connection(connection);
            }
            _ => {}
        }
    }

    pub(super) fn on_sync_event(&mut self, event: request_response::Event<Vec<u8>, Vec<u8>>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let id = self.next_channel;
                    self.next_channel += 1;
                    self.channels.insert(id, channel);
                    if self.channels.len() > MAX_OPEN_REQUESTS {
                        self.channels.pop_first();
                    }
                    let event = Event::Request {
                        peer,
                        id,
                        data: request,
                    };
                    if !self.events.send(event) {
                        // The node is behind: left unanswered (the asker's timeout tells it).
                        self.channels.remove(&id);
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.requests.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                if let Some(reply) = self.requests.remove(&request_id) {
                    let _ = reply.send(Err(NetworkError::Request {
                        peer,
                        reason: error.to_string(),
                    }));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(target: "network", %peer, %error, "inbound request failed");
                if matches!(error, request_response::InboundFailure::Io(_))
                    && self.count_invalid(peer)
                {
                    self.emit(Event::Banned(peer));
                }
            }
            _ => {}
        }
    }
}
