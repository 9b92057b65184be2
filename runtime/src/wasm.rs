//! The contract sandbox: wasmtime configured for determinism, a cache of compiled modules by
//! code hash with their imports linked once, and host ABI `catena_v1` (docs/abi.md).
//!
//! Determinism: fuel metering (every call has a budget; running out is a trap at the same
//! instruction on every node), NaN canonicalisation, no threads, no relaxed SIMD, no memory64
//! or multi-memory, a fixed native stack budget for wasm frames, one linear memory of at most
//! [`MAX_MEMORY_BYTES`] per instance, and a pinned wasmtime version (ADR 0012). The host
//! functions read nothing but their arguments, the call's context and the state overlay.

use std::collections::BTreeMap;
use std::sync::Arc;

use catena_primitives::{AccountId, Hash};

use crate::Entry;
use parking_lot::Mutex;
use wasmtime::{
    Caller, Config, Enabled, Engine, InstanceAllocationStrategy, InstancePre, Linker, Memory,
    Module, PoolConcurrencyLimitError, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder, Trap,
};

use catena_abi::fuel::{
    ED25519_VERIFY_BYTES, PER_BYTE as FUEL_PER_BYTE, PER_HOST_CALL as FUEL_PER_HOST_CALL,
    PER_LISTING_STEP as FUEL_PER_LISTING_STEP, PER_NESTED_CALL as FUEL_PER_NESTED_CALL,
    PER_SCHEDULED_CALL as FUEL_PER_SCHEDULED_CALL, PER_STORED_BYTE as FUEL_PER_STORED_BYTE,
};
use catena_abi::{code, function, INIT_METHOD, MAX_ABORT_BYTES, MAX_METHOD_BYTES, MAX_TOPIC_BYTES};
pub use catena_abi::{
    MAX_CALL_DEPTH, MAX_CODE_BYTES, MAX_EVENTS, MAX_EVENT_BYTES, MAX_KEY_BYTES, MAX_MEMORY_BYTES,
    MAX_RETURN_BYTES, MAX_SCHEDULED_INPUT_BYTES, MAX_SCHEDULED_PER_CALL, MAX_TABLE_ELEMENTS,
    MAX_VALUE_BYTES, MAX_WASM_STACK_BYTES, MODULE as ABI_MODULE,
};

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

/// A compiled module with its imports linked, and its code's length (what a nested call pays
/// for loading it).
#[derive(Clone)]
pub struct Prepared {
    pre: InstancePre<HostState>,
    code_len: usize,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("code_len", &self.code_len)
            .finish()
    }
}

/// Compiles, caches and runs contracts. One per node; cloning shares the cache.
#[derive(Clone)]
pub struct ContractEngine {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    /// Compiled modules by code hash.
    cache: Arc<Mutex<BTreeMap<Hash, Prepared>>>,
}

impl std::fmt::Debug for ContractEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractEngine")
            .field("cached_modules", &self.cache.lock().len())
            .finish()
    }
}

/// Threads, GC and the component model are not even compiled in (wasmtime's `threads`, `gc`
/// and `component-model` features are off), so no module can use them.
/// The process's engine: one compiled-module cache for every chain this node runs.
pub fn shared() -> &'static ContractEngine {
    static ENGINE: std::sync::OnceLock<ContractEngine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        ContractEngine::new().expect("the deterministic wasmtime configuration is valid")
    })
}

/// Contract instances that may be alive at once in one process (each call's instance and its
/// nested callees'): the pooling allocator keeps this many memory, table and instance slots
/// mapped and reuses them, so instantiation maps nothing. Read-only queries take at most
/// [`MAX_CONCURRENT_QUERIES`] × [`MAX_CALL_DEPTH`] of them, so block execution always finds one.
pub const INSTANCE_SLOTS: u32 = 256;
/// Read-only calls (API queries) that may run at once; more wait for a slot.
pub const MAX_CONCURRENT_QUERIES: usize = 32;
/// Of a slot's memory, how much is reset with `memset` of the pages the call dirtied (found by
/// the kernel's PAGEMAP_SCAN where available) instead of being unmapped: contract calls touch a
/// few pages, which then stay resident for the next call.
const KEEP_RESIDENT_BYTES: usize = 1 << 20;

/// Holds one of the [`MAX_CONCURRENT_QUERIES`] query places while alive.
#[derive(Debug)]
pub struct QuerySlot(());

