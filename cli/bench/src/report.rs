//! What a run reports: finalized and failed transfers, latency percentiles with the transfers
//! that never finalized, each node's CPU and memory, the cluster's CPU per transfer and the
//! ceiling it implies beside this machine's signature-checking bound, and the summary.

use super::*;

/// Resets a process's peak resident memory (`VmHWM`), so that the peak read later is of what
/// followed; `false` where the kernel does not allow it.
pub(crate) fn reset_peak_memory(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// One validator's use of the machine during the measurement.
pub(crate) struct NodeUsage {
    /// CPU time (clock ticks) spent during the measurement.
    pub(crate) cpu_ticks: Option<f64>,
    /// Peak resident memory (MB): since the reset at the start of the measurement if that
    /// worked, else since the process started.
    pub(crate) peak_rss_mb: Option<f64>,
    pub(crate) rss_mb_samples: Vec<f64>,
}

/// Everything a measurement saw.
pub(crate) struct Run<'a> {
    pub(crate) args: &'a BenchArgs,
    pub(crate) validators: usize,
    pub(crate) submitted: usize,
    pub(crate) shared: &'a Shared,
    pub(crate) blocks: &'a [SeenBlock],
    pub(crate) receipts: &'a Receipts,
    pub(crate) nodes: Vec<NodeUsage>,
    /// Whether every node's peak memory was reset when the measurement began.
    pub(crate) peak_reset: bool,
    pub(crate) bench_cpu_ticks: Option<f64>,
    /// µs per signature in a batch, and alone.
    pub(crate) signatures: (f64, f64),
    pub(crate) max_height_gap: u64,
    /// Voucher parts in the state when the measurement began (made by the setup).
    pub(crate) parts: usize,
}

/// Each offered transfer's latency in ms, sorted; infinite for one that never finalized
/// (refused, never committed, or failed).
pub(crate) fn latencies(
    offered: &HashMap<Hash, Instant>,
    committed: &HashMap<Hash, Instant>,
    success: &HashMap<Hash, bool>,
) -> Vec<f64> {
    let mut out: Vec<f64> = offered
        .iter()
        .map(
            |(hash, clock)| match (committed.get(hash), success.get(hash)) {
                (Some(seen), Some(true)) => {
                    seen.saturating_duration_since(*clock).as_secs_f64() * 1e3
                }
                _ => f64::INFINITY,
            },
        )
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

/// A figure for the JSON report: `null` where there is none (an infinite latency: that share
/// of the transfers never finalized).
pub(crate) fn figure(value: f64, digits: i32) -> serde_json::Value {
    if value.is_finite() {
        json!(round(value, digits))
    } else {
        serde_json::Value::Null
    }
}

/// The report of a run, as `--output json` prints it.
pub(crate) fn report(run: &Run<'_>) -> serde_json::Value {
    let offered = run.shared.offered.lock().expect("lock");
    let admitted = run.shared.admitted.lock().expect("lock");
    let committed = run.shared.committed.lock().expect("lock");
    let success = &run.receipts.success;
    let latencies = latencies(&offered, &committed, success);
    let finalized = latencies.iter().filter(|l| l.is_finite()).count();
    let failed = offered
        .keys()
        .filter(|h| success.get(h) == Some(&false))
        .count();
    let never_committed = admitted
        .iter()
        .filter(|h| !committed.contains_key(h))
        .count();
    // From the first transfer's clock to the last successful commit.
    let first_clock = offered.values().min().copied();
    let last_commit = offered
        .keys()
        .filter(|h| success.get(h) == Some(&true))
        .filter_map(|h| committed.get(h))
        .max()
        .copied();
    let wall = match (first_clock, last_commit) {
        (Some(first), Some(last)) => last.saturating_duration_since(first).as_secs_f64(),
        _ => 0.0,
    };
    let finalized_tps = if wall > 0.0 {
        finalized as f64 / wall
    } else {
        0.0
    };
    // The rate at which transfers went out for the first time, against the one asked for.
    let achieved_offered_rate = match (first_clock, *run.shared.first_sends.lock().expect("lock")) {
        (Some(first), Some((_, last))) if last > first => {
            offered.len() as f64 / last.duration_since(first).as_secs_f64()
        }
        _ => f64::INFINITY,
    };
    let (blocks, block_interval_ms, txs_per_block) = busy_blocks(run.blocks);
    let ticks = clock_ticks();
    let nodes: Vec<serde_json::Value> = run
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let peak = if run.peak_reset {
                n.peak_rss_mb
            } else {
                n.rss_mb_samples.iter().copied().reduce(f64::max)
            };
            json!({
                "node": i + 1,
                "cpu_seconds": n.cpu_ticks.map(|t| round(t / ticks, 2)),
                "peak_rss_mb": peak.map(|mb| round(mb, 1)),
                "rss_mb_samples": n.rss_mb_samples,
            })
        })
        .collect();
    let cluster_cpu_s: Option<f64> = run.nodes.iter().map(|n| n.cpu_ticks).sum::<Option<f64>>();
    let cluster_cpu_s = cluster_cpu_s
        .filter(|_| !run.nodes.is_empty())
        .map(|t| t / ticks);
    let cpu_us_per_transfer = cluster_cpu_s
        .filter(|_| finalized > 0)
        .map_or(f64::INFINITY, |s| s * 1e6 / finalized as f64);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let (batch_verify_us, single_verify_us) = run.signatures;
    let signature_bound_tps = cores as f64 * 1e6 / (run.validators as f64 * batch_verify_us);
    let args = run.args;
    json!({
        "workload": match args.workload { Workload::Voucher => "voucher", Workload::Cash => "cash" },
        "validators": run.validators,
        "offered_rate": args.rate,
        "achieved_offered_rate": figure(achieved_offered_rate, 1),
        "resubmit": args.resubmit,
        "parts_in_state": run.parts,
        "submitted": run.submitted,
        "offered": offered.len(),
        "admitted": admitted.len(),
        "refused": offered.len() - admitted.len(),
        "refusals": *run.shared.refusals.lock().expect("lock"),
        "resubmissions": run.shared.resubmissions.load(Ordering::Relaxed),
        "finalized": finalized,
        "failed": failed,
        "failures": run.receipts.failures,
        "not_finalized": never_committed,
        "never_finalized": offered.len() - finalized,
        "duration_s": round(wall, 2),
        "finalized_tps": round(finalized_tps, 1),
        "latency_p50_ms": figure(percentile(&latencies, 50.0), 1),
        "latency_p95_ms": figure(percentile(&latencies, 95.0), 1),
        "latency_p99_ms": figure(percentile(&latencies, 99.0), 1),
        "blocks": blocks,
        "block_interval_ms": round(block_interval_ms, 1),
        "txs_per_block": round(txs_per_block, 1),
        "nodes": nodes,
        "peak_rss_of": if run.peak_reset { "the measurement" } else { "the 5 s samples" },
        "cluster_cpu_seconds": cluster_cpu_s.map(|s| round(s, 2)),
        "cpu_us_per_transfer": figure(cpu_us_per_transfer, 1),
        "cpu_ceiling_tps": figure(cores as f64 * 1e6 / cpu_us_per_transfer, 0),
        "bench_cpu_seconds": run.bench_cpu_ticks.map(|t| round(t / ticks, 2)),
        "max_height_gap": run.max_height_gap,
        "cores": cores,
        "batch_verify_us": round(batch_verify_us, 2),
        "single_verify_us": round(single_verify_us, 2),
        "signature_bound_tps": round(signature_bound_tps, 0),
    })
}

