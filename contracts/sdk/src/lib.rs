//! The `no_std` SDK for Catena contracts (host ABI `catena_v1`, see docs/abi.md).
//!
//! A contract lists its methods with [`methods!`], each by its [`Method`] descriptor: a Rust
//! function taking its SCALE-decoded argument and returning `Result<T, E>` where `T` is SCALE-encoded into the
//! call's output and `E`'s `Display` text fails the call (nothing it wrote is kept). Inside, it
//! keeps state with [`storage`], reports with [`emit`], calls other contracts with [`call_method`]
//! and schedules its own methods with [`schedule_method`].
//!
//! Built for wasm32, the functions call the host; built natively (for `cargo test`), they run
//! against the [`mock`] host, so a contract's rules are unit-tested as ordinary Rust.
#![no_std]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Display;

/// Keys of a contract's storage under this prefix are index entries: outside the state tree,
/// derived again by the contract's `reindex` after a state sync (ADR 0049, docs/abi.md).
pub use catena_abi::INDEX_PREFIX;
pub use catena_schema::{same_name, Method};
pub use parity_scale_codec as codec;
use parity_scale_codec::{Decode, DecodeLimit, Encode};

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
use wasm as host;

#[cfg(not(target_arch = "wasm32"))]
pub mod mock;
#[cfg(not(target_arch = "wasm32"))]
use mock::host;

/// How deeply nested a decoded argument or stored value may be.
const MAX_DECODE_DEPTH: u32 = 32;

/// The call's raw input.
pub fn input() -> Vec<u8> {
    host::input()
}

/// Sets the call's raw return value.
pub fn ret(data: &[u8]) {
    host::ret(data)
}

/// Fails the call with `message`: nothing it wrote is kept, the receipt carries the message.
pub fn fail(message: &str) -> ! {
    host::fail(message)
}

/// Runs a raw method body: `Ok` bytes become the return value, `Err` fails the call.
pub fn entry(body: impl FnOnce(&[u8]) -> Result<Vec<u8>, String>) {
    match body(&input()) {
        Ok(output) => ret(&output),
        Err(message) => fail(&message),
    }
}

/// Decodes SCALE bytes from outside the contract: all of them, at most 32 levels deep.
pub fn decode<T: Decode>(bytes: &[u8]) -> Result<T, String> {
    T::decode_all_with_depth_limit(MAX_DECODE_DEPTH, &mut &bytes[..]).map_err(|e| e.to_string())
}

/// Runs a typed method: decodes its argument, encodes its result, turns its error into text.
/// `method`'s descriptor fixes the argument and result types `body` must have.
pub fn run_method<A: Decode, R: Encode, E: Display>(
    method: Method<A, R>,
    body: fn(A) -> Result<R, E>,
    input: &[u8],
) -> Result<Vec<u8>, String> {
    let argument = decode::<A>(input)
        .map_err(|e| format!("the input of '{method}' cannot be decoded: {e}"))?;
    body(argument)
        .map(|r| r.encode())
        .map_err(|e| e.to_string())
}

/// Declares a contract's methods, each by its descriptor (a [`Method`] naming its argument and
/// result types) and the function that implements it, which must have those types and the
/// descriptor's name (both checked at compile time). Generates `pub fn dispatch(method, input)`
/// (used by native tests) and, for wasm32, one exported `extern "C" fn NAME()` per method.
///
/// ```ignore
/// catena_sdk::methods! {
///     method::INIT => init,
///     method::TRANSFER => transfer,
/// }
/// fn transfer(args: Transfer) -> Result<(), Error> { ... }
/// ```
#[macro_export]
macro_rules! methods {
    ($($method:expr => $name:ident),+ $(,)?) => {
        /// Runs `method` with `input`, as the node does when it calls the exported function.
        pub fn dispatch(
            method: &str,
            input: &[u8],
        ) -> ::core::result::Result<::alloc::vec::Vec<u8>, ::alloc::string::String> {
            $(
                if method == $method.name {
                    return $crate::run_method($method, $name, input);
                }
            )+
            ::core::result::Result::Err(::alloc::format!("no method '{}'", method))
        }

        const _: () = {
            $(
                ::core::assert!(
                    $crate::same_name($method.name, ::core::stringify!($name)),
                    ::core::concat!(
                        "fn ",
                        ::core::stringify!($name),
                        " is exported under its own name: its descriptor must have that name"
                    ),
                );
            )+
        };

        #[cfg(target_arch = "wasm32")]
        mod exports {
            $(
                #[no_mangle]
                pub extern "C" fn $name() {
                    $crate::entry(|input| super::dispatch(::core::stringify!($name), input))
                }
            )+
        }
    };
}

