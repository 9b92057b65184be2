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

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use catena_chain_spec::{ChainSpec, SpecError};
use catena_primitives::SecretKey;

pub mod anchor;
pub mod api_impl;
pub mod chain;
pub mod config;
pub mod driver;
pub mod forward;
pub mod host;
pub mod init;
pub mod keys;
pub mod malus;
pub mod metrics;
pub mod proofs;
pub mod tls;

pub use api_impl::QUERY_SLOT_WAIT;
pub use chain::{ChainError, ChainInstance};
pub use config::{LogFormat, NodeConfig};
pub use host::{run, ChainOptions, RunOptions, Started};

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
/// Where a validator keeps its signing marks, one per chain (ADR 0034): never under `data/`.
pub const SIGNING_DIR: &str = "signing";
pub const NETWORK_KEY_FILE: &str = "network.key";
/// The consortium's invoice key (ADR 0031), in the directory of each parachain a node hosts.
pub const INVOICE_KEY_FILE: &str = "invoice.key";

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
    pub fn invoice_key(&self) -> PathBuf {
        self.0.join(INVOICE_KEY_FILE)
    }
    /// This validator's signing mark on `chain_id` (ADR 0034): apart from the data directory,
    /// so that restoring a copy of the data never rolls it back.
    pub fn signing_mark(&self, chain_id: &str) -> PathBuf {
        self.0.join(SIGNING_DIR).join(format!("{chain_id}.json"))
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

    /// The chains this home hosts: its own (the main chain, at the home's top, listening on
    /// `config.p2p_addr`), then each listed in `config.chains`.
    pub fn chains(&self, config: &NodeConfig) -> Result<Vec<HostedChain>, NodeError> {
        let mut chains = vec![HostedChain {
            spec: self.load_spec()?,
            dir: self.clone(),
            p2p_addr: config.p2p_addr.clone(),
        }];
        for entry in &config.chains {
            let dir = Home(if entry.dir.is_absolute() {
                entry.dir.clone()
            } else {
                self.0.join(&entry.dir)
            });
            chains.push(HostedChain {
                spec: dir.load_spec()?,
                dir,
                p2p_addr: entry.p2p_addr.clone(),
            });
        }
        Ok(chains)
    }

    /// What [`run`] needs to host this home's chains: each one's spec, keys and p2p address.
    pub fn chain_options(&self, config: &NodeConfig) -> Result<Vec<ChainOptions>, NodeError> {
        let read = |path: PathBuf| -> Result<Option<SecretKey>, NodeError> {
            if path.exists() {
                Ok(Some(keys::read_key(&path)?))
            } else {
                Ok(None)
            }
        };
        self.chains(config)?
            .into_iter()
            .map(|chain| {
                let invoice_key = chain.dir.invoice_key();
                Ok(ChainOptions {
                    invoice_key: if invoice_key.exists() {
                        Some(keys::read_invoice_key(&invoice_key)?)
                    } else {
                        None
                    },
                    invoice_key_path: invoice_key,
                    validator_key: read(chain.dir.validator_key())?,
                    network_key: read(chain.dir.network_key())?,
                    network_key_path: chain.dir.network_key(),
                    spec: chain.spec,
                    p2p_addr: chain.p2p_addr,
                })
            })
            .collect()
    }
}

/// A chain a home hosts: its spec, the directory of its files, its p2p address.
#[derive(Debug, Clone)]
pub struct HostedChain {
    pub spec: ChainSpec,
    pub dir: Home,
    pub p2p_addr: String,
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
    #[error("{0}")]
    InvoiceKey(String),
    #[error("the API's TLS file {}: {message}", file.display())]
    Tls { file: PathBuf, message: String },
    #[error("{} is already a node home; refusing to overwrite it", .0.display())]
    AlreadyHome(PathBuf),
    #[error("{} is not a node home: make one with `catena init` first", .0.display())]
    NotAHome(PathBuf),
    #[error("this node does not validate chain '{chain_id}', so its spec names no address for it: give the chain's p2p address (--p2p-addr), one no other chain of this node uses")]
    NoP2pAddr { chain_id: String },
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
    #[error("chain '{chain_id}' is listed twice in this node's chains")]
    DuplicateChain { chain_id: String },
    #[error("this home already hosts chain '{chain_id}'")]
    AlreadyHosted { chain_id: String },
    #[error("chain '{chain_id}' is a parachain of '{main_chain_id}': host it beside that chain (catena chain add in a home of '{main_chain_id}'), not as a home's main chain")]
    ParachainAsMain {
        chain_id: String,
        main_chain_id: String,
    },
    #[error(
        "chain '{chain_id}' is a parachain of {wanted}, but this node's main chain is {hosted}"
    )]
    WrongMainChain {
        chain_id: String,
        wanted: String,
        hosted: String,
    },
    #[error("chains '{first}' and '{second}' both listen on {addr}: give each chain its own p2p address")]
    SharedP2pAddr {
        addr: String,
        first: String,
        second: String,
    },
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

