//! Host functions: the facts of the call: `caller`, `origin`, `self_id`, `block_height`, `block_time_ms`.

use super::*;

pub(super) fn link(linker: &mut Linker<HostState>) -> Result<(), wasmtime::Error> {
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
        function::SELF_ID,
        |mut caller: Caller<'_, HostState>, out_ptr: i32| -> Result<(), wasmtime::Error> {
            let id = caller.data().contract.0;
            write_bytes(&mut caller, out_ptr, &id, "the contract id")
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
    Ok(())
}