/// The account (32-byte ed25519 public key) that called, or the calling contract's id.
pub fn caller() -> [u8; 32] {
    host::caller()
}

/// The account that signed the transaction (for a scheduled call: the contract itself).
pub fn origin() -> [u8; 32] {
    host::origin()
}

/// This contract's id.
pub fn self_id() -> [u8; 32] {
    host::self_id()
}

/// Calls `method` of contract `id` with `input` and returns its output, which must fit in
/// `max_output` bytes (a call is never repeated: it may have changed state). If the callee fails,
/// this call fails too (with its reason), and nothing either wrote is kept.
pub fn call(id: &[u8; 32], method: &str, input: &[u8], max_output: usize) -> Vec<u8> {
    host::call(id, method, input, max_output)
}

/// [`call`]s `method` of contract `id` (which must be the contract the descriptor names) with
/// a typed argument, and decodes its typed result.
pub fn call_method<A: Encode, R: Decode>(id: &[u8; 32], method: Method<A, R>, argument: &A) -> R {
    let output = call(
        id,
        method.name,
        &method.input(argument),
        catena_abi::MAX_RETURN_BYTES,
    );
    method
        .output(&output)
        .unwrap_or_else(|e| fail(&format!("the output of '{method}' cannot be decoded: {e}")))
}

/// The height of the block being executed.
pub fn block_height() -> u64 {
    host::block_height()
}

/// The block's time (milliseconds since 1970, from its header).
pub fn block_time_ms() -> u64 {
    host::block_time_ms()
}

/// Records an event; kept only if the call succeeds.
pub fn emit(topic: &str, data: &[u8]) {
    host::emit(topic, data)
}

/// Records an event with SCALE-encoded data.
pub fn emit_encoded<T: Encode>(topic: &str, data: &T) {
    emit(topic, &data.encode())
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    host::sha256(data)
}

/// Whether `signature` is `key`'s ed25519 signature over `message`.
pub fn ed25519_verify(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    host::ed25519_verify(key, message, signature)
}

/// The fingerprint of invoice `code` / `number` of `seller` under the consortium's invoice key,
/// or `None` on a chain that holds no key (ADR 0031): the key stays with the host.
pub fn invoice_fingerprint(code: &str, number: &str, seller: &str) -> Option<[u8; 32]> {
    host::invoice_fingerprint(&(code, number, seller).encode())
}

/// Schedules this contract's `method` with `input` to run at the start of the first block whose
/// time is at or past `at_ms` (the next block, if that time is already reached). Returns the
/// scheduled call's id. Kept only if this call succeeds.
pub fn schedule(at_ms: u64, method: &str, input: &[u8]) -> u64 {
    host::schedule(at_ms, method, input)
}

/// [`schedule`]s this contract's `method` with a typed argument.
pub fn schedule_method<A: Encode, R>(at_ms: u64, method: Method<A, R>, argument: &A) -> u64 {
    schedule(at_ms, method.name, &method.input(argument))
}

/// The contract's own key-value storage.
pub mod storage {
    use super::*;

    /// The value under `key`, if any.
    pub fn get(key: &[u8]) -> Option<Vec<u8>> {
        host::storage_get(key)
    }

    /// The value under `key` in another contract's storage (read-only): what that contract
    /// would read now, its layout being part of its published interface.
    pub fn get_of(contract: &[u8; 32], key: &[u8]) -> Option<Vec<u8>> {
        host::storage_get_of(contract, key)
    }

    pub fn set(key: &[u8], value: &[u8]) {
        host::storage_set(key, value)
    }

    pub fn remove(key: &[u8]) {
        host::storage_remove(key)
    }

