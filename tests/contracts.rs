//! A contract that is not a system contract, deployed and called on a dev chain with the CLI:
//! real RocksDB, real wasmtime.

mod common;

use catena_testing::cli::{contract_id_in, Cli, Ran};
use common::TestNode;

#[test]
fn a_contract_is_deployed_called_and_shown_with_the_cli() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let wasm = wat::parse_file(common::source_path("../runtime/tests/fixtures/counter.wat"))
        .expect("fixture");
    let file = dir.path().join("counter.wasm");
    std::fs::write(&file, &wasm).expect("write");
    let cli = Cli::new(dir.path(), &node.api);

    let Ran { ok, out, err, .. } = cli.run(&[
        "contract",
        "deploy",
        file.to_str().expect("utf-8"),
        "--as",
        "tier1-steel",
    ]);
    assert!(ok, "{err}");
    let id = contract_id_in(&out);

    let five = hex::encode(5u64.to_le_bytes());
    let Ran { ok, out, err, .. } = cli.run(&format!(
        "contract call {id} call --input {five} --as tier2-parts"
    ));
    assert!(ok, "{err}");
    assert!(out.contains("output: 0x0500000000000000"), "{out}");
    let three = hex::encode(3u64.to_le_bytes());
    let Ran { ok, out, err, .. } = cli.run(&format!(
        "contract call {id} call --input {three} --as tier2-parts"
    ));
    assert!(ok, "{err}");
    assert!(out.contains("output: 0x0800000000000000"), "{out}");
    assert!(out.contains("event counted: 0x0800000000000000"), "{out}");

    // The contract's own error is a clear sentence and a non-zero exit; nothing changes.
    let Ran { ok, err, .. } = cli.run(&format!(
        "contract call {id} call --input 0102 --as tier2-parts"
    ));
    assert!(!ok);
    assert!(err.contains("input must be 8 bytes"), "{err}");
    let Ran { ok, out, err, .. } = cli.run(&format!(
        "contract call {id} call --input {} --as tier2-parts",
        hex::encode(0u64.to_le_bytes())
    ));
    assert!(ok, "{err}");
    assert!(out.contains("output: 0x0800000000000000"), "still 8: {out}");

    let Ran { ok, out, err, .. } = cli.run(&format!("contract show {id} --output json"));
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
    let Ran { ok, err, .. } = cli.run(&[
        "contract",
        "deploy",
        dir.path().join("x.wasm").to_str().expect("utf-8"),
        "--as",
        "tier1-steel",
    ]);
    assert!(!ok);
    assert!(err.contains("is not a WebAssembly binary"), "{err}");
    let unknown = catena_primitives::Hash::digest(b"nothing").to_string();
    let Ran { ok, err, .. } = cli.run(&format!("contract show {unknown}"));
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
    let cli = Cli::new(dir.path(), &node.api);
    let Ran { ok, out, err, .. } =
        cli.run(&["contract", "deploy", artifact, "--as", "huaxia-motors"]);
    assert!(ok, "{err}");
    let id = contract_id_in(&out);
    let seven = hex::encode(7u64.to_le_bytes());
    for expected in ["0x0700000000000000", "0x0e00000000000000"] {
        let Ran { ok, out, err, .. } = cli.run(&format!(
            "contract call {id} add --input {seven} --as merchant-bank"
        ));
        assert!(ok, "{err}");
        assert!(out.contains(&format!("output: {expected}")), "{out}");
    }
    let Ran { ok, out, err, .. } = cli.run(&format!("contract call {id} get --as merchant-bank"));
    assert!(ok, "{err}");
    assert!(out.contains("output: 0x0e00000000000000"), "{out}");
    let Ran { ok, err, .. } = cli.run(&format!(
        "contract call {id} add --input 01 --as merchant-bank"
    ));
    assert!(!ok);
    assert!(err.contains("the amount must be 8 bytes"), "{err}");

    // Upgrade: refused for anyone but the owner; the owner's is recorded and takes effect.
    let wat_counter = wat::parse_file(common::source_path("../runtime/tests/fixtures/counter.wat"))
        .expect("fixture");
    let file = dir.path().join("v2.wasm");
    std::fs::write(&file, &wat_counter).expect("write");
    let path = file.to_str().expect("utf-8");
    let Ran { ok, err, .. } = cli.run(&["contract", "upgrade", &id, path, "--as", "merchant-bank"]);
    assert!(!ok);
    assert!(err.contains("only the contract's owner"), "{err}");
    let Ran { ok, out, err, .. } =
        cli.run(&["contract", "upgrade", &id, path, "--as", "huaxia-motors"]);
    assert!(ok, "{err}");
    assert!(out.contains("now runs code"), "{out}");
    let Ran { ok, out, err, .. } = cli.run(&format!("contract show {id} --output json"));
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(shown["upgrades"].as_array().expect("upgrades").len(), 1);
    assert_eq!(
        shown["code_hash"],
        catena_primitives::Hash::digest(&wat_counter).to_string()
    );
}
