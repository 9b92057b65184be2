//! The host ABI `catena_v1` as the wasm32 build sees it (docs/abi.md).

use alloc::vec;
use alloc::vec::Vec;

use catena_abi::code;

macro_rules! imports {
    (
        module = $module:literal;
        $($konst:ident $name:ident ($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;)*
    ) => {
        mod sys {
            #[link(wasm_import_module = $module)]
            extern "C" {
                $(pub fn $name($($arg: $ty),*) $(-> $ret)?;)*
            }
        }
    };
}

catena_abi::with_host_functions!(imports);

fn ptr(bytes: &[u8]) -> i32 {
    bytes.as_ptr() as i32
}

fn len(bytes: &[u8]) -> i32 {
    bytes.len() as i32
}

pub fn input() -> Vec<u8> {
    // SAFETY: host calls with pointers into buffers we own, of the lengths we pass.
    unsafe {
        let mut buf = vec![0u8; sys::input_len() as usize];
        sys::input_read(buf.as_mut_ptr() as i32);
        buf
    }
}

pub fn ret(data: &[u8]) {
    // SAFETY: a pointer and length of a live slice.
    unsafe { sys::return_data(ptr(data), len(data)) }
}

pub fn fail(message: &str) -> ! {
    // SAFETY: a pointer and length of a live string; the host never returns.
    unsafe { sys::abort(ptr(message.as_bytes()), len(message.as_bytes())) }
}

fn account_from(f: unsafe extern "C" fn(i32)) -> [u8; 32] {
    let mut out = [0u8; 32];
    // SAFETY: the host writes exactly 32 bytes to our buffer.
    unsafe { f(out.as_mut_ptr() as i32) };
    out
}

pub fn caller() -> [u8; 32] {
    account_from(sys::caller)
}

pub fn origin() -> [u8; 32] {
    account_from(sys::origin)
}

pub fn self_id() -> [u8; 32] {
    account_from(sys::self_id)
}

pub fn call(id: &[u8; 32], method: &str, input: &[u8], max_output: usize) -> Vec<u8> {
    let mut out = vec![0u8; max_output];
    // SAFETY: pointers and lengths of live buffers; the host copies only what fits.
    let n = unsafe {
        sys::call_contract(
            id.as_ptr() as i32,
            ptr(method.as_bytes()),
            len(method.as_bytes()),
            ptr(input),
            len(input),
            out.as_mut_ptr() as i32,
            len(&out),
        )
    } as usize;
    if n > out.len() {
        fail("a contract call returned more than the caller's max_output");
    }
    out.truncate(n);
    out
}

pub fn block_height() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::block_height() as u64 }
}

pub fn block_time_ms() -> u64 {
    // SAFETY: no pointers.
    unsafe { sys::block_time_ms() as u64 }
}

pub fn emit(topic: &str, data: &[u8]) {
    // SAFETY: pointers and lengths of live slices.
    unsafe {
        sys::emit_event(
            ptr(topic.as_bytes()),
            len(topic.as_bytes()),
            ptr(data),
            len(data),
        )
    }
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // SAFETY: the host writes exactly 32 bytes to our buffer.
    unsafe { sys::sha256(ptr(data), len(data), out.as_mut_ptr() as i32) };
    out
}

pub fn ed25519_verify(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    // SAFETY: pointers of live buffers of the lengths the host reads.
    unsafe {
        sys::ed25519_verify(
            key.as_ptr() as i32,
            ptr(message),
            len(message),
            signature.as_ptr() as i32,
        ) == code::VALID
    }
}

pub fn invoice_fingerprint(invoice: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    // SAFETY: the host writes at most 32 bytes to our buffer.
    let written =
        unsafe { sys::invoice_fingerprint(ptr(invoice), len(invoice), out.as_mut_ptr() as i32) };
    (written == code::WRITTEN).then_some(out)
}

pub fn schedule(at_ms: u64, method: &str, input: &[u8]) -> u64 {
    // SAFETY: pointers and lengths of live slices.
    unsafe {
        sys::schedule_call(
            // Saturates rather than wraps: a time past i64::MAX must not read as "now".
            at_ms.min(i64::MAX as u64) as i64,
            ptr(method.as_bytes()),
            len(method.as_bytes()),
            ptr(input),
            len(input),
        ) as u64
    }
}

