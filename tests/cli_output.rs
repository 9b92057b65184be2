//! The CLI for scripts (issue 18, item 4), on a real dev node: every command answers `--output
//! json` with one JSON document (a write: its hash, status, block, receipt and the ids it
//! created); `--no-wait` says "submitted", never an outcome it has not seen, and several can be
//! sent in a row; the exit codes tell refused (1), bad input (2) and an unreachable node (3)
//! apart; a closed pipe ends the output quietly; `query events` follows its own cursor.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use catena_testing::cli::Cli;
use common::story::voucher_story;
use common::TestNode;
use serde_json::Value;

/// A write's JSON: committed in a block, its receipt a success; what it created.
fn committed(written: &Value) -> &Value {
    assert_eq!(written["status"], "committed", "{written}");
    assert!(
        written["hash"].as_str().is_some_and(|h| h.len() == 66),
        "{written}"
    );
    assert!(
        written["block"].as_u64().is_some_and(|b| b > 0),
        "{written}"
    );
    assert_eq!(written["receipt"]["success"], true, "{written}");
    &written["created"]
}

#[test]
fn every_command_answers_json_and_the_exit_codes_say_what_happened() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let cli = Cli::new(dir.path(), &node.api);
    let story = voucher_story(&cli, dir.path());
    let tier2 = cli.json("member show tier2-parts")["uscc"]
        .as_str()
        .expect("a USCC")
        .to_string();

    // Writes: the hash, the block, the receipt with its events decoded, the ids created.
    let minted = cli.json("cash mint --to tier1-steel --amount 100.00 --as merchant-bank");
    assert_eq!(committed(&minted)["amount"], "100.00");
    let events = minted["receipt"]["events"].as_array().expect("events");
    assert_eq!(events[0]["topic"], "minted");
    assert!(events[0]["decoded"].is_object(), "{minted}");
    committed(&cli.json("cash transfer --to tier2-parts --amount 10.00 --as tier1-steel"));
    committed(&cli.json("cash mint --to merchant-bank --amount 5.00 --as merchant-bank"));
    committed(&cli.json("cash burn --amount 1.00 --as merchant-bank"));
    let file = dir.path().join("delivery.pdf");
    std::fs::write(&file, "delivery note 7").expect("a document");
    let recorded = cli.json(&format!(
        "record add {} --kind contract --party huaxia-motors --amount 10.00 --as tier1-steel",
        file.display()
    ));
    let record = committed(&recorded)["record"]
        .as_str()
        .expect("the record")
        .to_string();
    assert_eq!(
        cli.json(&format!("record show {record}"))["kind"],
        "contract"
    );
    let split = cli.json(&format!(
        "voucher split {} --parts 100000.00,300000.00 --as tier2-parts",
        story.parts[1]
    ));
    let parts = committed(&split)["parts"]
        .as_array()
        .expect("parts")
        .clone();
    assert_eq!(parts.len(), 2, "{split}");
    let moved = cli.json(&format!(
        "voucher transfer {} --to tier3-materials --as tier2-parts",
        parts[0]
    ));
    assert_eq!(committed(&moved)["voucher"], parts[0]);
    let offered = cli.json(&format!(
        "voucher pledge {} --to merchant-bank --min-price 1.00 --as tier2-parts",
        parts[1]
    ));
    assert_eq!(committed(&offered)["voucher"], parts[1]);
    let withdrawn = cli.json(&format!("voucher withdraw {} --as tier2-parts", parts[1]));
    assert_eq!(committed(&withdrawn)["voucher"], parts[1]);
    let remark = cli.json(&["remark", "a note for the auditors", "--as", "tier1-steel"]);
    let hash = remark["hash"].as_str().expect("a hash").to_string();
    committed(&remark);
    let tx = cli.json(&format!("tx {hash}"));
    assert_eq!(
        tx["call"]["decoded"]["text"], "a note for the auditors",
        "{tx}"
    );
    let granted = cli.json("audit grant audit-office --until 2099-12-31 --as tier1-steel");
    assert_eq!(
        committed(&granted)["auditor"],
        cli.json("member show audit-office")["uscc"]
    );
    let line = cli.json("voucher credit-line huaxia-motors --set 6000000.00 --as merchant-bank");
    assert!(line["transaction"].as_str().is_some(), "{line}");
    assert_eq!(line["limit"], "6000000.00");

    // Membership, governance and contracts, as JSON.
    let account = format!("0x{}", "ab".repeat(32));
    let proposed = cli.json(&format!(
        "member propose add --name Castings --uscc 91320500MA1XY00092 --role supplier \
         --account {account} --as huaxia-motors"
    ));
    let proposal = committed(&proposed)["proposal"]
        .as_u64()
        .expect("a proposal id");
    let shown = cli.json(&format!("member proposal {proposal}"));
    assert_eq!(
        shown["change"]["AddMember"]["uscc"], "91320500MA1XY00092",
        "the change as the schema reads it, not Rust debug text: {shown}"
    );
    // The dev chain's one governing member decides alone: applied at once, no approval left.
    assert_eq!(proposed["created"]["applied"], true, "{proposed}");
    let late = cli.run(&format!("member approve {proposal} --as huaxia-motors"));
    assert_eq!(late.code, Some(1), "{late:?}");
    let validator = cli.json(&format!(
        "governance add-validator --account {account} --peer-id \
         12D3KooWJuurWknyzpxsd9bJZtriggTJKSD9ckLVcvz5MFtv5uss --address /ip4/127.0.0.1/tcp/1 \
         --from-height 100000 --as huaxia-motors"
    ));
    assert!(committed(&validator)["proposal"].is_u64(), "{validator}");
    let counter = common::source_path("../contracts/artifacts/counter.wasm");
    let deployed = cli.json(&format!("contract deploy {counter} --as huaxia-motors"));
    let contract = committed(&deployed)["contract"]
        .as_str()
        .expect("the contract's id")
        .to_string();
    let five = hex::encode(5u64.to_le_bytes());
    let called = cli.json(&format!(
        "contract call {contract} add --input {five} --as tier2-parts"
    ));
    assert_eq!(committed(&called)["output"], format!("0x{five}"));

    // Reads.
    for read in [
        "status",
        "block latest",
        "query account tier1-steel",
        "governance show",
        "member list",
        "member nodes",
        "parachain list",
        "audit grants audit-office",
        &format!("voucher show {}", story.original),
        &format!("voucher history {}", story.original),
        &format!("voucher tree {}", story.original),
        &format!("voucher list --holder {tier2}"),
        &format!("voucher quote {} --annual-rate 0.01", parts[1]),
        "voucher suggest-line huaxia-motors",
        "cash balance tier1-steel",
        "contract show registry",
    ] {
        let value = cli.json(read);
        assert!(!value.is_null(), "{read}: {value}");
    }
    let members = cli.json("contract query registry members");
    assert!(
        members["decoded"].as_array().is_some_and(|m| m.len() >= 5),
        "{members}"
    );
    // Events: a page, and the next from its own cursor.
    let first = cli.json("query events --limit 2");
    let next = first["next"].as_str().expect("more than two events");
    let second = cli.json(&format!("query events --limit 2 --after {next}"));
    assert_ne!(first["events"][0], second["events"][0]);
    // Keys.
    let key_file = dir.path().join("new-key.json");
    let key_json = |args: &[&str]| -> Value {
        let out = common::catena(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let path = key_file.to_str().expect("UTF-8");
    let made = key_json(&["key", "generate", "--out", path, "--output", "json"]);
    let inspected = key_json(&["key", "inspect", path, "--output", "json"]);
    assert_eq!(made["account"], inspected["account"]);
    assert!(
        made.get("secret_seed").is_none(),
        "the seed stays in the file"
    );

    // --no-wait: submitted, twice in a row from one account (its pending nonce), never an
    // outcome; both are committed after.
    let mut sent = Vec::new();
    for _ in 0..2 {
        let out = cli.ok("cash transfer --to tier2-parts --amount 1.00 --no-wait --as tier1-steel");
        assert!(out.contains("submitted 0x"), "{out}");
        assert!(
            !out.contains("transferred"),
            "no outcome it has not seen: {out}"
        );
        sent.push(out.split_whitespace().nth(1).expect("the hash").to_string());
    }
    let quick = cli.json("cash transfer --to tier2-parts --amount 1.00 --no-wait --as tier1-steel");
    assert_eq!(quick["status"], "submitted", "{quick}");
    sent.push(quick["hash"].as_str().expect("a hash").to_string());
    common::wait_all_committed(&node, &sent, Duration::from_secs(60));

    // Exit codes: refused by the chain 1, bad input 2, the node unreachable 3; one message each.
    let refused = cli.run(&format!(
        "voucher transfer {} --to tier2-parts --as tier2-parts",
        parts[0]
    ));
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert_eq!(refused.err.matches("error:").count(), 1, "{}", refused.err);
    assert!(
        refused.err.contains("the voucher contract refused"),
        "{}",
        refused.err
    );
    let bad = cli.run("cash transfer --to nobody-at-all --amount 1.00 --as tier1-steel");
    assert_eq!(bad.code, Some(2), "{bad:?}");
    let away = Cli::new(dir.path(), "http://127.0.0.1:9").run("status");
    assert_eq!(away.code, Some(3), "{away:?}");
    assert!(away.err.contains("cannot reach the node"), "{}", away.err);

    // A reader that closes the pipe at once: no panic, no 101.
    let mut child = Command::new(common::BIN)
        .args(["member", "list", "--api", &node.api])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("catena starts");
    drop(child.stdout.take());
    let status = common::process::wait_until(&mut child, Duration::from_secs(30));
    let Some(status) = status else {
        let _ = child.kill();
        panic!("catena member list did not end within 30 s");
    };
    let mut said = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut said)
        .expect("stderr text");
    assert_eq!(status.code(), Some(0), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

/// `catena blocks export|import`: a stopped node's blocks into a file, and into a new node of
/// the same chain, each checked as a peer's block is; an altered block is refused with exit 1
/// and nothing after it is taken; a second import skips what is there.
#[test]
fn blocks_exported_from_one_node_are_imported_into_another_and_checked() {
    let dir = common::test_dir();
    let mut node = TestNode::dev(dir.path(), 100);
    let cli = Cli::new(dir.path(), &node.api);
    cli.ok("remark exported --as tier1-steel");
    common::wait_for("block 12", Duration::from_secs(60), || {
        (node.height() >= 12).then_some(())
    });
    node.stop();
    let path = |p: &std::path::Path| p.to_str().expect("UTF-8").to_string();
    let (home, spec) = (path(&node.home), path(&dir.path().join("spec.json")));
    let file = dir.path().join("blocks.scale");
    let out = common::catena(&["blocks", "export", "--home", &home, "--out", &path(&file)]);
    assert!(out.status.success(), "{out:?}");
    let told = String::from_utf8_lossy(&out.stdout);
    let tip: u64 = told
        .split(" to ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|h| h.parse().ok())
        .expect("the last height exported");
    assert!(tip >= 12, "{told}");

    // A new node of the same chain (a follower: no validator key) takes them all.
    let other = path(&dir.path().join("other"));
    let made = common::catena(&[
        "init", "--home", &other, "--chain", &spec, "--output", "json",
    ]);
    assert!(made.status.success(), "{made:?}");
    let made: Value = serde_json::from_slice(&made.stdout).expect("JSON");
    assert_eq!(made["chain_id"], "catena-dev", "{made}");
    let mut altered = std::fs::read(&file).expect("the export");
    let last = altered.len() - 80;
    altered[last] ^= 1;
    let bad = dir.path().join("altered.scale");
    std::fs::write(&bad, &altered).expect("write");
    let out = common::catena(&["blocks", "import", "--home", &other, &path(&bad)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{out:?}"
    );
    let out = common::catena(&["blocks", "import", "--home", &other, &path(&file)]);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("the store's tip is now {tip}")),
        "{said}"
    );
    let again = common::catena(&["blocks", "import", "--home", &other, &path(&file)]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("imported 0 blocks"),
        "{again:?}"
    );
}
