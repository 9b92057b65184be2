//! The anchorer: a task beside a parachain this node validates, which anchors the parachain's
//! checkpoints on the main chain this node also hosts (PARACHAINS.md, ADR 0029).
//!
//! No queue: every tick it compares the main chain's head for its parachain with its own store,
//! and sends what is missing, oldest first, at most [`MAX_IN_FLIGHT`] at a time. A checkpoint is
//! a block at a multiple of the anchor period, a block at least the period's milliseconds after
//! the anchored head, or the last block before a validator-set change (whose anchor switches the
//! registered set; the main chain refuses anything past it first). The validators take turns:
//! checkpoint `h`'s submitter is the validator at `h / N` in the registered set; the others
//! send it after [`FALLBACK_DELAY`] times their distance in that rotation if nothing landed.
//! Whoever sends a checkpoint sends the older ones still missing before it, so a slow submitter's
//! checkpoint is not skipped by a later one landing first.
//! Duplicates are harmless (the head again is a no-op). Neither chain waits on the other: the
//! task only reads both stores and submits to the main chain's mempool.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catena_primitives::parachain::{Anchor, ParachainRecord, ParachainStatus};
use catena_primitives::through_anchor::Handover;
use catena_primitives::{Call, SecretKey, Transaction};

use crate::chain::{ChainInstance, StoreState};

/// How often the anchorer compares the main chain's head with its store.
pub const TICK: Duration = Duration::from_millis(250);
/// How long each validator further along the rotation waits before sending a checkpoint the
/// one before it has not landed.
pub const FALLBACK_DELAY: Duration = Duration::from_secs(3);
/// Anchors sent and not yet landed, at most (a backlog goes this many per round, oldest first).
pub const MAX_IN_FLIGHT: usize = 4;
/// A sent anchor that has not landed after this long is sent again.
pub const RESEND_AFTER: Duration = Duration::from_secs(10);
/// Blocks of the parachain looked through for checkpoints per tick.
const SCAN_LIMIT: u64 = 2_000;

/// What the anchorer of one parachain remembers between ticks.
struct Anchorer {
    main: Arc<ChainInstance>,
    para: Arc<ChainInstance>,
    /// The validator key this node holds for the parachain, if any: without one the task only
    /// measures the lag.
    key: Option<SecretKey>,
    /// Whether the anchored head was last seen overdue (more than twice the period old).
    overdue: bool,
    /// When each checkpoint was first seen due, for the fallback rotation.
    due_since: BTreeMap<u64, Instant>,
    /// Checkpoints sent and when.
    sent: BTreeMap<u64, Instant>,
}

/// Runs the anchorer of `para` on `main` with the validator `key` (if this node validates it;
/// otherwise it only measures the anchor lag), until aborted.
pub async fn run(main: Arc<ChainInstance>, para: Arc<ChainInstance>, key: Option<SecretKey>) {
    let mut anchorer = Anchorer {
        main,
        para,
        key,
        overdue: false,
        due_since: BTreeMap::new(),
        sent: BTreeMap::new(),
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if anchorer.para.failure().is_some() || anchorer.main.failure().is_some() {
            continue;
        }
        if let Err(e) = tokio::task::block_in_place(|| anchorer.round()) {
            tracing::warn!(target: "anchor", parachain = %anchorer.para.spec().chain_id, error = %e, "anchoring round failed");
        }
    }
}

/// Committed block `height` of `chain` as a proof of its validator sets carries it: its header
/// and certificate as stored, and the validator set in its state after that block with the
/// proof under its state root.
pub fn handover_of(chain: &ChainInstance, height: u64) -> Result<Handover, String> {
    let store = chain.store();
    let header = store
        .header(height)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("header {height} is missing"))?;
    let certificate = store
        .certificate(height)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("certificate {height} is missing"))?;
    let (validators, proof) = store
        .state_with_proof(catena_runtime::keys::VALIDATORS, height)
        .map_err(|e| e.to_string())?;
    Ok(Handover {
        header,
        certificate,
        next_validators: validators.ok_or("the state holds no validator set")?,
        next_validators_proof: proof,
    })
}

/// The anchor of committed block `height` of `para` (see [`handover_of`]).
pub fn anchor_of(para: &ChainInstance, height: u64) -> Result<Anchor, String> {
    let para_id = para.spec().chain_id.clone();
    let block = handover_of(para, height).map_err(|e| format!("parachain {para_id}: {e}"))?;
    Ok(Anchor {
        para_id,
        header: block.header,
        certificate: block.certificate,
        next_validators: block.next_validators,
        next_validators_proof: block.next_validators_proof,
    })
}

/// This validator's place in the rotation of a parachain's submitters.
struct Rotation {
    position: usize,
    validators: usize,
    /// The anchor period in blocks: checkpoint `h`'s submitter is at `h / period`.
    period: u64,
}

