//! `catena`: run a node or a dev chain, manage keys and chain specs, and query a node.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use catena_chain_spec::{build_dev, build_named, peer_id, BuiltSpec};
use catena_node::{keys, now_ms, Home, LogFormat, NodeConfig, RunOptions};
use catena_primitives::{Call, SecretKey, Transaction};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// jemalloc instead of glibc's malloc: the node allocates and frees small buffers on every
/// transaction's path, from many threads. Its options are built in (`.cargo/config.toml`; ADR
/// 0048).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod backup;
mod chains;
mod contract;
mod demo;
mod evidence;
mod explorer;
mod finance;
mod governance;
use catena_client::ApiClient;

mod blocks;
#[cfg(test)]
mod docs_check;
mod key;
mod node;
mod output;
mod parachain;
mod send;
mod testnet;
use key::*;
use node::*;
use output::*;
use send::*;
use testnet::*;

#[derive(Parser)]
#[command(
    name = "catena",
    version,
    long_version = long_version(),
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
    /// The chains a node hosts: add one to a home, list a node's.
    #[command(subcommand)]
    Chain(chains::ChainCommand),
    /// Run a node from its home directory, made first by `catena init` (or `catena dev` for a
    /// one-validator dev chain).
    Node(NodeArgs),
    /// Copy a stopped node's stores into one file (never its vote logs or signing marks).
    Backup(backup::BackupArgs),
    /// Replace a stopped node's stores with a backup's, keeping its vote logs and signing marks.
    Restore(backup::RestoreArgs),
    /// A stopped node's certified blocks: export them to a file, import them into another node.
    #[command(subcommand)]
    Blocks(blocks::BlocksCommand),
    /// Delete a stopped node's stores (keeping its vote logs, signing marks, keys and config):
    /// it syncs its chains again from its peers when it starts.
    Purge(backup::PurgeArgs),
    /// Parachains on the main chain: register one, list them, show one, page its anchors.
    #[command(subcommand)]
    Parachain(parachain::ParachainCommand),
    /// Create (once) and run a one-validator dev chain with demo members and their keys.
    Dev(NodeArgs),
    /// Show the chain's tip.
    Status(QueryArgs),
    /// Show a block by height, hash, or `latest`.
    Block(explorer::BlockArgs),
    /// Show a transaction and its receipt by hash.
    Tx(explorer::TxArgs),
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
    /// Evidence bundles for a court: export a voucher's or a record's, verify one offline.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// An invoice's claim for a parachain on the main chain: claim, release, show.
    #[command(subcommand)]
    Invoice(finance::InvoiceCommand),
    /// Receivable vouchers: request, confirm, issue, split, transfer, finance, cancel, inspect.
    #[command(subcommand)]
    Voucher(finance::VoucherCommand),
    /// Settlement cash: mint, burn, transfer, balance.
    #[command(subcommand)]
    Cash(finance::CashCommand),
    /// The loan ledger: apply, approve, repay, enforce, show, list, and a member's data-credit
    /// limit.
    #[command(subcommand)]
    Loan(finance::LoanCommand),
    /// Warehouse receipts: issue, goods in and out, split, transfer, pledge for a loan, release
    /// goods, show, list.
    #[command(subcommand)]
    Receipt(finance::ReceiptCommand),
    /// Prepayment (order) financing: finance a purchase order, secure it by the goods' receipt,
    /// the seller's buy-back.
    #[command(subcommand)]
    Order(finance::OrderCommand),
    /// What auditors may read on a members-only chain: grants by members and by the quorum.
    #[command(subcommand)]
    Audit(finance::AuditCommand),
    /// Tell the supply-chain-finance story on a fresh local chain, step by step, and leave it
    /// running to explore (or stop with --exit, status 0 if every step went as told).
    Demo(demo::DemoArgs),
    /// The explorer's questions: blocks, transactions, accounts, contract events.
    #[command(subcommand)]
    Query(explorer::QueryCommand),
    /// Create (once) and run a local multi-validator testnet on 127.0.0.1; Ctrl-C stops it.
    Testnet(TestnetArgs),
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
        /// With --local: the chain's id (default catena-local). Any other id gives the chain
        /// validator keys of its own (`<id>-validator-<i>`), for a second chain on the same
        /// nodes.
        #[arg(long, requires = "local")]
        chain_id: Option<String>,
        /// With --local: the first validator's p2p port (default 30333).
        #[arg(long, requires = "local")]
        first_port: Option<u16>,
        /// With --local: make the chain a parachain of the main chain whose spec this is (its
        /// id, genesis hash and genesis validators go into the spec's `parachain` section).
        #[arg(long, requires = "local")]
        parachain_of: Option<PathBuf>,
        /// With --local: only these demo members (comma-separated key names, such as
        /// huaxia-motors,tier1-steel,merchant-bank), for a chain of part of the consortium; the
        /// validators are run by them.
        #[arg(long, requires = "local", value_delimiter = ',')]
        members: Vec<String>,
        /// Register the parachain of this spec file at genesis (repeatable): the parachain's
        /// genesis hash, members and validators go into this spec, and this chain goes into
        /// that file's `parachain` section (its period kept, else every 10 blocks and 10 s).
        #[arg(long, requires = "out", conflicts_with = "parachain_of")]
        register_parachain: Vec<PathBuf>,
        /// With --parachain-of: anchor every this many blocks …
        #[arg(long, requires = "parachain_of", default_value_t = 10)]
        anchor_every_blocks: u64,
        /// … and at least this often (milliseconds).
        #[arg(long, requires = "parachain_of", default_value_t = 10_000)]
        anchor_every_ms: u64,
        /// A main chain's: commit the check value of the consortium's invoice key in this file
        /// (`catena key generate-invoice-key`); its parachains' nodes then need the key.
        #[arg(long, conflicts_with = "parachain_of")]
        invoice_key: Option<PathBuf>,
    },
    /// Check a chain spec file: every problem, each naming its field (exit 2), or what it is.
    Validate {
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
}

