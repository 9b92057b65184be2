//! The API's view of a chain instance: the trait's methods here, the status of the node's place
//! on its chain's network in `place`, the parachain registry's views in `parachains`, a block's
//! transactions read together in `blocks`.

mod blocks;
mod claims;
mod parachains;
mod place;

use catena_api::{
    AccountView, AnchorPageView, ApiError, AuditScope, BlockId, BlockView, CallView,
    CertificateView, ChainApi, ChainSummaryView, ContractView, EventQuery, EventRecordView,
    EventSlice, EventView, EvidenceView, GovernanceView, MemberView, ParachainProposalView,
    ParachainView, ProofView, ProposalView, ReceiptView, ScheduledRunView, SignatureView,
    StateEntryView, StatusView, TransactionView, TxStatus, UpgradeView, ValidatorView,
};
use catena_mempool::AdmitError;
use catena_primitives::{
    AccountId, Call, Equivocation, Hash, ReceiptStatus, Transaction, TxError, ValidatorChange,
};
use parity_scale_codec::Encode;

use crate::chain::{ChainError, ChainInstance, StoreState};

/// A receipt as the API shows it.
fn receipt_view(receipt: catena_primitives::Receipt) -> ReceiptView {
    let (success, error) = match receipt.status {
        ReceiptStatus::Success => (true, None),
        ReceiptStatus::Failed(reason) => (false, Some(reason)),
    };
    ReceiptView {
        success,
        error,
        fuel_used: receipt.fuel_used,
        output: format!("0x{}", hex::encode(&receipt.output)),
        events: receipt
            .events
            .iter()
            .map(|e| EventView {
                contract: e.contract.to_string(),
                topic: topic_text(&e.topic),
                data: format!("0x{}", hex::encode(&e.data)),
                decoded: catena_api::schema::decoded_event(&e.contract, &e.topic, &e.data),
            })
            .collect(),
    }
}
use axum::http::StatusCode;

/// The most entries a listing route returns.
const MAX_LISTED: usize = 1_000;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

fn chain_error(e: ChainError) -> ApiError {
    internal(e)
}

/// An event topic as text when it is UTF-8, else in hex.
fn topic_text(topic: &[u8]) -> String {
    std::str::from_utf8(topic).map_or_else(|_| format!("0x{}", hex::encode(topic)), str::to_string)
}

