//! Starting and stopping `catena` processes on this machine: the one launcher of local networks
//! ([`network::LocalNetwork`]), used by `catena testnet`, the demo, the bench and the test
//! harness, and child processes under deadlines ([`process`]): no wait on a child is unbounded,
//! and a child past its deadline is killed with its process group.
//!
//! The CLI depends on this crate; the test harness (`catena-testing`) builds on it, never the
//! other way round.

pub mod network;
pub mod process;
