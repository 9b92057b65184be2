//! A native host for unit tests: contracts compiled for the machine running `cargo test`, with
//! the same rules as the node's sandbox where a contract can observe them: each contract has its
//! own storage; a call's writes, events and scheduled calls are kept only if it succeeds; a
//! failing callee fails its caller; no re-entrancy; calls nest at most four deep; a call
//! scheduled for a time already reached runs in the next block; scheduled calls run with the
//! contract itself as caller and origin.
//!
//! ```ignore
//! use catena_sdk::mock;
//! mock::reset();
//! mock::deploy(ID, my_contract::dispatch);
//! let out = mock::call(ALICE, ID, "transfer", &args.encode());
//! ```

extern crate std;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use crate::hex;

/// A contract's methods, as the `methods!` macro generates them.
pub type Dispatch = fn(&str, &[u8]) -> Result<Vec<u8>, String>;

/// An event a call emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub contract: [u8; 32],
    pub topic: String,
    pub data: Vec<u8>,
}

/// A call waiting for its time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheduled {
    pub at_ms: u64,
    pub id: u64,
    pub contract: [u8; 32],
    pub method: String,
    pub input: Vec<u8>,
}

/// The outcome of a top-level call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub result: Result<Vec<u8>, String>,
    /// Only when it succeeded.
    pub events: Vec<Event>,
}

/// The node's limits (docs/abi.md), enforced here too so native tests meet them.
pub use catena_abi::{
    MAX_CALL_DEPTH, MAX_EVENTS, MAX_EVENT_BYTES, MAX_KEY_BYTES, MAX_SCHEDULED_INPUT_BYTES,
    MAX_SCHEDULED_PER_CALL, MAX_VALUE_BYTES,
};

type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

struct Frame {
    contract: [u8; 32],
    caller: [u8; 32],
    input: Vec<u8>,
    output: Option<Vec<u8>>,
    writes: Writes,
    events: Vec<Event>,
    scheduled: Vec<Scheduled>,
}

#[derive(Default)]
struct World {
    storage: BTreeMap<Vec<u8>, Vec<u8>>,
    contracts: BTreeMap<[u8; 32], Dispatch>,
    schedule: BTreeMap<(u64, u64), Scheduled>,
    next_schedule: u64,
    height: u64,
    time_ms: u64,
    origin: [u8; 32],
    stack: Vec<Frame>,
    invoice_key: Option<[u8; 32]>,
}

std::thread_local! {
    static WORLD: RefCell<World> = RefCell::new(World::default());
}

/// How a contract's `fail` unwinds natively; caught by the call that ran it.
struct Abort(String);

fn with<R>(f: impl FnOnce(&mut World) -> R) -> R {
    WORLD.with(|w| f(&mut w.borrow_mut()))
}

fn full_key(contract: &[u8; 32], key: &[u8]) -> Vec<u8> {
    [&contract[..], key].concat()
}

/// Forgets every contract, entry and scheduled call; block 1 at time 1,000,000.
pub fn reset() {
    quiet_aborts();
    with(|w| {
        *w = World {
            height: 1,
            time_ms: 1_000_000,
            ..World::default()
        }
    });
}

/// Makes `dispatch` the code of contract `id`.
pub fn deploy(id: [u8; 32], dispatch: Dispatch) {
    with(|w| w.contracts.insert(id, dispatch));
}

/// The block the next calls run in.
pub fn set_block(height: u64, time_ms: u64) {
    with(|w| {
        w.height = height;
        w.time_ms = time_ms;
    });
}

/// Gives the host an invoice key (a parachain that keeps invoice claims), or takes it away.
pub fn set_invoice_key(key: Option<[u8; 32]>) {
    with(|w| w.invoice_key = key);
}

pub fn block() -> (u64, u64) {
    with(|w| (w.height, w.time_ms))
}

