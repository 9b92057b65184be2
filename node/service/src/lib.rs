//! The composition root of a Catena node: it opens each hosted chain, starts its consensus
//! driver and serves the HTTP API. It is the only crate that spawns threads and tasks.
//!
//! A node's home directory holds:
//! - `config.toml`: node settings ([`config::NodeConfig`]);
//! - `chain-spec.json`: the chain it runs;
//! - `validator.key`: the vote-signing key, if this node validates;
//! - `network.key`: the libp2p identity key (every node of a multi-validator chain);
//! - `keys/`: demo member keys (dev and local homes only);
//! - `data/chains/<chain id>/`: each chain's RocksDB store.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use catena_chain_spec::{ChainSpec, SpecError};
use catena_primitives::SecretKey;

pub mod api_impl;
pub mod chain;
pub mod config;
pub mod driver;
pub mod forward;
pub mod init;
pub mod keys;
pub mod metrics;

pub use chain::{ChainError, ChainInstance};
pub use config::{LogFormat, NodeConfig};

pub const CONFIG_FILE: &str = "config.toml";

/// Milliseconds since 1970 by this machine's clock. Only the node's drivers and the CLI read the
/// clock; a proposer puts the time in its block header, and execution reads it from there.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
pub const SPEC_FILE: &str = "chain-spec.json";
pub const VALIDATOR_KEY_FILE: &str = "validator.key";
pub const KEYS_DIR: &str = "keys";
pub const NETWORK_KEY_FILE: &str = "network.key";

/// The files of a node's home directory.
#[derive(Debug, Clone)]
pub struct Home(pub PathBuf);

impl Home {
    pub fn config(&self) -> PathBuf {
        self.0.join(CONFIG_FILE)
    }
    pub fn spec(&self) -> PathBuf {
        self.0.join(SPEC_FILE)
    }
    pub fn validator_key(&self) -> PathBuf {
        self.0.join(VALIDATOR_KEY_FILE)
    }
    pub fn network_key(&self) -> PathBuf {
        self.0.join(NETWORK_KEY_FILE)
    }
    pub fn keys(&self) -> PathBuf {
        self.0.join(KEYS_DIR)
    }
    pub fn is_initialised(&self) -> bool {
        self.spec().exists()
    }
    /// Where a chain's store lives under the configured data directory.
    pub fn chain_dir(&self, config: &NodeConfig, chain_id: &str) -> PathBuf {
        let data = if config.data_dir.is_absolute() {
            config.data_dir.clone()
        } else {
            self.0.join(&config.data_dir)
        };
        data.join("chains").join(chain_id)
    }

    pub fn load_spec(&self) -> Result<ChainSpec, NodeError> {
        read_spec(&self.spec())
    }
}

/// Reads and validates a chain spec file.
pub fn read_spec(path: &Path) -> Result<ChainSpec, NodeError> {
    let bytes = std::fs::read(path).map_err(|source| NodeError::Io {
        what: format!("read chain spec {}", path.display()),
        source,
    })?;
    ChainSpec::from_json(&bytes).map_err(|source| NodeError::Spec {
        path: path.to_path_buf(),
        source,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("cannot {what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{} is already a node home; refusing to overwrite it", .0.display())]
    AlreadyHome(PathBuf),
    #[error("the validator key's account {account} is neither a validator nor a member account in chain '{chain_id}'")]
    NotInChain { account: String, chain_id: String },
    #[error("the network key's peer id {peer_id} is not a validator's in chain '{chain_id}'")]
    NotAValidatorPeer { peer_id: String, chain_id: String },
    #[error(
        "a validator of chain '{chain_id}' needs its network key (--network-key): the chain \
         spec lists each validator's peer id"
    )]
    NoValidatorNetworkKey { chain_id: String },
    #[error("chain spec {path}: {source}")]
    Spec { path: PathBuf, source: SpecError },
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("cannot listen for the API on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "this node of a multi-validator chain has no network key at {path}: `catena init` makes \
         one, or write one with `catena key generate --out {path}` (its peer id must be a \
         validator's in the chain spec, or registered by the node's member)"
    )]
    NoNetworkKey { path: PathBuf },
    #[error("network: {0}")]
    Network(String),
    #[error("the consensus driver stopped: {0}")]
    Driver(String),
    #[error(
        "this validator has no vote log at {path} but chain '{chain_id}' is at height {height}: \
         without it the node could sign a vote conflicting with one it already signed. Restore \
         the file from a backup; start with --allow-missing-vote-log only if you are sure this \
         key signed nothing above height {height}"
    )]
    MissingVoteLog {
        path: PathBuf,
        chain_id: String,
        height: u64,
    },
}

/// Everything a node needs to run.
#[derive(Debug)]
pub struct RunOptions {
    pub home: Home,
    pub config: NodeConfig,
    pub spec: ChainSpec,
    pub validator_key: Option<SecretKey>,
    /// The libp2p identity key (needed by every node of a multi-validator chain).
    pub network_key: Option<SecretKey>,
    /// Start a validator whose vote log is missing (a new, empty one is created).
    pub allow_missing_vote_log: bool,
}

