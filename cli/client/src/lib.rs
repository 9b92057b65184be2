//! A blocking client of a Catena node's HTTP API ([`ApiClient`]) and a signer that counts its
//! account's nonce ([`Signer`]). The `catena` CLI, `catena-bench` and the test harness use it;
//! it depends on the API's views and the primitives only, never on the harness.

mod client;
pub mod evidence;
mod signer;

pub use client::{ApiClient, Reply};
pub use signer::Signer;