/// Writes an entry of a contract's storage directly (as genesis does).
pub fn put(contract: [u8; 32], key: &[u8], value: &[u8]) {
    with(|w| w.storage.insert(full_key(&contract, key), value.to_vec()));
}

/// An entry of a contract's committed storage.
pub fn get(contract: [u8; 32], key: &[u8]) -> Option<Vec<u8>> {
    with(|w| w.storage.get(&full_key(&contract, key)).cloned())
}

/// Everything committed: every contract's storage and the schedule, to compare before and after
/// a call that must change nothing.
pub fn snapshot() -> (BTreeMap<Vec<u8>, Vec<u8>>, Vec<Scheduled>) {
    with(|w| (w.storage.clone(), w.schedule.values().cloned().collect()))
}

/// The calls waiting for their time, in the order they will run.
pub fn scheduled() -> Vec<Scheduled> {
    with(|w| w.schedule.values().cloned().collect())
}

/// A transaction signed by `origin` calling `method` of `contract`.
pub fn call(origin: [u8; 32], contract: [u8; 32], method: &str, input: &[u8]) -> Outcome {
    top_level(origin, origin, contract, method, input)
}

/// What the node does at the start of a block: runs every call due at the block's time, in
/// (time, id) order, each with the contract itself as caller and origin.
pub fn run_due() -> Vec<(Scheduled, Outcome)> {
    let now = with(|w| w.time_ms);
    let due: Vec<Scheduled> = with(|w| {
        let keys: Vec<(u64, u64)> = w.schedule.range(..(now + 1, 0)).map(|(k, _)| *k).collect();
        keys.iter().filter_map(|k| w.schedule.remove(k)).collect()
    });
    due.into_iter()
        .map(|s| {
            let outcome = top_level(s.contract, s.contract, s.contract, &s.method, &s.input);
            (s, outcome)
        })
        .collect()
}

fn top_level(
    origin: [u8; 32],
    caller: [u8; 32],
    contract: [u8; 32],
    method: &str,
    input: &[u8],
) -> Outcome {
    with(|w| {
        assert!(w.stack.is_empty(), "a top-level call inside a call");
        w.origin = origin;
    });
    match run_frame(caller, contract, method, input) {
        Ok((output, frame)) => with(|w| {
            for (key, value) in frame.writes {
                match value {
                    Some(value) => w.storage.insert(key, value),
                    None => w.storage.remove(&key),
                };
            }
            for scheduled in frame.scheduled {
                w.schedule
                    .insert((scheduled.at_ms, scheduled.id), scheduled);
            }
            Outcome {
                result: Ok(output),
                events: frame.events,
            }
        }),
        Err(message) => Outcome {
            result: Err(message),
            events: Vec::new(),
        },
    }
}

/// Runs one call in a new frame; the frame comes back (with its writes) only on success.
fn run_frame(
    caller: [u8; 32],
    contract: [u8; 32],
    method: &str,
    input: &[u8],
) -> Result<(Vec<u8>, Frame), String> {
    let dispatch = with(|w| w.contracts.get(&contract).copied())
        .ok_or_else(|| format!("no contract {}", hex(&contract)))?;
    let depth = with(|w| {
        w.stack.push(Frame {
            contract,
            caller,
            input: input.to_vec(),
            output: None,
            writes: Writes::new(),
            events: Vec::new(),
            scheduled: Vec::new(),
        });
        w.stack.len()
    });
    let result = panic::catch_unwind(AssertUnwindSafe(|| dispatch(method, input)));
    let frame = with(|w| {
        w.stack.truncate(depth);
        w.stack.pop().expect("the frame pushed above")
    });
    match result {
        Ok(Ok(output)) => Ok((frame.output.clone().unwrap_or(output), frame)),
        Ok(Err(message)) => Err(message),
        Err(payload) => match payload.downcast::<Abort>() {
            Ok(abort) => Err(abort.0),
            Err(other) => panic::resume_unwind(other),
        },
    }
}

