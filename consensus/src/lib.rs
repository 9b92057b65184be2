//! Block agreement as a pure state machine: [`tendermint::Tendermint::process`] takes an input
//! and returns the outputs (effects) the node must perform. No clock, no randomness, no I/O:
//! timeouts arrive as inputs, and signing, executing, persisting and committing are effects
//! performed by one driver in the node — for a chain of many validators and for a chain of one,
//! which decides each height alone (a quorum of one) with the same engine.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod tendermint;