#[derive(Args)]
struct RemarkArgs {
    /// The note to record.
    text: String,
    #[command(flatten)]
    send: SendArgs,
}

/// `catena --version`: the version, the commit it was built from, and the SHA-256 of each
/// contract artifact built in (what a genesis names; operators compare them across nodes).
fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let mut text = format!(
            "{}\ncommit {}\ncontract artifacts:",
            env!("CARGO_PKG_VERSION"),
            env!("CATENA_COMMIT")
        );
        for (name, code) in catena_chain_spec::artifacts::EMBEDDED {
            text.push_str(&format!(
                "\n  {name:<14} {}",
                catena_primitives::Hash::digest(code)
            ));
        }
        text
    })
}

/// The exit codes (docs/cli.md): what a script can tell apart.
mod exit {
    /// Refused: by the chain (a transaction refused at admission, or failing in its block), or
    /// by a check (an evidence bundle that does not verify).
    pub const REFUSED: i32 = 1;
    /// Bad input: arguments or files the command cannot use, or something named that is not
    /// there (clap's own usage errors are 2 as well).
    pub const BAD_INPUT: i32 = 2;
    /// The node could not be reached, or did not answer in time.
    pub const UNREACHABLE: i32 = 3;
    /// The node answered with a failure of its own (5xx), or the command failed otherwise.
    pub const FAILED: i32 = 4;
}

/// The exit code of `error`, by the first cause that says.
fn exit_code(error: &anyhow::Error) -> i32 {
    for cause in error.chain() {
        if cause.downcast_ref::<Refused>().is_some() {
            return exit::REFUSED;
        }
        match cause.downcast_ref::<catena_client::NodeError>() {
            Some(catena_client::NodeError::Unreachable { .. }) => return exit::UNREACHABLE,
            Some(catena_client::NodeError::Answered { status, .. }) if *status >= 500 => {
                return exit::FAILED
            }
            Some(catena_client::NodeError::Answered { .. }) => return exit::BAD_INPUT,
            None => {}
        }
        if cause.downcast_ref::<std::io::Error>().is_some() && disk_full(&cause.to_string()) {
            return exit::FAILED;
        }
    }
    exit::BAD_INPUT
}

fn main() {
    // A reader that stops reading (`catena … | head`) ends the output, not in a panic: printing
    // to a closed pipe exits quietly, as other command-line tools do.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.to_string();
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    if let Err(error) = run(cli) {
        let message = said(&error);
        eprintln!("error: {message}");
        if disk_full(&message) {
            eprintln!("{DISK_FULL}");
        }
        std::process::exit(exit_code(&error));
    }
}

