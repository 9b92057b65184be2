//! A node process under test: its home, its API, and waits that poll (never fixed sleeps) with
//! deadlines; its log is watched (printed when a wait fails) while its handle lives.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use catena_primitives::{SecretKey, Transaction};
use serde_json::Value;

use catena_client::{ApiClient, Reply};
use catena_launcher::process;

pub use crate::watch::wait_for;
use crate::watch::{poll, report, watch_log, LogWatch};

/// How long one `catena` command run by a test may take (commands that send wait for their
/// transaction's commit, a minute at most).
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(120);

/// The `catena` binary the harness runs: `$CATENA_BIN` if set, else the one cargo built next to
/// the running test (tests live in `target/<profile>/deps/`, binaries in `target/<profile>/`).
pub fn catena_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CATENA_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let profile = exe
        .parent()
        .and_then(|deps| {
            if deps.ends_with("deps") {
                deps.parent()
            } else {
                Some(deps)
            }
        })
        .expect("a target directory");
    let binary = profile.join(format!("catena{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "no catena binary at {} (build it, or set CATENA_BIN)",
        binary.display()
    );
    binary
}

/// The demo members of a local network (the keys in its `keys/` directory), but Tier-1 Steel,
/// which tests often keep for transactions of their own: six signers of a steady load.
pub const DEMO_SIGNERS: [&str; 6] = [
    "huaxia-motors",
    "tier2-parts",
    "tier3-materials",
    "merchant-bank",
    "swift-logistics",
    "audit-office",
];

