//! The Catena chain spec: the JSON document that fixes a chain's genesis — its id and time,
//! its members with their roles and accounts, its validators, and its parameters — together
//! with its validation and the `dev` and `local` builders.

use std::collections::BTreeSet;
use std::fmt;

use catena_primitives::{AccountId, Hash, SecretKey, ValidatorSet, MAX_CHAIN_ID_LEN};
use serde::{Deserialize, Serialize};

pub mod artifacts;
mod parachain;
mod parameters;
pub mod peer_id;

pub use catena_schema::uscc;
pub use parachain::ParachainSection;
pub use parameters::Parameters;

/// The largest chain spec file accepted.
pub const MAX_SPEC_BYTES: usize = 4 << 20;

/// A member's role (DOMAIN.md): the registry's own type, written in the spec by its name.
pub use catena_schema::Role;

/// Roles in JSON by their names (`"core"`, `"supplier"`, …), as the registry names them.
mod role_names {
    use super::Role;
    use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(roles: &[Role], serializer: S) -> Result<S::Ok, S::Error> {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        names.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Role>, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        names
            .iter()
            .map(|name| {
                Role::parse(name).ok_or_else(|| {
                    let expected: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                    de::Error::custom(format!(
                        "unknown role `{name}`, expected one of {}",
                        expected.join(", ")
                    ))
                })
            })
            .collect()
    }
}

/// An organisation taking part in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub name: String,
    /// Unified social credit code, 18 characters with a valid check character.
    pub uscc: String,
    #[serde(with = "role_names")]
    pub roles: Vec<Role>,
    pub accounts: Vec<AccountId>,
    /// The network keys (ed25519 public keys, whose libp2p peer ids they make) of the member's
    /// nodes that do not validate: allowed on the chain's network from genesis. Later ones are
    /// registered through the registry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<AccountId>,
}

/// Nodes one member may list or register, at most (the registry's limit).
pub const MAX_NODES_PER_MEMBER: usize = 16;

/// A validator: a member's node that votes on blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    /// The member that runs this node.
    pub member: String,
    /// The key that signs votes.
    pub account: AccountId,
    /// The libp2p peer id of the node's network key.
    pub peer_id: String,
    /// Where the node listens for peers, as a multiaddr: `/ip4/127.0.0.1/tcp/30333`.
    pub address: String,
}

/// Who may change the validator set: the governing members (by name) and how many of them must
/// approve a change. With no governing members the validator set is fixed at genesis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorGovernance {
    pub members: Vec<String>,
    pub threshold: u32,
}

/// A contract deployed at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisContract {
    pub name: String,
    /// A file name under `contracts/artifacts/` (built into the node), or an absolute path.
    pub code: String,
    /// SHA-256 of the code, checked when the chain starts.
    pub code_hash: Hash,
}

/// Why a genesis contract's code cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// Neither embedded nor readable.
    Load(String),
    /// The code's SHA-256 is `found`, not the spec's `code_hash`.
    Hash { found: Hash },
}

impl GenesisContract {
    /// The contract's code, checked against `code_hash`.
    pub fn load_checked(&self) -> Result<Vec<u8>, CodeError> {
        let code = artifacts::load(&self.code).map_err(CodeError::Load)?;
        let found = Hash::digest(&code);
        if found != self.code_hash {
            return Err(CodeError::Hash { found });
        }
        Ok(code)
    }
}

/// The whole genesis document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    pub chain_id: String,
    /// Milliseconds since the Unix epoch; the genesis block's time.
    pub genesis_time_ms: u64,
    pub members: Vec<Member>,
    pub validators: Vec<Validator>,
    #[serde(default)]
    pub parameters: Parameters,
    #[serde(default)]
    pub governance: ValidatorGovernance,
    #[serde(default)]
    pub contracts: Vec<GenesisContract>,
    /// Present when this chain is a parachain: the main chain it anchors on. Not part of the
    /// genesis state (so the main chain can register the parachain's genesis hash while the
    /// parachain names the main chain's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parachain: Option<ParachainSection>,
    /// Parachains this (main) chain registers at genesis, checked as a registration is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parachains: Vec<catena_primitives::parachain::ParachainRegistration>,
    /// A main chain's commitment to the consortium's invoice key `K`: `HMAC(K,
    /// "catena/fp-key-check/v1")` (`catena_primitives::invoice`), in its genesis state. A node
    /// hosts a parachain of this chain only with the key that gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_key_check: Option<Hash>,
}

