//! The transitions, one function per kind of input, each citing its rule.

use alloc::vec::Vec;

use catena_primitives::{CommitCertificate, Hash};

use super::votes::{Recorded, RoundVotes};
use super::{
    ConsensusVote, Input, Output, Proposal, SignedVote, Step, Tendermint, Timeout, TimeoutKind,
    VoteKind,
};
use super::{
    MAX_FUTURE_MESSAGES, MAX_FUTURE_PER_SIGNER, MAX_PROPOSALS_PER_ROUND, MAX_ROUNDS_AHEAD,
};

impl Tendermint {
    pub(super) fn handle(&mut self, input: Input, out: &mut Vec<Output>) {
        match input {
            Input::NewHeight { height } => self.new_height(height, 0, None, out),
            // Restart rule (docs/consensus.md, "Restarts"): resume above the logged rounds,
            // locked as the log says.
            Input::Resume {
                height,
                round,
                locked,
            } => self.new_height(height, round, locked, out),
            Input::ProposalBuilt {
                height,
                round,
                value,
            } => {
                if height == self.height
                    && round == self.round
                    && self.step == Step::Propose
                    && !self.decided
                {
                    self.propose(value, None, out);
                }
            }
            Input::Proposal { proposal, valid } => {
                // Only the round's proposer may propose: checked before anything is kept.
                if proposal.proposer != self.proposer(proposal.height, proposal.round) {
                    return;
                }
                let signer = proposal.proposer;
                if self.buffer_if_future(
                    proposal.height,
                    proposal.round,
                    signer,
                    Input::Proposal { proposal, valid },
                ) {
                    return;
                }
                if proposal.height != self.height || self.decided {
                    return;
                }
                self.note_sender(proposal.round, signer, out);
                if proposal.round > self.round + MAX_ROUNDS_AHEAD {
                    return;
                }
                let kept = self.proposals.entry(proposal.round).or_default();
                if kept.iter().any(|(p, _)| p.value == proposal.value)
                    || kept.len() >= MAX_PROPOSALS_PER_ROUND
                {
                    return;
                }
                kept.push((proposal, valid));
                self.check_rules(proposal.round, out);
            }
            Input::Vote(vote) => self.on_vote(vote, out),
            Input::Timeout(timeout) => self.on_timeout(timeout, out),
        }
    }

    /// Keeps a message of the next height (from a validator, for an early round, a bounded
    /// number per signer) until the engine gets there. Returns whether the message was of a
    /// later height (kept or dropped).
    fn buffer_if_future(
        &mut self,
        height: u64,
        round: u32,
        signer: catena_primitives::AccountId,
        input: Input,
    ) -> bool {
        if height <= self.height {
            return false;
        }
        if keeps_for_next_height(&self.future, self.height, height, round, signer) {
            self.future.push(input);
        }
        true
    }

    fn new_height(
        &mut self,
        height: u64,
        round: u32,
        locked: Option<(Hash, u32)>,
        out: &mut Vec<Output>,
    ) {
        if height <= self.height {
            return;
        }
        self.height = height;
        self.locked = locked;
        self.valid = locked;
        self.decided = false;
        self.proposals.clear();
        self.votes.clear();
        self.fired.clear();
        self.latest_round.clear();
        self.start_round(round, out);
        let buffered = core::mem::take(&mut self.future);
        for input in buffered {
            let message_height = match &input {
                Input::Proposal { proposal, .. } => proposal.height,
                Input::Vote(v) => v.vote.height,
                _ => 0,
            };
            if message_height == height {
                self.handle(input, out);
            } else if message_height > height && self.future.len() < MAX_FUTURE_MESSAGES {
                self.future.push(input);
            }
        }
    }

    /// L11: StartRound(r).
    fn start_round(&mut self, round: u32, out: &mut Vec<Output>) {
        self.round = round;
        self.step = Step::Propose;
        if self
            .me
            .is_some_and(|me| self.proposer(self.height, round) == me)
        {
            match self.valid {
                // L15: re-propose the value that had a polka. A polka of this very round (a
                // validator resumed in the round it precommitted in) is of its own proposal of
                // this round: proposed again as it was, without a proof-of-lock round.
                Some((value, valid_round)) => {
                    self.propose(value, (valid_round < round).then_some(valid_round), out)
                }
                // L18: a new block.
                None => out.push(Output::BuildProposal {
                    height: self.height,
                    round,
                }),
            }
        } else {
            // L21
            self.schedule(TimeoutKind::Propose, round, out);
        }
        // Messages of this round may already be here.
        self.check_rules(round, out);
    }