/// The first read's buffer: enough for most records (a voucher with its backing, a contract's
/// configuration), so that most values are read once; a larger value is read again in full.
const FIRST_READ_BYTES: usize = 512;

pub fn storage_get(key: &[u8]) -> Option<Vec<u8>> {
    // SAFETY: pointers and lengths of live buffers; the host copies only what fits.
    read_value(|out, cap| unsafe { sys::storage_read(ptr(key), len(key), out, cap) })
}

pub fn storage_get_of(contract: &[u8; 32], key: &[u8]) -> Option<Vec<u8>> {
    // SAFETY: pointers and lengths of live buffers; the host copies only what fits.
    read_value(|out, cap| unsafe {
        sys::storage_read_of(contract.as_ptr() as i32, ptr(key), len(key), out, cap)
    })
}

/// A value read by `read(out_ptr, out_cap)` (a storage read returning −1 or the value's
/// length): into the first buffer, or again into one of its length.
fn read_value(read: impl Fn(i32, i32) -> i32) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; FIRST_READ_BYTES];
    let found = read(buf.as_mut_ptr() as i32, len(&buf));
    if found < 0 {
        return None;
    }
    let found = found as usize;
    if found > buf.len() {
        buf = vec![0u8; found];
        read(buf.as_mut_ptr() as i32, len(&buf));
    }
    buf.truncate(found);
    Some(buf)
}

pub fn storage_set(key: &[u8], value: &[u8]) {
    // SAFETY: pointers and lengths of live slices.
    unsafe { sys::storage_write(ptr(key), len(key), ptr(value), len(value)) }
}

pub fn storage_remove(key: &[u8]) {
    // SAFETY: a pointer and length of a live slice.
    unsafe { sys::storage_remove(ptr(key), len(key)) }
}

pub fn storage_next(prefix: &[u8], after: Option<&[u8]>) -> Option<(Vec<u8>, Vec<u8>)> {
    let (after_ptr, after_len) = after.map_or((0, code::FROM_START), |a| (ptr(a), len(a)));
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: pointers and lengths of live buffers; the host copies only what fits.
        let found = unsafe {
            sys::storage_next(
                ptr(prefix),
                len(prefix),
                after_ptr,
                after_len,
                buf.as_mut_ptr() as i32,
                len(&buf),
            )
        };
        if found < 0 {
            return None;
        }
        let found = found as usize;
        if found > buf.len() {
            buf = vec![0u8; found];
            continue;
        }
        let (key, value) = catena_abi::read_entry_record(&buf[..found])
            .unwrap_or_else(|| fail("the host returned a malformed storage entry"));
        return Some((key.to_vec(), value.to_vec()));
    }
}

/// Every call runs in a fresh instance, so a bump allocator that never frees is enough: memory
/// goes back when the call ends. It starts at the linker's `__heap_base`, so the room the
/// module's initial memory leaves after its data is used before the memory grows (a call that
/// never grows its memory costs the host no page-protection change); growth beyond the host's
/// memory limit fails the call.
mod allocator {
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    extern "C" {
        /// The first address after the module's static data, placed by the linker.
        static __heap_base: u8;
    }

    struct Bump {
        next: UnsafeCell<usize>,
    }

    // SAFETY: contracts are single-threaded (wasm32 without threads).
    unsafe impl Sync for Bump {}

    const PAGE: usize = 65_536;

    // SAFETY: returns aligned, non-overlapping blocks from memory grown for them, or null.
    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let next = &mut *self.next.get();
            if *next == 0 {
                *next = core::ptr::addr_of!(__heap_base) as usize;
            }
            let start = (*next + layout.align() - 1) & !(layout.align() - 1);
            let end = start + layout.size();
            let have = core::arch::wasm32::memory_size(0) * PAGE;
            if end > have {
                let pages = (end - have).div_ceil(PAGE);
                if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
                    return core::ptr::null_mut();
                }
            }
            *next = end;
            start as *mut u8
        }

        unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
    }

    #[global_allocator]
    static ALLOCATOR: Bump = Bump {
        next: UnsafeCell::new(0),
    };
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    fail("the contract panicked")
}
