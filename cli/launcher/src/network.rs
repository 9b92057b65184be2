//! The one launcher of local networks: `catena testnet`, the demo, the bench and the tests all
//! create a network's directory (chain spec, demo keys, one home per validator) and start its
//! node processes through it.
//!
//! A network directory holds `chain-spec.json`, `keys/` (the demo members' and validators'
//! keys, the followers' network keys), `node-N/` (node N's home: validators first, then
//! followers) and `node-N.log`; a network of several chains also `chain-spec-K.json` for each
//! further chain K, hosted by every node beside the first (its keys in `keys/` too). Created
//! once; started again as it is.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::{bail, Context};
use catena_chain_spec::BuiltSpec;
use catena_node::init::{add_chain, init_home, write_demo_keys, HomeSettings, NetworkKey};
use catena_node::keys::read_key;
use catena_node::{now_ms, Home, NodeConfig};

use catena_client::ApiClient;

use crate::process;

/// A local network of validators and followers (nodes without a validator key, run by members
/// that do not validate): node `i` (from 1; validators first) on 127.0.0.1 has its API on
/// `api_port + i - 1` and its p2p port on `p2p_port + i - 1`; with `hosts` (one address per
/// node, such as network namespaces' addresses), node `i` listens on `hosts[i - 1]` at
/// `api_port` and `p2p_port` themselves.
#[derive(Debug, Clone)]
pub struct LocalNetwork {
    pub dir: PathBuf,
    pub validators: u16,
    pub followers: u16,
    pub api_port: u16,
    pub p2p_port: u16,
    /// The block time of a network created now (the spec's default otherwise).
    pub block_time_ms: Option<u64>,
    /// One listening address per node; empty for all on 127.0.0.1.
    pub hosts: Vec<String>,
    /// Chains every node hosts (at least 1): the first is `catena-local`, chain K > 1 is
    /// `catena-local-K` (or `chain_ids[K - 2]`) with validator keys of its own, its p2p ports
    /// after the previous chain's.
    pub chains: u16,
    /// The ids of chains 2, 3, … when not the default ones.
    pub chain_ids: Vec<String>,
    /// How many of the nodes validate chains 2, 3, … (the first ones; the others follow it),
    /// when not all the validators do.
    pub chain_validators: Vec<u16>,
    /// When set, the chains after the first are parachains of it (their specs carry the
    /// `parachain` section naming it), anchoring every this many blocks and milliseconds.
    pub parachains: Option<(u64, u64)>,
    /// With parachains: the consortium's invoice key, whose check value the main spec commits
    /// and which every node holds for each parachain (ADR 0031); also kept in `invoice.key`.
    pub invoice_key: Option<catena_primitives::invoice::InvoiceKey>,
}

/// A validator process the launcher started.
#[derive(Debug)]
pub struct Started {
    pub child: Child,
    /// Its API, such as `http://127.0.0.1:8545`.
    pub api: String,
    pub home: PathBuf,
    pub log: PathBuf,
}

impl LocalNetwork {
    pub fn spec_path(&self) -> PathBuf {
        self.dir.join("chain-spec.json")
    }

    /// Chain `k`'s spec file (from 1).
    pub fn chain_spec_path(&self, k: u16) -> PathBuf {
        match k {
            1 => self.spec_path(),
            k => self.dir.join(format!("chain-spec-{k}.json")),
        }
    }

    /// Chain `k`'s id (from 1).
    pub fn chain_id(&self, k: u16) -> String {
        match k {
            1 => "catena-local".into(),
            k => self
                .chain_ids
                .get(usize::from(k) - 2)
                .cloned()
                .unwrap_or_else(|| format!("catena-local-{k}")),
        }
    }

    /// How chain `k`'s key files are named: `<prefix>validator-I.json` and so on.
    fn key_prefix(&self, k: u16) -> String {
        match k {
            1 => String::new(),
            k => format!("{}-", self.chain_id(k)),
        }
    }

