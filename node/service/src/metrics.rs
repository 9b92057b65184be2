//! Prometheus metrics of one chain, served at `/metrics` in the OpenMetrics text format.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The label of a per-peer metric: the peer's libp2p id. Only the chain spec's peers can
/// connect, so the number of series is bounded by the validator set.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerLabel {
    pub peer: String,
}

/// The label of a per-proposer metric: the proposer's account. Only a round's proposer gets
/// this far, so the number of series is bounded by the validator set.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProposerLabel {
    pub proposer: String,
}

/// The chain's metrics. Cloning shares them.
#[derive(Debug)]
pub struct ChainMetrics {
    registry: Registry,
    pub height: Gauge,
    pub mempool_size: Gauge,
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
    /// Invalid or oversized messages, by the peer that sent them.
    pub invalid_messages: Family<PeerLabel, Counter>,
    /// Validators caught signing two different votes in one round.
    pub equivocations: Counter,
    /// Proposals signed by a validator that does not lead their round: refused unexecuted.
    pub proposals_not_from_proposer: Counter,
    /// Peers' proposals executed to judge them, by proposer.
    pub proposals_executed: Family<ProposerLabel, Counter>,
    /// 1 once this node found it cannot reproduce a certified block and stopped voting.
    pub halted: Gauge,
}

impl Default for ChainMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("catena");
        let height = Gauge::default();
        let mempool_size = Gauge::default();
        let committed_transactions = Counter::default();
        let rejected_transactions = Counter::default();
        let signatures_checked_in_blocks = Counter::default();
        let block_interval_seconds = Histogram::new(exponential_buckets(0.05, 2.0, 12));
        let commit_latency_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "height",
            "Height of the latest committed block",
            height.clone(),
        );
        registry.register(
            "mempool_size",
            "Transactions waiting in the mempool",
            mempool_size.clone(),
        );
        registry.register(
            "committed_transactions",
            "Transactions committed in blocks",
            committed_transactions.clone(),
        );
        registry.register(
            "rejected_transactions",
            "Transactions refused at admission (invalid, replayed, non-member, mempool full)",
            rejected_transactions.clone(),
        );
        registry.register(
            "signatures_checked_in_blocks",
            "Transaction signatures checked while validating blocks (not already checked at admission)",
            signatures_checked_in_blocks.clone(),
        );
        registry.register(
            "block_interval_seconds",
            "Time between consecutive blocks, from their headers",
            block_interval_seconds.clone(),
        );
        registry.register(
            "commit_latency_seconds",
            "Time from starting to build a block to its synced write",
            commit_latency_seconds.clone(),
        );
        let round = Gauge::default();
        let peers = Gauge::default();
        let transactions_forwarding = Gauge::default();
        registry.register(
            "transactions_forwarding",
            "Transactions admitted through this node's API, still pending and sent again until included",
            transactions_forwarding.clone(),
        );
        let heard_height = Gauge::default();
        registry.register(
            "heard_height",
            "The highest committed height this node has heard of from the validators' votes",
            heard_height.clone(),
        );
        let invalid_messages = Family::<PeerLabel, Counter>::default();
        let equivocations = Counter::default();
        let halted = Gauge::default();
        registry.register(
            "voting_halted",
            "1 if this node cannot reproduce a certified block (state root mismatch) and stopped voting",
            halted.clone(),
        );
        registry.register(
            "consensus_round",
            "Consensus round at the current height",
            round.clone(),
        );
        registry.register("peers", "Connected peers", peers.clone());
        registry.register(
            "invalid_messages",
            "Invalid or oversized messages received, by peer",
            invalid_messages.clone(),
        );
        registry.register(
            "equivocations",
            "Conflicting votes detected (evidence of a faulty validator)",
            equivocations.clone(),
        );
        let proposals_not_from_proposer = Counter::default();
        let proposals_executed = Family::<ProposerLabel, Counter>::default();
        registry.register(
            "proposals_not_from_proposer",
            "Proposals signed by a validator that does not lead their round (refused before execution)",
            proposals_not_from_proposer.clone(),
        );
        registry.register(
            "proposals_executed",
            "Peers' proposals executed to judge them, by proposer",
            proposals_executed.clone(),
        );
        ChainMetrics {
            proposals_not_from_proposer,
            proposals_executed,
            round,
            peers,
            transactions_forwarding,
            heard_height,
            invalid_messages,
            equivocations,
            halted,
            registry,
            height,
            mempool_size,
            committed_transactions,
            rejected_transactions,
            signatures_checked_in_blocks,
            block_interval_seconds,
            commit_latency_seconds,
        }
    }
}

impl ChainMetrics {
    /// The OpenMetrics text of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}
