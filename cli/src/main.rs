//! `catena`: run a node or a dev chain, manage keys and chain specs, and query a node.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use catena_chain_spec::{build_dev, build_local, peer_id, BuiltSpec};
use catena_node::{keys, now_ms, Home, LogFormat, NodeConfig, RunOptions};
use catena_primitives::{Call, SecretKey, Transaction};
use clap::{Args, Parser, Subcommand, ValueEnum};

mod bench;
mod client;
mod contract;
mod demo;
mod explorer;
mod finance;
mod governance;
use client::ApiClient;

#[derive(Parser)]
#[command(
    name = "catena",
    version,
    about = "Catena: a permissioned chain for supply-chain finance"
)]
struct Cli {
    /// The node's home directory (config.toml, chain-spec.json, keys, data).
    #[arg(long, global = true, env = "CATENA_HOME")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate or inspect ed25519 keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Build chain specs.
    #[command(subcommand, name = "chain-spec")]
    ChainSpec(SpecCommand),
    /// Create a node home from a chain spec.
    Init(InitArgs),
    /// Run a node from its home directory.
    Node(NodeArgs),
    /// Create (once) and run a one-validator dev chain with demo members and their keys.
    Dev(NodeArgs),
    /// Show the chain's tip.
    Status(QueryArgs),
    /// Show a block by height, hash, or `latest`.
    Block {
        /// Height, block hash, or `latest`.
        #[arg(default_value = "latest")]
        id: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Show a transaction and its receipt by hash.
    Tx {
        hash: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Send a signed remark (a note recorded on chain) and wait for its block.
    Remark(RemarkArgs),
    /// Validator-set governance: show, propose a change, approve.
    #[command(subcommand)]
    Governance(governance::GovernanceCommand),
    /// Deploy, call, query and show WebAssembly contracts.
    #[command(subcommand)]
    Contract(contract::ContractCommand),
    /// The consortium's members, their roles and accounts.
    #[command(subcommand)]
    Member(finance::MemberCommand),
    /// Record trade documents (contracts, deliveries, invoices, ...) and show them.
    #[command(subcommand)]
    Record(finance::RecordCommand),
    /// Receivable vouchers: request, confirm, issue, split, transfer, finance, cancel, inspect.
    #[command(subcommand)]
    Voucher(finance::VoucherCommand),
    /// Settlement cash: mint, burn, transfer, balance.
    #[command(subcommand)]
    Cash(finance::CashCommand),
    /// Tell the supply-chain-finance story on a fresh local chain, step by step, and leave it
    /// running to explore (or stop with --exit, status 0 if every step went as told).
    Demo(demo::DemoArgs),
    /// The explorer's questions: blocks, transactions, accounts, contract events.
    #[command(subcommand)]
    Query(explorer::QueryCommand),
    /// Create (once) and run a local multi-validator testnet on 127.0.0.1; Ctrl-C stops it.
    Testnet(TestnetArgs),
    /// Measure finalized transfers per second and their latency on a local 4-validator
    /// testnet, against this machine's signature-checking bound.
    Bench(bench::BenchArgs),
}

#[derive(Args)]
pub(crate) struct TestnetArgs {
    /// Number of validators.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=20))]
    validators: u16,
    /// Directory for the chain spec, keys and the validators' homes.
    #[arg(long)]
    dir: PathBuf,
    /// API port of the first validator; the others follow.
    #[arg(long, default_value_t = 8545)]
    api_port: u16,
    /// p2p port of the first validator; the others follow.
    #[arg(long, default_value_t = 30333)]
    p2p_port: u16,
    /// Block time in milliseconds (when the testnet is created).
    #[arg(long)]
    block_time_ms: Option<u64>,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Generate a new key from the operating system's random source.
    Generate {
        /// Write the key file here (mode 0600) instead of printing the secret.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show the account and peer id of a key file.
    Inspect { file: PathBuf },
}

#[derive(Subcommand)]
enum SpecCommand {
    /// Build a dev (one validator) or local (N validators) chain spec with the demo members.
    Build {
        #[arg(long, conflicts_with = "local", required_unless_present = "local")]
        dev: bool,
        /// Number of validators.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=100))]
        local: Option<u16>,
        /// Write the spec here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the demo member and validator keys into this directory.
        #[arg(long)]
        keys_dir: Option<PathBuf>,
        /// Genesis time in milliseconds since 1970 (default: now).
        #[arg(long)]
        genesis_time_ms: Option<u64>,
    },
}

#[derive(Args)]
struct InitArgs {
    /// The chain spec file.
    #[arg(long)]
    chain: PathBuf,
    /// The validator's vote-signing key file, if this node validates.
    #[arg(long)]
    validator_key: Option<PathBuf>,
    /// The node's libp2p identity key file (validators of multi-validator chains).
    #[arg(long)]
    network_key: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Args, Clone, Default)]
struct Settings {
    /// Where the HTTP API listens (overrides config.toml).
    #[arg(long, env = "CATENA_API_ADDR")]
    api_addr: Option<SocketAddr>,
    /// Where the node listens for peers, as a multiaddr (overrides config.toml).
    #[arg(long, env = "CATENA_P2P_ADDR")]
    p2p_addr: Option<String>,
    /// Log format (overrides config.toml).
    #[arg(long, env = "CATENA_LOG_FORMAT")]
    log_format: Option<LogFormatArg>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormatArg {
    Text,
    Json,
}

#[derive(Args)]
struct NodeArgs {
    #[command(flatten)]
    settings: Settings,
    /// Start a validator whose vote log (data/chains/<chain>/votes.wal) is missing. Only safe if
    /// its key signed nothing above the stored height: otherwise it could sign conflicting votes.
    #[arg(long)]
    allow_missing_vote_log: bool,
}

#[derive(Args, Clone)]
pub(crate) struct QueryArgs {
    /// The node's API (default: the home's configured API address, else http://127.0.0.1:8545).
    #[arg(long, env = "CATENA_API")]
    pub(crate) api: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) output: Output,
}

/// Who signs a transaction, and whether to wait for its block.
#[derive(Args)]
pub(crate) struct SendArgs {
    /// Act as this demo member (a key file in HOME/keys/NAME.json).
    #[arg(long = "as", conflicts_with = "key", required_unless_present = "key")]
    pub(crate) as_name: Option<String>,
    /// Sign with this key file.
    #[arg(long)]
    pub(crate) key: Option<PathBuf>,
    /// Return once the node admitted the transaction, without waiting for its block.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// Print nothing but errors (for commands that tell a story of their own).
    #[arg(skip)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) query: QueryArgs,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum Output {
    /// Readable lines and tables.
    #[value(alias = "text")]
    Table,
    Json,
}

#[derive(Args)]
struct RemarkArgs {
    /// The note to record.
    text: String,
    #[command(flatten)]
    send: SendArgs,
}

fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let home = cli.home;
    match cli.command {
        Command::Key(KeyCommand::Generate { out }) => key_generate(out),
        Command::Key(KeyCommand::Inspect { file }) => {
            let key = keys::read_key(&file)?;
            println!("account: {}", key.account());
            println!("peer id: {}", peer_id::from_ed25519(&key.account()));
            Ok(())
        }
        Command::ChainSpec(SpecCommand::Build {
            dev,
            local,
            out,
            keys_dir,
            genesis_time_ms,
        }) => {
            let time = genesis_time_ms.unwrap_or_else(now_ms);
            let built = if dev {
                build_dev(time)
            } else {
                build_local(local.map_or(1, usize::from), time)
            };
            if let Some(dir) = keys_dir {
                write_demo_keys(&built, &dir)?;
            }
            match out {
                Some(path) => {
                    std::fs::write(&path, built.spec.to_json() + "\n")
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "wrote chain spec '{}' to {}",
                        built.spec.chain_id,
                        path.display()
                    );
                }
                None => println!("{}", built.spec.to_json()),
            }
            Ok(())
        }
        Command::Init(args) => {
            let home = Home(require_home(home)?);
            init(
                &home,
                &args.chain,
                args.validator_key.as_deref(),
                args.network_key.as_deref(),
                &args.settings,
            )?;
            println!("initialised {}", home.0.display());
            Ok(())
        }
        Command::Node(args) => {
            let home = Home(require_home(home)?);
            if !home.is_initialised() {
                bail!("{} is not a node home (no chain-spec.json); run `catena init --home {} --chain SPEC` first", home.0.display(), home.0.display());
            }
            run_node(&home, &args, false)
        }
        Command::Dev(args) => {
            let home = Home(home.unwrap_or_else(default_dev_home));
            if !home.is_initialised() {
                create_dev_home(&home, &args.settings)?;
            }
            run_node(&home, &args, true)
        }
        Command::Status(query) => {
            let client = ApiClient::new(&api_url(home.as_deref(), &query));
            let value = client.get("/status")?;
            if query.output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            let status: catena_api::StatusView = serde_json::from_value(value)?;
            println!("chain:       {}", status.chain_id);
            println!("height:      {}", status.height);
            println!("block hash:  {}", status.block_hash);
            println!("state root:  {}", status.state_root);
            println!("block time:  {} ms", status.time_ms);
            println!("validators:  {}", status.validators);
            println!("mempool:     {} pending", status.mempool_size);
            Ok(())
        }
        Command::Block { id, query } => {
            let client = ApiClient::new(&api_url(home.as_deref(), &query));
            print_value(&client.get(&format!("/blocks/{id}"))?, query.output)
        }
        Command::Tx { hash, query } => {
            let client = ApiClient::new(&api_url(home.as_deref(), &query));
            print_value(&client.get(&format!("/transactions/{hash}"))?, query.output)
        }
        Command::Remark(args) => {
            send_call(
                home.as_deref(),
                &args.send,
                Call::Remark(args.text.into_bytes()),
            )?;
            Ok(())
        }
        Command::Governance(command) => governance::run(home.as_deref(), command),
        Command::Contract(command) => contract::run(home.as_deref(), command),
        Command::Member(command) => finance::member(home.as_deref(), command),
        Command::Record(command) => finance::record(home.as_deref(), command),
        Command::Voucher(command) => finance::voucher(home.as_deref(), command),
        Command::Cash(command) => finance::cash(home.as_deref(), command),
        Command::Query(command) => explorer::run(home.as_deref(), command),
        Command::Demo(args) => demo::run(args),
        Command::Testnet(args) => testnet(&args),
        Command::Bench(args) => bench::run(args),
    }
}
fn require_home(home: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    home.context("no home directory: pass --home DIR or set CATENA_HOME")
}

