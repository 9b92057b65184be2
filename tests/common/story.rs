//! The voucher story the explorer's tests show: a voucher of 1,000,000.00 that Huaxia Motors
//! issues to Tier-1 Steel against an invoice and a contract; 600,000.00 of it paid to Tier 2,
//! who splits that and pays 200,000.00 on to Tier 3.

use catena_testing::cli::{after_prefix, recorded_hash, split_parts, Cli};

/// What the story made: the original voucher, the part paid to Tier 2, Tier 2's two parts (the
/// first now Tier 3's), and the hashes of the contract and the invoice.
pub struct Story {
    pub original: String,
    pub to_tier2: String,
    pub parts: Vec<String>,
    pub contract: String,
    pub invoice: String,
}

/// Runs the story with the CLI `cli` (its home holds the demo keys), writing the documents in
/// `dir`.
pub fn voucher_story(cli: &Cli, dir: &std::path::Path) -> Story {
    let document = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write a document");
        path.to_str().expect("utf-8").to_string()
    };
    cli.ok("voucher credit-line huaxia-motors --set 5000000.00 --as merchant-bank");
    let contract = recorded_hash(&cli.ok(&format!(
        "record add {} --kind contract --party huaxia-motors --amount 1000000.00 --as tier1-steel",
        document("contract.pdf", "purchase contract HX-9")
    )));
    let invoice = recorded_hash(&cli.ok(&format!(
        "record add {} --kind invoice --invoice-code 3100231130 --invoice-number 00000009 --buyer huaxia-motors --amount 1000000.00 --link {contract} --as tier1-steel",
        document("invoice.pdf", "VAT invoice 00000009")
    )));
    let request = after_prefix(
        &cli.ok(&format!("voucher request --issuer huaxia-motors --amount 1000000.00 --maturity 2099-12-31 --invoice {invoice} --record {contract} --as tier1-steel")),
        "request ",
    );
    let original = after_prefix(
        &cli.ok(&format!("voucher confirm {request} --as huaxia-motors")),
        "issued voucher ",
    );
    let to_tier2 = after_prefix(
        &cli.ok(&format!(
            "voucher transfer {original} --to tier2-parts --amount 600000.00 --as tier1-steel"
        )),
        "transferred voucher ",
    );
    let parts = split_parts(&cli.ok(&format!(
        "voucher split {to_tier2} --parts 200000.00,400000.00 --as tier2-parts"
    )));
    cli.ok(&format!(
        "voucher transfer {} --to tier3-materials --as tier2-parts",
        parts[0]
    ));
    Story {
        original,
        to_tier2,
        parts,
        contract,
        invoice,
    }
}
