//! The contract sandbox: wasmtime configured for determinism, a cache of compiled modules by
//! code hash with their imports linked once, and host ABI `catena_v1` (docs/abi.md).
//!
//! Determinism: fuel metering (every call has a budget; running out is a trap at the same
//! instruction on every node), NaN canonicalisation, no threads, no relaxed SIMD, no memory64
//! or multi-memory, a call stack counted in stack units by the contract's own code (see
//! [`depth`]; the native stack limit is a backstop), one linear memory of at most
//! [`MAX_MEMORY_BYTES`] per instance, and a pinned wasmtime version (ADR 0012). The host
//! functions read nothing but their arguments, the call's context and the state overlay.

use std::sync::Arc;

use catena_primitives::{AccountId, Hash};
use parity_scale_codec::DecodeAll;

use crate::Entry;
use parking_lot::Mutex;
use wasmtime::{
    Caller, Config, Enabled, Engine, InstanceAllocationStrategy, InstancePre, Linker, Memory,
    Module, PoolConcurrencyLimitError, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder, Trap,
};

use catena_abi::fuel::{
    ED25519_VERIFY_BYTES, PER_BYTE as FUEL_PER_BYTE, PER_HASH as FUEL_PER_HASH,
    PER_HASHED_BYTE as FUEL_PER_HASHED_BYTE, PER_HOST_CALL as FUEL_PER_HOST_CALL,
    PER_LISTING_STEP as FUEL_PER_LISTING_STEP, PER_NESTED_CALL as FUEL_PER_NESTED_CALL,
    PER_SCHEDULED_CALL as FUEL_PER_SCHEDULED_CALL, PER_STORAGE_READ as FUEL_PER_STORAGE_READ,
    PER_STORED_BYTE as FUEL_PER_STORED_BYTE,
};
use catena_abi::{code, function, INIT_METHOD, MAX_ABORT_BYTES, MAX_METHOD_BYTES, MAX_TOPIC_BYTES};
pub use catena_abi::{
    MAX_CALL_DEPTH, MAX_CODE_BYTES, MAX_EVENTS, MAX_EVENT_BYTES, MAX_KEY_BYTES, MAX_MEMORY_BYTES,
    MAX_RETURN_BYTES, MAX_SCHEDULED_INPUT_BYTES, MAX_SCHEDULED_PER_CALL, MAX_TABLE_ELEMENTS,
    MAX_VALUE_BYTES, MAX_WASM_STACK_BYTES, MODULE as ABI_MODULE,
};
pub use depth::MAX_STACK_UNITS;

/// Contracts' storage and code as the sandbox sees them: each contract has its own key space;
/// the runtime backs this with the transaction's overlay.
pub trait World {
    fn get(&self, contract: &Hash, key: &[u8]) -> Result<Option<Vec<u8>>, String>;
    /// The first entry of `contract` whose key starts with `prefix` and sorts after `after`.
    fn next(
        &self,
        contract: &Hash,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<Entry>, String>;
    fn set(&mut self, contract: &Hash, key: &[u8], value: &[u8]);
    fn remove(&mut self, contract: &Hash, key: &[u8]);
    /// The hash of the code `contract` runs now, or why it cannot be called.
    fn code_hash_of(&self, contract: &Hash) -> Result<Hash, String>;
    /// Stored code by its hash.
    fn code(&self, hash: &Hash) -> Result<Vec<u8>, String>;
    /// The id of the next scheduled call, taken at once (a call that fails later leaves a gap).
    fn next_schedule_id(&mut self) -> Result<u64, String>;
    /// Records a scheduled call; kept only if the calls that made it succeed.
    fn schedule(&mut self, call: ScheduledCall);
}

/// A call a contract scheduled for itself (see docs/abi.md `schedule_call`).
#[derive(Clone, Debug, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode)]
pub struct ScheduledCall {
    pub id: u64,
    pub at_ms: u64,
    pub contract: Hash,
    pub method: String,
    pub input: Vec<u8>,
    /// How many times it ran and failed: a failed run is retried later, never dropped.
    pub failures: u32,
}

impl ScheduledCall {
    /// When a call that just failed at `now_ms` runs again: 1 s later, doubling with each
    /// failure up to an hour, so a call that keeps failing costs little and is never lost.
    pub fn retry_at(&self, now_ms: u64) -> u64 {
        let backoff = 1_000u64
            .checked_shl(self.failures.min(32))
            .unwrap_or(u64::MAX)
            .min(3_600_000);
        now_ms.saturating_add(backoff)
    }
}

/// The facts of the call a contract may read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallContext {
    /// The account that signed the transaction.
    pub origin: AccountId,
    /// Who called: the origin for a transaction's call, the calling contract's id (as 32
    /// bytes) for a call from another contract.
    pub caller: AccountId,
    pub block_height: u64,
    pub block_time_ms: u64,
    /// The consortium's invoice key on a parachain that keeps invoice claims (ADR 0031): what
    /// `invoice_fingerprint` computes with; never visible to the contract.
    pub invoice_key: Option<catena_primitives::invoice::InvoiceKey>,
}

/// An event a contract emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub contract: Hash,
    pub topic: Vec<u8>,
    pub data: Vec<u8>,
}

/// Why a contract call stopped without success. The same code, input, state and fuel give the
/// same error and the same fuel used on every node.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("out of fuel")]
    OutOfFuel,
    #[error("call stack exhausted (deep recursion)")]
    StackOverflow,
    #[error("memory limit of {MAX_MEMORY_BYTES} bytes exceeded")]
    MemoryLimit,
    #[error("trap: {0}")]
    Trap(String),
    /// The contract aborted with its own message.
    #[error("{0}")]
    Aborted(String),
    /// The contract broke a rule of the host ABI.
    #[error("{0}")]
    Abi(String),
    #[error("invalid contract code: {0}")]
    InvalidCode(String),
    #[error("state read failed: {0}")]
    State(String),
}

/// The outcome of one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    pub result: Result<Vec<u8>, ContractError>,
    pub fuel_used: u64,
    /// Events, only when the call succeeded.
    pub events: Vec<Event>,
}

// The world of the running call, reachable from host functions for the duration of the call
// only (a scoped thread-local: wasmtime runs host functions on the calling thread, and its store
// data must be 'static, so it cannot hold the borrow itself). Nested calls stack on it.
environmental::environmental!(call_world: trait World);

struct HostState {
    limits: StoreLimits,
    engine: ContractEngine,
    /// The running contract, and every contract below it on the call stack.
    contract: Hash,
    stack: Vec<Hash>,
    context: CallContext,
    input: Vec<u8>,
    output: Option<Vec<u8>>,
    events: Vec<Event>,
    /// Set by a host function that refused: the precise reason behind the trap.
    failure: Option<ContractError>,
    /// Calls this call scheduled.
    scheduled: u32,
}

mod call;
pub mod depth;
#[cfg(test)]
mod depth_tests;
mod engine;
mod host;

pub use engine::*;
use host::*;
