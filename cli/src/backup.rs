//! `catena backup` and `catena restore`: copies of a stopped node's stores that can never make a
//! validator sign twice (ADR 0034). A backup holds each hosted chain's store, never the vote and
//! proposal logs or the signing marks; a restore replaces the stores and keeps those, so what the
//! validator signed is never rolled back. The store a restore replaces is kept beside it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};
use catena_node::{Home, NodeConfig};
use catena_storage::Store;
use serde::{Deserialize, Serialize};

/// The format name in every backup's manifest.
const FORMAT: &str = "catena-backup/1";
const MANIFEST: &str = "catena-backup.json";

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The backup file to write (a tar archive; it must not exist).
    #[arg(long)]
    out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    output: crate::Output,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `catena backup`.
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    output: crate::Output,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    chains: Vec<ChainEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ChainEntry {
    chain_id: String,
    height: u64,
    block_hash: String,
    state_root: String,
}

/// Each chain the home hosts, by id, with its data directory.
fn hosted(home: &Home) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    Ok(hosted_specs(home)?
        .into_iter()
        .map(|(id, (dir, _))| (id, dir))
        .collect())
}

/// Every chain the home hosts, by id: its data directory and its spec.
fn hosted_specs(
    home: &Home,
) -> anyhow::Result<BTreeMap<String, (PathBuf, catena_chain_spec::ChainSpec)>> {
    if !home.is_initialised() {
        bail!(
            "{} is not a node home (no chain-spec.json)",
            home.0.display()
        );
    }
    let config = NodeConfig::load(&home.config())?;
    Ok(home
        .chains(&config)?
        .into_iter()
        .map(|chain| {
            let id = chain.spec.chain_id.clone();
            let dir = home.chain_dir(&config, &id);
            (id, (dir, chain.spec))
        })
        .collect())
}

/// Opens the store in `dir`, which must exist; a node still running holds it locked.
fn open_existing(dir: &Path) -> anyhow::Result<Store> {
    if !dir.join("CURRENT").exists() {
        bail!("no store at {}", dir.display());
    }
    Store::open(dir).with_context(|| {
        format!(
            "cannot open the store at {} (is the node still running? stop it first)",
            dir.display()
        )
    })
}

/// `catena backup --out FILE`.
pub fn backup(home: &Home, args: &BackupArgs) -> anyhow::Result<()> {
    if args.out.exists() {
        bail!("{} exists; choose a new file", args.out.display());
    }
    let chains = hosted(home)?;
    let staging = args.out.with_extension("staging");
    if staging.exists() {
        bail!(
            "{} exists (an interrupted backup?); remove it first",
            staging.display()
        );
    }
    let written = write_backup(&chains, &staging, &args.out);
    let _ = std::fs::remove_dir_all(&staging);
    let manifest = written?;
    if args.output == crate::Output::Json {
        return crate::print_value(
            &serde_json::json!({ "file": args.out.display().to_string(), "chains": manifest.chains }),
            args.output,
        );
    }
    for chain in &manifest.chains {
        println!(
            "chain {}: store at height {} (block {})",
            chain.chain_id, chain.height, chain.block_hash
        );
    }
    println!(
        "backup written to {} (stores only: the vote logs, proposal logs and signing marks stay with the node)",
        args.out.display()
    );
    Ok(())
}

/// Checkpoints every store into `staging`, then archives them with a manifest into `out`.
fn write_backup(
    chains: &BTreeMap<String, PathBuf>,
    staging: &Path,
    out: &Path,
) -> anyhow::Result<Manifest> {
    std::fs::create_dir_all(staging)?;
    let mut manifest = Manifest {
        format: FORMAT.into(),
        chains: Vec::new(),
    };
    for (chain_id, dir) in chains {
        let store = open_existing(&dir.join("db"))?;
        let tip = store
            .tip()?
            .with_context(|| format!("chain {chain_id} has no blocks yet"))?;
        store.checkpoint(&staging.join(chain_id))?;
        manifest.chains.push(ChainEntry {
            chain_id: chain_id.clone(),
            height: tip.height,
            block_hash: tip.block_hash.to_string(),
            state_root: tip.state_root.to_string(),
        });
    }
    let partial = out.with_extension("partial");
    {
        let mut tar = tar::Builder::new(File::create(&partial)?);
        let json = serde_json::to_vec_pretty(&manifest)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST, json.as_slice())?;
        for chain in &manifest.chains {
            tar.append_dir_all(
                format!("chains/{}/db", chain.chain_id),
                staging.join(&chain.chain_id),
            )?;
        }
        tar.into_inner()?.sync_all()?;
    }
    std::fs::rename(&partial, out)?;
    Ok(manifest)
}

