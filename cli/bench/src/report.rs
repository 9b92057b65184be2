//! What a run reports: each node's CPU and memory, this machine's signature-checking bound, percentiles, and the summary.

use super::*;

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
    println!(
        "catena-bench: {} transfers on {} validators, offered {}",
        r["workload"],
        r["validators"],
        match r["offered_rate"].as_u64() {
            Some(0) | None => "as fast as accepted".to_string(),
            Some(rate) => format!("{rate}/s"),
        }
    );
    println!(
        "  finalized      {} of {} submitted ({} refused) in {} s",
        r["finalized"], r["submitted"], r["refused"], r["duration_s"]
    );
    println!("  finalized_tps  {}", r["finalized_tps"]);
    println!(
        "  latency        p50 {} ms, p95 {} ms, p99 {} ms (submission to commit)",
        r["latency_p50_ms"], r["latency_p95_ms"], r["latency_p99_ms"]
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
                "  node {}         {} CPU s, peak RSS {} MB (RSS {} MB at the start, {} MB at the end)",
                n["node"], n["cpu_seconds"], n["peak_rss_mb"], first, last
            );
        }
    }
    println!(
        "  heights        validators at most {} blocks apart",
        r["max_height_gap"]
    );
    println!(
        "  signatures     {} µs each in a batch of 1,024 ({} µs alone); bound {} tx/s = {} cores x 1e6 / ({} validators x {} µs)",
        r["batch_verify_us"],
        r["single_verify_us"],
        r["cpu_bound_tps"],
        r["cores"],
        r["validators"],
        r["batch_verify_us"]
    );
    if let Some(refusals) = r["refusals"].as_object() {
        for (code, count) in refusals {
            println!("  refused        {count} x {code}");
        }
    }
}