fn quiet_aborts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(alloc::boxed::Box::new(move |info| {
            if info.payload().downcast_ref::<Abort>().is_none() {
                default(info);
            }
        }));
    });
}

fn top<R>(f: impl FnOnce(&mut Frame) -> R) -> R {
    with(|w| f(w.stack.last_mut().expect("called outside a contract call")))
}

/// The host functions, as the SDK calls them.
pub(crate) mod host {
    use super::*;

    pub(crate) fn input() -> Vec<u8> {
        top(|f| f.input.clone())
    }

    pub(crate) fn ret(data: &[u8]) {
        top(|f| f.output = Some(data.to_vec()));
    }

    pub(crate) fn fail(message: &str) -> ! {
        panic::panic_any(Abort(message.to_string()))
    }

    pub(crate) fn caller() -> [u8; 32] {
        top(|f| f.caller)
    }

    pub(crate) fn origin() -> [u8; 32] {
        with(|w| w.origin)
    }

    pub(crate) fn self_id() -> [u8; 32] {
        top(|f| f.contract)
    }

    pub(crate) fn call(id: &[u8; 32], method: &str, input: &[u8], max_output: usize) -> Vec<u8> {
        let (me, on_stack, depth) = with(|w| {
            let me = w
                .stack
                .last()
                .expect("called outside a contract call")
                .contract;
            let on_stack = w.stack.iter().any(|f| f.contract == *id);
            (me, on_stack, w.stack.len())
        });
        if depth >= MAX_CALL_DEPTH {
            fail(&format!(
                "contract calls nest at most {MAX_CALL_DEPTH} deep"
            ));
        }
        if on_stack {
            fail(&format!("re-entrant call to contract {}", hex(id)));
        }
        if method == catena_abi::INIT_METHOD {
            fail("'init' runs only when a contract is created");
        }
        match run_frame(me, *id, method, input) {
            Ok((output, frame)) => {
                top(|caller| {
                    caller.writes.extend(frame.writes);
                    caller.events.extend(frame.events);
                    caller.scheduled.extend(frame.scheduled);
                });
                if output.len() > max_output {
                    fail("a contract call returned more than the caller's max_output");
                }
                output
            }
            Err(e) => fail(&format!(
                "call to contract {} '{method}' failed: {e}",
                hex(id)
            )),
        }
    }

    pub(crate) fn block_height() -> u64 {
        with(|w| w.height)
    }

    pub(crate) fn block_time_ms() -> u64 {
        with(|w| w.time_ms)
    }

    pub(crate) fn emit(topic: &str, data: &[u8]) {
        if topic.len() > catena_abi::MAX_TOPIC_BYTES || data.len() > MAX_EVENT_BYTES {
            fail(&format!(
                "an event topic is at most {} bytes and its data at most {MAX_EVENT_BYTES}",
                catena_abi::MAX_TOPIC_BYTES
            ));
        }
        if top(|f| f.events.len()) >= MAX_EVENTS {
            fail(&format!("more than {MAX_EVENTS} events in one call"));
        }
        top(|f| {
            let contract = f.contract;
            f.events.push(Event {
                contract,
                topic: topic.to_string(),
                data: data.to_vec(),
            })
        });
    }

    pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(data).into()
    }

    /// As the node computes it (catena_primitives::invoice): HMAC-SHA256 under the key of the
    /// domain and the length-prefixed fields.
    pub(crate) fn invoice_fingerprint(invoice: &[u8]) -> Option<[u8; 32]> {
        use hmac::Mac;
        use parity_scale_codec::DecodeAll;
        if invoice.len() > catena_abi::MAX_FINGERPRINT_INPUT_BYTES {
            fail("an invoice of over 256 bytes");
        }
        let Ok((code, number, seller)) = <(String, String, String)>::decode_all(&mut &invoice[..])
        else {
            fail("invoice_fingerprint takes the SCALE encoding of (code, number, seller)");
        };
        let key = with(|w| w.invoice_key)?;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&key)
            .expect("HMAC takes a key of any length");
        mac.update(b"catena/invoice-fp/v1");
        for part in [&code, &number, &seller] {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part.as_bytes());
        }
        Some(mac.finalize().into_bytes().into())
    }

    pub(crate) fn ed25519_verify(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
        ed25519_dalek::VerifyingKey::from_bytes(key)
            .map(|k| {
                k.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
                    .is_ok()
            })
            .unwrap_or(false)
    }

    pub(crate) fn schedule(at_ms: u64, method: &str, input: &[u8]) -> u64 {
        if method == catena_abi::INIT_METHOD
            || method.len() > catena_abi::MAX_METHOD_BYTES
            || input.len() > MAX_SCHEDULED_INPUT_BYTES
        {
            fail("a scheduled call names a method other than 'init' (at most 64 bytes) and has at most 4 KiB of input");
        }
        if top(|f| f.scheduled.len()) >= MAX_SCHEDULED_PER_CALL as usize {
            fail(&format!(
                "a call may schedule at most {MAX_SCHEDULED_PER_CALL} calls"
            ));
        }
        // As the node reads it: an i64, a time already reached meaning the next block.
        let at_ms = at_ms.min(i64::MAX as u64);
        with(|w| {
            let id = w.next_schedule;
            w.next_schedule += 1;
            let at_ms = at_ms.max(w.time_ms + 1);
            let frame = w.stack.last_mut().expect("called outside a contract call");
            frame.scheduled.push(Scheduled {
                at_ms,
                id,
                contract: frame.contract,
                method: method.to_string(),
                input: input.to_vec(),
            });
            id
        })
    }

    fn read(w: &World, key: &[u8]) -> Option<Option<Vec<u8>>> {
        w.stack
            .iter()
            .rev()
            .find_map(|f| f.writes.get(key).cloned())
            .or_else(|| Some(w.storage.get(key).cloned()))
    }

    pub(crate) fn storage_get(key: &[u8]) -> Option<Vec<u8>> {
        with(|w| {
            let full = full_key(&w.stack.last().expect("in a call").contract, key);
            read(w, &full).flatten()
        })
    }

    pub(crate) fn storage_get_of(contract: &[u8; 32], key: &[u8]) -> Option<Vec<u8>> {
        with(|w| read(w, &full_key(contract, key)).flatten())
    }

    pub(crate) fn storage_set(key: &[u8], value: &[u8]) {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            fail(&format!(
                "a storage key is at most {MAX_KEY_BYTES} bytes and a value at most {MAX_VALUE_BYTES}"
            ));
        }
        top(|f| {
            let full = full_key(&f.contract, key);
            f.writes.insert(full, Some(value.to_vec()))
        });
    }

    pub(crate) fn storage_remove(key: &[u8]) {
        top(|f| {
            let full = full_key(&f.contract, key);
            f.writes.insert(full, None)
        });
    }

    pub(crate) fn storage_next(prefix: &[u8], after: Option<&[u8]>) -> Option<(Vec<u8>, Vec<u8>)> {
        with(|w| {
            let contract = w.stack.last().expect("in a call").contract;
            let full_prefix = full_key(&contract, prefix);
            // Every key visible to this call: committed storage and the writes of every frame.
            let mut keys: alloc::collections::BTreeSet<Vec<u8>> = w
                .storage
                .range(full_prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&full_prefix))
                .map(|(k, _)| k.clone())
                .collect();
            for frame in &w.stack {
                keys.extend(
                    frame
                        .writes
                        .keys()
                        .filter(|k| k.starts_with(&full_prefix))
                        .cloned(),
                );
            }
            let after = after
                .filter(|a| *a >= prefix)
                .map(|a| full_key(&contract, a));
            keys.into_iter()
                .filter(|k| after.as_ref().is_none_or(|a| k > a))
                .find_map(|k| read(w, &k).flatten().map(|value| (k[32..].to_vec(), value)))
        })
    }
}
