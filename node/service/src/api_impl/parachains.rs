//! The parachain registry as the API shows it: each registered parachain and its anchors.

use catena_api::{
    AnchorPageView, AnchoredView, ApiError, BlockEvidenceView, BlockTxView, ForkView,
    ParachainValidatorView, ParachainView, ProofKind, ProofView,
};
use parity_scale_codec::Encode;

use super::{chain_error, internal, MAX_LISTED};
use crate::chain::{ChainInstance, StoreState};

fn anchored_view(a: catena_primitives::parachain::AnchoredBlock) -> AnchoredView {
    AnchoredView {
        height: a.height,
        block_hash: a.block_hash,
        state_root: a.state_root,
        time_ms: a.time_ms,
        validator_set_hash: a.validator_set_hash,
        main_height: a.main_height,
    }
}

/// A registered parachain as the API shows it, `now_ms` being the main chain's tip time.
fn view(r: catena_primitives::parachain::ParachainRecord, now_ms: u64) -> ParachainView {
    use catena_primitives::parachain::ParachainStatus;
    let (status, fork) = match &r.status {
        ParachainStatus::Active => ("active", None),
        ParachainStatus::Frozen(f) => (
            "frozen",
            Some(ForkView {
                height: f.height,
                anchored: f.anchored,
                conflicting: f.conflicting.hash(),
                found_at: f.found_at,
            }),
        ),
    };
    let reg = r.registration;
    ParachainView {
        id: reg.id,
        genesis_hash: reg.genesis_hash,
        members: reg.members,
        genesis_validators: reg
            .validators
            .into_iter()
            .map(|v| ParachainValidatorView {
                account: v.account,
                member: v.member,
            })
            .collect(),
        validators: r.validators,
        anchor_every_blocks: reg.anchor_every_blocks,
        anchor_every_ms: reg.anchor_every_ms,
        status: status.into(),
        fork,
        anchor_age_ms: r
            .head
            .as_ref()
            .map_or(0, |h| now_ms.saturating_sub(h.time_ms)),
        head: r.head.map(anchored_view),
        registered_at: r.registered_at,
    }
}

impl ChainInstance {
    /// The time of the tip's block.
    fn tip_time_ms(&self) -> Result<u64, ApiError> {
        let tip = self.tip().map_err(chain_error)?;
        Ok(self
            .store()
            .header(tip.height)
            .map_err(internal)?
            .map_or(0, |h| h.time_ms))
    }

    pub(super) fn parachain_views(&self) -> Result<Vec<ParachainView>, ApiError> {
        let records =
            catena_runtime::parachains::parachains(&StoreState(self.store())).map_err(internal)?;
        let now = self.tip_time_ms()?;
        Ok(records
            .into_iter()
            .take(MAX_LISTED)
            .map(|r| view(r, now))
            .collect())
    }

    pub(super) fn parachain_view(&self, id: &str) -> Result<Option<ParachainView>, ApiError> {
        let record = catena_runtime::parachains::parachain(&StoreState(self.store()), id)
            .map_err(internal)?;
        let now = self.tip_time_ms()?;
        Ok(record.map(|r| view(r, now)))
    }

    pub(super) fn anchor_page(
        &self,
        id: &str,
        from: u64,
        limit: usize,
    ) -> Result<Option<AnchorPageView>, ApiError> {
        let state = StoreState(self.store());
        if catena_runtime::parachains::parachain(&state, id)
            .map_err(internal)?
            .is_none()
        {
            return Ok(None);
        }
        let (anchors, next) =
            catena_runtime::parachains::parachain_anchors(&state, id, from, limit)
                .map_err(internal)?;
        Ok(Some(AnchorPageView {
            anchors: anchors.into_iter().map(anchored_view).collect(),
            next,
        }))
    }

