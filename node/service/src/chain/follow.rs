//! What a node knows of its place in its chain's network, for `GET /status` and for admission:
//! the validator key it holds (if any) and its peer id, the highest height it has heard the
//! validators vote above, how fast it catches up while behind, and how many transactions it
//! admitted that still wait to reach a peer.

use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use catena_primitives::AccountId;

/// A node more than this many blocks behind the highest height it has heard of answers
/// submissions with "syncing" rather than admit against stale state.
pub const MAX_ADMIT_LAG: u64 = 3;

/// Who this node is on its chain's network, set once at start.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The account of the validator key this node signs with, if any.
    pub validator: Option<AccountId>,
    /// Its libp2p peer id, if it runs a network.
    pub peer_id: Option<String>,
}

#[derive(Debug, Default)]
pub struct Following {
    identity: OnceLock<Identity>,
    /// The highest committed height the validators' votes imply (a vote at height h says h − 1
    /// is committed).
    heard: AtomicU64,
    /// Transactions admitted here and not yet sent to a peer, or sent and still pending.
    forwarding: AtomicUsize,
    /// While behind: when this node was first seen behind, and its height then.
    behind_since: Mutex<Option<(Instant, u64)>>,
    /// Whether its committed state allows this node's peer id on the network: 0 not known yet,
    /// 1 yes, 2 no (set where the allow list is computed, so that a status costs no state read).
    allowed: AtomicU8,
}

impl Following {
    pub fn set_identity(&self, identity: Identity) {
        let _ = self.identity.set(identity);
    }

    pub fn identity(&self) -> Identity {
        self.identity.get().cloned().unwrap_or_default()
    }

    /// A validator voted at `height`: `height − 1` is committed somewhere.
    pub fn heard_vote_at(&self, height: u64) {
        self.heard
            .fetch_max(height.saturating_sub(1), Ordering::AcqRel);
    }

    /// The highest height heard of, at least this node's own.
    pub fn heard(&self, own: u64) -> u64 {
        self.heard.load(Ordering::Acquire).max(own)
    }

    /// `Some((own, heard))` while this node is more than [`MAX_ADMIT_LAG`] blocks behind.
    pub fn syncing(&self, own: u64) -> Option<(u64, u64)> {
        let heard = self.heard(own);
        (heard > own + MAX_ADMIT_LAG).then_some((own, heard))
    }

    /// Block sync took this node from `before` to a higher height: the catch-up clock starts
    /// at the first such step while behind.
    pub fn synced_from(&self, before: u64) {
        let mut since = self.behind_since.lock().unwrap_or_else(|e| e.into_inner());
        since.get_or_insert((Instant::now(), before));
    }

    /// Blocks per second since block sync began, while this node is behind what it heard of.
    pub fn catch_up_rate(&self, own: u64) -> Option<f64> {
        let mut since = self.behind_since.lock().unwrap_or_else(|e| e.into_inner());
        if self.heard(own) <= own + 1 {
            *since = None;
            return None;
        }
        let (at, from) = (*since)?;
        let secs = at.elapsed().as_secs_f64();
        (secs > 0.0).then(|| own.saturating_sub(from) as f64 / secs)
    }

    /// The driver computed the allow list from the state at its tip.
    pub fn set_allowed(&self, allowed: bool) {
        self.allowed
            .store(if allowed { 1 } else { 2 }, Ordering::Release);
    }

    /// Whether the state this node has allows its peer id (`None` before it was computed).
    pub fn allowed(&self) -> Option<bool> {
        match self.allowed.load(Ordering::Acquire) {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        }
    }

    pub fn set_forwarding(&self, waiting: usize) {
        self.forwarding.store(waiting, Ordering::Release);
    }

    pub fn forwarding(&self) -> usize {
        self.forwarding.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_behind_what_it_heard_is_syncing() {
        let following = Following::default();
        assert_eq!(following.syncing(0), None);
        following.heard_vote_at(5);
        assert_eq!(following.heard(0), 4);
        assert_eq!(following.syncing(1), None, "3 behind is close enough");
        assert_eq!(following.syncing(0), Some((0, 4)));
        following.heard_vote_at(3);
        assert_eq!(following.heard(0), 4, "the highest is kept");
        assert_eq!(following.heard(9), 9, "never below the node's own");
    }
}
