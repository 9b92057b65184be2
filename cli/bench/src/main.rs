//! `catena-bench`: finalized voucher (or cash) transfers per second and their latency on a
//! local 4-validator testnet of `catena` nodes, read against this machine's signature-checking
//! bound and the cluster's CPU per transfer. A binary of its own: the product binary holds no
//! load generator.
//!
//! The run: start the testnet (its spec gives the sending member many accounts), issue and
//! split vouchers up front, pre-sign every transfer, submit them in batches (as fast as they
//! are accepted, or on a schedule at `--rate`; with `--resubmit` refused ones again after a
//! back-off), and watch the blocks of the first validator for their commits; then read every
//! committed transfer's receipt. Only a transfer whose call succeeded counts as finalized; a
//! failed one fails the run. Latency runs from a transfer's scheduled send (at `--rate`) or its
//! first send to the moment the watcher saw it committed; a transfer that never finalized
//! counts beyond every percentile.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use catena_api::{BatchSubmitResponse, BlockView};
use catena_node::{keys, now_ms};
use catena_primitives::{Hash, SecretKey, Transaction};
use catena_schema::cash::method as cash_method;
use catena_schema::cash::{Mint, Transfer as CashTransfer};
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, NewRecord};
use catena_schema::voucher::method as voucher_method;
use catena_schema::voucher::{SetCreditLine, Split, Terms, Transfer};
use clap::{Parser, ValueEnum};
use parity_scale_codec::Decode;
use serde_json::json;

use catena_client::{ApiClient, NodeError, Signer};
use catena_launcher::network::{
    empty_run_dir, fresh_run_dir, stop_children, wait_first_block, LocalNetwork,
};

mod load;
mod report;
mod setup;
#[cfg(test)]
mod tests;
use load::*;
use report::*;
use setup::*;

/// The member whose accounts send, and the one that receives.
const SENDER: &str = "tier1-steel";
const RECEIVER: &str = "tier2-parts";
const CORE: &str = "huaxia-motors";
const BANK: &str = "merchant-bank";
/// Parts one split makes (the bench chain's `voucher_max_parts`).
const PARTS_PER_VOUCHER: u32 = 100;
/// Each part: 1.00.
const PART_AMOUNT: u64 = 100;
/// Transactions per `POST /transactions/batch`.
const BATCH: usize = 500;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Workload {
    /// Transfers of whole voucher parts (one call of the voucher contract).
    Voucher,
    /// Transfers of settlement cash (one call of the cash contract).
    Cash,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Output {
    /// Readable lines.
    #[value(alias = "text")]
    Table,
    Json,
}

#[derive(Parser, Debug)]
#[command(
    name = "catena-bench",
    version,
    about = "Measure finalized transfers per second and their latency on a local 4-validator testnet, against this machine's signature-checking bound"
)]
struct BenchArgs {
    /// The `catena` binary the testnet's nodes run (default: the one next to this binary, else
    /// `catena` on the PATH).
    #[arg(long)]
    catena: Option<PathBuf>,
    /// Transfers to pre-sign and submit.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Offered load in transactions per second; 0 submits as fast as they are accepted.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    #[arg(long, value_enum, default_value = "voucher")]
    workload: Workload,
    /// Voucher parts in the state before the measurement, at least (the voucher workload: as
    /// many as there are transfers by default; more measure a chain with a larger state, each
    /// hundred one more voucher issued and split in the setup).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    parts: u64,
    /// Accounts of the sending member that sign the transfers (each in nonce order).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1000))]
    accounts: u32,
    /// Resend refused transfers after a back-off (100 ms, doubling to 3.2 s), as an integrator
    /// would: a busy node's refusals and the later nonces of an account whose earlier one was
    /// refused. Without it a refused transfer is counted and never sent again.
    #[arg(long)]
    resubmit: bool,
    /// Make every Nth transfer one its contract refuses (more than the voucher part or the
    /// balance holds), to see failures counted: they are not finalized and fail the run.
    #[arg(long, default_value_t = 0)]
    failing_every: usize,
    /// Use a running network instead of starting one: the API of each validator. It must be a
    /// network an earlier `catena-bench --keep --dir DIR` started; pass the same `--dir`.
    #[arg(long, num_args = 1.., requires = "dir")]
    api: Vec<String>,
    /// Directory of the testnet, kept after the run (default: a new one under ~/.catena/bench,
    /// removed after the run unless --keep).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Block time of a new testnet, in milliseconds (a height starts one block time after the
    /// last, or at once if deciding it took longer or while transactions keep coming; the
    /// propose timeout is three block times, and a proposer executes transactions for at most
    /// half a block time).
    #[arg(long, default_value_t = 250)]
    block_time_ms: u64,
    /// Transactions per block of a new testnet, at most (the proposer's time budget usually
    /// bounds a block first).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_block_txs: u32,
    /// API port of the first validator of a new testnet; the others follow.
    #[arg(long, default_value_t = 18545)]
    api_port: u16,
    /// p2p port of the first validator of a new testnet; the others follow.
    #[arg(long, default_value_t = 31333)]
    p2p_port: u16,
    /// Leave the testnet running at the end (and say how to bench it again).
    #[arg(long)]
    keep: bool,
    /// How long to wait for the last commits once everything is submitted, in seconds.
    #[arg(long, default_value_t = 120)]
    drain_timeout_s: u64,
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
}