fn default_dev_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".catena")
        .join("dev")
}

pub(crate) fn print_value(value: &serde_json::Value, output: Output) -> anyhow::Result<()> {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(value)?),
        Output::Table => print_fields(value, 0),
    }
    Ok(())
}

/// Prints a JSON object as indented `key: value` lines.
fn print_fields(value: &serde_json::Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match value {
                    serde_json::Value::Object(_) => {
                        println!("{pad}{key}:");
                        print_fields(value, indent + 2);
                    }
                    serde_json::Value::Array(items) if items.is_empty() => {
                        println!("{pad}{key}: (none)")
                    }
                    serde_json::Value::Array(items) => {
                        println!("{pad}{key}:");
                        for item in items {
                            match item {
                                serde_json::Value::Object(_) => {
                                    println!("{pad}  -");
                                    print_fields(item, indent + 4);
                                }
                                other => println!("{pad}  - {}", scalar(other)),
                            }
                        }
                    }
                    other => println!("{pad}{key}: {}", scalar(other)),
                }
            }
        }
        other => println!("{pad}{}", scalar(other)),
    }
}

fn scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    }
}

pub(crate) fn api_url(home: Option<&Path>, query: &QueryArgs) -> String {
    if let Some(api) = &query.api {
        return api.clone();
    }
    let home = home.map(Path::to_path_buf).unwrap_or_else(default_dev_home);
    match NodeConfig::load(&Home(home).config()) {
        Ok(config) => format!("http://{}", config.api_addr),
        Err(_) => "http://127.0.0.1:8545".into(),
    }
}

