//! `catena testnet`: a local multi-validator network of node processes, and the run directories and waits the demo and the bench share.

use super::*;
use catena_launcher::network::LocalNetwork;

#[derive(Args)]
pub(crate) struct TestnetArgs {
    /// Number of validators.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub(crate) validators: u16,
    /// Number of followers: members' nodes without a validator key that sync, serve the API
    /// and forward transactions (ports after the validators').
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=20))]
    pub(crate) followers: u16,
    /// Directory for the chain spec, keys and the validators' homes.
    #[arg(long)]
    pub(crate) dir: PathBuf,
    /// API port of the first validator; the other nodes follow.
    #[arg(long, default_value_t = 8545)]
    pub(crate) api_port: u16,
    /// p2p port of the first validator; the other nodes follow.
    #[arg(long, default_value_t = 30333)]
    pub(crate) p2p_port: u16,
    /// Block time in milliseconds (when the testnet is created).
    #[arg(long)]
    pub(crate) block_time_ms: Option<u64>,
    /// Chains every node hosts (when the testnet is created): `catena-local`, then
    /// `catena-local-2` and so on, each with validator keys of its own and its own p2p ports
    /// (after the previous chain's), served under /chains/ID/.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=8))]
    pub(crate) chains: u16,
}

pub(crate) fn testnet(args: &TestnetArgs) -> anyhow::Result<()> {
    let children = start_testnet(args, true)?;
    let followers = match args.followers {
        0 => String::new(),
        1 => " and 1 follower".to_string(),
        n => format!(" and {n} followers"),
    };
    println!(
        "Testnet of {} validators{followers} running; Ctrl-C stops it.",
        args.validators
    );
    wait_for_ctrl_c()?;
    stop_children(children);
    println!("Testnet stopped.");
    Ok(())
}

pub(crate) use catena_launcher::network::{
    empty_run_dir, fresh_run_dir, node_process, stop_children, wait_first_block,
};

impl TestnetArgs {
    pub(crate) fn network(&self) -> LocalNetwork {
        LocalNetwork {
            dir: self.dir.clone(),
            validators: self.validators,
            followers: self.followers,
            api_port: self.api_port,
            p2p_port: self.p2p_port,
            block_time_ms: self.block_time_ms,
            hosts: Vec::new(),
            chains: self.chains,
            chain_ids: Vec::new(),
            chain_validators: Vec::new(),
            parachains: None,
            invoice_key: None,
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

/// Creates (once) and starts the validators of a local testnet; returns their processes.
pub(crate) fn start_testnet(
    args: &TestnetArgs,
    verbose: bool,
) -> anyhow::Result<Vec<std::process::Child>> {
    start_network(&args.network(), verbose, &|_, _| {})
}

/// Starts `network` (created first if new) with `customize` applied to each new chain spec,
/// given the chain's number. The nodes run this very binary.
pub(crate) fn start_network(
    network: &LocalNetwork,
    verbose: bool,
    customize: &dyn Fn(u16, &mut BuiltSpec),
) -> anyhow::Result<Vec<std::process::Child>> {
    let exe = std::env::current_exe().context("cannot find the catena binary")?;
    let started = network.start_chains(&exe, customize)?;
    Ok(started
        .into_iter()
        .enumerate()
        .map(|(i, node)| {
            if verbose {
                let i = i as u16 + 1;
                let role = network.node_name(i);
                println!(
                    "{role}: API {}  (pid {}, log {})",
                    node.api,
                    node.child.id(),
                    node.log.display()
                );
                for k in 2..=network.chains {
                    let id = network.chain_id(k);
                    println!("  chain '{id}': API {}/chains/{id}", node.api);
                }
            }
            node.child
        })
        .collect())
}
