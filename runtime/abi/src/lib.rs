//! The contract host ABI `catena_v1` (docs/abi.md), defined once.
//!
//! The runtime links its host functions by these names and enforces these limits; the contract
//! SDK declares its wasm imports from the same list ([`with_host_functions!`]) and its native
//! mock host enforces the same limits. Released functions never change: changed behaviour gets a
//! new module name, and a new function may only be added (ADR 0018).
#![no_std]

/// Calls `$callback! { module = "…"; CONST name(arg: type, …) -> ret; … }` with the module name
/// and every host function: the one list the runtime's names and the SDK's imports come from.
#[macro_export]
macro_rules! with_host_functions {
    ($callback:ident) => {
        $callback! {
            module = "catena_v1";
            INPUT_LEN input_len() -> i32;
            INPUT_READ input_read(out_ptr: i32);
            RETURN_DATA return_data(ptr: i32, len: i32);
            ABORT abort(msg_ptr: i32, msg_len: i32) -> !;
            STORAGE_READ storage_read(key_ptr: i32, key_len: i32, out_ptr: i32, out_cap: i32) -> i32;
            STORAGE_READ_OF storage_read_of(
                id_ptr: i32,
                key_ptr: i32,
                key_len: i32,
                out_ptr: i32,
                out_cap: i32
            ) -> i32;
            STORAGE_WRITE storage_write(key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32);
            STORAGE_REMOVE storage_remove(key_ptr: i32, key_len: i32);
            STORAGE_NEXT storage_next(
                prefix_ptr: i32,
                prefix_len: i32,
                after_ptr: i32,
                after_len: i32,
                out_ptr: i32,
                out_cap: i32
            ) -> i32;
            CALLER caller(out_ptr: i32);
            ORIGIN origin(out_ptr: i32);
            SELF_ID self_id(out_ptr: i32);
            CALL_CONTRACT call_contract(
                id_ptr: i32,
                method_ptr: i32,
                method_len: i32,
                input_ptr: i32,
                input_len: i32,
                out_ptr: i32,
                out_cap: i32
            ) -> i32;
            BLOCK_HEIGHT block_height() -> i64;
            BLOCK_TIME_MS block_time_ms() -> i64;
            EMIT_EVENT emit_event(topic_ptr: i32, topic_len: i32, data_ptr: i32, data_len: i32);
            SHA256 sha256(ptr: i32, len: i32, out_ptr: i32);
            ED25519_VERIFY ed25519_verify(key_ptr: i32, msg_ptr: i32, msg_len: i32, sig_ptr: i32) -> i32;
            SCHEDULE_CALL schedule_call(
                at_ms: i64,
                method_ptr: i32,
                method_len: i32,
                input_ptr: i32,
                input_len: i32
            ) -> i64;
            INVOICE_FINGERPRINT invoice_fingerprint(ptr: i32, len: i32, out_ptr: i32) -> i32;
        }
    };
}

