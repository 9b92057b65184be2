//! Catena's peer-to-peer layer on libp2p: TCP + noise + yamux, gossipsub for transactions and
//! consensus messages, request-response for block sync.
//!
//! The network is permissioned: only the peers the node allows (the chain's validators and its
//! members' registered nodes, as its committed state says) may connect; a connection from any
//! other key is denied right after the noise handshake, before any protocol runs. The node
//! replaces the allowed set as the state changes ([`NetworkHandle::set_peers`]): a peer left
//! out is disconnected. Payloads are opaque, size-limited byte strings: the node decodes them
//! with its own limits and reports each gossip message as valid, invalid or ignored; a peer
//! reported invalid [`BAN_THRESHOLD`] times is banned (disconnected, refused and not dialled)
//! for [`BAN_DURATION`].
//!
//! This crate spawns nothing: the node's composition root runs [`Network::run`] as a task and
//! talks to it through a [`NetworkHandle`] and an event channel.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use libp2p::futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, ValidationMode};
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    allow_block_list, identity, noise, ping, tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm,
};
use tokio::sync::{mpsc, oneshot};

pub mod codec;
mod events;
mod queue;
pub use codec::LimitedCodec;
pub use libp2p::gossipsub::MessageId;
pub use libp2p::{Multiaddr as Address, PeerId as Peer};
pub use queue::{Events, MAX_QUEUED_MESSAGES};

/// The largest gossip message or sync message accepted.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 8 << 20;
/// Bytes of gossip messages and requests that may wait for the node, at least (four of the
/// largest message, if more): past it new ones are dropped rather than the network task wait.
pub const MIN_QUEUED_BYTES: usize = 64 << 20;
/// Invalid messages after which a peer is banned.
pub const BAN_THRESHOLD: u32 = 10;
/// How long a ban lasts; then the peer may connect again with a clean count.
pub const BAN_DURATION: Duration = Duration::from_secs(600);
/// Inbound requests the node has not answered yet, at most; the oldest is dropped beyond it.
const MAX_OPEN_REQUESTS: usize = 1_024;
/// How often missing peers are dialled again.
const REDIAL_EVERY: Duration = Duration::from_secs(2);
/// How often each connection is pinged, and how long an answer may take before the connection
/// is taken for dead and closed (so that it is redialled rather than left silent: a TCP
/// connection across a cut link would otherwise stay "established" and, once the link is back,
/// resume only after the kernel's retransmission back-off).
const PING_EVERY: Duration = Duration::from_secs(1);
const PING_TIMEOUT: Duration = Duration::from_secs(4);

/// What a gossip message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Topic {
    Transactions,
    Consensus,
}

/// What the node found of a gossip message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: forwarded to the mesh.
    Valid,
    /// Invalid in its own bytes (malformed, a bad signature, a sender not entitled to send it):
    /// dropped and counted against the peer that sent it.
    Invalid,
    /// Not judged here (of a height this node cannot check yet, say): dropped, not forwarded,
    /// counted against nobody.
    Ignore,
}

#[derive(Clone, Debug)]
pub struct NetworkConfig {
    pub chain_id: String,
    /// The 32-byte ed25519 secret seed of this node's network key.
    pub secret_seed: [u8; 32],
    pub listen: Multiaddr,
    /// Peers allowed to connect, with where to dial them (the validators).
    pub peers: Vec<(PeerId, Multiaddr)>,
    /// Peers allowed to connect that this node does not dial (members' nodes).
    pub allowed: Vec<PeerId>,
    pub max_message_bytes: usize,
    /// How long a sync request may wait for its response.
    pub request_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("invalid network key: {0}")]
    Key(String),
    #[error("cannot set up the transport: {0}")]
    Transport(String),
    #[error("cannot listen on {address}: {reason}")]
    Listen { address: Multiaddr, reason: String },
    #[error("the network task has stopped")]
    Stopped,
    #[error("request to {peer} failed: {reason}")]
    Request { peer: PeerId, reason: String },
}

/// Something the network saw.
#[derive(Debug)]
pub enum Event {
    Listening(Multiaddr),
    PeerConnected(PeerId),
    PeerDisconnected(PeerId),
    /// A connection attempt from a key that is not allowed was refused.
    Refused {
        address: Multiaddr,
    },
    /// A gossip message; answer with [`NetworkHandle::report`].
    Gossip {
        topic: Topic,
        source: PeerId,
        message_id: MessageId,
        data: Vec<u8>,
    },
    /// A request; answer with [`NetworkHandle::respond`].
    Request {
        peer: PeerId,
        id: u64,
        data: Vec<u8>,
    },
    Banned(PeerId),
}

enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
        /// Told whether gossipsub took the message (it refuses one with no peer to send it to).
        sent: Option<oneshot::Sender<bool>>,
    },
    Report {
        message_id: MessageId,
        source: PeerId,
        verdict: Verdict,
    },
    Invalid {
        peer: PeerId,
    },
    Request {
        peer: PeerId,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
    },
    Respond {
        id: u64,
        data: Vec<u8>,
    },
    ConnectedPeers {
        reply: oneshot::Sender<Vec<PeerId>>,
    },
    SetBlocked {
        peers: BTreeSet<PeerId>,
    },
    SetPeers {
        peers: Vec<(PeerId, Option<Multiaddr>)>,
    },
}

/// The node's side of the network task.
#[derive(Clone, Debug)]
pub struct NetworkHandle {
    commands: mpsc::Sender<Command>,
    counters: std::sync::Arc<queue::Counters>,
    pub local_peer_id: PeerId,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl NetworkHandle {
    async fn send(&self, command: Command) -> Result<(), NetworkError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| NetworkError::Stopped)
    }

    /// Publishes `data` to every subscribed peer.
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<(), NetworkError> {
        self.send(Command::Publish {
            topic,
            data,
            sent: None,
        })
        .await
    }

    /// Publishes `data` and says whether it went out: `false` when no peer of the topic was
    /// there to send it to (nothing was sent; try again once one is).
    pub async fn publish_checked(&self, topic: Topic, data: Vec<u8>) -> Result<bool, NetworkError> {
        let (reply, sent) = oneshot::channel();
        self.send(Command::Publish {
            topic,
            data,
            sent: Some(reply),
        })
        .await?;
        sent.await.map_err(|_| NetworkError::Stopped)
    }

    /// Says what the node found of a gossip message: valid ones are forwarded, invalid ones
    /// dropped and counted against the peer that sent them, ignored ones dropped.
    pub async fn report(
        &self,
        message_id: MessageId,
        source: PeerId,
        verdict: Verdict,
    ) -> Result<(), NetworkError> {
        self.send(Command::Report {
            message_id,
            source,
            verdict,
        })
        .await
    }

    /// Counts an invalid message from `peer` outside gossip (a bad sync response, say).
    pub async fn report_invalid(&self, peer: PeerId) -> Result<(), NetworkError> {
        self.send(Command::Invalid { peer }).await
    }

    /// Sends a request and waits for its response.
    pub async fn request(&self, peer: PeerId, data: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
        let (reply, response) = oneshot::channel();
        self.send(Command::Request { peer, data, reply }).await?;
        response.await.map_err(|_| NetworkError::Stopped)?
    }

    /// Answers the request with this id.
    pub async fn respond(&self, id: u64, data: Vec<u8>) -> Result<(), NetworkError> {
        self.send(Command::Respond { id, data }).await
    }

    /// Cuts the links to exactly these peers: their connections are closed, they are neither
    /// dialled nor accepted until a later call leaves them out. (The node uses it to simulate
    /// partitions in tests where network namespaces are not available.)
    pub async fn set_blocked(&self, peers: BTreeSet<PeerId>) -> Result<(), NetworkError> {
        self.send(Command::SetBlocked { peers }).await
    }

    /// Replaces the peers allowed to connect, dialling those with an address: a peer left out
    /// is disconnected and refused from now on (a validator or a node removed by governance).
    pub async fn set_peers(
        &self,
        peers: Vec<(PeerId, Option<Multiaddr>)>,
    ) -> Result<(), NetworkError> {
        self.send(Command::SetPeers { peers }).await
    }

    /// Gossip messages and requests dropped on arrival since the start because the node had
    /// not taken the ones before them ([`Events`]).
    pub fn dropped(&self) -> u64 {
        self.counters
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn connected_peers(&self) -> Result<Vec<PeerId>, NetworkError> {
        let (reply, peers) = oneshot::channel();
        self.send(Command::ConnectedPeers { reply }).await?;
        peers.await.map_err(|_| NetworkError::Stopped)
    }
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    allowed: allow_block_list::Behaviour<allow_block_list::AllowedPeers>,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<LimitedCodec>,
    ping: ping::Behaviour,
}

/// The peer id of the ed25519 key with this secret seed.
pub fn peer_id_of(secret_seed: [u8; 32]) -> Result<PeerId, NetworkError> {
    let keypair = identity::Keypair::ed25519_from_bytes(secret_seed)
        .map_err(|e| NetworkError::Key(e.to_string()))?;
    Ok(keypair.public().to_peer_id())
}

