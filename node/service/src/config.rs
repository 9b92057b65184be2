//! Node settings in `HOME/config.toml`. Missing keys take defaults; unknown keys are an error
//! that names them, since a misspelt setting silently ignored is worse than a refusal.
//! Precedence: the file, then environment variables, then command-line flags (applied by the
//! CLI).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The largest config file read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format '{other}' is not 'text' or 'json'")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Where the HTTP API listens.
    pub api_addr: SocketAddr,
    /// Where the node listens for peers (multiaddr); used by the multi-validator network.
    pub p2p_addr: String,
    /// The data directory, relative to the home directory unless absolute.
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    /// Pending transactions kept at most; beyond it submissions are refused with "mempool full".
    pub mempool_capacity: usize,
    /// Requests a second the API answers from one client address (bursts of twice as many);
    /// beyond, 429 `rate_limited`.
    pub api_requests_per_second: u32,
    /// The chains this node hosts besides its home's own (the main chain, whose files are at
    /// the home's top): each in its own directory, listening on its own p2p address. `catena
    /// chain add` adds one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<ChainEntry>,
    /// Every chain's API answers only requests signed by an account of one of its members
    /// (docs/integrators.md); a parachain's always does, whatever this says.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub signed_reads: bool,
    /// A node that holds only its chains' genesis takes the state of a recent certified block
    /// from its peers instead of replaying every block (ADR 0040).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub state_sync: bool,
    /// Serve the API over TLS with this certificate and key (PEM files, relative to the home
    /// unless absolute): only HTTPS is answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_tls: Option<ApiTls>,
}

/// The API's TLS certificate chain and private key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTls {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// Another chain this node hosts: a directory holding its `chain-spec.json` and, as at the
/// home's top, its `validator.key` if this node validates it and its `network.key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainEntry {
    /// The chain's directory, relative to the home unless absolute.
    pub dir: PathBuf,
    /// Where this chain's network listens (a multiaddr): each chain has its own.
    pub p2p_addr: String,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            api_addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            p2p_addr: "/ip4/127.0.0.1/tcp/30333".into(),
            data_dir: PathBuf::from("data"),
            log_format: LogFormat::Text,
            mempool_capacity: 50_000,
            api_requests_per_second: 2_000,
            chains: Vec::new(),
            signed_reads: false,
            state_sync: false,
            api_tls: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is over {MAX_CONFIG_BYTES} bytes")]
    TooLarge { path: PathBuf },
    #[error("{path} is invalid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl NodeConfig {
    /// Reads `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<NodeConfig, ConfigError> {
        let io = |source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(NodeConfig::default()),
            Err(e) => return Err(io(e)),
            Ok(meta) if meta.len() > MAX_CONFIG_BYTES => {
                return Err(ConfigError::TooLarge {
                    path: path.to_path_buf(),
                })
            }
            Ok(_) => {}
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let config: NodeConfig = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if config.mempool_capacity == 0 {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: "mempool_capacity must be at least 1".into(),
            });
        }
        if config.api_requests_per_second == 0 {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: "api_requests_per_second must be at least 1".into(),
            });
        }
        Ok(config)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the config always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_default_and_unknown_keys_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        assert_eq!(
            NodeConfig::load(&path).expect("defaults"),
            NodeConfig::default()
        );
        std::fs::write(&path, "api_addr = \"127.0.0.1:9000\"\n").expect("write");
        assert_eq!(
            NodeConfig::load(&path).expect("valid").api_addr.port(),
            9000
        );
        std::fs::write(&path, "api_adr = \"127.0.0.1:9000\"\n").expect("write");
        let err = NodeConfig::load(&path).expect_err("typo").to_string();
        assert!(err.contains("api_adr"), "{err}");
        std::fs::write(&path, "log_format = \"xml\"\n").expect("write");
        assert!(NodeConfig::load(&path).is_err());
        let roundtrip = NodeConfig::default().to_toml();
        std::fs::write(&path, roundtrip).expect("write");
        assert_eq!(
            NodeConfig::load(&path).expect("roundtrip"),
            NodeConfig::default()
        );
    }
}
