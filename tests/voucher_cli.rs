//! The user commands (`catena member|record|voucher|cash`) end to end on a real 4-validator
//! testnet: every command once, and the error paths a user meets (a transfer of a pledged
//! voucher, a split that does not add up, a non-member recipient, an unknown voucher, a malformed
//! amount, an impossible date, cash to an auditor, a burn of another's cash, a credit line by a
//! non-financier or below what it backs, interest on factoring, repaying without the interest,
//! confirming a withdrawn request, backing from another trade), each a clear sentence with a
//! non-zero exit that changes nothing. Also a pledge at interest repaid with it, the tenor quote,
//! cash per custodian and paged listings.

mod common;

use std::path::Path;

use catena_testing::cli::{
    after_prefix, command, contract_id_in, recorded_hash, split_parts, Cli, CommandLine,
};
use common::wait_for;

/// What these tests check beyond the harness's [`Cli`]: a refused command changes nothing.
trait Business {
    fn refused(&self, args: &(impl CommandLine + ?Sized)) -> String;
    fn business_state(&self) -> String;
    fn cash(&self, member: &str) -> String;
}

impl Business for Cli {
    /// Runs a command that must fail; returns its error, after checking that the chain's
    /// business state (every voucher, every balance) did not change. A settlement at maturity
    /// the chain ran by itself meanwhile changes it too: then the check is made again (at most
    /// three times), so only a change with no scheduled run beside it fails.
    fn refused(&self, args: &(impl CommandLine + ?Sized)) -> String {
        let node = common::node_at(self.api.clone(), self.home.clone().into());
        for _ in 0..3 {
            let from = node.height();
            let before = self.business_state();
            let err = self.fails(args);
            let after = self.business_state();
            if after == before {
                return err;
            }
            let scheduled_ran = (from + 1..=node.height()).any(|h| {
                let block = node.get_ok(&format!("/blocks/{h}"));
                block["scheduled"].as_array().is_some_and(|s| !s.is_empty())
            });
            assert!(
                scheduled_ran,
                "catena {} changed state",
                args.words().join(" ")
            );
        }
        panic!(
            "catena {}: a scheduled run changed the state during each of three tries",
            args.words().join(" ")
        )
    }

    /// Every member's vouchers and cash, as the node's API shows them.
    fn business_state(&self) -> String {
        let node = common::node_at(self.api.clone(), self.home.clone().into());
        let mut state = String::new();
        for member in node.get_ok("/members").as_array().expect("members") {
            let uscc = member["uscc"].as_str().expect("uscc");
            state += &node.get_ok(&format!("/vouchers?holder={uscc}")).to_string();
            state += &node.get_ok(&format!("/cash/{uscc}")).to_string();
        }
        state
    }

