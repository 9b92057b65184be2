//! `catena parachain`: register a parachain on the main chain, list and show the registered
//! ones, page through a parachain's anchors.

use catena_api::{AnchorPageView, ParachainView};
use parity_scale_codec::Decode;

use super::*;

#[derive(Subcommand)]
pub(crate) enum ParachainCommand {
    /// Propose registering the parachain of a chain spec (signed by a governing member of the
    /// main chain; the others approve with `catena governance approve ID`).
    Register(RegisterArgs),
    /// Propose recovering a frozen parachain (signed by a governing member; approved like a
    /// registration): active again, certified from then on by the validators of the given spec.
    Recover {
        /// The frozen parachain's id.
        id: String,
        /// A spec of the parachain listing the validators the quorum trusts.
        #[arg(long)]
        validators_of: PathBuf,
        #[command(flatten)]
        send: SendArgs,
    },
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
    /// It anchors every this many of its blocks (default: its spec's `parachain` section, else
    /// 10) …
    #[arg(long)]
    anchor_every_blocks: Option<u64>,
    /// … and at least this often, in milliseconds (default: the section's, else 10,000).
    #[arg(long)]
    anchor_every_ms: Option<u64>,
    #[command(flatten)]
    send: SendArgs,
}

pub(crate) fn run(home: Option<&Path>, command: ParachainCommand) -> anyhow::Result<()> {
    match command {
        ParachainCommand::Register(args) => {
            let spec = catena_node::read_spec(&args.spec)?;
            if let Some(section) = &spec.parachain {
                let client = args.send.query.client(home)?;
                let main = client.status()?;
                if section.main_chain_id != main.chain_id
                    || section.main_genesis_hash != main.genesis_hash
                {
                    bail!(
                        "{} is a parachain of '{}' (genesis {}), not of this node's chain '{}' (genesis {})",
                        args.spec.display(),
                        section.main_chain_id,
                        section.main_genesis_hash,
                        main.chain_id,
                        main.genesis_hash
                    );
                }
            }
            let genesis_hash = genesis_hash_of(&spec)?;
            let section = spec.parachain.as_ref();
            let registration = spec.parachain_registration(
                genesis_hash,
                args.anchor_every_blocks
                    .or(section.map(|s| s.anchor_every_blocks))
                    .unwrap_or(10),
                args.anchor_every_ms
                    .or(section.map(|s| s.anchor_every_ms))
                    .unwrap_or(10_000),
            );
            if args.send.query.output != Output::Json {
                println!(
                    "proposing parachain '{}' (genesis {genesis_hash}, {} members, {} validators)",
                    registration.id,
                    registration.members.len(),
                    registration.validators.len()
                );
            }
            let id = registration.id.clone();
            let view = send_call(home, &args.send, Call::ProposeParachain(registration))?;
            tell_proposal(home, &args.send, view, &id, |p| p.is_some())
        }
        ParachainCommand::Recover {
            id,
            validators_of,
            send,
        } => {
            let spec = catena_node::read_spec(&validators_of)?;
            if spec.chain_id != id {
                bail!(
                    "{} is the spec of '{}', not of parachain '{id}'",
                    validators_of.display(),
                    spec.chain_id
                );
            }
            let recovery = catena_primitives::parachain::ParachainRecovery {
                id: id.clone(),
                validators: spec.parachain_validators(),
            };
            let view = send_call(home, &send, Call::ProposeParachainRecovery(recovery))?;
            tell_proposal(home, &send, view, &id, |p| {
                p.is_some_and(|p| p.status == "active")
            })
        }
        ParachainCommand::List(query) => {
            let client = query.client(home)?;
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
            let client = query.client(home)?;
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
            let client = query.client(home)?;
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

/// Says which proposal a committed parachain proposal made (its receipt's output) and whether
/// it already applied (`applied` of the parachain as the registry shows it now).
fn tell_proposal(
    home: Option<&Path>,
    send: &SendArgs,
    sent: crate::Sent,
    id: &str,
    applied: impl Fn(Option<&ParachainView>) -> bool,
) -> anyhow::Result<()> {
    let Some(view) = &sent.view else {
        return sent.report(send, "", serde_json::json!({})); // --no-wait
    };
    let proposal = proposal_of(view).context("the receipt names no proposal")?;
    let client = send.query.client(home)?;
    let shown: Option<ParachainView> = match client.get_reply(&format!("/parachains/{id}")) {
        Some(reply) if reply.status == 200 => Some(serde_json::from_value(reply.body)?),
        _ => None,
    };
    let applied = applied(shown.as_ref());
    let done = if applied {
        format!("parachain proposal {proposal}: applied")
    } else {
        format!(
            "parachain proposal {proposal}: waiting for approvals (catena governance approve {proposal} --as MEMBER)"
        )
    };
    sent.report(
        send,
        &done,
        serde_json::json!({ "proposal": proposal, "parachain": id, "applied": applied }),
    )
}

/// The proposal id a committed parachain proposal returned (its receipt's output, SCALE u64).
pub(crate) fn proposal_of(view: &catena_api::TransactionView) -> Option<u64> {
    let output = &view.receipt.as_ref()?.output;
    let bytes = hex::decode(output.trim_start_matches("0x")).ok()?;
    u64::decode(&mut &bytes[..]).ok()
}

/// Registers the parachains of the spec files `files` in `main` at genesis; the parachain
/// specs, to be given `main`'s section once it is final ([`name_main_chain`]).
pub(crate) fn register_at_genesis(
    main: &mut catena_chain_spec::ChainSpec,
    files: &[PathBuf],
) -> anyhow::Result<Vec<(PathBuf, catena_chain_spec::ChainSpec)>> {
    let mut paras = Vec::new();
    for file in files {
        let para = catena_node::read_spec(file)?;
        let (blocks, ms) = para
            .parachain
            .as_ref()
            .map_or((10, 10_000), |s| (s.anchor_every_blocks, s.anchor_every_ms));
        let registration = para.parachain_registration(genesis_hash_of(&para)?, blocks, ms);
        main.parachains.push(registration);
        paras.push((file.clone(), para));
    }
    Ok(paras)
}

/// Writes `main` (final, and holding their registrations) into each parachain spec's section,
/// after checking that its genesis takes them.
pub(crate) fn name_main_chain(
    main: &catena_chain_spec::ChainSpec,
    paras: Vec<(PathBuf, catena_chain_spec::ChainSpec)>,
) -> anyhow::Result<()> {
    if paras.is_empty() {
        return Ok(());
    }
    let main_genesis_hash = genesis_hash_of(main)?;
    for ((file, mut para), registered) in paras.into_iter().zip(&main.parachains) {
        para.parachain = Some(catena_chain_spec::ParachainSection {
            main_chain_id: main.chain_id.clone(),
            main_genesis_hash,
            main_validators: main.validators.iter().map(|v| v.account).collect(),
            anchor_every_blocks: registered.anchor_every_blocks,
            anchor_every_ms: registered.anchor_every_ms,
        });
        std::fs::write(&file, para.to_json() + "\n")
            .with_context(|| format!("cannot write {}", file.display()))?;
        eprintln!(
            "registered parachain '{}' at genesis; its spec {} names this chain",
            para.chain_id,
            file.display()
        );
    }
    Ok(())
}

/// The hash of the genesis block `spec` makes (computed in a scratch store).
pub(crate) fn genesis_hash_of(
    spec: &catena_chain_spec::ChainSpec,
) -> anyhow::Result<catena_primitives::Hash> {
    catena_node::chain::genesis::genesis_hash(spec)
        .with_context(|| format!("cannot compute the genesis hash of '{}'", spec.chain_id))
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
