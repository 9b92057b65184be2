//! Running a call: a store with the call's fuel and limits, the frames of nested calls with
//! their buffered writes, and how a failure is classified.

use super::*;

impl ContractEngine {
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
            Ok((_, pre)) => self
                .frame(contract, Vec::new(), context)
                .run(&pre, entry, input, world, fuel),
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
        self.frame(contract, Vec::new(), context)
            .run(&prepared.pre, entry, input, world, fuel)
    }

    /// The frame of a call of `contract` by the contracts of `stack` (none for a transaction's
    /// or a schedule's call).
    pub(super) fn frame(&self, contract: Hash, stack: Vec<Hash>, context: CallContext) -> Frame {
        Frame {
            engine: self.clone(),
            contract,
            stack,
            context,
            stack_units: 0,
        }
    }
}

pub(super) fn failed(error: ContractError) -> CallOutcome {
    CallOutcome {
        result: Err(error),
        fuel_used: 0,
        events: Vec::new(),
    }
}

/// Who runs: the engine, the contract, the contracts below it, the call's facts.
pub(super) struct Frame {
    engine: ContractEngine,
    contract: Hash,
    stack: Vec<Hash>,
    context: CallContext,
    /// Stack units the callers below use already (see [`super::depth`]).
    stack_units: u32,
}

/// The stack units an instance's frames use now, from its counter (the global it exports as
/// [`depth::STACK_EXPORT`]).
pub(super) fn stack_units(
    counter: Option<wasmtime::Global>,
    mut store: impl wasmtime::AsContextMut,
) -> u32 {
    counter
        .and_then(|g| g.get(&mut store).i32())
        .map_or(0, |units| units as u32)
}

/// The call's writes, kept apart until it succeeds: a failed call changes nothing. Keys are the
/// contract id followed by the contract's key.
pub(super) struct Buffered<'a> {
    base: &'a mut dyn World,
    writes: crate::Changes,
    scheduled: Vec<ScheduledCall>,
}

pub(super) fn full_key(contract: &Hash, key: &[u8]) -> Vec<u8> {
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

impl Frame {
    /// The frame of a nested call, its stack units counted from `units`, its caller's.
    pub(super) fn above(mut self, units: u32) -> Frame {
        self.stack_units = units;
        self
    }

    /// Calls `entry` of the frame's contract, running `pre`, with `input`, at most `fuel`. Its
    /// writes reach `world` only if it succeeds.
    pub(super) fn run(
        self,
        pre: &InstancePre<HostState>,
        entry: &str,
        input: &[u8],
        world: &mut dyn World,
        fuel: u64,
    ) -> CallOutcome {
        let engine = self.engine.engine.clone();
        let state = HostState {
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_MEMORY_BYTES)
                .memories(1)
                .tables(1)
                .table_elements(MAX_TABLE_ELEMENTS)
                .instances(1)
                .trap_on_grow_failure(true)
                .build(),
            engine: self.engine,
            contract: self.contract,
            stack: self.stack,
            context: self.context,
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
            if self.stack_units > 0 {
                if let Some(counter) = instance.get_global(&mut store, depth::STACK_EXPORT) {
                    counter
                        .set(&mut store, wasmtime::Val::I32(self.stack_units as i32))
                        .map_err(|e| ContractError::Trap(e.to_string()))?;
                }
            }
            let function = instance
                .get_typed_func::<(), ()>(&mut store, entry)
                .map_err(|_| ContractError::Abi(format!("the contract has no method '{entry}'")))?;
            function.call(&mut store, ()).map_err(|e| {
                // The counter past the budget: the entry of a function trapped on it.
                let counter = instance.get_global(&mut store, depth::STACK_EXPORT);
                let over = stack_units(counter, &mut store) > MAX_STACK_UNITS;
                let failure = &mut store.data_mut().failure;
                if over && failure.is_none() {
                    ContractError::StackOverflow
                } else {
                    classify(e, failure)
                }
            })?;
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
                    let contract =
                        Hash(key[..32].try_into().expect("a full key starts with the id"));
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
}

pub(super) fn classify(
    error: wasmtime::Error,
    failure: &mut Option<ContractError>,
) -> ContractError {
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