/// One problem in a chain spec, naming the field it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why a chain spec cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("chain spec is {0} bytes, over the limit of {MAX_SPEC_BYTES}")]
    TooLarge(usize),
    #[error("chain spec is not valid JSON for a chain spec: {0}")]
    Json(#[from] serde_json::Error),
    #[error("chain spec is invalid:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<FieldError>),
}

impl ChainSpec {
    /// Parses and validates a chain spec.
    pub fn from_json(bytes: &[u8]) -> Result<ChainSpec, SpecError> {
        if bytes.len() > MAX_SPEC_BYTES {
            return Err(SpecError::TooLarge(bytes.len()));
        }
        let spec: ChainSpec = serde_json::from_slice(bytes)?;
        spec.validate().map_err(SpecError::Invalid)?;
        Ok(spec)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a chain spec always serialises")
    }

    pub fn validator_set(&self) -> ValidatorSet {
        ValidatorSet::new(self.validators.iter().map(|v| v.account).collect())
    }

    /// The member owning `account`, if any.
    pub fn member_of(&self, account: &AccountId) -> Option<&Member> {
        self.members.iter().find(|m| m.accounts.contains(account))
    }

    /// Every problem in the spec, each naming its field; empty when the spec is usable.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: String| errors.push(FieldError { field, message });