    /// A member's total cash, the first line of `catena cash balance`.
    fn cash(&self, member: &str) -> String {
        let out = self.ok(&format!("cash balance {member}"));
        out.lines().next().unwrap_or_default().trim().to_string()
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a document");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn every_user_command_on_a_testnet() {
    let dir = common::test_dir();
    let net = common::network().dir(dir.path()).start();
    net.wait_all(2, "the testnet to commit");
    let nodes = &net.nodes;
    // Transactions go to validator 2, queries to validator 3: the network carries them.
    let cli = Cli::new(dir.path(), &nodes[1].api);
    let reader = cli.at(&nodes[2].api);

    let members = cli.ok("member list");
    assert!(
        members.contains("Merchant Bank Shanghai Branch"),
        "{members}"
    );
    let bank = reader.json("member show merchant-bank");
    assert_eq!(bank["roles"][0], "financier");

    cli.ok("voucher credit-line huaxia-motors --set 5000000.00 --as merchant-bank");
    cli.ok("cash mint --to huaxia-motors --amount 1000000.00 --as merchant-bank");
    cli.ok("cash mint --to merchant-bank --amount 300000.00 --as merchant-bank");

    let contract = recorded_hash(&cli.ok(&command(
        "record add {} --kind contract --party huaxia-motors --amount 1000000.00 --as tier1-steel",
        &[&write(dir.path(), "contract.pdf", "purchase contract HX-1")],
    )));
    let delivery = recorded_hash(&cli.ok(&command(
"record add {} --kind delivery_receipt --party tier1-steel --party huaxia-motors --link {} --as swift-logistics", &[&write(dir.path(), "delivery.pdf", "delivery note HX-1"), &contract])));
    let invoice = recorded_hash(&cli.ok(&command(
"record add {} --kind invoice --invoice-code 3100231130 --invoice-number 00000001 --buyer huaxia-motors --amount 1000000.00 --link {} --link {} --as tier1-steel", &[&write(dir.path(), "invoice.pdf", "VAT invoice 00000001"), &contract, &delivery])));
    let shown = reader.json(&format!("record show {invoice}"));
    assert_eq!(
        (shown["kind"].as_str(), shown["amount"].as_str()),
        (Some("invoice"), Some("1000000.00"))
    );

    let request = after_prefix(
        &cli.ok(&format!("voucher request --issuer huaxia-motors --amount 1000000.00 --maturity +150s --invoice {invoice} --record {contract} --record {delivery} --as tier1-steel")),
        "request ",
    );
    let voucher = after_prefix(
        &cli.ok(&format!("voucher confirm {request} --as huaxia-motors")),
        "issued voucher ",
    );
    let to_t2 = after_prefix(
        &cli.ok(&format!(
            "voucher transfer {voucher} --to tier2-parts --amount 600000.00 --as tier1-steel"
        )),
        "transferred voucher ",
    );
    let parts = split_parts(&cli.ok(&format!(
        "voucher split {to_t2} --parts 200000.00,400000.00 --as tier2-parts"
    )));
    cli.ok(&format!(
        "voucher transfer {} --to tier3-materials --as tier2-parts",
        parts[0]
    ));
    cli.ok(&format!(
        "voucher pledge {} --to merchant-bank --min-price 300000.00 --as tier2-parts",
        parts[1]
    ));
    cli.ok(&format!(
        "voucher accept {} --price 300000.00 --interest 3.65 --as merchant-bank",
        parts[1]
    ));
    assert_eq!(reader.cash("tier2-parts"), "300000.00 CNY");

    // The errors a user meets: a sentence each, a non-zero exit, nothing changed.
    let pledged = parts[1].as_str();
    let held = parts[0].as_str();
    let refusals: [(&str, &str); 18] = [
        (
            &format!("voucher transfer {pledged} --to tier3-materials --as tier2-parts"),
            "is pledged",
        ),
        (
            &format!("voucher split {held} --parts 100000.00,99999.99 --as tier3-materials"),
            "add up to 199999.99, the voucher is for 200000.00",
        ),
        (
            &format!("voucher transfer {held} --to 91990000MA9XX00993 --as tier3-materials"),
            "is not a member",
        ),
        (
            &format!("voucher transfer {held} --to nobody-at-all --as tier3-materials"),
            "'nobody-at-all' is not a member",
        ),
        ("voucher show 9999", "there is no voucher 9999"),
        (
            "voucher transfer 9999 --to tier1-steel --as tier3-materials",
            "there is no voucher 9999",
        ),
        (
            "cash transfer --to tier1-steel --amount 1,000 --as tier2-parts",
            "'1,000' is not an amount",
        ),
        (
            &format!("voucher issue --to tier1-steel --amount 1.00 --maturity +60s --invoice {invoice} --as huaxia-motors"),
            "double financing",
        ),
        (
            "cash mint --to tier1-steel --amount 5.00 --as tier1-steel",
            "only financiers mint",
        ),
        (
            &format!("voucher issue --to tier1-steel --amount 1.00 --maturity 2027-02-30 --invoice {invoice} --as huaxia-motors"),
            "'2027-02-30' is not a date: February 2027 has 28 days",
        ),
        (
            &format!("voucher issue --to tier1-steel --amount 1.00 --maturity +99999999999999d --invoice {invoice} --as huaxia-motors"),
            "is too far ahead",
        ),
        (
            "cash transfer --to audit-office --amount 1.00 --as tier2-parts",
            "is an auditor: auditors hold no cash and move none",
        ),
        (
            "cash mint --to audit-office --amount 1.00 --as merchant-bank",
            "is an auditor",
        ),
        (
            "cash burn --amount 999999.00 --as merchant-bank",
            "of its own cash, 999999.00 is needed to burn",
        ),
        (
            "cash transfer --to tier1-steel --amount 1.00 --custodian huaxia-motors --as tier2-parts",
            "holds 0.00 in cash custodied by",
        ),
        (
            "voucher credit-line huaxia-motors --set 1.00 --as tier1-steel",
            "does not have the role 'financier'",
        ),
        (
            "voucher credit-line huaxia-motors --set 1.00 --as merchant-bank",
            "cannot go below what it backs",
        ),
        (
            &format!("voucher accept {pledged} --annual-rate 101 --as merchant-bank"),
            "'101' is above 100%",
        ),
    ];
    for (args, expected) in refusals {
        let error = cli.refused(args);
        assert!(error.contains(expected), "{error}");
    }

    // The explorer's questions.
    let tree = reader.ok(&format!("voucher tree {}", parts[0]));
    assert_eq!(tree.lines().count(), 5, "{tree}");
    let history = reader.ok(&format!("voucher history {}", parts[0]));
    assert!(history.contains("transferred from"), "{history}");
    let listed = reader.json("voucher list --holder tier3-materials");
    assert_eq!(listed["vouchers"][0]["amount"], "200000.00");
    let issued = reader.json("voucher list --issuer huaxia-motors");
    assert_eq!(issued["vouchers"].as_array().map(Vec::len), Some(1));
    let shown = reader.json(&format!("voucher show {}", parts[1]));
    assert_eq!(
        (shown["status"].as_str(), shown["interest_rate"].as_str()),
        (Some("pledged"), Some("3.65%"))
    );
    // The tenor price before signing: 400,000.00 × (1 − 3.60% × 1 day / 360).
    let quote = reader.ok(&format!("voucher quote {} --annual-rate 3.60", parts[1]));
    assert!(
        quote.contains("399960.00 = 400000.00 × (1 − 3.60% × 1 days / 360)"),
        "{quote}"
    );
    // Cash per custodian: the bank's claims, and what it custodies.
    let balance = reader.ok("cash balance merchant-bank");
    assert!(balance.contains("custodies 1300000.00 CNY"), "{balance}");
    let balance = reader.json("cash balance tier2-parts");
    assert_eq!(balance["by_custodian"][0]["amount"], "300000.00");

    // The explorer's questions from the terminal.
    let events = reader.ok("query events --contract voucher --topic pledged");
    assert!(
        events.contains("voucher") && events.contains("pledged"),
        "{events}"
    );
    let by_bank = reader.json("query events --contract cash --account merchant-bank");
    assert!(
        by_bank["events"].as_array().is_some_and(|e| e.len() >= 2),
        "{by_bank}"
    );
    let account = reader.json("query account tier2-parts");
    assert_eq!(
        account["member"]["name"],
        "Tier-2 Precision Parts Co., Ltd."
    );
    let block = reader.json("query block latest");
    assert!(block["height"].as_u64().is_some_and(|h| h > 2));
    let raw = reader.ok("contract query cash supply");
    assert_eq!(
        raw.trim(),
        format!(
            "0x{}\ndecoded: 130000000",
            hex::encode(130_000_000u64.to_le_bytes())
        ),
        "the output in hex, and as the schema reads it"
    );
    let error = reader.refused("query events --contract nonsense");
    assert!(
        error.contains("neither a contract id nor a system contract"),
        "{error}"
    );

    // Repay: the advance and one started day's interest at 3.65% (30.41) go back to the bank,
    // which burns some of it. Tier 2 holds only the advance at first.
    let error = cli.refused(&format!("voucher repay {} --as tier2-parts", parts[1]));
    assert!(
        error.contains("holds 300000.00 in cash, 300030.41 is needed"),
        "{error}"
    );
    cli.ok("cash mint --to tier2-parts --amount 30.41 --as merchant-bank");
    cli.ok(&format!("voucher repay {} --as tier2-parts", parts[1]));
    assert_eq!(reader.cash("tier2-parts"), "0.00 CNY");
    assert_eq!(
        reader.json(&format!("voucher show {}", parts[1]))["status"],
        "active"
    );
    cli.ok("cash burn --amount 1.00 --as merchant-bank");
    assert_eq!(reader.cash("merchant-bank"), "300029.41 CNY");
    cli.ok("cash transfer --to tier1-steel --amount 1.00 --as merchant-bank");

    // Factoring offered and withdrawn; a pledge at a discount, released by the bank.
    cli.ok(&format!(
        "voucher factor {} --to merchant-bank --min-price 350000.00 --as tier2-parts",
        parts[1]
    ));
    let error = cli.refused(&format!(
        "voucher accept {} --price 350000.00 --interest 1 --as merchant-bank",
        parts[1]
    ));
    assert!(
        error.contains("interest applies to a pledge; factoring is priced by its discount"),
        "{error}"
    );
    cli.ok(&format!("voucher withdraw {} --as tier2-parts", parts[1]));
    cli.ok(&format!(
        "voucher pledge {} --to merchant-bank --min-price 40000.00 --as tier2-parts",
        parts[1]
    ));
    cli.ok(&format!(
        "voucher accept {} --discount-bps 9000 --as merchant-bank",
        parts[1]
    ));
    assert_eq!(reader.cash("tier2-parts"), "40000.00 CNY");
    cli.ok(&format!("voucher release {} --as merchant-bank", parts[1]));

    // A request rejected; a voucher issued and cancelled by issuer and holder together.
    let invoice2 = recorded_hash(&cli.ok(&command(
"record add {} --kind invoice --invoice-code 3100231130 --invoice-number 00000002 --buyer huaxia-motors --amount 100000.00 --as tier1-steel", &[&write(dir.path(), "invoice2.pdf", "VAT invoice 00000002")])));
    let request2 = after_prefix(
        &cli.ok(&format!("voucher request --issuer huaxia-motors --amount 100000.00 --maturity 2099-12-31 --invoice {invoice2} --as tier1-steel")),
        "request ",
    );
    cli.ok(&format!("voucher reject {request2} --as huaxia-motors"));
    let cancelled = after_prefix(
        &cli.ok(&format!("voucher issue --to tier1-steel --amount 50000.00 --maturity +1d --invoice {invoice2} --as huaxia-motors")),
        "issued voucher ",
    );
    assert!(cli
        .ok(&format!("voucher cancel {cancelled} --as huaxia-motors"))
        .contains("consent"));
    assert!(cli
        .ok(&format!("voucher cancel {cancelled} --as tier1-steel"))
        .contains("cancelled"));
    let line = reader.json("voucher credit-line huaxia-motors");
    assert_eq!(line["outstanding"], "1000000.00");
    assert_eq!(line["lines"][0]["financier"], bank["uscc"]);

    // A supplier withdraws its request: the core can no longer confirm it.
    let request3 = after_prefix(
        &cli.ok(&format!("voucher request --issuer huaxia-motors --amount 10000.00 --maturity 2099-12-31 --invoice {invoice2} --as tier1-steel")),
        "request ",
    );
    cli.ok(&format!(
        "voucher withdraw-request {request3} --as tier1-steel"
    ));
    let error = cli.refused(&format!("voucher confirm {request3} --as huaxia-motors"));
    assert!(
        error.contains(&format!(
            "request {request3} is withdrawn: only a pending request can do this"
        )),
        "{error}"
    );
    // A request expires at the maturity it names (confirmed too late at the end of this test).
    let expiring = after_prefix(
        &cli.ok(&format!("voucher request --issuer huaxia-motors --amount 10000.00 --maturity +20s --invoice {invoice2} --as tier1-steel")),
        "request ",
    );
    // Backing that belongs: a contract between two other firms backs no voucher of Tier-1's.
    let unrelated = recorded_hash(&cli.ok(&command(
        "record add {} --kind contract --party tier3-materials --amount 5000.00 --as tier2-parts",
        &[&write(dir.path(), "other.pdf", "purchase contract T2-T3")],
    )));
    let error = cli.refused(&format!("voucher issue --to tier1-steel --amount 1000.00 --maturity +1d --invoice {invoice2} --record {unrelated} --as huaxia-motors"));
    assert!(
        error.contains("a voucher rests only on documents of its own trade"),
        "{error}"
    );
    // Listings page: one original a page, and the way on.
    let page = reader.ok("voucher list --issuer huaxia-motors --limit 1");
    assert!(page.contains("(more: --after "), "{page}");
    let all = reader.json("voucher list --issuer huaxia-motors");
    assert_eq!(
        (all["vouchers"].as_array().map(Vec::len), &all["next"]),
        (Some(2), &serde_json::Value::Null)
    );

    // A contract that is not a system contract: deployed, called, queried; a transaction looked up.
    let counter = &common::source_path("../contracts/artifacts/counter.wasm");
    let deployed = cli.ok(&command(
        "contract deploy {} --as tier3-materials",
        &[counter],
    ));
    let id = contract_id_in(&deployed);
    let called = cli.ok(&format!(
        "contract call {id} add --input 0500000000000000 --as tier1-steel"
    ));
    assert!(called.contains("output: 0x0500000000000000"), "{called}");
    assert_eq!(
        reader.ok(&format!("contract query {id} get")).trim(),
        "0x0500000000000000"
    );
    let tx = called
        .lines()
        .find_map(|l| l.strip_prefix("submitted "))
        .expect("a transaction hash")
        .to_string();
    let shown = reader.json(&format!("query tx {tx}"));
    assert_eq!(
        (
            shown["status"].as_str(),
            shown["receipt"]["success"].as_bool()
        ),
        (Some("committed"), Some(true))
    );

    // Membership governance: three of the four governing members admit a new supplier.
    let uscc = catena_schema::uscc::with_check("91320500MA1XY0009");
    let account = format!("0x{}", "07".repeat(32));
    // The name holds spaces: the command is a list of words.
    let propose = |by: &'static str| {
        let (uscc, account) = (uscc.as_str(), account.as_str());
        let name = "Tier-4 Castings Co., Ltd.";
        let words = ["member", "propose", "add", "--name", name, "--uscc", uscc];
        [
            &words[..],
            &["--role", "supplier", "--account", account, "--as", by],
        ]
        .concat()
    };
    let error = cli.refused(&propose("tier2-parts"));
    assert!(error.contains("does not govern membership"), "{error}");
    let proposed = cli.ok(&propose("huaxia-motors"));
    let id = proposed
        .lines()
        .find_map(|l| l.strip_prefix("membership proposal "))
        .and_then(|r| r.split(':').next())
        .unwrap_or_else(|| panic!("no proposal id in {proposed}"))
        .to_string();
    assert!(cli
        .ok(&format!("member approve {id} --as merchant-bank"))
        .contains("waiting"));
    assert!(cli
        .ok(&format!("member approve {id} --as swift-logistics"))
        .contains("applied"));
    assert_eq!(
        reader.json(&format!("member show {uscc}"))["roles"][0],
        "supplier"
    );
    assert!(reader
        .ok(&format!("member proposal {id}"))
        .contains("applied at height"));
    let error = cli.refused(&format!("member approve {id} --as tier1-steel"));
    assert!(error.contains("already applied"), "{error}");
    // Members that hold or owe stay: Tier-3 holds a voucher, so its removal is refused with what
    // it has.
    let error = cli.refused("member propose remove tier3-materials --as huaxia-motors");
    assert!(
        error.contains("cannot be removed while it still holds 1 live voucher"),
        "{error}"
    );

