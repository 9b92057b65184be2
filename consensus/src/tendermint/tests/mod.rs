//! Step tests of the engine; the seeded simulation is in `sim`, the differential check against
//! Malachite's reference state machine in `malachite`.

use super::*;
use catena_primitives::Signature;

mod malachite;
mod sim;

fn account(i: u8) -> AccountId {
    AccountId([i + 1; 32])
}

fn set(n: u8) -> ValidatorSet {
    ValidatorSet::new((0..n).map(account).collect())
}

fn engine(me: u8) -> Tendermint {
    Tendermint::new("c".into(), set(4), Some(account(me)), Timeouts::default())
}

fn signed(kind: VoteKind, height: u64, round: u32, value: Option<Hash>, who: u8) -> Input {
    Input::Vote(SignedVote {
        vote: ConsensusVote {
            kind,
            height,
            round,
            value,
        },
        signer: account(who),
        signature: Signature([who; 64]),
    })
}

fn has_vote(out: &[Output], kind: VoteKind, value: Option<Hash>) -> bool {
    out.iter()
        .any(|o| matches!(o, Output::Vote(v) if v.kind == kind && v.value == value))
}

/// Table-driven steps of one height at a non-proposer: proposal, polka, lock, decision.
#[test]
fn happy_path_step_by_step() {
    let b = Hash::digest(b"block");
    // Proposer of (1, 0) is validator (1 + 0) mod 4 = 1; we are validator 2.
    let mut e = engine(2);
    let proposal = Proposal {
        height: 1,
        round: 0,
        value: b,
        pol_round: None,
        proposer: account(1),
    };
    let out = e.process(Input::NewHeight { height: 1 });
    assert!(matches!(
        out.as_slice(),
        [Output::ScheduleTimeout {
            timeout: Timeout {
                kind: TimeoutKind::Propose,
                ..
            },
            ..
        }]
    ));
    let out = e.process(Input::Proposal {
        proposal,
        valid: true,
    });
    assert!(
        has_vote(&out, VoteKind::Prevote, Some(b)),
        "L22 prevotes the valid proposal: {out:?}"
    );
    assert_eq!(e.step(), Step::Prevote);
    for who in [1, 2] {
        assert!(!has_vote(
            &e.process(signed(VoteKind::Prevote, 1, 0, Some(b), who)),
            VoteKind::Precommit,
            Some(b)
        ));
    }
    let out = e.process(signed(VoteKind::Prevote, 1, 0, Some(b), 3));
    assert!(
        has_vote(&out, VoteKind::Precommit, Some(b)),
        "L36 precommits on a polka: {out:?}"
    );
    assert_eq!(e.locked(), Some((b, 0)));
    e.process(signed(VoteKind::Precommit, 1, 0, Some(b), 0));
    e.process(signed(VoteKind::Precommit, 1, 0, Some(b), 1));
    let out = e.process(signed(VoteKind::Precommit, 1, 0, Some(b), 2));
    let decided = out.iter().find_map(|o| match o {
        Output::Decide { value, certificate } => Some((*value, certificate.signatures.len())),
        _ => None,
    });
    assert_eq!(
        decided,
        Some((b, 3)),
        "L49 decides with a quorum certificate"
    );
}

/// An observer (a follower node, with no validator key) decides with the validators' quorum
/// and never proposes or votes, in any round, even one a validator would lead.
#[test]
fn an_observer_decides_without_proposing_or_voting() {
    let b = Hash::digest(b"block");
    let mut e = Tendermint::new("c".into(), set(4), None, Timeouts::default());
    let mut out = e.process(Input::NewHeight { height: 1 });
    out.extend(e.process(Input::Proposal {
        proposal: Proposal {
            height: 1,
            round: 0,
            value: b,
            pol_round: None,
            proposer: account(1),
        },
        valid: true,
    }));
    for who in 0..3 {
        out.extend(e.process(signed(VoteKind::Prevote, 1, 0, Some(b), who)));
    }
    for who in 0..3 {
        out.extend(e.process(signed(VoteKind::Precommit, 1, 0, Some(b), who)));
    }
    // Every round of the next height times out without a proposal.
    out.extend(e.process(Input::NewHeight { height: 2 }));
    for round in 0..4 {
        for kind in [
            TimeoutKind::Propose,
            TimeoutKind::Prevote,
            TimeoutKind::Precommit,
        ] {
            out.extend(e.process(Input::Timeout(Timeout {
                kind,
                height: 2,
                round,
            })));
        }
    }
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Decide { value, .. } if *value == b)),
        "the observer decides height 1: {out:?}"
    );
    assert!(
        !out.iter().any(|o| matches!(
            o,
            Output::Vote(_) | Output::Propose(_) | Output::BuildProposal { .. }
        )),
        "an observer never votes or proposes: {out:?}"
    );
}

/// After a restart the engine resumes above its logged rounds, locked on its last precommit:
/// in the new round it prevotes nil for another block and prevotes its locked block.
#[test]
fn resume_starts_above_the_logged_rounds_with_the_logged_lock() {
    let (locked, other) = (Hash::digest(b"locked"), Hash::digest(b"other"));
    let mut e = engine(2);
    e.process(Input::Resume {
        height: 5,
        round: 3,
        locked: Some((locked, 1)),
    });
    assert_eq!(
        (e.height(), e.round(), e.locked()),
        (5, 3, Some((locked, 1)))
    );
    // Proposer of (5, 3) is validator (5 + 3) mod 4 = 0.
    let proposal = |value| Input::Proposal {
        proposal: Proposal {
            height: 5,
            round: 3,
            value,
            pol_round: None,
            proposer: account(0),
        },
        valid: true,
    };
    let out = e.process(proposal(other));
    assert!(
        has_vote(&out, VoteKind::Prevote, None),
        "L22 locked elsewhere: {out:?}"
    );
    let mut e = engine(2);
    e.process(Input::Resume {
        height: 5,
        round: 3,
        locked: Some((locked, 1)),
    });
    let out = e.process(proposal(locked));
    assert!(has_vote(&out, VoteKind::Prevote, Some(locked)), "{out:?}");
    // A resumed proposer re-proposes its valid (locked) block.
    let mut e = engine(0);
    let out = e.process(Input::Resume {
        height: 5,
        round: 3,
        locked: Some((locked, 1)),
    });
    assert!(
        out.iter().any(
            |o| matches!(o, Output::Propose(p) if p.value == locked && p.pol_round == Some(1))
        ),
        "{out:?}"
    );
}

