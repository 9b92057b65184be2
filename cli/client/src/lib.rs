//! A blocking client of a Catena node's HTTP API ([`ApiClient`]) and a signer that counts its
//! account's nonce ([`Signer`]). The `catena` CLI, `catena-bench` and the test harness use it;
//! it depends on the API's views and the primitives only, never on the harness.

mod client;
mod signer;

/// Evidence bundles (`catena-evidence`), exported from a node through an [`ApiClient`].
pub use catena_evidence as evidence;

pub use client::{batch_submission, ApiClient, NodeError, Reply};
pub use signer::Signer;

impl catena_evidence::Source for ApiClient {
    fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        ApiClient::get(self, path)
    }
}