    // Maturity: paid by the chain itself, as the CLI shows.
    let settled = wait_for(
        "the parts to be settled at maturity",
        std::time::Duration::from_secs(300),
        || {
            let v = reader.json(&format!("voucher show {}", parts[0]));
            (v["status"] == "settled").then_some(v)
        },
    );
    assert_eq!(settled["paid"], "200000.00");
    assert_eq!(reader.cash("tier3-materials"), "200000.00 CNY");
    assert_eq!(reader.cash("huaxia-motors"), "0.00 CNY");

    let error = cli.refused(&format!("voucher confirm {expiring} --as huaxia-motors"));
    assert!(
        error.contains(&format!(
            "request {expiring} expired at the maturity it names: it can no longer be confirmed"
        )),
        "{error}"
    );

    // Recourse (the demo consortium's chains have no grace period): a voucher factored with
    // recourse, unpaid at maturity (Huaxia has no cash left), turns back to its seller.
    let late = after_prefix(
        &cli.ok(&format!("voucher issue --to tier1-steel --amount 50000.00 --maturity +20s --invoice {invoice2} --as huaxia-motors")),
        "issued voucher ",
    );
    cli.ok(&format!(
        "voucher factor {late} --to merchant-bank --min-price 45000.00 --as tier1-steel"
    ));
    cli.ok(&format!(
        "voucher accept {late} --price 45000.00 --recourse --as merchant-bank"
    ));
    let error = cli.refused(&format!("voucher recourse {late} --as merchant-bank"));
    assert!(
        error.contains("recourse applies to an overdue part"),
        "{error}"
    );
    wait_for(
        "the factored voucher to be overdue",
        std::time::Duration::from_secs(120),
        || (reader.json(&format!("voucher show {late}"))["status"] == "overdue").then_some(()),
    );
    let tier1 = reader.cash("tier1-steel");
    let back = cli.ok(&format!("voucher recourse {late} --as merchant-bank"));
    assert!(
        back.contains("is back with its seller, who paid in full"),
        "{back}"
    );
    let shown = reader.json(&format!("voucher show {late}"));
    assert_eq!(
        shown["holder"],
        reader.json("member show tier1-steel")["uscc"]
    );
    assert_ne!(
        reader.cash("tier1-steel"),
        tier1,
        "the seller paid the factor"
    );
    let history = reader.ok(&format!("voucher history {late}"));
    assert!(history.contains("recourse: "), "{history}");

    // A credit line suggested from the quality of Huaxia's records, granted by the bank once
    // nothing is outstanding.
    let suggested = reader.ok("voucher suggest-line huaxia-motors");
    for line in [
        "completeness",
        "timeliness",
        "accuracy",
        "rating",
        "suggested",
        "rule",
    ] {
        assert!(suggested.contains(line), "{suggested}");
    }
    let suggestion = reader.json("voucher suggest-line huaxia-motors");
    let amount = suggestion["suggested"]
        .as_str()
        .expect("an amount")
        .to_string();
    let granted = cli.ok("voucher suggest-line huaxia-motors --grant --as merchant-bank");
    assert!(
        granted.contains(&format!("granted: the line is now {amount} CNY")),
        "{granted}"
    );
    let lines = reader.json("voucher credit-line huaxia-motors");
    assert_eq!(
        lines["limit"].as_str(),
        Some(amount.as_str()),
        "{suggestion}"
    );
    let error = cli.refused("voucher suggest-line tier1-steel");
    assert!(error.contains("is not a core enterprise"), "{error}");
}
