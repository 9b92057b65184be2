//! Prometheus metrics of the chains this process hosts, served at `/metrics` in the OpenMetrics
//! text format, each series labelled with its chain.

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The label every series carries: the chain it measures. One registry serves the whole
/// process, so a node hosting several chains reports each under its own `chain="…"`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChainLabel {
    pub chain: String,
}

/// The label of a per-peer metric: the chain and the peer's libp2p id. Only the chain's allowed
/// peers can connect, so the number of series is bounded by its validators and member nodes.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerLabel {
    pub chain: String,
    pub peer: String,
}

/// The label of a per-proposer metric: the chain and the proposer's account. Only a round's
/// proposer gets this far, so the number of series is bounded by the validator set.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProposerLabel {
    pub chain: String,
    pub proposer: String,
}

/// Where a message was shed unjudged because the work waiting there was at its bound.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ShedLabel {
    pub chain: String,
    /// `network` (the node had not taken the messages before it), `transactions` (gossiped
    /// batches waiting for admission), `sync` (block requests waiting to be served).
    pub stage: String,
}

type PerChain<M> = Family<ChainLabel, M>;
type Histograms = Family<ChainLabel, Histogram, fn() -> Histogram>;

fn interval_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.05, 2.0, 12))
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The process's metrics: one family per metric, a series per hosted chain. Each chain takes
/// its handles with [`ChainMetrics::new`].
#[derive(Debug)]
pub struct NodeMetrics {
    registry: Registry,
    height: PerChain<Gauge>,
    mempool_size: PerChain<Gauge>,
    storage_memory_bytes: PerChain<Gauge>,
    committed_transactions: PerChain<Counter>,
    rejected_transactions: PerChain<Counter>,
    signatures_checked_in_blocks: PerChain<Counter>,
    block_interval_seconds: Histograms,
    commit_latency_seconds: Histograms,
    round: PerChain<Gauge>,
    peers: PerChain<Gauge>,
    transactions_forwarding: PerChain<Gauge>,
    heard_height: PerChain<Gauge>,
    invalid_messages: Family<PeerLabel, Counter>,
    messages_shed: Family<ShedLabel, Counter>,
    equivocations: PerChain<Counter>,
    proposals_not_from_proposer: PerChain<Counter>,
    proposals_executed: Family<ProposerLabel, Counter>,
    halted: PerChain<Gauge>,
    failed: PerChain<Gauge>,
    anchor_lag_blocks: PerChain<Gauge>,
    anchor_lag_seconds: PerChain<Gauge<f64, std::sync::atomic::AtomicU64>>,
    anchor_overdue: PerChain<Gauge>,
}

