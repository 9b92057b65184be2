//! `catena loan` end to end on a real 4-validator testnet (docs/products.md): a data-credit loan
//! applied for within the limit the borrower's own records suggest, approved with the limit and
//! its rule shown first, advanced in cash, repaid in part and in full with interest; a second
//! loan left unpaid falls overdue by the chain's own schedule and is enforced; an application
//! declined and one withdrawn. Every refusal is a clear sentence with the right exit code and
//! changes nothing.

mod common;

use std::path::Path;

use catena_testing::cli::{command, recorded_hash, Cli};
use common::wait_for;

/// Every member's loans and cash as the node's API shows them: what a refusal must not change.
fn ledger_state(cli: &Cli) -> String {
    let node = common::node_at(cli.api.clone(), cli.home.clone().into());
    let mut state = String::new();
    for member in node.get_ok("/members").as_array().expect("members") {
        let uscc = member["uscc"].as_str().expect("uscc");
        state += &node.get_ok(&format!("/loans?borrower={uscc}")).to_string();
        state += &node.get_ok(&format!("/cash/{uscc}")).to_string();
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

#[test]
fn data_credit_loans_on_a_testnet() {
    let dir = common::test_dir();
    let net = common::network().dir(dir.path()).start();
    net.wait_all(2, "the testnet to commit");
    // Transactions go to validator 2, queries to validator 3: the network carries them.
    let cli = Cli::new(dir.path(), &net.nodes[1].api);
    let reader = cli.at(&net.nodes[2].api);

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
