//! Catena's harness (`publish = false`). One launcher of local networks of node processes
//! ([`launcher::LocalNetwork`]), used by `catena testnet`, the demo, the bench and the tests;
//! [`TestNetwork::builder()`] and node handles ([`TestNode`]) for multi-process tests; the
//! blocking HTTP client of the node's API ([`client::ApiClient`]) the CLI and the bench use; and
//! a steady transaction [`load::Load`] for fault tests.

pub mod cli;
pub mod client;
pub mod launcher;
pub mod links;
pub mod load;
pub mod network;
pub mod node;
pub mod signer;

pub use client::{ApiClient, Reply};
pub use network::TestNetwork;
pub use node::*;
pub use signer::Signer;
