//! `TestNetwork::builder().validators(4).block_time_ms(50).start()`: a local network of real
//! node processes for a test, through the same [`LocalNetwork`] launcher as `catena testnet`,
//! with handles to kill, restart, pause and wait on each node. A multi-process test reads as a
//! short script: start, wait, crash, restart, check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use catena_chain_spec::BuiltSpec;

use catena_launcher::network::LocalNetwork;

use crate::links::Links;
use crate::node::{free_ports, wait_heights, TestNode};

/// How to build a [`TestNetwork`].
pub struct Builder {
    binary: Option<PathBuf>,
    validators: u16,
    followers: u16,
    block_time_ms: u64,
    dir: Option<PathBuf>,
    hosts: Vec<String>,
    cuttable_links: bool,
    chains: u16,
    chain_validators: Vec<u16>,
    customize: Box<Customize>,
}

/// What a test changes in each chain's spec, given the chain's number (from 1).
type Customize = dyn Fn(u16, &mut BuiltSpec);

/// A running local network: its directory and a handle per validator (`nodes[0]` is
/// validator 1).
#[derive(Debug)]
pub struct TestNetwork {
    pub network: LocalNetwork,
    pub nodes: Vec<TestNode>,
    /// How links are cut, for a network built with [`Builder::cuttable_links`] (dropped after
    /// the nodes, so that they are killed before their namespaces are removed).
    links: Option<Links>,
    /// The temporary directory the network lives in, unless the test gave one.
    _dir: Option<tempfile::TempDir>,
}

impl TestNetwork {
    pub fn builder() -> Builder {
        Builder {
            binary: None,
            validators: 4,
            followers: 0,
            block_time_ms: 300,
            dir: None,
            hosts: Vec::new(),
            cuttable_links: false,
            chains: 1,
            chain_validators: Vec::new(),
            customize: Box::new(|_, _| {}),
        }
    }
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("validators", &self.validators)
            .field("block_time_ms", &self.block_time_ms)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// The `catena` binary the nodes run (default: [`crate::catena_binary`]).
    pub fn binary(mut self, binary: impl Into<PathBuf>) -> Self {
        self.binary = Some(binary.into());
        self
    }

    pub fn validators(mut self, validators: u16) -> Self {
        self.validators = validators;
        self
    }

    /// Nodes without a validator key (members' nodes that follow the chain), after the
    /// validators: `nodes[validators..]`.
    pub fn followers(mut self, followers: u16) -> Self {
        self.followers = followers;
        self
    }

    /// Chains every node hosts: `catena-local` (served at `/`), then `catena-local-2` … each
    /// with its own validator keys and p2p ports, served under `/chains/{id}/` (see
    /// [`TestNode::on_chain`](crate::node::TestNode::on_chain)).
    pub fn chains(mut self, chains: u16) -> Self {
        self.chains = chains;
        self
    }

    pub fn block_time_ms(mut self, block_time_ms: u64) -> Self {
        self.block_time_ms = block_time_ms;
        self
    }

    /// The network's directory (a temporary one by default, see [`crate::test_dir`]).
    pub fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// One address per validator to listen on (API at 8545, p2p at 30333 on each), such as the
    /// addresses of network namespaces; by default all on 127.0.0.1 on free ports.
    pub fn hosts(mut self, hosts: Vec<String>) -> Self {
        self.hosts = hosts;
        self
    }

    /// Lets the test cut links between validators ([`TestNetwork::partition`]): each validator
    /// in its own network namespace when running as root, else through the node's link switch
    /// (see [`crate::links`]).
    pub fn cuttable_links(mut self) -> Self {
        self.cuttable_links = true;
        self
    }

    /// How many of the nodes validate chains 2, 3, … (the first ones; the others follow).
    pub fn chain_validators(mut self, validators: &[u16]) -> Self {
        self.chain_validators = validators.to_vec();
        self
    }

    /// Changes the chain spec before it is written (members, parameters, ...).
    pub fn customize(mut self, customize: impl Fn(&mut BuiltSpec) + 'static) -> Self {
        self.customize = Box::new(move |k, built| {
            if k == 1 {
                customize(built)
            }
        });
        self
    }