/// Opens the validator's vote log, refusing to start without it once the chain has blocks
/// (unless explicitly allowed): a validator that forgot its votes could equivocate.
pub(crate) fn open_vote_log(
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

/// Opens what a validator needs to sign on a chain: its vote and proposal logs, and its signing
/// mark, from which the floor it may not sign at or below (if its logs are older than the mark).
pub(crate) fn open_signing(
    key: SecretKey,
    mark: &Path,
    chain_dir: &Path,
    chain: &ChainInstance,
    allow_missing_vote_log: bool,
) -> Result<driver::Signing, NodeError> {
    let votes = open_vote_log(chain_dir, chain, allow_missing_vote_log)?;
    let proposals = open_proposal_log(chain_dir, chain)?;
    let mark = catena_storage::mark::SigningMark::open(mark).map_err(ChainError::from)?;
    let logged: Vec<_> = votes
        .votes()
        .iter()
        .map(|v| (v.height, v.round))
        .chain(proposals.proposals().iter().map(|p| (p.height, p.round)))
        .collect();
    let floor = catena_storage::mark::unvouched(mark.get(), chain.tip()?.height, &logged);
    if let Some((height, round)) = floor {
        tracing::warn!(target: "consensus::vote", chain = %chain.spec().chain_id, height, round, mark = %mark.path().display(), "this validator signed at height {height} round {round}, above what its vote log holds (the log was restored from an older copy, or lost): it follows the chain and signs nothing at or below that round");
    }
    Ok(driver::Signing {
        key,
        votes,
        proposals,
        mark,
        floor,
    })
}

/// Opens the chain's proposal log (`proposals.wal`, beside the vote log).
pub(crate) fn open_proposal_log(
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

/// Fault injection for tests: when this variable names a file, the commits of every chain
/// whose id is a line of that file fail with a store error (the chain then stops on this node
/// and the others go on); a line `diverge CHAIN` makes the chain's execution here compute other
/// state roots than its peers (the divergence guard's test). Not meant for production use.
pub const STORE_FAULTS_FILE_VAR: &str = "CATENA_TEST_STORE_FAULTS_FILE";

/// Fault injection for tests where network namespaces are not available: when this variable
/// names a file, the node re-reads it every 200 ms and cuts its links to the peer ids listed
/// in it (one per line), restoring the others. Not meant for production use.
pub const CUT_LINKS_FILE_VAR: &str = "CATENA_TEST_CUT_LINKS_FILE";

/// Fault injection for the crash tests (ADR 0033): when this variable names a file, the node
/// re-reads it every 50 ms and arms the crash points it lists, one per line as `POINT SKIP`
/// (`catena_storage::crash_points`): the process kills itself at that point's pass SKIP + 1.
/// Not meant for production use.
pub const CRASH_POINTS_FILE_VAR: &str = "CATENA_TEST_FAILPOINTS_FILE";

pub(crate) async fn watch_crash_points(path: PathBuf) {
    tracing::warn!(target: "node", file = %path.display(), "crash points can be armed from this file (a fault test's switch; never set in production)");
    let mut current = String::new();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(50));
    loop {
        tick.tick().await;
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text == current {
            continue;
        }
        match catena_storage::crash_points::arm(&text) {
            Ok(armed) => tracing::warn!(target: "node", ?armed, "crash points armed"),
            Err(e) => tracing::error!(target: "node", error = %e, "crash points not changed"),
        }
        current = text;
    }
}

pub(crate) async fn watch_cut_links(path: PathBuf, network: catena_network::NetworkHandle) {
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
pub(crate) fn network_config(
    p2p_addr: &str,
    chain: &ChainInstance,
    network_key: &SecretKey,
    max_message_bytes: usize,
) -> Result<catena_network::NetworkConfig, NodeError> {
    let listen = p2p_addr
        .parse()
        .map_err(|e| NodeError::Network(format!("p2p_addr '{p2p_addr}': {e}")))?;
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
