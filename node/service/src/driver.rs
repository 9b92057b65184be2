//! The consensus driver: feeds inputs to the engine and performs its effects. It runs on its
//! own thread because its effects (executing a block, a synced RocksDB write) block.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use catena_consensus::solo::SoloEngine;
use catena_consensus::{Engine, Input, Output};
use catena_primitives::SecretKey;
use catena_storage::wal::{LoggedVote, VoteLog};

use crate::chain::{ChainError, ChainInstance, PreparedBlock};
use crate::now_ms;
/// Votes of committed heights are pruned from the log this often (in blocks).
const PRUNE_EVERY: u64 = 100;

/// Drives a single-validator chain until `shutdown` fires or is dropped. Every vote is written
/// to `votes` (synced) before it is used, and votes logged for the next height move it to a
/// later round, so a restarted validator never signs two different votes for one round.
pub fn run_solo(
    chain: Arc<ChainInstance>,
    key: SecretKey,
    mut votes: VoteLog,
    shutdown: Receiver<()>,
) -> Result<(), ChainError> {
    let spec = chain.spec();
    let mut engine = SoloEngine::new(
        spec.chain_id.clone(),
        (*chain.validators()).clone(),
        key.account(),
        spec.parameters.block_time_ms,
    )
    .expect("run_solo is only started for a one-validator chain whose validator this node is");
    let mut queue: VecDeque<Output> = VecDeque::new();
    let mut timer: Option<(Instant, Input)> = None;
    let mut proposal: Option<PreparedBlock> = None;
    let step = |engine: &mut SoloEngine, queue: &mut VecDeque<Output>, input: Input| match engine
        .process(input)
    {
        Ok(outputs) => queue.extend(outputs),
        Err(e) => tracing::warn!(target: "consensus", error = %e, "input refused"),
    };
    let tip = chain.tip()?.height;
    for logged in votes.votes().iter().filter(|v| v.height == tip + 1) {
        let (height, round) = (logged.height, logged.round);
        step(
            &mut engine,
            &mut queue,
            Input::VotedBefore { height, round },
        );
    }
    step(&mut engine, &mut queue, Input::Committed { height: tip });
    loop {
        while let Some(output) = queue.pop_front() {
            match output {
                Output::ScheduleTimeout {
                    height,
                    round,
                    after_ms,
                } => {
                    timer = Some((
                        Instant::now() + Duration::from_millis(after_ms),
                        Input::Timeout { height, round },
                    ));
                }
                Output::BuildProposal { height, round } => {
                    let built = chain.build_proposal(height, now_ms(), key.account())?;
                    let block_hash = built.block.hash();
                    proposal = Some(built);
                    step(
                        &mut engine,
                        &mut queue,
                        Input::ProposalReady {
                            height,
                            round,
                            block_hash,
                        },
                    );
                }
                Output::SignVote(vote) => {
                    let logged = LoggedVote {
                        kind: catena_primitives::VoteKind::Precommit,
                        height: vote.height,
                        round: vote.round,
                        value: Some(vote.block_hash),
                    };
                    if votes.conflict(&logged).is_some() {
                        return Err(ChainError::WouldEquivocate {
                            height: vote.height,
                            round: vote.round,
                        });
                    }
                    if !votes.votes().contains(&logged) {
                        votes.append(logged)?;
                    }
                    let (signer, signature) = vote.sign(&key);
                    step(
                        &mut engine,
                        &mut queue,
                        Input::Vote {
                            vote,
                            signer,
                            signature,
                        },
                    );
                }
                Output::Commit(certificate) => {
                    let built = proposal
                        .take()
                        .filter(|p| p.block.hash() == certificate.block_hash)
                        .expect("the engine commits only the proposal it was told is ready");
                    let tip = chain.commit(built, &certificate)?;
                    if tip.height % PRUNE_EVERY == 0 {
                        votes.prune_below(tip.height + 1)?;
                    }
                    // The solo protocol certifies with one signature: it must stop if
                    // governance changed the set.
                    let validators = chain.validators();
                    if validators.len() != 1 || !validators.contains(&key.account()) {
                        return Err(ChainError::SoloSetChanged {
                            validators: validators.len(),
                        });
                    }
                    step(
                        &mut engine,
                        &mut queue,
                        Input::Committed { height: tip.height },
                    );
                }
            }
        }
        let wait = timer.as_ref().map_or(Duration::from_secs(3600), |(at, _)| {
            at.saturating_duration_since(Instant::now())
        });
        match shutdown.recv_timeout(wait) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
            Err(RecvTimeoutError::Timeout) => {
                if let Some((_, input)) = timer.take() {
                    step(&mut engine, &mut queue, input);
                }
            }
        }
    }
}
