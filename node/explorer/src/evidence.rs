//! "Download evidence": the bundle `catena evidence export` writes (docs/evidence.md), assembled
//! in the node from the API's routes read in process as the page's reader, verified before it
//! is served (a bundle that does not verify is never handed out), and given as a file.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Extension, Path, State};
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use catena_api::{reads, ChainApi, Reader};
use catena_evidence::{Source, Subject};
use tower::ServiceExt;

use crate::{read_as, Explorer};

/// The largest answer of one route an export reads (a proof, a lineage).
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// A chain's API in this process, read as one reader.
struct InProcess {
    router: Router,
    runtime: tokio::runtime::Handle,
}

impl Source for InProcess {
    fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        let request = Request::get(path).body(Body::empty())?;
        let response = self
            .runtime
            .block_on(self.router.clone().oneshot(request))?;
        let status = response.status();
        let body = self
            .runtime
            .block_on(axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES))?;
        let json: serde_json::Value = serde_json::from_slice(&body)?;
        if !status.is_success() {
            anyhow::bail!("{path}: {} {}", status.as_u16(), json["error"]["message"]);
        }
        Ok(json)
    }
}

/// The main chain read as `reader` reads the chain it is on: open to anyone, or (a main chain
/// whose reads are signed) as the member the same account belongs to there.
fn main_reader(main: &Arc<dyn ChainApi>, reader: &Reader) -> Result<Reader, catena_api::ApiError> {
    if !main.signed_reads() {
        return Ok(Reader::Anyone);
    }
    match reader {
        Reader::Member { account, .. } | Reader::Auditor { account, .. } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            main.reader(account, now)
        }
        Reader::Anyone => Ok(Reader::Anyone),
    }
}

/// Assembles, verifies and serves the bundle of `subject`, named `file`.
async fn bundle(
    explorer: &Explorer,
    reader: &Reader,
    subject: Subject,
    file: String,
) -> Result<Response, Response> {
    let main = Arc::clone(&explorer.main);
    let main_as = main_reader(&main, reader).map_err(|e| explorer.api_problem(e))?;
    let chain = InProcess {
        router: catena_api::router_as(Arc::clone(&explorer.chain), reader.clone()),
        runtime: tokio::runtime::Handle::current(),
    };
    let main = InProcess {
        router: catena_api::router_as(main, main_as),
        runtime: tokio::runtime::Handle::current(),
    };
    let made = tokio::task::spawn_blocking(move || {
        let bundle = catena_evidence::export(&chain, &main, subject, None)?;
        let bytes = bundle.to_bytes();
        catena_evidence::verify(&bytes)
            .map_err(|e| anyhow::anyhow!("the bundle does not verify: {e}"))?;
        anyhow::Ok(bytes)
    })
    .await;
    let bytes = match made {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            return Err(explorer.problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "No evidence",
                &format!("The evidence could not be assembled: {e:#}"),
            ))
        }
        Err(e) => {
            return Err(explorer.problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The node failed",
                &format!("assembling the evidence failed: {e}"),
            ))
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `vouchers/{id}/evidence`: the voucher's evidence bundle.
pub async fn voucher(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let Ok(number) = id.parse::<u64>() else {
        return Err(explorer.bad_input(&format!("'{id}' is not a voucher id (a number)")));
    };
    // A voucher the reader may not see, or none, is answered as its page would be.
    read_as(&explorer, &reader, move |chain, reader| {
        reads::voucher(chain.as_ref(), reader, number)
    })
    .await?;
    let file = format!("voucher-{number}.evidence.json");
    bundle(&explorer, &reader, Subject::Voucher(number), file).await
}

/// `records/{hash}/evidence`: a recorded document's evidence bundle.
pub async fn record(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    Path(hash): Path<String>,
) -> Result<Response, Response> {
    let Ok(parsed) = hash.parse::<catena_primitives::Hash>() else {
        return Err(explorer.bad_input(&format!(
            "'{hash}' is not a document hash (0x and 64 hex digits)"
        )));
    };
    let found = read_as(&explorer, &reader, move |chain, reader| {
        reads::record(chain.as_ref(), reader, parsed)
    })
    .await?;
    if found.is_none() {
        return Err(explorer.missing(&format!("document {hash} is not recorded on this chain")));
    }
    let file = format!("record-{}.evidence.json", &hash[2..10]);
    bundle(&explorer, &reader, Subject::Record(parsed), file).await
}
