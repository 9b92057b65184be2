//! `catena blocks export|import`: a stopped node's certified blocks written to a file, and
//! committed from one into another stopped node, each checked as a block from a peer is — the
//! next height, a quorum certificate of the chain's validators, re-executed to its header's
//! roots. For seeding a node without the network, and for keeping a chain's history apart.
//!
//! The file: the SCALE of (`catena-blocks/1`, chain id), then for each block a 4-byte
//! little-endian length and the SCALE of (block, commit certificate).

use std::io::{BufWriter, Write};

use anyhow::{bail, Context};
use catena_node::chain::{ChainInstance, SyncResponse};
use catena_node::{Home, NodeConfig};
use catena_primitives::{Block, CommitCertificate};
use clap::Subcommand;
use parity_scale_codec::{Decode, Encode};

/// The format's name, first in every file.
const FORMAT: &str = "catena-blocks/1";
/// The largest record read back: no block of a chain a node accepts is near it.
const MAX_RECORD_BYTES: usize = 64 << 20;

#[derive(Subcommand)]
pub enum BlocksCommand {
    /// Write a stopped node's certified blocks (from --from, default 1, to --to, default its
    /// tip) to a file.
    Export {
        /// The chain (default: the home's main chain).
        #[arg(long)]
        chain: Option<String>,
        #[arg(long, default_value_t = 1)]
        from: u64,
        #[arg(long)]
        to: Option<u64>,
        #[arg(long)]
        out: std::path::PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        output: crate::Output,
    },
    /// Commit the blocks of an export file into a stopped node's chain, each checked as a
    /// block from a peer is; those it already has are skipped.
    Import {
        /// The chain (default: the home's main chain).
        #[arg(long)]
        chain: Option<String>,
        file: std::path::PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        output: crate::Output,
    },
}

/// The chain `chain` (or the main chain) of the stopped node at `home`, opened.
fn open(home: &Home, chain: Option<&str>) -> anyhow::Result<ChainInstance> {
    if !home.is_initialised() {
        bail!(
            "{} is not a node home (no chain-spec.json)",
            home.0.display()
        );
    }
    let config = NodeConfig::load(&home.config())?;
    let hosted = home.chains(&config)?;
    let ids: Vec<String> = hosted.iter().map(|c| c.spec.chain_id.clone()).collect();
    let spec = match chain {
        None => hosted.into_iter().next().map(|c| c.spec),
        Some(id) => hosted
            .into_iter()
            .find(|c| c.spec.chain_id == id)
            .map(|c| c.spec),
    }
    .with_context(|| {
        format!(
            "this home hosts no such chain (it hosts {})",
            ids.join(", ")
        )
    })?;
    let dir = home.chain_dir(&config, &spec.chain_id).join("db");
    ChainInstance::open(spec, &dir, 1).with_context(|| {
        format!(
            "cannot open the store at {} (is the node still running?)",
            dir.display()
        )
    })
}

pub fn run(home: &Home, command: BlocksCommand) -> anyhow::Result<()> {
    match command {
        BlocksCommand::Export {
            chain,
            from,
            to,
            out,
            output,
        } => {
            let chain = open(home, chain.as_deref())?;
            let tip = chain.tip()?.height;
            let to = to.unwrap_or(tip).min(tip);
            if from == 0 || from > to {
                bail!("--from {from} --to {to}: the range must start at 1 or above and end at or below the tip ({tip})");
            }
            let file = std::fs::File::create_new(&out)
                .with_context(|| format!("cannot create {} (it must not exist)", out.display()))?;
            let mut writer = BufWriter::new(file);
            writer.write_all(&(FORMAT, chain.spec().chain_id.clone()).encode())?;
            for height in from..=to {
                let (Some(block), Some(certificate)) = (
                    chain.store().block(height)?,
                    chain.store().certificate(height)?,
                ) else {
                    bail!("block {height} is not in the store (a node that joined from a snapshot holds no blocks below it)");
                };
                let record = (block, certificate).encode();
                writer.write_all(&(record.len() as u32).to_le_bytes())?;
                writer.write_all(&record)?;
            }
            writer.flush()?;
            if output == crate::Output::Json {
                return crate::print_value(
                    &serde_json::json!({ "file": out.display().to_string(),
                        "chain_id": chain.spec().chain_id, "from": from, "to": to }),
                    output,
                );
            }
            println!(
                "exported blocks {from} to {to} of chain {} to {}",
                chain.spec().chain_id,
                out.display()
            );
            Ok(())
        }
        BlocksCommand::Import {
            chain,
            file,
            output,
        } => {
            let chain = open(home, chain.as_deref())?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut cursor = &bytes[..];
            let (format, chain_id) = <(String, String)>::decode(&mut cursor)
                .with_context(|| format!("{} is not a catena block export", file.display()))?;
            if format != FORMAT {
                bail!("{} is of format '{format}', not {FORMAT}", file.display());
            }
            if chain_id != chain.spec().chain_id {
                bail!(
                    "{} holds blocks of chain '{chain_id}', not '{}'",
                    file.display(),
                    chain.spec().chain_id
                );
            }
            let mut committed = 0usize;
            while !cursor.is_empty() {
                let Some((length, rest)) = cursor.split_first_chunk::<4>() else {
                    bail!("the file ends inside a record's length");
                };
                let length = u32::from_le_bytes(*length) as usize;
                if length > MAX_RECORD_BYTES {
                    bail!(
                        "a record of {length} bytes, over the {MAX_RECORD_BYTES} a block may have"
                    );
                }
                let Some((mut record, rest)) = rest.split_at_checked(length) else {
                    bail!("the file ends inside a block");
                };
                cursor = rest;
                let pair = <(Block, CommitCertificate)>::decode(&mut record)
                    .context("a record is not a block and its certificate")?;
                let height = pair.0.header.height;
                let done = chain
                    .apply_synced(SyncResponse { blocks: vec![pair] })
                    .map_err(|e| crate::Refused(format!("block {height} refused: {e}")))?;
                let tip = chain.tip()?.height;
                if done == 0 && height > tip {
                    return Err(crate::Refused(format!(
                        "block {height} is not the next block after the store's tip {tip}: \
                         nothing after it was imported"
                    ))
                    .into());
                }
                committed += done;
            }
            let tip = chain.tip()?.height;
            if output == crate::Output::Json {
                return crate::print_value(
                    &serde_json::json!({ "chain_id": chain_id, "imported": committed, "tip": tip }),
                    output,
                );
            }
            println!(
                "imported {committed} blocks of chain {chain_id}; the store's tip is now {tip}"
            );
            Ok(())
        }
    }
}
