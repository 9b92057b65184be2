//! The block explorer a node serves (issue 18), read as HTML from a real dev node: the home page
//! with the latest blocks and transactions, a block and a transaction page, the search box,
//! each chain's explorer under its path, and bad input answered with a page that says why.

mod common;

use std::time::Duration;

use catena_primitives::{Call, Transaction};
use catena_testing::cli::{recorded_hash, Cli};
use common::story;
use common::web::{fetch, html};
use common::{wait_for, TestNode};

#[test]
fn the_explorer_shows_blocks_and_transactions_finds_them_and_explains_bad_input() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let chain_id = node.chain_id();
    let explorer = format!("{}/explorer", node.api);

    // A transaction to find.
    let signer = node.demo_key("tier1-steel");
    let nonce = node.next_nonce(&signer);
    let tx = Transaction::signed(
        &chain_id,
        nonce,
        Call::Remark(b"<b>invoice</b> 001".to_vec()),
        &signer,
    );
    let reply = node.submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    let hash = tx.hash().to_string();
    let height = node.wait_committed(&hash);

    // Home: the chain, its height, the latest blocks (newest first), the transaction.
    let home = wait_for(
        "the home page lists the block",
        Duration::from_secs(30),
        || {
            let home = html(&explorer);
            home.contains(&format!("href=\"/explorer/tx/{hash}\""))
                .then_some(home)
        },
    );
    assert!(
        home.contains("Latest blocks") && home.contains(&chain_id),
        "{home}"
    );
    assert!(
        home.contains(&format!("href=\"/explorer/blocks/{height}\"")),
        "{home}"
    );
    assert!(home.contains("/explorer/assets/live.js"), "{home}");
    let latest = home
        .split("id=\"latest-blocks\"")
        .nth(1)
        .and_then(|rest| rest.split("</tbody>").next())
        .expect("the latest blocks");
    let rows: Vec<u64> = latest
        .split("<a href=\"/explorer/blocks/")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect();
    assert!(
        rows.windows(2).all(|w| w[0] > w[1]),
        "blocks newest first: {rows:?}"
    );

    // The block: its header, its certificate's signer, the transaction.
    let block = node.get_ok(&format!("/blocks/{height}"));
    let page = html(&format!("{explorer}/blocks/{height}"));
    for field in ["hash", "state_root", "tx_root", "proposer"] {
        let value = block[field].as_str().expect(field);
        assert!(page.contains(value), "block page lacks {field} {value}");
    }
    let signer_account = block["certificate"]["signatures"][0]["validator"]
        .as_str()
        .expect("a signer");
    assert!(page.contains(signer_account), "{page}");
    assert!(page.contains(&format!("/explorer/tx/{hash}")), "{page}");
    let by_hash = html(&format!(
        "{explorer}/blocks/{}",
        block["hash"].as_str().expect("hash")
    ));
    assert!(by_hash.contains(&format!("<h1>Block {height}</h1>")));

    // The transaction: outcome, block, signer, call and its arguments.
    let page = html(&format!("{explorer}/tx/{hash}"));
    assert!(page.contains("succeeded"), "{page}");
    assert!(
        page.contains(&format!("/explorer/blocks/{height}")),
        "{page}"
    );
    assert!(page.contains(&signer.account().to_string()), "{page}");
    assert!(page.contains("remark"), "{page}");
    let carried: String = b"<b>invoice</b> 001"
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        page.contains(&carried),
        "the call's arguments in hex: {page}"
    );

    // Search: one hit with a page goes there; several are listed; none says so, escaped.
    let found = fetch(&format!("{explorer}/search?q={hash}"));
    assert_eq!(found.status, 303, "{}", found.body);
    assert_eq!(
        found.location.as_deref(),
        Some(format!("/explorer/tx/{hash}").as_str())
    );
    let none = fetch(&format!("{explorer}/search?q=%3Cscript%3Ex"));
    assert_eq!(none.status, 200);
    assert!(
        none.body.contains("&#60;script&#62;x") || none.body.contains("&lt;script&gt;x"),
        "{}",
        none.body
    );
    assert!(!none.body.contains("<script>x"), "{}", none.body);
    let empty = fetch(&format!("{explorer}/search?q="));
    assert_eq!(empty.status, 400);
    assert!(empty.body.contains("1 to 100 characters"), "{}", empty.body);

    // Bad input and missing things: a page that says why, with the right status.
    let cases = [
        ("/blocks/xyz", 400, "is not a block height"),
        ("/blocks/99999999", 404, "no block 99999999"),
        ("/tx/0x12", 400, "is not a transaction hash"),
        (
            "/tx/0x0000000000000000000000000000000000000000000000000000000000000000",
            404,
            "knows no transaction",
        ),
        ("/no-such-page", 404, "no such page"),
    ];
    for (path, status, words) in cases {
        let page = fetch(&format!("{explorer}{path}"));
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert!(page.content_type.starts_with("text/html"), "{path}");
        assert!(page.body.contains(words), "{path}: {}", page.body);
    }

    // The same chain under its own path, with links under that path.
    let own = html(&format!("{}/chains/{chain_id}/explorer", node.api));
    assert!(
        own.contains(&format!("href=\"/chains/{chain_id}/explorer/blocks/")),
        "{own}"
    );
    let css = fetch(&format!("{explorer}/assets/style.css"));
    assert_eq!(css.status, 200);
    assert!(css.content_type.starts_with("text/css"));
}

