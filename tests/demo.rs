//! `catena demo --exit` tells the whole story on a fresh 4-validator testnet and exits 0 only if
//! every step went as told.

mod common;

#[test]
fn the_demo_runs_to_the_end() {
    let dir = common::test_dir();
    let chain = dir.path().join("demo");
    let api_port = common::free_ports(4);
    let p2p_port = common::free_ports(4);
    let out = common::catena(&[
        "demo",
        "--exit",
        "--dir",
        chain.to_str().expect("utf-8"),
        "--api-port",
        &api_port.to_string(),
        "--p2p-port",
        &p2p_port.to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Every step went as told."), "{stdout}");
    assert!(!stdout.contains('✗'), "{stdout}");
    for step in [
        "1. The consortium",
        "7. A second financing",
        "8. Maturity",
        "9. An issuer without cash",
    ] {
        assert!(stdout.contains(step), "{step} missing from:\n{stdout}");
    }
    assert!(
        stdout.contains("merchant-bank holds 400000.00 (expected 400000.00)"),
        "{stdout}"
    );
    // A non-empty directory is refused rather than mixed with a new chain.
    let again = common::catena(&["demo", "--exit", "--dir", chain.to_str().expect("utf-8")]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));
}
