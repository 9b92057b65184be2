//! Host functions: the call's input and output: `input_len`, `input_read`, `return_data`, `abort`, `emit_event`.

use super::*;

pub(super) fn link(linker: &mut Linker<HostState>) -> Result<(), wasmtime::Error> {
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
            fail_with(
                &mut caller,
                ContractError::Aborted(message.clone()),
                message,
            )
        },
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
    Ok(())
}