/// A running node's addresses, reported once it serves.
#[derive(Debug, Clone)]
pub struct Started {
    pub api_addr: SocketAddr,
    pub chain_id: String,
    pub height: u64,
}

/// Runs the node until `shutdown` completes or the consensus driver fails. `on_start` is called
/// once the API is listening.
pub async fn run(
    options: RunOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_start: impl FnOnce(&Started),
) -> Result<(), NodeError> {
    let RunOptions {
        home,
        config,
        spec,
        validator_key,
        network_key,
        allow_missing_vote_log,
    } = options;
    let chain_dir = home.chain_dir(&config, &spec.chain_id);
    std::fs::create_dir_all(&chain_dir).map_err(|source| NodeError::Io {
        what: format!("create data directory {}", chain_dir.display()),
        source,
    })?;
    let validators = spec.validators.len();
    let chain_id = spec.chain_id.clone();
    let chain = Arc::new(ChainInstance::open(
        spec,
        &chain_dir.join("db"),
        config.mempool_capacity,
    )?);
    // Every node of a multi-validator chain (by its spec, or by governance since) runs the BFT
    // driver with its peers: a validator votes; a node with a member's key not in the current
    // set follows and votes once a governance change adds it; a node without a validator key
    // follows. The single validator of a chain decides alone, without a network.
    let networked = validators.max(chain.validators().len()) > 1;
    let validating =
        validator_key.filter(|key| networked || chain.validators().contains(&key.account()));
    if networked && network_key.is_none() {
        return Err(NodeError::NoNetworkKey {
            path: home.network_key(),
        });
    }

    let listener = tokio::net::TcpListener::bind(config.api_addr)
        .await
        .map_err(|source| NodeError::Bind {
            addr: config.api_addr,
            source,
        })?;
    let api_addr = listener.local_addr().map_err(|source| NodeError::Bind {
        addr: config.api_addr,
        source,
    })?;

    // The driver task stops when its oneshot fires.
    let (stop_driver, driver_stopped) = tokio::sync::oneshot::channel::<()>();
    let (driver_done_tx, driver_done) = tokio::sync::oneshot::channel::<Result<(), ChainError>>();
    let mut network_task = None;
    let mut forward_task = None;
    chain.following().set_identity(chain::follow::Identity {
        validator: validating.as_ref().map(SecretKey::account),
        peer_id: network_key
            .as_ref()
            .filter(|_| networked)
            .and_then(|key| catena_network::peer_id_of(key.seed()).ok())
            .map(|peer| peer.to_string()),
    });
    let driver = match (validating, network_key) {
        (validating, network_key) if networked || validating.is_some() => {
            let signing = match validating {
                Some(key) => Some(driver::Signing {
                    key,
                    votes: open_vote_log(&chain_dir, &chain, allow_missing_vote_log)?,
                    proposals: open_proposal_log(&chain_dir, &chain)?,
                }),
                None => {
                    tracing::info!(target: "node", chain = %chain_id, "no validator key: this node follows the chain without voting");
                    None
                }
            };
            let max_message_bytes =
                (chain.spec().parameters.max_block_bytes as usize) * 2 + (1 << 20);
            let peers =
                match network_key {
                    Some(network_key) if networked => {
                        let (network, handle, events) = catena_network::Network::new(
                            network_config(&config, &chain, &network_key, max_message_bytes)?,
                        )
                        .map_err(|e| NodeError::Network(e.to_string()))?;
                        network_task = Some(tokio::spawn(network.run()));
                        if let Some(path) = std::env::var_os(CUT_LINKS_FILE_VAR) {
                            tokio::spawn(watch_cut_links(path.into(), handle.clone()));
                        }
                        let (gossip, admitted) = tokio::sync::mpsc::unbounded_channel();
                        chain.set_gossip(gossip);
                        forward_task = Some(tokio::spawn(forward::run(
                            Arc::clone(&chain),
                            handle.clone(),
                            admitted,
                            max_message_bytes,
                        )));
                        Some(driver::Peers {
                            network: handle,
                            events,
                        })
                    }
                    _ => None,
                };
            let parts = driver::DriverParts {
                chain: Arc::clone(&chain),
                signing,
                peers,
                max_message_bytes,
                halt_marker: chain_dir.join(HALT_MARKER),
            };
            let task = tokio::spawn(async move {
                let result = driver::run(parts, driver_stopped).await;
                let _ = driver_done_tx.send(result);
            });
            Some(task)
        }
        _ => {
            tracing::warn!(target: "node", chain = %chain_id, "a chain of one validator runs no network: this node without its key serves its own store and does not follow");
            drop(driver_done_tx);
            None
        }
    };

    let started = Started {
        api_addr,
        chain_id: chain_id.clone(),
        height: chain.tip()?.height,
    };
    tracing::info!(target: "node", chain = %chain_id, api = %api_addr, height = started.height, "node started");
    on_start(&started);

    let app = catena_api::router(Arc::clone(&chain) as Arc<dyn catena_api::ChainApi>);
    let (stop_api, api_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = api_stopped.await;
            })
            .await
    });

    let has_driver = driver.is_some();
    let driver_failed = async move {
        match driver_done.await {
            Ok(Err(e)) => e.to_string(),
            // The driver task ended without a result: it panicked. A node that admits
            // transactions it will never commit must not keep running.
            Err(_) if has_driver => "the consensus thread stopped unexpectedly".to_string(),
            // Ended cleanly, or no driver: wait for the shutdown signal instead.
            _ => std::future::pending().await,
        }
    };
    let outcome = tokio::select! {
        () = shutdown => Ok(()),
        failure = driver_failed => Err(NodeError::Driver(failure)),
    };
    tracing::info!(target: "node", "shutting down");
    let _ = stop_driver.send(());
    if let Some(task) = driver {
        let _ = task.await;
    }
    for task in [forward_task, network_task].into_iter().flatten() {
        task.abort();
    }
    let _ = stop_api.send(());
    // Requests in flight get a moment to finish; open event streams never do, so they are cut.
    let mut server = server;
    if tokio::time::timeout(API_SHUTDOWN_GRACE, &mut server)
        .await
        .is_err()
    {
        server.abort();
    }
    outcome
}

