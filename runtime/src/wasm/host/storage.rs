//! Host functions: the contract's storage and read-only access to another's: `storage_read`, `storage_read_of`, `storage_write`, `storage_remove`, `storage_next`.

use super::*;

/// A storage key the contract passes, within [`MAX_KEY_BYTES`].
fn read_key(
    caller: &mut Caller<'_, HostState>,
    ptr: i32,
    len: i32,
) -> Result<Vec<u8>, wasmtime::Error> {
    read_bytes(caller, ptr, len, MAX_KEY_BYTES, "a storage key")
}

/// Copies `bytes` (`what`, for messages) to the contract's `out_ptr` if they fit in `out_cap`,
/// and returns their length either way: moving them is charged even if they are not copied.
fn copy_out_if_fits(
    caller: &mut Caller<'_, HostState>,
    out_ptr: i32,
    out_cap: i32,
    bytes: &[u8],
    what: &str,
) -> Result<i32, wasmtime::Error> {
    if bytes.len() <= usize::try_from(out_cap).unwrap_or(0) {
        write_bytes(caller, out_ptr, bytes, what)?;
    } else {
        charge(caller, bytes.len(), FUEL_PER_BYTE)?;
    }
    Ok(bytes.len() as i32)
}

/// `storage_read` of `contract`'s storage (the running contract's own, or another's, read-only):
/// −1 if the key is absent, else the value's length; the value is copied only if it fits.
pub(crate) fn read_storage(
    caller: &mut Caller<'_, HostState>,
    contract: Hash,
    key_ptr: i32,
    key_len: i32,
    out_ptr: i32,
    out_cap: i32,
) -> Result<i32, wasmtime::Error> {
    let key = read_key(caller, key_ptr, key_len)?;
    charge_fuel(caller, FUEL_PER_STORAGE_READ)?;
    let read = call_world::with(|w| w.get(&contract, &key))
        .unwrap_or_else(|| Err("no storage is attached to this call".into()));
    let value = match read {
        Ok(value) => value,
        Err(e) => return fail_state(caller, e),
    };
    let Some(value) = value else {
        return Ok(code::ABSENT);
    };
    copy_out_if_fits(caller, out_ptr, out_cap, &value, "a storage value")
}

pub(super) fn link(linker: &mut Linker<HostState>) -> Result<(), wasmtime::Error> {
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
            let contract = read_contract_id(&mut caller, id_ptr)?;
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
            let key = read_key(&mut caller, key_ptr, key_len)?;
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
                Some(read_key(&mut caller, after_ptr, after_len)?)
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
            copy_out_if_fits(&mut caller, out_ptr, out_cap, &record, "a storage entry")
        },
    )?;
    linker.func_wrap(
        ABI_MODULE,
        function::STORAGE_REMOVE,
        |mut caller: Caller<'_, HostState>,
         key_ptr: i32,
         key_len: i32|
         -> Result<(), wasmtime::Error> {
            let key = read_key(&mut caller, key_ptr, key_len)?;
            let contract = caller.data().contract;
            call_world::with(|w| w.remove(&contract, &key));
            Ok(())
        },
    )?;
    Ok(())
}
