//! Executes the transactions of a block against the chain state, deterministically: time and
//! height come from the block header, never from a clock, and the state comes through the
//! narrow [`StateReader`] trait, never from a database directly.
//!
//! Each block runs in a block overlay over the committed state; each transaction runs in its
//! own overlay over the block's, applied when the call succeeds and dropped when it fails, so a
//! failed call changes nothing but the signer's nonce. The result is the set of changed entries
//! and a receipt per transaction; the node turns the changes into the next state root.
//!
//! The calls available today are system calls; contract calls run in the wasmtime sandbox
//! added by the contracts issue.

use std::collections::BTreeMap;

use catena_primitives::{
    AccountId, Call, Equivocation, Hash, Receipt, ReceiptStatus, ScheduledRun, Transaction,
};
use parity_scale_codec::{Decode, DecodeAll, Encode};

mod calls;
pub mod contracts;
mod governance;
pub mod keys;
pub mod wasm;

pub use calls::{contract_of, system_call};
pub use governance::{Governance, Proposal, ProposalStatus, ValidatorEntry};

/// Read access to committed state.
pub trait StateReader {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError>;
    /// The first entry whose key starts with `prefix` and sorts after `after` (from the start
    /// of the prefix if `None`), in byte order.
    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError>;
}

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

thread_local! {
    /// Steps taken by [`next_in_layers`] on this thread since the last [`take_layer_steps`]: a
    /// contract pays for each (removed entries it walks over included), so a listing cannot be
    /// made arbitrarily expensive for the same fuel. Deterministic: every node walks the same
    /// layers.
    static LAYER_STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The steps [`next_in_layers`] took since the last call, and a reset.
pub fn take_layer_steps() -> u64 {
    LAYER_STEPS.with(|steps| steps.replace(0))
}

/// [`StateReader::next`] through layers of pending changes (topmost first) over a base: a `None`
/// in a layer hides the key below it.
pub fn next_in_layers<E>(
    layers: &[&Changes],
    prefix: &[u8],
    after: Option<&[u8]>,
    base: impl Fn(&[u8], Option<&[u8]>) -> Result<Option<Entry>, E>,
) -> Result<Option<Entry>, E> {
    use std::ops::Bound;
    // An `after` before the prefix means the whole prefix.
    let mut cursor: Option<Vec<u8>> = after.filter(|a| *a >= prefix).map(<[u8]>::to_vec);
    loop {
        LAYER_STEPS.with(|steps| steps.set(steps.get() + 1));
        let lower = match &cursor {
            Some(key) => Bound::Excluded(key.clone()),
            None => Bound::Included(prefix.to_vec()),
        };
        let mut best: Option<Vec<u8>> = None;
        for layer in layers {
            if let Some((key, _)) = layer
                .range((lower.clone(), Bound::Unbounded))
                .next()
                .filter(|(k, _)| k.starts_with(prefix))
            {
                if best.as_ref().is_none_or(|b| key < b) {
                    best = Some(key.clone());
                }
            }
        }
        let below = base(prefix, cursor.as_deref())?;
        if let Some((key, _)) = &below {
            if best.as_ref().is_none_or(|b| key < b) {
                best = Some(key.clone());
            }
        }
        let Some(key) = best else { return Ok(None) };
        match layers.iter().find_map(|layer| layer.get(&key)) {
            Some(Some(value)) => return Ok(Some((key, value.clone()))),
            Some(None) => cursor = Some(key),
            None => return Ok(below),
        }
    }
}

/// State could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state read failed: {0}")]
pub struct StateError(pub String);

/// Why a block cannot be executed at all (as opposed to a transaction that fails, which is
/// recorded in its receipt).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecutionError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("transaction {tx} has nonce {found}, the signer's next nonce is {expected}")]
    BadNonce { tx: Hash, expected: u64, found: u64 },
    #[error("transaction {tx} is signed by {signer}, which is not a member account")]
    NotAMember {
        tx: Hash,
        signer: catena_primitives::AccountId,
    },
    #[error("transaction {tx} would take the block's fuel past its limit of {limit}")]
    BlockFuelExceeded { tx: Hash, limit: u64 },
    #[error("stored entry {key} cannot be decoded: {reason}")]
    Corrupt { key: String, reason: String },
}

