//! Two parachains, one invoice, with real processes and the CLI (issue 16): a node hosting a
//! main chain that commits the consortium's invoice key and parachains para-a and para-b. The
//! same invoice is recorded on both; an issue on para-a without a claim is refused; `voucher
//! issue` claims it for para-a on the main chain and issues; para-b's claim is refused ("already
//! claimed by another parachain"), and so is a forged main-chain proof on para-b; once para-a's
//! voucher is cancelled and its release anchored, `invoice release` frees it and para-b issues.

mod common;

use std::time::Duration;

use catena_client::ApiClient;
use catena_primitives::invoice::MainClaim;
use catena_primitives::through_anchor::InState;
use catena_primitives::{Call, SecretKey, Transaction};
use catena_schema::voucher::{method as voucher, Terms};
use catena_testing::cli::{command, Cli};
use common::parachain::keyed_parachains;
use common::wait_for;
use parity_scale_codec::{DecodeAll, Encode};

/// Signs `call` on `chain` as `key`, submits it and waits for its block; the receipt's error.
fn failure(client: &ApiClient, chain: &str, key: &SecretKey, call: Call) -> String {
    let nonce = client.account(&key.account()).expect("account").next_nonce;
    let tx = Transaction::signed(chain, nonce, call, key);
    let hash = client.submit(&tx).expect("admitted");
    let view = client
        .wait_committed(hash, Duration::from_secs(60))
        .expect("committed");
    let receipt = view.receipt.expect("a receipt");
    assert!(!receipt.success, "the transaction should fail");
    receipt.error.unwrap_or_default()
}

fn hex_field(value: &serde_json::Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex").trim_start_matches("0x")).expect("hex")
}

#[test]
fn an_invoice_claimed_for_one_parachain_backs_no_voucher_on_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = keyed_parachains(dir.path(), &["para-a", "para-b"]);
    let cli = Cli::new(dir.path(), &node.api);
    let document = dir.path().join("invoice.pdf");
    std::fs::write(&document, "VAT invoice 00000001").expect("write");
    let mut invoice = String::new();
    for chain in ["para-a", "para-b"] {
        wait_for(
            &format!("{chain}'s first block"),
            Duration::from_secs(60),
            || {
                let status = cli.run(&format!("status --chain {chain} --as tier1-steel"));
                (status.ok && !status.out.contains("height:      0")).then_some(())
            },
        );
        cli.ok(&format!(
            "voucher credit-line huaxia-motors --set 5000000.00 --chain {chain} --as merchant-bank"
        ));
        let recorded = cli.ok(&command(
            &format!("record add {{}} --kind invoice --invoice-code 3100231130 --invoice-number 00000001 --buyer huaxia-motors --amount 1000000.00 --chain {chain} --as tier1-steel"),
            &[document.to_str().expect("UTF-8")],
        ));
        invoice = recorded
            .lines()
            .find(|l| l.starts_with("recorded "))
            .and_then(|l| l.split_whitespace().last())
            .expect("the document hash")
            .to_string();
    }
    let issue = |chain: &str| {
        format!("voucher issue --to tier1-steel --amount 500000.00 --maturity +30d --invoice {invoice} --chain {chain} --as huaxia-motors")
    };

    // A raw issue on para-a without a claim: refused in its block.
    let core = node.demo_key("huaxia-motors");
    let para_a =
        ApiClient::new(&node.on_chain("para-a").api).signing(core.clone(), "para-a".into());
    let uscc = |name: &str| {
        cli.json(&format!("member show {name}"))["uscc"]
            .as_str()
            .expect("a USCC")
            .to_string()
    };
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&hex::decode(invoice.trim_start_matches("0x")).expect("hex"));
    let terms = Terms {
        counterparty: uscc("tier1-steel"),
        amount: 50_000_000,
        currency: "CNY".into(),
        maturity_ms: catena_node::now_ms() + 30 * 86_400_000,
        invoices: vec![hash],
        records: Vec::new(),
        line: None,
    };
    let unclaimed = failure(
        &para_a,
        "para-a",
        &core,
        catena_runtime::system_call(voucher::ISSUE, terms),
    );
    assert!(
        unclaimed.contains("is not claimed for this parachain"),
        "{unclaimed}"
    );

    // `voucher issue` claims it for para-a, then issues.
    let issued = cli.ok(&issue("para-a"));
    assert!(issued.contains("claimed for para-a"), "{issued}");
    assert!(issued.contains("issued voucher"), "{issued}");
    let shown = cli.ok(&format!(
        "invoice show {invoice} --chain para-a --as huaxia-motors"
    ));
    assert!(shown.contains("claim 1: in_use"), "{shown}");
    let shown = cli.json(&format!(
        "invoice show {invoice} --chain para-a --as huaxia-motors"
    ));
    assert_eq!(shown["state"], "in_use", "{shown}");

    // para-b: its claim is refused on the main chain, and so is its issue.
    let refused = cli.fails(&format!(
        "invoice claim --invoice {invoice} --chain para-b --as huaxia-motors"
    ));
    assert!(
        refused.contains("already claimed by another parachain"),
        "{refused}"
    );
    assert!(cli
        .fails(&issue("para-b"))
        .contains("already claimed by another parachain"));

    // A main-chain proof forged to name para-b as the holder: refused on para-b.
    let para_b =
        ApiClient::new(&node.on_chain("para-b").api).signing(core.clone(), "para-b".into());
    let view = para_b
        .get(&format!("/records/{invoice}/claim"))
        .expect("the claim view");
    let key = hex_field(&view["main_claim_key"]);
    let proof = node.get_ok(&format!("/proofs/0x{}", hex::encode(key)));
    let mut forged = InState::decode_all(&mut &hex_field(&proof["proof"])[..]).expect("SCALE");
    forged.entry.value = Some(
        MainClaim {
            holder: Some("para-b".into()),
            claim: 1,
            at_height: 0,
        }
        .encode(),
    );
    let reason = failure(
        &para_b,
        "para-b",
        &core,
        Call::TakeInvoiceClaims(vec![forged]),
    );
    assert!(
        reason.contains("the entry under catena-dev's state root"),
        "{reason}"
    );

    // para-a's voucher cancelled; its release anchored and freed; para-b claims and issues.
    for who in ["huaxia-motors", "tier1-steel"] {
        cli.ok(&format!("voucher cancel 1 --chain para-a --as {who}"));
    }
    let released = cli.json(&format!(
        "invoice release --invoice {invoice} --chain para-a --as huaxia-motors"
    ));
    assert_eq!(
        released["released"].as_array().map(Vec::len),
        Some(1),
        "{released}"
    );
    let issued = cli.ok(&issue("para-b"));
    assert!(issued.contains("claimed for para-b"), "{issued}");
    assert!(issued.contains("issued voucher"), "{issued}");
}
