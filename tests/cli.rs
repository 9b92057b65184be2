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

#[test]
fn init_accepts_a_member_key_as_a_future_validator_and_refuses_strangers() {
    let dir = common::test_dir();
    let spec = dir.path().join("spec.json");
    let keys = dir.path().join("keys");
    let out = catena(&[
        "chain-spec",
        "build",
        "--local",
        "4",
        "--out",
        spec.to_str().expect("utf-8"),
        "--keys-dir",
        keys.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stranger = dir.path().join("stranger.json");
    let out = catena(&[
        "key",
        "generate",
        "--out",
        stranger.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let init = |home: &str, key: &std::path::Path| {
        catena(&[
            "init",
            "--home",
            dir.path().join(home).to_str().expect("utf-8"),
            "--chain",
            spec.to_str().expect("utf-8"),
            "--validator-key",
            key.to_str().expect("utf-8"),
            "--network-key",
            stranger.to_str().expect("utf-8"),
        ])
    };
    let out = init("stranger", &stranger);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is neither a validator nor a member account"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("stranger").join("chain-spec.json").exists());

    let out = init("joining", &keys.join("tier2-parts.json"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("votes once governance adds it"),
        "{}",
        stderr(&out)
    );
}

/// An error names its cause once: "cannot read key file F: No such file or directory", not the
/// cause repeated after the message that already carries it.
#[test]
fn an_error_says_its_cause_once() {
    let out = catena(&["key", "inspect", "/nonexistent/key.json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: cannot read key file /nonexistent/key.json: "),
        "{err}"
    );
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn operators_see_the_version_validate_specs_and_the_effective_configuration() {
    let dir = common::test_dir();
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();

    // --version: the commit and each contract artifact's SHA-256, as the files hash.
    let out = catena(&["--version"]);
    let version = stdout(&out);
    assert!(version.contains("\ncommit "), "{version}");
    for name in [
        "registry", "records", "cash", "voucher", "receipts", "lending",
    ] {
        let code = std::fs::read(common::source_path(&format!(
            "../contracts/artifacts/{name}.wasm"
        )))
        .expect("an artifact");
        let hash = catena_primitives::Hash::digest(&code).to_string();
        assert!(
            version.contains(&format!("{name}.wasm")) && version.contains(&hash),
            "{name}: {version}"
        );
    }
    assert!(stdout(&catena(&["node", "--help"])).contains("catena init"));

    // chain-spec validate: what the spec is, or every problem with its field (exit 2).
    let (spec, keys) = (path("local.json"), path("keys"));
    let built = catena(&[
        "chain-spec",
        "build",
        "--local",
        "4",
        "--keys-dir",
        &keys,
        "--out",
        &spec,
    ]);
    assert!(built.status.success(), "{}", stderr(&built));
    let out = catena(&["chain-spec", "validate", &spec, "--output", "json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(shown["valid"], true);
    assert_eq!(shown["validators"], 4);
    let mut broken: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&spec).expect("spec")).expect("JSON");
    broken["chain_id"] = "Not An Id".into();
    let bad = path("bad.json");
    std::fs::write(&bad, broken.to_string()).expect("write");
    let out = catena(&["chain-spec", "validate", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("chain_id"), "{}", stderr(&out));

    // init refuses a validator of a multi-validator chain without its network key, and writes
    // nothing; with it, the home is made.
    let home = path("node-1");
    let validator = format!("{keys}/validator-1.json");
    let out = catena(&[
        "init",
        "--home",
        &home,
        "--chain",
        &spec,
        "--validator-key",
        &validator,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--network-key"), "{}", stderr(&out));
    assert!(!std::path::Path::new(&home).exists());
    let network = format!("{keys}/validator-1-network.json");
    let out = catena(&[
        "init",
        "--home",
        &home,
        "--chain",
        &spec,
        "--validator-key",
        &validator,
        "--network-key",
        &network,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A chain only this node validates is not purged: nothing could give its blocks back.
    let (dev_spec, dev_keys, dev_home) = (path("dev.json"), path("dev-keys"), path("dev-home"));
    let built = catena(&[
        "chain-spec",
        "build",
        "--dev",
        "--keys-dir",
        &dev_keys,
        "--out",
        &dev_spec,
    ]);
    assert!(built.status.success(), "{}", stderr(&built));
    let made = catena(&[
        "init",
        "--home",
        &dev_home,
        "--chain",
        &dev_spec,
        "--validator-key",
        &format!("{dev_keys}/validator-1.json"),
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let out = catena(&["purge", "--home", &dev_home, "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("one validator, this node"),
        "{}",
        stderr(&out)
    );

    // The effective configuration: config.toml, then the environment, then flags.
    let mut command = std::process::Command::new(common::BIN);
    command
        .args([
            "node",
            "--home",
            &home,
            "--print-config",
            "--api-requests-per-second",
            "77",
        ])
        .env("CATENA_MEMPOOL_CAPACITY", "1234")
        .env("CATENA_API_REQUESTS_PER_SECOND", "5")
        .env_remove("CATENA_HOME");
    let out = common::process::run(&mut command, std::time::Duration::from_secs(30))
        .expect("catena node --print-config");
    let config = stdout(&out);
    assert!(config.contains("mempool_capacity = 1234"), "{config}");
    assert!(
        config.contains("api_requests_per_second = 77"),
        "the flag wins: {config}"
    );
}