fn admit_error(e: AdmitError) -> ApiError {
    let (status, code) = match &e {
        AdmitError::Invalid(TxError::WrongChain { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "wrong_chain")
        }
        AdmitError::Invalid(TxError::BadSignature(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "bad_signature")
        }
        AdmitError::Invalid(TxError::TooLarge { .. }) => {
            (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
        }
        AdmitError::Invalid(_) => (StatusCode::BAD_REQUEST, "malformed_transaction"),
        AdmitError::NotAMember { .. } => (StatusCode::FORBIDDEN, "not_a_member"),
        AdmitError::NonceUsed { .. } => (StatusCode::CONFLICT, "nonce_used"),
        AdmitError::NonceTaken { .. } => (StatusCode::CONFLICT, "nonce_taken"),
        AdmitError::AlreadyPending(_) => (StatusCode::CONFLICT, "already_pending"),
        AdmitError::NonceTooHigh { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "nonce_too_high"),
        AdmitError::Full { .. } => (StatusCode::SERVICE_UNAVAILABLE, "mempool_full"),
        AdmitError::OverShare { .. } => (StatusCode::SERVICE_UNAVAILABLE, "over_share"),
        AdmitError::BehindRefused { .. } => (StatusCode::SERVICE_UNAVAILABLE, "behind_refused"),
        AdmitError::Syncing { .. } => (StatusCode::SERVICE_UNAVAILABLE, "syncing"),
        AdmitError::NotDurable(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_durable"),
        AdmitError::State(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    ApiError::new(status, code, e.to_string())
}

fn call_view(call: &Call) -> CallView {
    // The SCALE encoding of the arguments: the call's encoding after its one-byte index.
    let encoded = call.encode();
    CallView {
        kind: call.name().into(),
        args: format!("0x{}", hex::encode(&encoded[1..])),
        decoded: catena_api::schema::decoded_call(call),
    }
}

fn tx_view(tx: &Transaction, hash: Hash) -> TransactionView {
    TransactionView {
        hash,
        status: TxStatus::Pending,
        chain_id: tx.chain_id.clone(),
        nonce: tx.nonce,
        signer: tx.signer,
        call: call_view(&tx.call),
        signature: tx.signature,
        block_height: None,
        index: None,
        receipt: None,
        dropped_reason: None,
    }
}

/// How long a contract query waits for a place among its chain's before answering 503 `busy`.
pub const QUERY_SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl ChainApi for ChainInstance {
    fn signed_reads(&self) -> bool {
        ChainInstance::signed_reads(self)
    }
    fn audit_scope(&self, uscc: &str, now_ms: u64) -> Result<Option<AuditScope>, ApiError> {
        use catena_schema::registry::AuditScope as Granted;
        let grants =
            catena_runtime::audit_grants(&StoreState(self.store()), uscc).map_err(internal)?;
        let mut members = std::collections::BTreeSet::new();
        for grant in grants.into_iter().filter(|g| g.in_force(now_ms)) {
            match grant.scope {
                Granted::Chain => return Ok(Some(AuditScope::Chain)),
                Granted::Member(member) => {
                    members.insert(member);
                }
            }
        }
        Ok((!members.is_empty()).then_some(AuditScope::Members(members)))
    }
    fn status(&self) -> Result<StatusView, ApiError> {
        let tip = self.tip().map_err(chain_error)?;
        let header = self
            .store()
            .header(tip.height)
            .map_err(internal)?
            .ok_or_else(|| internal(format!("header {} missing", tip.height)))?;
        let place = self.place(tip.height);
        Ok(StatusView {
            chain_id: self.spec().chain_id.clone(),
            height: tip.height,
            block_hash: tip.block_hash,
            state_root: tip.state_root,
            time_ms: header.time_ms,
            genesis_hash: self.genesis_hash(),
            validators: self.validators().len(),
            mempool_size: self.mempool().len(),
            role: place.role,
            peers: place.peers,
            heard_height: place.heard_height,
            sync_lag: place.sync_lag,
            catch_up_blocks_per_s: place.catch_up_blocks_per_s,
            forwarding: place.forwarding,
            problem: place.problem,
        })
    }

    fn block(&self, id: BlockId) -> Result<Option<BlockView>, ApiError> {
        let store = self.store();
        let Some(height) = self.height_of_block(id)? else {
            return Ok(None);
        };
        let (Some(block), Some(cert)) = (
            store.block(height).map_err(internal)?,
            store.certificate(height).map_err(internal)?,
        ) else {
            return Ok(None);
        };
        let h = &block.header;
        Ok(Some(BlockView {
            hash: block.hash(),
            chain_id: h.chain_id.clone(),
            height: h.height,
            parent_hash: h.parent_hash,
            time_ms: h.time_ms,
            proposer: h.proposer,
            tx_root: h.tx_root,
            state_root: h.state_root,
            receipts_root: h.receipts_root,
            validator_set_hash: h.validator_set_hash,
            transactions: block.transactions.iter().map(Transaction::hash).collect(),
            scheduled: store
                .scheduled_runs(height)
                .map_err(internal)?
                .into_iter()
                .map(|run| ScheduledRunView {
                    id: run.id,
                    due_ms: run.due_ms,
                    contract: run.contract,
                    method: run.method,
                    receipt: receipt_view(run.receipt),
                })
                .collect(),
            certificate: CertificateView {
                round: cert.round,
                signatures: cert
                    .signatures
                    .iter()
                    .map(|(validator, signature)| SignatureView {
                        validator: *validator,
                        signature: *signature,
                    })
                    .collect(),
            },
        }))
    }

    fn block_transactions(
        &self,
        id: BlockId,
        offset: usize,
        limit: usize,
    ) -> Result<Option<Vec<TransactionView>>, ApiError> {
        self.transactions_of_block(id, offset, limit)
    }

    fn transaction(&self, hash: Hash) -> Result<Option<TransactionView>, ApiError> {
        // The mempool is read first: a block is written before its transactions leave the
        // mempool, so a transaction missing from both reads was never admitted.
        let pending = self.mempool().get(&hash);
        let store = self.store();
        if let Some(location) = store.tx_location(&hash).map_err(internal)? {
            let block = store
                .block(location.height)
                .map_err(internal)?
                .ok_or_else(|| internal(format!("block {} missing", location.height)))?;
            let tx = block
                .transactions
                .get(location.index as usize)
                .ok_or_else(|| internal("transaction index out of range"))?;
            let receipt = store
                .receipt(&hash)
                .map_err(internal)?
                .ok_or_else(|| internal("receipt missing"))?;
            return Ok(Some(TransactionView {
                status: TxStatus::Committed,
                block_height: Some(location.height),
                index: Some(location.index),
                receipt: Some(receipt_view(receipt)),
                ..tx_view(tx, hash)
            }));
        }
        if let Some(tx) = pending {
            return Ok(Some(tx_view(&tx, hash)));
        }
        Ok(self
            .mempool()
            .dropped(&hash)
            .map(|dropped| TransactionView {
                status: TxStatus::Dropped,
                dropped_reason: Some(dropped.reason.to_string()),
                ..tx_view(&dropped.tx, hash)
            }))
    }

    fn account(&self, account: AccountId) -> Result<AccountView, ApiError> {
        let state = StoreState(self.store());
        let next_nonce = catena_runtime::nonce(&state, &account).map_err(internal)?;
        let member = catena_runtime::member(&state, &account)
            .map_err(internal)?
            .map(|m| MemberView {
                name: m.member,
                uscc: m.uscc,
                roles: m.roles.iter().map(|r| r.as_str().to_string()).collect(),
            });
        Ok(AccountView {
            account,
            next_nonce,
            pending_nonce: self.mempool().free_nonce(&account, next_nonce),
            member,
        })
    }

    fn events(
        &self,
        query: &EventQuery,
        from: (u64, u32),
        to_height: u64,
        limit: usize,
    ) -> Result<EventSlice, ApiError> {
        let scan = self
            .store()
            .events(
                from,
                to_height,
                limit,
                catena_api::MAX_EVENTS_SCANNED,
                |e| query.accepts(&e.event.contract, &e.event.topic, e.signer.as_ref()),
            )
            .map_err(internal)?;
        let views = scan
            .events
            .into_iter()
            .map(|e| EventRecordView {
                height: e.height,
                index: e.index,
                source: e.source.to_string(),
                signer: e.signer.map(|s| s.to_string()),
                contract: e.event.contract.to_string(),
                topic: topic_text(&e.event.topic),
                data: format!("0x{}", hex::encode(&e.event.data)),
                decoded: catena_api::schema::decoded_event(
                    &e.event.contract,
                    &e.event.topic,
                    &e.event.data,
                ),
            })
            .collect();
        Ok(EventSlice {
            events: views,
            resume: scan.resume,
        })
    }

    fn subscribe(&self) -> Option<tokio::sync::broadcast::Receiver<u64>> {
        Some(ChainInstance::subscribe(self))
    }

    fn query(&self, id: Hash, method: String, input: Vec<u8>) -> Result<Vec<u8>, ApiError> {
        let store = self.store();
        let state = StoreState(store);
        if catena_runtime::contracts::contract(&state, &id)
            .map_err(internal)?
            .is_none()
        {
            return Err(ApiError::not_found(format!("no contract {id}")));
        }
        let tip = self.tip().map_err(chain_error)?;
        let header = store
            .header(tip.height)
            .map_err(internal)?
            .ok_or_else(|| internal("the tip's header is missing"))?;
        let context = self.block_context(tip.height, header.time_ms);
        let slots = self.query_slots();
        let Some(_slot) = slots.acquire(QUERY_SLOT_WAIT) else {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!(
                    "all {} query places of chain '{}' stayed taken for {} s: try again shortly",
                    slots.capacity(),
                    self.spec().chain_id,
                    QUERY_SLOT_WAIT.as_secs()
                ),
            ));
        };
        catena_runtime::query_contract(&state, &context, AccountId([0; 32]), &id, &method, &input)
            .map_err(|message| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "query_failed", message)
            })
    }

    fn contract(&self, id: Hash) -> Result<Option<ContractView>, ApiError> {
        let record = catena_runtime::contracts::contract(&StoreState(self.store()), &id)
            .map_err(internal)?;
        Ok(record.map(|r| ContractView {
            id: id.to_string(),
            code_hash: r.code_hash.to_string(),
            owner: r.owner.to_string(),
            created_at: r.created_at,
            upgrades: r
                .upgrades
                .into_iter()
                .map(|(height, from, to)| UpgradeView {
                    height,
                    from_code: from.to_string(),
                    to_code: to.to_string(),
                })
                .collect(),
        }))
    }

    fn governance(&self) -> Result<GovernanceView, ApiError> {
        let state = StoreState(self.store());
        let governance = catena_runtime::governance(&state)
            .map_err(internal)?
            .unwrap_or(catena_runtime::ValidatorGovernance {
                members: Vec::new(),
                threshold: 0,
            });
        let validators = self
            .validator_entries()
            .map_err(chain_error)?
            .into_iter()
            .map(|v| ValidatorView {
                account: v.account.to_string(),
                member: v.member,
                peer_id: v.peer_id,
                address: v.address,
            })
            .collect();
        let entries = self
            .store()
            .state_prefix(catena_runtime::keys::PROPOSAL_PREFIX, MAX_LISTED)
            .map_err(internal)?;
        let proposals = catena_runtime::proposals(entries)
            .map_err(internal)?
            .into_iter()
            .map(|p| {
                let (action, account, peer_id, address) = match p.proposal.change {
                    ValidatorChange::Add {
                        account,
                        peer_id,
                        address,
                    } => ("add_validator", account, Some(peer_id), Some(address)),
                    ValidatorChange::Remove { account } => {
                        ("remove_validator", account, None, None)
                    }
                };
                ProposalView {
                    id: p.id,
                    proposed_in: p.proposed_in.to_string(),
                    proposer: p.proposer.to_string(),
                    action: action.into(),
                    account: account.to_string(),
                    peer_id,
                    address,
                    from_height: p.proposal.from_height,
                    approvals: p.approvals,
                    status: match p.status {
                        catena_runtime::ValidatorSetProposalStatus::Open => "open".into(),
                        catena_runtime::ValidatorSetProposalStatus::Scheduled => "scheduled".into(),
                    },
                }
            })
            .collect();
        let parachain_proposals = catena_runtime::parachain_proposals(&state)
            .map_err(internal)?
            .into_iter()
            .map(|p| {
                use catena_runtime::parachains::ParachainAction;
                let (action, parachain) = match p.action {
                    ParachainAction::Register(r) => ("register_parachain", r.id),
                    ParachainAction::Recover(r) => ("recover_parachain", r.id),
                };
                ParachainProposalView {
                    id: p.id,
                    action: action.into(),
                    parachain,
                    proposer: p.proposer.to_string(),
                    approvals: p.approvals,
                    status: if p.done { "applied" } else { "open" }.into(),
                }
            })
            .collect();
        Ok(GovernanceView {
            members: governance.members,
            threshold: governance.threshold,
            validators,
            proposals,
            parachain_proposals,
        })
    }

    fn evidence(&self) -> Result<Vec<EvidenceView>, ApiError> {
        let entries = self
            .store()
            .state_prefix(catena_runtime::keys::EVIDENCE_PREFIX, MAX_LISTED)
            .map_err(internal)?;
        entries
            .into_iter()
            .map(|(_, bytes)| {
                let evidence =
                    <Equivocation as parity_scale_codec::DecodeAll>::decode_all(&mut &bytes[..])
                        .map_err(|e| internal(format!("stored evidence cannot be decoded: {e}")))?;
                let (a, b) = (&evidence.first, &evidence.second);
                Ok(EvidenceView {
                    signer: a.signer.to_string(),
                    height: a.height,
                    round: a.round,
                    kind: if a.kind == catena_primitives::evidence::PREVOTE {
                        "prevote".into()
                    } else {
                        "precommit".into()
                    },
                    values: [a.value, b.value].map(|v| v.map(|h| h.to_string())),
                    evidence: format!("0x{}", hex::encode(evidence.encode())),
                })
            })
            .collect()
    }

    fn state_entry(&self, key: Vec<u8>, height: Option<u64>) -> Result<StateEntryView, ApiError> {
        let tip = self.tip().map_err(chain_error)?;
        let height = height.unwrap_or(tip.height);
        if height > tip.height {
            return Err(ApiError::not_found(format!(
                "height {height} is not committed yet (latest is {})",
                tip.height
            )));
        }
        let header = self
            .store()
            .header(height)
            .map_err(internal)?
            .ok_or_else(|| internal(format!("header {height} missing")))?;
        let (value, proof) = match self.store().state_with_proof(&key, height) {
            Err(e @ catena_storage::StorageError::NotCommitted(_)) => {
                return Err(ApiError::bad_request("not_committed", e.to_string()))
            }
            other => other.map_err(internal)?,
        };
        Ok(StateEntryView {
            key: format!("0x{}", hex::encode(&key)),
            height,
            state_root: header.state_root,
            value: value.map(|v| format!("0x{}", hex::encode(v))),
            proof: format!("0x{}", hex::encode(proof.0)),
        })
    }

    fn metrics(&self) -> String {
        ChainInstance::metrics(self).render()
    }

    fn chain_id(&self) -> String {
        self.spec().chain_id.clone()
    }

    fn parachains(&self) -> Result<Vec<ParachainView>, ApiError> {
        self.parachain_views()
    }

    fn parachain(&self, id: &str) -> Result<Option<ParachainView>, ApiError> {
        self.parachain_view(id)
    }

    fn parachain_anchors(
        &self,
        id: &str,
        from: u64,
        limit: usize,
    ) -> Result<Option<AnchorPageView>, ApiError> {
        self.anchor_page(id, from, limit)
    }

    fn proof(
        &self,
        key: Vec<u8>,
        from: Option<u64>,
        height: Option<u64>,
    ) -> Result<ProofView, ApiError> {
        self.proof_view(key, from, height)
    }

    fn block_evidence(
        &self,
        height: u64,
        contract: Option<Hash>,
    ) -> Result<Option<catena_api::BlockEvidenceView>, ApiError> {
        self.block_evidence_view(height, contract)
    }

    fn invoice_claim(
        &self,
        code: &str,
        number: &str,
        seller: &str,
    ) -> Result<Option<catena_api::ClaimFacts>, ApiError> {
        self.claim_facts(code, number, seller)
    }

    fn summary(&self) -> ChainSummaryView {
        let height = u64::try_from(ChainInstance::metrics(self).height.get()).unwrap_or(0);
        let failure = ChainInstance::failure(self).map(str::to_string);
        ChainSummaryView {
            chain_id: self.spec().chain_id.clone(),
            genesis_hash: self.genesis_hash(),
            role: self.role().into(),
            height,
            health: if failure.is_some() { "failed" } else { "ok" }.into(),
            failure,
        }
    }

    fn failure(&self) -> Option<String> {
        ChainInstance::failure(self).map(str::to_string)
    }

    fn submit(&self, tx: Transaction) -> Result<Hash, ApiError> {
        self.submit_local(tx).map_err(admit_error)
    }

    fn submit_batch(&self, txs: Vec<Transaction>) -> Vec<Result<Hash, ApiError>> {
        self.submit_batch_local(txs)
            .into_iter()
            .map(|outcome| outcome.map_err(admit_error))
            .collect()
    }
}