/// The archive path `path` as (chain id, path inside its store), if it is a store file.
fn store_file(path: &Path) -> Option<(String, PathBuf)> {
    let parts: Vec<&str> = path
        .components()
        .map(|c| match c {
            Component::Normal(p) => p.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        ["chains", chain, "db", rest @ ..] => {
            Some(((*chain).to_string(), rest.iter().collect::<PathBuf>()))
        }
        _ => None,
    }
}

/// `catena restore FILE`.
pub fn restore(home: &Home, args: &RestoreArgs) -> anyhow::Result<()> {
    let chains = hosted(home)?;
    let read = || -> anyhow::Result<tar::Archive<File>> {
        Ok(tar::Archive::new(File::open(&args.file).with_context(
            || format!("cannot read {}", args.file.display()),
        )?))
    };
    // The manifest first: which chains, at which tips.
    let mut manifest: Option<Manifest> = None;
    for entry in read()?.entries()? {
        let mut entry = entry?;
        if entry.path()?.as_ref() == Path::new(MANIFEST) {
            let mut text = String::new();
            entry.by_ref().take(1 << 20).read_to_string(&mut text)?;
            manifest = Some(serde_json::from_str(&text).context("the backup's manifest")?);
            break;
        }
    }
    let manifest = manifest.with_context(|| {
        format!(
            "{} is not a catena backup (no {MANIFEST})",
            args.file.display()
        )
    })?;
    if manifest.format != FORMAT {
        bail!("backup format {} is not {FORMAT}", manifest.format);
    }
    for chain in &manifest.chains {
        if !chains.contains_key(&chain.chain_id) {
            bail!(
                "the backup holds chain {} which this home does not host; nothing was restored",
                chain.chain_id
            );
        }
    }
    // Every store unpacked and checked beside the one it replaces before anything is replaced.
    let mut staged = Vec::new();
    for chain in &manifest.chains {
        let dir = &chains[&chain.chain_id];
        // The node must be stopped: its running store is locked.
        if dir.join("db").join("CURRENT").exists() {
            drop(open_existing(&dir.join("db"))?);
        }
        let staging = dir.join("db.restoring");
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        staged.push((chain, dir.clone(), staging));
    }
    for entry in read()?.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let kind = entry.header().entry_type();
        if path == Path::new(MANIFEST) || kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            bail!(
                "{} in the backup is not a plain file; nothing was restored",
                path.display()
            );
        }
        let Some((chain_id, inner)) = store_file(&path) else {
            bail!(
                "unexpected file {} in the backup; nothing was restored",
                path.display()
            );
        };
        let Some((_, _, staging)) = staged.iter().find(|(c, _, _)| c.chain_id == chain_id) else {
            bail!(
                "file {} of a chain the manifest does not list; nothing was restored",
                path.display()
            );
        };
        let target = staging.join(&inner);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        entry.unpack(&target)?;
    }
    for (chain, _, staging) in &staged {
        let tip = open_existing(staging)?.tip()?;
        let found = tip.map(|t| (t.height, t.block_hash.to_string()));
        if found != Some((chain.height, chain.block_hash.clone())) {
            bail!(
                "chain {}: the unpacked store's tip {found:?} is not the manifest's (height {}, block {}); nothing was restored",
                chain.chain_id, chain.height, chain.block_hash
            );
        }
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut restored = Vec::new();
    for (chain, dir, staging) in staged {
        let db = dir.join("db");
        let kept = dir.join(format!("db.replaced-{stamp}"));
        if db.exists() {
            std::fs::rename(&db, &kept)?;
        }
        std::fs::rename(&staging, &db)?;
        // Read only where there is one (opening creates a missing log).
        let votes_path = dir.join("votes.wal");
        let votes = votes_path
            .exists()
            .then(|| catena_storage::wal::VoteLog::open(&votes_path).ok())
            .flatten()
            .and_then(|(log, _)| log.votes().iter().map(|v| v.height).max());
        restored.push(serde_json::json!({
            "chain_id": chain.chain_id,
            "height": chain.height,
            "last_vote": votes,
            "replaced_store_kept_at": kept.exists().then(|| kept.display().to_string()),
        }));
        if args.output == crate::Output::Json {
            continue;
        }
        println!(
            "chain {}: store restored at height {}; the vote log and signing mark were kept{}; the node syncs the later blocks from its peers",
            chain.chain_id,
            chain.height,
            votes.map(|h| format!(" (last vote at height {h})")).unwrap_or_default()
        );
        if kept.exists() {
            println!(
                "  the store it replaced is kept at {} (delete it once the node runs)",
                kept.display()
            );
        }
    }
    if args.output == crate::Output::Json {
        return crate::print_value(&serde_json::json!({ "restored": restored }), args.output);
    }
    Ok(())
}