    fn propose(&mut self, value: Hash, pol_round: Option<u32>, out: &mut Vec<Output>) {
        let Some(me) = self.me else {
            return;
        };
        let proposal = Proposal {
            height: self.height,
            round: self.round,
            value,
            pol_round,
            proposer: me,
        };
        out.push(Output::Propose(proposal));
        // Our own block is valid: we built it, or it had a polka we saw.
        let kept = self.proposals.entry(self.round).or_default();
        if kept.is_empty() {
            kept.push((proposal, true));
        }
        self.check_rules(self.round, out);
    }

    fn schedule(&mut self, kind: TimeoutKind, round: u32, out: &mut Vec<Output>) {
        out.push(Output::ScheduleTimeout {
            timeout: Timeout {
                kind,
                height: self.height,
                round,
            },
            after_ms: self.timeouts.duration_ms(kind, round),
        });
    }

    fn vote(&mut self, kind: VoteKind, value: Option<Hash>, out: &mut Vec<Output>) {
        if !self.me.is_some_and(|me| self.validators.contains(&me)) {
            return;
        }
        out.push(Output::Vote(ConsensusVote {
            kind,
            height: self.height,
            round: self.round,
            value,
        }));
    }

    fn on_vote(&mut self, signed: SignedVote, out: &mut Vec<Output>) {
        let vote = signed.vote;
        if !self.validators.contains(&signed.signer) {
            return;
        }
        if self.buffer_if_future(vote.height, vote.round, signed.signer, Input::Vote(signed)) {
            return;
        }
        if vote.height != self.height {
            return;
        }
        if vote.round > self.round + MAX_ROUNDS_AHEAD {
            if !self.decided {
                self.note_sender(vote.round, signed.signer, out);
            }
            return;
        }
        match self.votes.entry(vote.round).or_default().record(signed) {
            Recorded::Duplicate => return,
            Recorded::Conflict(first) => out.push(Output::Equivocation {
                first,
                second: signed,
            }),
            Recorded::New | Recorded::AlreadyReported => {}
        }
        if self.decided {
            return;
        }
        self.note_sender(vote.round, signed.signer, out);
        self.check_rules(vote.round, out);
        // L28 for the current round may wait on prevotes of an earlier round.
        if vote.round < self.round && vote.kind == VoteKind::Prevote {
            self.check_rules(self.round, out);
        }
    }

    /// L55: once f + 1 validators have been seen in rounds above ours, skip to the highest
    /// round that f + 1 of them have reached.
    fn note_sender(
        &mut self,
        round: u32,
        sender: catena_primitives::AccountId,
        out: &mut Vec<Output>,
    ) {
        if round <= self.round || self.decided {
            return;
        }
        let latest = self.latest_round.entry(sender).or_insert(round);
        *latest = (*latest).max(round);
        let mut ahead: Vec<u32> = self
            .latest_round
            .values()
            .copied()
            .filter(|r| *r > self.round)
            .collect();
        let needed = self.validators.max_faulty() + 1;
        if ahead.len() >= needed {
            ahead.sort_unstable_by(|a, b| b.cmp(a));
            self.start_round(ahead[needed - 1], out);
        }
    }

    fn first_time(&mut self, rule: u16, round: u32) -> bool {
        self.fired.insert((rule, round))
    }