impl Default for NodeMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("catena");
        let metrics = NodeMetrics {
            height: PerChain::default(),
            mempool_size: PerChain::default(),
            storage_memory_bytes: PerChain::default(),
            committed_transactions: PerChain::default(),
            rejected_transactions: PerChain::default(),
            signatures_checked_in_blocks: PerChain::default(),
            block_interval_seconds: Histograms::new_with_constructor(interval_histogram),
            commit_latency_seconds: Histograms::new_with_constructor(latency_histogram),
            round: PerChain::default(),
            peers: PerChain::default(),
            transactions_forwarding: PerChain::default(),
            heard_height: PerChain::default(),
            invalid_messages: Family::default(),
            messages_shed: Family::default(),
            equivocations: PerChain::default(),
            proposals_not_from_proposer: PerChain::default(),
            proposals_executed: Family::default(),
            halted: PerChain::default(),
            failed: PerChain::default(),
            anchor_lag_blocks: PerChain::default(),
            anchor_lag_seconds: PerChain::default(),
            anchor_overdue: PerChain::default(),
            registry: Registry::default(),
        };
        let m = &metrics;
        registry.register(
            "height",
            "Height of the latest committed block",
            m.height.clone(),
        );
        registry.register(
            "storage_memory_bytes",
            "Memory RocksDB holds for the chain's store: memtables, table readers, and the block cache all stores of the process share (counted in each)",
            m.storage_memory_bytes.clone(),
        );
        registry.register(
            "mempool_size",
            "Transactions waiting in the mempool",
            m.mempool_size.clone(),
        );
        registry.register(
            "committed_transactions",
            "Transactions committed in blocks",
            m.committed_transactions.clone(),
        );
        registry.register(
            "rejected_transactions",
            "Transactions refused at admission (invalid, replayed, non-member, mempool full)",
            m.rejected_transactions.clone(),
        );
        registry.register(
            "signatures_checked_in_blocks",
            "Transaction signatures checked while validating blocks (not already checked at admission)",
            m.signatures_checked_in_blocks.clone(),
        );
        registry.register(
            "block_interval_seconds",
            "Time between consecutive blocks, from their headers",
            m.block_interval_seconds.clone(),
        );
        registry.register(
            "commit_latency_seconds",
            "Time from starting to build a block to its synced write",
            m.commit_latency_seconds.clone(),
        );
        registry.register(
            "transactions_forwarding",
            "Transactions admitted through this node's API, still pending and sent again until included",
            m.transactions_forwarding.clone(),
        );
        registry.register(
            "heard_height",
            "The highest committed height this node has heard of from the validators' votes",
            m.heard_height.clone(),
        );
        registry.register(
            "voting_halted",
            "1 if this node cannot reproduce a certified block (state root mismatch) and stopped voting",
            m.halted.clone(),
        );
        registry.register(
            "chain_failed",
            "1 once the chain stopped on this node (a store error, a driver failure); the others go on",
            m.failed.clone(),
        );
        registry.register(
            "anchor_lag_blocks",
            "For a parachain this node hosts with its main chain: its blocks above the anchored head",
            m.anchor_lag_blocks.clone(),
        );
        registry.register(
            "anchor_lag_seconds",
            "For a parachain this node hosts with its main chain: its tip's time minus the anchored head's",
            m.anchor_lag_seconds.clone(),
        );
        registry.register(
            "anchor_overdue",
            "1 while a parachain's anchored head is more than twice its anchor period old",
            m.anchor_overdue.clone(),
        );
        registry.register(
            "consensus_round",
            "Consensus round at the current height",
            m.round.clone(),
        );
        registry.register("peers", "Connected peers", m.peers.clone());
        registry.register(
            "invalid_messages",
            "Invalid or oversized messages received, by peer",
            m.invalid_messages.clone(),
        );
        registry.register(
            "messages_shed",
            "Peers' messages dropped unjudged because the work waiting at a stage was at its bound, by stage",
            m.messages_shed.clone(),
        );
        registry.register(
            "equivocations",
            "Conflicting votes detected (evidence of a faulty validator)",
            m.equivocations.clone(),
        );
        registry.register(
            "proposals_not_from_proposer",
            "Proposals signed by a validator that does not lead their round (refused before execution)",
            m.proposals_not_from_proposer.clone(),
        );
        registry.register(
            "proposals_executed",
            "Peers' proposals executed to judge them, by proposer",
            m.proposals_executed.clone(),
        );
        NodeMetrics {
            registry,
            ..metrics
        }
    }
}

