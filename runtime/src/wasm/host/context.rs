//! Host functions: the facts of the call: `caller`, `origin`, `self_id`, `block_height`, `block_time_ms`.

use super::*;

/// Takes a 32-byte id from the call's state.
type IdOf = fn(&HostState) -> [u8; 32];

/// Links host function `name`, which copies the 32 bytes `of` takes from the call's state
/// (`what`, for messages) to the contract's `out_ptr`.
fn link_id(
    linker: &mut Linker<HostState>,
    name: &str,
    what: &'static str,
    of: IdOf,
) -> Result<(), wasmtime::Error> {
    linker.func_wrap(
        ABI_MODULE,
        name,
        move |mut caller: Caller<'_, HostState>, out_ptr: i32| -> Result<(), wasmtime::Error> {
            let id = of(caller.data());
            write_bytes(&mut caller, out_ptr, &id, what)
        },
    )?;
    Ok(())
}

pub(super) fn link(linker: &mut Linker<HostState>) -> Result<(), wasmtime::Error> {
    let ids: [(&str, &'static str, IdOf); 3] = [
        (function::ORIGIN, "the origin", |s| s.context.origin.0),
        (function::SELF_ID, "the contract id", |s| s.contract.0),
        (function::CALLER, "the caller", |s| s.context.caller.0),
    ];
    for (name, what, of) in ids {
        link_id(linker, name, what, of)?;
    }
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