/// Blocks from the first that carried a transaction to the last: how many, their mean
/// interval (header times, ms) and transactions each.
fn busy_blocks(blocks: &[SeenBlock]) -> (usize, f64, f64) {
    let (Some(first), Some(last)) = (
        blocks.iter().position(|b| b.txs > 0),
        blocks.iter().rposition(|b| b.txs > 0),
    ) else {
        return (0, 0.0, 0.0);
    };
    let busy = &blocks[first..=last];
    let intervals: Vec<f64> = busy
        .windows(2)
        .map(|w| w[1].time_ms.saturating_sub(w[0].time_ms) as f64)
        .collect();
    let mean = |values: &[f64]| {
        if values.is_empty() {
            0.0
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        }
    };
    let txs: Vec<f64> = busy.iter().map(|b| b.txs as f64).collect();
    (busy.len(), mean(&intervals), mean(&txs))
}

/// CPU time (user + system, in clock ticks) and peak resident memory (MB) of a process, from
/// /proc.
pub(crate) fn process_usage(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some((ticks, status_mb(pid, "VmHWM:")?))
}

/// A memory figure of /proc/<pid>/status (given in kB there), in MB.
pub(crate) fn status_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Resident memory (MB) of a process now, from /proc.
pub(crate) fn resident_mb(pid: u32) -> Option<f64> {
    status_mb(pid, "VmRSS:")
}

