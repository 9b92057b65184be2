//! Prometheus metrics of one chain, served at `/metrics` in the OpenMetrics text format.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The chain's metrics. Cloning shares them.
#[derive(Debug)]
pub struct ChainMetrics {
    registry: Registry,
    pub height: Gauge,
    pub mempool_size: Gauge,
    pub committed_transactions: Counter,
    pub rejected_transactions: Counter,
    /// Header time between consecutive blocks.
    pub block_interval_seconds: Histogram,
    /// From the start of building a block to its synced write.
    pub commit_latency_seconds: Histogram,
}

impl Default for ChainMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("catena");
        let height = Gauge::default();
        let mempool_size = Gauge::default();
        let committed_transactions = Counter::default();
        let rejected_transactions = Counter::default();
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
            "block_interval_seconds",
            "Time between consecutive blocks, from their headers",
            block_interval_seconds.clone(),
        );
        registry.register(
            "commit_latency_seconds",
            "Time from starting to build a block to its synced write",
            commit_latency_seconds.clone(),
        );
        ChainMetrics {
            registry,
            height,
            mempool_size,
            committed_transactions,
            rejected_transactions,
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
