//! Contract transactions: upload code, instantiate, call, upgrade. Code is stored by hash and
//! never removed; a contract records its owner and every upgrade, so any past block replays
//! with the code it ran.

use catena_primitives::{contract_id, AccountId, ContractEvent, Hash, Transaction};
use parity_scale_codec::{Decode, DecodeAll, Encode};

use catena_abi::INIT_METHOD;

use crate::wasm::{self, CallContext, ContractError, ScheduledCall, World};
use crate::{keys, BlockContext, Overlay};

/// A contract as recorded in state.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct ContractRecord {
    pub code_hash: Hash,
    pub owner: AccountId,
    pub created_at: u64,
    /// (height, old code, new code) of every upgrade, oldest first.
    pub upgrades: Vec<(u64, Hash, Hash)>,
}

/// What a successful contract transaction produced.
#[derive(Debug, Default)]
pub(crate) struct Produced {
    pub output: Vec<u8>,
    pub events: Vec<ContractEvent>,
    pub fuel_used: u64,
}

/// Why a contract transaction did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The call failed: the reason for its receipt, and the fuel it burned.
    Call(String, u64),
    /// This node could not read its state: the block cannot be executed here at all.
    State(String),
}

impl Failure {
    fn message(self) -> String {
        match self {
            Failure::Call(message, _) | Failure::State(message) => message,
        }
    }
}

/// Every contract's storage and code in the transaction's overlay.
struct TxWorld<'o, 'a> {
    overlay: &'o mut Overlay<'a>,
}

