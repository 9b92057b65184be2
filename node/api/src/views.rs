//! The JSON shapes the API answers with. Hashes, accounts, signatures and byte strings are
//! `0x`-prefixed lowercase hex.

use catena_primitives::{AccountId, Hash, Signature};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct StatusView {
    pub chain_id: String,
    /// Height of the latest committed block.
    pub height: u64,
    #[schema(value_type = String)]
    pub block_hash: Hash,
    #[schema(value_type = String)]
    pub state_root: Hash,
    /// Time of the latest block, milliseconds since 1970.
    pub time_ms: u64,
    #[schema(value_type = String)]
    pub genesis_hash: Hash,
    pub validators: usize,
    /// Transactions waiting in this node's mempool.
    pub mempool_size: usize,
    /// `validator` (it signs with a key in the current set) or `follower` (no validator key,
    /// or one not in the set: it follows the chain without voting).
    pub role: String,
    /// Peers connected on the chain's network (0 for a chain of one validator, which has none).
    pub peers: u64,
    /// The highest committed height this node has heard of from the validators' votes (at
    /// least its own).
    pub heard_height: u64,
    /// How far behind that this node is: `heard_height − height`.
    pub sync_lag: u64,
    /// While behind: blocks per second since block sync began.
    pub catch_up_blocks_per_s: Option<f64>,
    /// Transactions admitted through this node and still pending: sent to the peers again until
    /// a block includes them.
    pub forwarding: usize,
    /// What keeps this node from following or forwarding, in a sentence (not in the chain's
    /// allow list, no peer connected), if anything.
    pub problem: Option<String>,
}

/// One chain this node hosts, as `GET /chains` lists it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ChainSummaryView {
    pub chain_id: String,
    #[schema(value_type = String)]
    pub genesis_hash: Hash,
    /// `validator` or `follower`, as in its `GET /status`.
    pub role: String,
    /// Height of its latest committed block on this node.
    pub height: u64,
    /// `ok`, or `failed` once the chain stopped on this node (its routes then answer 503).
    pub health: String,
    /// Why it stopped, when it has.
    pub failure: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct SignatureView {
    #[schema(value_type = String)]
    pub validator: AccountId,
    #[schema(value_type = String)]
    pub signature: Signature,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct CertificateView {
    pub round: u32,
    pub signatures: Vec<SignatureView>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct BlockView {
    #[schema(value_type = String)]
    pub hash: Hash,
    pub chain_id: String,
    pub height: u64,
    #[schema(value_type = String)]
    pub parent_hash: Hash,
    pub time_ms: u64,
    #[schema(value_type = String)]
    pub proposer: AccountId,
    #[schema(value_type = String)]
    pub tx_root: Hash,
    #[schema(value_type = String)]
    pub state_root: Hash,
    #[schema(value_type = String)]
    pub receipts_root: Hash,
    #[schema(value_type = String)]
    pub validator_set_hash: Hash,
    /// Hashes of the block's transactions, in order.
    #[schema(value_type = Vec<String>)]
    pub transactions: Vec<Hash>,
    /// The commit certificate (empty signatures for genesis, which the chain spec certifies).
    pub certificate: CertificateView,
    /// Scheduled contract calls that ran at the start of the block (settlement at maturity),
    /// before its transactions.
    pub scheduled: Vec<ScheduledRunView>,
}

/// A scheduled call that ran, with its outcome.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ScheduledRunView {
    pub id: u64,
    pub due_ms: u64,
    #[schema(value_type = String)]
    pub contract: Hash,
    pub method: String,
    pub receipt: ReceiptView,
}

/// `POST /contracts/{id}/query`: a method and its input in hex.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    pub method: String,
    /// The SCALE-encoded argument, 0x + hex (empty for none).
    #[serde(default)]
    pub input: String,
}

