//! Route: an invoice's claim on a parachain that keeps invoice claims (ADR 0031): its
//! fingerprint under the consortium's key (computed by this node, which holds the key), where the
//! main chain and this chain keep the claim, and how it stands here. What the CLI needs to claim
//! an invoice for the chain, take the claim, and release it.

use catena_schema::records::{method as records_method, Record};

use super::*;
use crate::business::call;

/// How an invoice's claim stands on this chain.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct InvoiceClaimView {
    /// The invoice record's document hash.
    #[schema(value_type = String)]
    pub record: Hash,
    pub code: String,
    pub number: String,
    pub seller: String,
    /// Whether a voucher on this chain needs a claim of it (a parachain whose nodes hold the
    /// consortium's invoice key); when false, the fields below are null.
    pub required: bool,
    /// The fingerprint, and the main chain's and this chain's state keys of its claim (hex).
    pub fingerprint: Option<String>,
    pub main_claim_key: Option<String>,
    pub claim_key: Option<String>,
    /// The main chain's number of the claim this chain took, and its state here (`claimed`,
    /// `in_use`, `released`); null if it took none.
    pub claim: Option<u64>,
    pub state: Option<String>,
}

/// The fingerprint and the keys of a claim, and the claim this chain holds, as a node sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimFacts {
    pub fingerprint: Hash,
    pub main_claim_key: Vec<u8>,
    pub claim_key: Vec<u8>,
    pub claim: Option<catena_schema::voucher::InvoiceClaim>,
}

/// An invoice record's claim on this chain: whether vouchers need one, its fingerprint and keys,
/// and the claim this chain holds.
#[utoipa::path(get, path = "/records/{hash}/claim", tag = "business",
    params(("hash" = String, Path, description = "the invoice's document SHA-256, 0x + 64 hex digits")),
    responses((status = 200, body = InvoiceClaimView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_invoice_claim(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    hash: PathSegment,
) -> ApiResult<InvoiceClaimView> {
    let (_, hash) = parsed_segment::<Hash>(hash, "invalid_hash", "a hash")?;
    blocking_found(
        move || {
            let record: Option<Record> = call(chain.as_ref(), records_method::GET, hash.0)?;
            let Some(record) = record else {
                return Ok(None);
            };
            reader.require_member(&record.recorder, &format!("document {hash}"))?;
            let invoice = record.invoice.ok_or_else(|| {
                ApiError::not_found(format!("document {hash} is no invoice: it has no claim"))
            })?;
            let facts = chain.invoice_claim(&invoice.code, &invoice.number, &invoice.seller)?;
            let hex = |bytes: &[u8]| format!("0x{}", hex::encode(bytes));
            Ok(Some(InvoiceClaimView {
                record: hash,
                required: facts.is_some(),
                fingerprint: facts.as_ref().map(|f| hex(&f.fingerprint.0)),
                main_claim_key: facts.as_ref().map(|f| hex(&f.main_claim_key)),
                claim_key: facts.as_ref().map(|f| hex(&f.claim_key)),
                claim: facts
                    .as_ref()
                    .and_then(|f| f.claim.as_ref())
                    .map(|c| c.claim),
                state: facts
                    .as_ref()
                    .and_then(|f| f.claim.as_ref())
                    .map(|c| state_name(c.state).into()),
                code: invoice.code,
                number: invoice.number,
                seller: invoice.seller,
            }))
        },
        format!("document {hash} is not recorded"),
    )
    .await
}

fn state_name(state: catena_schema::voucher::ClaimState) -> &'static str {
    use catena_schema::voucher::ClaimState;
    match state {
        ClaimState::Claimed => "claimed",
        ClaimState::InUse => "in_use",
        ClaimState::Released => "released",
    }
}