impl NodeMetrics {
    /// The OpenMetrics text of every metric of every chain.
    pub fn render(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// One chain's handles on the process's metrics: each updates that chain's series.
#[derive(Debug, Clone)]
pub struct ChainMetrics {
    node: Arc<NodeMetrics>,
    chain: String,
    pub height: Gauge,
    pub mempool_size: Gauge,
    pub storage_memory_bytes: Gauge,
    pub committed_transactions: Counter,
    pub rejected_transactions: Counter,
    /// Signatures checked while validating blocks: those of transactions this node's mempool
    /// had not admitted (the others were checked at admission).
    pub signatures_checked_in_blocks: Counter,
    /// Header time between consecutive blocks.
    pub block_interval_seconds: Histogram,
    /// From the start of building a block to its synced write.
    pub commit_latency_seconds: Histogram,
    /// The consensus round at the current height (0 when the first proposal commits).
    pub round: Gauge,
    /// Peers with an open connection.
    pub peers: Gauge,
    /// Transactions admitted through this node's API and still pending, sent again until a
    /// block includes them (with no peer, they wait here).
    pub transactions_forwarding: Gauge,
    /// The highest height this node has heard the validators vote above.
    pub heard_height: Gauge,
    /// Validators caught signing two different votes in one round.
    pub equivocations: Counter,
    /// Proposals signed by a validator that does not lead their round: refused unexecuted.
    pub proposals_not_from_proposer: Counter,
    /// 1 once this node found it cannot reproduce a certified block and stopped voting.
    pub halted: Gauge,
    /// 1 once the chain stopped on this node.
    pub failed: Gauge,
    /// For a parachain: its blocks above, and its tip's time after, the anchored head; 1 while
    /// that head is over twice the anchor period old.
    pub anchor_lag_blocks: Gauge,
    pub anchor_lag_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub anchor_overdue: Gauge,
}

impl ChainMetrics {
    /// The series of `chain` in the process's metrics.
    pub fn new(node: &Arc<NodeMetrics>, chain: &str) -> ChainMetrics {
        let label = ChainLabel {
            chain: chain.to_string(),
        };
        ChainMetrics {
            chain: chain.to_string(),
            height: node.height.get_or_create_owned(&label),
            mempool_size: node.mempool_size.get_or_create_owned(&label),
            storage_memory_bytes: node.storage_memory_bytes.get_or_create_owned(&label),
            committed_transactions: node.committed_transactions.get_or_create_owned(&label),
            rejected_transactions: node.rejected_transactions.get_or_create_owned(&label),
            signatures_checked_in_blocks: node
                .signatures_checked_in_blocks
                .get_or_create_owned(&label),
            block_interval_seconds: node.block_interval_seconds.get_or_create_owned(&label),
            commit_latency_seconds: node.commit_latency_seconds.get_or_create_owned(&label),
            round: node.round.get_or_create_owned(&label),
            peers: node.peers.get_or_create_owned(&label),
            transactions_forwarding: node.transactions_forwarding.get_or_create_owned(&label),
            heard_height: node.heard_height.get_or_create_owned(&label),
            equivocations: node.equivocations.get_or_create_owned(&label),
            proposals_not_from_proposer: node
                .proposals_not_from_proposer
                .get_or_create_owned(&label),
            halted: node.halted.get_or_create_owned(&label),
            failed: node.failed.get_or_create_owned(&label),
            anchor_lag_blocks: node.anchor_lag_blocks.get_or_create_owned(&label),
            anchor_lag_seconds: node.anchor_lag_seconds.get_or_create_owned(&label),
            anchor_overdue: node.anchor_overdue.get_or_create_owned(&label),
            node: Arc::clone(node),
        }
    }

    /// Counts an invalid or oversized message from `peer`.
    pub fn count_invalid(&self, peer: String) {
        self.node
            .invalid_messages
            .get_or_create(&PeerLabel {
                chain: self.chain.clone(),
                peer,
            })
            .inc();
    }

    /// Counts `count` messages shed at `stage` (see [`ShedLabel`]).
    pub fn count_shed(&self, stage: &str, count: u64) {
        self.node
            .messages_shed
            .get_or_create(&ShedLabel {
                chain: self.chain.clone(),
                stage: stage.to_string(),
            })
            .inc_by(count);
    }

    /// Counts a peer's proposal executed to judge it.
    pub fn count_executed(&self, proposer: String) {
        self.node
            .proposals_executed
            .get_or_create(&ProposerLabel {
                chain: self.chain.clone(),
                proposer,
            })
            .inc();
    }

    /// The process's metrics, every chain's.
    pub fn node(&self) -> &Arc<NodeMetrics> {
        &self.node
    }

    /// The OpenMetrics text of every metric of every chain this process hosts.
    pub fn render(&self) -> String {
        self.node.render()
    }
}
