//! A shadow of one simulated node: Malachite's driver (its vote keeper, proposal keeper and
//! round state machine), fed every input our engine gets at that node.
//!
//! The harness plays the part of Malachite's consensus layer around the driver, with our rules
//! where that layer's are not the algorithm's: it checks that a proposal comes from the round's
//! proposer, keeps messages of the next height until the driver gets there (the same bound as
//! our engine), starts each round the driver asks for with that round's proposer, and hands the
//! driver back its own proposal. Its own votes come back through the simulation, as ours do.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use catena_primitives::{AccountId, Hash};
use malachite_driver::{Driver, Input as Ref, Output as RefOut, ThresholdParams};
use malachite_types::{
    Context as _, NilOrVal, Round, SignedMessage, Timeout as RefTimeout,
    TimeoutKind as RefTimeoutKind, Validator as _, Validity, VoteType,
};

use super::super::super::handlers::keeps_for_next_height;
use super::super::sim::message_height;
use super::context::{Addr, Block, Height, Proposal as RefProposal, Reference, Validator};
use super::context::{Validators, Vote as RefVote};
use super::*;

/// What an engine did for one input, comparable between the two.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Act {
    Build {
        height: u64,
        round: u32,
    },
    Propose {
        height: u64,
        round: u32,
        value: Hash,
        pol_round: Option<u32>,
    },
    Vote {
        kind: VoteKind,
        height: u64,
        round: u32,
        value: Option<Hash>,
    },
    Decide {
        height: u64,
        value: Hash,
    },
}

/// Our engine's outputs as acts and timeouts (equivocation evidence has no counterpart: the
/// reference keeps it in its keepers, not in its outputs).
pub fn ours(outputs: &[Output]) -> (Vec<Act>, Vec<Timeout>) {
    let (mut acts, mut timeouts) = (Vec::new(), Vec::new());
    for output in outputs {
        match output {
            Output::BuildProposal { height, round } => acts.push(Act::Build {
                height: *height,
                round: *round,
            }),
            Output::Propose(p) => acts.push(Act::Propose {
                height: p.height,
                round: p.round,
                value: p.value,
                pol_round: p.pol_round,
            }),
            Output::Vote(v) => acts.push(Act::Vote {
                kind: v.kind,
                height: v.height,
                round: v.round,
                value: v.value,
            }),
            Output::Decide { value, certificate } => acts.push(Act::Decide {
                height: certificate.height,
                value: *value,
            }),
            Output::ScheduleTimeout { timeout, .. } => timeouts.push(*timeout),
            Output::Equivocation { .. } => {}
        }
    }
    (acts, timeouts)
}

pub struct Shadow {
    me: Addr,
    validators: Validators,
    driver: Option<Driver<Reference>>,
    height: u64,
    future: Vec<Input>,
    /// Inputs the driver refused with an error: the harness must never cause one.
    pub errors: usize,
}

fn proposer(validators: &Validators, height: u64, round: u32) -> Addr {
    *Reference
        .select_proposer(validators, Height(height), Round::new(round))
        .address()
}

fn kind_of(kind: RefTimeoutKind) -> Option<TimeoutKind> {
    match kind {
        RefTimeoutKind::Propose => Some(TimeoutKind::Propose),
        RefTimeoutKind::Prevote => Some(TimeoutKind::Prevote),
        RefTimeoutKind::Precommit => Some(TimeoutKind::Precommit),
        RefTimeoutKind::Rebroadcast => None,
    }
}

fn round_of(round: Round) -> u32 {
    round.as_u32().expect("a started round")
}

impl Shadow {
    pub fn new(me: AccountId, validators: &ValidatorSet) -> Shadow {
        Shadow {
            me: Addr(me),
            validators: Validators(
                validators
                    .validators
                    .iter()
                    .map(|v| Validator { address: Addr(*v) })
                    .collect(),
            ),
            driver: None,
            height: 0,
            future: Vec::new(),
            errors: 0,
        }
    }

    /// The round, lock and valid value of the reference, as our engine reports its own.
    pub fn round(&self) -> u32 {
        self.driver
            .as_ref()
            .and_then(|d| d.round().as_u32())
            .unwrap_or(0)
    }
    pub fn locked(&self) -> Option<(Hash, u32)> {
        let state = self.driver.as_ref()?.round_state();
        state
            .locked
            .as_ref()
            .map(|l| (l.value.0, round_of(l.round)))
    }
    pub fn valid(&self) -> Option<(Hash, u32)> {
        let state = self.driver.as_ref()?.round_state();
        state.valid.as_ref().map(|v| (v.value.0, round_of(v.round)))
    }

    /// Feeds one of our engine's inputs; returns what the reference did.
    pub fn feed(&mut self, input: &Input) -> (Vec<Act>, Vec<Timeout>) {
        let mut done = (Vec::new(), Vec::new());
        self.feed_into(input, &mut done);
        done
    }

