//! Node homes: creating one from a chain spec and key files (`catena init`, and every launcher
//! of local networks), and writing the demo keys a built spec comes with.

use std::net::SocketAddr;
use std::path::Path;

use catena_chain_spec::{peer_id, BuiltSpec};

use catena_primitives::invoice::InvoiceKey;
use catena_primitives::SecretKey;

use crate::{keys, read_spec, Home, LogFormat, NodeConfig, NodeError};

/// Settings a new home's config.toml takes instead of the defaults.
#[derive(Debug, Clone, Default)]
pub struct HomeSettings {
    pub api_addr: Option<SocketAddr>,
    pub p2p_addr: Option<String>,
    pub log_format: Option<LogFormat>,
    pub data_dir: Option<std::path::PathBuf>,
    pub mempool_capacity: Option<usize>,
    pub api_requests_per_second: Option<u32>,
    pub signed_reads: Option<bool>,
    pub state_sync: Option<bool>,
    /// The API's TLS certificate and key files, both or neither.
    pub api_tls: Option<crate::config::ApiTls>,
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
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(capacity) = self.mempool_capacity {
            config.mempool_capacity = capacity;
        }
        if let Some(rate) = self.api_requests_per_second {
            config.api_requests_per_second = rate;
        }
        if let Some(signed) = self.signed_reads {
            config.signed_reads = signed;
        }
        if let Some(sync) = self.state_sync {
            config.state_sync = sync;
        }
        if let Some(tls) = &self.api_tls {
            config.api_tls = Some(tls.clone());
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

/// A chain's spec and keys, checked: what [`init_home`] and [`add_chain`] write.
#[derive(Debug)]
struct Checked {
    spec: catena_chain_spec::ChainSpec,
    key: Option<SecretKey>,
    network: Option<SecretKey>,
    generated: bool,
    joining: bool,
    /// Where the spec tells the other validators to dial this node, if it is one of them.
    listen: Option<String>,
}

/// Checks a chain's spec and this node's keys for it: a validator key must be one of the
/// spec's validators, or a member account that governance may add later (the node then follows
/// until it is added); a validator of a multi-validator chain needs its network key, whose peer
/// id the spec lists.
fn check_keys(
    spec_path: &Path,
    validator_key: Option<SecretKey>,
    network_key: NetworkKey,
) -> Result<Checked, NodeError> {
    let spec = read_spec(spec_path)?;
    let key = validator_key;
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
    let mut listen = None;
    if let Some(network) = &network {
        let peer_id = peer_id::from_ed25519(&network.account());
        match spec.validators.iter().find(|v| v.peer_id == peer_id) {
            Some(validator) => listen = Some(validator.address.clone()),
            None if spec_validator => {
                return Err(NodeError::NotAValidatorPeer {
                    peer_id,
                    chain_id: spec.chain_id.clone(),
                })
            }
            None => {}
        }
    }
    if listen.is_none() && spec_validator {
        // The spec's single validator runs no network, but has an address in the spec.
        listen = key.as_ref().and_then(|key| {
            spec.validators
                .iter()
                .find(|v| v.account == key.account())
                .map(|v| v.address.clone())
        });
    }
    Ok(Checked {
        spec,
        key,
        network,
        generated,
        joining,
        listen,
    })
}

impl Checked {
    /// Writes the keys, then the spec (whose presence marks the directory complete).
    fn write(&self, dir: &Home) -> Result<Initialised, NodeError> {
        std::fs::create_dir_all(&dir.0).map_err(io(format!("create {}", dir.0.display())))?;
        if let Some(key) = &self.key {
            keys::write_key(&dir.validator_key(), key)?;
        }
        if let Some(network) = &self.network {
            keys::write_key(&dir.network_key(), network)?;
        }
        std::fs::write(dir.spec(), self.spec.to_json() + "\n")
            .map_err(io(format!("write {}", dir.spec().display())))?;
        Ok(Initialised {
            role: match (&self.key, self.joining) {
                (None, _) => NodeRole::Follower,
                (Some(_), true) => NodeRole::Joining,
                (Some(_), false) => NodeRole::Validator,
            },
            peer_id: self
                .network
                .as_ref()
                .map(|n| peer_id::from_ed25519(&n.account())),
            generated: self.generated,
        })
    }
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
    let checked = check_keys(spec_path, validator_key, network_key)?;
    if let Some(section) = &checked.spec.parachain {
        return Err(NodeError::ParachainAsMain {
            chain_id: checked.spec.chain_id.clone(),
            main_chain_id: section.main_chain_id.clone(),
        });
    }
    let mut config = NodeConfig::default();
    if let Some(listen) = &checked.listen {
        // Listen where the chain spec tells the other validators to dial.
        config.p2p_addr = listen.clone();
    }
    std::fs::create_dir_all(&home.0).map_err(io(format!("create {}", home.0.display())))?;
    settings.apply(&mut config);
    std::fs::write(home.config(), config.to_toml()).map_err(io("write config.toml".into()))?;
    checked.write(home)
}

/// What [`add_chain`] added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedChain {
    pub chain_id: String,
    /// Where the chain's files went, and the p2p address its network listens on.
    pub dir: std::path::PathBuf,
    pub p2p_addr: String,
    pub made: Initialised,
}

/// Adds a chain to the existing `home`: its spec and keys (checked as [`init_home`] checks
/// them) go to `chains/<chain id>/`, and an entry with its p2p address to config.toml. Refuses a
/// chain the home already hosts and a p2p address another of its chains listens on; without a
/// p2p address, a validator listens where the spec says and any other node must be given one.
/// Writes nothing when it refuses.
pub fn add_chain(
    home: &Home,
    spec_path: &Path,
    validator_key: Option<SecretKey>,
    network_key: NetworkKey,
    p2p_addr: Option<String>,
    invoice_key: Option<InvoiceKey>,
) -> Result<AddedChain, NodeError> {
    if !home.is_initialised() {
        return Err(NodeError::NotAHome(home.0.clone()));
    }
    let checked = check_keys(spec_path, validator_key, network_key)?;
    let chain_id = checked.spec.chain_id.clone();
    if let Some(section) = &checked.spec.parachain {
        let main = home.load_spec()?;
        let main_genesis = crate::chain::genesis::genesis_hash(&main)?;
        if main.chain_id != section.main_chain_id || main_genesis != section.main_genesis_hash {
            return Err(NodeError::WrongMainChain {
                chain_id,
                wanted: format!(
                    "'{}' (genesis {})",
                    section.main_chain_id, section.main_genesis_hash
                ),
                hosted: format!("'{}' (genesis {main_genesis})", main.chain_id),
            });
        }
        crate::host::check_invoice_key(
            &main,
            &chain_id,
            invoice_key.as_ref(),
            "the key given (--invoice-key)",
        )?;
    } else if invoice_key.is_some() {
        return Err(NodeError::InvoiceKey(format!(
            "chain '{chain_id}' is no parachain: only a parachain's nodes hold the invoice key"
        )));
    }
    let mut config = NodeConfig::load(&home.config())?;
    let hosted = home.chains(&config)?;
    if hosted.iter().any(|c| c.spec.chain_id == chain_id) {
        return Err(NodeError::AlreadyHosted { chain_id });
    }
    let p2p_addr =
        p2p_addr
            .or_else(|| checked.listen.clone())
            .ok_or_else(|| NodeError::NoP2pAddr {
                chain_id: chain_id.clone(),
            })?;
    if let Some(other) = hosted.iter().find(|c| c.p2p_addr == p2p_addr) {
        return Err(NodeError::SharedP2pAddr {
            addr: p2p_addr,
            first: other.spec.chain_id.clone(),
            second: chain_id,
        });
    }
    let relative = std::path::PathBuf::from("chains").join(&chain_id);
    let dir = Home(home.0.join(&relative));
    if dir.0.exists() {
        return Err(NodeError::AlreadyHome(dir.0));
    }
    let made = checked.write(&dir)?;
    if let Some(key) = &invoice_key {
        crate::keys::write_invoice_key(&dir.invoice_key(), key)?;
    }
    config.chains.push(crate::config::ChainEntry {
        dir: relative,
        p2p_addr: p2p_addr.clone(),
    });
    std::fs::write(home.config(), config.to_toml()).map_err(io("write config.toml".into()))?;
    Ok(AddedChain {
        chain_id,
        dir: dir.0,
        p2p_addr,
        made,
    })
}

/// Writes the demo member keys, the validators' vote and network keys and the followers'
/// network keys of `built` into `dir` (one `NAME.json` each, mode 0600). A key file already
/// there with the same key is left as it is; one with another key is refused.
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
        let path = dir.join(format!("{}.json", key.name));
        // The demo members' keys are the same on every chain built: written once.
        let same = path.exists()
            && keys::read_key(&path).is_ok_and(|held| held.seed() == key.secret.seed());
        if !same {
            keys::write_key(&path, &key.secret)?;
        }
    }
    Ok(())
}
