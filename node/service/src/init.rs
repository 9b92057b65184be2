//! Node homes: creating one from a chain spec and key files (`catena init`, and every launcher
//! of local networks), and writing the demo keys a built spec comes with.

use std::net::SocketAddr;
use std::path::Path;

use catena_chain_spec::{peer_id, BuiltSpec};

use catena_primitives::SecretKey;

use crate::{keys, read_spec, Home, LogFormat, NodeConfig, NodeError};

/// Settings a new home's config.toml takes instead of the defaults.
#[derive(Debug, Clone, Default)]
pub struct HomeSettings {
    pub api_addr: Option<SocketAddr>,
    pub p2p_addr: Option<String>,
    pub log_format: Option<LogFormat>,
}

impl HomeSettings {
    /// Applies the settings given to `config`.
    pub fn apply(&self, config: &mut NodeConfig) {
        if let Some(addr) = self.api_addr {
            config.api_addr = addr;
        }
        if let Some(addr) = &self.p2p_addr {
            config.p2p_addr = addr.clone();
        }
        if let Some(format) = self.log_format {
            config.log_format = format;
        }
    }
}

/// The network key of a new home.
#[derive(Debug)]
pub enum NetworkKey {
    /// The operator's key file, read.
    Given(SecretKey),
    /// None was given: this freshly generated key is written if the node needs one (every node
    /// of a multi-validator chain that is not one of its spec's validators, whose peer ids the
    /// spec fixes).
    Generated(SecretKey),
}

/// What [`init_home`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initialised {
    pub role: NodeRole,
    /// The peer id of the home's network key, if it has one.
    pub peer_id: Option<String>,
    /// Whether that key was generated here (rather than given).
    pub generated: bool,
}

/// What a new home's node does on its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRole {
    /// One of the spec's validators.
    Validator,
    /// A member's account given as the validator key, not a validator yet: the node follows
    /// the chain and votes once governance adds it.
    Joining,
    /// No validator key: the node follows the chain without voting.
    Follower,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> NodeError {
    move |source| NodeError::Io { what, source }
}

/// Creates `home` from the chain spec at `spec_path`, with the validator's vote key if given and
/// the node's network key. Refuses a directory that is already a home, a validator key that is
/// neither a validator nor a member account of the chain, a validator of a multi-validator
/// chain without its network key, and a network key that is not a validator's when the vote key
/// is; writes nothing then.
pub fn init_home(
    home: &Home,
    spec_path: &Path,
    validator_key: Option<SecretKey>,
    network_key: NetworkKey,
    settings: &HomeSettings,
) -> Result<Initialised, NodeError> {
    if home.is_initialised() {
        return Err(NodeError::AlreadyHome(home.0.clone()));
    }
    let spec = read_spec(spec_path)?;
    let key = validator_key;
    // A validator key must be one of the spec's validators, or a member account that governance
    // may add later (the node then follows until it is added).
    let joining = match &key {
        Some(key) if spec.validator_set().contains(&key.account()) => false,
        Some(key) if spec.member_of(&key.account()).is_some() => true,
        Some(key) => {
            return Err(NodeError::NotInChain {
                account: key.account().to_string(),
                chain_id: spec.chain_id.clone(),
            })
        }
        None => false,
    };
    let spec_validator = key.is_some() && !joining;
    let (network, generated) = match network_key {
        NetworkKey::Given(network) => (Some(network), false),
        NetworkKey::Generated(_) if spec_validator && spec.validators.len() > 1 => {
            return Err(NodeError::NoValidatorNetworkKey {
                chain_id: spec.chain_id.clone(),
            })
        }
        // The spec's single validator decides alone, without a network.
        NetworkKey::Generated(_) if spec_validator => (None, false),
        NetworkKey::Generated(network) => (Some(network), true),
    };
    let mut config = NodeConfig::default();
    if let Some(network) = &network {
        let peer_id = peer_id::from_ed25519(&network.account());
        match spec.validators.iter().find(|v| v.peer_id == peer_id) {
            // Listen where the chain spec tells the other validators to dial.
            Some(validator) => config.p2p_addr = validator.address.clone(),
            None if spec_validator => {
                return Err(NodeError::NotAValidatorPeer {
                    peer_id,
                    chain_id: spec.chain_id.clone(),
                })
            }
            None => {}
        }
    }
    std::fs::create_dir_all(&home.0).map_err(io(format!("create {}", home.0.display())))?;
    settings.apply(&mut config);
    std::fs::write(home.config(), config.to_toml()).map_err(io("write config.toml".into()))?;
    if let Some(key) = &key {
        keys::write_key(&home.validator_key(), key)?;
    }
    if let Some(network) = &network {
        keys::write_key(&home.network_key(), network)?;
    }
    // The spec is written last: its presence marks the home as complete.
    std::fs::write(home.spec(), spec.to_json() + "\n")
        .map_err(io("write chain-spec.json".into()))?;
    Ok(Initialised {
        role: match (&key, joining) {
            (None, _) => NodeRole::Follower,
            (Some(_), true) => NodeRole::Joining,
            (Some(_), false) => NodeRole::Validator,
        },
        peer_id: network
            .as_ref()
            .map(|n| peer_id::from_ed25519(&n.account())),
        generated,
    })
}

/// Writes the demo member keys, the validators' vote and network keys and the followers'
/// network keys of `built` into `dir`
/// (one `NAME.json` each, mode 0600).
pub fn write_demo_keys(built: &BuiltSpec, dir: &Path) -> Result<(), NodeError> {
    std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
    let validator_keys = built
        .validator_keys
        .iter()
        .flat_map(|(vote, network)| [vote, network]);
    let keys = built
        .member_keys
        .iter()
        .chain(validator_keys)
        .chain(&built.follower_keys);
    for key in keys {
        keys::write_key(&dir.join(format!("{}.json", key.name)), &key.secret)?;
    }
    Ok(())
}