macro_rules! names {
    (
        module = $module:literal;
        $($konst:ident $name:ident ($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*
    ) => {
        /// The module contracts import the host functions from.
        pub const MODULE: &str = $module;

        /// The host functions' import names.
        pub mod function {
            $(pub const $konst: &str = stringify!($name);)*
            /// Every one, in the order docs/abi.md lists them.
            pub const ALL: &[&str] = &[$($konst),*];
        }
    };
}

with_host_functions!(names);

/// The method that runs once, at instantiation: neither a contract nor a schedule may call it.
pub const INIT_METHOD: &str = "init";

// Limits: a call that passes one fails with a message naming the rule.

/// The largest contract code accepted.
pub const MAX_CODE_BYTES: usize = 2 << 20;
/// The largest linear memory of one contract instance.
pub const MAX_MEMORY_BYTES: usize = 16 << 20;
/// Native stack wasm frames may use per contract instance: a backstop only. Calls are limited
/// by [`MAX_STACK_UNITS`], the same on every host, and the frames that budget allows take at
/// most a quarter of this (runtime tests measure it); nested contract calls share the budget.
/// The threads that execute contracts have 8 MiB stacks, room for [`MAX_CALL_DEPTH`] × this.
pub const MAX_WASM_STACK_BYTES: usize = 1 << 20;
/// How deep wasm calls may nest, in stack units, for a whole call with its nested contract
/// calls: each function called takes [`FRAME_STACK_UNITS`] plus one per parameter, local and
/// value of its operand stack at its highest, until it returns. Past it the call traps with
/// "call stack exhausted" at the same point on every host (ADR 0037).
pub const MAX_STACK_UNITS: u32 = 16_384;
/// What a function's frame costs in stack units besides its values.
pub const FRAME_STACK_UNITS: u32 = 8;
/// The most elements a contract's table may hold.
pub const MAX_TABLE_ELEMENTS: usize = 10_000;
/// The largest return value.
pub const MAX_RETURN_BYTES: usize = 64 << 10;
/// The longest `abort` message (UTF-8).
pub const MAX_ABORT_BYTES: usize = 1024;
/// Where a contract keeps its index entries: keys of its storage that begin with this are kept
/// by every node in the same synced write as the block, and read and written by the contract
/// like any other entry, but they are left out of the state tree, so the state root does not
/// commit to them and no proof covers them (ADR 0049). An index holds only what the contract
/// can derive again from its committed entries: after a state sync, the node asks the
/// contract's [`REINDEX_METHOD`] for them.
pub const INDEX_PREFIX: &[u8] = b"~/";
/// The read-only method a contract with index entries exports: given where the last page
/// ended (SCALE `Option<Vec<u8>>`, a key of the contract's choice), the index entries derived
/// from its committed entries and where the next page starts (SCALE
/// `(Vec<(Vec<u8>, Vec<u8>)>, Option<Vec<u8>>)`, each key under [`INDEX_PREFIX`]).
pub const REINDEX_METHOD: &str = "reindex";

/// The largest storage key and value.
pub const MAX_KEY_BYTES: usize = 256;
pub const MAX_VALUE_BYTES: usize = 256 << 10;
/// The longest event topic and the largest event payload.
pub const MAX_TOPIC_BYTES: usize = 64;
pub const MAX_EVENT_BYTES: usize = 16 << 10;
/// Events one call may emit.
pub const MAX_EVENTS: usize = 256;
/// The longest method name a call or a schedule may name.
pub const MAX_METHOD_BYTES: usize = 64;
/// How deep contracts may call each other (the transaction's call is depth 1).
pub const MAX_CALL_DEPTH: usize = 4;
/// The largest input of a scheduled call, and how many calls one call may schedule.
pub const MAX_SCHEDULED_INPUT_BYTES: usize = 4 << 10;
pub const MAX_SCHEDULED_PER_CALL: u32 = 16;

/// Fuel costs beyond wasm instructions (docs/abi.md "Limits and costs"), set from measured time
/// at the rate of wasm instructions, about 0.2 ns per fuel (ADR 0038, runtime/benches/fuel.rs).
pub mod fuel {
    /// Every host call, on top of what it moves.
    pub const PER_HOST_CALL: u64 = 100;
    /// Each byte a host function moves in or out of the sandbox.
    pub const PER_BYTE: u64 = 1;
    /// Each byte a storage write stores, on top: every node keeps it for ever.
    pub const PER_STORED_BYTE: u64 = 50;
    /// Each step of a storage listing (each entry looked at, removed ones included).
    pub const PER_LISTING_STEP: u64 = 2_000;
    /// Each storage read (`storage_read`, `storage_read_of`), on top: a lookup in the state.
    pub const PER_STORAGE_READ: u64 = 2_000;
    /// Each `sha256`, on top: the hash's set-up and final blocks.
    pub const PER_HASH: u64 = 600;
    /// Each byte hashed, on top of moving it.
    pub const PER_HASHED_BYTE: u64 = 3;
    /// Instantiating a callee, on top of 1 per byte of its code.
    pub const PER_NESTED_CALL: u64 = 10_000;
    /// Scheduling a call, on top of the bytes it stores: it will run for free later.
    pub const PER_SCHEDULED_CALL: u64 = 20_000;
    /// An ed25519 check is charged as if it moved this many bytes (~45 µs measured).
    pub const ED25519_VERIFY_BYTES: usize = 240_000;
    /// Uploading code: compiling it has a fixed part and a part per byte (measured ~2.3 ms
    /// and ~2 µs per byte), and every node stores the code for ever (`PER_STORED_BYTE`).
    pub const PER_UPLOAD: u64 = 12_000_000;
    pub const PER_CODE_BYTE: u64 = 10_000;

    /// What uploading `len` bytes of code costs, valid or not: it is compiled either way.
    pub const fn upload(len: usize) -> u64 {
        PER_UPLOAD.saturating_add((len as u64).saturating_mul(PER_CODE_BYTE + PER_STORED_BYTE))
    }
}

/// Return codes of the host functions that have them.
pub mod code {
    /// `storage_read`, `storage_read_of`, `storage_next`: no such entry.
    pub const ABSENT: i32 = -1;
    /// `storage_next`'s `after_len` for "from the start of the prefix".
    pub const FROM_START: i32 = -1;
    /// `ed25519_verify`: the signature is valid, or it is not.
    pub const VALID: i32 = 1;
    pub const INVALID: i32 = 0;
    /// `invoice_fingerprint`: written (else [`ABSENT`]: this chain holds no invoice key).
    pub const WRITTEN: i32 = 0;
}

/// The largest input of `invoice_fingerprint` (SCALE code, number and seller).
pub const MAX_FINGERPRINT_INPUT_BYTES: usize = 256;

/// The bytes of an entry `storage_next` copies out: `key_len (u32 LE) ++ key ++ value`.
pub fn entry_record_len(key: &[u8], value: &[u8]) -> usize {
    4 + key.len() + value.len()
}

/// Writes [`entry_record_len`] bytes of the record of `(key, value)` into `out`.
///
/// # Panics
/// If `out` is shorter than the record.
pub fn write_entry_record(key: &[u8], value: &[u8], out: &mut [u8]) {
    let key_len = key.len() as u32;
    out[..4].copy_from_slice(&key_len.to_le_bytes());
    out[4..4 + key.len()].copy_from_slice(key);
    out[4 + key.len()..4 + key.len() + value.len()].copy_from_slice(value);
}

/// The key and value of a record `storage_next` copied out, or `None` if it is malformed.
pub fn read_entry_record(record: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = record.get(..4)?;
    let key_len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let rest = &record[4..];
    (key_len <= rest.len()).then(|| rest.split_at(key_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_record_reads_back_as_written() {
        let (key, value) = (b"v/7".as_slice(), b"record".as_slice());
        let mut out = [0u8; 32];
        let len = entry_record_len(key, value);
        write_entry_record(key, value, &mut out[..len]);
        assert_eq!(&out[..4], &3u32.to_le_bytes());
        assert_eq!(read_entry_record(&out[..len]), Some((key, value)));
        assert_eq!(read_entry_record(&out[..2]), None);
        assert_eq!(read_entry_record(&[9, 0, 0, 0, 1]), None);
    }

    #[test]
    fn the_function_names_are_the_released_ones() {
        assert_eq!(MODULE, "catena_v1");
        assert_eq!(function::ALL.len(), 20);
        assert_eq!(function::STORAGE_READ_OF, "storage_read_of");
        // Added for invoice claims (ADR 0031); no released name changed.
        assert_eq!(function::INVOICE_FINGERPRINT, "invoice_fingerprint");
        let mut sorted = function::ALL.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), function::ALL.len(), "a name is listed twice");
    }
}
