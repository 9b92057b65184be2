//! The host functions of [`ABI_MODULE`] (docs/abi.md), by group, and what they share: reading
//! and writing the sandbox's memory within the ABI's limits, and charging fuel.

use super::*;

mod calls;
mod context;
mod crypto;
mod io;
mod storage;

pub(super) fn memory(caller: &mut Caller<'_, HostState>) -> Result<Memory, wasmtime::Error> {
    caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| wasmtime::Error::msg("no memory export"))
}

/// Stops the call with the trap `message`, keeping `failure` as the precise reason behind it.
pub(super) fn fail_with<T>(
    caller: &mut Caller<'_, HostState>,
    failure: ContractError,
    message: String,
) -> Result<T, wasmtime::Error> {
    caller.data_mut().failure = Some(failure);
    Err(wasmtime::Error::msg(message))
}

/// Stops the call because state could not be read: the whole block cannot be executed here.
pub(super) fn fail_state<T>(
    caller: &mut Caller<'_, HostState>,
    error: String,
) -> Result<T, wasmtime::Error> {
    fail_with(caller, ContractError::State(error.clone()), error)
}

/// Fails the call with `reason` (kept so the receipt says exactly what went wrong).
pub(super) fn refuse<T>(
    caller: &mut Caller<'_, HostState>,
    reason: String,
) -> Result<T, wasmtime::Error> {
    fail_with(caller, ContractError::Abi(reason.clone()), reason)
}

pub(super) fn charge(
    caller: &mut Caller<'_, HostState>,
    bytes: usize,
    per_byte: u64,
) -> Result<(), wasmtime::Error> {
    charge_fuel(caller, FUEL_PER_HOST_CALL + bytes as u64 * per_byte)
}

/// Takes `cost` fuel from the call, or fails it "out of fuel".
pub(super) fn charge_fuel(
    caller: &mut Caller<'_, HostState>,
    cost: u64,
) -> Result<(), wasmtime::Error> {
    let left = caller.get_fuel()?;
    if left < cost {
        caller.set_fuel(0)?;
        return fail_with(caller, ContractError::OutOfFuel, "out of fuel".into());
    }
    caller.set_fuel(left - cost)?;
    Ok(())
}

pub(super) fn read_bytes(
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

/// A contract id the contract passes: 32 bytes at `ptr`.
pub(super) fn read_contract_id(
    caller: &mut Caller<'_, HostState>,
    ptr: i32,
) -> Result<Hash, wasmtime::Error> {
    let id = read_bytes(caller, ptr, 32, 32, "a contract id")?;
    Ok(Hash(id.try_into().expect("32 bytes read")))
}

pub(super) fn write_bytes(
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

/// Links every host function of [`ABI_MODULE`]; docs/abi.md documents each.
pub(super) fn link_abi(linker: &mut Linker<HostState>) -> Result<(), wasmtime::Error> {
    io::link(linker)?;
    storage::link(linker)?;
    context::link(linker)?;
    calls::link(linker)?;
    crypto::link(linker)?;
    Ok(())
}