fn key_generate(out: Option<PathBuf>) -> anyhow::Result<()> {
    let mut seed = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
    let key = SecretKey::from_seed(seed);
    match out {
        Some(path) => {
            keys::write_key(&path, &key)?;
            println!("wrote {}", path.display());
        }
        None => println!("secret seed: 0x{}", hex::encode(key.seed())),
    }
    println!("account: {}", key.account());
    println!("peer id: {}", peer_id::from_ed25519(&key.account()));
    Ok(())
}

fn write_demo_keys(built: &BuiltSpec, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let validator_keys = built
        .validator_keys
        .iter()
        .flat_map(|(vote, network)| [vote, network]);
    for key in built.member_keys.iter().chain(validator_keys) {
        keys::write_key(&dir.join(format!("{}.json", key.name)), &key.secret)?;
    }
    Ok(())
}

fn apply(settings: &Settings, config: &mut NodeConfig) {
    if let Some(addr) = settings.api_addr {
        config.api_addr = addr;
    }
    if let Some(addr) = &settings.p2p_addr {
        config.p2p_addr = addr.clone();
    }
    if let Some(format) = settings.log_format {
        config.log_format = match format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
}

fn init(
    home: &Home,
    spec_path: &Path,
    validator_key: Option<&Path>,
    network_key: Option<&Path>,
    settings: &Settings,
) -> anyhow::Result<()> {
    if home.is_initialised() {
        bail!(
            "{} is already a node home; refusing to overwrite it",
            home.0.display()
        );
    }
    let spec = catena_node::read_spec(spec_path)?;
    let key = validator_key.map(keys::read_key).transpose()?;
    // A validator key must be one of the spec's validators, or a member account that governance
    // may add later (the node then follows until it is added).
    let joining = match &key {
        Some(key) if spec.validator_set().contains(&key.account()) => false,
        Some(key) if spec.member_of(&key.account()).is_some() => true,
        Some(key) => bail!(
            "the validator key's account {} is neither a validator nor a member account in chain '{}'",
            key.account(),
            spec.chain_id
        ),
        None => false,
    };
    std::fs::create_dir_all(&home.0)
        .with_context(|| format!("cannot create {}", home.0.display()))?;
    let network = network_key.map(keys::read_key).transpose()?;
    let mut config = NodeConfig::default();
    if let Some(network) = &network {
        let peer_id = peer_id::from_ed25519(&network.account());
        match spec.validators.iter().find(|v| v.peer_id == peer_id) {
            // Listen where the chain spec tells the other validators to dial.
            Some(validator) => config.p2p_addr = validator.address.clone(),
            None if key.is_some() && !joining => bail!(
                "the network key's peer id {peer_id} is not a validator's in chain '{}'",
                spec.chain_id
            ),
            None => {}
        }
    }
    apply(settings, &mut config);
    std::fs::write(home.config(), config.to_toml()).context("cannot write config.toml")?;
    if let Some(key) = &key {
        keys::write_key(&home.validator_key(), key)?;
    }
    if let Some(network) = &network {
        keys::write_key(&home.network_key(), network)?;
    }
    // The spec is written last: its presence marks the home as complete.
    std::fs::write(home.spec(), spec.to_json() + "\n").context("cannot write chain-spec.json")?;
    if joining {
        eprintln!(
            "note: this key is not a validator of '{}' yet; the node follows the chain and votes once governance adds it (catena governance add-validator)",
            spec.chain_id
        );
    }
    Ok(())
}

fn create_dev_home(home: &Home, settings: &Settings) -> anyhow::Result<()> {
    let built = build_dev(now_ms());
    write_demo_keys(&built, &home.keys())?;
    let spec_path = home.keys().join("..").join("dev-chain-spec.json");
    std::fs::write(&spec_path, built.spec.to_json()).context("cannot write the dev chain spec")?;
    let validator_key = home.keys().join("validator-1.json");
    init(home, &spec_path, Some(&validator_key), None, settings)?;
    std::fs::remove_file(&spec_path).ok();
    Ok(())
}

fn init_logging(format: LogFormat) {
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

fn run_node(home: &Home, args: &NodeArgs, dev_banner: bool) -> anyhow::Result<()> {
    let settings = &args.settings;
    let mut config = NodeConfig::load(&home.config())?;
    apply(settings, &mut config);
    init_logging(config.log_format);
    let spec = home.load_spec()?;
    let validator_key = match home.validator_key() {
        path if path.exists() => Some(keys::read_key(&path)?),
        _ => None,
    };
    let network_key = match home.network_key() {
        path if path.exists() => Some(keys::read_key(&path)?),
        _ => None,
    };
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(catena_node::run(
        RunOptions {
            home: home.clone(),
            config,
            spec,
            validator_key,
            network_key,
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
            }
        },
    ))?;
    Ok(())
}

async fn shutdown_signal() {
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

/// The key file of demo identity `name` (HOME/keys/NAME.json), if there is one.
pub(crate) fn demo_key_file(home: Option<&Path>, name: &str) -> PathBuf {
    let home = home.map(Path::to_path_buf).unwrap_or_else(default_dev_home);
    Home(home).keys().join(format!("{name}.json"))
}

/// The key of demo identity `name`, if the home has it.
pub(crate) fn demo_identity(home: Option<&Path>, name: &str) -> Option<SecretKey> {
    let file = demo_key_file(home, name);
    file.exists().then(|| keys::read_key(&file).ok()).flatten()
}

/// The key that signs: `--key FILE`, or the demo identity `--as NAME`.
pub(crate) fn signing_key(home: Option<&Path>, args: &SendArgs) -> anyhow::Result<SecretKey> {
    match (&args.as_name, &args.key) {
        (_, Some(file)) => Ok(keys::read_key(file)?),
        (Some(name), None) => keys::read_key(&demo_key_file(home, name))
            .with_context(|| format!("no demo identity '{name}'")),
        (None, None) => bail!("pass --as NAME or --key FILE"),
    }
}

/// Signs `call` as the chosen identity at its next nonce, submits it, and (unless `--no-wait`)
/// waits for its block. Returns the committed transaction, or `None` with `--no-wait`; a call
/// that failed in its block is an error with the runtime's reason.
pub(crate) fn send_call(
    home: Option<&Path>,
    args: &SendArgs,
    call: Call,
) -> anyhow::Result<Option<catena_api::TransactionView>> {
    let key = signing_key(home, args)?;
    let client = ApiClient::new(&api_url(home, &args.query));
    let status = client.status()?;
    if let Call::ProposeValidatorChange(proposal) = &call {
        governance::check_height(proposal.from_height, status.height)?;
    }
    let account = client.account(&key.account())?;
    let tx = Transaction::signed(&status.chain_id, account.next_nonce, call, &key);
    let hash = client.submit(&tx)?;
    if !args.quiet {
        println!("submitted {hash}");
    }
    if args.no_wait {
        return Ok(None);
    }
    // A spinner on a terminal while the block is coming (indicatif draws nothing otherwise).
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message("waiting for its block");
    spinner.enable_steady_tick(Duration::from_millis(120));
    let view = client.wait_committed(hash, Duration::from_secs(60));
    spinner.finish_and_clear();
    let view = view?;
    match &view.receipt {
        Some(receipt) if !receipt.success => {
            bail!(
                "transaction failed in block {}: {}",
                view.block_height.unwrap_or(0),
                receipt.error.clone().unwrap_or_default()
            )
        }
        _ if args.quiet => {}
        _ => println!("committed in block {}", view.block_height.unwrap_or(0)),
    }
    Ok(Some(view))
}

fn testnet(args: &TestnetArgs) -> anyhow::Result<()> {
    let children = start_testnet(args, true)?;
    println!(
        "Testnet of {} validators running; Ctrl-C stops it.",
        args.validators
    );
    wait_for_ctrl_c()?;
    stop_children(children);
    println!("Testnet stopped.");
    Ok(())
}

/// A new directory name for a run of `kind` (demo, bench): ~/.catena/KIND/<now in ms>.
pub(crate) fn fresh_run_dir(kind: &str) -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".catena")
        .join(kind)
        .join(now_ms().to_string())
}