/// The network task's state.
pub struct Network {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: queue::Sender,
    topics: [(Topic, IdentTopic); 2],
    /// Every peer allowed to connect, with where to dial it if this node dials it.
    peers: BTreeMap<PeerId, Option<Multiaddr>>,
    connected: BTreeSet<PeerId>,
    invalid: BTreeMap<PeerId, u32>,
    /// Banned peers, with when their ban ends.
    banned: BTreeMap<PeerId, tokio::time::Instant>,
    /// Peers whose links are cut by [`NetworkHandle::set_blocked`].
    blocked: BTreeSet<PeerId>,
    requests: HashMap<OutboundRequestId, oneshot::Sender<Result<Vec<u8>, NetworkError>>>,
    /// Requests waiting for the node's answer, oldest first; bounded by [`MAX_OPEN_REQUESTS`].
    channels: BTreeMap<u64, ResponseChannel<Vec<u8>>>,
    next_channel: u64,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("peer_id", self.swarm.local_peer_id())
            .finish()
    }
}

impl Network {
    /// Builds the swarm and starts listening. Returns the task state to run, its handle, and
    /// the channel of events.
    pub fn new(config: NetworkConfig) -> Result<(Network, NetworkHandle, Events), NetworkError> {
        let keypair = identity::Keypair::ed25519_from_bytes(config.secret_seed)
            .map_err(|e| NetworkError::Key(e.to_string()))?;
        let max = config.max_message_bytes;
        let gossip_config = gossipsub::ConfigBuilder::default()
            .max_transmit_size(max)
            .validation_mode(ValidationMode::Strict)
            .validate_messages()
            .heartbeat_interval(Duration::from_millis(500))
            .build()
            .map_err(|e| NetworkError::Transport(e.to_string()))?;
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| NetworkError::Transport(e.to_string()))?
            .with_behaviour(|key| {
                let gossipsub = gossipsub::Behaviour::new(
                    MessageAuthenticity::Signed(key.clone()),
                    gossip_config,
                )
                .map_err(|e| Box::<dyn std::error::Error + Send + Sync>::from(e.to_string()))?;
                let protocol = StreamProtocol::try_from_owned(format!(
                    "/catena/{}/sync/2",
                    config.chain_id
                ))
                .map_err(|e| Box::<dyn std::error::Error + Send + Sync>::from(e.to_string()))?;
                let sync = request_response::Behaviour::with_codec(
                    LimitedCodec {
                        max_bytes: max as u64,
                    },
                    [(protocol, ProtocolSupport::Full)],
                    request_response::Config::default()
                        .with_request_timeout(config.request_timeout),
                );
                let ping = ping::Behaviour::new(
                    ping::Config::new()
                        .with_interval(PING_EVERY)
                        .with_timeout(PING_TIMEOUT),
                );
                Ok(Behaviour {
                    allowed: Default::default(),
                    gossipsub,
                    sync,
                    ping,
                })
            })
            .map_err(|e| NetworkError::Transport(e.to_string()))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
            .build();
        let local = *swarm.local_peer_id();
        let topics = [
            (
                Topic::Transactions,
                IdentTopic::new(format!("/catena/{}/transactions/1", config.chain_id)),
            ),
            (
                Topic::Consensus,
                IdentTopic::new(format!("/catena/{}/consensus/1", config.chain_id)),
            ),
        ];
        for (_, topic) in &topics {
            swarm
                .behaviour_mut()
                .gossipsub
                .subscribe(topic)
                .map_err(|e| NetworkError::Transport(e.to_string()))?;
        }
        let mut peers = BTreeMap::new();
        let dialled = config.peers.into_iter().map(|(p, a)| (p, Some(a)));
        for (peer, address) in dialled.chain(config.allowed.into_iter().map(|p| (p, None))) {
            if peer != local {
                swarm.behaviour_mut().allowed.allow_peer(peer);
                let known = peers.entry(peer).or_insert(None);
                if address.is_some() {
                    *known = address;
                }
            }
        }
        swarm
            .listen_on(config.listen.clone())
            .map_err(|e| NetworkError::Listen {
                address: config.listen.clone(),
                reason: e.to_string(),
            })?;
        let (command_tx, commands) = mpsc::channel(1024);
        let (events_tx, events, counters) = queue::channel((4 * max).max(MIN_QUEUED_BYTES));
        let network = Network {
            swarm,
            commands,
            events: events_tx,
            topics,
            peers,
            connected: BTreeSet::new(),
            invalid: BTreeMap::new(),
            banned: BTreeMap::new(),
            blocked: BTreeSet::new(),
            requests: HashMap::new(),
            channels: BTreeMap::new(),
            next_channel: 0,
        };
        Ok((
            network,
            NetworkHandle {
                commands: command_tx,
                counters,
                local_peer_id: local,
            },
            events,
        ))
    }

    /// Runs until every [`NetworkHandle`] is dropped.
    pub async fn run(mut self) {
        let mut redial = tokio::time::interval(REDIAL_EVERY);
        loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    None => return,
                },
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                _ = redial.tick() => {
                    self.lift_expired_bans();
                    self.dial_missing();
                }
            }
        }
    }

    fn dial_missing(&mut self) {
        let missing: Vec<(PeerId, Multiaddr)> = self
            .peers
            .iter()
            .filter(|(peer, _)| {
                !self.connected.contains(*peer)
                    && !self.banned.contains_key(*peer)
                    && !self.blocked.contains(*peer)
            })
            .filter_map(|(p, a)| a.clone().map(|a| (*p, a)))
            .collect();
        for (peer, address) in missing {
            let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                .addresses(vec![address])
                .build();
            if let Err(e) = self.swarm.dial(opts) {
                tracing::debug!(target: "network", %peer, error = %e, "dial failed");
            }
        }
    }

    fn topic_of(&self, hash: &gossipsub::TopicHash) -> Option<Topic> {
        self.topics
            .iter()
            .find(|(_, t)| &t.hash() == hash)
            .map(|(k, _)| *k)
    }

    fn count_invalid(&mut self, peer: PeerId) -> bool {
        let count = self.invalid.entry(peer).or_default();
        *count += 1;
        if *count >= BAN_THRESHOLD && !self.banned.contains_key(&peer) {
            self.banned
                .insert(peer, tokio::time::Instant::now() + BAN_DURATION);
            tracing::warn!(target: "network", %peer, invalid = *count, ban_secs = BAN_DURATION.as_secs(), "banning peer after invalid messages");
            // Disallowing closes every connection to the peer and refuses new ones.
            self.swarm.behaviour_mut().allowed.disallow_peer(peer);
            return true;
        }
        false
    }

    fn set_blocked(&mut self, peers: BTreeSet<PeerId>) {
        let allowed = &mut self.swarm.behaviour_mut().allowed;
        for peer in peers.difference(&self.blocked) {
            tracing::warn!(target: "network", %peer, "link cut");
            allowed.disallow_peer(*peer);
        }
        for peer in self.blocked.difference(&peers) {
            if self.peers.contains_key(peer) && !self.banned.contains_key(peer) {
                tracing::warn!(target: "network", %peer, "link restored");
                allowed.allow_peer(*peer);
            }
        }
        self.blocked = peers;
        self.dial_missing();
    }

    /// Lets peers whose ban is over connect again, with a clean count.
    fn lift_expired_bans(&mut self) {
        let now = tokio::time::Instant::now();
        let expired: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in expired {
            self.banned.remove(&peer);
            self.invalid.remove(&peer);
            if self.peers.contains_key(&peer) && !self.blocked.contains(&peer) {
                tracing::info!(target: "network", %peer, "ban over");
                self.swarm.behaviour_mut().allowed.allow_peer(peer);
            }
        }
    }

    /// Replaces the allowed peers (see [`NetworkHandle::set_peers`]).
    fn set_peers(&mut self, peers: Vec<(PeerId, Option<Multiaddr>)>) {
        let local = *self.swarm.local_peer_id();
        let mut wanted: BTreeMap<PeerId, Option<Multiaddr>> = BTreeMap::new();
        for (peer, address) in peers.into_iter().filter(|(p, _)| *p != local) {
            let known = wanted.entry(peer).or_insert(None);
            if address.is_some() {
                *known = address;
            }
        }
        for peer in self.peers.keys().filter(|p| !wanted.contains_key(*p)) {
            tracing::warn!(target: "network", %peer, "peer no longer allowed: disconnecting");
            // Disallowing closes every connection to the peer and refuses new ones.
            self.swarm.behaviour_mut().allowed.disallow_peer(*peer);
        }
        for peer in wanted.keys().filter(|p| !self.peers.contains_key(*p)) {
            if !self.banned.contains_key(peer) && !self.blocked.contains(peer) {
                tracing::info!(target: "network", %peer, "new peer allowed");
                self.swarm.behaviour_mut().allowed.allow_peer(*peer);
            }
        }
        self.peers = wanted;
        self.dial_missing();
    }
}
