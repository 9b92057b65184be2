//! `catena init`, `catena node` and `catena dev`: node homes, and running a node in this process.

use super::*;
use catena_node::init::{init_home, HomeSettings, NetworkKey, NodeRole};

#[derive(Args)]
pub(crate) struct InitArgs {
    /// The chain spec file.
    #[arg(long)]
    pub(crate) chain: PathBuf,
    /// The validator's vote-signing key file, if this node validates; without it the node
    /// follows the chain without voting.
    #[arg(long)]
    pub(crate) validator_key: Option<PathBuf>,
    /// The node's libp2p identity key file: a validator's must have the peer id the chain spec
    /// lists; any other node gets a new one if none is given.
    #[arg(long)]
    pub(crate) network_key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) settings: Settings,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) output: Output,
}

#[derive(Args, Clone, Default)]
pub(crate) struct Settings {
    /// Where the HTTP API listens (overrides config.toml).
    #[arg(long, env = "CATENA_API_ADDR")]
    pub(crate) api_addr: Option<SocketAddr>,
    /// Where the node listens for peers, as a multiaddr (overrides config.toml).
    #[arg(long, env = "CATENA_P2P_ADDR")]
    pub(crate) p2p_addr: Option<String>,
    /// Log format (overrides config.toml).
    #[arg(long, env = "CATENA_LOG_FORMAT")]
    pub(crate) log_format: Option<LogFormatArg>,
    /// The data directory, relative to the home unless absolute (overrides config.toml).
    #[arg(long, env = "CATENA_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Pending transactions kept at most (overrides config.toml).
    #[arg(long, env = "CATENA_MEMPOOL_CAPACITY")]
    pub(crate) mempool_capacity: Option<usize>,
    /// Requests a second the API answers from one client address (overrides config.toml).
    #[arg(long, env = "CATENA_API_REQUESTS_PER_SECOND")]
    pub(crate) api_requests_per_second: Option<u32>,
    /// Every chain's API answers only members' signed requests (overrides config.toml).
    #[arg(long, env = "CATENA_SIGNED_READS")]
    pub(crate) signed_reads: Option<bool>,
    /// Serve the API over TLS with this certificate chain (PEM; with --api-tls-key).
    #[arg(long, env = "CATENA_API_TLS_CERT", requires = "api_tls_key")]
    pub(crate) api_tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM; with --api-tls-cert).
    #[arg(long, env = "CATENA_API_TLS_KEY", requires = "api_tls_cert")]
    pub(crate) api_tls_key: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LogFormatArg {
    Text,
    Json,
}

#[derive(Args)]
pub(crate) struct NodeArgs {
    #[command(flatten)]
    pub(crate) settings: Settings,
    /// Start a validator whose vote log (data/chains/<chain>/votes.wal) is missing. Only safe if
    /// its key signed nothing above the stored height: otherwise it could sign conflicting votes.
    #[arg(long)]
    pub(crate) allow_missing_vote_log: bool,
    /// A new node (holding only genesis) takes the state of a recent certified block from its
    /// peers, checked against its state root, instead of replaying every block (also
    /// `state_sync = true` in config.toml).
    #[arg(long, env = "CATENA_STATE_SYNC")]
    pub(crate) state_sync: bool,
    /// Print the configuration the node would run with (config.toml, then the environment,
    /// then flags) and exit.
    #[arg(long)]
    pub(crate) print_config: bool,
}

pub(crate) fn require_home(home: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    home.context("no home directory: pass --home DIR or set CATENA_HOME")
}

pub(crate) fn default_dev_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".catena")
        .join("dev")
}

pub(crate) fn write_demo_keys(built: &BuiltSpec, dir: &Path) -> anyhow::Result<()> {
    Ok(catena_node::init::write_demo_keys(built, dir)?)
}

impl Settings {
    pub(crate) fn home_settings(&self) -> HomeSettings {
        HomeSettings {
            api_addr: self.api_addr,
            p2p_addr: self.p2p_addr.clone(),
            log_format: self.log_format.map(|format| match format {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            }),
            data_dir: self.data_dir.clone(),
            mempool_capacity: self.mempool_capacity,
            api_requests_per_second: self.api_requests_per_second,
            signed_reads: self.signed_reads,
            state_sync: None,
            api_tls: match (&self.api_tls_cert, &self.api_tls_key) {
                (Some(cert), Some(key)) => Some(catena_node::config::ApiTls {
                    cert_file: cert.clone(),
                    key_file: key.clone(),
                }),
                _ => None,
            },
        }
    }
}