    /// The first entry under `prefix` whose key sorts after `after` (from the start if `None`).
    pub fn next(prefix: &[u8], after: Option<&[u8]>) -> Option<(Vec<u8>, Vec<u8>)> {
        host::storage_next(prefix, after)
    }

    /// The keys under `prefix` in order, at most `limit` of them, starting after `after`.
    pub fn keys(prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cursor = after.map(<[u8]>::to_vec);
        while out.len() < limit {
            let Some((key, _)) = next(prefix, cursor.as_deref()) else {
                break;
            };
            cursor = Some(key.clone());
            out.push(key);
        }
        out
    }

    /// A page of an index of ids: the keys under `prefix` are `prefix` then an id big-endian
    /// (so they sort by id). At most `limit` ids after `after`, and the last of them when more
    /// follow (the next page's `after`).
    pub fn id_page(prefix: &[u8], after: Option<u64>, limit: u32) -> (Vec<u64>, Option<u64>) {
        let after = after.map(|id| [prefix, &id.to_be_bytes()[..]].concat());
        let mut ids: Vec<u64> = keys(prefix, after.as_deref(), limit as usize + 1)
            .into_iter()
            .filter_map(|key| {
                key.get(prefix.len()..)
                    .and_then(|tail| <[u8; 8]>::try_from(tail).ok())
                    .map(u64::from_be_bytes)
            })
            .collect();
        let next = if ids.len() > limit as usize {
            ids.truncate(limit as usize);
            ids.last().copied()
        } else {
            None
        };
        (ids, next)
    }

    /// A little-endian `u64` under `key`, 0 if absent.
    pub fn get_u64(key: &[u8]) -> u64 {
        get(key)
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map_or(0, u64::from_le_bytes)
    }

    pub fn set_u64(key: &[u8], value: u64) {
        set(key, &value.to_le_bytes());
    }

    /// The SCALE value under `key`, if any; a stored value that does not decode fails the call
    /// (it can only be a bug, and going on would build on it).
    pub fn load<T: Decode>(key: &[u8]) -> Option<T> {
        decoded(get(key))
    }

    /// [`get_of`] decoded, as [`load`].
    pub fn load_of<T: Decode>(contract: &[u8; 32], key: &[u8]) -> Option<T> {
        decoded(get_of(contract, key))
    }

    fn decoded<T: Decode>(bytes: Option<Vec<u8>>) -> Option<T> {
        bytes.map(|bytes| {
            decode(&bytes)
                .unwrap_or_else(|e| fail(&format!("a stored value cannot be decoded: {e}")))
        })
    }

    pub fn save<T: Encode>(key: &[u8], value: &T) {
        set(key, &value.encode())
    }

    /// `init`'s guard (it runs once): `Err(initialised)` if anything is stored under `key`,
    /// where `init` keeps what it is given.
    #[inline]
    pub fn ensure_absent<E>(key: &[u8], initialised: E) -> Result<(), E> {
        if get(key).is_some() {
            return Err(initialised);
        }
        Ok(())
    }

    /// The SCALE value under `key`, which must be there (a contract's configuration, which
    /// `init` stores): fails the call with `missing` if it is not, and as [`load`] does if it
    /// does not decode.
    #[inline]
    pub fn load_or_fail<T: Decode>(key: &[u8], missing: &str) -> T {
        load(key).unwrap_or_else(|| fail(missing))
    }
}

/// The member registry's records, read from its storage (its published layout,
/// [`catena_schema::registry::keys`]) rather than by calling it: no second contract instance
/// for a lookup.
pub mod registry {
    use super::*;
    use catena_schema::registry::{keys, AccountRecord, MemberRecord};
    use catena_schema::{Account, ContractId};

    /// The record of `account` in the registry contract `registry`, if it is a member's.
    #[inline]
    pub fn account(registry: &ContractId, account: &Account) -> Option<AccountRecord> {
        storage::load_of(registry, &keys::account_key(account))
    }

    /// The record of the member `uscc` in the registry contract `registry`, if it is one.
    #[inline]
    pub fn member(registry: &ContractId, uscc: &str) -> Option<MemberRecord> {
        storage::load_of(registry, &keys::member_key(uscc))
    }
}

/// Formats bytes as lower-case hex (for messages).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}
