//! The operator commands: keys, chain specs, init, and their errors.

mod common;

use common::catena;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn key_generate_and_inspect() {
    let dir = common::test_dir();
    let file = dir.path().join("k.json");
    let out = catena(&["key", "generate", "--out", file.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let generated = stdout(&out);
    let account = generated
        .lines()
        .find(|l| l.starts_with("account: 0x"))
        .expect("account line");
    let out = catena(&["key", "inspect", file.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(account));
    assert!(stdout(&out).contains("peer id: 12D3KooW"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Never overwrites a key.
    let out = catena(&["key", "generate", "--out", file.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
}

#[test]
fn chain_spec_build_and_init_errors_name_the_field() {
    let dir = common::test_dir();
    let out = catena(&["chain-spec", "build", "--local", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let spec: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json spec");
    assert_eq!(spec["validators"].as_array().expect("validators").len(), 4);

    let mut bad = spec.clone();
    bad["members"][1]["uscc"] = "91310000MA1FL00000".into();
    bad["parameters"]["block_time_ms"] = 0.into();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, bad.to_string()).expect("write");
    let home = dir.path().join("home");
    let out = catena(&[
        "init",
        "--home",
        home.to_str().expect("utf-8"),
        "--chain",
        path.to_str().expect("utf-8"),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("members[1].uscc"), "{err}");
    assert!(err.contains("parameters.block_time_ms"), "{err}");
    assert!(
        !home.join("chain-spec.json").exists(),
        "a refused init writes nothing"
    );

    let good = dir.path().join("good.json");
    std::fs::write(&good, spec.to_string()).expect("write");
    let args = [
        "init",
        "--home",
        home.to_str().expect("utf-8"),
        "--chain",
        good.to_str().expect("utf-8"),
    ];
    assert!(catena(&args).status.success());
    let again = catena(&args);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already a node home"),
        "{}",
        stderr(&again)
    );

    let out = catena(&[
        "node",
        "--home",
        dir.path().join("nothing").to_str().expect("utf-8"),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("catena init"), "{}", stderr(&out));
}

#[test]
fn query_commands_report_an_unreachable_node() {
    let out = catena(&["status", "--api", "http://127.0.0.1:1"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot reach the node"),
        "{}",
        stderr(&out)
    );
}