/// The key in a key file (`catena key generate --out`, the demo keys).
pub fn read_key_file(path: &Path) -> SecretKey {
    catena_node::keys::read_key(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `catena ARGS` to completion, within [`COMMAND_DEADLINE`].
pub fn catena(args: &[&str]) -> Output {
    catena_within(args, COMMAND_DEADLINE)
}

/// Runs `catena ARGS` to completion; past `deadline` it is killed and the test fails with the
/// command, how long it waited and its last lines of output.
pub fn catena_within(args: &[&str], deadline: Duration) -> Output {
    let mut command = Command::new(catena_binary());
    command.args(args).env_remove("CATENA_HOME");
    process::run(&mut command, deadline).unwrap_or_else(|e| panic!("{e}"))
}

pub fn free_port() -> u16 {
    free_ports(1)
}

/// The first of `count` consecutive free ports, chosen below the kernel's ephemeral range
/// (32768 and up) so that a port freed by a killed node cannot be taken by some outgoing
/// connection before the node restarts on it.
pub fn free_ports(count: u16) -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = (std::process::id() % 500) as u16 * 20;
    loop {
        let offset = NEXT.fetch_add(count, Ordering::Relaxed);
        let base = 20_000 + (seed + offset) % 12_000;
        if (base..base + count).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
}

/// A temporary directory for a test, kept after the test when `CATENA_KEEP_TEST_DIRS` is set
/// (its path is printed), for reading the nodes' logs.
pub fn test_dir() -> tempfile::TempDir {
    let mut dir = tempfile::tempdir().expect("tempdir");
    if std::env::var_os("CATENA_KEEP_TEST_DIRS").is_some() {
        dir.disable_cleanup(true);
        eprintln!("test directory kept: {}", dir.path().display());
    }
    dir
}

/// How long a test's request to a node may take (a paused node must not hold a poll long).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A node process with its home directory.
#[derive(Debug)]
pub struct TestNode {
    /// The `catena` binary it runs.
    pub binary: PathBuf,
    pub home: PathBuf,
    pub api: String,
    pub child: Option<Child>,
    pub args: Vec<String>,
    /// A command that runs the binary (such as `ip netns exec NS`), if any.
    pub launcher: Vec<String>,
    /// Extra environment variables of the process.
    pub env: Vec<(String, String)>,
    /// Where its output goes (default: the home's path with `.log`).
    pub log_file: Option<PathBuf>,
    /// The client of its API.
    pub client: ApiClient,
    /// Its log, printed when a wait fails (from its first start until the handle is dropped).
    pub watch: Option<LogWatch>,
}

impl TestNode {
    /// Creates a dev home in `dir` with the given block time, and starts its node.
    pub fn dev(dir: &Path, block_time_ms: u64) -> TestNode {
        TestNode::dev_with(
            dir,
            |spec| spec["parameters"]["block_time_ms"] = block_time_ms.into(),
            |_| {},
        )
    }

    /// Creates a dev home in `dir`, its chain spec (JSON) changed by `spec` and its
    /// `config.toml` (text) by `config`, and starts its node.
    pub fn dev_with(
        dir: &Path,
        spec: impl FnOnce(&mut Value),
        config: impl FnOnce(&mut String),
    ) -> TestNode {
        let spec_path = dir.join("spec.json");
        let keys = dir.join("keys");
        let out = catena(&[
            "chain-spec",
            "build",
            "--dev",
            "--out",
            spec_path.to_str().expect("utf-8"),
            "--keys-dir",
            keys.to_str().expect("utf-8"),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut built: Value =
            serde_json::from_slice(&std::fs::read(&spec_path).expect("spec")).expect("json");
        spec(&mut built);
        std::fs::write(&spec_path, built.to_string()).expect("write spec");
        let home = dir.join("node");
        let api_addr = format!("127.0.0.1:{}", free_port());
        let out = catena(&[
            "init",
            "--home",
            home.to_str().expect("utf-8"),
            "--chain",
            spec_path.to_str().expect("utf-8"),
            "--validator-key",
            keys.join("validator-1.json").to_str().expect("utf-8"),
            "--api-addr",
            &api_addr,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let config_path = home.join("config.toml");
        let mut text = std::fs::read_to_string(&config_path).expect("config");
        config(&mut text);
        std::fs::write(&config_path, text).expect("write config");
        let mut node = node_at(format!("http://{api_addr}"), home);
        node.start();
        node
    }

    /// A handle on a node at `api` that `start` runs as `catena ARGS` (with no binary set: the
    /// caller sets `binary`, e.g. to [`catena_binary`]).
    pub fn with_args(home: PathBuf, api: String, args: Vec<String>) -> TestNode {
        TestNode {
            binary: PathBuf::new(),
            home,
            api: api.clone(),
            child: None,
            args,
            launcher: Vec::new(),
            env: Vec::new(),
            log_file: None,
            client: ApiClient::with_timeout(&api, REQUEST_TIMEOUT),
            watch: None,
        }
    }

    /// A handle on chain `chain_id` of this node's process (which must host it): its requests
    /// go to `/chains/{chain_id}/…`. It starts and stops nothing.
    pub fn on_chain(&self, chain_id: &str) -> TestNode {
        let mut node = TestNode::with_args(
            self.home.clone(),
            format!("{}/chains/{chain_id}", self.api),
            Vec::new(),
        );
        node.binary = self.binary.clone();
        node
    }

    /// Runs `catena dev` itself in `home` on a free port.
    pub fn dev_command(home: &Path) -> TestNode {
        let api_addr = format!("127.0.0.1:{}", free_port());
        let args = vec![
            "dev".into(),
            "--home".into(),
            home.to_string_lossy().into(),
            "--api-addr".into(),
            api_addr.clone(),
        ];
        let mut node = TestNode::with_args(home.to_path_buf(), format!("http://{api_addr}"), args);
        node.binary = catena_binary();
        node.start();
        node
    }

    /// Starts (or restarts) the process and waits until its API answers.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        std::fs::create_dir_all(&self.home).expect("home");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut command = match self.launcher.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&self.binary);
                command
            }
            None => Command::new(&self.binary),
        };
        let child = command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("CATENA_HOME")
            // CATENA_TEST_LOG sets the nodes' log filter (for example `info,consensus=debug`).
            .env(
                "CATENA_LOG",
                std::env::var("CATENA_TEST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn catena");
        self.child = Some(child);
        if self.watch.is_none() {
            let path = self.log_path();
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| self.api.clone());
            self.watch = Some(watch_log(format!("{name} ({})", self.api), path));
        }
        wait_for("the node's API", Duration::from_secs(60), || {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("node exited with {status}:\n{}", self.log());
                }
            }
            self.get("/status").filter(|r| r.status == 200)
        });
    }

    pub fn log_path(&self) -> PathBuf {
        self.log_file
            .clone()
            .unwrap_or_else(|| self.home.with_extension("log"))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Sends `signal` (such as `STOP` or `CONT`) to the running process.
    pub fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("running");
        process::signal(child.id(), signal, false);
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            process::wait_until(&mut child, Duration::from_secs(10));
        }
    }

    /// SIGTERM, then wait (up to 30 s) for a clean exit; a node that does not exit by then is
    /// killed and the test fails with its last log lines.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        match process::stop(&mut child, Duration::from_secs(30)) {
            (Some(status), false) => status,
            _ => panic!(
                "the node at {} did not exit within 30 s of SIGTERM (killed); its last lines:\n{}",
                self.api,
                crate::watch::tail(&self.log_path(), process::TAIL_LINES).join("\n")
            ),
        }
    }

    pub fn get(&self, path: &str) -> Option<Reply> {
        self.client.get_reply(path)
    }

    pub fn get_ok(&self, path: &str) -> Value {
        let r = self
            .get(path)
            .unwrap_or_else(|| panic!("GET {path}: no answer"));
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r.body
    }

    pub fn post_raw(&self, path: &str, body: &str) -> Reply {
        self.client
            .post_reply(path, body)
            .unwrap_or_else(|| panic!("POST {path}: no answer"))
    }

    pub fn submit(&self, tx: &Transaction) -> Reply {
        submit_quietly(self, tx).unwrap_or_else(|| panic!("POST /transactions: no answer"))
    }

    /// Transactions in one `POST /transactions/batch`.
    pub fn submit_batch(&self, txs: &[Transaction]) -> Reply {
        self.client
            .submit_batch_reply(txs)
            .unwrap_or_else(|| panic!("POST /transactions/batch: no answer"))
    }

    pub fn height(&self) -> u64 {
        self.get_ok("/status")["height"].as_u64().expect("height")
    }

    pub fn chain_id(&self) -> String {
        self.get_ok("/status")["chain_id"]
            .as_str()
            .expect("chain id")
            .to_string()
    }

    pub fn next_nonce(&self, key: &SecretKey) -> u64 {
        self.get_ok(&format!("/accounts/{}", key.account()))["next_nonce"]
            .as_u64()
            .expect("nonce")
    }

    /// Waits until the transaction is committed; returns its block height.
    pub fn wait_committed(&self, hash: &str) -> u64 {
        self.wait_committed_view(hash)["block_height"]
            .as_u64()
            .expect("height")
    }

    /// Waits until the transaction is committed; returns it as the API shows it.
    pub fn wait_committed_view(&self, hash: &str) -> Value {
        wait_for(
            &format!("transaction {hash} to commit"),
            Duration::from_secs(60),
            || {
                let r = self.get(&format!("/transactions/{hash}"))?;
                (r.body["status"] == "committed").then_some(r.body)
            },
        )
    }

    /// A demo member's signer: its key from the keys directory next to the home, its next
    /// nonce and the chain id from this node.
    pub fn signer(&self, name: &str) -> crate::Signer {
        let key = self.demo_key(name);
        let nonce = self.next_nonce(&key);
        crate::Signer::new(&self.chain_id(), key, nonce)
    }

    /// A demo member's key from the keys directory next to the home.
    pub fn demo_key(&self, name: &str) -> SecretKey {
        let candidates = [
            self.home.join("keys"),
            self.home.parent().expect("parent").join("keys"),
        ];
        let path = candidates
            .iter()
            .map(|d| d.join(format!("{name}.json")))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("no key file for {name}"));
        read_key_file(&path)
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The value of metric `name` in a `/metrics` text: its first series (`name` alone, or with its
/// labels, as in `catena_height{chain="catena-local"}`), or exactly the series `name` names when
/// it gives labels.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| {
            l.split_whitespace().next().is_some_and(|series| {
                series == name
                    || (!name.contains('{')
                        && series
                            .strip_prefix(name)
                            .is_some_and(|rest| rest.starts_with('{')))
            })
        })
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
}

