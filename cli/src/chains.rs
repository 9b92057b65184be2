//! `catena chain`: the chains a node hosts — adding one to a home, listing a node's.

use catena_node::init::{add_chain, NetworkKey, NodeRole};

use super::*;

#[derive(Subcommand)]
pub(crate) enum ChainCommand {
    /// Add a chain to this home (its spec and keys go to chains/<chain id>/, its p2p address
    /// to config.toml); the node hosts it from its next start.
    Add(AddArgs),
    /// List the chains a node hosts: id, genesis hash, role, height, health.
    List(QueryArgs),
}

#[derive(Args)]
pub(crate) struct AddArgs {
    /// The chain's spec file.
    #[arg(long)]
    spec: PathBuf,
    /// This node's vote-signing key on that chain, if it validates it; without it the node
    /// follows the chain.
    #[arg(long)]
    validator_key: Option<PathBuf>,
    /// This node's libp2p identity key on that chain: a validator's must have the peer id the
    /// spec lists; any other node gets a new one if none is given.
    #[arg(long)]
    network_key: Option<PathBuf>,
    /// Where this chain's network listens, as a multiaddr (default for a validator: the address
    /// the spec gives it). Each chain of a node listens on its own.
    #[arg(long)]
    p2p_addr: Option<String>,
    /// The consortium's invoice key file (`catena key generate-invoice-key`), which every node
    /// of a parachain needs when its main chain's spec commits one; copied (mode 0600) beside
    /// the chain's spec.
    #[arg(long)]
    invoice_key: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
}

pub(crate) fn run(home: Option<&Path>, command: ChainCommand) -> anyhow::Result<()> {
    match command {
        ChainCommand::Add(args) => {
            let home = Home(require_home(home.map(Path::to_path_buf))?);
            let validator_key = args
                .validator_key
                .as_deref()
                .map(keys::read_key)
                .transpose()?;
            let network_key = match &args.network_key {
                Some(path) => NetworkKey::Given(keys::read_key(path)?),
                None => NetworkKey::Generated(crate::key::generate()),
            };
            let invoice_key = args
                .invoice_key
                .as_deref()
                .map(keys::read_invoice_key)
                .transpose()?;
            let added = add_chain(
                &home,
                &args.spec,
                validator_key,
                network_key,
                args.p2p_addr,
                invoice_key,
            )?;
            if args.output == Output::Json {
                return crate::print_value(
                    &serde_json::json!({
                        "chain_id": added.chain_id,
                        "role": role_name(added.made.role),
                        "p2p_addr": added.p2p_addr,
                        "dir": added.dir.display().to_string(),
                        "peer_id": added.made.peer_id,
                    }),
                    args.output,
                );
            }
            println!(
                "added chain '{}' to {} ({}, p2p {}): files in {}",
                added.chain_id,
                home.0.display(),
                role_name(added.made.role),
                added.p2p_addr,
                added.dir.display()
            );
            if let (Some(peer_id), true) =
                (&added.made.peer_id, added.made.role != NodeRole::Validator)
            {
                println!(
                    "peer id on '{}': {peer_id}; the validators admit it once its member registers it: catena member register-node {peer_id} --chain {} --as MEMBER",
                    added.chain_id, added.chain_id
                );
            }
            println!("restart the node to host it");
            Ok(())
        }
        ChainCommand::List(query) => {
            let node = query.on_main();
            let client = node.client(home)?;
            let value = client.get("/chains")?;
            if node.output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            let chains: Vec<catena_api::ChainSummaryView> = serde_json::from_value(value)?;
            println!(
                "{:<24} {:<10} {:>8}  {:<8} genesis",
                "chain", "role", "height", "health"
            );
            for c in chains {
                println!(
                    "{:<24} {:<10} {:>8}  {:<8} {}{}",
                    c.chain_id,
                    c.role,
                    c.height,
                    c.health,
                    c.genesis_hash,
                    c.failure
                        .map(|f| format!("\n  stopped: {f}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}

fn role_name(role: NodeRole) -> &'static str {
    match role {
        NodeRole::Validator => "validator",
        NodeRole::Joining => "member key, follows until governance adds it",
        NodeRole::Follower => "follower",
    }
}
