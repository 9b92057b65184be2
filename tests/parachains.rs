//! Parachains on the main chain, with real processes: a parachain's spec registered by the main
//! chain's governing quorum through the CLI, shown by the API and the CLI.

mod common;

use catena_testing::cli::Cli;
use common::{catena, TestNode};

#[test]
fn a_parachain_is_registered_by_the_governing_quorum_and_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("main");
    let node = TestNode::dev_command(&home);
    let spec = dir.path().join("para-a.json");
    let keys = dir.path().join("para-keys");
    let out = catena(&[
        "chain-spec",
        "build",
        "--local",
        "4",
        "--chain-id",
        "para-a",
        "--keys-dir",
        keys.to_str().expect("UTF-8"),
        "--out",
        spec.to_str().expect("UTF-8"),
    ]);
    assert!(out.status.success(), "{out:?}");
    let cli = Cli::new(&home, &node.api);
    let spec_arg = spec.to_str().expect("UTF-8");

    // Nothing registered yet.
    assert!(cli
        .ok("parachain list")
        .contains("no parachain is registered"));
    let missing = cli.fails("parachain show para-a");
    assert!(
        missing.contains("no parachain 'para-a' is registered"),
        "{missing}"
    );

    // Proposed by a member that does not govern: refused, nothing registered.
    let refused = cli.fails(&[
        "parachain",
        "register",
        "--spec",
        spec_arg,
        "--as",
        "tier1-steel",
    ]);
    assert!(refused.contains("is not a governing member"), "{refused}");
    assert!(node
        .get_ok("/parachains")
        .as_array()
        .expect("list")
        .is_empty());

    // The dev chain's one governing member is its quorum: registered at once.
    let registered = cli.ok(&[
        "parachain",
        "register",
        "--spec",
        spec_arg,
        "--anchor-every-blocks",
        "5",
        "--as",
        "huaxia-motors",
    ]);
    assert!(
        registered.contains("proposing parachain 'para-a'"),
        "{registered}"
    );
    let shown = cli.json("parachain show para-a");
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["anchor_every_blocks"], 5);
    assert_eq!(shown["validators"].as_array().expect("set").len(), 4);
    assert!(shown["head"].is_null());
    let listed = node.get_ok("/parachains");
    assert_eq!(listed[0]["id"], "para-a");
    assert_eq!(listed[0]["genesis_hash"], shown["genesis_hash"]);
    let anchors = node.get_ok("/parachains/para-a/anchors");
    assert_eq!(anchors["anchors"].as_array().expect("anchors").len(), 0);

    // Registered twice: refused with the reason.
    let again = cli.fails(&[
        "parachain",
        "register",
        "--spec",
        spec_arg,
        "--as",
        "huaxia-motors",
    ]);
    assert!(
        again.contains("parachain 'para-a' is already registered"),
        "{again}"
    );
}
