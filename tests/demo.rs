//! `catena demo --exit` tells the whole story (the vouchers, then a warehouse-receipt pledge, order
//! financing and a data-credit loan) on a fresh 4-validator main chain with two
//! parachains and exits 0 only if every step went as told; a subscriber to the event stream of
//! Huaxia Motors' parachain (signed as a member) receives every voucher event of the story, in
//! order, exactly once.

mod common;

use std::io::BufRead;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catena_primitives::{read, system_contract_id};

/// The voucher contract's events of the story, in chain order.
const STORY: [&str; 24] = [
    "credit_line",
    "requested",
    "issued",
    "split",       // Tier-1 pays 600,000.00 of voucher 1 to Tier-2 ...
    "transferred", // ... as part 2
    "split",       // Tier-2 pays 200,000.00 of part 2 to Tier-3 ...
    "transferred", // ... as part 4
    "offered",     // Tier-2's 400,000.00 (5) in pledge at 3.65% a year
    "pledged",
    "offered", // Tier-3's part (4) for factoring, priced by tenor
    "factored",
    "settled", // at maturity, in part order: Tier-1's 400,000.00 (3), the factored (4), ...
    "settled",
    "released",       // ... the pledged (5): its claim paid, the pledge ends ...
    "settled",        // ... and the part is settled
    "issued",         // the second voucher (6), to an issuer short of cash
    "split",          // Tier-1 pays 200,000.00 of it to Tier-2 ...
    "transferred",    // ... as part 7; Tier-1 keeps part 8
    "partially_paid", // pro rata: 40,000.00 of part 7 ...
    "overdue",
    "partially_paid", // ... and 60,000.00 of part 8
    "overdue",
    "settled", // paid when cash arrives
    "settled",
];

