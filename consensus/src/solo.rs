//! Single-validator agreement: every block time the validator proposes, votes for its own
//! proposal, and the vote alone is the commit certificate (a quorum of one).

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use catena_primitives::{AccountId, CommitCertificate, Hash, ValidatorSet, Vote};

use crate::{ConsensusError, Engine, Input, Output};

/// Drives a chain whose validator set is this node alone.
#[derive(Debug)]
pub struct SoloEngine {
    chain_id: String,
    validators: ValidatorSet,
    block_time_ms: u64,
    /// The height being decided: last committed + 1.
    height: u64,
    proposal: Option<Hash>,
    /// A round already voted in (from the vote log) at the next height.
    voted_before: Option<(u64, u32)>,
}

impl SoloEngine {
    pub fn new(
        chain_id: String,
        validators: ValidatorSet,
        me: AccountId,
        block_time_ms: u64,
    ) -> Result<SoloEngine, ConsensusError> {
        if validators.len() != 1 || !validators.contains(&me) {
            return Err(ConsensusError::NotSolo(validators.len()));
        }
        Ok(SoloEngine {
            chain_id,
            validators,
            block_time_ms,
            height: 0,
            proposal: None,
            voted_before: None,
        })
    }

    /// The height being decided.
    pub fn height(&self) -> u64 {
        self.height
    }

    fn check_height(&self, height: u64) -> Result<(), ConsensusError> {
        if height == self.height {
            Ok(())
        } else {
            Err(ConsensusError::WrongHeight {
                expected: self.height,
                found: height,
            })
        }
    }
}