static QUERIES: (parking_lot::Mutex<usize>, parking_lot::Condvar) =
    (parking_lot::Mutex::new(0), parking_lot::Condvar::new());

/// Waits for a place among the read-only calls that may run at once, so that queries never
/// take the instance slots block execution needs.
pub fn query_slot() -> QuerySlot {
    let mut running = QUERIES.0.lock();
    while *running >= MAX_CONCURRENT_QUERIES {
        QUERIES.1.wait(&mut running);
    }
    *running += 1;
    QuerySlot(())
}

impl Drop for QuerySlot {
    fn drop(&mut self) {
        *QUERIES.0.lock() -= 1;
        QUERIES.1.notify_one();
    }
}

fn pooling_config() -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(INSTANCE_SLOTS)
        .total_memories(INSTANCE_SLOTS)
        .total_tables(INSTANCE_SLOTS)
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        .max_memory_size(MAX_MEMORY_BYTES)
        .table_elements(MAX_TABLE_ELEMENTS)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    pool
}

fn deterministic_config() -> Config {
    let mut config = Config::new();
    config
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config()))
        .consume_fuel(true)
        .cranelift_nan_canonicalization(true)
        .wasm_relaxed_simd(false)
        .wasm_memory64(false)
        .wasm_multi_memory(false)
        .max_wasm_stack(MAX_WASM_STACK_BYTES)
        .wasm_backtrace(false);
    config
}

impl ContractEngine {
    pub fn new() -> Result<ContractEngine, ContractError> {
        let engine = Engine::new(&deterministic_config())
            .map_err(|e| ContractError::InvalidCode(format!("engine: {e}")))?;
        let mut linker = Linker::new(&engine);
        link_abi(&mut linker).map_err(|e| ContractError::InvalidCode(format!("abi: {e}")))?;
        Ok(ContractEngine {
            engine,
            linker: Arc::new(linker),
            cache: Arc::new(Mutex::new(BTreeMap::new())),
        })
    }

    /// Checks that `code` is a module this runtime can run: size, validity, imports only from
    /// [`ABI_MODULE`], a `memory` export. Returns its code hash.
    pub fn validate(&self, code: &[u8]) -> Result<Hash, ContractError> {
        self.prepare(code).map(|(hash, _)| hash)
    }

    fn prepare(&self, code: &[u8]) -> Result<(Hash, InstancePre<HostState>), ContractError> {
        if code.len() > MAX_CODE_BYTES {
            return Err(ContractError::InvalidCode(format!(
                "{} bytes, over the limit of {MAX_CODE_BYTES}",
                code.len()
            )));
        }
        let hash = Hash::digest(code);
        self.compile(hash, code).map(|pre| (hash, pre))
    }

    /// The compiled module of the code with this hash, loading the code only if it is not
    /// cached (code is stored under its hash, so the hash names it). Also its code's length.
    pub fn prepare_hashed(
        &self,
        hash: Hash,
        load: impl FnOnce() -> Result<Vec<u8>, ContractError>,
    ) -> Result<Prepared, ContractError> {
        if let Some(cached) = self.cache.lock().get(&hash) {
            return Ok(cached.clone());
        }
        let code = load()?;
        if Hash::digest(&code) != hash {
            return Err(ContractError::State(format!(
                "the code stored under {hash} has another hash"
            )));
        }
        let code_len = code.len();
        self.compile(hash, &code)
            .map(|pre| Prepared { pre, code_len })
    }

