//! A small blocking client of the node's HTTP API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use catena_api::{AccountView, StatusView, SubmitResponse, TransactionView, TxStatus};
use catena_primitives::{read, AccountId, Hash, SecretKey, Transaction};
use parity_scale_codec::Encode;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    agent: ureq::Agent,
    /// Who signs each request, for a chain only its members may read.
    signer: Option<Arc<ReadSigner>>,
    timeout: Duration,
}

/// An agent answering any status, with requests timing out after `timeout`, trusting `roots`
/// (else the public certificate authorities) for `https://`.
fn agent(timeout: Duration, roots: Option<Vec<ureq::tls::Certificate<'static>>>) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout));
    if let Some(roots) = roots {
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
                .build(),
        );
    }
    config.build().into()
}

/// The key that signs requests, the chain they are for, and the last timestamp used (each
/// request gets a later one, so that no two signatures are alike and none is taken for a replay).
#[derive(Debug)]
struct ReadSigner {
    key: SecretKey,
    chain_id: String,
    last_ms: AtomicU64,
}

/// An HTTP answer whatever its status: the status and the JSON body (`null` if not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

type Answer = Result<ureq::http::Response<ureq::Body>, ureq::Error>;

impl ApiClient {
    /// A client of the node at `base` (such as `http://127.0.0.1:8545`); requests time out
    /// after 30 s.
    pub fn new(base: &str) -> ApiClient {
        ApiClient::with_timeout(base, Duration::from_secs(30))
    }

    pub fn with_timeout(base: &str, timeout: Duration) -> ApiClient {
        ApiClient {
            base: base.trim_end_matches('/').to_string(),
            agent: agent(timeout, None),
            signer: None,
            timeout,
        }
    }

    /// This client, trusting for `https://` only the certificate authorities in `pem` (a node
    /// whose API certificate a consortium's own CA signed) instead of the public ones.
    pub fn trusting(mut self, pem: &[u8]) -> anyhow::Result<ApiClient> {
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()
            .context("the CA file is not PEM")?;
        if certs.is_empty() {
            bail!("the CA file holds no PEM certificate");
        }
        self.agent = agent(self.timeout, Some(certs));
        Ok(self)
    }

    /// This client, signing every request with `key` for chain `chain_id` (the scheme of
    /// `catena_primitives::read`), as a chain only its members may read requires.
    pub fn signing(mut self, key: SecretKey, chain_id: String) -> ApiClient {
        self.signer = Some(Arc::new(ReadSigner {
            key,
            chain_id,
            last_ms: AtomicU64::new(0),
        }));
        self
    }