    /// Every node's libp2p peer id, in order: the validators' from the network's chain spec,
    /// then the followers' from their network keys.
    pub fn peer_ids(&self) -> anyhow::Result<Vec<String>> {
        let bytes = std::fs::read(self.spec_path()).context("cannot read the chain spec")?;
        let spec = catena_chain_spec::ChainSpec::from_json(&bytes)
            .map_err(|e| anyhow::anyhow!("the chain spec: {e}"))?;
        let mut peer_ids: Vec<String> = spec.validators.into_iter().map(|v| v.peer_id).collect();
        for j in 1..=self.followers {
            let key = read_key(&self.follower_key(j))?;
            peer_ids.push(catena_chain_spec::peer_id::from_ed25519(&key.account()));
        }
        Ok(peer_ids)
    }

    /// Follower `j`'s network key file (from 1) on the first chain.
    fn follower_key(&self, j: u16) -> PathBuf {
        self.follower_key_on(1, j)
    }

    /// Follower `j`'s network key file on chain `k`.
    fn follower_key_on(&self, k: u16, j: u16) -> PathBuf {
        let prefix = self.key_prefix(k);
        self.keys_dir()
            .join(format!("{prefix}follower-{j}-network.json"))
    }

    /// Node `i`'s vote key (a validator's) and network key files on chain `k`.
    fn node_keys(&self, k: u16, i: u16) -> (Option<PathBuf>, PathBuf) {
        let keys = self.keys_dir();
        let prefix = self.key_prefix(k);
        let validators = self.validators_on(k);
        if i > validators {
            (None, self.follower_key_on(k, i - validators))
        } else {
            (
                Some(keys.join(format!("{prefix}validator-{i}.json"))),
                keys.join(format!("{prefix}validator-{i}-network.json")),
            )
        }
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.dir.join("keys")
    }

    /// How many nodes validate chain `k` (the first ones).
    pub fn validators_on(&self, k: u16) -> u16 {
        match k {
            1 => self.validators,
            k => self
                .chain_validators
                .get(usize::from(k) - 2)
                .copied()
                .unwrap_or(self.validators),
        }
    }

    /// Validators and followers.
    pub fn nodes(&self) -> u16 {
        self.validators + self.followers
    }

    /// Whether node `i` (from 1) is a follower.
    pub fn is_follower(&self, i: u16) -> bool {
        i > self.validators
    }

    /// Node `i`'s home (from 1).
    pub fn home(&self, i: u16) -> PathBuf {
        self.dir.join(format!("node-{i}"))
    }

    /// Where node `i`'s API listens.
    pub fn api_addr(&self, i: u16) -> String {
        match self.hosts.get(usize::from(i - 1)) {
            Some(host) => format!("{host}:{}", self.api_port),
            None => format!("127.0.0.1:{}", self.api_port + i - 1),
        }
    }

    /// Where node `i` listens for peers.
    pub fn p2p_addr(&self, i: u16) -> String {
        self.p2p_addr_on(1, i)
    }

    /// The first p2p port of chain `k`'s nodes.
    fn first_p2p_port(&self, k: u16) -> u16 {
        if self.hosts.is_empty() {
            self.p2p_port + (k - 1) * self.nodes()
        } else {
            self.p2p_port + k - 1
        }
    }

    /// Where node `i` listens for peers of chain `k`.
    pub fn p2p_addr_on(&self, k: u16, i: u16) -> String {
        let first = self.first_p2p_port(k);
        match self.hosts.get(usize::from(i - 1)) {
            Some(host) => format!("/ip4/{host}/tcp/{first}"),
            None => format!("/ip4/127.0.0.1/tcp/{}", first + i - 1),
        }
    }

    pub fn log(&self, i: u16) -> PathBuf {
        self.dir.join(format!("node-{i}.log"))
    }

