//! A contract that is not a system contract, deployed and called on a dev chain with the CLI:
//! real RocksDB, real wasmtime.

mod common;

use common::{catena, TestNode};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = catena(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_contract_is_deployed_called_and_shown_with_the_cli() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let wasm = wat::parse_file(common::source_path("../runtime/tests/fixtures/counter.wat"))
        .expect("fixture");
    let file = dir.path().join("counter.wasm");
    std::fs::write(&file, &wasm).expect("write");
    let home = dir.path().to_str().expect("utf-8");
    let with = |args: &[&str]| {
        let mut full = args.to_vec();
        full.extend_from_slice(&["--home", home, "--api", &node.api]);
        run(&full)
    };

    let (ok, out, err) = with(&[
        "contract",
        "deploy",
        file.to_str().expect("utf-8"),
        "--as",
        "tier1-steel",
    ]);
    assert!(ok, "{err}");
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("contract "))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no contract id in {out}"))
        .to_string();

    let five = hex::encode(5u64.to_le_bytes());
    let (ok, out, err) = with(&[
        "contract",
        "call",
        &id,
        "call",
        "--input",
        &five,
        "--as",
        "tier2-parts",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("output: 0x0500000000000000"), "{out}");
    let three = hex::encode(3u64.to_le_bytes());
    let (ok, out, err) = with(&[
        "contract",
        "call",
        &id,
        "call",
        "--input",
        &three,
        "--as",
        "tier2-parts",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("output: 0x0800000000000000"), "{out}");
    assert!(out.contains("event counted: 0x0800000000000000"), "{out}");

    // The contract's own error is a clear sentence and a non-zero exit; nothing changes.
    let (ok, _, err) = with(&[
        "contract",
        "call",
        &id,
        "call",
        "--input",
        "0102",
        "--as",
        "tier2-parts",
    ]);
    assert!(!ok);
    assert!(err.contains("input must be 8 bytes"), "{err}");
    let (ok, out, err) = with(&[
        "contract",
        "call",
        &id,
        "call",
        "--input",
        &hex::encode(0u64.to_le_bytes()),
        "--as",
        "tier2-parts",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("output: 0x0800000000000000"), "still 8: {out}");

    let (ok, out, err) = with(&["contract", "show", &id, "--output", "json"]);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        shown["code_hash"],
        catena_primitives::Hash::digest(&wasm).to_string()
    );
    assert_eq!(
        shown["owner"],
        node.demo_key("tier1-steel").account().to_string()
    );

    // Bad input: a file that is not WebAssembly, an unknown contract.
    std::fs::write(dir.path().join("x.wasm"), b"hello").expect("write");
    let (ok, _, err) = with(&[
        "contract",
        "deploy",
        dir.path().join("x.wasm").to_str().expect("utf-8"),
        "--as",
        "tier1-steel",
    ]);
    assert!(!ok);
    assert!(err.contains("is not a WebAssembly binary"), "{err}");
    let unknown = catena_primitives::Hash::digest(b"nothing").to_string();
    let (ok, _, err) = with(&["contract", "show", &unknown]);
    assert!(!ok);
    assert!(err.contains("no contract"), "{err}");
}

/// The example contract written with the SDK (contracts/examples/counter), from its committed
/// artifact.
#[test]
fn the_sdk_example_contract_runs_from_its_artifact() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let artifact = &common::source_path("../contracts/artifacts/counter.wasm");
    let home = dir.path().to_str().expect("utf-8");
    let with = |args: &[&str]| {
        let mut full = args.to_vec();
        full.extend_from_slice(&["--home", home, "--api", &node.api]);
        run(&full)
    };
    let (ok, out, err) = with(&["contract", "deploy", artifact, "--as", "huaxia-motors"]);
    assert!(ok, "{err}");
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("contract "))
        .and_then(|r| r.split_whitespace().next())
        .expect("contract id")
        .to_string();
    let seven = hex::encode(7u64.to_le_bytes());
    for expected in ["0x0700000000000000", "0x0e00000000000000"] {
        let (ok, out, err) = with(&[
            "contract",
            "call",
            &id,
            "add",
            "--input",
            &seven,
            "--as",
            "merchant-bank",
        ]);
        assert!(ok, "{err}");
        assert!(out.contains(&format!("output: {expected}")), "{out}");
    }
    let (ok, out, err) = with(&["contract", "call", &id, "get", "--as", "merchant-bank"]);
    assert!(ok, "{err}");
    assert!(out.contains("output: 0x0e00000000000000"), "{out}");
    let (ok, _, err) = with(&[
        "contract",
        "call",
        &id,
        "add",
        "--input",
        "01",
        "--as",
        "merchant-bank",
    ]);
    assert!(!ok);
    assert!(err.contains("the amount must be 8 bytes"), "{err}");

    // Upgrade: refused for anyone but the owner; the owner's is recorded and takes effect.
    let wat_counter = wat::parse_file(common::source_path("../runtime/tests/fixtures/counter.wat"))
        .expect("fixture");
    let file = dir.path().join("v2.wasm");
    std::fs::write(&file, &wat_counter).expect("write");
    let path = file.to_str().expect("utf-8");
    let (ok, _, err) = with(&["contract", "upgrade", &id, path, "--as", "merchant-bank"]);
    assert!(!ok);
    assert!(err.contains("only the contract's owner"), "{err}");
    let (ok, out, err) = with(&["contract", "upgrade", &id, path, "--as", "huaxia-motors"]);
    assert!(ok, "{err}");
    assert!(out.contains("now runs code"), "{out}");
    let (ok, out, err) = with(&["contract", "show", &id, "--output", "json"]);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(shown["upgrades"].as_array().expect("upgrades").len(), 1);
    assert_eq!(
        shown["code_hash"],
        catena_primitives::Hash::digest(&wat_counter).to_string()
    );
}
