//! The client libraries in their own languages (issue 18, item 5), against a real node hosting a
//! main chain and parachain `para-a` after the voucher story: the Python client's pytest suite
//! (clients/python/tests) and the TypeScript client's node:test suite (clients/typescript/test),
//! each against a node of its own. Each sends a voucher transfer it built and signed, checks the new
//! state's proof from the main chain's genesis validators, decodes events by the node's schema
//! and signs a parachain's reads. `scripts/setup.sh --tests` installs what they need.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use catena_testing::cli::Cli;
use common::parachain::keyed_parachains;
use common::story::voucher_story;

/// Each language's suite runs within this.
const SUITE_DEADLINE: Duration = Duration::from_secs(240);

/// Runs a client's suite with the chain's facts in its environment; its output, which must
/// report success.
fn run_suite(name: &str, mut command: Command, env: &[(&str, String)]) -> String {
    for (key, value) in env {
        command.env(key, value);
    }
    common::run_script(&format!("the {name} suite"), &mut command, SUITE_DEADLINE)
}

/// A node hosting the main chain and `para-a` after the voucher story, and the environment the
/// suites read it from (the node must outlive the suite).
fn told_story(dir: &Path) -> (common::TestNode, Vec<(&'static str, String)>) {
    let node = keyed_parachains(dir, &["para-a"]);
    let cli = Cli::new(dir, &node.api);
    let story = voucher_story(&cli, dir);
    let env = vec![
        ("CATENA_API", node.api.clone()),
        ("CATENA_KEYS", dir.join("keys").display().to_string()),
        ("CATENA_SPEC", dir.join("main.json").display().to_string()),
        ("CATENA_VOUCHER", story.parts[1].clone()),
        ("CATENA_PARACHAIN", "para-a".to_string()),
    ];
    (node, env)
}

#[test]
fn the_python_client_sends_a_transfer_proves_it_decodes_events_and_signs_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_node, env) = told_story(dir.path());
    let python = common::source_path("../clients/python");
    let mut command = Command::new("python3");
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
        .current_dir(Path::new(&python));
    let said = run_suite("Python client's", command, &env);
    assert!(said.contains("4 passed"), "{said}");
}

#[test]
fn the_typescript_client_sends_a_transfer_proves_it_decodes_events_and_signs_reads() {
    let typescript = common::source_path("../clients/typescript");
    assert!(
        Path::new(&typescript)
            .join("node_modules/typescript")
            .exists(),
        "the TypeScript client's packages are not installed: run scripts/setup.sh --tests"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (_node, env) = told_story(dir.path());
    let mut command = Command::new("npm");
    command
        .args(["test", "--silent"])
        .current_dir(Path::new(&typescript));
    let said = run_suite("TypeScript client's", command, &env);
    assert!(
        said.contains("# pass 4") && said.contains("# fail 0"),
        "{said}"
    );
}