    /// Changes every chain's spec before it is written, given the chain's number (from 1; the
    /// followers are already registered as members' nodes).
    pub fn customize_chains(mut self, customize: impl Fn(u16, &mut BuiltSpec) + 'static) -> Self {
        self.customize = Box::new(customize);
        self
    }

    /// Creates the network on free ports and starts every validator; returns once each one's
    /// API answers.
    pub fn start(self) -> TestNetwork {
        let mut network = self.create();
        network.start_all();
        network
    }

    /// Creates the network and its node handles without starting them (a test sets each
    /// handle's `launcher` or `env` first, then calls [`TestNetwork::start_all`]).
    pub fn create(self) -> TestNetwork {
        let binary = self.binary.unwrap_or_else(crate::node::catena_binary);
        let (dir, temp) = match self.dir {
            Some(dir) => (dir, None),
            None => {
                let temp = crate::node::test_dir();
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let count = self.validators + self.followers;
        let namespaces = if self.cuttable_links {
            Links::namespaces(usize::from(count))
        } else {
            None
        };
        let hosts = match &namespaces {
            // Every node on its own address with fixed ports.
            Some(ns) => (0..usize::from(count)).map(|i| ns.address(i)).collect(),
            None => self.hosts,
        };
        let network = LocalNetwork {
            dir,
            validators: self.validators,
            followers: self.followers,
            api_port: if hosts.is_empty() {
                free_ports(count)
            } else {
                8545
            },
            p2p_port: if hosts.is_empty() {
                free_ports(count * self.chains)
            } else {
                30333
            },
            block_time_ms: Some(self.block_time_ms),
            hosts,
            chains: self.chains,
            chain_ids: Vec::new(),
            chain_validators: self.chain_validators,
            parachains: None,
            invoice_key: None,
        };
        network
            .prepare_chains(&*self.customize)
            .expect("the test network is created");
        let mut nodes: Vec<TestNode> = (1..=network.nodes())
            .map(|i| {
                let home = network.home(i);
                let config =
                    catena_node::NodeConfig::load(&catena_node::Home(home.clone()).config())
                        .expect("the node's config");
                let mut node = crate::node::node_at(format!("http://{}", config.api_addr), home);
                node.binary = binary.clone();
                node.log_file = Some(network.log(i));
                node
            })
            .collect();
        let links = self.cuttable_links.then(|| {
            let peer_ids = network.peer_ids().expect("the nodes' peer ids");
            Links::attach(namespaces, &mut nodes, peer_ids, &network.dir)
        });
        TestNetwork {
            network,
            nodes,
            links,
            _dir: temp,
        }
    }
}

impl TestNetwork {
    /// Starts every node that is not running; returns once each one's API answers.
    pub fn start_all(&mut self) {
        for node in self.nodes.iter_mut().filter(|n| n.child.is_none()) {
            node.start();
        }
    }

    /// Node `i`'s handle (from 0): the validators first, then the followers.
    pub fn node(&self, i: usize) -> &TestNode {
        &self.nodes[i]
    }

    /// The validators' handles.
    pub fn validators(&self) -> &[TestNode] {
        &self.nodes[..usize::from(self.network.validators)]
    }

    /// The followers' handles (node indices from the number of validators on, for `crash`,
    /// `restart`, `stop` and `partition`).
    pub fn followers(&self) -> &[TestNode] {
        &self.nodes[usize::from(self.network.validators)..]
    }

    /// SIGKILL of validator `i` (from 0): no shutdown code runs.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i].kill9();
    }

    /// SIGTERM of validator `i` (from 0), waiting for its clean exit.
    pub fn stop(&mut self, i: usize) -> std::process::ExitStatus {
        self.nodes[i].stop()
    }

    /// Starts validator `i` again on its home; returns once its API answers.
    pub fn restart(&mut self, i: usize) {
        self.nodes[i].start();
    }

    /// SIGSTOP: the process holds its sockets but does nothing until [`TestNetwork::resume`].
    pub fn pause(&mut self, i: usize) {
        self.nodes[i].signal("STOP");
    }

    pub fn resume(&mut self, i: usize) {
        self.nodes[i].signal("CONT");
    }

    /// Waits (up to 120 s) until every node is at `height` or above; `what` names the wait.
    pub fn wait_all(&self, height: u64, what: &str) {
        let all: Vec<&TestNode> = self.nodes.iter().collect();
        crate::node::wait_all_at_least(&all, height, what);
    }

    /// The API URLs of the validators.
    pub fn apis(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.api.clone()).collect()
    }