/// A member's account as the registry records it.
pub use catena_schema::registry::AccountRecord as MemberAccount;

/// What a block's execution may know about the block itself: everything comes from its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockContext {
    pub chain_id: String,
    pub height: u64,
    pub time_ms: u64,
    /// Fuel one transaction may burn (chain spec `max_tx_fuel`).
    pub max_tx_fuel: u64,
    /// Fuel all the block's transactions may burn together (chain spec `max_block_fuel`).
    pub max_block_fuel: u64,
}

/// Changed entries: `None` removes the key.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// The outcome of executing a block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutedBlock {
    pub changes: Changes,
    /// The scheduled calls that ran at the start of the block, in order.
    pub scheduled: Vec<ScheduledRun>,
    pub receipts: Vec<Receipt>,
}

impl ExecutedBlock {
    /// The receipts root of the block's header.
    pub fn receipts_root(&self) -> Hash {
        Receipt::compute_block_root(&self.scheduled, &self.receipts)
    }
}

/// The receipt of a call; a failed call's writes are dropped from its overlay. A state read
/// failure stops the whole block: this node cannot execute it.
fn receipt_of(
    tx_hash: Hash,
    outcome: Result<contracts::Produced, contracts::Failure>,
    overlay: &mut Overlay<'_>,
) -> Result<Receipt, ExecutionError> {
    Ok(match outcome {
        Ok(produced) => Receipt {
            tx_hash,
            status: ReceiptStatus::Success,
            fuel_used: produced.fuel_used,
            events: produced.events,
            output: produced.output,
        },
        Err(contracts::Failure::State(reason)) => {
            return Err(ExecutionError::State(StateError(reason)))
        }
        Err(contracts::Failure::Call(message, fuel_used)) => {
            overlay.tx.clear();
            Receipt {
                tx_hash,
                status: ReceiptStatus::Failed(message),
                fuel_used,
                events: Vec::new(),
                output: Vec::new(),
            }
        }
    })
}

/// The share of a block's fuel that scheduled calls may use; the rest is the transactions'.
pub const SCHEDULED_FUEL_SHARE: u64 = 2;
/// Scheduled calls one block runs at most; the rest wait, in order.
pub const MAX_SCHEDULED_RUNS: usize = 1_000;
/// What starting a scheduled call costs the block's scheduled share, on top of its fuel: even an
/// empty call instantiates a module.
pub const FUEL_PER_SCHEDULED_RUN: u64 = 10_000;

/// Runs the calls due at the block's time, before its transactions, in (time, id) order. A call
/// is started only while the scheduled share of the block's fuel still holds a whole
/// transaction's fuel; what does not fit waits for the next block. Each runs in its own overlay:
/// a failing call leaves only its receipt, and is scheduled again for a later block
/// ([`wasm::ScheduledCall::retry_at`]): a scheduled run is never lost.
fn run_scheduled(
    state: &dyn StateReader,
    context: &BlockContext,
    changes: &mut Changes,
) -> Result<(Vec<ScheduledRun>, u64), ExecutionError> {
    let budget = context.max_block_fuel / SCHEDULED_FUEL_SHARE;
    let mut fuel: u64 = 0;
    let mut runs = Vec::new();
    // Entries run are removed; the cursor keeps each lookup from walking over them again.
    let mut cursor: Option<Vec<u8>> = None;
    loop {
        if runs.len() >= MAX_SCHEDULED_RUNS || fuel.saturating_add(context.max_tx_fuel) > budget {
            break;
        }
        let mut overlay = Overlay {
            base: state,
            block: changes,
            tx: Changes::new(),
        };
        let Some((key, bytes)) = overlay.next(keys::SCHEDULE_PREFIX, cursor.as_deref())? else {
            break;
        };
        cursor = Some(key.clone());
        let call: wasm::ScheduledCall = decode_entry(&key, Some(bytes))?.expect("present");
        if call.at_ms > context.time_ms {
            break;
        }
        let receipt_id = ScheduledRun::receipt_id(call.id);
        let outcome = contracts::run_scheduled(&mut overlay, context, &call);
        let receipt = receipt_of(receipt_id, outcome, &mut overlay)?;
        overlay.tx.insert(key, None);
        if receipt.status != ReceiptStatus::Success {
            let retry = wasm::ScheduledCall {
                at_ms: call.retry_at(context.time_ms),
                failures: call.failures.saturating_add(1),
                ..call.clone()
            };
            overlay
                .tx
                .insert(keys::scheduled(retry.at_ms, retry.id), Some(retry.encode()));
        }
        fuel = fuel
            .saturating_add(receipt.fuel_used)
            .saturating_add(FUEL_PER_SCHEDULED_RUN);
        let tx_changes = overlay.tx;
        changes.extend(tx_changes);
        runs.push(ScheduledRun {
            id: call.id,
            due_ms: call.at_ms,
            contract: call.contract,
            method: call.method,
            receipt,
        });
    }
    Ok((runs, fuel))
}

