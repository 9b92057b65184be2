//! The README's tour, run as written on a dev chain (issue 18, item 4): every `catena` command of
//! its "In another terminal" block, in order, each succeeding — the transaction and document
//! hashes the earlier commands print filled in where the README writes `0x…`. (Every documented
//! command of README.md and docs/operators.md is also checked against the CLI's parser:
//! cli/src/docs_check.rs.)

mod common;

use catena_testing::cli::Cli;
use catena_testing::docs::{documented, words};
use common::TestNode;

#[test]
fn the_readmes_tour_runs_as_written_on_a_dev_chain() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let cli = Cli::new(dir.path(), &node.api);
    let readme = std::fs::read_to_string(common::source_path("../README.md")).expect("README");
    let tour = &readme[readme.find("In another terminal").expect("the tour")..];
    let tour = &tour[..tour.find("\n## ").unwrap_or(tour.len())];
    let commands = documented(tour);
    assert!(commands.len() >= 10, "{commands:?}");
    // The document the tour records, beside the commands.
    std::fs::write(dir.path().join("invoice.pdf"), "VAT invoice 00000001").expect("a document");
    let mut last_hash = String::new();
    for line in &commands {
        let filled = line.replace("0x…", &last_hash);
        let mut args = words(&filled);
        assert_eq!(args.remove(0), "catena");
        if let Some(file) = args.iter_mut().find(|a| *a == "invoice.pdf") {
            *file = dir.path().join("invoice.pdf").display().to_string();
        }
        let ran = cli.run(&args.iter().map(String::as_str).collect::<Vec<_>>()[..]);
        assert!(ran.ok, "`{line}` failed: {}", ran.err);
        // The hash a command printed (a transaction, a document) is the next `0x…`.
        if let Some(hash) = ran
            .out
            .split_whitespace()
            .rev()
            .find(|w| w.starts_with("0x") && w.len() == 66)
        {
            last_hash = hash.to_string();
        }
    }
    let tree = cli.json("voucher tree 1");
    assert!(
        tree.as_array().is_some_and(|parts| parts.len() == 3),
        "{tree}"
    );
}
