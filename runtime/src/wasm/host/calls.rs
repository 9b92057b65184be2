//! Host functions: calls of other contracts and scheduled calls: `call_contract`, `schedule_call`.

use super::*;

/// A method name the contract passes: UTF-8, within [`MAX_METHOD_BYTES`].
fn read_method(
    caller: &mut Caller<'_, HostState>,
    ptr: i32,
    len: i32,
) -> Result<String, wasmtime::Error> {
    let method = read_bytes(caller, ptr, len, MAX_METHOD_BYTES, "a method name")?;
    let Ok(method) = String::from_utf8(method) else {
        return refuse(caller, "a method name must be UTF-8".into());
    };
    Ok(method)
}

pub(super) fn link(linker: &mut Linker<HostState>) -> Result<(), wasmtime::Error> {
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
            let callee = read_contract_id(&mut caller, id_ptr)?;
            let method = read_method(&mut caller, method_ptr, method_len)?;
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
            let counter = caller
                .get_export(depth::STACK_EXPORT)
                .and_then(|e| e.into_global());
            let units = super::super::call::stack_units(counter, &mut caller);
            let nested = CallContext {
                caller: AccountId(me.0),
                ..context
            };
            let outcome = call_world::with(|w| {
                engine
                    .frame(callee, stack, nested)
                    .above(units)
                    .run(&pre, &method, &input, w, fuel)
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
            let method = read_method(&mut caller, method_ptr, method_len)?;
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
    Ok(())
}
