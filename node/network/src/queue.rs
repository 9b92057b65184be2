//! The channel of events from the network task to the node, bounded in bytes without ever
//! making the network task wait: a node busy judging a flood must not stop the swarm from
//! being polled (pings answered, connections kept, commands taken). Gossip messages and
//! requests that would take the queue past its bounds are dropped on arrival — a gossip message
//! is reported ignored (neither forwarded nor counted against its sender), a request is left
//! unanswered — and counted ([`NetworkHandle::dropped`](crate::NetworkHandle::dropped)). The
//! other events (connections, refusals, bans) are few and always delivered.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::Event;

/// Gossip messages and requests waiting for the node, at most.
pub const MAX_QUEUED_MESSAGES: usize = 4_096;

/// The bytes an event holds while it waits (its payload; other events count as nothing).
fn weight(event: &Event) -> usize {
    match event {
        Event::Gossip { data, .. } | Event::Request { data, .. } => data.len(),
        _ => 0,
    }
}

/// What the sending side and the receiving side share.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    bytes: AtomicUsize,
    messages: AtomicUsize,
    /// Messages dropped because the queue was full, since the start.
    pub(crate) dropped: AtomicU64,
}

/// The network task's end.
#[derive(Debug)]
pub(crate) struct Sender {
    tx: mpsc::UnboundedSender<Event>,
    counters: Arc<Counters>,
    max_bytes: usize,
}

/// The node's end: every event the network saw, in order.
#[derive(Debug)]
pub struct Events {
    rx: mpsc::UnboundedReceiver<Event>,
    counters: Arc<Counters>,
}

pub(crate) fn channel(max_bytes: usize) -> (Sender, Events, Arc<Counters>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let counters = Arc::new(Counters::default());
    (
        Sender {
            tx,
            counters: Arc::clone(&counters),
            max_bytes,
        },
        Events {
            rx,
            counters: Arc::clone(&counters),
        },
        counters,
    )
}

impl Sender {
    /// Queues `event`; `false` (and the event dropped) for a message that does not fit (queue
    /// full in bytes or in count). Never waits.
    pub(crate) fn send(&self, event: Event) -> bool {
        let bytes = weight(&event);
        let is_message = matches!(event, Event::Gossip { .. } | Event::Request { .. });
        if is_message {
            let queued = self.counters.bytes.load(Ordering::Relaxed);
            let waiting = self.counters.messages.load(Ordering::Relaxed);
            if waiting >= MAX_QUEUED_MESSAGES || queued.saturating_add(bytes) > self.max_bytes {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            self.counters.bytes.fetch_add(bytes, Ordering::Relaxed);
            self.counters.messages.fetch_add(1, Ordering::Relaxed);
        }
        // A closed receiver means the node is stopping: nothing is waiting for the event.
        let _ = self.tx.send(event);
        true
    }
}

impl Events {
    /// The next event; `None` once the network task has stopped.
    pub async fn recv(&mut self) -> Option<Event> {
        let event = self.rx.recv().await?;
        if matches!(event, Event::Gossip { .. } | Event::Request { .. }) {
            self.counters
                .bytes
                .fetch_sub(weight(&event), Ordering::Relaxed);
            self.counters.messages.fetch_sub(1, Ordering::Relaxed);
        }
        Some(event)
    }

    /// Bytes of messages waiting now.
    pub fn queued_bytes(&self) -> usize {
        self.counters.bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gossip(len: usize) -> Event {
        Event::Gossip {
            topic: crate::Topic::Transactions,
            source: libp2p::PeerId::random(),
            message_id: libp2p::gossipsub::MessageId::new(b"id"),
            data: vec![0; len],
        }
    }

    #[tokio::test]
    async fn messages_past_the_byte_bound_are_dropped_and_counted_and_room_comes_back() {
        let (tx, mut rx, counters) = channel(1_000);
        assert!(tx.send(gossip(600)));
        assert!(!tx.send(gossip(600)), "1,200 bytes over a 1,000 bound");
        assert!(tx.send(Event::PeerConnected(libp2p::PeerId::random())));
        assert!(tx.send(gossip(400)), "exactly at the bound");
        assert_eq!(rx.queued_bytes(), 1_000);
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 1);
        assert!(matches!(rx.recv().await, Some(Event::Gossip { .. })));
        assert_eq!(rx.queued_bytes(), 400);
        assert!(tx.send(gossip(600)), "room again once the node took one");
    }

    #[tokio::test]
    async fn at_most_the_message_count_waits_even_when_they_are_empty() {
        let (tx, _rx, counters) = channel(usize::MAX);
        for _ in 0..MAX_QUEUED_MESSAGES {
            assert!(tx.send(gossip(0)));
        }
        assert!(!tx.send(gossip(0)));
        assert!(tx.send(Event::Banned(libp2p::PeerId::random())));
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 1);
    }
}