    /// Sends a GET (no body) or a POST of a JSON body, signed if this client signs.
    fn call(&self, path: &str, body: Option<&[u8]>) -> Answer {
        let url = format!("{}{path}", self.base);
        let method = if body.is_some() { "POST" } else { "GET" };
        let headers = self.signature_headers(method, &url, body.unwrap_or_default());
        match body {
            None => {
                let mut request = self.agent.get(&url);
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                request.call()
            }
            Some(body) => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("content-type", "application/json");
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                request.send(body)
            }
        }
    }

    /// The signature headers of a request, or none if this client does not sign.
    fn signature_headers(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let Some(signer) = &self.signer else {
            return Vec::new();
        };
        let Ok(uri) = url.parse::<ureq::http::Uri>() else {
            return Vec::new(); // ureq refuses the URL itself, with its own error
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let previous = signer.last_ms.fetch_max(now, Ordering::SeqCst);
        let timestamp = if previous >= now {
            signer.last_ms.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            now
        };
        let [account, timestamp, signature] = read::Request {
            chain_id: &signer.chain_id,
            method,
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            timestamp_ms: timestamp,
            body,
        }
        .sign(&signer.key);
        vec![
            (read::ACCOUNT_HEADER, account),
            (read::TIMESTAMP_HEADER, timestamp),
            (read::SIGNATURE_HEADER, signature),
        ]
    }

    /// A GET answered with any status; `None` if the node does not answer.
    pub fn get_reply(&self, path: &str) -> Option<Reply> {
        reply(self.call(path, None))
    }

    /// A POST of a JSON body answered with any status; `None` if the node does not answer.
    pub fn post_reply(&self, path: &str, body: &str) -> Option<Reply> {
        reply(self.call(path, Some(body.as_bytes())))
    }

    /// A transaction submitted, answered with any status; `None` if the node does not answer.
    pub fn submit_reply(&self, tx: &Transaction) -> Option<Reply> {
        self.post_reply("/transactions", &submission(tx).to_string())
    }

    /// Transactions submitted in one `POST /transactions/batch`, answered with any status;
    /// `None` if the node does not answer.
    pub fn submit_batch_reply<'a>(
        &self,
        txs: impl IntoIterator<Item = &'a Transaction>,
    ) -> Option<Reply> {
        self.post_reply("/transactions/batch", &batch_submission(txs).to_string())
    }

    /// A text body (such as `/metrics`); `None` if the node does not answer.
    pub fn get_text(&self, path: &str) -> Option<String> {
        let mut response = self.call(path, None).ok()?;
        response.body_mut().read_to_string().ok()
    }

    fn read(&self, path: &str, response: Answer) -> anyhow::Result<Value> {
        let mut response = response.map_err(|e| NodeError::Unreachable {
            node: self.base.clone(),
            reason: e.to_string(),
        })?;
        let status = response.status();
        let body: Value = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_json()
            .with_context(|| format!("the node answered {path} with a body that is not JSON"))?;
        if status.is_success() {
            return Ok(body);
        }
        Err(NodeError::Answered {
            status: status.as_u16(),
            code: body["error"]["code"]
                .as_str()
                .unwrap_or("error")
                .to_string(),
            message: body["error"]["message"]
                .as_str()
                .unwrap_or("no message")
                .to_string(),
        }
        .into())
    }

    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.read(path, self.call(path, None))
    }

    /// POSTs a JSON body; the JSON answer (an error for a non-2xx status).
    pub fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.read(path, self.call(path, Some(body.to_string().as_bytes())))
    }

    /// A read-only call of a contract method on the node's latest state; its output.
    pub fn query(&self, contract: &Hash, method: &str, input: &[u8]) -> anyhow::Result<Vec<u8>> {
        let path = format!("/contracts/{contract}/query");
        let body =
            serde_json::json!({ "method": method, "input": format!("0x{}", hex::encode(input)) });
        let value = self.post(&path, &body)?;
        let output = value["output"].as_str().unwrap_or_default();
        hex::decode(output.trim_start_matches("0x"))
            .with_context(|| format!("the node answered {path} with output that is not hex"))
    }

    /// An account's next nonce and member.
    pub fn account(&self, account: &AccountId) -> anyhow::Result<AccountView> {
        Ok(serde_json::from_value(
            self.get(&format!("/accounts/{account}"))?,
        )?)
    }

    pub fn status(&self) -> anyhow::Result<StatusView> {
        Ok(serde_json::from_value(self.get("/status")?)?)
    }

    pub fn submit(&self, tx: &Transaction) -> anyhow::Result<Hash> {
        let value = self.post("/transactions", &submission(tx))?;
        let response: SubmitResponse = serde_json::from_value(value)?;
        Ok(response.hash)
    }

    /// Polls until the transaction is committed (an error if the node dropped it), or `timeout`
    /// passes.
    pub fn wait_committed(&self, hash: Hash, timeout: Duration) -> anyhow::Result<TransactionView> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.get(&format!("/transactions/{hash}"));
            if let Ok(value) = value {
                let view: TransactionView = serde_json::from_value(value)?;
                match view.status {
                    TxStatus::Committed => return Ok(view),
                    TxStatus::Dropped => bail!(
                        "transaction {hash} was dropped: {}",
                        view.dropped_reason.as_deref().unwrap_or("no reason given")
                    ),
                    TxStatus::Pending => {}
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "transaction {hash} was not committed within {} s",
                    timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Why a request to the node did not get a success: the node could not be reached (or did not
/// answer in time), or it answered with an error. Carried in the `anyhow::Error` of every call,
/// so that a caller can tell them apart (the CLI's exit codes).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("cannot reach the node at {node}: {reason}")]
    Unreachable { node: String, reason: String },
    #[error("{message} (HTTP {status}, {code})")]
    Answered {
        status: u16,
        code: String,
        message: String,
    },
}

/// The body of `POST /transactions`.
fn submission(tx: &Transaction) -> Value {
    serde_json::json!({ "transaction": format!("0x{}", hex::encode(tx.encode())) })
}

/// The body of `POST /transactions/batch`.
pub fn batch_submission<'a>(txs: impl IntoIterator<Item = &'a Transaction>) -> Value {
    let txs: Vec<String> = txs
        .into_iter()
        .map(|tx| format!("0x{}", hex::encode(tx.encode())))
        .collect();
    serde_json::json!({ "transactions": txs })
}

fn reply(response: Answer) -> Option<Reply> {
    let mut response = response.ok()?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_json()
        .unwrap_or(Value::Null);
    Some(Reply { status, body })
}
