//! `catena loan` and `catena receipt` end to end on a real 4-validator testnet (docs/products.md).
//! Data credit: a loan applied for within the limit the borrower's own records suggest, approved
//! with the limit and its rule shown first, advanced in cash, repaid in part and in full with
//! interest; a second loan left unpaid falls overdue by the chain's own schedule and is enforced;
//! an application declined and one withdrawn. Warehouse receipts: issued once per lot, pledged
//! within the loan-to-value limit and never twice, goods out only with the pledgee's consent or
//! in proportion to repayment, split and transferred once free, enforced at default. Every
//! refusal is a clear sentence with the right exit code and changes nothing.

mod common;

use std::path::Path;

use catena_testing::cli::{command, recorded_hash, Cli};
use catena_testing::network::TestNetwork;
use common::wait_for;

/// Every member's loans, receipts and cash as the node's API shows them: what a refusal must not
/// change.
fn ledger_state(cli: &Cli) -> String {
    let node = common::node_at(cli.api.clone(), cli.home.clone().into());
    let mut state = String::new();
    for member in node.get_ok("/members").as_array().expect("members") {
        let uscc = member["uscc"].as_str().expect("uscc");
        state += &node.get_ok(&format!("/loans?borrower={uscc}")).to_string();
        state += &node.get_ok(&format!("/cash/{uscc}")).to_string();
        state += &node.get_ok(&format!("/receipts?owner={uscc}")).to_string();
    }
    // What is owed moves with the clock: compare the ledger without it.
    state
        .split(',')
        .filter(|field| {
            !field.contains("\"at_ms\"")
                && !field.contains("_owed\"")
                && !field.starts_with("\"owed\"")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs a command that must be refused with exit code `code`; its error, after checking that the
/// ledger did not change.
fn refused(cli: &Cli, line: &str, code: i32) -> String {
    let before = ledger_state(cli);
    let ran = cli.run(line);
    assert!(!ran.ok, "catena {line} succeeded: {}", ran.out);
    assert_eq!(ran.code, Some(code), "catena {line}: {}", ran.err);
    assert!(ran.err.starts_with("error: "), "{}", ran.err);
    assert_eq!(ledger_state(cli), before, "catena {line} changed state");
    ran.err
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a document");
    path.to_str().expect("utf-8").to_string()
}

/// A 4-validator testnet that has committed: its directory, the network, a runner sending to
/// validator 2 and one reading from validator 3 (the network carries what is sent).
fn testnet() -> (tempfile::TempDir, TestNetwork, Cli, Cli) {
    let dir = common::test_dir();
    let net = common::network().dir(dir.path()).start();
    net.wait_all(2, "the testnet to commit");
    let cli = Cli::new(dir.path(), &net.nodes[1].api);
    let reader = cli.at(&net.nodes[2].api);
    (dir, net, cli, reader)
}

#[test]
fn data_credit_loans_on_a_testnet() {
    let (dir, _net, cli, reader) = testnet();

    // No record yet: no unsecured credit.
    let empty = reader.json("loan limit tier1-steel");
    assert_eq!(empty["limit"], "0.00");
    let error = refused(
        &cli,
        "loan apply --lender merchant-bank --amount 100.00 --max-rate 6 --due +90d --as tier1-steel",
        1,
    );
    assert!(error.contains("unsecured credit available"), "{error}");

    // A complete, timely and accurate record: a sales contract and its invoice, linked.
    let contract = recorded_hash(&cli.ok(&command(
        "record add {} --kind contract --party huaxia-motors --amount 2000000.00 --as tier1-steel",
        &[&write(dir.path(), "contract.pdf", "sales contract T1-9")],
    )));
    cli.ok(&command(
        "record add {} --kind invoice --invoice-code 3100231130 --invoice-number 00000009 --buyer huaxia-motors --amount 2000000.00 --link {} --as tier1-steel",
        &[&write(dir.path(), "invoice.pdf", "VAT invoice 00000009"), &contract],
    ));
    let limit = reader.json("loan limit tier1-steel");
    assert_eq!(
        (&limit["rating"], &limit["limit"], &limit["factor"]),
        (&"AAA".into(), &"1600000.00".into(), &"100.00%".into()),
        "{limit}"
    );
    let shown = reader.ok("loan limit tier1-steel");
    assert!(shown.contains("it invoiced as seller"), "{shown}");

    // Bad input: exit 2 before anything is sent.
    for (line, says) in [
        ("loan apply --lender merchant-bank --amount 1.234 --max-rate 6 --due +90d --as tier1-steel", "not an amount"),
        ("loan apply --lender merchant-bank --amount 100.00 --max-rate 6 --due 2027-02-30 --as tier1-steel", "February 2027 has 28 days"),
        ("loan apply --lender merchant-bank --amount 100.00 --max-rate 101 --due +90d --as tier1-steel", "above 100%"),
        ("loan apply --lender nobody-at-all --amount 100.00 --max-rate 6 --due +90d --as tier1-steel", "is not a member"),
    ] {
        let error = refused(&cli, line, 2);
        assert!(error.contains(says), "{line}: {error}");
    }
    // Refused by the chain: exit 1.
    for (line, says) in [
        ("loan apply --lender tier2-parts --amount 100.00 --max-rate 6 --due +90d --as tier1-steel", "not a financier"),
        ("loan apply --lender merchant-bank --amount 1600000.01 --max-rate 6 --due +90d --as tier1-steel", "1600000.00 of unsecured credit available"),
        ("loan apply --lender merchant-bank --amount 100.00 --max-rate 6 --due +90d --as audit-office", "auditor"),
    ] {
        let error = refused(&cli, line, 1);
        assert!(error.contains(says), "{line}: {error}");
    }

    cli.ok("cash mint --to merchant-bank --amount 3000000.00 --as merchant-bank");
    let applied = cli.json(
        "loan apply --lender merchant-bank --amount 1000000.00 --max-rate 6.00 --due +90d --as tier1-steel",
    );
    let first = applied["created"]["loan"].as_u64().expect("a loan id");
    let shown = reader.json(&format!("loan show {first}"));
    assert_eq!(
        (&shown["status"], &shown["owed"]),
        (&"applied".into(), &"0.00".into())
    );

    for (line, says) in [
        (
            format!("loan approve {first} --rate 5 --as huaxia-motors"),
            "not the lender",
        ),
        (
            format!("loan approve {first} --rate 6.01 --as merchant-bank"),
            "above the 6.00% the borrower accepts",
        ),
    ] {
        let error = refused(&cli, &line, 1);
        assert!(error.contains(says), "{line}: {error}");
    }
    let error = refused(&cli, "loan approve 999 --rate 5 --as merchant-bank", 2);
    assert!(error.contains("no loan 999"), "{error}");
    // The lender sees the limit and its rule before it signs.
    let approved = cli.ok(&format!(
        "loan approve {first} --rate 5.00 --as merchant-bank"
    ));
    assert!(
        approved.contains("data-credit limit 1600000.00 CNY, 1600000.00 available")
            && approved.contains("rule: limit 1600000.00"),
        "{approved}"
    );
    assert!(cli
        .ok("cash balance tier1-steel")
        .starts_with("1000000.00 CNY"));
    let shown = reader.json(&format!("loan show {first}"));
    assert_eq!(
        (&shown["status"], &shown["rate"], &shown["principal_owed"]),
        (&"active".into(), &"5.00%".into(), &"1000000.00".into())
    );
    assert_eq!(
        reader.json("loan limit tier1-steel")["available"],
        "600000.00"
    );
    let text = reader.ok(&format!("loan show {first}"));
    assert!(
        text.contains("Tier-1 Steel") && text.contains("5.00% a year, ACT/360"),
        "{text}"
    );

    // Repaid in part: interest first (one started day, 138.88), then principal.
    let error = refused(
        &cli,
        &format!("loan repay {first} --amount 9999999.00 --as tier1-steel"),
        1,
    );
    assert!(error.contains("more than the"), "{error}");
    refused(
        &cli,
        &format!("loan repay {first} --amount 10.00 --as merchant-bank"),
        1,
    );
    cli.ok(&format!(
        "loan repay {first} --amount 400000.00 --as tier1-steel"
    ));
    let shown = reader.json(&format!("loan show {first}"));
    assert_eq!(
        (&shown["repayments"], &shown["repaid"]),
        (&1.into(), &"400000.00".into())
    );
    assert_eq!(shown["interest_paid"], "138.88", "{shown}");
    assert_eq!(shown["principal_owed"], "600138.88");

    // Declined and withdrawn applications move nothing.
    let declined = cli.json("loan apply --lender merchant-bank --amount 1000.00 --max-rate 6 --due +90d --as tier1-steel")["created"]["loan"].as_u64().expect("id");
    let withdrawn = cli.json("loan apply --lender merchant-bank --amount 1000.00 --max-rate 6 --due +90d --as tier1-steel")["created"]["loan"].as_u64().expect("id");
    refused(
        &cli,
        &format!("loan decline {declined} --as tier1-steel"),
        1,
    );
    cli.ok(&format!("loan decline {declined} --as merchant-bank"));
    cli.ok(&format!("loan withdraw {withdrawn} --as tier1-steel"));
    let error = refused(
        &cli,
        &format!("loan approve {withdrawn} --rate 5 --as merchant-bank"),
        1,
    );
    assert!(error.contains("is withdrawn"), "{error}");

    // A loan unpaid at its due date falls overdue by the chain's schedule; the lender enforces.
    let short = cli.json("loan apply --lender merchant-bank --amount 50000.00 --max-rate 6 --due +20s --as tier1-steel")["created"]["loan"].as_u64().expect("id");
    cli.ok(&format!("loan approve {short} --rate 4 --as merchant-bank"));
    refused(&cli, &format!("loan enforce {short} --as merchant-bank"), 1);
    wait_for(
        "the short loan to fall overdue",
        std::time::Duration::from_secs(90),
        || (reader.json(&format!("loan show {short}"))["status"] == "overdue").then_some(()),
    );
    let overdue = reader.json("loan list --overdue");
    assert_eq!(overdue["loans"][0]["id"], short, "{overdue}");
    assert_eq!(reader.json("loan limit tier1-steel")["available"], "0.00");
    refused(&cli, &format!("loan enforce {short} --as tier1-steel"), 1);
    cli.ok(&format!("loan enforce {short} --as merchant-bank"));
    let enforced = reader.json(&format!("loan show {short}"));
    assert_eq!(enforced["status"], "enforced");
    assert!(enforced["enforced_owed"].as_str().expect("owed") > "50000.00");

    // The first loan repaid in full (it needs cash for the interest).
    cli.ok("cash mint --to tier1-steel --amount 1000.00 --as merchant-bank");
    cli.ok(&format!("loan repay {first} --as tier1-steel"));
    assert_eq!(
        reader.json(&format!("loan show {first}"))["status"],
        "repaid"
    );
    let limit = reader.json("loan limit tier1-steel");
    assert_eq!(
        (&limit["on_time"], &limit["enforced"], &limit["limit"]),
        (&1.into(), &1.into(), &"0.00".into()),
        "{limit}"
    );
    let lent = reader.json("loan list --lender merchant-bank");
    let statuses: Vec<&str> = lent["loans"]
        .as_array()
        .expect("loans")
        .iter()
        .map(|l| l["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["repaid", "declined", "withdrawn", "enforced"]);
    let page = reader.json("loan list --borrower tier1-steel --limit 2");
    assert_eq!(page["next"], declined, "{page}");
}

/// The new loan's id in a write's JSON.
fn created_loan(out: &serde_json::Value) -> u64 {
    out["created"]["loan"].as_u64().expect("a loan id")
}

#[test]
fn warehouse_receipt_pledges_on_a_testnet() {
    let (dir, _net, cli, reader) = testnet();
    cli.ok("cash mint --to merchant-bank --amount 3000000.00 --as merchant-bank");

    // The warehouse records its appraisal and issues Tier-1 Steel a receipt for 100 t.
    let appraisal = recorded_hash(&cli.ok(&command(
        "record add {} --kind warehouse_receipt --party tier1-steel --amount 1000000.00 --as swift-logistics",
        &[&write(dir.path(), "appraisal.pdf", "appraisal of lot SH-7")],
    )));
    let issue = |lot: &str| {
        command(
            "receipt issue --owner tier1-steel --goods {} --quantity 100 --unit t --location {} --lot {} --value 1000000.00 --appraisal {} --as swift-logistics",
            &["hot-rolled-steel-coil", "Waigaoqiao-bay-7", lot, &appraisal],
        )
        .join(" ")
    };
    let id = cli.json(&issue("SH-7"))["created"]["receipt"]
        .as_u64()
        .expect("a receipt id");
    let error = refused(&cli, &issue("SH-7"), 1);
    assert!(
        error.contains("lot 'SH-7' already backs live warehouse receipt"),
        "{error}"
    );
    let error = refused(
        &cli,
        &issue("SH-8").replace("swift-logistics", "tier2-parts"),
        1,
    );
    assert!(error.contains("not a logistics member"), "{error}");
    let error = refused(&cli, &issue("SH-8").replace(&appraisal, "0x1234"), 2);
    assert!(error.contains("not a document hash"), "{error}");
    let shown = reader.json(&format!("receipt show {id}"));
    assert_eq!(
        (&shown["value"], &shown["quantity"]),
        (&"1000000.00".into(), &100.into())
    );

    // Pledged within 70 % of the appraised value; the same goods never twice.
    let pledge = |amount: &str| {
        format!("receipt pledge {id} --lender merchant-bank --amount {amount} --max-rate 6 --due +90d --as tier1-steel")
    };
    let error = refused(&cli, &pledge("700000.01"), 1);
    assert!(
        error.contains("70.00% of the receipt's appraised value 1000000.00"),
        "{error}"
    );
    let first = created_loan(&cli.json(&pledge("600000.00")));
    let second = created_loan(&cli.json(&pledge("50000.00")));
    let approved = cli.ok(&format!("loan approve {first} --rate 5 --as merchant-bank"));
    assert!(
        approved.contains("collateral: warehouse receipt"),
        "{approved}"
    );
    let error = refused(&cli, &pledge("50000.00"), 1);
    assert!(error.contains("already pledged to"), "{error}");
    let error = refused(
        &cli,
        &format!("loan approve {second} --rate 5 --as merchant-bank"),
        1,
    );
    assert!(error.contains("already pledged to"), "{error}");
    cli.ok(&format!("loan decline {second} --as merchant-bank"));
    for (line, says) in [
        (
            format!("receipt split {id} --quantity 50 --quantity 50 --as tier1-steel"),
            "is pledged to",
        ),
        (
            format!("receipt transfer {id} --to tier2-parts --as tier1-steel"),
            "is pledged to",
        ),
        (
            format!("receipt goods-out {id} --quantity 1 --as swift-logistics"),
            "may leave with its consent",
        ),
        (
            format!("receipt release {id} --quantity 5 --as tier1-steel"),
            "not the pledgee",
        ),
    ] {
        let error = refused(&cli, &line, 1);
        assert!(error.contains(says), "{line}: {error}");
    }
    // Goods leave with the pledgee's consent, and in proportion to repayment.
    cli.ok(&format!(
        "receipt release {id} --quantity 5 --as merchant-bank"
    ));
    cli.ok(&format!(
        "receipt goods-out {id} --quantity 5 --as swift-logistics"
    ));
    cli.ok(&format!(
        "loan repay {first} --amount 300083.33 --as tier1-steel"
    ));
    let shown = reader.json(&format!("receipt show {id}"));
    assert_eq!(
        (&shown["released"], &shown["taken_out"], &shown["quantity"]),
        (&50.into(), &5.into(), &95.into()),
        "{shown}"
    );
    refused(
        &cli,
        &format!("receipt goods-out {id} --quantity 46 --as swift-logistics"),
        1,
    );
    cli.ok(&format!(
        "receipt goods-out {id} --quantity 45 --as swift-logistics"
    ));
    cli.ok("cash mint --to tier1-steel --amount 1000.00 --as merchant-bank");
    cli.ok(&format!("loan repay {first} --as tier1-steel"));
    let freed = reader.json(&format!("receipt show {id}"));
    assert_eq!(
        (&freed["pledgee"], &freed["quantity"]),
        (&serde_json::Value::Null, &50.into())
    );

    // Free again: split, transfer, goods in, listed by owner and warehouse.
    let split = cli.json(&format!(
        "receipt split {id} --quantity 30 --quantity 20 --as tier1-steel"
    ));
    let parts: Vec<u64> = split["created"]["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| p.as_u64().expect("an id"))
        .collect();
    cli.ok(&format!(
        "receipt transfer {} --to tier2-parts --as tier1-steel",
        parts[1]
    ));
    cli.ok(&format!(
        "receipt goods-in {} --quantity 4 --as swift-logistics",
        parts[1]
    ));
    let owned = reader.json("receipt list --owner tier2-parts");
    assert_eq!(owned["receipts"][0]["id"], parts[1]);
    assert_eq!(owned["receipts"][0]["quantity"], 24);
    assert_eq!(owned["receipts"][0]["lot"], format!("SH-7/{}", parts[1]));
    let kept = reader.json("receipt list --warehouse swift-logistics");
    assert_eq!(kept["receipts"].as_array().map(Vec::len), Some(2));
    let text = reader.ok(&format!("receipt show {id}"));
    assert!(text.contains("split") && text.contains("parts"), "{text}");

    // At default the pledgee enforces and the receipt passes to it.
    let short = created_loan(&cli.json(&format!(
        "receipt pledge {} --lender merchant-bank --amount 100000.00 --max-rate 6 --due +20s --as tier1-steel",
        parts[0]
    )));
    cli.ok(&format!("loan approve {short} --rate 4 --as merchant-bank"));
    wait_for(
        "the receipt loan to fall overdue",
        std::time::Duration::from_secs(90),
        || (reader.json(&format!("loan show {short}"))["status"] == "overdue").then_some(()),
    );
    cli.ok(&format!("loan enforce {short} --as merchant-bank"));
    let seized = reader.json(&format!("receipt show {}", parts[0]));
    assert_eq!(
        seized["owner"],
        reader.json("member show merchant-bank")["uscc"]
    );
}

#[test]
fn order_financing_on_a_testnet() {
    let (dir, _net, cli, reader) = testnet();
    cli.ok("cash mint --to merchant-bank --amount 3000000.00 --as merchant-bank");

    // Tier-2 Parts (the buyer) and Huaxia Motors (the seller) record a purchase order.
    let order = recorded_hash(&cli.ok(&command(
        "record add {} --kind purchase_order --party huaxia-motors --amount 1000000.00 --as tier2-parts",
        &[&write(dir.path(), "order.pdf", "purchase order PO-1")],
    )));
    let finance = |amount: &str, due: &str| {
        format!("order finance {order} --seller huaxia-motors --lender merchant-bank --amount {amount} --max-rate 6 --due {due} --as tier2-parts")
    };
    let error = refused(&cli, &finance("1000000.01", "+90d"), 1);
    assert!(error.contains("at most the order"), "{error}");
    let error = refused(
        &cli,
        &finance("100.00", "+90d").replace("huaxia-motors", "tier3-materials"),
        1,
    );
    assert!(error.contains("must bind the borrower"), "{error}");
    let loan = created_loan(&cli.json(&finance("800000.00", "+25s")));
    refused(&cli, &format!("order buyback {loan} --as tier2-parts"), 1);
    cli.ok(&format!("order buyback {loan} --as huaxia-motors"));
    let approved = cli.ok(&format!("loan approve {loan} --rate 4 --as merchant-bank"));
    assert!(
        approved.contains("the advance is paid to the seller"),
        "{approved}"
    );
    // The financier paid the seller, never the buyer.
    assert!(reader
        .ok("cash balance huaxia-motors")
        .starts_with("800000.00 CNY"));
    assert!(reader
        .ok("cash balance tier2-parts")
        .starts_with("0.00 CNY"));
    let error = refused(&cli, &finance("100.00", "+90d"), 1);
    assert!(error.contains("financed already"), "{error}");

    // The seller ships into the supervised warehouse; the buyer's receipt secures the loan.
    let appraisal = recorded_hash(&cli.ok(&command(
        "record add {} --kind warehouse_receipt --party tier2-parts --amount 1000000.00 --link {} --as swift-logistics",
        &[&write(dir.path(), "inbound.pdf", "inbound note PO-1"), &order],
    )));
    let receipt = cli.json(&format!(
        "receipt issue --owner tier2-parts --goods engine-blocks --quantity 100 --unit pcs --location supervised-3 --lot PO-1 --value 1000000.00 --appraisal {appraisal} --as swift-logistics"
    ))["created"]["receipt"]
        .as_u64()
        .expect("a receipt id");
    refused(
        &cli,
        &format!("order secure {loan} --receipt {receipt} --as tier3-materials"),
        1,
    );
    cli.ok(&format!(
        "order secure {loan} --receipt {receipt} --as merchant-bank"
    ));
    let shown = reader.json(&format!("loan show {loan}"));
    assert_eq!(
        (&shown["receipt"], &shown["order"]["buyback"]),
        (&receipt.into(), &true.into())
    );
    // A tranche repaid (a day of interest, 88.88, and a quarter of the principal): a quarter of the
    // goods delivered (提货).
    cli.ok("cash mint --to tier2-parts --amount 300000.00 --as merchant-bank");
    let owed = reader.json(&format!("loan show {loan}"));
    assert_eq!(owed["principal_owed"], "800000.00");
    cli.ok(&format!(
        "loan repay {loan} --amount 200088.88 --as tier2-parts"
    ));
    let goods = reader.json(&format!("receipt show {receipt}"));
    assert_eq!(goods["released"], 25, "{goods}");
    cli.ok(&format!(
        "receipt goods-out {receipt} --quantity 25 --as swift-logistics"
    ));

    // The buyer defaults; the seller buys the goods back with what it holds.
    wait_for(
        "the order loan to fall overdue",
        std::time::Duration::from_secs(90),
        || (reader.json(&format!("loan show {loan}"))["status"] == "overdue").then_some(()),
    );
    cli.ok(&format!("loan enforce {loan} --as merchant-bank"));
    let back = reader.json(&format!("receipt show {receipt}"));
    assert_eq!(
        back["owner"],
        reader.json("member show huaxia-motors")["uscc"]
    );
    assert_eq!(back["quantity"], 75);
    let enforced = reader.json(&format!("loan show {loan}"));
    assert_eq!(
        (&enforced["status"], &enforced["enforced_owed"]),
        (&"enforced".into(), &"0.00".into())
    );
}
