//! Host functions: the contract's storage and read-only access to another's: `storage_read`, `storage_read_of`, `storage_write`, `storage_remove`, `storage_next`.

use super::*;

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
    Ok(())
}