/// Reads through a stack of pending writes to the committed state.
pub(crate) struct Overlay<'a> {
    base: &'a dyn StateReader,
    block: &'a Changes,
    pub(crate) tx: Changes,
}

impl Overlay<'_> {
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        if let Some(value) = self.tx.get(key) {
            return Ok(value.clone());
        }
        if let Some(value) = self.block.get(key) {
            return Ok(value.clone());
        }
        self.base.get(key)
    }

    pub(crate) fn next(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<Entry>, StateError> {
        next_in_layers(&[&self.tx, self.block], prefix, after, |p, a| {
            self.base.next(p, a)
        })
    }

    pub(crate) fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.tx.insert(key, Some(value));
    }
}
/// The next nonce of `account`, 0 if it never sent a transaction.
pub fn nonce(
    state: &dyn StateReader,
    account: &catena_primitives::AccountId,
) -> Result<u64, ExecutionError> {
    decode_entry::<u64>(&keys::nonce(account), state.get(&keys::nonce(account))?)
        .map(|n| n.unwrap_or(0))
}

/// The member account record of `account`, if it is a member's.
pub fn member(
    state: &dyn StateReader,
    account: &catena_primitives::AccountId,
) -> Result<Option<MemberAccount>, ExecutionError> {
    let key = keys::member(account);
    decode_entry(&key, state.get(&key)?)
}