    fn compile(&self, hash: Hash, code: &[u8]) -> Result<InstancePre<HostState>, ContractError> {
        if let Some(cached) = self.cache.lock().get(&hash) {
            return Ok(cached.pre.clone());
        }
        let module = Module::from_binary(&self.engine, code)
            .map_err(|e| ContractError::InvalidCode(format!("{e:#}")))?;
        for import in module.imports() {
            if import.module() != ABI_MODULE {
                return Err(ContractError::InvalidCode(format!(
                    "imports '{}.{}': contracts may import only from '{ABI_MODULE}'",
                    import.module(),
                    import.name()
                )));
            }
        }
        if module.get_export("memory").is_none() {
            return Err(ContractError::InvalidCode(
                "exports no memory named 'memory'".into(),
            ));
        }
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| ContractError::InvalidCode(format!("{e:#}")))?;
        self.cache.lock().insert(
            hash,
            Prepared {
                pre: pre.clone(),
                code_len: code.len(),
            },
        );
        Ok(pre)
    }

    /// Whether `code` (valid, see [`ContractEngine::validate`]) exports a function `name`.
    pub fn exports(&self, code: &[u8], name: &str) -> bool {
        self.prepare(code)
            .map(|(_, pre)| {
                pre.module()
                    .get_export(name)
                    .is_some_and(|e| e.func().is_some())
            })
            .unwrap_or(false)
    }

    /// Calls `entry` (an exported `() -> ()` function) of `contract`, running `code`, with
    /// `input`, at most `fuel`. Its writes reach `world` only if it succeeds.
    #[allow(clippy::too_many_arguments)]
    pub fn call(
        &self,
        contract: Hash,
        code: &[u8],
        entry: &str,
        input: &[u8],
        context: CallContext,
        world: &mut dyn World,
        fuel: u64,
    ) -> CallOutcome {
        match self.prepare(code) {
            Ok((_, pre)) => self.call_on_stack(
                contract,
                Vec::new(),
                &pre,
                entry,
                input,
                context,
                world,
                fuel,
            ),
            Err(e) => failed(e),
        }
    }

    /// [`ContractEngine::call`] of a module from [`ContractEngine::prepare_hashed`].
    #[allow(clippy::too_many_arguments)]
    pub fn call_prepared(
        &self,
        contract: Hash,
        prepared: &Prepared,
        entry: &str,
        input: &[u8],
        context: CallContext,
        world: &mut dyn World,
        fuel: u64,
    ) -> CallOutcome {
        self.call_on_stack(
            contract,
            Vec::new(),
            &prepared.pre,
            entry,
            input,
            context,
            world,
            fuel,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn call_on_stack(
        &self,
        contract: Hash,
        stack: Vec<Hash>,
        pre: &InstancePre<HostState>,
        entry: &str,
        input: &[u8],
        context: CallContext,
        world: &mut dyn World,
        fuel: u64,
    ) -> CallOutcome {
        let frame = Frame {
            engine: self.clone(),
            contract,
            stack,
            context,
        };
        run(pre, frame, entry, input, world, fuel)
    }
}

fn failed(error: ContractError) -> CallOutcome {
    CallOutcome {
        result: Err(error),
        fuel_used: 0,
        events: Vec::new(),
    }
}

/// Who runs: the engine, the contract, the contracts below it, the call's facts.
struct Frame {
    engine: ContractEngine,
    contract: Hash,
    stack: Vec<Hash>,
    context: CallContext,
}

/// The call's writes, kept apart until it succeeds: a failed call changes nothing. Keys are the
/// contract id followed by the contract's key.
struct Buffered<'a> {
    base: &'a mut dyn World,
    writes: crate::Changes,
    scheduled: Vec<ScheduledCall>,
}

fn full_key(contract: &Hash, key: &[u8]) -> Vec<u8> {
    let mut full = contract.0.to_vec();
    full.extend_from_slice(key);
    full
}

impl World for Buffered<'_> {
    fn get(&self, contract: &Hash, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        match self.writes.get(&full_key(contract, key)) {
            Some(value) => Ok(value.clone()),
            None => self.base.get(contract, key),
        }
    }
    fn next(
        &self,
        contract: &Hash,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<Entry>, String> {
        let found = crate::next_in_layers(
            &[&self.writes],
            &full_key(contract, prefix),
            after.map(|a| full_key(contract, a)).as_deref(),
            |p, a| {
                let below = self.base.next(contract, &p[32..], a.map(|a| &a[32..]))?;
                Ok::<_, String>(below.map(|(k, v)| (full_key(contract, &k), v)))
            },
        )?;
        Ok(found.map(|(k, v)| (k[32..].to_vec(), v)))
    }
    fn set(&mut self, contract: &Hash, key: &[u8], value: &[u8]) {
        self.writes
            .insert(full_key(contract, key), Some(value.to_vec()));
    }
    fn remove(&mut self, contract: &Hash, key: &[u8]) {
        self.writes.insert(full_key(contract, key), None);
    }
    fn code_hash_of(&self, contract: &Hash) -> Result<Hash, String> {
        self.base.code_hash_of(contract)
    }
    fn code(&self, hash: &Hash) -> Result<Vec<u8>, String> {
        self.base.code(hash)
    }
    fn next_schedule_id(&mut self) -> Result<u64, String> {
        self.base.next_schedule_id()
    }
    fn schedule(&mut self, call: ScheduledCall) {
        self.scheduled.push(call);
    }
}