/// How often the bench samples each validator's memory and height while it runs.
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Clock ticks per second, for /proc's CPU times.
pub(crate) fn clock_ticks() -> f64 {
    let mut command = std::process::Command::new("getconf");
    command.arg("CLK_TCK");
    catena_launcher::process::run(&mut command, Duration::from_secs(10))
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The cost of one signature check inside a batch of 1,024, on this core, with the node's own
/// library: the best of five batches (µs per signature); and of one check alone.
pub(crate) fn signature_costs(chain_id: &str) -> (f64, f64) {
    let keys: Vec<SecretKey> = (0..32u32).map(sender_key).collect();
    let txs: Vec<Transaction> = (0..1024u64)
        .map(|i| {
            let key = &keys[i as usize % keys.len()];
            let transfer = Transfer {
                voucher: i,
                to: "91320500MA1MX0002X".into(),
                amount: None,
            };
            Transaction::signed(chain_id, i, call(voucher_method::TRANSFER, transfer), key)
        })
        .collect();
    let messages: Vec<Vec<u8>> = txs.iter().map(Transaction::signing_bytes).collect();
    let items: Vec<catena_primitives::crypto::SignedItem<'_>> = txs
        .iter()
        .zip(&messages)
        .map(|(tx, m)| (&tx.signer, m.as_slice(), &tx.signature))
        .collect();
    let mut best_batch = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        assert!(catena_primitives::verify_batch(&items));
        best_batch = best_batch.min(started.elapsed().as_secs_f64() * 1e6 / items.len() as f64);
    }
    let started = Instant::now();
    for (key, message, signature) in &items[..256] {
        assert!(key.verify(message, signature));
    }
    let single = started.elapsed().as_secs_f64() * 1e6 / 256.0;
    (best_batch, single)
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub(crate) fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

pub(crate) fn print_summary(r: &serde_json::Value) {
    // A latency or ceiling that is null: that share never finalized, or nothing did.
    let ms = |key: &str| match r[key].as_f64() {
        Some(v) => format!("{v} ms"),
        None => "never".to_string(),
    };
    println!(
        "catena-bench: {} transfers{} on {} validators, offered {} (achieved {}/s){}",
        r["workload"],
        match r["parts_in_state"].as_u64() {
            Some(parts) if parts > 0 => format!(" among {parts} voucher parts"),
            _ => String::new(),
        },
        r["validators"],
        match r["offered_rate"].as_u64() {
            Some(0) | None => "as fast as accepted".to_string(),
            Some(rate) => format!("{rate}/s"),
        },
        r["achieved_offered_rate"],
        if r["resubmit"] == true {
            ", refused ones resent"
        } else {
            ""
        }
    );
    println!(
        "  finalized      {} of {} offered in {} s: {} refused, {} failed on chain, {} admitted but never committed",
        r["finalized"], r["offered"], r["duration_s"], r["refused"], r["failed"], r["not_finalized"]
    );
    println!("  finalized_tps  {}", r["finalized_tps"]);
    println!(
        "  latency        p50 {}, p95 {}, p99 {} (scheduled or first send to commit; {} never finalized, beyond every percentile)",
        ms("latency_p50_ms"),
        ms("latency_p95_ms"),
        ms("latency_p99_ms"),
        r["never_finalized"]
    );
    println!(
        "  blocks         {} blocks, {} ms apart, {} transactions each",
        r["blocks"], r["block_interval_ms"], r["txs_per_block"]
    );
    if let Some(nodes) = r["nodes"].as_array() {
        for n in nodes {
            let samples = n["rss_mb_samples"].as_array();
            let first = samples.and_then(|s| s.first()).cloned().unwrap_or_default();
            let last = samples.and_then(|s| s.last()).cloned().unwrap_or_default();
            println!(
                "  node {}         {} CPU s, peak RSS {} MB over {} (RSS {} MB at the start, {} MB at the end)",
                n["node"], n["cpu_seconds"], n["peak_rss_mb"], r["peak_rss_of"].as_str().unwrap_or("?"), first, last
            );
        }
    }
    println!(
        "  cluster CPU    {} s, {} µs per finalized transfer: ceiling {} tx/s on {} cores (the bench itself: {} CPU s)",
        r["cluster_cpu_seconds"],
        r["cpu_us_per_transfer"],
        r["cpu_ceiling_tps"],
        r["cores"],
        r["bench_cpu_seconds"]
    );
    println!(
        "  heights        validators at most {} blocks apart",
        r["max_height_gap"]
    );
    println!(
        "  signatures     {} µs each in a batch of 1,024 ({} µs alone); bound {} tx/s = {} cores x 1e6 / ({} validators x {} µs)",
        r["batch_verify_us"],
        r["single_verify_us"],
        r["signature_bound_tps"],
        r["cores"],
        r["validators"],
        r["batch_verify_us"]
    );
    let tally = |key: &str, what: &str| {
        if let Some(map) = r[key].as_object() {
            for (reason, count) in map {
                println!("  {what:<14} {count} x {reason}");
            }
        }
    };
    tally("refusals", "refused");
    println!("  resubmissions  {}", r["resubmissions"]);
    tally("failures", "failed");
}