#[test]
fn the_demo_runs_to_the_end_and_streams_every_event_once() {
    let dir = common::test_dir();
    let chain = dir.path().join("demo");
    let api_port = common::free_ports(4);
    // Four nodes, each on three chains.
    let p2p_port = common::free_ports(12);
    let mut command = Command::new(common::BIN);
    command.args(["demo", "--exit", "--dir"]).arg(&chain).args([
        "--api-port",
        &api_port.to_string(),
        "--p2p-port",
        &p2p_port.to_string(),
    ]);
    // The demo's validators' logs, printed if a wait fails.
    let _logs: Vec<_> = (1..=4)
        .map(|i| {
            let log = chain.join(format!("node-{i}.log"));
            common::watch::watch_log(format!("demo validator {i}"), log)
        })
        .collect();
    // Stopped with its validators if this test fails before the demo ends.
    let demo = common::process::Bounded::spawn(&mut command).unwrap_or_else(|e| panic!("{e}"));

    // Subscribe as soon as the first validator answers; the stream replays from height 0.
    let api = format!("http://127.0.0.1:{api_port}");
    let first = common::node_at(api.clone(), chain.clone());
    common::wait_for(
        "the demo's chain to start",
        Duration::from_secs(120),
        || common::height_of(&first),
    );
    let topics = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let sink = topics.clone();
    // The story's vouchers are on parachain huaxia-supply: its stream answers a member's signed
    // request.
    let path = "/chains/huaxia-supply/stream";
    let query = format!("from_height=0&contract={}", system_contract_id("voucher"));
    let url = format!("{api}{path}?{query}");
    let timestamp_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    let [account, timestamp, signature] = read::Request {
        chain_id: "huaxia-supply",
        method: "GET",
        path,
        query: &query,
        timestamp_ms,
        body: b"",
    }
    .sign(&catena_chain_spec::builders::demo_key("huaxia-motors").secret);
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let request = agent
            .get(&url)
            .header(read::ACCOUNT_HEADER, &account)
            .header(read::TIMESTAMP_HEADER, &timestamp)
            .header(read::SIGNATURE_HEADER, &signature);
        let Ok(response) = request.call() else {
            return;
        };
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        let (mut kind, mut id) = (String::new(), String::new());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if let Some(k) = line.strip_prefix("event: ") {
                kind = k.into();
            } else if let Some(i) = line.strip_prefix("id: ") {
                id = i.into();
            } else if let Some(data) = line.strip_prefix("data: ") {
                if kind == "contract_event" {
                    let event: serde_json::Value = serde_json::from_str(data).expect("JSON");
                    let topic = event["topic"].as_str().expect("a topic").to_string();
                    sink.lock().expect("lock").push((id.clone(), topic));
                }
            }
        }
    });

    // The story takes about a minute here (debug build); its limit in .config/nextest.toml is 5.
    let out = demo
        .wait(Duration::from_secs(240))
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Every step went as told."), "{stdout}");
    assert!(!stdout.contains('✗'), "{stdout}");
    for step in [
        "0. The main chain registers two supply chains' parachains",
        "registered by Huaxia Motors, the bank and Swift Logistics: huaxia-supply: 7 members",
        "registered by Huaxia Motors, the bank and Swift Logistics: steel-supply: 4 members",
        "1. The consortium",
        "7. Tier-3 factors its 200,000.00 part to the bank, priced by tenor",
        "8. A second financing",
        "9. Maturity",
        "10. An issuer short of cash",
        "shared pro rata: Tier-1 got 60000.00 of its 300,000.00, Tier-2 40000.00 of its 200,000.00",
        "the pledge secured 300,000.00 + 30.41 interest (1 day(s) at 3.65% / 360)",
        "11. A credit line suggested from the quality of Huaxia's records",
        // 40% × 100% complete + 30% × 100% timely + 30% × 75% accurate (invoice 2 is half the
        // contract it links to) = 92.50%: AAA, 80% of 1,500,000.00 invoiced.
        "four records rated AAA: a suggested line of 1200000.00",
        "12. Tier-3 pledges copper in Swift Logistics' warehouse to the bank",
        "lot 'SH-2026-07' already backs live warehouse receipt 1: one receipt per lot",
        "the same goods pledged a second time (the steel-trade fraud)",
        "50 t released: in proportion to the half of the principal repaid",
        "13. Tier-2 finances its prepayment of an order to Huaxia Motors",
        "the bank paid the seller 600000.00, the buyer 0.00: the seller, never the buyer",
        "Swift Logistics delivers Tier-2 the 25 sets that tranche released",
        "14. A data-credit loan to Tier-1 on the strength of its own records",
        // Tier-1's own three records: complete, timely, two of three linked amounts equal.
        "Tier-1's records rated AA: a limit of 900000.00, 900000.00 available",
        "15. Tier-1 Steel's own supply chain, on parachain steel-supply",
        "voucher 1 on steel-supply: 300,000.00 held by Tier-3, issued by Tier-1",
        "16. Both parachains are anchored on the main chain",
        "17. Each parachain is read by its own members only",
        "is not an account of a member of chain 'steel-supply' (HTTP 403, not_a_member)",
        "a read of steel-supply without a member's signature: 401",
        "18. The evidence of voucher 4 for a court",
        "Voucher 4 was held by",
        "claims the invoice(s) for huaxia-supply on the main chain: one invoice, one parachain",
    ] {
        assert!(stdout.contains(step), "{step} missing from:\n{stdout}");
    }
    assert!(
        stdout.contains("tier2-parts holds 399969.59 (expected 399969.59)")
            && stdout.contains("tier3-materials holds 199980.00 (expected 199980.00)")
            && stdout.contains("merchant-bank holds 500050.41 (expected 500050.41)"),
        "{stdout}"
    );

    let received = topics.lock().expect("lock").clone();
    let ids: Vec<&String> = received.iter().map(|(id, _)| id).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an event came twice: {received:?}");
    let names: Vec<&str> = received.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(names, STORY, "the stream's voucher events, in order");

    // The demo's evidence bundle verifies offline, with the CLI and with the independent
    // verifier.
    let bundle = chain.join("evidence-voucher-4.json");
    let bundle = bundle.to_str().expect("utf-8");
    let verified = common::catena(&["evidence", "verify", bundle]);
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{said}");
    assert!(
        said.contains("verified: the evidence of voucher 4 on huaxia-supply"),
        "{said}"
    );
    let script = common::source_path("../clients/python/verify_evidence.py");
    let python = catena_testing::process::run(
        Command::new("python3").arg(&script).arg(bundle),
        Duration::from_secs(120),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let said = String::from_utf8_lossy(&python.stdout);
    assert!(
        python.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&python.stderr)
    );
    assert!(
        said.contains("the evidence of voucher 4 on huaxia-supply"),
        "{said}"
    );

    // A non-empty directory is refused rather than mixed with a new chain.
    let again = common::catena(&["demo", "--exit", "--dir", chain.to_str().expect("utf-8")]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));
}
