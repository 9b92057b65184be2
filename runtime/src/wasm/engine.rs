//! The engine: wasmtime configured for determinism, the pooling allocator and its query slots,
//! and the cache of compiled modules by code hash.

use super::*;

/// A compiled module with its imports linked, and its code's length (what a nested call pays
/// for loading it).
#[derive(Clone)]
pub struct Prepared {
    pub(super) pre: InstancePre<HostState>,
    pub(super) code_len: usize,
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
    pub(super) engine: Engine,
    linker: Arc<Linker<HostState>>,
    /// Compiled modules by code hash, the least recently used dropped first.
    cache: Arc<Mutex<ModuleCache>>,
}

impl std::fmt::Debug for ContractEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractEngine")
            .field("cache", &self.cache_usage())
            .finish()
    }
}

/// The compiled modules a node keeps by default: 256 MiB of machine code and code (a chain's
/// contracts take a few MiB; a node hosting many chains, or a chain where members upload many
/// contracts, recompiles the least recently used instead of growing).
pub const MODULE_CACHE_BYTES: usize = 256 << 20;

/// What the compiled-module cache holds: modules and their bytes (machine code and code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheUsage {
    pub modules: usize,
    pub bytes: usize,
    pub capacity_bytes: usize,
}

/// Compiled modules by code hash within a byte budget. Which modules are cached changes what a
/// call costs in time only, never its outcome or fuel: a call pays for its callee's code
/// whether it was cached or not.
struct ModuleCache {
    modules: lru::LruCache<Hash, (Prepared, usize)>,
    bytes: usize,
    capacity_bytes: usize,
}

impl ModuleCache {
    fn get(&mut self, hash: &Hash) -> Option<Prepared> {
        self.modules.get(hash).map(|(prepared, _)| prepared.clone())
    }

    fn insert(&mut self, hash: Hash, prepared: Prepared, weight: usize) {
        if let Some((_, old)) = self.modules.put(hash, (prepared, weight)) {
            self.bytes -= old;
        }
        self.bytes += weight;
        // The newest module stays even if alone it is over the budget: it is about to run.
        while self.bytes > self.capacity_bytes && self.modules.len() > 1 {
            match self.modules.pop_lru() {
                Some((_, (_, weight))) => self.bytes -= weight,
                None => break,
            }
        }
    }
}

/// Threads, GC and the component model are not even compiled in (wasmtime's `threads`, `gc`
/// and `component-model` features are off), so no module can use them.
/// The process's engine: one compiled-module cache for every chain this node runs, its pool
/// sized for the chains [`host_chains`] announced.
pub fn shared() -> &'static ContractEngine {
    ENGINE.get_or_init(|| {
        ContractEngine::new().expect("the deterministic wasmtime configuration is valid")
    })
}

static ENGINE: std::sync::OnceLock<ContractEngine> = std::sync::OnceLock::new();

/// Chains the process hosts, as announced before the engine is made.
static HOSTED_CHAINS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// Announces how many chains this process hosts, so that the engine's pool holds every chain's
/// queries and block execution at once. Must come before the first contract runs; afterwards
/// the pool is made and this returns false.
pub fn host_chains(chains: usize) -> bool {
    if ENGINE.get().is_some() {
        return false;
    }
    HOSTED_CHAINS.store(chains.max(1), std::sync::atomic::Ordering::Relaxed);
    true
}

/// Read-only calls (API queries) one chain may run at once; more wait for a place among their
/// chain's (the node keeps them).
pub const QUERIES_PER_CHAIN: usize = 32;
/// Blocks one chain may be executing at once (building its proposal, judging a peer's,
/// applying a synced one), each call nesting up to [`MAX_CALL_DEPTH`] instances.
pub const EXECUTIONS_PER_CHAIN: usize = 2;
/// The fewest instance slots the pool keeps, whatever the chains announced (in-process tests
/// open several chains without announcing them).
pub const MIN_INSTANCE_SLOTS: u32 = 256;