    /// `key` with a proof from a genesis trust root: through an anchor on a parachain, under the
    /// latest certified header otherwise.
    pub(super) fn proof_view(
        &self,
        key: Vec<u8>,
        from: Option<u64>,
        height: Option<u64>,
    ) -> Result<ProofView, ApiError> {
        use crate::proofs::{self, ProofError};
        let answer = |e: ProofError| match e {
            ProofError::Unavailable(message) => ApiError::not_found(message),
            ProofError::Store(message) => internal(message),
        };
        let hex = |bytes: &[u8]| format!("0x{}", hex::encode(bytes));
        let Some(section) = &self.spec().parachain else {
            if from.is_some() {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!(
                        "'from' picks an anchored block of a parachain; '{}' is not one",
                        self.spec().chain_id
                    ),
                ));
            }
            let height = match height {
                Some(height) => height,
                None => self.tip().map_err(super::chain_error)?.height,
            };
            let proof = proofs::in_state_at(self, &key, height).map_err(answer)?;
            let height = proof.at.header.header.height;
            return Ok(ProofView {
                kind: ProofKind::InState,
                trust_root_chain: self.spec().chain_id.clone(),
                key: hex(&key),
                value: proof.entry.value.as_deref().map(hex),
                height,
                certified_height: height,
                proof: hex(&proof.encode()),
            });
        };
        if height.is_some() {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!(
                    "'{}' is a parachain: its entries are proved through anchors ('from'), not at a height",
                    self.spec().chain_id
                ),
            ));
        }
        let main = self.main().ok_or_else(|| {
            ApiError::not_found(format!(
                "this node does not host '{}', the main chain of '{}'",
                section.main_chain_id,
                self.spec().chain_id
            ))
        })?;
        let proof = proofs::through_anchor(main, self, &key, from).map_err(answer)?;
        Ok(ProofView {
            kind: ProofKind::ThroughAnchor,
            trust_root_chain: main.spec().chain_id.clone(),
            key: hex(&key),
            value: proof.entry.value.as_deref().map(hex),
            height: proof.anchored.height,
            certified_height: proof.main.header.header.height,
            proof: hex(&proof.encode()),
        })
    }

    /// Block `height` with its transactions calling `contract` (all if `None`), their receipts,
    /// and the lists its transaction and receipts roots are computed from.
    pub(super) fn block_evidence_view(
        &self,
        height: u64,
        contract: Option<catena_primitives::Hash>,
    ) -> Result<Option<BlockEvidenceView>, ApiError> {
        let store = self.store();
        let Some(block) = store.block(height).map_err(internal)? else {
            return Ok(None);
        };
        let hex = |bytes: &[u8]| format!("0x{}", hex::encode(bytes));
        let certified = crate::proofs::certified(self, height).map_err(internal)?;
        let scheduled = store.scheduled_runs(height).map_err(internal)?;
        let mut receipt_hashes: Vec<String> = scheduled
            .iter()
            .map(|run| hex(&catena_primitives::Hash::digest(&run.encode()).0))
            .collect();
        let mut transactions = Vec::new();
        let mut receipts = store.receipts(height).map_err(internal)?.into_iter();
        for (index, tx) in block.transactions.iter().enumerate() {
            let receipt = receipts
                .next()
                .filter(|receipt| receipt.tx_hash == tx.hash())
                .ok_or_else(|| internal(format!("the receipt of {} is missing", tx.hash())))?;
            receipt_hashes.push(hex(&receipt.hash().0));
            let wanted = match (&contract, &tx.call) {
                (None, _) => true,
                (Some(id), catena_primitives::Call::CallContract { contract, .. }) => {
                    contract == id
                }
                (Some(_), _) => false,
            };
            if wanted {
                transactions.push(BlockTxView {
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    tx: hex(&tx.encode()),
                    receipt: hex(&receipt.encode()),
                });
            }
        }
        Ok(Some(BlockEvidenceView {
            height,
            certified: hex(&certified.encode()),
            tx_hashes: block
                .transactions
                .iter()
                .map(|tx| hex(&tx.hash().0))
                .collect(),
            receipt_hashes,
            transactions,
        }))
    }
}
