//! Catena's test harness (`publish = false`): [`TestNetwork::builder()`] and node handles
//! ([`TestNode`]) for multi-process tests, on the launcher of local networks
//! ([`catena_launcher::network::LocalNetwork`]) that `catena testnet`, the demo and the bench use;
//! waits that poll with a deadline and, when it passes, print what they waited for and the last
//! lines of every running node's log ([`wait_for`]); the `catena` command line run under a
//! deadline ([`cli::Cli`], [`catena`]); and transaction loads for fault tests: [`load::Load`]
//! (steady, re-sent until committed) and [`acked::AckedLoad`] (counts each 202, never re-sends it).

pub mod acked;
pub mod cli;
pub mod docs;
pub mod links;
pub mod load;
pub mod network;
pub mod node;
pub mod watch;

pub use catena_client::{ApiClient, Reply, Signer};
pub use catena_launcher::{network as launcher, process};
pub use network::TestNetwork;
pub use node::*;
pub use watch::wait_for;