impl Engine for SoloEngine {
    fn process(&mut self, input: Input) -> Result<Vec<Output>, ConsensusError> {
        match input {
            Input::Committed { height } => {
                self.height = height + 1;
                self.proposal = None;
                // After a restart, never vote twice in a round: start after the logged one.
                let round = match self.voted_before {
                    Some((h, r)) if h == self.height => r + 1,
                    _ => 0,
                };
                Ok(vec![Output::ScheduleTimeout {
                    height: self.height,
                    round,
                    after_ms: self.block_time_ms,
                }])
            }
            Input::VotedBefore { height, round } => {
                let latest = match self.voted_before {
                    Some((h, r)) if h == height => r.max(round),
                    _ => round,
                };
                self.voted_before = Some((height, latest));
                Ok(Vec::new())
            }
            Input::Timeout { height, round } => {
                // A late timeout for a height already decided is harmless: ignore it.
                if height != self.height || self.proposal.is_some() {
                    return Ok(Vec::new());
                }
                Ok(vec![Output::BuildProposal { height, round }])
            }
            Input::ProposalReady {
                height,
                round,
                block_hash,
            } => {
                self.check_height(height)?;
                self.proposal = Some(block_hash);
                Ok(vec![Output::SignVote(Vote {
                    chain_id: self.chain_id.clone(),
                    height,
                    round,
                    block_hash,
                })])
            }
            Input::Vote {
                vote,
                signer,
                signature,
            } => {
                self.check_height(vote.height)?;
                if vote.chain_id != self.chain_id {
                    return Err(ConsensusError::WrongChain(vote.chain_id));
                }
                if !self.validators.contains(&signer) {
                    return Err(ConsensusError::NotAValidator(signer));
                }
                if self.proposal != Some(vote.block_hash) {
                    return Err(ConsensusError::UnknownBlock {
                        expected: self.proposal,
                        found: vote.block_hash,
                    });
                }
                Ok(vec![Output::Commit(CommitCertificate {
                    height: vote.height,
                    round: vote.round,
                    block_hash: vote.block_hash,
                    signatures: vec![(signer, signature)],
                })])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use catena_primitives::SecretKey;

    fn engine(key: &SecretKey) -> SoloEngine {
        let set = ValidatorSet::new(vec![key.account()]);
        SoloEngine::new("c".into(), set, key.account(), 500).expect("solo set")
    }

    /// Table of steps: each input and the outputs it must produce.
    #[test]
    fn one_height_step_by_step() {
        let key = SecretKey::from_seed([1; 32]);
        let mut e = engine(&key);
        let block = Hash::digest(b"b");
        let vote = Vote {
            chain_id: "c".into(),
            height: 4,
            round: 0,
            block_hash: block,
        };
        let (signer, signature) = vote.sign(&key);
        let steps: Vec<(Input, Vec<Output>)> = vec![
            (
                Input::Committed { height: 3 },
                vec![Output::ScheduleTimeout {
                    height: 4,
                    round: 0,
                    after_ms: 500,
                }],
            ),
            (
                Input::Timeout {
                    height: 3,
                    round: 0,
                },
                vec![],
            ),
            (
                Input::Timeout {
                    height: 4,
                    round: 0,
                },
                vec![Output::BuildProposal {
                    height: 4,
                    round: 0,
                }],
            ),
            (
                Input::ProposalReady {
                    height: 4,
                    round: 0,
                    block_hash: block,
                },
                vec![Output::SignVote(vote.clone())],
            ),
            (
                Input::Timeout {
                    height: 4,
                    round: 0,
                },
                vec![],
            ),
            (
                Input::Vote {
                    vote: vote.clone(),
                    signer,
                    signature,
                },
                vec![Output::Commit(CommitCertificate {
                    height: 4,
                    round: 0,
                    block_hash: block,
                    signatures: vec![(signer, signature)],
                })],
            ),
            (
                Input::Committed { height: 4 },
                vec![Output::ScheduleTimeout {
                    height: 5,
                    round: 0,
                    after_ms: 500,
                }],
            ),
        ];
        for (i, (input, expected)) in steps.into_iter().enumerate() {
            assert_eq!(e.process(input).expect("valid step"), expected, "step {i}");
        }
        assert_eq!(e.height(), 5);
    }

    #[test]
    fn a_logged_vote_moves_the_next_height_to_a_later_round() {
        let key = SecretKey::from_seed([1; 32]);
        let mut e = engine(&key);
        e.process(Input::VotedBefore {
            height: 8,
            round: 0,
        })
        .expect("restore");
        e.process(Input::VotedBefore {
            height: 8,
            round: 2,
        })
        .expect("restore");
        assert_eq!(
            e.process(Input::Committed { height: 7 }).expect("start"),
            vec![Output::ScheduleTimeout {
                height: 8,
                round: 3,
                after_ms: 500
            }]
        );
        assert_eq!(
            e.process(Input::Committed { height: 8 }).expect("next"),
            vec![Output::ScheduleTimeout {
                height: 9,
                round: 0,
                after_ms: 500
            }]
        );
    }

    #[test]
    fn refuses_foreign_votes_and_sets() {
        let key = SecretKey::from_seed([1; 32]);
        let other = SecretKey::from_seed([2; 32]);
        let mut e = engine(&key);
        e.process(Input::Committed { height: 0 }).expect("start");
        let block = Hash::digest(b"b");
        e.process(Input::ProposalReady {
            height: 1,
            round: 0,
            block_hash: block,
        })
        .expect("ready");
        let vote = Vote {
            chain_id: "c".into(),
            height: 1,
            round: 0,
            block_hash: block,
        };
        let (signer, signature) = vote.sign(&other);
        assert_eq!(
            e.process(Input::Vote {
                vote: vote.clone(),
                signer,
                signature
            }),
            Err(ConsensusError::NotAValidator(other.account()))
        );
        let wrong = Vote {
            block_hash: Hash::ZERO,
            ..vote
        };
        let (signer, signature) = wrong.sign(&key);
        assert!(matches!(
            e.process(Input::Vote {
                vote: wrong,
                signer,
                signature
            }),
            Err(ConsensusError::UnknownBlock { .. })
        ));
        let two = ValidatorSet::new(vec![key.account(), other.account()]);
        assert!(SoloEngine::new("c".into(), two, key.account(), 500).is_err());
    }
}