pub(crate) fn decode_entry<T: Decode>(
    key: &[u8],
    value: Option<Vec<u8>>,
) -> Result<Option<T>, ExecutionError> {
    value
        .map(|bytes| {
            T::decode_all(&mut &bytes[..]).map_err(|e| ExecutionError::Corrupt {
                key: keys::describe(key),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// Executes `transactions` in order. The caller has checked signatures and chain id; this
/// checks nonce and membership against the state as it evolves within the block.
pub fn execute_block(
    state: &dyn StateReader,
    context: &BlockContext,
    transactions: &[Transaction],
) -> Result<ExecutedBlock, ExecutionError> {
    execute_block_while(state, context, transactions, &mut |_| true)
}

/// [`execute_block`] of the longest prefix of `transactions` for which `more(changed)`, asked
/// before each one with the number of state keys the block changes so far, says yes: a
/// proposer's way to bound the time its block takes to execute and to commit (the block is then
/// the first `receipts.len()` transactions). Validity never depends on it.
pub fn execute_block_while(
    state: &dyn StateReader,
    context: &BlockContext,
    transactions: &[Transaction],
    more: &mut dyn FnMut(usize) -> bool,
) -> Result<ExecutedBlock, ExecutionError> {
    let mut changes = Changes::new();
    let mut receipts = Vec::with_capacity(transactions.len());
    let (scheduled, mut block_fuel) = run_scheduled(state, context, &mut changes)?;
    for tx in transactions {
        if !more(changes.len()) {
            break;
        }
        let tx_hash = tx.hash();
        let mut overlay = Overlay {
            base: state,
            block: &changes,
            tx: Changes::new(),
        };
        let nonce_key = keys::nonce(&tx.signer);
        let expected = decode_entry::<u64>(&nonce_key, overlay.get(&nonce_key)?)?.unwrap_or(0);
        if tx.nonce != expected {
            return Err(ExecutionError::BadNonce {
                tx: tx_hash,
                expected,
                found: tx.nonce,
            });
        }
        let member_key = keys::member(&tx.signer);
        if overlay.get(&member_key)?.is_none() {
            return Err(ExecutionError::NotAMember {
                tx: tx_hash,
                signer: tx.signer,
            });
        }
        let outcome = apply_call(&mut overlay, context, tx);
        let receipt = receipt_of(tx_hash, outcome, &mut overlay)?;
        block_fuel = block_fuel.saturating_add(receipt.fuel_used);
        if block_fuel > context.max_block_fuel {
            return Err(ExecutionError::BlockFuelExceeded {
                tx: tx_hash,
                limit: context.max_block_fuel,
            });
        }
        overlay.put(nonce_key, (expected + 1).encode());
        let tx_changes = overlay.tx;
        changes.extend(tx_changes);
        receipts.push(receipt);
    }
    // Block-level: validator-set changes scheduled for the next height.
    let mut overlay = Overlay {
        base: state,
        block: &changes,
        tx: Changes::new(),
    };
    governance::apply_scheduled(&mut overlay, context).map_err(|reason| {
        ExecutionError::Corrupt {
            key: keys::describe(keys::VALIDATORS),
            reason,
        }
    })?;
    let validator_changes = overlay.tx;
    changes.extend(validator_changes);
    Ok(ExecutedBlock {
        changes,
        scheduled,
        receipts,
    })
}

/// Runs one call inside its transaction overlay; an `Err` is the failure reason recorded in the
/// receipt, and the overlay's writes are then dropped.
fn apply_call(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    tx: &Transaction,
) -> Result<contracts::Produced, contracts::Failure> {
    let system = |result: Result<(), String>| {
        result
            .map(|()| contracts::Produced::default())
            .map_err(|message| contracts::Failure::Call(message, 0))
    };
    match &tx.call {
        // A remark changes no state: the transaction itself, in its block, is the record.
        Call::Remark(_) => system(Ok(())),
        Call::ReportEquivocation(evidence) => {
            system(record_equivocation(overlay, context, evidence))
        }
        Call::ProposeValidatorChange(proposal) => {
            system(governance::propose(overlay, context, tx, proposal))
        }
        Call::Approve(id) => system(governance::approve(overlay, context, &tx.signer, *id)),
        Call::UploadCode(code) => contracts::upload(overlay, code),
        Call::Instantiate { code_hash, input } => {
            contracts::instantiate(overlay, context, tx, code_hash, input)
        }
        Call::CallContract {
            contract,
            method,
            input,
        } => contracts::call(overlay, context, tx.signer, contract, method, input),
        Call::UpgradeContract {
            contract,
            code_hash,
        } => contracts::upgrade(overlay, context, &tx.signer, contract, code_hash),
    }
}

/// Records proof that a validator signed two conflicting votes, once per signer, height, round
/// and kind. Anyone may report it; the record is the two signed votes.
fn record_equivocation(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    evidence: &Equivocation,
) -> Result<(), String> {
    let signer = evidence
        .verify(&context.chain_id)
        .map_err(|e| format!("not evidence of equivocation: {e}"))?;
    let vote = &evidence.first;
    if vote.height > context.height {
        return Err(format!(
            "the votes are for height {}, above this block's height {}",
            vote.height, context.height
        ));
    }
    let validators = governance::validators_in(overlay)?;
    if !validators.iter().any(|v| v.account == signer) {
        return Err(format!("{signer} is not a validator"));
    }
    let key = keys::evidence(&signer, vote.height, vote.round, vote.kind);
    if overlay.get(&key).map_err(|e| e.to_string())?.is_some() {
        return Err(format!(
            "this equivocation of {signer} at height {} round {} is already recorded",
            vote.height, vote.round
        ));
    }
    overlay.put(key, evidence.encode());
    Ok(())
}

/// Calls a contract method read-only, on top of `state`, as `caller`: whatever it writes is
/// dropped. For queries by the API and tests; `context` is the block it pretends to run in.
pub fn query_contract(
    state: &dyn StateReader,
    context: &BlockContext,
    caller: AccountId,
    contract: &Hash,
    method: &str,
    input: &[u8],
) -> Result<Vec<u8>, String> {
    let _slot = wasm::query_slot();
    let empty = Changes::new();
    let mut overlay = Overlay {
        base: state,
        block: &empty,
        tx: Changes::new(),
    };
    match contracts::call(&mut overlay, context, caller, contract, method, input) {
        Ok(produced) => Ok(produced.output),
        Err(contracts::Failure::Call(message, _) | contracts::Failure::State(message)) => {
            Err(message)
        }
    }
}

/// The validator set that certifies the block after the state's, in order.
pub fn validators(state: &dyn StateReader) -> Result<Vec<ValidatorEntry>, ExecutionError> {
    decode_entry(keys::VALIDATORS, state.get(keys::VALIDATORS)?).map(Option::unwrap_or_default)
}

/// The chain's governance, if it has one.
pub fn governance(state: &dyn StateReader) -> Result<Option<Governance>, ExecutionError> {
    decode_entry(keys::GOVERNANCE, state.get(keys::GOVERNANCE)?)
}

/// Decodes proposal entries read from the state under [`keys::PROPOSAL_PREFIX`].
pub fn proposals(
    entries: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
) -> Result<Vec<Proposal>, ExecutionError> {
    entries
        .into_iter()
        .map(|(key, bytes)| decode_entry(&key, Some(bytes)).map(|p| p.expect("present")))
        .collect()
}

/// A governance proposal by id.
pub fn proposal(state: &dyn StateReader, id: u64) -> Result<Option<Proposal>, ExecutionError> {
    let key = keys::proposal(id);
    decode_entry(&key, state.get(&key)?)
}

/// An equivocation recorded on chain, if any.
pub fn recorded_equivocation(
    state: &dyn StateReader,
    signer: &AccountId,
    height: u64,
    round: u32,
    kind: u8,
) -> Result<Option<Equivocation>, ExecutionError> {
    let key = keys::evidence(signer, height, round, kind);
    decode_entry(&key, state.get(&key)?)
}

/// A contract a new chain starts with: created under [`system_contract_id`] of its name, owned
/// by nobody (changed only by a coordinated upgrade of the chain), its `init` run with `init`.
///
/// [`system_contract_id`]: catena_primitives::system_contract_id
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisContract {
    pub name: String,
    pub code: Vec<u8>,
    pub init: Option<Vec<u8>>,
}

/// The state entries of a new chain: the members in the registry's storage, the validator set,
/// the governance, and the genesis contracts (their code, records and `init`).
pub fn genesis_changes(
    members: &[catena_schema::registry::MemberRecord],
    validators: &[ValidatorEntry],
    governance: &Governance,
    contracts: &[GenesisContract],
    context: &BlockContext,
) -> Result<Changes, ExecutionError> {
    let mut changes: Changes = members
        .iter()
        .flat_map(|member| member.entries())
        .map(|(key, value)| (keys::registry_entry(&key), Some(value)))
        .collect();
    governance::genesis(&mut changes, validators, governance);
    let empty = NoState;
    for contract in contracts {
        let id = catena_primitives::system_contract_id(&contract.name);
        let corrupt = |reason: String| ExecutionError::Corrupt {
            key: format!("genesis contract '{}'", contract.name),
            reason,
        };
        let mut overlay = Overlay {
            base: &empty,
            block: &changes,
            tx: Changes::new(),
        };
        let hash = wasm::shared()
            .validate(&contract.code)
            .map_err(|e| corrupt(e.to_string()))?;
        overlay.put(keys::code(&hash), contract.code.clone());
        let record = contracts::ContractRecord {
            code_hash: hash,
            owner: AccountId([0; 32]),
            created_at: 0,
            upgrades: Vec::new(),
        };
        overlay.put(keys::contract(&id), record.encode());
        if let Some(input) = &contract.init {
            contracts::run_init(&mut overlay, context, &id, &contract.code, input).map_err(
                |failure| match failure {
                    contracts::Failure::Call(message, _) | contracts::Failure::State(message) => {
                        corrupt(format!("init failed: {message}"))
                    }
                },
            )?;
        }
        let written = overlay.tx;
        changes.extend(written);
    }
    Ok(changes)
}

/// The state before genesis: nothing.
struct NoState;

impl StateReader for NoState {
    fn get(&self, _: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(None)
    }
    fn next(&self, _: &[u8], _: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
