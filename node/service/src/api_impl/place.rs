//! Where this node stands on its chain's network, for `GET /status`: its role, peers, the height
//! it has heard of and how far behind it is, what it forwards, and what keeps it from following.

use crate::chain::ChainInstance;

/// The parts of `GET /status` that say where this node stands on its chain's network.
pub(super) struct Place {
    pub(super) role: String,
    pub(super) peers: u64,
    pub(super) heard_height: u64,
    pub(super) sync_lag: u64,
    pub(super) catch_up_blocks_per_s: Option<f64>,
    pub(super) forwarding: usize,
    pub(super) problem: Option<String>,
}

impl ChainInstance {
    /// `validator` if this node signs with a key in the set that certifies the next block,
    /// else `follower`.
    pub(super) fn role(&self) -> &'static str {
        match self.following().identity().validator {
            Some(account) if self.validators().contains(&account) => "validator",
            _ => "follower",
        }
    }

    pub(super) fn place(&self, height: u64) -> Place {
        let following = self.following();
        let identity = following.identity();
        let peers = u64::try_from(self.metrics().peers.get()).unwrap_or(0);
        let heard_height = following.heard(height);
        let forwarding = following.forwarding();
        let problem = match &identity.peer_id {
            Some(peer_id) => {
                if following.allowed() == Some(false) {
                    Some(format!(
                        "this node's peer id {peer_id} is not in the chain's allow list: its member registers it with `catena member register-node {peer_id} --as MEMBER`"
                    ))
                } else if peers == 0 {
                    Some(format!(
                        "no peer connected{}",
                        if forwarding > 0 {
                            format!(
                                ": {forwarding} transactions admitted here wait to be forwarded"
                            )
                        } else {
                            String::new()
                        }
                    ))
                } else {
                    None
                }
            }
            None => None,
        };
        Place {
            role: self.role().to_string(),
            peers,
            heard_height,
            sync_lag: heard_height - height,
            catch_up_blocks_per_s: following.catch_up_rate(height),
            forwarding,
            problem,
        }
    }
}