#[test]
fn a_voucher_page_draws_every_part_of_its_lineage_and_a_member_page_lists_what_it_holds() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let cli = Cli::new(dir.path(), &node.api);
    let explorer = format!("{}/explorer", node.api);
    let story::Story {
        original,
        to_tier2,
        parts,
        contract,
        invoice,
    } = story::voucher_story(&cli, dir.path());

    // Every event of the story is read by the schema; the transfer's page shows its call as
    // the voucher contract's method with its fields, the payee linked to its page.
    let events = node.get_ok("/events?limit=1000");
    let events = events["events"].as_array().expect("events");
    assert!(events.len() >= 8, "{events:?}");
    for event in events {
        assert!(!event["decoded"].is_null(), "the schema reads {event}");
    }
    let transfer = events
        .iter()
        .find(|e| {
            e["topic"] == "transferred" && e["decoded"]["id"].as_u64() == to_tier2.parse().ok()
        })
        .expect("the transfer to tier 2");
    let page = html(&format!(
        "{explorer}/tx/{}",
        transfer["source"].as_str().expect("source")
    ));
    assert!(
        page.contains("<dd id=\"call\">voucher.transfer</dd>"),
        "{page}"
    );
    let tier2 = node.get_ok(&format!("/vouchers/{to_tier2}"))["holder"].clone();
    let tier2 = tier2.as_str().expect("holder");
    assert!(
        page.contains(&format!(
            "<dt>to</dt><dd><a href=\"/explorer/members/{tier2}\">{tier2}</a>"
        )),
        "{page}"
    );

    // The original's page: every part of the tree drawn with its amount, holder and status;
    // each split adds up; the history, each entry at its block.
    let tree = node.get_ok(&format!("/vouchers/{original}/lineage"));
    let tree = tree.as_array().expect("parts");
    assert!(tree.len() >= 5, "{tree:?}");
    let page = html(&format!("{explorer}/vouchers/{original}"));
    assert!(page.contains("<svg class=\"lineage\""), "{page}");
    for part in tree {
        let id = part["id"].as_u64().expect("id");
        assert!(
            page.contains(&format!("data-part=\"{id}\"")),
            "part {id}: {page}"
        );
        let amount = part["amount"].as_str().expect("amount");
        assert!(
            page.contains(&format!("#{id} · {amount}")),
            "part {id}: {page}"
        );
        assert!(page.contains(part["holder"].as_str().expect("holder")));
    }
    assert!(page.contains("✓ adds up"), "{page}");
    assert!(!page.contains("does not add up"), "{page}");
    let history = node.get_ok(&format!("/vouchers/{original}/history"));
    for entry in history["history"].as_array().expect("history") {
        let height = entry["height"].as_u64().expect("height");
        assert!(page.contains(&format!("/explorer/blocks/{height}\">block {height}</a>")));
    }

    // Tier 3's part: its holders in order, linked to their members' pages.
    let tier3 = node.get_ok(&format!("/vouchers/{}", parts[0]));
    let page = html(&format!("{explorer}/vouchers/{}", parts[0]));
    let path = node.get_ok(&format!("/vouchers/{}/history", parts[0]))["path"].clone();
    let holders: Vec<&str> = path
        .as_array()
        .expect("path")
        .iter()
        .map(|h| h.as_str().expect("uscc"))
        .collect();
    assert_eq!(holders.len(), 3, "{holders:?}");
    assert_eq!(holders.last(), tier3["holder"].as_str().as_ref());
    let links: Vec<String> = holders
        .iter()
        .map(|h| format!("<a href=\"/explorer/members/{h}\">{h}</a>"))
        .collect();
    assert!(page.contains(&links.join(" → ")), "{page}");

    // Tier 2's page: what it holds, and its cash.
    let tier2 = holders[1];
    let page = html(&format!("{explorer}/members/{tier2}"));
    let held = node.get_ok(&format!("/vouchers?holder={tier2}"));
    let held = held["vouchers"].as_array().expect("vouchers");
    assert!(!held.is_empty());
    for v in held {
        let id = v["id"].as_u64().expect("id");
        assert!(
            page.contains(&format!("href=\"/explorer/vouchers/{id}\"")),
            "{page}"
        );
    }
    let cash = node.get_ok(&format!("/cash/{tier2}"));
    assert!(page.contains(cash["balance"].as_str().expect("balance")));
    // Its history: the events of its transactions, the split among them, read by the schema.
    let split = events
        .iter()
        .find(|e| e["topic"] == "split" && e["decoded"]["id"].as_u64() == to_tier2.parse().ok())
        .expect("tier 2's split");
    let source = split["source"].as_str().expect("source");
    assert!(
        page.contains(&format!("href=\"/explorer/tx/{source}\"")),
        "{page}"
    );
    // The issuer's page: the bank's credit line, its limit and what is drawn on it.
    let issuer = node.get_ok(&format!("/vouchers/{original}"))["issuer"].clone();
    let page = html(&format!(
        "{explorer}/members/{}",
        issuer.as_str().expect("issuer")
    ));
    let lines = page
        .split("<h2>Credit lines</h2>")
        .nth(1)
        .expect("credit lines");
    assert!(
        lines.contains("<td>5000000.00</td><td>1000000.00</td><td>4000000.00</td>"),
        "{page}"
    );

    // Search: a member's USCC goes to its page; a voucher id also a height is listed.
    let found = fetch(&format!("{explorer}/search?q={tier2}"));
    assert_eq!(found.status, 303, "{}", found.body);
    assert_eq!(
        found.location.as_deref(),
        Some(format!("/explorer/members/{tier2}").as_str())
    );
    let both = fetch(&format!("{explorer}/search?q={original}"));
    assert_eq!(both.status, 200, "{}", both.body);
    assert!(both
        .body
        .contains(&format!("/explorer/vouchers/{original}")));
    // The invoice: its parties, its link to the contract, how much of it vouchers financed; the
    // voucher's page links to it; a search for its hash goes there.
    let page = html(&format!("{explorer}/records/{invoice}"));
    assert!(
        page.contains(&format!("href=\"/explorer/records/{contract}\"")),
        "{page}"
    );
    assert!(
        page.contains("1000000.00 of 1000000.00 CNY"),
        "the whole invoice financed: {page}"
    );
    let voucher_page = html(&format!("{explorer}/vouchers/{original}"));
    assert!(voucher_page.contains(&format!("href=\"/explorer/records/{invoice}\"")));
    let found = fetch(&format!("{explorer}/search?q={invoice}"));
    assert_eq!(found.status, 303, "{}", found.body);
    assert_eq!(
        found.location.as_deref(),
        Some(format!("/explorer/records/{invoice}").as_str())
    );
    // "Download evidence": a bundle the CLI verifies offline.
    assert!(voucher_page.contains(&format!("href=\"/explorer/vouchers/{original}/evidence\"")));
    let bundle = fetch(&format!("{explorer}/vouchers/{original}/evidence"));
    assert_eq!(bundle.status, 200, "{}", bundle.body);
    assert!(bundle.content_type.starts_with("application/json"));
    let file = dir.path().join("voucher.evidence.json");
    std::fs::write(&file, &bundle.body).expect("write the bundle");
    let verified = common::catena(&["evidence", "verify", file.to_str().expect("UTF-8")]);
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{verified:?}");
    assert!(
        said.contains(&format!("verified: the evidence of voucher {original}")),
        "{said}"
    );
    let record_bundle = fetch(&format!("{explorer}/records/{invoice}/evidence"));
    assert_eq!(record_bundle.status, 200, "{}", record_bundle.body);
    assert_eq!(
        fetch(&format!("{explorer}/vouchers/999999/evidence")).status,
        404
    );
    let missing = fetch(&format!("{explorer}/vouchers/999999"));
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert!(
        missing.body.contains("no voucher 999999"),
        "{}",
        missing.body
    );
    let bad = fetch(&format!("{explorer}/members/nobody"));
    assert_eq!(bad.status, 404, "{}", bad.body);
}

