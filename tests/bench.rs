//! `catena-bench --output json` runs to the end on a fresh 4-validator testnet and prints one
//! JSON object with every key of the report; every admitted transfer is finalized. A run whose
//! transfers fail on chain reports them, counts only the successful ones, and fails. The
//! figures are printed, never asserted: speed is for the benchmark, not for a test. (A test of
//! the `catena-bench` package: the `catena` binary its nodes run is the one cargo built beside
//! it, as `cargo test --workspace` builds it.)

use std::process::Command;
use std::time::Duration;

use catena_testing::{catena_binary, free_ports, test_dir};

const KEYS: [&str; 23] = [
    "finalized_tps",
    "parts_in_state",
    "achieved_offered_rate",
    "offered",
    "failed",
    "failures",
    "never_finalized",
    "resubmissions",
    "cluster_cpu_seconds",
    "cpu_us_per_transfer",
    "cpu_ceiling_tps",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "block_interval_ms",
    "txs_per_block",
    "nodes",
    "refused",
    "batch_verify_us",
    "signature_bound_tps",
    "submitted",
    "finalized",
    "max_height_gap",
];

/// Runs the bench on a fresh testnet with `extra` arguments; whether it succeeded, and its
/// report.
fn bench(workload: &str, txs: usize, extra: &[&str]) -> (bool, serde_json::Value) {
    let dir = test_dir();
    let api_port = free_ports(4);
    let p2p_port = free_ports(4);
    let mut command = Command::new(env!("CARGO_BIN_EXE_catena-bench"));
    command
        .arg("--catena")
        .arg(catena_binary())
        .args([
            "--output",
            "json",
            "--accounts",
            "8",
            "--workload",
            workload,
        ])
        // Small blocks and a long block time: this is a debug build.
        .args(["--max-block-txs", "100", "--block-time-ms", "500"])
        .args(["--txs", &txs.to_string(), "--dir"])
        .arg(dir.path().join("bench"))
        .args(["--api-port", &api_port.to_string()])
        .args(["--p2p-port", &p2p_port.to_string()])
        .args(extra);
    // One workload takes well under a minute here; the test's limit is 5 minutes for both.
    let output = catena_testing::process::run(&mut command, Duration::from_secs(130))
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stdout.lines().count(),
        1,
        "one JSON object: {stdout}\n{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    println!("{workload} {extra:?}: {report}\n{stderr}");
    (output.status.success(), report)
}

#[test]
fn the_bench_reports_every_figure_and_finalizes_every_transfer() {
    // Cash offered at a rate with refused transfers resent, vouchers as fast as accepted.
    for (workload, txs, extra) in [
        ("voucher", 300, &[][..]),
        ("cash", 300, &["--rate", "150", "--resubmit"][..]),
    ] {
        let (success, report) = bench(workload, txs, extra);
        assert!(success, "{report}");
        for key in KEYS {
            assert!(
                report.get(key).is_some(),
                "{workload}: no {key} in {report}"
            );
        }
        assert_eq!(report["submitted"], txs);
        assert_eq!(report["offered"], txs);
        assert_eq!(report["refused"], 0, "{report}");
        assert_eq!(report["finalized"], txs, "{report}");
        assert_eq!(report["failed"], 0, "{report}");
        assert_eq!(report["never_finalized"], 0, "{report}");
        assert!(report["latency_p99_ms"].as_f64().is_some(), "{report}");
        assert!(report["achieved_offered_rate"].as_f64().expect("rate") > 0.0);
        assert!(report["cpu_us_per_transfer"].as_f64().expect("cpu") > 0.0);
        assert!(report["cpu_ceiling_tps"].as_f64().expect("ceiling") > 0.0);
        assert!(report["finalized_tps"].as_f64().expect("tps") > 0.0);
        let nodes = report["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 4);
        for node in nodes {
            assert!(node["cpu_seconds"].as_f64().expect("cpu") > 0.0, "{node}");
            assert!(node["peak_rss_mb"].as_f64().expect("rss") > 0.0, "{node}");
            let samples = node["rss_mb_samples"].as_array().expect("samples");
            assert!(
                !samples.is_empty() && samples.iter().all(|mb| mb.as_f64() > Some(0.0)),
                "{node}"
            );
        }
        assert!(report["max_height_gap"].as_u64().is_some(), "{report}");
        assert!(report["signature_bound_tps"].as_f64().expect("bound") > 0.0);
    }
}

#[test]
fn a_larger_state_is_made_before_the_measurement_when_asked() {
    // Five vouchers of 100 parts for 100 transfers.
    let (success, report) = bench("voucher", 100, &["--parts", "500"]);
    assert!(success, "{report}");
    assert_eq!(report["parts_in_state"], 500, "{report}");
    assert_eq!(report["finalized"], 100, "{report}");
    // The cash workload has no parts to make: refused before anything starts.
    let mut command = Command::new(env!("CARGO_BIN_EXE_catena-bench"));
    command.args(["--workload", "cash", "--parts", "500"]);
    let output = catena_testing::process::run(&mut command, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--parts sizes the voucher workload's state"),
        "{stderr}"
    );
}

#[test]
fn a_run_with_failing_transfers_reports_them_and_fails() {
    // Every 10th transfer asks for more than its voucher part holds.
    let (success, report) = bench("voucher", 200, &["--failing-every", "10"]);
    assert!(!success, "a run with failed transfers must fail: {report}");
    assert_eq!(report["offered"], 200, "{report}");
    assert_eq!(report["admitted"], 200, "{report}");
    assert_eq!(report["failed"], 20, "{report}");
    assert_eq!(report["finalized"], 180, "{report}");
    assert_eq!(report["never_finalized"], 20, "{report}");
    let failures = report["failures"].as_object().expect("failures");
    assert_eq!(
        failures
            .values()
            .filter_map(serde_json::Value::as_u64)
            .sum::<u64>(),
        20
    );
    assert!(
        failures
            .keys()
            .all(|reason| reason.contains("at most the voucher's")),
        "{failures:?}"
    );
    // 10 % never finalized: the 99th percentile is beyond every finalized transfer.
    assert!(report["latency_p99_ms"].is_null(), "{report}");
    assert!(report["latency_p50_ms"].as_f64().is_some(), "{report}");
}