fn run(
    pre: &InstancePre<HostState>,
    frame: Frame,
    entry: &str,
    input: &[u8],
    world: &mut dyn World,
    fuel: u64,
) -> CallOutcome {
    let engine = frame.engine.engine.clone();
    let state = HostState {
        limits: StoreLimitsBuilder::new()
            .memory_size(MAX_MEMORY_BYTES)
            .memories(1)
            .tables(1)
            .table_elements(MAX_TABLE_ELEMENTS)
            .instances(1)
            .trap_on_grow_failure(true)
            .build(),
        engine: frame.engine,
        contract: frame.contract,
        stack: frame.stack,
        context: frame.context,
        input: input.to_vec(),
        output: None,
        events: Vec::new(),
        failure: None,
        scheduled: 0,
    };
    let mut store: Store<HostState> = Store::new(&engine, state);
    store.limiter(|s| &mut s.limits);
    let mut buffered = Buffered {
        base: world,
        writes: crate::Changes::new(),
        scheduled: Vec::new(),
    };
    let outcome = call_world::using(&mut buffered, || {
        store
            .set_fuel(fuel)
            .map_err(|e| ContractError::Trap(e.to_string()))?;
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| classify(e, &mut None))?;
        let function = instance
            .get_typed_func::<(), ()>(&mut store, entry)
            .map_err(|_| ContractError::Abi(format!("the contract has no method '{entry}'")))?;
        function
            .call(&mut store, ())
            .map_err(|e| classify(e, &mut store.data_mut().failure))?;
        Ok(())
    });
    let remaining = store.get_fuel().unwrap_or(0);
    let fuel_used = fuel.saturating_sub(remaining);
    let state = store.into_data();
    let Buffered {
        base,
        writes,
        scheduled,
    } = buffered;
    match outcome {
        Ok(()) => {
            for call in scheduled {
                base.schedule(call);
            }
            for (key, value) in writes {
                let contract = Hash(key[..32].try_into().expect("a full key starts with the id"));
                match value {
                    Some(value) => base.set(&contract, &key[32..], &value),
                    None => base.remove(&contract, &key[32..]),
                }
            }
            CallOutcome {
                result: Ok(state.output.unwrap_or_default()),
                fuel_used,
                events: state.events,
            }
        }
        Err(e) => {
            // A trap burns the whole budget: wasmtime does not account the fuel of the last
            // stretch before a trap raised inside a builtin (memory.grow, for one), and a
            // contract that traps should pay for everything it was allowed. Failures the host
            // detects (the contract's own abort, an ABI rule) cost what was used.
            let fuel_used = match e {
                ContractError::Aborted(_) | ContractError::Abi(_) | ContractError::State(_) => {
                    fuel_used
                }
                _ => fuel,
            };
            CallOutcome {
                result: Err(e),
                fuel_used,
                events: Vec::new(),
            }
        }
    }
}

fn classify(error: wasmtime::Error, failure: &mut Option<ContractError>) -> ContractError {
    if let Some(reason) = failure.take() {
        return reason;
    }
    // Every slot in use is this node's condition, not the contract's: the block cannot be
    // executed here now (like a failed state read), and no receipt may record it.
    if let Some(full) = error.downcast_ref::<PoolConcurrencyLimitError>() {
        return ContractError::State(format!("no free contract instance slot: {full}"));
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => ContractError::OutOfFuel,
        Some(Trap::StackOverflow) => ContractError::StackOverflow,
        Some(trap) => ContractError::Trap(trap.to_string()),
        None if format!("{error:#}").contains("forcing trap when growing memory") => {
            ContractError::MemoryLimit
        }
        None => ContractError::Trap(format!("{error:#}")),
    }
}

fn memory(caller: &mut Caller<'_, HostState>) -> Result<Memory, wasmtime::Error> {
    caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| wasmtime::Error::msg("no memory export"))
}

/// Fails the call with `reason` (kept so the receipt says exactly what went wrong).
/// Stops the call because state could not be read: the whole block cannot be executed here.
fn fail_state<T>(caller: &mut Caller<'_, HostState>, error: String) -> Result<T, wasmtime::Error> {
    caller.data_mut().failure = Some(ContractError::State(error.clone()));
    Err(wasmtime::Error::msg(error))
}

fn refuse<T>(caller: &mut Caller<'_, HostState>, reason: String) -> Result<T, wasmtime::Error> {
    caller.data_mut().failure = Some(ContractError::Abi(reason.clone()));
    Err(wasmtime::Error::msg(reason))
}

