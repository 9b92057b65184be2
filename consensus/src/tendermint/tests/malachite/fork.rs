//! The reference's departure from L28 (a polka certificate looked up by round, not value) played
//! out: one schedule of messages, four validators of which one is Byzantine, run once with three
//! of Malachite's drivers and once with three of our engines. Malachite's decide two different
//! blocks at one height; ours decide one.

use alloc::vec;
use alloc::vec::Vec;

use super::shadow::{ours, Act, Shadow};
use super::*;

/// An engine of the scripted network: takes an input, answers with what it did.
trait Engine {
    fn feed(&mut self, input: &Input) -> Vec<Act>;
}

impl Engine for Shadow {
    fn feed(&mut self, input: &Input) -> Vec<Act> {
        Shadow::feed(self, input).0
    }
}

impl Engine for Tendermint {
    fn feed(&mut self, input: &Input) -> Vec<Act> {
        ours(&self.process(input.clone())).0
    }
}

/// Three honest validators (0, 1, 2); validator 3 is Byzantine and scripted by hand.
struct Net<E> {
    nodes: Vec<E>,
    decided: Vec<Option<Hash>>,
}

impl<E: Engine> Net<E> {
    /// Delivers `input` to node `i`, hands it back its own votes at once, and returns every
    /// act, the fed-back votes' included.
    fn give(&mut self, i: usize, input: Input) -> Vec<Act> {
        let acts = self.nodes[i].feed(&input);
        let mut all = acts.clone();
        for act in acts {
            match act {
                Act::Vote {
                    kind,
                    height,
                    round,
                    value,
                } => all.extend(self.give(i, signed(kind, height, round, value, i as u8))),
                Act::Decide { value, .. } => self.decided[i] = Some(value),
                _ => {}
            }
        }
        all
    }

    fn vote(&mut self, to: usize, kind: VoteKind, round: u32, value: Option<Hash>, from: u8) {
        self.give(to, signed(kind, 1, round, value, from));
    }

    fn timeout(&mut self, to: usize, kind: TimeoutKind, round: u32) -> Vec<Act> {
        self.give(
            to,
            Input::Timeout(Timeout {
                kind,
                height: 1,
                round,
            }),
        )
    }
}

/// The schedule. Round 0 (led by 1): everyone prevotes `a`; node 0 gets the honest precommits
/// for `a` and decides it; nodes 1 and 2 get one honest precommit for `a` and a nil one from 3,
/// and time out. Round 1 (led by 2): node 2's re-proposal of `a` reaches no one in time; the
/// round ends in nil. Round 2 (led by 3): the Byzantine proposer proposes `b`, claiming round 0
/// as its proof of lock, and prevotes and precommits `b`. Returns what each node decided.
fn run<E: Engine>(nodes: Vec<E>) -> Vec<Option<Hash>> {
    use TimeoutKind::{Precommit as TPrecommit, Prevote as TPrevote, Propose as TPropose};
    use VoteKind::{Precommit, Prevote};
    let (a, b) = (Hash::digest(b"a"), Hash::digest(b"b"));
    let mut net = Net {
        nodes,
        decided: vec![None; 3],
    };
    for i in 0..3 {
        net.give(i, Input::NewHeight { height: 1 });
    }
    net.give(
        1,
        Input::ProposalBuilt {
            height: 1,
            round: 0,
            value: a,
        },
    );
    for i in [0, 2] {
        net.give(i, proposal(0, a, None, 1));
    }
    for i in 0..3 {
        for from in (0..4u8).filter(|f| *f as usize != i) {
            net.vote(i, Prevote, 0, Some(a), from);
        }
    }
    net.vote(0, Precommit, 0, Some(a), 1);
    net.vote(0, Precommit, 0, Some(a), 2);
    for (i, other) in [(1, 2), (2, 1)] {
        net.vote(i, Precommit, 0, Some(a), other);
        net.vote(i, Precommit, 0, None, 3);
        net.timeout(i, TPrecommit, 0);
    }
    // Round 1: node 2 proposes `a` again (its own proposal, kept to itself); node 1 times out.
    net.timeout(1, TPropose, 1);
    for (i, other) in [(1, 2), (2, 1)] {
        let value = if other == 2 { Some(a) } else { None };
        net.vote(i, Prevote, 1, value, other as u8);
        net.vote(i, Prevote, 1, None, 3);
        net.timeout(i, TPrevote, 1);
    }
    for (i, other) in [(1, 2), (2, 1)] {
        net.vote(i, Precommit, 1, None, other as u8);
        net.vote(i, Precommit, 1, None, 3);
        net.timeout(i, TPrecommit, 1);
    }
    // Round 2: the Byzantine proposer's `b`, "justified" by round 0.
    for i in [1, 2] {
        net.give(i, proposal(2, b, Some(0), 3));
    }
    for (i, other) in [(1, 2), (2, 1)] {
        for kind in [Prevote, Precommit] {
            net.vote(i, kind, 2, Some(b), other as u8);
            net.vote(i, kind, 2, Some(b), 3);
        }
        net.timeout(i, TPropose, 2);
    }
    net.decided
}

#[test]
fn one_byzantine_proposer_forks_malachites_driver_and_not_ours() {
    let (a, b) = (Hash::digest(b"a"), Hash::digest(b"b"));
    let validators = set(4);
    let reference: Vec<Shadow> = (0..3)
        .map(|i| Shadow::new(account(i), &validators))
        .collect();
    let decided = run(reference);
    assert_eq!(
        decided,
        [Some(a), Some(b), Some(b)],
        "Malachite 0.5.0's driver: node 0 decides a, nodes 1 and 2 decide b at the same height; \
         if this changes, update docs/consensus.md"
    );
    let mine: Vec<Tendermint> = (0..3).map(engine).collect();
    let decided = run(mine);
    assert_eq!(
        decided,
        [Some(a), None, None],
        "ours: only a is decided; nodes 1 and 2 stay locked on a and never prevote b"
    );
}
