//! `catena parachain`: register a parachain on the main chain, list and show the registered
//! ones, page through a parachain's anchors.

use catena_api::{AnchorPageView, ParachainView};

use super::*;

#[derive(Subcommand)]
pub(crate) enum ParachainCommand {
    /// Propose registering the parachain of a chain spec (signed by a governing member of the
    /// main chain; the others approve with `catena governance approve ID`).
    Register(RegisterArgs),
    /// List the parachains registered on the main chain.
    List(QueryArgs),
    /// Show one registered parachain: members, validator set, anchor period, status, head.
    Show {
        /// The parachain's chain id.
        id: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// A parachain's anchored blocks, oldest first.
    Anchors {
        id: String,
        /// From this parachain height up.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// At most this many (1 to 100).
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[command(flatten)]
        query: QueryArgs,
    },
}

#[derive(Args)]
pub(crate) struct RegisterArgs {
    /// The parachain's chain spec: its id, genesis, members and validators are registered.
    #[arg(long)]
    spec: PathBuf,
    /// It anchors every this many of its blocks …
    #[arg(long, default_value_t = 10)]
    anchor_every_blocks: u64,
    /// … and at least this often (milliseconds).
    #[arg(long, default_value_t = 10_000)]
    anchor_every_ms: u64,
    #[command(flatten)]
    send: SendArgs,
}

pub(crate) fn run(home: Option<&Path>, command: ParachainCommand) -> anyhow::Result<()> {
    match command {
        ParachainCommand::Register(args) => {
            let spec = catena_node::read_spec(&args.spec)?;
            let scratch = std::env::temp_dir().join(format!(
                "catena-genesis-{}-{}",
                std::process::id(),
                now_ms()
            ));
            let genesis_hash = catena_node::chain::genesis::genesis_hash(&spec, &scratch)
                .context("cannot compute the parachain's genesis hash")?;
            let registration = spec.parachain_registration(
                genesis_hash,
                args.anchor_every_blocks,
                args.anchor_every_ms,
            );
            println!(
                "proposing parachain '{}' (genesis {genesis_hash}, {} members, {} validators)",
                registration.id,
                registration.members.len(),
                registration.validators.len()
            );
            send_call(home, &args.send, Call::ProposeParachain(registration))?;
            Ok(())
        }
        ParachainCommand::List(query) => {
            let client = ApiClient::new(&api_url(home, &query));
            let value = client.get("/parachains")?;
            if query.output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            let list: Vec<ParachainView> = serde_json::from_value(value)?;
            if list.is_empty() {
                println!("no parachain is registered");
            }
            for p in list {
                print_parachain(&p);
            }
            Ok(())
        }
        ParachainCommand::Show { id, query } => {
            let client = ApiClient::new(&api_url(home, &query));
            let value = client.get(&format!("/parachains/{id}"))?;
            if query.output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            print_parachain(&serde_json::from_value(value)?);
            Ok(())
        }
        ParachainCommand::Anchors {
            id,
            from,
            limit,
            query,
        } => {
            let client = ApiClient::new(&api_url(home, &query));
            let value = client.get(&format!(
                "/parachains/{id}/anchors?from={from}&limit={limit}"
            ))?;
            if query.output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            let page: AnchorPageView = serde_json::from_value(value)?;
            println!(
                "{:>8}  {:<66}  {:>11}  block",
                "height", "state root", "main height"
            );
            for a in &page.anchors {
                println!(
                    "{:>8}  {}  {:>11}  {}",
                    a.height, a.state_root, a.main_height, a.block_hash
                );
            }
            if let Some(next) = page.next {
                println!("more: --from {next}");
            }
            Ok(())
        }
    }
}

fn print_parachain(p: &ParachainView) {
    println!("parachain:   {} ({})", p.id, p.status);
    println!("genesis:     {}", p.genesis_hash);
    println!("members:     {}", p.members.join(", "));
    println!("validators:  {}", p.validators.len());
    println!(
        "anchors:     every {} blocks, at least every {} ms",
        p.anchor_every_blocks, p.anchor_every_ms
    );
    match &p.head {
        Some(head) => println!(
            "head:        height {} ({}), anchored at main height {}, {} ms old",
            head.height, head.block_hash, head.main_height, p.anchor_age_ms
        ),
        None => println!("head:        nothing anchored yet"),
    }
    if let Some(fork) = &p.fork {
        println!(
            "frozen:      two blocks certified at height {} ({} and {}), found at main height {}",
            fork.height, fork.anchored, fork.conflicting, fork.found_at
        );
    }
    println!();
}