/// Which of `checkpoints` (oldest first) to send at `now`, oldest first: up to the newest this
/// validator may send (its own turn at once, another's after [`FALLBACK_DELAY`] times its
/// distance in the rotation since first seen due), every one still missing that has not been
/// sent within [`RESEND_AFTER`], at most [`MAX_IN_FLIGHT`] in flight. The older ones go first
/// from this one account (consecutive nonces), so a checkpoint whose submitter is slow is not
/// skipped by a later one landing before it (the main chain accepts any height above its head).
fn to_send(
    checkpoints: &[u64],
    rotation: &Rotation,
    due_since: &mut BTreeMap<u64, Instant>,
    sent: &BTreeMap<u64, Instant>,
    now: Instant,
) -> Vec<u64> {
    let n = rotation.validators.max(1);
    let mut ready = None;
    for (i, height) in checkpoints.iter().enumerate() {
        let since = *due_since.entry(*height).or_insert(now);
        let turn = usize::try_from(height / rotation.period.max(1)).unwrap_or(0) % n;
        let distance = (rotation.position + n - turn) % n;
        if now.duration_since(since) >= FALLBACK_DELAY * u32::try_from(distance).unwrap_or(0) {
            ready = Some(i);
        }
    }
    let Some(ready) = ready else {
        return Vec::new();
    };
    let recent = |height: &u64| {
        sent.get(height)
            .is_some_and(|at| now.duration_since(*at) < RESEND_AFTER)
    };
    let in_flight = sent.keys().filter(|h| recent(h)).count();
    checkpoints[..=ready]
        .iter()
        .filter(|height| !recent(height))
        .take(MAX_IN_FLIGHT.saturating_sub(in_flight))
        .copied()
        .collect()
}

impl Anchorer {
    fn round(&mut self) -> Result<(), String> {
        let id = self.para.spec().chain_id.clone();
        let state = StoreState(self.main.store());
        let Some(record) =
            catena_runtime::parachains::parachain(&state, &id).map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        self.measure(&record)?;
        if matches!(record.status, ParachainStatus::Frozen(_)) {
            return Ok(());
        }
        let Some(me) = self.key.as_ref().map(SecretKey::account) else {
            return Ok(());
        };
        let Some(position) = record.validators.iter().position(|v| *v == me) else {
            return Ok(());
        };
        let anchored = record.head.as_ref().map_or(0, |h| h.height);
        self.sent.retain(|height, _| *height > anchored);
        self.due_since.retain(|height, _| *height > anchored);
        let checkpoints = self.checkpoints(&record)?;
        let rotation = Rotation {
            position,
            validators: record.validators.len(),
            period: record.registration.anchor_every_blocks.max(1),
        };
        let now = Instant::now();
        for height in to_send(
            &checkpoints,
            &rotation,
            &mut self.due_since,
            &self.sent,
            now,
        ) {
            self.send(height)?;
            self.sent.insert(height, now);
        }
        Ok(())
    }

    /// Sets the lag metrics, and says once when the anchored head becomes overdue (over twice
    /// the anchor period old by the parachain's own tip time) and once when it is not any more.
    fn measure(&mut self, record: &ParachainRecord) -> Result<(), String> {
        let store = self.para.store();
        let tip = self.para.tip().map_err(|e| e.to_string())?.height;
        let time_of = |height: u64| -> Result<u64, String> {
            Ok(store
                .header(height)
                .map_err(|e| e.to_string())?
                .map_or(0, |h| h.time_ms))
        };
        let (anchored, anchored_time) = match &record.head {
            Some(head) => (head.height, head.time_ms),
            None => (0, time_of(0)?),
        };
        let lag_ms = time_of(tip)?.saturating_sub(anchored_time);
        let metrics = self.para.metrics();
        metrics
            .anchor_lag_blocks
            .set(i64::try_from(tip.saturating_sub(anchored)).unwrap_or(i64::MAX));
        metrics.anchor_lag_seconds.set(lag_ms as f64 / 1000.0);
        let overdue = lag_ms > 2 * record.registration.anchor_every_ms;
        metrics.anchor_overdue.set(i64::from(overdue));
        let id = &record.registration.id;
        if overdue && !self.overdue {
            tracing::warn!(target: "anchor", parachain = %id, anchored, tip, lag_ms, "anchor overdue: nothing anchored for over twice the anchor period");
        } else if !overdue && self.overdue {
            tracing::info!(target: "anchor", parachain = %id, anchored, tip, "anchors landing again");
        }
        self.overdue = overdue;
        Ok(())
    }