/// `catena purge`: deletes a stopped node's stores so that it syncs its chains again.
#[derive(clap::Args)]
pub struct PurgeArgs {
    /// Only this chain (default: every chain the home hosts).
    #[arg(long)]
    chain: Option<String>,
    /// Delete for real (without it, nothing is deleted).
    #[arg(long)]
    yes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    output: crate::Output,
}

/// Deletes the stores of the chains `args` names, keeping each chain's vote log, proposal log
/// and signing mark (so the node never signs twice) and the node's keys and config: the node
/// syncs the chain again from its peers when it starts. Refused for a chain only this node
/// validates (nothing could give its blocks back) and while the node runs.
pub fn purge(home: &Home, args: &PurgeArgs) -> anyhow::Result<()> {
    let chains = hosted_specs(home)?;
    let chosen: Vec<(&String, &(PathBuf, catena_chain_spec::ChainSpec))> = match &args.chain {
        Some(id) => match chains.get_key_value(id) {
            Some(found) => vec![found],
            None => bail!(
                "this home hosts no chain '{id}' (it hosts {})",
                chains.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        },
        None => chains.iter().collect(),
    };
    let own_key = catena_node::keys::read_key(&home.validator_key())
        .ok()
        .map(|k| k.account());
    for (id, (_, spec)) in &chosen {
        if spec.validators.len() == 1 && own_key == Some(spec.validators[0].account) {
            bail!(
                "chain '{id}' has one validator, this node: no peer could give its blocks back, \
                 so its store is not purged (for a dev chain, start a new home); nothing was deleted"
            );
        }
    }
    for (_, (dir, _)) in &chosen {
        // The node must be stopped: its running store is locked.
        if dir.join("db").join("CURRENT").exists() {
            drop(open_existing(&dir.join("db"))?);
        }
    }
    if !args.yes {
        bail!(
            "this deletes the store of {} ({}): the node then syncs it again from its peers; \
             pass --yes to do it",
            if chosen.len() == 1 {
                "one chain"
            } else {
                "these chains"
            },
            chosen
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut purged = Vec::new();
    for (id, (dir, _)) in chosen {
        let db = dir.join("db");
        if db.exists() {
            std::fs::remove_dir_all(&db)
                .with_context(|| format!("cannot delete {}", db.display()))?;
        }
        purged.push(id.clone());
        if args.output == crate::Output::Json {
            continue;
        }
        println!(
            "chain {id}: store deleted; its vote log, proposal log and signing mark were kept; the \
             node syncs the chain again from its peers when it starts"
        );
    }
    if args.output == crate::Output::Json {
        return crate::print_value(&serde_json::json!({ "purged": purged }), args.output);
    }
    Ok(())
}
