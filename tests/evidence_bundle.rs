//! Evidence bundles for a court (issue 16), with real processes: on a parachain of a keyed main
//! chain, a voucher is issued against a recorded contract and invoice, part of it transferred
//! up the chain; once anchored, `catena evidence export voucher` writes the part's bundle with
//! the documents, `catena evidence verify` checks it with no node running and prints the facts
//! (who held it when, who recorded what, which transactions) — so does the independent Python
//! verifier —, records' bundles (on the parachain, and on the main chain under its own header)
//! verify too, and 1,000 random single-byte changes of the file, one at a time, each fail,
//! naming their step.

mod common;

use std::time::Duration;

use catena_testing::cli::{command, recorded_hash, Cli};
use common::parachain::{head, keyed_parachains};
use common::wait_for;

fn number_after(out: &str, prefix: &str) -> u64 {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no '{prefix}' in {out}"))
}

/// Runs `catena ARGS` with no node (no --api, no home): its output; it must succeed or fail as
/// `ok` says.
fn offline(args: &[&str], ok: bool) -> String {
    let out = common::catena(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.success(), ok, "{args:?}: {text}");
    text
}

#[test]
fn a_voucher_bundle_verifies_offline_and_every_altered_byte_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut node = keyed_parachains(dir.path(), &["para-a"]);
    let cli = Cli::new(dir.path(), &node.api);
    wait_for("para-a's first block", Duration::from_secs(60), || {
        let status = cli.run("status --chain para-a --as tier1-steel");
        (status.ok && !status.out.contains("height:      0")).then_some(())
    });
    let docs = dir.path().join("documents");
    std::fs::create_dir(&docs).expect("mkdir");
    std::fs::write(docs.join("contract.pdf"), "purchase contract HX-7").expect("write");
    std::fs::write(docs.join("invoice.pdf"), "VAT invoice 00000007").expect("write");
    let path = |name: &str| docs.join(name).to_str().expect("UTF-8").to_string();
    cli.ok("voucher credit-line huaxia-motors --set 5000000.00 --chain para-a --as merchant-bank");
    let contract = recorded_hash(&cli.ok(&command(
        "record add {} --kind contract --party huaxia-motors --amount 1000000.00 --chain para-a --as tier1-steel",
        &[&path("contract.pdf")],
    )));
    let invoice = recorded_hash(&cli.ok(&command(
        "record add {} --kind invoice --invoice-code 3100231130 --invoice-number 00000007 --buyer huaxia-motors --amount 1000000.00 --link {} --chain para-a --as tier1-steel",
        &[&path("invoice.pdf"), &contract],
    )));
    let issued = cli.ok(&format!(
        "voucher issue --to tier1-steel --amount 1000000.00 --maturity +30d --invoice {invoice} --record {contract} --chain para-a --as huaxia-motors"
    ));
    let voucher = number_after(&issued, "issued voucher ");
    let moved = cli.ok(&format!(
        "voucher transfer {voucher} --to tier2-parts --amount 600000.00 --chain para-a --as tier1-steel"
    ));
    let part = number_after(&moved, "transferred voucher ");
    let last = number_after(&moved, "committed in block ");
    wait_for(
        "the transfer's block anchored",
        Duration::from_secs(60),
        || (head(&node, "para-a") >= last).then_some(()),
    );

    let bundle = dir.path().join("evidence.json");
    let exported = cli.ok(&format!(
        "evidence export voucher {part} --with-documents {} --out {} --chain para-a --as tier2-parts",
        docs.display(),
        bundle.display()
    ));
    assert!(
        exported.contains("wrote the evidence of voucher"),
        "{exported}"
    );

    // A record's bundle, on the parachain, and one of a document recorded on the main chain
    // (proved under the main header itself).
    let record = dir.path().join("record.json");
    let written = cli.json(&format!(
        "evidence export record {invoice} --out {} --chain para-a --as tier1-steel",
        record.display()
    ));
    assert_eq!(
        written["bytes"].as_u64(),
        Some(std::fs::metadata(&record).expect("the bundle").len()),
        "{written}"
    );
    assert!(
        written["facts"].as_u64().is_some_and(|n| n > 0),
        "{written}"
    );
    std::fs::write(docs.join("minutes.pdf"), "consortium minutes 2026-12").expect("write");
    let minutes = recorded_hash(&cli.ok(&command(
        "record add {} --kind contract --party huaxia-motors --amount 0 --as tier1-steel",
        &[&path("minutes.pdf")],
    )));
    let on_main = dir.path().join("main-record.json");
    cli.ok(&format!(
        "evidence export record {minutes} --with-documents {} --out {} --as tier1-steel",
        docs.display(),
        on_main.display()
    ));

    // Offline: the node is stopped.
    node.stop();
    let verified = offline(&["evidence", "verify", &bundle.display().to_string()], true);
    println!("{verified}");
    for expected in [
        "verified: the evidence of voucher",
        "The main chain 'catena-dev' certified its block",
        "Parachain 'para-a' is registered on the main chain",
        &format!("Voucher {part} was held by"),
        "was recorded by member",
        "called voucher.transfer; it succeeded",
        "The document carried with SHA-256",
        "It does not prove:",
    ] {
        assert!(
            verified.contains(expected),
            "no '{expected}' in:\n{verified}"
        );
    }
    for (file, chain) in [(&record, "para-a"), (&on_main, "catena-dev")] {
        let said = offline(&["evidence", "verify", &file.display().to_string()], true);
        assert!(
            said.contains(&format!("verified: the evidence of document {invoice}"))
                || said.contains(&format!("verified: the evidence of document {minutes}")),
            "{said}"
        );
        assert!(said.contains(&format!("on {chain}")), "{said}");
        assert!(said.contains("was recorded by member"), "{said}");
        python(&[&file.display().to_string()], true);
    }
    let json = offline(
        &[
            "evidence",
            "verify",
            &bundle.display().to_string(),
            "--output",
            "json",
        ],
        true,
    );
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(json["verified"], true);
    let independent = python(&[&bundle.display().to_string()], true);
    assert!(
        independent.contains("verified (independent verifier): the evidence of voucher"),
        "{independent}"
    );
    let mut for_python: Vec<String> = Vec::new();

    // 1,000 single-byte changes, each refused (in process; a few through the binary).
    let bytes = std::fs::read(&bundle).expect("read");
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut steps = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..1_000 {
        let mut altered = bytes.clone();
        let at = (next() % bytes.len() as u64) as usize;
        let change = (next() % 255 + 1) as u8;
        altered[at] ^= change;
        match catena_client::evidence::verify(&altered) {
            Ok(_) => panic!("change {i}: byte {at} ^ {change:#04x} verified"),
            Err(failure) => *steps.entry(failure.step).or_default() += 1,
        }
        if i % 10 == 0 {
            for_python.push(keep(dir.path(), &format!("random-{i}"), &altered));
        }
        if i < 3 {
            let file = dir.path().join(format!("altered-{i}.json"));
            std::fs::write(&file, &altered).expect("write");
            let said = offline(&["evidence", "verify", &file.display().to_string()], false);
            assert!(said.contains("step '"), "{said}");
        }
    }
    println!("the 1,000 changes failed at: {steps:?}");

    // And 1,000 changes of the content itself: a hex digit of a binary part into another.
    let digits: Vec<usize> = hex_digits(&bytes);
    let mut content_steps = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..1_000 {
        let mut altered = bytes.clone();
        let at = digits[(next() % digits.len() as u64) as usize];
        let was = altered[at];
        let now = b"0123456789abcdef"[(next() % 16) as usize];
        altered[at] = if now == was {
            b"0123456789abcdef"[((now as usize) + 1) % 16]
        } else {
            now
        };
        match catena_client::evidence::verify(&altered) {
            Ok(_) => panic!(
                "content change {i}: byte {at} {was} -> {} verified",
                altered[at]
            ),
            Err(failure) => *content_steps.entry(failure.step).or_default() += 1,
        }
    }
    println!("the 1,000 content changes failed at: {content_steps:?}");
}

/// Writes `bytes` to `dir/NAME.json`; its path.
fn keep(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, bytes).expect("write");
    path.display().to_string()
}

/// Runs the independent Python verifier (clients/python/verify_evidence.py) on `files`; its
/// output. It must succeed or fail as `ok` says.
fn python(files: &[&str], ok: bool) -> String {
    let script = common::source_path("../clients/python/verify_evidence.py");
    let mut command = std::process::Command::new("python3");
    command.arg(&script).args(files);
    let out = catena_testing::process::run(&mut command, Duration::from_secs(300))
        .unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.success(), ok, "python3 {script}: {text}");
    text
}

/// The places of the hex digits after `"0x` in `bytes`: the binary parts' content.
fn hex_digits(bytes: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 3 < bytes.len() {
        if &bytes[i..i + 3] == b"\"0x" {
            i += 3;
            while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
                found.push(i);
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    found
}