/// Contract instances that may be alive at once in one process (each call's instance and its
/// nested callees'): the pooling allocator keeps this many memory, table and instance slots
/// mapped and reuses them, so instantiation maps nothing. Every hosted chain's queries
/// ([`QUERIES_PER_CHAIN`]) and block executions ([`EXECUTIONS_PER_CHAIN`]), each
/// [`MAX_CALL_DEPTH`] deep, fit at once: a chain whose queries hold all their slots leaves
/// every other chain's blocks and queries theirs.
pub fn instance_slots() -> u32 {
    let chains = HOSTED_CHAINS.load(std::sync::atomic::Ordering::Relaxed);
    let per_chain = (QUERIES_PER_CHAIN + EXECUTIONS_PER_CHAIN) * MAX_CALL_DEPTH;
    u32::try_from(chains * per_chain)
        .unwrap_or(u32::MAX)
        .max(MIN_INSTANCE_SLOTS)
}

/// Of a slot's memory, how much is reset with `memset` of the pages the call dirtied (found by
/// the kernel's PAGEMAP_SCAN where available) instead of being unmapped: contract calls touch a
/// few pages, which then stay resident for the next call.
pub(super) const KEEP_RESIDENT_BYTES: usize = 1 << 20;

pub(super) fn pooling_config() -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    let slots = instance_slots();
    pool.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        .max_memory_size(MAX_MEMORY_BYTES)
        .table_elements(MAX_TABLE_ELEMENTS)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    pool
}

pub(super) fn deterministic_config() -> Config {
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
        ContractEngine::with_cache_bytes(MODULE_CACHE_BYTES)
    }

    /// An engine whose compiled-module cache holds at most `capacity_bytes` (and always the
    /// module that runs now).
    pub fn with_cache_bytes(capacity_bytes: usize) -> Result<ContractEngine, ContractError> {
        ContractEngine::with_config(&deterministic_config(), capacity_bytes)
    }

    pub(super) fn with_config(
        config: &Config,
        capacity_bytes: usize,
    ) -> Result<ContractEngine, ContractError> {
        let engine =
            Engine::new(config).map_err(|e| ContractError::InvalidCode(format!("engine: {e}")))?;
        let mut linker = Linker::new(&engine);
        link_abi(&mut linker).map_err(|e| ContractError::InvalidCode(format!("abi: {e}")))?;
        Ok(ContractEngine {
            engine,
            linker: Arc::new(linker),
            cache: Arc::new(Mutex::new(ModuleCache {
                modules: lru::LruCache::unbounded(),
                bytes: 0,
                capacity_bytes,
            })),
        })
    }

    /// What the compiled-module cache holds now.
    pub fn cache_usage(&self) -> CacheUsage {
        let cache = self.cache.lock();
        CacheUsage {
            modules: cache.modules.len(),
            bytes: cache.bytes,
            capacity_bytes: cache.capacity_bytes,
        }
    }

    /// Checks that `code` is a module this runtime can run: size, validity, imports only from
    /// [`ABI_MODULE`], a `memory` export. Returns its code hash.
    pub fn validate(&self, code: &[u8]) -> Result<Hash, ContractError> {
        self.prepare(code).map(|(hash, _)| hash)
    }

    pub(super) fn prepare(
        &self,
        code: &[u8],
    ) -> Result<(Hash, InstancePre<HostState>), ContractError> {
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
            return Ok(cached);
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

    pub(super) fn compile(
        &self,
        hash: Hash,
        code: &[u8],
    ) -> Result<InstancePre<HostState>, ContractError> {
        if let Some(cached) = self.cache.lock().get(&hash) {
            return Ok(cached.pre.clone());
        }
        let counted = depth::instrument(code).map_err(ContractError::InvalidCode)?;
        let module = Module::from_binary(&self.engine, &counted)
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
        let image = module.image_range();
        let weight = (image.end as usize - image.start as usize) + code.len();
        self.cache.lock().insert(
            hash,
            Prepared {
                pre: pre.clone(),
                code_len: code.len(),
            },
            weight,
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
}