fn charge(
    caller: &mut Caller<'_, HostState>,
    bytes: usize,
    per_byte: u64,
) -> Result<(), wasmtime::Error> {
    let cost = FUEL_PER_HOST_CALL + bytes as u64 * per_byte;
    let left = caller.get_fuel()?;
    if left < cost {
        caller.set_fuel(0)?;
        caller.data_mut().failure = Some(ContractError::OutOfFuel);
        return Err(wasmtime::Error::msg("out of fuel"));
    }
    caller.set_fuel(left - cost)?;
    Ok(())
}

fn read_bytes(
    caller: &mut Caller<'_, HostState>,
    ptr: i32,
    len: i32,
    limit: usize,
    what: &str,
) -> Result<Vec<u8>, wasmtime::Error> {
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > limit {
        return refuse(
            caller,
            format!("{what} of {len} bytes exceeds the limit of {limit}"),
        );
    }
    charge(caller, len, FUEL_PER_BYTE)?;
    let memory = memory(caller)?;
    let mut buf = vec![0u8; len];
    let offset = u32::try_from(ptr).map_err(|_| wasmtime::Error::msg("negative pointer"))?;
    if memory.read(&*caller, offset as usize, &mut buf).is_err() {
        return refuse(caller, format!("{what} lies outside the contract's memory"));
    }
    Ok(buf)
}

fn write_bytes(
    caller: &mut Caller<'_, HostState>,
    ptr: i32,
    bytes: &[u8],
    what: &str,
) -> Result<(), wasmtime::Error> {
    charge(caller, bytes.len(), FUEL_PER_BYTE)?;
    let memory = memory(caller)?;
    let offset = u32::try_from(ptr).map_err(|_| wasmtime::Error::msg("negative pointer"))?;
    if memory.write(&mut *caller, offset as usize, bytes).is_err() {
        return refuse(
            caller,
            format!("{what} does not fit in the contract's memory"),
        );
    }
    Ok(())
}

/// `storage_read` of `contract`'s storage (the running contract's own, or another's, read-only):
/// −1 if the key is absent, else the value's length; the value is copied only if it fits.
fn read_storage(
    caller: &mut Caller<'_, HostState>,
    contract: Hash,
    key_ptr: i32,
    key_len: i32,
    out_ptr: i32,
    out_cap: i32,
) -> Result<i32, wasmtime::Error> {
    let key = read_bytes(caller, key_ptr, key_len, MAX_KEY_BYTES, "a storage key")?;
    let read = call_world::with(|w| w.get(&contract, &key))
        .unwrap_or_else(|| Err("no storage is attached to this call".into()));
    let value = match read {
        Ok(value) => value,
        Err(e) => return fail_state(caller, e),
    };
    let Some(value) = value else {
        return Ok(code::ABSENT);
    };
    // The value's length is always returned; it is copied only if it fits.
    if value.len() <= usize::try_from(out_cap).unwrap_or(0) {
        write_bytes(caller, out_ptr, &value, "a storage value")?;
    } else {
        charge(caller, value.len(), FUEL_PER_BYTE)?;
    }
    Ok(value.len() as i32)
}