    /// Waits (up to `timeout`) until every node in `which` is at `height` or above.
    pub fn wait_height(&self, which: &[usize], height: u64, timeout: Duration) {
        let nodes: Vec<&TestNode> = which.iter().map(|i| &self.nodes[*i]).collect();
        wait_heights(&nodes, height, &format!("nodes {which:?}"), timeout);
    }

    /// Cuts every link between validators in different groups (indices from 0).
    pub fn partition(&mut self, groups: &[&[usize]]) {
        self.links_mut().partition(groups);
    }

    /// Restores every link cut by [`TestNetwork::partition`].
    pub fn heal(&mut self) {
        self.links_mut().heal();
    }

    fn links_mut(&mut self) -> &mut Links {
        self.links
            .as_mut()
            .expect("links are cut only in a network built with .cuttable_links()")
    }

    /// Makes a new node that is not in the chain spec the way an operator does, with
    /// `catena init` on the network's spec (with `validator_key`, a member's key that governance
    /// may add to the set, or none for a follower; its network key made by `init`), on free
    /// ports on 127.0.0.1; does not start it.
    pub fn add_node(&mut self, validator_key: Option<&Path>) -> AddedNode {
        assert!(
            self.links.is_none(),
            "nodes are added only to networks without cuttable links"
        );
        let index = self.nodes.len();
        let number = index + 1;
        let home = self.network.dir.join(format!("node-{number}"));
        let api_addr = format!("127.0.0.1:{}", crate::node::free_port());
        let p2p_addr = format!("/ip4/127.0.0.1/tcp/{}", crate::node::free_port());
        let binary = self.nodes[0].binary.clone();
        let mut command = std::process::Command::new(&binary);
        command
            .arg("init")
            .arg("--home")
            .arg(&home)
            .arg("--chain")
            .arg(self.network.spec_path())
            .args(["--api-addr", &api_addr, "--p2p-addr", &p2p_addr])
            .env_remove("CATENA_HOME");
        if let Some(key) = validator_key {
            command.arg("--validator-key").arg(key);
        }
        let out = command.output().expect("run catena init");
        let told = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "catena init failed: {told}");
        let mut node = crate::node::node_at(format!("http://{api_addr}"), home);
        node.binary = binary;
        node.log_file = Some(self.network.dir.join(format!("node-{number}.log")));
        self.nodes.push(node);
        let peer_id = told
            .split("peer id ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("catena init printed no peer id: {told}"))
            .to_string();
        AddedNode {
            index,
            told,
            peer_id,
            p2p_addr,
        }
    }

    /// Validator 1's height: the tip a test waits for the others to reach.
    pub fn tip(&self) -> u64 {
        self.nodes[0].height()
    }

    /// The network's chain spec, as JSON.
    pub fn spec_json(&self) -> serde_json::Value {
        let bytes = std::fs::read(self.network.spec_path()).expect("the chain spec");
        serde_json::from_slice(&bytes).expect("the chain spec is JSON")
    }

    /// The network's directory.
    pub fn dir(&self) -> &Path {
        &self.network.dir
    }
}

/// A node made by [`TestNetwork::add_node`].
#[derive(Debug, Clone)]
pub struct AddedNode {
    /// Its index in the network's nodes.
    pub index: usize,
    /// What `catena init` told the operator.
    pub told: String,
    /// Its peer id, as `init` printed it.
    pub peer_id: String,
    /// The multiaddr it listens on.
    pub p2p_addr: String,
}
