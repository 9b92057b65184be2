//! The client libraries in their own languages (issue 18, item 5), against a real node hosting a
//! main chain and parachain `para-a` after the voucher story: the Python client's pytest suite
//! (clients/python/tests). Each sends a voucher transfer it built and signed, checks the new
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

/// Runs `command` in `dir` with the chain's facts in its environment; its output, which must
/// report success.
fn run_suite(name: &str, mut command: Command, env: &[(&str, String)]) -> String {
    for (key, value) in env {
        command.env(key, value);
    }
    let out = catena_testing::process::run(&mut command, SUITE_DEADLINE)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{said}");
    assert!(out.status.success(), "the {name} suite failed:\n{said}");
    said
}

#[test]
fn the_python_client_sends_a_transfer_proves_it_decodes_events_and_signs_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = keyed_parachains(dir.path(), &["para-a"]);
    let cli = Cli::new(dir.path(), &node.api);
    let story = voucher_story(&cli, dir.path());
    let env = [
        ("CATENA_API", node.api.clone()),
        ("CATENA_KEYS", dir.path().join("keys").display().to_string()),
        (
            "CATENA_SPEC",
            dir.path().join("main.json").display().to_string(),
        ),
        ("CATENA_VOUCHER", story.parts[1].clone()),
        ("CATENA_PARACHAIN", "para-a".to_string()),
    ];
    let python = common::source_path("../clients/python");
    let mut command = Command::new("python3");
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
        .current_dir(Path::new(&python));
    let said = run_suite("Python client's", command, &env);
    assert!(said.contains("4 passed"), "{said}");
}