    /// The parachain's checkpoints above the anchored head, oldest first (the first
    /// [`MAX_IN_FLIGHT`] found).
    fn checkpoints(&self, record: &ParachainRecord) -> Result<Vec<u64>, String> {
        let store = self.para.store();
        let tip = self.para.tip().map_err(|e| e.to_string())?.height;
        let anchored = record.head.as_ref().map_or(0, |h| h.height);
        let mut last_time = match &record.head {
            Some(head) => head.time_ms,
            None => store
                .header(0)
                .map_err(|e| e.to_string())?
                .map_or(0, |h| h.time_ms),
        };
        let period = record.registration.anchor_every_blocks.max(1);
        let every_ms = record.registration.anchor_every_ms;
        let mut found = Vec::new();
        let end = tip.min(anchored + SCAN_LIMIT);
        let mut header = match store.header(anchored + 1).map_err(|e| e.to_string())? {
            Some(h) => h,
            None => return Ok(found),
        };
        for height in anchored + 1..=end {
            // The set after this block: the one certifying the next (the current set at the
            // tip).
            let next_set = if height < tip {
                store
                    .header(height + 1)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("parachain header {} is missing", height + 1))?
            } else {
                header.clone()
            };
            let set_changes = if height < tip {
                next_set.validator_set_hash != header.validator_set_hash
            } else {
                self.para.validators().hash() != header.validator_set_hash
            };
            let due = height % period == 0
                || header.time_ms.saturating_sub(last_time) >= every_ms
                || set_changes;
            if due {
                found.push(height);
                last_time = header.time_ms;
                if found.len() == MAX_IN_FLIGHT {
                    break;
                }
            }
            header = next_set;
        }
        Ok(found)
    }

    /// Submits the anchor of parachain block `height` to the main chain's mempool.
    fn send(&self, height: u64) -> Result<(), String> {
        let anchor = anchor_of(&self.para, height)?;
        let Some(key) = &self.key else {
            return Ok(());
        };
        let me = key.account();
        let committed = catena_runtime::nonce(&StoreState(self.main.store()), &me)
            .map_err(|e| e.to_string())?;
        let nonce = self.main.mempool().free_nonce(&me, committed);
        let tx = Transaction::signed(
            &self.main.spec().chain_id,
            nonce,
            Call::Anchor(Box::new(anchor)),
            key,
        );
        match self.main.submit(tx) {
            Ok(hash) => {
                tracing::info!(target: "anchor", parachain = %self.para.spec().chain_id, height, tx = %hash, "anchor sent");
                Ok(())
            }
            Err(e) => Err(format!(
                "the main chain refused the anchor of {height}: {e}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Validator 0 of three, anchoring every 5 blocks: 40's submitter is validator 2 (40 / 5 = 8,
    /// 8 mod 3), 45's is validator 0.
    fn first_of_three() -> Rotation {
        Rotation {
            position: 0,
            validators: 3,
            period: 5,
        }
    }

    #[test]
    fn a_turn_brings_the_older_missing_checkpoints_with_it() {
        let now = Instant::now();
        let mut due = BTreeMap::new();
        // 40 alone is another's and waits for the fallback delay.
        assert!(to_send(&[40], &first_of_three(), &mut due, &BTreeMap::new(), now).is_empty());
        // 45 is this validator's own turn: sent at once, 40 before it.
        assert_eq!(
            to_send(
                &[40, 45],
                &first_of_three(),
                &mut due,
                &BTreeMap::new(),
                now
            ),
            vec![40, 45]
        );
        // What was sent is not sent again until the resend time has passed.
        let sent = BTreeMap::from([(40, now), (45, now)]);
        assert!(to_send(&[40, 45], &first_of_three(), &mut due, &sent, now).is_empty());
        let later = now + RESEND_AFTER;
        assert_eq!(
            to_send(&[40, 45], &first_of_three(), &mut due, &sent, later),
            vec![40, 45]
        );
    }

    #[test]
    fn another_validators_checkpoint_waits_for_its_distance_in_the_rotation() {
        let now = Instant::now();
        let mut due = BTreeMap::new();
        // 35's submitter is validator 1 (7 mod 3): validator 0 is two places after it.
        assert!(to_send(&[35], &first_of_three(), &mut due, &BTreeMap::new(), now).is_empty());
        let soon = now + FALLBACK_DELAY;
        assert!(to_send(&[35], &first_of_three(), &mut due, &BTreeMap::new(), soon).is_empty());
        let late = now + FALLBACK_DELAY * 2;
        assert_eq!(
            to_send(&[35], &first_of_three(), &mut due, &BTreeMap::new(), late),
            vec![35]
        );
    }

    #[test]
    fn no_more_than_the_in_flight_bound_is_sent() {
        let now = Instant::now();
        let mut due = BTreeMap::new();
        // Six of this validator's own turns (15, 30, 45, ... are 3, 6, 9 mod 3 = 0).
        let own: Vec<u64> = (1..=6).map(|k| 15 * k).collect();
        let first = to_send(&own, &first_of_three(), &mut due, &BTreeMap::new(), now);
        assert_eq!(first, own[..MAX_IN_FLIGHT].to_vec());
        let sent: BTreeMap<u64, Instant> = first.iter().map(|h| (*h, now)).collect();
        assert!(to_send(&own, &first_of_three(), &mut due, &sent, now).is_empty());
    }
}