/// What a read-only call returned.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct QueryView {
    /// The output, 0x + hex.
    pub output: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct CallView {
    /// The call's name, e.g. `remark`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The call's arguments in hex (SCALE).
    pub args: String,
    /// The arguments as the schema (`GET /schema`) reads them: for a system contract's method
    /// `{contract, method, arguments}`, for a UTF-8 remark `{text}`; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum TxStatus {
    /// Admitted to the mempool, not yet in a block.
    Pending,
    /// In a committed block; see the receipt for the outcome.
    Committed,
    /// Admitted, then let go without a block including it; `dropped_reason` says why (another
    /// transaction used its nonce, it waited too long, it no longer applied). Send it again
    /// with a fresh nonce if it is still wanted.
    Dropped,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ReceiptView {
    /// `true` if the call did what it asked; `false` if it failed and only the nonce advanced.
    pub success: bool,
    pub error: Option<String>,
    pub fuel_used: u64,
    /// What the call returned, in hex (a new contract's id for `instantiate`, the code hash for
    /// `upload_code`).
    pub output: String,
    /// Events the called contracts emitted, in order.
    pub events: Vec<EventView>,
}

/// An event a contract emitted.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct EventView {
    pub contract: String,
    /// The topic, as text when it is UTF-8, else in hex.
    pub topic: String,
    /// The payload in hex.
    pub data: String,
    /// The payload as the schema (`GET /schema`) reads it, for a system contract's event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct TransactionView {
    #[schema(value_type = String)]
    pub hash: Hash,
    pub status: TxStatus,
    pub chain_id: String,
    pub nonce: u64,
    #[schema(value_type = String)]
    pub signer: AccountId,
    pub call: CallView,
    #[schema(value_type = String)]
    pub signature: Signature,
    pub block_height: Option<u64>,
    pub index: Option<u32>,
    pub receipt: Option<ReceiptView>,
    /// Why a `dropped` transaction was let go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped_reason: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct MemberView {
    pub name: String,
    pub uscc: String,
    pub roles: Vec<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct AccountView {
    #[schema(value_type = String)]
    pub account: AccountId,
    /// The nonce the account's next transaction must carry, by the committed state.
    pub next_nonce: u64,
    /// The first nonce from `next_nonce` that no transaction pending on this node holds: the
    /// nonce for a transaction sent before the pending ones are committed (several in a row).
    #[serde(default)]
    pub pending_nonce: u64,
    /// The member owning the account, if any.
    pub member: Option<MemberView>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct StateEntryView {
    /// The key in hex.
    pub key: String,
    pub height: u64,
    /// The state root at `height`, as in that block's header.
    #[schema(value_type = String)]
    pub state_root: Hash,
    /// The value in hex, or null if the key is absent.
    pub value: Option<String>,
    /// Inclusion proof if `value` is set, non-inclusion proof otherwise: the Borsh encoding
    /// of a `jmt` SparseMerkleProof over SHA-256, in hex. Verify with
    /// `catena_primitives::StateProof::verify`.
    pub proof: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct SubmitRequest {
    /// The SCALE encoding of the signed transaction, in hex.
    pub transaction: String,
}

/// Signed transactions to submit at once.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct BatchSubmitRequest {
    /// The SCALE encoding of each signed transaction, in hex (1 to 1,000).
    pub transactions: Vec<String>,
}

/// What became of each transaction of a batch, in order.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct BatchSubmitResponse {
    /// How many were admitted to the mempool.
    pub admitted: usize,
    pub results: Vec<BatchOutcome>,
}

/// One transaction's outcome: its hash if admitted, else the error `POST /transactions` would
/// have answered, with its HTTP status.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct BatchOutcome {
    /// 202 if admitted, else the status a single submission would have had.
    pub status: u16,
    #[schema(value_type = Option<String>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Hash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::ErrorDetail>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct SubmitResponse {
    #[schema(value_type = String)]
    pub hash: Hash,
}