/// Makes `dir` for a fresh run of `what` (the demo, the bench), refusing one that holds files.
pub(crate) fn empty_run_dir(dir: &Path, what: &str) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: {what}", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Waits (up to 120 s) for the chain behind `client` to commit its first block; its status.
pub(crate) fn wait_first_block(
    client: &client::ApiClient,
    dir: &Path,
) -> anyhow::Result<catena_api::StatusView> {
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

/// Waits for Ctrl-C (or SIGTERM).
pub(crate) fn wait_for_ctrl_c() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(shutdown_signal());
    Ok(())
}

/// Stops node processes with SIGTERM and waits for them.
pub(crate) fn stop_children(children: Vec<std::process::Child>) {
    for child in &children {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
    }
    for mut child in children {
        let _ = child.wait();
    }
}

/// Creates (once) and starts the validators of a local testnet; returns their processes.
pub(crate) fn start_testnet(
    args: &TestnetArgs,
    verbose: bool,
) -> anyhow::Result<Vec<std::process::Child>> {
    start_testnet_with(args, verbose, &|_| {})
}

/// [`start_testnet`], with `customize` applied to a new testnet's chain spec before it is
/// written.
pub(crate) fn start_testnet_with(
    args: &TestnetArgs,
    verbose: bool,
    customize: &dyn Fn(&mut BuiltSpec),
) -> anyhow::Result<Vec<std::process::Child>> {
    let dir = &args.dir;
    let spec_path = dir.join("chain-spec.json");
    let n = usize::from(args.validators);
    if !spec_path.exists() {
        let mut built = catena_chain_spec::build_local_at(n, now_ms(), args.p2p_port);
        if let Some(block_time) = args.block_time_ms {
            built.spec.parameters.block_time_ms = block_time;
        }
        customize(&mut built);
        write_demo_keys(&built, &dir.join("keys"))?;
        std::fs::write(&spec_path, built.spec.to_json() + "\n")
            .context("cannot write the chain spec")?;
        for i in 1..=n {
            let settings = Settings {
                api_addr: Some(SocketAddr::from((
                    [127, 0, 0, 1],
                    args.api_port + i as u16 - 1,
                ))),
                ..Settings::default()
            };
            let keys = dir.join("keys");
            init(
                &Home(dir.join(format!("node-{i}"))),
                &spec_path,
                Some(&keys.join(format!("validator-{i}.json"))),
                Some(&keys.join(format!("validator-{i}-network.json"))),
                &settings,
            )?;
        }
    }
    let exe = std::env::current_exe().context("cannot find the catena binary")?;
    let mut children = Vec::new();
    for i in 1..=n {
        let home = dir.join(format!("node-{i}"));
        let log = std::fs::File::create(dir.join(format!("node-{i}.log")))
            .context("cannot create a log file")?;
        let child = node_process(&exe)
            .args(["node", "--home"])
            .arg(&home)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start a validator")?;
        let config = NodeConfig::load(&Home(home).config())?;
        if verbose {
            println!(
                "validator {i}: API http://{}  (pid {}, log {}/node-{i}.log)",
                config.api_addr,
                child.id(),
                dir.display()
            );
        }
        children.push(child);
    }
    Ok(children)
}

/// A `catena` node process this command starts (testnet, demo, bench). glibc's malloc gives
/// threads arenas of their own (up to 8 per core) and keeps what is freed in each; with a node's
/// threads (tokio, RocksDB's C++ side, block execution) resident memory kept rising under load.
/// Two arenas keep it bounded (docs/performance.md); an operator's own setting is kept.
pub(crate) fn node_process(exe: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(exe);
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        command.env("MALLOC_ARENA_MAX", "2");
    }
    command
}
