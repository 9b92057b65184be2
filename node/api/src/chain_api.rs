//! The one trait the API needs of a node: what it reads and what it submits.

use super::*;

/// What the API needs from a chain. Implemented by the node's chain instance.
pub trait ChainApi: Send + Sync + 'static {
    fn status(&self) -> Result<StatusView, ApiError>;
    fn block(&self, id: BlockId) -> Result<Option<BlockView>, ApiError>;
    fn transaction(&self, hash: Hash) -> Result<Option<TransactionView>, ApiError>;
    /// Block `id`'s transactions with their receipts, in block order, the first `offset`
    /// skipped and at most `limit` of them; `None` if there is no such block.
    fn block_transactions(
        &self,
        id: BlockId,
        offset: usize,
        limit: usize,
    ) -> Result<Option<Vec<TransactionView>>, ApiError> {
        let Some(block) = self.block(id)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for hash in block.transactions.iter().skip(offset).take(limit) {
            out.extend(self.transaction(*hash)?);
        }
        Ok(Some(out))
    }
    fn account(&self, account: AccountId) -> Result<AccountView, ApiError>;
    fn state_entry(&self, key: Vec<u8>, height: Option<u64>) -> Result<StateEntryView, ApiError>;
    /// Equivocation evidence recorded on chain, oldest height first per signer.
    fn evidence(&self) -> Result<Vec<EvidenceView>, ApiError>;
    /// Governing members, the validator set of the next block, and the proposals.
    fn governance(&self) -> Result<GovernanceView, ApiError>;
    fn contract(&self, id: Hash) -> Result<Option<ContractView>, ApiError>;
    /// Events from `from` (height, index) inclusive up to `to_height` that `query` accepts, at
    /// most `limit`; and where a next page would start.
    fn events(
        &self,
        query: &EventQuery,
        from: (u64, u32),
        to_height: u64,
        limit: usize,
    ) -> Result<EventSlice, ApiError>;
    /// Wakes up on every committed block with its height, if this node can tell.
    fn subscribe(&self) -> Option<tokio::sync::broadcast::Receiver<u64>>;
    /// Runs a contract method read-only against the latest committed state.
    fn query(&self, id: Hash, method: String, input: Vec<u8>) -> Result<Vec<u8>, ApiError>;
    fn submit(&self, tx: Transaction) -> Result<Hash, ApiError>;
    /// Submits many transactions; the outcome of each, in order.
    fn submit_batch(&self, txs: Vec<Transaction>) -> Vec<Result<Hash, ApiError>> {
        txs.into_iter().map(|tx| self.submit(tx)).collect()
    }
    /// Metrics in the OpenMetrics text format.
    fn metrics(&self) -> String;
    /// The parachains registered on this chain (a main chain), by id.
    fn parachains(&self) -> Result<Vec<ParachainView>, ApiError>;
    /// One registered parachain.
    fn parachain(&self, id: &str) -> Result<Option<ParachainView>, ApiError>;
    /// Anchors of parachain `id` from parachain height `from`, at most `limit`; `None` if no
    /// such parachain is registered.
    fn parachain_anchors(
        &self,
        id: &str,
        from: u64,
        limit: usize,
    ) -> Result<Option<AnchorPageView>, ApiError>;
    /// `key` (or its absence) with a proof from a genesis trust root (see `GET /proofs/{key}`);
    /// `from`: a parachain's first anchored block at or above it; `height`: another chain's
    /// block to prove at.
    fn proof(
        &self,
        key: Vec<u8>,
        from: Option<u64>,
        height: Option<u64>,
    ) -> Result<ProofView, ApiError>;
    /// Block `height` with its transactions calling `contract` (all if `None`) and what proves
    /// them offline; `None` if not committed.
    fn block_evidence(
        &self,
        _height: u64,
        _contract: Option<Hash>,
    ) -> Result<Option<BlockEvidenceView>, ApiError> {
        Err(ApiError::not_found("this node serves no block evidence"))
    }
    /// The claim facts of invoice `code` / `number` of `seller` on this chain; `None` where
    /// vouchers need no claims (no invoice key).
    fn invoice_claim(
        &self,
        _code: &str,
        _number: &str,
        _seller: &str,
    ) -> Result<Option<ClaimFacts>, ApiError> {
        Ok(None)
    }
    /// The chain's id, as its routes are nested under `/chains/{chain_id}`.
    fn chain_id(&self) -> String;
    /// The chain's line in `GET /chains`: read without touching its store, so a failed chain
    /// still has one.
    fn summary(&self) -> ChainSummaryView;
    /// Why the chain stopped on this node, if it has: its routes then answer 503 with it.
    fn failure(&self) -> Option<String> {
        None
    }
    /// Whether this chain's routes answer only requests signed by an account of one of its
    /// members (a parachain; a main chain whose config says so).
    fn signed_reads(&self) -> bool {
        false
    }
    /// What `account` reads as at `now_ms` (the node's clock): a member reads everything, an
    /// auditor what members granted it then; a 403 for anyone else.
    fn reader(&self, account: &AccountId, now_ms: u64) -> Result<Reader, ApiError> {
        let forbidden = |code, message| ApiError::new(StatusCode::FORBIDDEN, code, message);
        let Some(member) = self.account(*account)?.member else {
            return Err(forbidden(
                "not_a_member",
                format!(
                    "account {account} is not an account of a member of chain '{}'",
                    self.chain_id()
                ),
            ));
        };
        let auditor_only =
            !member.roles.is_empty() && member.roles.iter().all(|role| role == "auditor");
        if !auditor_only {
            return Ok(Reader::Member {
                account: *account,
                uscc: member.uscc,
            });
        }
        match self.audit_scope(&member.uscc, now_ms)? {
            Some(scope) => Ok(Reader::Auditor {
                account: *account,
                uscc: member.uscc,
                scope,
            }),
            None => Err(forbidden(
                "no_grant",
                format!(
                    "auditor {} ({}) holds no grant in force on chain '{}': it reads only what \
                     members granted it",
                    member.name,
                    member.uscc,
                    self.chain_id()
                ),
            )),
        }
    }
    /// What auditor `uscc` was granted and is in force at `now_ms`, if anything.
    fn audit_scope(&self, _uscc: &str, _now_ms: u64) -> Result<Option<AuditScope>, ApiError> {
        Ok(None)
    }
}

/// Events found, and where the next page would start (if anything is left in the range).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventSlice {
    pub events: Vec<EventRecordView>,
    pub resume: Option<(u64, u32)>,
}