    fn feed_into(&mut self, input: &Input, done: &mut (Vec<Act>, Vec<Timeout>)) {
        match input {
            Input::NewHeight { height } => self.new_height(*height, done),
            Input::Resume { .. } => unreachable!("the simulation never restarts a node"),
            Input::ProposalBuilt {
                height,
                round,
                value,
            } => {
                if *height == self.height {
                    self.run(Ref::ProposeValue(Round::new(*round), Block(*value)), done);
                }
            }
            Input::Proposal { proposal, valid } => {
                let p = proposal;
                if Addr(p.proposer) != proposer(&self.validators, p.height, p.round)
                    || self.buffered(p.height, p.round, p.proposer, input)
                    || p.height != self.height
                {
                    return;
                }
                let message = RefProposal {
                    height: Height(p.height),
                    round: Round::new(p.round),
                    value: Block(p.value),
                    pol_round: p.pol_round.map_or(Round::Nil, Round::new),
                    proposer: Addr(p.proposer),
                };
                let validity = Validity::from_bool(*valid);
                self.run(
                    Ref::Proposal(SignedMessage::new(message, ()), validity),
                    done,
                );
            }
            Input::Vote(signed) => {
                let v = signed.vote;
                if !self
                    .validators
                    .0
                    .iter()
                    .any(|x| x.address.0 == signed.signer)
                    || self.buffered(v.height, v.round, signed.signer, input)
                    || v.height != self.height
                {
                    return;
                }
                let message = RefVote {
                    kind: match v.kind {
                        VoteKind::Prevote => VoteType::Prevote,
                        VoteKind::Precommit => VoteType::Precommit,
                    },
                    height: Height(v.height),
                    round: Round::new(v.round),
                    value: v.value.map_or(NilOrVal::Nil, |h| NilOrVal::Val(Block(h))),
                    voter: Addr(signed.signer),
                };
                self.run(Ref::Vote(SignedMessage::new(message, ())), done);
            }
            Input::Timeout(t) => {
                if t.height == self.height {
                    let kind = match t.kind {
                        TimeoutKind::Propose => RefTimeoutKind::Propose,
                        TimeoutKind::Prevote => RefTimeoutKind::Prevote,
                        TimeoutKind::Precommit => RefTimeoutKind::Precommit,
                    };
                    let timeout = RefTimeout {
                        kind,
                        round: Round::new(t.round),
                    };
                    self.run(Ref::TimeoutElapsed(timeout), done);
                }
            }
        }
    }

    /// Keeps a message of the next height, within our engine's bounds (the harness's rule, not
    /// the algorithm's); whether it was of a later height at all.
    fn buffered(&mut self, height: u64, round: u32, signer: AccountId, input: &Input) -> bool {
        if height <= self.height {
            return false;
        }
        if keeps_for_next_height(&self.future, self.height, height, round, signer) {
            self.future.push(input.clone());
        }
        true
    }

    fn new_height(&mut self, height: u64, done: &mut (Vec<Act>, Vec<Timeout>)) {
        if height <= self.height {
            return;
        }
        self.height = height;
        match &mut self.driver {
            Some(driver) => driver.move_to_height(Height(height), self.validators.clone()),
            None => {
                self.driver = Some(Driver::new(
                    Reference,
                    Height(height),
                    self.validators.clone(),
                    self.me,
                    ThresholdParams::default(),
                ))
            }
        }
        let first = proposer(&self.validators, height, 0);
        self.run(Ref::NewRound(Height(height), Round::new(0), first), done);
        for input in core::mem::take(&mut self.future) {
            let at = message_height(&input);
            if at == height {
                self.feed_into(&input, done);
            } else if at > height && self.future.len() < MAX_FUTURE_MESSAGES {
                self.future.push(input);
            }
        }
    }

    /// Runs the driver on `first` and on what its outputs lead to within this step.
    fn run(&mut self, first: Ref<Reference>, done: &mut (Vec<Act>, Vec<Timeout>)) {
        let Some(driver) = self.driver.as_mut() else {
            return;
        };
        let mut queue = VecDeque::from([first]);
        while let Some(input) = queue.pop_front() {
            let Ok(outputs) = driver.process(input) else {
                self.errors += 1;
                continue;
            };
            for output in outputs {
                match output {
                    RefOut::NewRound(height, round) => {
                        let leader = proposer(&self.validators, height.0, round_of(round));
                        queue.push_back(Ref::NewRound(height, round, leader));
                    }
                    RefOut::Propose(p) => {
                        done.0.push(Act::Propose {
                            height: p.height.0,
                            round: round_of(p.round),
                            value: p.value.0,
                            pol_round: p.pol_round.as_u32(),
                        });
                        // Malachite's consensus layer applies its own proposal as valid.
                        queue.push_back(Ref::Proposal(SignedMessage::new(p, ()), Validity::Valid));
                    }
                    RefOut::Vote(v) => done.0.push(Act::Vote {
                        kind: match v.kind {
                            VoteType::Prevote => VoteKind::Prevote,
                            VoteType::Precommit => VoteKind::Precommit,
                        },
                        height: v.height.0,
                        round: round_of(v.round),
                        value: match v.value {
                            NilOrVal::Nil => None,
                            NilOrVal::Val(b) => Some(b.0),
                        },
                    }),
                    RefOut::Decide(_, p) => done.0.push(Act::Decide {
                        height: p.height.0,
                        value: p.value.0,
                    }),
                    RefOut::ScheduleTimeout(t) => {
                        if let Some(kind) = kind_of(t.kind) {
                            done.1.push(Timeout {
                                kind,
                                height: self.height,
                                round: round_of(t.round),
                            });
                        }
                    }
                    RefOut::GetValue(height, round, _) => done.0.push(Act::Build {
                        height: height.0,
                        round: round_of(round),
                    }),
                }
            }
        }
    }
}
