//! The signing example of docs/integrators.md, reproduced byte for byte: if this fails, either
//! the document or the wire format changed, and integrators in other languages must know.

use catena_primitives::{system_contract_id, Call, SecretKey, Transaction, UnsignedTransaction};
use catena_schema::voucher::Transfer;
use parity_scale_codec::Encode;

/// The contents of the fenced block whose info string is `text NAME` in the document.
fn block(doc: &str, name: &str) -> String {
    let fence = format!("```text {name}\n");
    let start = doc
        .find(&fence)
        .unwrap_or_else(|| panic!("docs/integrators.md has no block '{name}'"))
        + fence.len();
    let end = start + doc[start..].find("```").expect("a closing fence");
    doc[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("")
}

/// Each named block of the document equals what was computed (with `PRINT_EXAMPLE` set, the
/// values are printed instead, to write the document from).
fn check_blocks(doc: &str, computed: &[(&str, String)]) {
    for (name, value) in computed {
        if std::env::var_os("PRINT_EXAMPLE").is_some() {
            println!("{name}: {value}");
            continue;
        }
        assert_eq!(
            &block(doc, name),
            value,
            "block '{name}' of docs/integrators.md"
        );
    }
}

/// The example: a fixed test key transferring 600,000.00 of
/// voucher 1 to Tier-2 Precision Parts on chain `catena-local`, as its fourth transaction.
fn example() -> (UnsignedTransaction, SecretKey) {
    let key = SecretKey::from_seed([1u8; 32]);
    let input = Transfer {
        voucher: 1,
        to: "91330200MA2AB00036".into(),
        amount: Some(60_000_000),
    };
    let unsigned = UnsignedTransaction {
        chain_id: "catena-local".into(),
        nonce: 3,
        signer: key.account(),
        call: Call::CallContract {
            contract: system_contract_id("voucher"),
            method: catena_schema::voucher::method::TRANSFER.name.into(),
            input: input.encode(),
        },
    };
    (unsigned, key)
}

#[test]
fn the_documented_transaction_is_reproduced_byte_for_byte() {
    let doc = std::fs::read_to_string(source_path("../docs/integrators.md"))
        .expect("docs/integrators.md");
    let (unsigned, key) = example();
    let input = match &unsigned.call {
        Call::CallContract { input, .. } => input.clone(),
        _ => unreachable!("the example is a contract call"),
    };
    let signing = unsigned.signing_bytes();
    let tx: Transaction = unsigned.sign(&key);
    let computed = [
        ("account", hex::encode(key.account().0)),
        ("contract", hex::encode(system_contract_id("voucher").0)),
        ("input", hex::encode(&input)),
        ("signing-bytes", hex::encode(&signing)),
        ("signature", hex::encode(tx.signature.0)),
        ("transaction", hex::encode(tx.encode())),
        ("hash", tx.hash().to_string()),
    ];
    check_blocks(&doc, &computed);
    assert!(tx.check_stateless("catena-local", 64 << 10).is_ok());
}

/// A file of this checkout, found from the package directory cargo gives the test when it runs
/// it (not the one compiled in, which names wherever the binary was built).
fn source_path(relative: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    format!("{dir}/{relative}")
}

/// The signed read of docs/integrators.md: the same test key reading voucher 4 on parachain
/// `para-a` at 2026-01-01 00:00:00 UTC.
#[test]
fn the_documented_signed_read_is_reproduced_byte_for_byte() {
    use catena_primitives::read;
    let doc = std::fs::read_to_string(source_path("../docs/integrators.md"))
        .expect("docs/integrators.md");
    let key = SecretKey::from_seed([1u8; 32]);
    let request = read::Request {
        chain_id: "para-a",
        method: "GET",
        path: "/chains/para-a/vouchers/4",
        query: "",
        timestamp_ms: 1_767_225_600_000,
        body: b"",
    };
    let message = request.message();
    let [account, stamp, signature] = request.sign(&key);
    let computed = [
        ("read-message", hex::encode(&message)),
        ("read-account", account.clone()),
        ("read-timestamp", stamp),
        ("read-signature", signature.clone()),
    ];
    check_blocks(&doc, &computed);
    assert!(request.verify(
        &account.parse().expect("account"),
        &signature.parse().expect("signature")
    ));
}