    /// Creates the network's directory unless it exists: each chain's spec (with the followers
    /// registered as members' nodes; `customize` applied to each, given the chain's number from
    /// 1; with `parachains`, the further chains made parachains of the first), the demo keys and
    /// every node's home, hosting every chain.
    pub fn prepare_chains(&self, customize: &dyn Fn(u16, &mut BuiltSpec)) -> anyhow::Result<()> {
        let spec_path = self.spec_path();
        if spec_path.exists() {
            return Ok(());
        }
        if self.chains == 0 {
            bail!("a network hosts at least one chain");
        }
        let time = now_ms();
        let mut built: Vec<BuiltSpec> = (1..=self.chains)
            .map(|k| {
                let validators = self.validators_on(k);
                let mut built = catena_chain_spec::build_named(
                    &self.chain_id(k),
                    usize::from(validators),
                    time,
                    self.first_p2p_port(k),
                );
                if let Some(block_time) = self.block_time_ms {
                    built.spec.parameters.block_time_ms = block_time;
                }
                for (i, validator) in built.spec.validators.iter_mut().enumerate() {
                    validator.address = self.p2p_addr_on(k, i as u16 + 1);
                }
                built.add_followers(usize::from(self.nodes() - validators));
                customize(k, &mut built);
                built
            })
            .collect();
        if let Some((blocks, ms)) = self.parachains {
            if let Some(key) = &self.invoice_key {
                built[0].spec.invoice_key_check = Some(key.check());
                let file = self.dir.join(catena_node::INVOICE_KEY_FILE);
                if !file.exists() {
                    catena_node::keys::write_invoice_key(&file, key)?;
                }
            }
            let main = &built[0].spec;
            let section = catena_chain_spec::ParachainSection {
                main_genesis_hash: catena_node::chain::genesis::genesis_hash(main)
                    .context("cannot compute the main chain's genesis hash")?,
                main_chain_id: main.chain_id.clone(),
                main_validators: main.validators.iter().map(|v| v.account).collect(),
                anchor_every_blocks: blocks,
                anchor_every_ms: ms,
            };
            for other in &mut built[1..] {
                other.spec.parachain = Some(section.clone());
            }
        }
        // The further chains first: the first chain's spec, written last, marks the directory
        // complete.
        for (k, built) in (1..=self.chains).zip(&built).rev() {
            write_demo_keys(built, &self.keys_dir())?;
            if k > 1 {
                std::fs::write(self.chain_spec_path(k), built.spec.to_json() + "\n")
                    .context("cannot write a chain spec")?;
            } else {
                self.init_homes(built)?;
            }
        }
        Ok(())
    }

    /// Every node's home for the first chain `built`, with the further chains added.
    fn init_homes(&self, built: &BuiltSpec) -> anyhow::Result<()> {
        let spec_path = self.spec_path();
        std::fs::write(&spec_path, built.spec.to_json() + "\n")
            .context("cannot write the chain spec")?;
        for i in 1..=self.nodes() {
            let api_addr: SocketAddr = self
                .api_addr(i)
                .parse()
                .with_context(|| format!("node {i}'s API address"))?;
            let (validator_key, network_key) = self.node_keys(1, i);
            let settings = HomeSettings {
                api_addr: Some(api_addr),
                p2p_addr: Some(self.p2p_addr(i)),
                ..HomeSettings::default()
            };
            let home = Home(self.home(i));
            init_home(
                &home,
                &spec_path,
                validator_key.as_deref().map(read_key).transpose()?,
                NetworkKey::Given(read_key(&network_key)?),
                &settings,
            )?;
            for k in 2..=self.chains {
                let (validator_key, network_key) = self.node_keys(k, i);
                add_chain(
                    &home,
                    &self.chain_spec_path(k),
                    validator_key.as_deref().map(read_key).transpose()?,
                    NetworkKey::Given(read_key(&network_key)?),
                    Some(self.p2p_addr_on(k, i)),
                    self.invoice_key
                        .clone()
                        .filter(|_| self.parachains.is_some()),
                )?;
            }
        }
        Ok(())
    }

    /// Starts node `i` with `binary` (the `catena` binary), its output in its log file.
    pub fn start_node(&self, binary: &Path, i: u16) -> anyhow::Result<Started> {
        let home = self.home(i);
        let log_path = self.log(i);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .context("cannot create a log file")?;
        let child = node_process(binary)
            .args(["node", "--home"])
            .arg(&home)
            .env_remove("CATENA_HOME")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start a node")?;
        let config = NodeConfig::load(&Home(home.clone()).config())?;
        Ok(Started {
            child,
            api: format!("http://{}", config.api_addr),
            home,
            log: log_path,
        })
    }

    /// [`LocalNetwork::start_chains`] with `customize` applied to the first chain's spec.
    pub fn start(
        &self,
        binary: &Path,
        customize: &dyn Fn(&mut BuiltSpec),
    ) -> anyhow::Result<Vec<Started>> {
        self.start_chains(binary, &|k, built| {
            if k == 1 {
                customize(built)
            }
        })
    }