/// One validator's two conflicting votes, as recorded on chain.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct EvidenceView {
    /// The validator that signed both votes.
    pub signer: String,
    pub height: u64,
    pub round: u32,
    /// `prevote` or `precommit`.
    pub kind: String,
    /// The two values voted for (block hashes, or null for nil).
    pub values: [Option<String>; 2],
    /// The SCALE encoding of the `Equivocation` (both signed votes), in hex: anyone can check
    /// it with `catena_primitives::Equivocation::verify`.
    pub evidence: String,
}

/// A validator as recorded in state.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ValidatorView {
    pub account: String,
    /// The member that runs it.
    pub member: String,
    pub peer_id: String,
    pub address: String,
}

/// A proposed validator-set change.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ProposalView {
    pub id: u64,
    /// The transaction that proposed it.
    pub proposed_in: String,
    pub proposer: String,
    /// `add_validator` or `remove_validator`.
    pub action: String,
    pub account: String,
    /// For `add_validator`: the new validator's libp2p peer id and address.
    pub peer_id: Option<String>,
    pub address: Option<String>,
    /// The first height certified by the changed set.
    pub from_height: u64,
    /// The members that approved, the proposer's first.
    pub approvals: Vec<String>,
    /// `open` (waiting for approvals) or `scheduled` (approved; applies at `from_height`).
    pub status: String,
}

/// Who governs the chain, the validator set of the next block, and every proposal.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct GovernanceView {
    /// The governing members' names.
    pub members: Vec<String>,
    /// How many of them must approve a change.
    pub threshold: u32,
    pub validators: Vec<ValidatorView>,
    pub proposals: Vec<ProposalView>,
    /// Proposals to register or recover a parachain (a main chain's), their ids shared with
    /// the validator-set proposals'.
    pub parachain_proposals: Vec<ParachainProposalView>,
}

/// A proposal to register or recover a parachain.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ParachainProposalView {
    pub id: u64,
    /// `register_parachain` or `recover_parachain`.
    pub action: String,
    /// The parachain's id.
    pub parachain: String,
    pub proposer: String,
    /// The governing members that approved, the proposer's first.
    pub approvals: Vec<String>,
    /// `open` (waiting for approvals) or `applied`.
    pub status: String,
}

/// A contract: its code, owner, creation height and upgrades.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ContractView {
    pub id: String,
    /// SHA-256 of the code it runs now.
    pub code_hash: String,
    pub owner: String,
    pub created_at: u64,
    pub upgrades: Vec<UpgradeView>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct UpgradeView {
    pub height: u64,
    pub from_code: String,
    pub to_code: String,
}

/// A contract event as `GET /events` and the stream show it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct EventRecordView {
    pub height: u64,
    /// Its place among the block's events (scheduled runs' first, then the transactions').
    pub index: u32,
    /// The transaction's hash, or the scheduled run's receipt id.
    pub source: String,
    /// The transaction's signer; absent for a scheduled run (settlement at maturity).
    pub signer: Option<String>,
    pub contract: String,
    pub topic: String,
    /// The payload, 0x + hex (SCALE; the system contracts' types are in `GET /schema`).
    pub data: String,
    /// The payload as the schema reads it, for a system contract's event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<serde_json::Value>,
}

/// Which events: every filter given must match.
#[derive(Deserialize, ToSchema, utoipa::IntoParams, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventFilter {
    /// Only this contract's events (0x + 64 hex digits).
    pub contract: Option<String>,
    /// Only events with this topic.
    pub topic: Option<String>,
    /// Only events of transactions this account signed.
    pub account: Option<String>,
    /// From this height (default 0 for `/events`, the next block for `/stream`).
    pub from_height: Option<u64>,
    /// Up to this height (inclusive).
    pub to_height: Option<u64>,
    /// `/events` only: at most this many (default and maximum 1,000).
    pub limit: Option<u32>,
    /// `/events` only: start after this event, `HEIGHT:INDEX` (the `next` of a previous page).
    pub after: Option<String>,
}

/// A page of events.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct EventPage {
    pub events: Vec<EventRecordView>,
    /// Pass as `after` for the next page; absent when the range is exhausted.
    pub next: Option<String>,
}