use catena_runtime::system_call as call;

fn main() {
    if let Err(error) = run(BenchArgs::parse()) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

/// The `catena` binary: `--catena`, else the one next to this binary, else `catena` on the PATH.
fn catena_binary(args: &BenchArgs) -> PathBuf {
    if let Some(path) = &args.catena {
        return path.clone();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("catena")))
        .filter(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("catena"))
}

fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.txs == 0 {
        bail!("--txs must be at least 1");
    }
    if args.parts > 0 && args.workload != Workload::Voucher {
        bail!("--parts sizes the voucher workload's state; the cash workload has no parts");
    }
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => fresh_run_dir("bench"),
    };
    if args.api.is_empty() {
        empty_run_dir(
            &dir,
            "the bench starts a fresh testnet; give another --dir (or --api to use a running one)",
        )?;
    }
    let net = connect(&args, &dir)?;
    let outcome = measure(&args, &net, &dir);
    let Net { children, urls, .. } = net;
    if args.keep && !children.is_empty() {
        eprintln!(
            "The testnet keeps running (pids {:?}); bench it again with:\n  catena-bench --dir {} --api {}",
            children.iter().map(std::process::Child::id).collect::<Vec<_>>(),
            dir.display(),
            urls.join(" ")
        );
        std::mem::forget(children);
    } else {
        stop_children(children);
        // A testnet the bench made for itself goes with it (each run's stores take ~0.5 GB).
        if args.dir.is_none() {
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                eprintln!("cannot remove the bench's testnet {}: {e}", dir.display());
            }
        }
    }
    let report = outcome?;
    match args.output {
        Output::Json => println!("{}", serde_json::to_string(&report)?),
        Output::Table => print_summary(&report),
    }
    let failed = report["failed"].as_u64().unwrap_or(0);
    if failed > 0 {
        bail!(
            "{failed} transfers failed on chain (see `failures`): the figures count only the \
             successful ones, but a run whose transfers fail measures something else"
        );
    }
    Ok(())
}