/// Links every host function of [`ABI_MODULE`]; docs/abi.md documents each.
fn link_abi(linker: &mut Linker<HostState>) -> Result<(), wasmtime::Error> {
    linker.func_wrap(
        ABI_MODULE,
        function::INPUT_LEN,
        |caller: Caller<'_, HostState>| -> i32 { caller.data().input.len() as i32 },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::INPUT_READ,
        |mut caller: Caller<'_, HostState>, ptr: i32| -> Result<(), wasmtime::Error> {
            let input = caller.data().input.clone();
            write_bytes(&mut caller, ptr, &input, "the input")
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::RETURN_DATA,
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| -> Result<(), wasmtime::Error> {
            let data = read_bytes(&mut caller, ptr, len, MAX_RETURN_BYTES, "return data")?;
            caller.data_mut().output = Some(data);
            Ok(())
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::ABORT,
        |mut caller: Caller<'_, HostState>, ptr: i32, len: i32| -> Result<(), wasmtime::Error> {
            let message = read_bytes(&mut caller, ptr, len, MAX_ABORT_BYTES, "the abort message")?;
            let message = String::from_utf8_lossy(&message).into_owned();
            caller.data_mut().failure = Some(ContractError::Aborted(message.clone()));
            Err(wasmtime::Error::msg(message))
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::STORAGE_READ,
        |mut caller: Caller<'_, HostState>,
         key_ptr: i32,
         key_len: i32,
         out_ptr: i32,
         out_cap: i32|
         -> Result<i32, wasmtime::Error> {
            let contract = caller.data().contract;
            read_storage(&mut caller, contract, key_ptr, key_len, out_ptr, out_cap)
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::STORAGE_READ_OF,
        |mut caller: Caller<'_, HostState>,
         id_ptr: i32,
         key_ptr: i32,
         key_len: i32,
         out_ptr: i32,
         out_cap: i32|
         -> Result<i32, wasmtime::Error> {
            let id = read_bytes(&mut caller, id_ptr, 32, 32, "a contract id")?;
            let contract = Hash(id.try_into().expect("read 32 bytes"));
            read_storage(&mut caller, contract, key_ptr, key_len, out_ptr, out_cap)
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::STORAGE_WRITE,
        |mut caller: Caller<'_, HostState>,
         key_ptr: i32,
         key_len: i32,
         value_ptr: i32,
         value_len: i32|
         -> Result<(), wasmtime::Error> {
            let key = read_bytes(
                &mut caller,
                key_ptr,
                key_len,
                MAX_KEY_BYTES,
                "a storage key",
            )?;
            let value = read_bytes(
                &mut caller,
                value_ptr,
                value_len,
                MAX_VALUE_BYTES,
                "a storage value",
            )?;
            charge(&mut caller, key.len() + value.len(), FUEL_PER_STORED_BYTE)?;
            let contract = caller.data().contract;
            call_world::with(|w| w.set(&contract, &key, &value));
            Ok(())
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::STORAGE_NEXT,
        |mut caller: Caller<'_, HostState>,
         prefix_ptr: i32,
         prefix_len: i32,
         after_ptr: i32,
         after_len: i32,
         out_ptr: i32,
         out_cap: i32|
         -> Result<i32, wasmtime::Error> {
            let prefix = read_bytes(
                &mut caller,
                prefix_ptr,
                prefix_len,
                MAX_KEY_BYTES,
                "a prefix",
            )?;
            let after = if after_len < 0 {
                None
            } else {
                Some(read_bytes(
                    &mut caller,
                    after_ptr,
                    after_len,
                    MAX_KEY_BYTES,
                    "a storage key",
                )?)
            };
            let contract = caller.data().contract;
            crate::take_layer_steps();
            let found = call_world::with(|w| w.next(&contract, &prefix, after.as_deref()))
                .unwrap_or_else(|| Err("no storage is attached to this call".into()));
            let steps = crate::take_layer_steps();
            charge(&mut caller, 0, 0)?;
            charge(&mut caller, steps as usize, FUEL_PER_LISTING_STEP)?;
            let entry = match found {
                Ok(entry) => entry,
                Err(e) => {
                    return fail_state(&mut caller, e);
                }
            };
            let Some((key, value)) = entry else {
                return Ok(code::ABSENT);
            };
            let mut record = vec![0; catena_abi::entry_record_len(&key, &value)];
            catena_abi::write_entry_record(&key, &value, &mut record);
            if record.len() <= usize::try_from(out_cap).unwrap_or(0) {
                write_bytes(&mut caller, out_ptr, &record, "a storage entry")?;
            } else {
                charge(&mut caller, record.len(), FUEL_PER_BYTE)?;
            }
            Ok(record.len() as i32)
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::STORAGE_REMOVE,
        |mut caller: Caller<'_, HostState>,
         key_ptr: i32,
         key_len: i32|
         -> Result<(), wasmtime::Error> {
            let key = read_bytes(
                &mut caller,
                key_ptr,
                key_len,
                MAX_KEY_BYTES,
                "a storage key",
            )?;
            let contract = caller.data().contract;
            call_world::with(|w| w.remove(&contract, &key));
            Ok(())
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::ORIGIN,
        |mut caller: Caller<'_, HostState>, out_ptr: i32| -> Result<(), wasmtime::Error> {
            let account = caller.data().context.origin.0;
            write_bytes(&mut caller, out_ptr, &account, "the origin")
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::CALL_CONTRACT,
        |mut caller: Caller<'_, HostState>,
         id_ptr: i32,
         method_ptr: i32,
         method_len: i32,
         input_ptr: i32,
         input_len: i32,
         out_ptr: i32,
         out_cap: i32|
         -> Result<i32, wasmtime::Error> {
            let id = read_bytes(&mut caller, id_ptr, 32, 32, "a contract id")?;
            let callee = Hash(id.try_into().expect("32 bytes read"));
            let method = read_bytes(
                &mut caller,
                method_ptr,
                method_len,
                MAX_METHOD_BYTES,
                "a method name",
            )?;
            let Ok(method) = String::from_utf8(method) else {
                return refuse(&mut caller, "a method name must be UTF-8".into());
            };
            let input = read_bytes(
                &mut caller,
                input_ptr,
                input_len,
                MAX_VALUE_BYTES,
                "call input",
            )?;
            let (me, mut stack, engine, context) = {
                let d = caller.data();
                (
                    d.contract,
                    d.stack.clone(),
                    d.engine.clone(),
                    d.context.clone(),
                )
            };
            if stack.len() + 1 >= MAX_CALL_DEPTH {
                return refuse(
                    &mut caller,
                    format!("contract calls nest at most {MAX_CALL_DEPTH} deep"),
                );
            }
            if callee == me || stack.contains(&callee) {
                return refuse(&mut caller, format!("re-entrant call to contract {callee}"));
            }
            if method == INIT_METHOD {
                return refuse(
                    &mut caller,
                    "'init' runs only when a contract is created".into(),
                );
            }
            stack.push(me);
            let detached = || String::from("no world is attached to this call");
            let code_hash = match call_world::with(|w| w.code_hash_of(&callee))
                .unwrap_or_else(|| Err(detached()))
            {
                Ok(hash) => hash,
                Err(reason) => return refuse(&mut caller, reason),
            };
            let load = || {
                call_world::with(|w| w.code(&code_hash))
                    .unwrap_or_else(|| Err(detached()))
                    .map_err(ContractError::State)
            };
            let Prepared { pre, code_len } = match engine.prepare_hashed(code_hash, load) {
                Ok(prepared) => prepared,
                Err(ContractError::State(e)) => {
                    return fail_state(&mut caller, e);
                }
                Err(e) => return refuse(&mut caller, e.to_string()),
            };
            // Loading and instantiating the callee is paid for by the caller.
            charge(&mut caller, code_len, FUEL_PER_BYTE)?;
            charge(&mut caller, 0, 0)?;
            charge(
                &mut caller,
                (FUEL_PER_NESTED_CALL / FUEL_PER_BYTE) as usize,
                FUEL_PER_BYTE,
            )?;
            let fuel = caller.get_fuel()?;
            let nested = CallContext {
                caller: AccountId(me.0),
                ..context
            };
            let outcome = call_world::with(|w| {
                engine.call_on_stack(callee, stack, &pre, &method, &input, nested, w, fuel)
            })
            .unwrap_or_else(|| CallOutcome {
                result: Err(ContractError::State(
                    "no world is attached to this call".into(),
                )),
                fuel_used: 0,
                events: Vec::new(),
            });
            caller.set_fuel(fuel.saturating_sub(outcome.fuel_used))?;
            match outcome.result {
                Ok(output) => {
                    if caller.data().events.len() + outcome.events.len() > MAX_EVENTS {
                        return refuse(
                            &mut caller,
                            format!("more than {MAX_EVENTS} events in one call"),
                        );
                    }
                    caller.data_mut().events.extend(outcome.events);
                    if output.len() <= usize::try_from(out_cap).unwrap_or(0) {
                        write_bytes(&mut caller, out_ptr, &output, "the call's output")?;
                    }
                    Ok(output.len() as i32)
                }
                Err(e) => refuse(
                    &mut caller,
                    format!("call to contract {callee} '{method}' failed: {e}"),
                ),
            }
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::SELF_ID,
        |mut caller: Caller<'_, HostState>, out_ptr: i32| -> Result<(), wasmtime::Error> {
            let id = caller.data().contract.0;
            write_bytes(&mut caller, out_ptr, &id, "the contract id")
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::SCHEDULE_CALL,
        |mut caller: Caller<'_, HostState>,
         at_ms: i64,
         method_ptr: i32,
         method_len: i32,
         input_ptr: i32,
         input_len: i32|
         -> Result<i64, wasmtime::Error> {
            if caller.data().scheduled >= MAX_SCHEDULED_PER_CALL {
                return refuse(
                    &mut caller,
                    format!("a call may schedule at most {MAX_SCHEDULED_PER_CALL} calls"),
                );
            }
            let method = read_bytes(
                &mut caller,
                method_ptr,
                method_len,
                MAX_METHOD_BYTES,
                "a method name",
            )?;
            let Ok(method) = String::from_utf8(method) else {
                return refuse(&mut caller, "a method name must be UTF-8".into());
            };
            if method == INIT_METHOD {
                return refuse(&mut caller, "'init' cannot be scheduled".into());
            }
            let input = read_bytes(
                &mut caller,
                input_ptr,
                input_len,
                MAX_SCHEDULED_INPUT_BYTES,
                "a scheduled call's input",
            )?;
            charge(
                &mut caller,
                method.len() + input.len() + 56,
                FUEL_PER_STORED_BYTE,
            )?;
            charge(
                &mut caller,
                (FUEL_PER_SCHEDULED_CALL / FUEL_PER_BYTE) as usize,
                FUEL_PER_BYTE,
            )?;
            // A time already reached means the next block: the calls due in this block have
            // run before its transactions.
            let now = caller.data().context.block_time_ms;
            let at_ms = u64::try_from(at_ms).unwrap_or(0).max(now + 1);
            let contract = caller.data().contract;
            let id = match call_world::with(|w| w.next_schedule_id())
                .unwrap_or_else(|| Err("no world is attached to this call".into()))
            {
                Ok(id) => id,
                Err(e) => {
                    return fail_state(&mut caller, e);
                }
            };
            call_world::with(|w| {
                w.schedule(ScheduledCall {
                    id,
                    at_ms,
                    contract,
                    method,
                    input,
                    failures: 0,
                })
            });
            caller.data_mut().scheduled += 1;
            Ok(id as i64)
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::CALLER,
        |mut caller: Caller<'_, HostState>, out_ptr: i32| -> Result<(), wasmtime::Error> {
            let account = caller.data().context.caller.0;
            write_bytes(&mut caller, out_ptr, &account, "the caller")
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::BLOCK_HEIGHT,
        |caller: Caller<'_, HostState>| -> i64 { caller.data().context.block_height as i64 },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::BLOCK_TIME_MS,
        |caller: Caller<'_, HostState>| -> i64 { caller.data().context.block_time_ms as i64 },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::EMIT_EVENT,
        |mut caller: Caller<'_, HostState>,
         topic_ptr: i32,
         topic_len: i32,
         data_ptr: i32,
         data_len: i32|
         -> Result<(), wasmtime::Error> {
            if caller.data().events.len() >= MAX_EVENTS {
                return refuse(
                    &mut caller,
                    format!("more than {MAX_EVENTS} events in one call"),
                );
            }
            let topic = read_bytes(
                &mut caller,
                topic_ptr,
                topic_len,
                MAX_TOPIC_BYTES,
                "an event topic",
            )?;
            let data = read_bytes(
                &mut caller,
                data_ptr,
                data_len,
                MAX_EVENT_BYTES,
                "event data",
            )?;
            let contract = caller.data().contract;
            caller.data_mut().events.push(Event {
                contract,
                topic,
                data,
            });
            Ok(())
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::SHA256,
        |mut caller: Caller<'_, HostState>,
         ptr: i32,
         len: i32,
         out_ptr: i32|
         -> Result<(), wasmtime::Error> {
            let data = read_bytes(&mut caller, ptr, len, MAX_VALUE_BYTES, "hashed data")?;
            let digest = Hash::digest(&data);
            write_bytes(&mut caller, out_ptr, &digest.0, "the digest")
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::ED25519_VERIFY,
        |mut caller: Caller<'_, HostState>,
         key_ptr: i32,
         msg_ptr: i32,
         msg_len: i32,
         sig_ptr: i32|
         -> Result<i32, wasmtime::Error> {
            // A signature check costs like hashing a few kilobytes.
            charge(&mut caller, 0, 0)?;
            charge(&mut caller, ED25519_VERIFY_BYTES, FUEL_PER_BYTE)?;
            let key = read_bytes(&mut caller, key_ptr, 32, 32, "a public key")?;
            let message = read_bytes(&mut caller, msg_ptr, msg_len, MAX_VALUE_BYTES, "a message")?;
            let signature = read_bytes(&mut caller, sig_ptr, 64, 64, "a signature")?;
            let key = AccountId(key.try_into().expect("32 bytes read"));
            let signature =
                catena_primitives::Signature(signature.try_into().expect("64 bytes read"));
            Ok(if key.verify(&message, &signature) {
                code::VALID
            } else {
                code::INVALID
            })
        },
    )?;
    Ok(())
}