    /// [`LocalNetwork::prepare_chains`]s the network and starts every node.
    pub fn start_chains(
        &self,
        binary: &Path,
        customize: &dyn Fn(u16, &mut BuiltSpec),
    ) -> anyhow::Result<Vec<Started>> {
        self.prepare_chains(customize)?;
        if let Some(missing) = (1..=self.nodes()).find(|i| !self.home(*i).exists()) {
            bail!(
                "{} holds no home for node {missing}: it was created with fewer nodes; \
                 start it with the numbers it was created with, or use a new directory",
                self.dir.display()
            );
        }
        self.check_ports()?;
        (1..=self.nodes())
            .map(|i| self.start_node(binary, i))
            .collect()
    }

    /// "validator 2", "follower 1".
    pub fn node_name(&self, i: u16) -> String {
        if self.is_follower(i) {
            format!("follower {}", i - self.validators)
        } else {
            format!("validator {i}")
        }
    }

    /// Refuses to start when a port a node would listen on is taken, naming the port, the node
    /// and the flag that moves it (rather than start a network with a node that cannot run).
    fn check_ports(&self) -> anyhow::Result<()> {
        for i in 1..=self.nodes() {
            let home = Home(self.home(i));
            let config = NodeConfig::load(&home.config())?;
            let socket = |multiaddr: &str| -> Option<std::net::SocketAddr> {
                let parts: Vec<&str> = multiaddr.split('/').collect();
                match parts.as_slice() {
                    ["", "ip4", host, "tcp", port] => format!("{host}:{port}").parse().ok(),
                    _ => None,
                }
            };
            let mut wanted = vec![(Some(config.api_addr), "API".to_string(), "--api-port")];
            let chains = home.chains(&config)?;
            let several = chains.len() > 1;
            for chain in chains {
                let what = if several {
                    format!("p2p of chain '{}'", chain.spec.chain_id)
                } else {
                    "p2p".to_string()
                };
                wanted.push((socket(&chain.p2p_addr), what, "--p2p-port"));
            }
            for (addr, what, flag) in wanted {
                let Some(addr) = addr else { continue };
                if let Err(e) = std::net::TcpListener::bind(addr) {
                    bail!(
                        "port {} ({} of {}) is not free ({e}): choose other ports with {flag} \
                         (a new --dir, since {} keeps the ports it was created with), or stop \
                         what holds it",
                        addr.port(),
                        what,
                        self.node_name(i),
                        self.dir.display()
                    );
                }
            }
        }
        Ok(())
    }
}

/// A `catena` node process. glibc's malloc gives threads arenas of their own (up to 8 per core)
/// and keeps what is freed in each; with a node's threads (tokio, RocksDB's C++ side, block
/// execution) resident memory kept rising under load. Two arenas keep it bounded
/// (docs/performance.md); an operator's own setting is kept.
pub fn node_process(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        command.env("MALLOC_ARENA_MAX", "2");
    }
    command
}

/// Stops node processes: SIGTERM to each, up to [`process::STOP_GRACE`] for all of them to exit,
/// then SIGKILL to those left (named on standard error: their shutdown did not finish).
pub fn stop_children(children: Vec<Child>) {
    let mut named: Vec<(String, Child)> = children
        .into_iter()
        .map(|c| (format!("node process {}", c.id()), c))
        .collect();
    for name in process::stop_all(&mut named, process::STOP_GRACE) {
        eprintln!(
            "{name} did not exit within {:?} of SIGTERM: killed",
            process::STOP_GRACE
        );
    }
}

/// A new directory name for a run of `kind` (demo, bench): ~/.catena/KIND/<now in ms>.
pub fn fresh_run_dir(kind: &str) -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".catena")
        .join(kind)
        .join(now_ms().to_string())
}

/// Makes `dir` for a fresh run of `what` (the demo, the bench), refusing one that holds files.
pub fn empty_run_dir(dir: &Path, what: &str) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: {what}", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Waits (up to 120 s) for the chain behind `client` to commit its first block; its status.
pub fn wait_first_block(client: &ApiClient, dir: &Path) -> anyhow::Result<catena_api::StatusView> {
    let started = std::time::Instant::now();
    loop {
        match client.status() {
            Ok(status) if status.height >= 1 => return Ok(status),
            _ if started.elapsed() > Duration::from_secs(120) => bail!(
                "the chain did not produce a block within 120 s (logs in {})",
                dir.display()
            ),
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}
