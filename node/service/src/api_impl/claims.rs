//! An invoice's claim as the API shows it (ADR 0031): its fingerprint under this node's key and
//! the claim this chain holds.

use catena_api::{ApiError, ClaimFacts};

use super::internal;
use crate::chain::ChainInstance;

impl ChainInstance {
    /// The claim facts of invoice `code` / `number` of `seller`; `None` where this chain keeps
    /// no claims (no invoice key).
    pub(super) fn claim_facts(
        &self,
        code: &str,
        number: &str,
        seller: &str,
    ) -> Result<Option<ClaimFacts>, ApiError> {
        let Some(key) = self.invoice_key() else {
            return Ok(None);
        };
        let fingerprint = key.fingerprint(code, number, seller);
        let claim_key = catena_runtime::invoices::claim_key(&fingerprint);
        let claim = self
            .store()
            .state_get(&claim_key)
            .map_err(internal)?
            .map(|bytes| {
                use parity_scale_codec::DecodeAll;
                catena_schema::voucher::InvoiceClaim::decode_all(&mut &bytes[..])
            })
            .transpose()
            .map_err(internal)?;
        Ok(Some(ClaimFacts {
            fingerprint,
            main_claim_key: catena_primitives::invoice::main_claim_key(&fingerprint),
            claim_key,
            claim,
        }))
    }
}