impl TestNode {
    /// The node's metric `name`, if it reports it.
    pub fn metric(&self, name: &str) -> Option<f64> {
        metric(&self.metrics_text(), name)
    }

    /// The node's whole `/metrics` text.
    pub fn metrics_text(&self) -> String {
        self.client.get_text("/metrics").expect("answer")
    }
}

/// Submits a transaction; `None` if the node does not answer.
pub fn submit_quietly(node: &TestNode, tx: &Transaction) -> Option<Reply> {
    node.client.submit_reply(tx)
}

/// A handle on a node this test did not start itself (`start` runs `catena node` in `home`).
pub fn node_at(api: String, home: PathBuf) -> TestNode {
    let args = vec![
        "node".into(),
        "--home".into(),
        home.to_string_lossy().into(),
    ];
    let mut node = TestNode::with_args(home, api, args);
    node.binary = catena_binary();
    node
}

/// A handle that only talks to the API at `api` (it starts nothing).
pub fn api_handle(api: String) -> TestNode {
    TestNode::with_args(PathBuf::new(), api, Vec::new())
}

/// Waits (up to 120 s) until every one of `nodes` is at `height` or above; past it, fails with
/// each node's height then and the watched logs' last lines.
pub fn wait_all_at_least(nodes: &[&TestNode], height: u64, what: &str) {
    wait_heights(nodes, height, what, Duration::from_secs(120));
}

/// Waits (up to `timeout`) until every one of `nodes` is at `height` or above.
pub fn wait_heights(nodes: &[&TestNode], height: u64, what: &str, timeout: Duration) {
    let reached = poll(timeout, || {
        nodes
            .iter()
            .all(|n| height_of(n).is_some_and(|h| h >= height))
            .then_some(())
    });
    if let Err(waited) = reached {
        // Asked with a short timeout: a stopped node must not add ten seconds to the failure.
        let heights: Vec<String> = nodes
            .iter()
            .map(|n| match height_within(n, Duration::from_secs(2)) {
                Some(h) => format!("{} at {h}", n.api),
                None => format!("{} not answering", n.api),
            })
            .collect();
        let condition = format!(
            "{what}: every node at height {height} or above (now {})",
            heights.join(", ")
        );
        panic!("{}", report(&condition, timeout, waited));
    }
}

/// The node's height, or `None` if it does not answer within `timeout`.
pub fn height_within(node: &TestNode, timeout: Duration) -> Option<u64> {
    ApiClient::with_timeout(&node.api, timeout)
        .get_reply("/status")
        .filter(|r| r.status == 200)
        .and_then(|r| r.body["height"].as_u64())
}

/// The node's height, or `None` if it does not answer.
pub fn height_of(node: &TestNode) -> Option<u64> {
    node.get("/status")
        .filter(|r| r.status == 200)
        .and_then(|r| r.body["height"].as_u64())
}
