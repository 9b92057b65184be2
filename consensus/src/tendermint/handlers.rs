//! The transitions, one function per kind of input, each citing its rule.

use alloc::vec::Vec;

use catena_primitives::{CommitCertificate, Hash};

use super::votes::{Recorded, RoundVotes};
use super::MAX_FUTURE_MESSAGES;
use super::{
    ConsensusVote, Input, Output, Proposal, SignedVote, Step, Tendermint, Timeout, TimeoutKind,
    VoteKind,
};

impl Tendermint {
    pub(super) fn handle(&mut self, input: Input, out: &mut Vec<Output>) {
        match input {
            Input::NewHeight { height } => self.new_height(height, out),
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
                if self.buffer_if_future(proposal.height, Input::Proposal { proposal, valid }) {
                    return;
                }
                if proposal.height != self.height || self.decided {
                    return;
                }
                if proposal.proposer != self.proposer(proposal.height, proposal.round) {
                    return;
                }
                // The first proposal of a round counts.
                self.proposals
                    .entry(proposal.round)
                    .or_insert((proposal, valid));
                self.note_sender(proposal.round, proposal.proposer, out);
                self.check_rules(proposal.round, out);
            }
            Input::Vote(vote) => self.on_vote(vote, out),
            Input::Timeout(timeout) => self.on_timeout(timeout, out),
        }
    }

    fn buffer_if_future(&mut self, height: u64, input: Input) -> bool {
        if height > self.height {
            if height <= self.height + 1 && self.future.len() < MAX_FUTURE_MESSAGES {
                self.future.push(input);
            }
            return true;
        }
        false
    }

    fn new_height(&mut self, height: u64, out: &mut Vec<Output>) {
        if height <= self.height {
            return;
        }
        self.height = height;
        self.locked = None;
        self.valid = None;
        self.decided = false;
        self.proposals.clear();
        self.votes.clear();
        self.fired.clear();
        self.senders.clear();
        self.start_round(0, out);
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
        if self.proposer(self.height, round) == self.me {
            match self.valid {
                // L15: re-propose the value that had a polka.
                Some((value, valid_round)) => self.propose(value, Some(valid_round), out),
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
        let proposal = Proposal {
            height: self.height,
            round: self.round,
            value,
            pol_round,
            proposer: self.me,
        };
        out.push(Output::Propose(proposal));
        // Our own block is valid: we built it, or it had a polka we saw.
        self.proposals.entry(self.round).or_insert((proposal, true));
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
        out.push(Output::Vote(ConsensusVote {
            kind,
            height: self.height,
            round: self.round,
            value,
        }));
    }

    fn on_vote(&mut self, signed: SignedVote, out: &mut Vec<Output>) {
        let vote = signed.vote;
        if self.buffer_if_future(vote.height, Input::Vote(signed)) {
            return;
        }
        if vote.height != self.height || !self.validators.contains(&signed.signer) {
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

    /// L55: f + 1 distinct senders of a later round make us skip to it.
    fn note_sender(
        &mut self,
        round: u32,
        sender: catena_primitives::AccountId,
        out: &mut Vec<Output>,
    ) {
        let senders = self.senders.entry(round).or_default();
        senders.insert(sender);
        if round > self.round && !self.decided && senders.len() > self.validators.max_faulty() {
            self.start_round(round, out);
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
        let proposal = self.proposals.get(&round).copied();
        let empty = RoundVotes::default();
        let votes = self.votes.get(&round).unwrap_or(&empty);
        let prevotes_any = votes.count_any(VoteKind::Prevote);
        let precommits_any = votes.count_any(VoteKind::Precommit);
        let prevotes_nil = votes.count(VoteKind::Prevote, None);

        // L49: a decision, in any round.
        if let Some((p, true)) = proposal {
            if votes.count(VoteKind::Precommit, Some(p.value)) >= quorum {
                let certificate = CommitCertificate {
                    height: self.height,
                    round,
                    block_hash: p.value,
                    signatures: votes.precommit_signatures(p.value),
                };
                self.decided = true;
                out.push(Output::Decide {
                    value: p.value,
                    certificate,
                });
                return;
            }
        }
        if round != self.round {
            return;
        }
        let polka_for_proposal =
            proposal.map(|(p, _)| votes.count(VoteKind::Prevote, Some(p.value)) >= quorum);

        if self.step == Step::Propose {
            if let Some((p, valid)) = proposal {
                match p.pol_round {
                    // L22
                    None => {
                        let acceptable = valid && self.locked.is_none_or(|(v, _)| v == p.value);
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
                            let acceptable =
                                valid && self.locked.is_none_or(|(v, lr)| lr <= vr || v == p.value);
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
        if let (Some((p, true)), Some(true)) = (proposal, polka_for_proposal) {
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
