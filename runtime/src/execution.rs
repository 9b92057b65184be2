//! Executing a block: its scheduled calls first, then each transaction over its own overlay, with receipts and the block's fuel budget.

use super::*;

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
    /// The consortium's invoice key, on a parachain of a main chain that commits one: the
    /// voucher contract's invoices then need claims (ADR 0031). Never in state.
    pub invoice_key: Option<catena_primitives::invoice::InvoiceKey>,
    /// On a parachain: the main chain whose certified claims it takes (from its spec).
    pub main: Option<crate::invoices::MainChain>,
}

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
pub(crate) fn receipt_of(
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
pub(crate) fn run_scheduled(
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
    let state = &crate::state::BlockReads::new(state);
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
        if !crate::parachains::may_send(&overlay, tx)? {
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
pub(crate) fn apply_call(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    tx: &Transaction,
) -> Result<contracts::Produced, contracts::Failure> {
    let system = |result: Result<(), String>| {
        result
            .map(|()| contracts::Produced::default())
            .map_err(|message| contracts::Failure::Call(message, 0))
    };
    let proposed = |result: Result<u64, String>| {
        result
            .map(|id| contracts::Produced {
                output: id.encode(),
                ..contracts::Produced::default()
            })
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
        // The receipt's output is the proposal's id (SCALE u64), for the approvers.
        Call::ProposeParachain(registration) => proposed(crate::parachains::propose(
            overlay,
            context,
            &tx.signer,
            crate::parachains::ParachainAction::Register(registration.clone()),
        )),
        Call::ProposeParachainRecovery(recovery) => proposed(crate::parachains::propose(
            overlay,
            context,
            &tx.signer,
            crate::parachains::ParachainAction::Recover(recovery.clone()),
        )),
        Call::Anchor(anchor) => system(crate::parachains::anchor(overlay, context, anchor)),
        Call::ClaimInvoices(claim) => {
            system(crate::invoices::claim(overlay, context, &tx.signer, claim))
        }
        Call::ReleaseInvoices(release) => system(crate::invoices::release(
            overlay, context, &tx.signer, release,
        )),
        Call::TakeInvoiceClaims(proofs) => system(crate::invoices::take(overlay, context, proofs)),
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
pub(crate) fn record_equivocation(
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