fn measure(args: &BenchArgs, net: &Net, dir: &Path) -> anyhow::Result<serde_json::Value> {
    let Prepared { per_sender, parts } = prepare(args, net, dir)?;
    let total: usize = per_sender.iter().map(Vec::len).sum();
    let signatures = signature_costs(&net.chain_id);
    // Each validator's API gets the transactions of its share of the senders.
    let validators = net.clients.len();
    let mut per_node: Vec<Vec<Vec<Transaction>>> = vec![Vec::new(); validators];
    for (s, txs) in per_sender.into_iter().enumerate() {
        per_node[s % validators].push(txs);
    }
    let per_node: Vec<Vec<Transaction>> = per_node.into_iter().map(round_robin).collect();
    let shared = Arc::new(Shared::default());
    let start_height = net.first().status()?.height;
    // Each node's peak memory from here on: the set-up's peak is not the measurement's.
    let peak_reset = net.children.iter().all(|c| reset_peak_memory(c.id()));
    let usage_before: Vec<Option<(f64, f64)>> =
        net.children.iter().map(|c| process_usage(c.id())).collect();
    let bench_before = process_usage(std::process::id());
    // Said on stderr so that a profiler can be attached to the validators for the measurement
    // alone (docs/performance.md).
    eprintln!(
        "measuring: {total} transfers from height {start_height}; the validators' pids: {:?}",
        net.children
            .iter()
            .map(std::process::Child::id)
            .collect::<Vec<_>>()
    );
    let watcher = {
        let shared = Arc::clone(&shared);
        let client = ApiClient::new(&net.urls[0]);
        std::thread::spawn(move || watch(client, start_height, shared))
    };
    let progress = indicatif::ProgressBar::new(total as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} committed {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let pace = Pace {
        rate: args.rate as f64 / validators as f64,
        resubmit: args.resubmit,
    };
    let submitters: Vec<_> = per_node
        .into_iter()
        .enumerate()
        .map(|(i, txs)| {
            let client = ApiClient::new(&net.urls[i]);
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                submit_all(txs, pace, &shared, |batch| post_outcomes(&client, batch));
            })
        })
        .collect();
    let mut last_progress = Instant::now();
    let mut last_committed = 0usize;
    // Every SAMPLE_EVERY: each validator's resident memory, and how far apart their heights are.
    let mut rss_samples: Vec<Vec<f64>> = vec![Vec::new(); validators];
    let mut max_height_gap = 0u64;
    let mut last_sample: Option<Instant> = None;
    loop {
        if last_sample.is_none_or(|at| at.elapsed() >= SAMPLE_EVERY) {
            last_sample = Some(Instant::now());
            for (samples, child) in rss_samples.iter_mut().zip(&net.children) {
                if let Some(mb) = resident_mb(child.id()) {
                    samples.push(round(mb, 1));
                }
            }
            let heights: Vec<u64> = net
                .clients
                .iter()
                .filter_map(|c| c.status().ok().map(|s| s.height))
                .collect();
            if let (Some(low), Some(high)) = (heights.iter().min(), heights.iter().max()) {
                max_height_gap = max_height_gap.max(high - low);
            }
        }
        let committed = shared.committed.lock().expect("lock").len();
        let admitted = shared.admitted.lock().expect("lock").len();
        progress.set_position(committed.min(total) as u64);
        progress.set_message(format!(
            "({admitted} admitted, {} refusals)",
            shared.refused_submissions()
        ));
        let all_sent = submitters.iter().all(std::thread::JoinHandle::is_finished);
        if all_sent {
            let admitted = shared.admitted.lock().expect("lock");
            let committed = shared.committed.lock().expect("lock");
            if admitted.iter().all(|h| committed.contains_key(h)) {
                break;
            }
        }
        if committed != last_committed {
            last_committed = committed;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > Duration::from_secs(args.drain_timeout_s) {
            eprintln!(
                "nothing committed for {} s: the measurement ends here",
                args.drain_timeout_s
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    progress.finish_and_clear();
    shared.stop.store(true, Ordering::Relaxed);
    for s in submitters {
        let _ = s.join();
    }
    let blocks = watcher.join().unwrap_or_default();
    let usage_after: Vec<Option<(f64, f64)>> =
        net.children.iter().map(|c| process_usage(c.id())).collect();
    let bench_after = process_usage(std::process::id());
    let receipts = {
        let offered = shared.offered.lock().expect("lock");
        read_receipts(net.first(), &blocks, &offered)?
    };
    let nodes = usage_before
        .iter()
        .zip(&usage_after)
        .zip(rss_samples)
        .map(|((before, after), rss_mb_samples)| NodeUsage {
            cpu_ticks: match (before, after) {
                (Some((cpu0, _)), Some((cpu1, _))) => Some(cpu1 - cpu0),
                _ => None,
            },
            peak_rss_mb: after.map(|(_, peak)| peak),
            rss_mb_samples,
        })
        .collect();
    Ok(report(&Run {
        args,
        validators,
        submitted: total,
        shared: &shared,
        blocks: &blocks,
        receipts: &receipts,
        nodes,
        peak_reset,
        bench_cpu_ticks: bench_before.zip(bench_after).map(|(b, a)| a.0 - b.0),
        signatures,
        max_height_gap,
        parts,
    }))
}

/// One list from many: the first of each, then the second of each, and so on, so that every
/// batch carries many accounts' consecutive nonces.
fn round_robin(lists: Vec<Vec<Transaction>>) -> Vec<Transaction> {
    let total = lists.iter().map(Vec::len).sum();
    let mut iters: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for it in &mut iters {
            if let Some(tx) = it.next() {
                out.push(tx);
            }
        }
    }
    out
}