    /// Evaluates every rule whose condition may have become true for `round`.
    fn check_rules(&mut self, round: u32, out: &mut Vec<Output>) {
        if self.decided {
            return;
        }
        let quorum = self.validators.quorum();
        let proposals: Vec<(Proposal, bool)> =
            self.proposals.get(&round).cloned().unwrap_or_default();
        let proposal = proposals.first().copied();
        let empty = RoundVotes::default();
        let votes = self.votes.get(&round).unwrap_or(&empty);
        let prevotes_any = votes.count_any(VoteKind::Prevote);
        let precommits_any = votes.count_any(VoteKind::Precommit);
        let prevotes_nil = votes.count(VoteKind::Prevote, None);

        // L49: a decision, in any round, on any valid proposal of that round.
        let decided = proposals
            .iter()
            .find(|(p, valid)| *valid && votes.count(VoteKind::Precommit, Some(p.value)) >= quorum)
            .map(|(p, _)| p.value);
        if let Some(value) = decided {
            let certificate = CommitCertificate {
                height: self.height,
                round,
                block_hash: value,
                signatures: votes.precommit_signatures(value),
            };
            self.decided = true;
            out.push(Output::Decide { value, certificate });
            return;
        }
        if round != self.round {
            return;
        }
        // At most one value can have a polka in a round (two would need an honest validator to
        // prevote twice), so the first valid proposal with one is the one.
        let polka = proposals
            .iter()
            .find(|(p, valid)| *valid && votes.count(VoteKind::Prevote, Some(p.value)) >= quorum)
            .map(|(p, _)| *p);

        if self.step == Step::Propose {
            if let Some((p, valid)) = proposal {
                match p.pol_round {
                    // L22
                    None => {
                        let acceptable =
                            valid && self.lock_for_prevote().is_none_or(|(v, _)| v == p.value);
                        self.step = Step::Prevote;
                        self.vote(VoteKind::Prevote, acceptable.then_some(p.value), out);
                    }
                    // L28
                    Some(vr) if vr < round => {
                        let old = self
                            .votes
                            .get(&vr)
                            .map_or(0, |v| v.count(VoteKind::Prevote, Some(p.value)));
                        if old >= quorum {
                            let acceptable = valid
                                && self
                                    .lock_for_prevote()
                                    .is_none_or(|(v, lr)| lr <= vr || v == p.value);
                            self.step = Step::Prevote;
                            self.vote(VoteKind::Prevote, acceptable.then_some(p.value), out);
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        // L34
        if self.step == Step::Prevote && prevotes_any >= quorum && self.first_time(34, round) {
            self.schedule(TimeoutKind::Prevote, round, out);
        }
        // L36
        if let Some(p) = polka {
            if self.step >= Step::Prevote && self.first_time(36, round) {
                if self.step == Step::Prevote {
                    self.locked = Some((p.value, round));
                    self.step = Step::Precommit;
                    self.vote(VoteKind::Precommit, Some(p.value), out);
                }
                self.valid = Some((p.value, round));
            }
        }
        // L44
        if self.step == Step::Prevote && prevotes_nil >= quorum {
            self.step = Step::Precommit;
            self.vote(VoteKind::Precommit, None, out);
        }
        // L47
        if precommits_any >= quorum && self.first_time(47, round) {
            self.schedule(TimeoutKind::Precommit, round, out);
        }
    }

    fn on_timeout(&mut self, timeout: Timeout, out: &mut Vec<Output>) {
        if timeout.height != self.height || timeout.round != self.round || self.decided {
            return;
        }
        match timeout.kind {
            // L57
            TimeoutKind::Propose if self.step == Step::Propose => {
                self.step = Step::Prevote;
                self.vote(VoteKind::Prevote, None, out);
                self.check_rules(self.round, out);
            }
            // L61
            TimeoutKind::Prevote if self.step == Step::Prevote => {
                self.step = Step::Precommit;
                self.vote(VoteKind::Precommit, None, out);
                self.check_rules(self.round, out);
            }
            // L65
            TimeoutKind::Precommit => self.start_round(self.round + 1, out),
            _ => {}
        }
    }
}

/// Whether a message of a later `height` (at `round`, from `signer`) joins the `future` kept
/// while at height `current`: of the next height, an early round, within the bounds overall and
/// per signer.
pub(super) fn keeps_for_next_height(
    future: &[Input],
    current: u64,
    height: u64,
    round: u32,
    signer: catena_primitives::AccountId,
) -> bool {
    let from_signer = future
        .iter()
        .filter(|m| match m {
            Input::Proposal { proposal, .. } => proposal.proposer == signer,
            Input::Vote(v) => v.signer == signer,
            _ => false,
        })
        .count();
    height == current + 1
        && round <= MAX_ROUNDS_AHEAD
        && future.len() < MAX_FUTURE_MESSAGES
        && from_signer < MAX_FUTURE_PER_SIGNER
}