/// How long the API may take to finish its requests at shutdown.
const API_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens the validator's vote log, refusing to start without it once the chain has blocks
/// (unless explicitly allowed): a validator that forgot its votes could equivocate.
fn open_vote_log(
    chain_dir: &Path,
    chain: &ChainInstance,
    allow_missing: bool,
) -> Result<catena_storage::wal::VoteLog, NodeError> {
    let path = chain_dir.join("votes.wal");
    let height = chain.tip()?.height;
    if !path.exists() && height > 0 && !allow_missing {
        return Err(NodeError::MissingVoteLog {
            path,
            chain_id: chain.spec().chain_id.clone(),
            height,
        });
    }
    let (votes, recovery) = catena_storage::wal::VoteLog::open(&path).map_err(ChainError::from)?;
    tracing::info!(
        target: "node",
        path = %path.display(),
        votes = recovery.records,
        truncated_bytes = recovery.truncated_bytes,
        "vote log opened"
    );
    Ok(votes)
}

/// Opens the chain's proposal log (`proposals.wal`, beside the vote log).
fn open_proposal_log(
    chain_dir: &Path,
    chain: &ChainInstance,
) -> Result<catena_storage::wal::ProposalLog, NodeError> {
    let path = chain_dir.join("proposals.wal");
    let max_block_bytes = chain.spec().parameters.max_block_bytes as usize;
    let (proposals, recovery) =
        catena_storage::wal::ProposalLog::open(&path, max_block_bytes).map_err(ChainError::from)?;
    tracing::info!(
        target: "node",
        path = %path.display(),
        proposals = recovery.records,
        truncated_bytes = recovery.truncated_bytes,
        "proposal log opened"
    );
    Ok(proposals)
}

/// The file, beside the vote log, that keeps a diverged validator from voting (see
/// docs/consensus.md, "Divergence").
pub const HALT_MARKER: &str = "voting-halted";

/// Fault injection for tests where network namespaces are not available: when this variable
/// names a file, the node re-reads it every 200 ms and cuts its links to the peer ids listed
/// in it (one per line), restoring the others. Not meant for production use.
pub const CUT_LINKS_FILE_VAR: &str = "CATENA_TEST_CUT_LINKS_FILE";

async fn watch_cut_links(path: PathBuf, network: catena_network::NetworkHandle) {
    let mut current = std::collections::BTreeSet::new();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        tick.tick().await;
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let wanted: std::collections::BTreeSet<catena_network::Peer> = text
            .lines()
            .filter_map(|line| line.trim().parse().ok())
            .collect();
        if wanted != current {
            if network.set_blocked(wanted.clone()).await.is_err() {
                return;
            }
            current = wanted;
        }
    }
}

/// The network settings of a node: listen on the configured p2p address; dial the
/// validators of the next block and allow the members' registered nodes, as the committed state
/// says (so that a restarted node knows the set governance made).
fn network_config(
    config: &NodeConfig,
    chain: &ChainInstance,
    network_key: &SecretKey,
    max_message_bytes: usize,
) -> Result<catena_network::NetworkConfig, NodeError> {
    let listen = config
        .p2p_addr
        .parse()
        .map_err(|e| NodeError::Network(format!("p2p_addr '{}': {e}", config.p2p_addr)))?;
    let (dialled, allowed): (Vec<_>, Vec<_>) = driver::peers::allowed_peers(chain)?
        .into_iter()
        .partition(|(_, address)| address.is_some());
    let peers = dialled
        .into_iter()
        .filter_map(|(peer, address)| address.map(|a| (peer, a)))
        .collect();
    let allowed = allowed.into_iter().map(|(peer, _)| peer).collect();
    Ok(catena_network::NetworkConfig {
        chain_id: chain.spec().chain_id.clone(),
        secret_seed: network_key.seed(),
        listen,
        peers,
        allowed,
        max_message_bytes,
        request_timeout: std::time::Duration::from_secs(10),
    })
}
