//! An example contract: `add` takes an 8-byte little-endian amount, adds it to the counter,
//! emits `counted` with the new total and returns it; `get` returns the total.
#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use catena_sdk::{emit, entry, storage};

const TOTAL: &[u8] = b"total";

#[no_mangle]
pub extern "C" fn add() {
    entry(|input| {
        let amount: [u8; 8] = input
            .try_into()
            .map_err(|_| String::from("the amount must be 8 bytes (u64, little-endian)"))?;
        let total = storage::get_u64(TOTAL)
            .checked_add(u64::from_le_bytes(amount))
            .ok_or_else(|| String::from("the counter would overflow"))?;
        storage::set_u64(TOTAL, total);
        emit("counted", &total.to_le_bytes());
        Ok(Vec::from(total.to_le_bytes()))
    })
}

#[no_mangle]
pub extern "C" fn get() {
    entry(|_| Ok(Vec::from(storage::get_u64(TOTAL).to_le_bytes())))
}
