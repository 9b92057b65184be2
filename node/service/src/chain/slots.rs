//! A chain's places for read-only contract calls: at most [`QUERIES_PER_CHAIN`] of its queries
//! run at once, so one chain's queries take neither another chain's instance slots nor those
//! block execution needs (the engine's pool is sized for every hosted chain, ADR 0028).

use std::sync::{Condvar, Mutex};
use std::time::Duration;

pub use catena_runtime::wasm::QUERIES_PER_CHAIN;

#[derive(Debug)]
pub struct QuerySlots {
    running: Mutex<usize>,
    freed: Condvar,
    capacity: usize,
}

impl Default for QuerySlots {
    fn default() -> Self {
        QuerySlots::new(QUERIES_PER_CHAIN)
    }
}

impl QuerySlots {
    pub fn new(capacity: usize) -> QuerySlots {
        QuerySlots {
            running: Mutex::new(0),
            freed: Condvar::new(),
            capacity,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// A place, waiting up to `wait` for one to be freed; `None` if every place stayed taken.
    pub fn acquire(&self, wait: Duration) -> Option<QuerySlot<'_>> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let (mut running, _) = self
            .freed
            .wait_timeout_while(running, wait, |running| *running >= self.capacity)
            .unwrap_or_else(|e| e.into_inner());
        if *running >= self.capacity {
            return None;
        }
        *running += 1;
        Some(QuerySlot(self))
    }
}

/// Holds one of its chain's query places while alive.
#[derive(Debug)]
pub struct QuerySlot<'a>(&'a QuerySlots);

impl Drop for QuerySlot<'_> {
    fn drop(&mut self) {
        *self.0.running.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_and_freed() {
        let slots = QuerySlots::new(2);
        let first = slots.acquire(Duration::ZERO).expect("free");
        let _second = slots.acquire(Duration::ZERO).expect("free");
        assert!(slots.acquire(Duration::from_millis(20)).is_none(), "full");
        drop(first);
        assert!(slots.acquire(Duration::ZERO).is_some(), "freed");
    }
}