impl World for TxWorld<'_, '_> {
    fn get(&self, contract: &Hash, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        self.overlay
            .get(&keys::contract_storage(contract, key))
            .map_err(|e| e.to_string())
    }
    fn next(
        &self,
        contract: &Hash,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<crate::Entry>, String> {
        let skip = keys::contract_storage_prefix(contract).len();
        let found = self
            .overlay
            .next(
                &keys::contract_storage(contract, prefix),
                after
                    .map(|a| keys::contract_storage(contract, a))
                    .as_deref(),
            )
            .map_err(|e| e.to_string())?;
        Ok(found.map(|(key, value)| (key[skip..].to_vec(), value)))
    }
    fn set(&mut self, contract: &Hash, key: &[u8], value: &[u8]) {
        self.overlay
            .put(keys::contract_storage(contract, key), value.to_vec());
    }
    fn remove(&mut self, contract: &Hash, key: &[u8]) {
        self.overlay
            .tx
            .insert(keys::contract_storage(contract, key), None);
    }
    fn code_hash_of(&self, contract: &Hash) -> Result<Hash, String> {
        let record: ContractRecord = read(self.overlay, &keys::contract(contract))
            .map_err(Failure::message)?
            .ok_or_else(|| format!("no contract {contract}"))?;
        Ok(record.code_hash)
    }
    fn code(&self, hash: &Hash) -> Result<Vec<u8>, String> {
        code_of(self.overlay, hash).map_err(Failure::message)
    }
    fn next_schedule_id(&mut self) -> Result<u64, String> {
        let id: u64 = read(self.overlay, keys::NEXT_SCHEDULE)
            .map_err(Failure::message)?
            .unwrap_or(0);
        self.overlay
            .put(keys::NEXT_SCHEDULE.to_vec(), (id + 1).encode());
        Ok(id)
    }
    fn schedule(&mut self, call: ScheduledCall) {
        self.overlay
            .put(keys::scheduled(call.at_ms, call.id), call.encode());
    }
}

fn read<T: Decode>(overlay: &Overlay<'_>, key: &[u8]) -> Result<Option<T>, Failure> {
    overlay
        .get(key)
        .map_err(|e| Failure::State(e.to_string()))?
        .map(|bytes| {
            T::decode_all(&mut &bytes[..]).map_err(|e| {
                Failure::State(format!(
                    "stored {} cannot be decoded: {e}",
                    keys::describe(key)
                ))
            })
        })
        .transpose()
}

/// Stores `code` under its hash once it compiles. Charged by its size, compiled or refused
/// (catena_abi::fuel::upload); the chain spec keeps the largest upload within half a block's
/// fuel, so it always fits in a block.
pub(crate) fn upload(overlay: &mut Overlay<'_>, code: &[u8]) -> Result<Produced, Failure> {
    let fuel_used = catena_abi::fuel::upload(code.len());
    let hash = wasm::shared()
        .validate(code)
        .map_err(|e| Failure::Call(e.to_string(), fuel_used))?;
    let key = keys::code(&hash);
    if overlay
        .get(&key)
        .map_err(|e| Failure::State(e.to_string()))?
        .is_none()
    {
        overlay.put(key, code.to_vec());
    }
    Ok(Produced {
        output: hash.0.to_vec(),
        fuel_used,
        ..Produced::default()
    })
}

fn code_of(overlay: &Overlay<'_>, hash: &Hash) -> Result<Vec<u8>, Failure> {
    overlay
        .get(&keys::code(hash))
        .map_err(|e| Failure::State(e.to_string()))?
        .ok_or_else(|| Failure::Call(format!("no code {hash} is stored: upload it first"), 0))
}

pub(crate) fn instantiate(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    tx: &Transaction,
    code_hash: &Hash,
    input: &[u8],
) -> Result<Produced, Failure> {
    let code = code_of(overlay, code_hash)?;
    let id = contract_id(&tx.signer, tx.nonce);
    let record = ContractRecord {
        code_hash: *code_hash,
        owner: tx.signer,
        created_at: context.height,
        upgrades: Vec::new(),
    };
    overlay.put(keys::contract(&id), record.encode());
    let mut produced = if wasm::shared().exports(&code, INIT_METHOD) {
        run(
            overlay,
            context,
            tx.signer,
            &id,
            code_hash,
            INIT_METHOD,
            input,
        )?
    } else {
        Produced::default()
    };
    produced.output = id.0.to_vec();
    Ok(produced)
}

pub(crate) fn call(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    origin: AccountId,
    contract: &Hash,
    method: &str,
    input: &[u8],
) -> Result<Produced, Failure> {
    let record: ContractRecord = read(overlay, &keys::contract(contract))?
        .ok_or_else(|| Failure::Call(format!("no contract {contract}"), 0))?;
    if method == INIT_METHOD {
        return Err(Failure::Call(
            "'init' runs only when the contract is created".into(),
            0,
        ));
    }
    run(
        overlay,
        context,
        origin,
        contract,
        &record.code_hash,
        method,
        input,
    )
}

/// Runs a genesis contract's `init`, as the chain itself.
pub(crate) fn run_init(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    id: &Hash,
    code: &[u8],
    input: &[u8],
) -> Result<Produced, Failure> {
    run(
        overlay,
        context,
        AccountId([0; 32]),
        id,
        &Hash::digest(code),
        INIT_METHOD,
        input,
    )
}

/// Runs a scheduled call: the contract calls itself, so it is both caller and origin.
pub(crate) fn run_scheduled(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    call: &ScheduledCall,
) -> Result<Produced, Failure> {
    let record: ContractRecord = read(overlay, &keys::contract(&call.contract))?
        .ok_or_else(|| Failure::Call(format!("no contract {}", call.contract), 0))?;
    let me = AccountId(call.contract.0);
    run(
        overlay,
        context,
        me,
        &call.contract,
        &record.code_hash,
        &call.method,
        &call.input,
    )
}

pub(crate) fn upgrade(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    signer: &AccountId,
    contract: &Hash,
    code_hash: &Hash,
) -> Result<Produced, Failure> {
    let key = keys::contract(contract);
    let mut record: ContractRecord =
        read(overlay, &key)?.ok_or_else(|| Failure::Call(format!("no contract {contract}"), 0))?;
    if record.owner != *signer {
        return Err(Failure::Call(
            format!("only the contract's owner {} may upgrade it", record.owner),
            0,
        ));
    }
    code_of(overlay, code_hash)?;
    if record.code_hash == *code_hash {
        return Err(Failure::Call(
            "the contract already runs this code".into(),
            0,
        ));
    }
    record
        .upgrades
        .push((context.height, record.code_hash, *code_hash));
    record.code_hash = *code_hash;
    overlay.put(key, record.encode());
    Ok(Produced::default())
}

fn run(
    overlay: &mut Overlay<'_>,
    context: &BlockContext,
    origin: AccountId,
    contract: &Hash,
    code_hash: &Hash,
    method: &str,
    input: &[u8],
) -> Result<Produced, Failure> {
    // A cached module's code is neither read nor hashed again.
    let prepared = wasm::shared().prepare_hashed(*code_hash, || {
        code_of(overlay, code_hash).map_err(|failure| match failure {
            Failure::State(reason) => ContractError::State(reason),
            Failure::Call(reason, _) => ContractError::InvalidCode(reason),
        })
    });
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(ContractError::State(reason)) => return Err(Failure::State(reason)),
        Err(e) => return Err(Failure::Call(format!("contract {contract}: {e}"), 0)),
    };
    let mut world = TxWorld { overlay };
    let call = CallContext {
        origin,
        caller: origin,
        block_height: context.height,
        block_time_ms: context.time_ms,
        invoice_key: context.invoice_key.clone(),
    };
    let outcome = wasm::shared().call_prepared(
        *contract,
        &prepared,
        method,
        input,
        call,
        &mut world,
        context.max_tx_fuel,
    );
    match outcome.result {
        Ok(output) => Ok(Produced {
            output,
            events: outcome
                .events
                .into_iter()
                .map(|e| ContractEvent {
                    contract: e.contract,
                    topic: e.topic,
                    data: e.data,
                })
                .collect(),
            fuel_used: outcome.fuel_used,
        }),
        Err(ContractError::State(reason)) => Err(Failure::State(reason)),
        Err(e) => Err(Failure::Call(
            format!("contract {contract}: {e}"),
            outcome.fuel_used,
        )),
    }
}

/// The contract record of `id`, if any.
pub fn contract(
    state: &dyn crate::StateReader,
    id: &Hash,
) -> Result<Option<ContractRecord>, crate::ExecutionError> {
    crate::read_entry(state, &keys::contract(id))
}
