//! Our types in Malachite's clothes: the `Context` its driver is generic over. Validators have
//! one vote each and no keys (the simulation's signatures are not checked); the proposer of
//! (height, round) is validator `(height + round) mod n`, as in the chain.

use alloc::vec::Vec;
use core::fmt;

use catena_primitives::{AccountId, Hash};
use malachite_types::{
    self as mt, NilOrVal, Round, SignedExtension, SigningScheme, VoteType, VotingPower,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Addr(pub AccountId);

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl mt::Address for Addr {}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl mt::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);
    fn increment_by(&self, n: u64) -> Self {
        Height(self.0 + n)
    }
    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }
    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A block, known by its hash; it is its own id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Block(pub Hash);

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl mt::Value for Block {
    type Id = Block;
    fn id(&self) -> Block {
        *self
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub height: Height,
    pub round: Round,
    pub value: Block,
    pub pol_round: Round,
    pub proposer: Addr,
}

impl mt::Proposal<Reference> for Proposal {
    fn height(&self) -> Height {
        self.height
    }
    fn round(&self) -> Round {
        self.round
    }
    fn value(&self) -> &Block {
        &self.value
    }
    fn take_value(self) -> Block {
        self.value
    }
    fn pol_round(&self) -> Round {
        self.pol_round
    }
    fn validator_address(&self) -> &Addr {
        &self.proposer
    }
}

/// Proposals travel whole in the simulation: one part, first and last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part;

impl mt::ProposalPart<Reference> for Part {
    fn is_first(&self) -> bool {
        true
    }
    fn is_last(&self) -> bool {
        true
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Vote {
    pub kind: VoteType,
    pub height: Height,
    pub round: Round,
    pub value: NilOrVal<Block>,
    pub voter: Addr,
}

impl mt::Vote<Reference> for Vote {
    fn height(&self) -> Height {
        self.height
    }
    fn round(&self) -> Round {
        self.round
    }
    fn value(&self) -> &NilOrVal<Block> {
        &self.value
    }
    fn take_value(self) -> NilOrVal<Block> {
        self.value
    }
    fn vote_type(&self) -> VoteType {
        self.kind
    }
    fn validator_address(&self) -> &Addr {
        &self.voter
    }
    fn extension(&self) -> Option<&SignedExtension<Reference>> {
        None
    }
    fn take_extension(&mut self) -> Option<SignedExtension<Reference>> {
        None
    }
    fn extend(self, _: SignedExtension<Reference>) -> Self {
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    pub address: Addr,
}

impl mt::Validator<Reference> for Validator {
    fn address(&self) -> &Addr {
        &self.address
    }
    fn public_key(&self) -> &() {
        &()
    }
    fn voting_power(&self) -> VotingPower {
        1
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validators(pub Vec<Validator>);

impl mt::ValidatorSet<Reference> for Validators {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn total_voting_power(&self) -> VotingPower {
        self.0.len() as VotingPower
    }
    fn get_by_address(&self, address: &Addr) -> Option<&Validator> {
        self.0.iter().find(|v| &v.address == address)
    }
    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.0.get(index)
    }
}

/// Signatures are not modelled: the engine under test gets only verified messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsigned;

impl SigningScheme for Unsigned {
    type DecodingError = fmt::Error;
    type Signature = ();
    type PublicKey = ();
    type PrivateKey = ();
    fn decode_signature(_: &[u8]) -> Result<(), fmt::Error> {
        Ok(())
    }
    fn encode_signature(_: &()) -> Vec<u8> {
        Vec::new()
    }
}

/// The reference engine's context.
#[derive(Clone, Debug)]
pub struct Reference;

impl mt::Context for Reference {
    type Address = Addr;
    type Height = Height;
    type ProposalPart = Part;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = Validators;
    type Value = Block;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = Unsigned;

    fn select_proposer<'a>(
        &self,
        validators: &'a Validators,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        let n = validators.0.len() as u64;
        let round = u64::from(round.as_u32().unwrap_or(0));
        &validators.0[((height.0 + round) % n) as usize]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: Block,
        pol_round: Round,
        proposer: Addr,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            proposer,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<Block>,
        voter: Addr,
    ) -> Vote {
        Vote {
            kind: VoteType::Prevote,
            height,
            round,
            value,
            voter,
        }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<Block>,
        voter: Addr,
    ) -> Vote {
        Vote {
            kind: VoteType::Precommit,
            height,
            round,
            value,
            voter,
        }
    }
}
