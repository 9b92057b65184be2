//! The consortium's invoice key (ADR 0031), with the real binary: generated with mode 0600 and
//! its check value printed; a main spec commits the check value in its genesis; a node takes a
//! parachain of that main chain only with the key that gives it — refused when missing or
//! another, at `chain add` and again at start if the file is swapped — and a node whose key
//! matches hosts the parachain.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::catena;

fn run(args: &[&str]) -> (bool, String) {
    let out = catena(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn ok(args: &[&str]) -> String {
    let (ok, text) = run(args);
    assert!(ok, "{args:?}: {text}");
    text
}

fn fails(args: &[&str]) -> String {
    let (ok, text) = run(args);
    assert!(!ok, "{args:?} should fail: {text}");
    text
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8")
}

#[test]
fn a_parachain_is_hosted_only_with_the_invoice_key_its_main_chain_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (k1, k2) = (d.join("k1.key"), d.join("k2.key"));
    let made = ok(&["key", "generate-invoice-key", "--out", s(&k1)]);
    ok(&["key", "generate-invoice-key", "--out", s(&k2)]);
    assert_eq!(
        std::fs::metadata(&k1).expect("k1").permissions().mode() & 0o777,
        0o600
    );
    let check = made
        .lines()
        .find_map(|l| l.strip_prefix("check value: "))
        .expect("the check value printed")
        .to_string();
    // Never twice into one file.
    assert!(fails(&["key", "generate-invoice-key", "--out", s(&k1)]).contains("already exists"));

    let main = d.join("main.json");
    let keys = d.join("keys");
    ok(&[
        "chain-spec",
        "build",
        "--dev",
        "--invoice-key",
        s(&k1),
        "--out",
        s(&main),
        "--keys-dir",
        s(&keys),
    ]);
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&main).expect("spec")).expect("JSON");
    assert_eq!(spec["invoice_key_check"], check.as_str());
    let home = d.join("home");
    let api = format!("127.0.0.1:{}", catena_testing::free_port());
    ok(&[
        "init",
        "--home",
        s(&home),
        "--chain",
        s(&main),
        "--validator-key",
        s(&keys.join("validator-1.json")),
        "--api-addr",
        &api,
    ]);
    let para = d.join("para.json");
    let para_keys = d.join("para-keys");
    ok(&[
        "chain-spec",
        "build",
        "--local",
        "1",
        "--chain-id",
        "para-a",
        "--parachain-of",
        s(&main),
        "--keys-dir",
        s(&para_keys),
        "--out",
        s(&para),
    ]);
    let p2p = format!("/ip4/127.0.0.1/tcp/{}", catena_testing::free_port());
    let vote = para_keys.join("para-a-validator-1.json");
    let network = para_keys.join("para-a-validator-1-network.json");
    let add = |key: Option<&Path>| {
        let mut args = vec![
            "chain",
            "add",
            "--home",
            s(&home),
            "--spec",
            s(&para),
            "--validator-key",
            s(&vote),
            "--network-key",
            s(&network),
            "--p2p-addr",
            &p2p,
        ];
        if let Some(key) = key {
            args.extend(["--invoice-key", s(key)]);
        }
        run(&args)
    };
    let (added, missing) = add(None);
    assert!(!added);
    assert!(
        missing.contains("needs the consortium's invoice key"),
        "{missing}"
    );
    assert!(missing.contains(&check), "{missing}");
    let (added, other) = add(Some(&k2));
    assert!(!added);
    assert!(other.contains(&format!("commits {check}")), "{other}");
    let (added, text) = add(Some(&k1));
    assert!(added, "{text}");
    let stored = home.join("chains").join("para-a").join("invoice.key");
    assert_eq!(
        std::fs::metadata(&stored)
            .expect("the key beside the spec")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    // The key swapped for another: the node refuses to start, saying why.
    std::fs::remove_file(&stored).expect("remove");
    std::fs::copy(&k2, &stored).expect("copy");
    std::fs::set_permissions(&stored, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = common::catena_within(&["node", "--home", s(&home)], Duration::from_secs(60));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("refusing to host parachain 'para-a'") && said.contains("diverge"),
        "{said}"
    );

    // The right key back: the node hosts both chains.
    std::fs::remove_file(&stored).expect("remove");
    std::fs::copy(&k1, &stored).expect("copy");
    std::fs::set_permissions(&stored, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut node = catena_testing::node::node_at(format!("http://{api}"), home.clone());
    node.start();
    common::wait_for("para-a's first block", Duration::from_secs(60), || {
        let chains = node.get_ok("/chains");
        chains
            .as_array()
            .and_then(|all| all.iter().find(|c| c["chain_id"] == "para-a"))
            .and_then(|c| c["height"].as_u64())
            .filter(|h| *h >= 1)
    });
    // The main chain's genesis state holds the check value (SCALE: the 32 bytes).
    let committed = node.get_ok(&format!(
        "/state/{}",
        hex::encode(catena_primitives::invoice::KEY_CHECK_KEY)
    ));
    assert_eq!(committed["value"], check.as_str());
    node.stop();
}