        if self.chain_id.is_empty() || self.chain_id.len() > MAX_CHAIN_ID_LEN {
            err(
                "chain_id".into(),
                format!("must be 1 to {MAX_CHAIN_ID_LEN} characters"),
            );
        } else if !self
            .chain_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            err("chain_id".into(), "may hold only a-z, 0-9 and '-'".into());
        }
        if self.genesis_time_ms == 0 {
            err(
                "genesis_time_ms".into(),
                "must be set (milliseconds since 1970)".into(),
            );
        }

        if self.members.is_empty() {
            err("members".into(), "at least one member is needed".into());
        }
        let mut names = BTreeSet::new();
        let mut codes = BTreeSet::new();
        let mut accounts = BTreeSet::new();
        let mut node_keys = BTreeSet::new();
        for (i, member) in self.members.iter().enumerate() {
            let at = format!("members[{i}]");
            if member.name.trim().is_empty() {
                err(format!("{at}.name"), "must not be empty".into());
            } else if !names.insert(member.name.as_str()) {
                err(
                    format!("{at}.name"),
                    format!("'{}' is used by another member", member.name),
                );
            }
            if let Err(e) = uscc::validate(&member.uscc) {
                err(format!("{at}.uscc"), format!("'{}' {e}", member.uscc));
            } else if !codes.insert(member.uscc.as_str()) {
                err(
                    format!("{at}.uscc"),
                    format!("'{}' is used by another member", member.uscc),
                );
            }
            if member.roles.is_empty() {
                err(format!("{at}.roles"), "at least one role is needed".into());
            }
            let distinct: BTreeSet<_> = member.roles.iter().collect();
            if distinct.len() != member.roles.len() {
                err(format!("{at}.roles"), "a role is listed twice".into());
            }
            if member.accounts.is_empty() {
                err(
                    format!("{at}.accounts"),
                    "at least one account is needed".into(),
                );
            }
            for (j, account) in member.accounts.iter().enumerate() {
                if !account.is_valid_key() {
                    err(
                        format!("{at}.accounts[{j}]"),
                        format!("{account} is not a valid ed25519 public key"),
                    );
                } else if !accounts.insert(*account) {
                    err(
                        format!("{at}.accounts[{j}]"),
                        format!("{account} belongs to another member too"),
                    );
                }
            }
            if member.nodes.len() > MAX_NODES_PER_MEMBER {
                err(
                    format!("{at}.nodes"),
                    format!(
                        "{} nodes, over the limit of {MAX_NODES_PER_MEMBER}",
                        member.nodes.len()
                    ),
                );
            }
            for (j, node) in member.nodes.iter().enumerate() {
                if !node.is_valid_key() {
                    err(
                        format!("{at}.nodes[{j}]"),
                        format!("{node} is not a valid ed25519 public key"),
                    );
                } else if !node_keys.insert(*node) {
                    err(
                        format!("{at}.nodes[{j}]"),
                        format!("{node} is listed twice"),
                    );
                }
            }
        }

        if self.validators.is_empty() {
            err(
                "validators".into(),
                "at least one validator is needed".into(),
            );
        }
        let mut validator_keys = BTreeSet::new();
        let mut peer_ids = BTreeSet::new();
        for (i, validator) in self.validators.iter().enumerate() {
            let at = format!("validators[{i}]");
            if !names.contains(validator.member.as_str()) {
                err(
                    format!("{at}.member"),
                    format!("'{}' is not a member of this chain", validator.member),
                );
            }
            if !validator.account.is_valid_key() {
                err(
                    format!("{at}.account"),
                    format!("{} is not a valid ed25519 public key", validator.account),
                );
            } else if !validator_keys.insert(validator.account) {
                err(
                    format!("{at}.account"),
                    format!("{} is listed twice", validator.account),
                );
            }
            if let Err(e) = peer_id::parse(&validator.peer_id) {
                err(
                    format!("{at}.peer_id"),
                    format!("'{}' {e}", validator.peer_id),
                );
            } else if !peer_ids.insert(validator.peer_id.as_str()) {
                err(
                    format!("{at}.peer_id"),
                    format!("'{}' is listed twice", validator.peer_id),
                );
            }
            if let Err(e) = check_multiaddr(&validator.address) {
                err(
                    format!("{at}.address"),
                    format!("'{}' {e}", validator.address),
                );
            }
        }

        let governance = &self.governance;
        let mut governors = BTreeSet::new();
        for (i, name) in governance.members.iter().enumerate() {
            if !names.contains(name.as_str()) {
                err(
                    format!("governance.members[{i}]"),
                    format!("'{name}' is not a member's name"),
                );
            } else if !governors.insert(name.as_str()) {
                err(
                    format!("governance.members[{i}]"),
                    format!("'{name}' is listed twice"),
                );
            }
        }
        let most = governance.members.len() as u32;
        if (most == 0 && governance.threshold != 0)
            || (most > 0 && !(1..=most).contains(&governance.threshold))
        {
            err(
                "governance.threshold".into(),
                format!(
                    "{} is outside {}..={most}",
                    governance.threshold,
                    most.min(1)
                ),
            );
        }

        let p = &self.parameters;
        let mut range = |field: &str, value: u64, min: u64, max: u64| {
            if value < min || value > max {
                err(
                    format!("parameters.{field}"),
                    format!("{value} is outside {min}..={max}"),
                );
            }
        };
        range("block_time_ms", p.block_time_ms, 50, 60_000);
        range("max_block_txs", p.max_block_txs.into(), 1, 100_000);
        range("max_tx_bytes", p.max_tx_bytes.into(), 256, 1 << 20);
        range(
            "max_block_bytes",
            p.max_block_bytes.into(),
            p.max_tx_bytes.into(),
            64 << 20,
        );
        range("max_tx_fuel", p.max_tx_fuel, 1_000, 1 << 40);
        // Scheduled calls (settlement) get half of a block's fuel and start only while that half
        // holds a whole transaction's fuel: below twice it they would never run.
        // Nor would the largest code upload ever fit (charged by its size, not by
        // max_tx_fuel: catena_abi::fuel::upload).
        range(
            "max_block_fuel",
            p.max_block_fuel,
            p.max_tx_fuel
                .max(catena_abi::fuel::upload(p.max_tx_bytes as usize))
                .saturating_mul(2),
            1 << 48,
        );

        range("voucher_min_part", p.voucher_min_part, 1, u64::MAX);
        range("voucher_max_parts", p.voucher_max_parts.into(), 2, 1_000);
        range(
            "recourse_grace_days",
            p.recourse_grace_days.into(),
            0,
            3_650,
        );
        range(
            "loan_to_value_percent",
            p.loan_to_value_percent.into(),
            1,
            100,
        );
        if p.currency.is_empty()
            || p.currency.len() > 8
            || !p.currency.bytes().all(|b| b.is_ascii_uppercase())
        {
            err(
                "parameters.currency".into(),
                "must be 1 to 8 capital letters, such as CNY".into(),
            );
        }
        for (i, contract) in self.contracts.iter().enumerate() {
            if contract.name.trim().is_empty() {
                err(format!("contracts[{i}].name"), "must not be empty".into());
            }
            if self.contracts[..i].iter().any(|c| c.name == contract.name) {
                err(
                    format!("contracts[{i}].name"),
                    format!("'{}' is listed twice", contract.name),
                );
            }
            match contract.load_checked() {
                Err(CodeError::Load(e)) => err(format!("contracts[{i}].code"), e),
                Err(CodeError::Hash { found }) => err(
                    format!("contracts[{i}].code_hash"),
                    format!("is {}, the code's SHA-256 is {found}", contract.code_hash),
                ),
                Ok(_) => {}
            }
        }

        if let Some(section) = &self.parachain {
            errors.extend(section.errors(&self.chain_id));
        }
        if self.parachain.is_some() && self.invoice_key_check.is_some() {
            errors.push(FieldError {
                field: "invoice_key_check".into(),
                message: "the invoice key's check value is the main chain's: a parachain's spec carries none".into(),
            });
        }
        if self.parachain.is_some() && !self.parachains.is_empty() {
            errors.push(FieldError {
                field: "parachains".into(),
                message: "a parachain registers no parachains of its own".into(),
            });
        }
        for (i, para) in self.parachains.iter().enumerate() {
            let field = |name: &str| format!("parachains[{i}].{name}");
            if para.id == self.chain_id || self.parachains[..i].iter().any(|p| p.id == para.id) {
                errors.push(FieldError {
                    field: field("id"),
                    message: format!("'{}' is this chain's id or listed twice", para.id),
                });
            }
            for member in &para.members {
                if !self.members.iter().any(|m| &m.name == member) {
                    errors.push(FieldError {
                        field: field("members"),
                        message: format!("'{member}' is not a member of this chain"),
                    });
                }
            }
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Checks the shape `/ip4/A.B.C.D/tcp/PORT` or `/dns/HOST/tcp/PORT`; the network layer
/// parses the full multiaddr.
fn check_multiaddr(address: &str) -> Result<(), String> {
    let parts: Vec<&str> = address.split('/').collect();
    let shape = "must look like /ip4/127.0.0.1/tcp/30333 or /dns/host/tcp/30333";
    match parts.as_slice() {
        ["", proto, host, "tcp", port] => {
            let host_ok = match *proto {
                "ip4" => host.parse::<std::net::Ipv4Addr>().is_ok(),
                "ip6" => host.parse::<std::net::Ipv6Addr>().is_ok(),
                "dns" | "dns4" | "dns6" => !host.is_empty(),
                _ => false,
            };
            if !host_ok {
                return Err(shape.into());
            }
            port.parse::<u16>()
                .map(|_| ())
                .map_err(|_| format!("port '{port}' is not a number from 0 to 65535"))
        }
        _ => Err(shape.into()),
    }
}

/// A named key the builders create for demo members and validators.
#[derive(Debug, Clone)]
pub struct DemoKey {
    /// File-name-safe name, for example `core-motors` or `validator-1`.
    pub name: String,
    pub secret: SecretKey,
}

/// What a builder produces: the spec, and the keys behind its accounts and validators.
#[derive(Debug, Clone)]
pub struct BuiltSpec {
    pub spec: ChainSpec,
    /// One key per demo member account.
    pub member_keys: Vec<DemoKey>,
    /// Per validator: the vote-signing key and the network key.
    pub validator_keys: Vec<(DemoKey, DemoKey)>,
    /// The network keys of the followers added by [`BuiltSpec::add_followers`].
    pub follower_keys: Vec<DemoKey>,
}

pub mod builders;
pub use builders::{build_dev, build_local, build_local_at, build_named};

#[cfg(test)]
mod tests;