#[test]
fn lists_export_as_csv_and_the_consortium_and_its_charts_are_shown() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let cli = Cli::new(dir.path(), &node.api);
    let explorer = format!("{}/explorer", node.api);
    let document = dir.path().join("contract.pdf");
    std::fs::write(&document, "purchase contract HX-10").expect("write a document");
    let recorded = recorded_hash(&cli.ok(&format!(
        "record add {} --kind contract --party huaxia-motors --amount 10.00 --as tier1-steel",
        document.display()
    )));
    cli.ok("voucher credit-line huaxia-motors --set 5000000.00 --as merchant-bank");

    // Events, filtered by a system contract named, not by id: the API's list, row for row.
    let records_id = catena_primitives::system_contract_id("records").to_string();
    let listed = node.get_ok(&format!("/events?contract={records_id}"));
    let listed = listed["events"].as_array().expect("events");
    assert!(!listed.is_empty());
    let page = html(&format!("{explorer}/events?contract=records&topic="));
    for event in listed {
        let source = event["source"].as_str().expect("source");
        assert!(page.contains(&format!("/explorer/tx/{source}")), "{page}");
        // Read by the schema: the record's fields, not its bytes.
        let id = event["decoded"]["id"].as_str().expect("a decoded record");
        assert!(page.contains(id), "{page}");
    }
    assert!(
        page.contains(&recorded),
        "the record's hash in its event: {page}"
    );
    let csv = fetch(&format!("{explorer}/events.csv?contract=records"));
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "height,index,source,signer,contract,topic,data,decoded"
    );
    assert_eq!(lines.len(), listed.len() + 1, "{}", csv.body);
    assert!(
        lines[1..].iter().all(|l| l.contains(",records,")),
        "{}",
        csv.body
    );
    let bad = fetch(&format!("{explorer}/events?from_height=abc"));
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("from_height: &#39;abc&#39; is not a block height")
            || bad
                .body
                .contains("from_height: 'abc' is not a block height"),
        "{}",
        bad.body
    );
    let bad = fetch(&format!("{explorer}/events?contract=nothing"));
    assert_eq!(bad.status, 400, "{}", bad.body);

    // Blocks: a page newest first; a range as CSV, and where an export cut short goes on.
    wait_for("block 6", Duration::from_secs(60), || {
        (node.height() >= 6).then_some(())
    });
    let page = html(&format!("{explorer}/blocks?to=5&count=3"));
    let rows: Vec<u64> = page
        .split("<tr><td><a href=\"/explorer/blocks/")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(rows, [5, 4, 3], "{page}");
    assert!(
        page.contains("/explorer/blocks?to=2&amp;count=3"),
        "older: {page}"
    );
    let csv = fetch(&format!("{explorer}/blocks.csv?to=5&count=3"));
    let heights: Vec<&str> = csv
        .body
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(heights, ["5", "4", "3"], "{}", csv.body);
    let five = node.get_ok("/blocks/5");
    assert!(csv.body.contains(five["hash"].as_str().expect("hash")));
    let bad = fetch(&format!("{explorer}/blocks?count=0"));
    assert_eq!(bad.status, 400, "{}", bad.body);

    // Members, validators and governance, no equivocation, no parachain on a dev chain.
    let page = html(&format!("{explorer}/members"));
    for member in node.get_ok("/members").as_array().expect("members") {
        let uscc = member["uscc"].as_str().expect("uscc");
        assert!(
            page.contains(&format!("href=\"/explorer/members/{uscc}\"")),
            "{page}"
        );
    }
    let governance = node.get_ok("/governance");
    let page = html(&format!("{explorer}/validators"));
    for validator in governance["validators"].as_array().expect("validators") {
        assert!(
            page.contains(validator["account"].as_str().expect("account")),
            "{page}"
        );
    }
    assert!(
        page.contains(&format!("{} of", governance["threshold"])),
        "{page}"
    );
    assert!(page.contains("id=\"no-equivocations\""), "{page}");
    assert!(html(&format!("{explorer}/parachains")).contains("id=\"no-parachains\""));

    // Charts: one bar per block for transactions, blocks per minute adding up to those read.
    let page = html(&format!("{explorer}/charts?blocks=5"));
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 2, "{page}");
    let (per_minute, per_block) = page
        .split_once("<h2>Transactions per block</h2>")
        .expect("two charts");
    assert_eq!(
        per_block.matches("<rect class=\"bar\"").count(),
        5,
        "{page}"
    );
    let counted: u64 = per_minute
        .split("<title>")
        .skip(1)
        .filter_map(|t| {
            t.split("</title>")
                .next()?
                .rsplit(": ")
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert_eq!(counted, 5, "{page}");
    let bad = fetch(&format!("{explorer}/charts?blocks=1"));
    assert_eq!(bad.status, 400, "{}", bad.body);
}