/// `catena init`: a node home, with a note on what the node does and, for a node that is not
/// one of the spec's validators, the peer id its member registers.
pub(crate) fn init(
    home: &Home,
    spec_path: &Path,
    validator_key: Option<&Path>,
    network_key: Option<&Path>,
    settings: &Settings,
) -> anyhow::Result<()> {
    let validator_key = validator_key.map(keys::read_key).transpose()?;
    // A validator of a multi-validator chain is dialled at the peer id its spec names: without
    // that network key the node could not take part, which is said now, before any file is
    // written.
    if let (Some(key), None) = (&validator_key, network_key) {
        let spec = catena_node::read_spec(spec_path)?;
        if spec.validators.len() > 1 {
            if let Some(v) = spec.validators.iter().find(|v| v.account == key.account()) {
                bail!(
                    "this validator key is validator {} of the {}-validator chain '{}', whose spec \
                     names its network peer id {}: pass that network key with --network-key FILE \
                     (chain-spec build --keys-dir wrote it beside the validator key)",
                    v.account,
                    spec.validators.len(),
                    spec.chain_id,
                    v.peer_id
                );
            }
        }
    }
    let network_key = match network_key {
        Some(path) => NetworkKey::Given(keys::read_key(path)?),
        None => NetworkKey::Generated(crate::key::generate()),
    };
    let made = init_home(
        home,
        spec_path,
        validator_key,
        network_key,
        &settings.home_settings(),
    )?;
    let chain_id = home.load_spec()?.chain_id;
    match made.role {
        NodeRole::Validator => {}
        NodeRole::Joining => eprintln!(
            "note: this key is not a validator of '{chain_id}' yet; the node follows the chain and votes once governance adds it (catena governance add-validator)"
        ),
        NodeRole::Follower => eprintln!(
            "note: no validator key: this node follows '{chain_id}' without voting, serving the API and forwarding transactions to the validators"
        ),
    }
    if let (Some(peer_id), NodeRole::Joining | NodeRole::Follower) = (&made.peer_id, made.role) {
        let origin = if made.generated {
            "new network key"
        } else {
            "network key"
        };
        eprintln!(
            "{origin} {}: peer id {peer_id}",
            home.network_key().display()
        );
        eprintln!(
            "the validators admit this node once its member registers it: catena member register-node {peer_id} --key MEMBER_KEY"
        );
    }
    Ok(())
}

pub(crate) fn create_dev_home(home: &Home, settings: &Settings) -> anyhow::Result<()> {
    let built = build_dev(now_ms());
    write_demo_keys(&built, &home.keys())?;
    let spec_path = home.keys().join("..").join("dev-chain-spec.json");
    std::fs::write(&spec_path, built.spec.to_json()).context("cannot write the dev chain spec")?;
    let validator_key = home.keys().join("validator-1.json");
    init(home, &spec_path, Some(&validator_key), None, settings)?;
    std::fs::remove_file(&spec_path).ok();
    Ok(())
}

pub(crate) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CATENA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

pub(crate) fn run_node(home: &Home, args: &NodeArgs, dev_banner: bool) -> anyhow::Result<()> {
    let settings = &args.settings;
    let mut config = NodeConfig::load(&home.config())?;
    settings.home_settings().apply(&mut config);
    config.state_sync |= args.state_sync;
    if args.print_config {
        print!("{}", config.to_toml());
        return Ok(());
    }
    init_logging(config.log_format);
    let chains = home.chain_options(&config)?;
    let spec = chains[0].spec.clone();
    let members: Vec<(String, String, String)> = spec
        .members
        .iter()
        .flat_map(|m| {
            let roles = m
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(",");
            m.accounts
                .iter()
                .map(move |a| (m.name.clone(), roles.clone(), a.to_string()))
        })
        .collect();
    let home_dir = home.0.clone();
    const CONTRACT_THREAD_STACK_BYTES: usize = 8 << 20;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Contracts run on these threads: room for every nested call's native stack limit
        // (catena_abi::MAX_WASM_STACK_BYTES × MAX_CALL_DEPTH) and the node's own frames.
        .thread_stack_size(CONTRACT_THREAD_STACK_BYTES)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(catena_node::run(
        RunOptions {
            home: home.clone(),
            config,
            chains,
            allow_missing_vote_log: args.allow_missing_vote_log,
        },
        shutdown_signal(),
        move |started| {
            if dev_banner {
                println!(
                    "Catena dev chain '{}' is running (height {}).",
                    started.chain_id, started.height
                );
                println!("  API:   http://{}", started.api_addr);
                println!("  Home:  {}", home_dir.display());
                println!("  Demo accounts (keys in {}/keys):", home_dir.display());
                for (name, roles, account) in &members {
                    println!("    {name:<36} {roles:<10} {account}");
                }
                println!("  Try:   catena status --api http://{}", started.api_addr);
                println!(
                    "Press Ctrl-C to stop; run `catena dev` again to continue the same chain."
                );
            } else {
                println!(
                    "node running: chain '{}', API http://{}",
                    started.chain_id, started.api_addr
                );
                for other in &started.chains[1..] {
                    println!(
                        "node running: chain '{other}', API http://{}/chains/{other}",
                        started.api_addr
                    );
                }
            }
        },
    ))?;
    Ok(())
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