/// A proposer that resumes in the round it precommitted its own block in proposes that block
/// again as it was (no proof-of-lock round: the polka is of this round), and its own logged
/// precommit, handed back, decides it when it is the whole quorum.
#[test]
fn a_proposer_resumed_in_its_locked_round_proposes_again_and_decides_on_its_logged_votes() {
    let locked = Hash::digest(b"locked");
    let mut e = Tendermint::new("c".into(), set(1), Some(account(0)), Timeouts::default());
    let out = e.process(Input::Resume {
        height: 4,
        round: 0,
        locked: Some((locked, 0)),
    });
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Propose(p) if p.value == locked && p.pol_round.is_none())),
        "{out:?}"
    );
    let out = e.process(signed(VoteKind::Precommit, 4, 0, Some(locked), 0));
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Decide { value, .. } if *value == locked)),
        "{out:?}"
    );
}

#[test]
fn invalid_proposal_gets_nil_and_timeouts_advance_rounds() {
    let b = Hash::digest(b"bad");
    let mut e = engine(2);
    e.process(Input::NewHeight { height: 1 });
    let proposal = Proposal {
        height: 1,
        round: 0,
        value: b,
        pol_round: None,
        proposer: account(1),
    };
    let out = e.process(Input::Proposal {
        proposal,
        valid: false,
    });
    assert!(has_vote(&out, VoteKind::Prevote, None));
    // A proposal from the wrong proposer is ignored.
    let mut other = engine(2);
    other.process(Input::NewHeight { height: 1 });
    let forged = Proposal {
        proposer: account(3),
        ..proposal
    };
    assert!(other
        .process(Input::Proposal {
            proposal: forged,
            valid: true
        })
        .is_empty());
    // L57, L61, L65.
    let out = other.process(Input::Timeout(Timeout {
        kind: TimeoutKind::Propose,
        height: 1,
        round: 0,
    }));
    assert!(has_vote(&out, VoteKind::Prevote, None));
    let out = other.process(Input::Timeout(Timeout {
        kind: TimeoutKind::Prevote,
        height: 1,
        round: 0,
    }));
    assert!(has_vote(&out, VoteKind::Precommit, None));
    other.process(Input::Timeout(Timeout {
        kind: TimeoutKind::Precommit,
        height: 1,
        round: 0,
    }));
    assert_eq!(other.round(), 1);
}

#[test]
fn equivocation_is_reported_and_f_plus_one_skip_rounds() {
    let mut e = engine(0);
    e.process(Input::NewHeight { height: 1 });
    e.process(signed(VoteKind::Prevote, 1, 0, Some(Hash::digest(b"x")), 3));
    let out = e.process(signed(VoteKind::Prevote, 1, 0, Some(Hash::digest(b"y")), 3));
    assert!(
        matches!(out.as_slice(), [Output::Equivocation { .. }]),
        "{out:?}"
    );
    // L55: f + 1 = 2 validators in round 5 pull us there.
    e.process(signed(VoteKind::Prevote, 1, 5, None, 1));
    assert_eq!(e.round(), 0);
    e.process(signed(VoteKind::Prevote, 1, 5, None, 2));
    assert_eq!(e.round(), 5);
}

/// A validator signing votes for thousands of rounds, and for the next height, cannot grow the
/// engine's memory beyond its bounds; far rounds still count toward L55.
#[test]
fn memory_is_bounded_against_vote_floods() {
    let mut e = engine(0);
    e.process(Input::NewHeight { height: 1 });
    for round in 0..10_000u32 {
        e.process(signed(
            VoteKind::Prevote,
            1,
            round,
            Some(Hash::digest(&round.to_le_bytes())),
            3,
        ));
        e.process(signed(
            VoteKind::Prevote,
            2,
            round,
            Some(Hash::digest(&round.to_le_bytes())),
            3,
        ));
    }
    assert!(
        e.votes.len() <= MAX_ROUNDS_AHEAD as usize + 1,
        "{} rounds stored",
        e.votes.len()
    );
    assert!(
        e.future.len() <= MAX_FUTURE_PER_SIGNER,
        "{} future messages",
        e.future.len()
    );
    // Validator 3 alone (f = 1) does not move us; a second validator far ahead does: to the
    // highest round both have reached.
    assert_eq!(e.round(), 0);
    e.process(signed(VoteKind::Prevote, 1, 500, None, 2));
    assert_eq!(e.round(), 500);
    // A non-validator's messages are ignored entirely.
    let outsider = Input::Vote(SignedVote {
        vote: ConsensusVote {
            kind: VoteKind::Prevote,
            height: 2,
            round: 0,
            value: None,
        },
        signer: AccountId([200; 32]),
        signature: Signature([0; 64]),
    });
    let before = e.future.len();
    e.process(outsider);
    assert_eq!(e.future.len(), before);
}