/// What a node stopped by a full disk tells its operator.
const DISK_FULL: &str = "The disk is full: no space left on the device. The node stopped rather \
than go on without writing. Free space (or move its home to a larger disk) and start it again: \
every transaction it answered 202 is in its journal and will be committed, and its vote log and \
signing mark keep it from signing anything twice.";

/// Whether an error comes from a full disk (or a full quota), however the layer below put it:
/// the operating system's own words, or RocksDB's.
fn disk_full(message: &str) -> bool {
    [
        "No space left on device",
        "os error 28",
        "Disk quota exceeded",
        "os error 122",
    ]
    .iter()
    .any(|sign| message.contains(sign))
}

/// An error and its causes in one line, each cause said once: a cause whose words the message
/// already carries (most of ours name their source) is not repeated.
fn said(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if message.is_empty() {
            message = text;
        } else if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
    }
    message
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let home = cli.home;
    match cli.command {
        Command::Key(KeyCommand::Generate { out, output }) => key_generate(out, output),
        Command::Key(KeyCommand::GenerateInvoiceKey { out }) => key::generate_invoice_key(&out),
        Command::Key(KeyCommand::SignIn {
            challenge,
            as_name,
            key,
            output,
        }) => key::sign_in(
            home.as_deref(),
            &challenge,
            as_name.as_deref(),
            key.as_deref(),
            output,
        ),
        Command::Key(KeyCommand::Inspect { file, output }) => key::key_inspect(&file, output),
        Command::ChainSpec(SpecCommand::Validate { file, output }) => {
            let spec = catena_node::read_spec(&file)?;
            let genesis = parachain::genesis_hash_of(&spec)?;
            let value = serde_json::json!({
                "valid": true,
                "chain_id": spec.chain_id,
                "genesis_hash": genesis.to_string(),
                "validators": spec.validators.len(),
                "members": spec.members.len(),
                "parachain_of": spec.parachain.as_ref().map(|p| p.main_chain_id.clone()),
            });
            if output == Output::Json {
                return print_value(&value, output);
            }
            println!(
                "{}: a valid spec of chain '{}' (genesis {genesis}), {} validators, {} members",
                file.display(),
                spec.chain_id,
                spec.validators.len(),
                spec.members.len()
            );
            Ok(())
        }
        Command::ChainSpec(SpecCommand::Build {
            dev,
            local,
            out,
            keys_dir,
            genesis_time_ms,
            chain_id,
            first_port,
            parachain_of,
            members,
            register_parachain,
            anchor_every_blocks,
            anchor_every_ms,
            invoice_key,
        }) => {
            let time = genesis_time_ms.unwrap_or_else(now_ms);
            let mut built = if dev {
                build_dev(time)
            } else {
                let id = chain_id.as_deref().unwrap_or("catena-local");
                build_named(
                    id,
                    local.map_or(1, usize::from),
                    time,
                    first_port.unwrap_or(30_333),
                )
            };
            if !members.is_empty() {
                let names: Vec<&str> = members.iter().map(String::as_str).collect();
                built.keep_members(&names).map_err(anyhow::Error::msg)?;
            }
            if let Some(main_path) = parachain_of {
                let main = catena_node::read_spec(&main_path)?;
                built.spec.parachain = Some(catena_chain_spec::ParachainSection {
                    main_genesis_hash: parachain::genesis_hash_of(&main)?,
                    main_chain_id: main.chain_id,
                    main_validators: main.validators.iter().map(|v| v.account).collect(),
                    anchor_every_blocks,
                    anchor_every_ms,
                });
            }
            if let Some(path) = invoice_key {
                built.spec.invoice_key_check = Some(keys::read_invoice_key(&path)?.check());
            }
            let parachains = parachain::register_at_genesis(&mut built.spec, &register_parachain)?;
            if let Err(errors) = built.spec.validate() {
                let said: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect();
                bail!("the chain spec would be invalid: {}", said.join("; "));
            }
            if !parachains.is_empty() {
                // Genesis checks each registration as the quorum's would: refused, nothing is
                // written.
                parachain::genesis_hash_of(&built.spec)?;
            }
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
                    parachain::name_main_chain(&built.spec, parachains)?;
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
            if args.output == Output::Json {
                let spec = home.load_spec()?;
                return print_value(
                    &serde_json::json!({ "home": home.0.display().to_string(),
                        "chain_id": spec.chain_id }),
                    args.output,
                );
            }
            println!("initialised {}", home.0.display());
            Ok(())
        }
        Command::Chain(command) => chains::run(home.as_deref(), command),
        Command::Parachain(command) => parachain::run(home.as_deref(), command),
        Command::Node(args) => {
            let home = Home(require_home(home)?);
            if !home.is_initialised() {
                bail!("{} is not a node home (no chain-spec.json); run `catena init --home {} --chain SPEC` first", home.0.display(), home.0.display());
            }
            run_node(&home, &args, false)
        }
        Command::Backup(args) => backup::backup(&Home(require_home(home)?), &args),
        Command::Restore(args) => backup::restore(&Home(require_home(home)?), &args),
        Command::Blocks(command) => blocks::run(&Home(require_home(home)?), command),
        Command::Purge(args) => backup::purge(&Home(require_home(home)?), &args),
        Command::Dev(args) => {
            let home = Home(home.unwrap_or_else(default_dev_home));
            if !home.is_initialised() {
                create_dev_home(&home, &args.settings)?;
            } else if args.settings.api_addr.is_some() || args.settings.p2p_addr.is_some() {
                // A dev home keeps the addresses it last ran at, so that the commands run with
                // `--home` (which read config.toml) find the node where it now listens.
                let mut config = NodeConfig::load(&home.config())?;
                args.settings.home_settings().apply(&mut config);
                std::fs::write(home.config(), config.to_toml())
                    .with_context(|| format!("cannot write {}", home.config().display()))?;
            }
            run_node(&home, &args, true)
        }
        Command::Status(query) => {
            let client = query.client(home.as_deref())?;
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
            println!("block time:  {}", finance::time_text(status.time_ms));
            println!("validators:  {}", status.validators);
            println!("mempool:     {} pending", status.mempool_size);
            println!("role:        {}", status.role);
            println!("peers:       {}", status.peers);
            let behind = match (status.sync_lag, status.catch_up_blocks_per_s) {
                (0, _) => "at the tip".to_string(),
                (lag, Some(rate)) => format!("{lag} behind, catching up at {rate:.0} blocks/s"),
                (lag, None) => format!("{lag} behind"),
            };
            println!("heard of:    {} ({behind})", status.heard_height);
            if status.forwarding > 0 {
                println!(
                    "forwarding:  {} transactions sent again until included",
                    status.forwarding
                );
            }
            if let Some(problem) = &status.problem {
                println!("problem:     {problem}");
            }
            Ok(())
        }
        Command::Block(args) => explorer::show_block(home.as_deref(), args),
        Command::Tx(args) => explorer::show_tx(home.as_deref(), args),
        Command::Remark(args) => send_call(
            home.as_deref(),
            &args.send,
            Call::Remark(args.text.into_bytes()),
        )?
        .report(&args.send, "", serde_json::json!({})),
        Command::Governance(command) => governance::run(home.as_deref(), command),
        Command::Contract(command) => contract::run(home.as_deref(), command),
        Command::Member(command) => finance::member(home.as_deref(), command),
        Command::Record(command) => finance::record(home.as_deref(), command),
        Command::Voucher(command) => finance::voucher(home.as_deref(), command),
        Command::Invoice(command) => finance::invoice(home.as_deref(), command),
        Command::Evidence(command) => evidence::run(home.as_deref(), command),
        Command::Cash(command) => finance::cash(home.as_deref(), command),
        Command::Loan(command) => finance::loan(home.as_deref(), command),
        Command::Receipt(command) => finance::receipt(home.as_deref(), command),
        Command::Order(command) => finance::order(home.as_deref(), command),
        Command::Audit(command) => finance::audit(home.as_deref(), command),
        Command::Query(command) => explorer::run(home.as_deref(), command),
        Command::Demo(args) => demo::run(args),
        Command::Testnet(args) => testnet(&args),
    }
}

#[cfg(test)]
mod tests {
    /// Every command's arguments are well formed: no flag given twice (a flattened group
    /// repeating a command's own flag), every conflict naming a flag that exists.
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn a_full_disk_is_recognised_in_the_words_of_the_os_and_of_rocksdb() {
        for message in [
            "the consensus driver stopped: log /h/signing/c.json: No space left on device (os error 28)",
            "database error: IO error: No space left on device: While appending to file: 000004.log",
            "cannot write: Disk quota exceeded (os error 122)",
        ] {
            assert!(super::disk_full(message), "{message}");
        }
        assert!(!super::disk_full("database error: Corruption: bad block"));
    }
}
