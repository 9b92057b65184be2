//! A one-validator chain run by the real binary: blocks, admission, replay, proofs, API errors.

mod common;

use std::time::Duration;

use catena_primitives::{Call, Hash, SecretKey, StateProof, Transaction};
use common::{catena, wait_for, TestNode};

#[test]
fn dev_command_produces_blocks_and_status_shows_height_growing() {
    let dir = common::test_dir();
    let home = dir.path().join("dev-home");
    let node = TestNode::dev_command(&home);
    let status_height = || {
        let out = catena(&["status", "--api", &node.api]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let line = text
            .lines()
            .find(|l| l.starts_with("height:"))
            .expect("height line");
        line["height:".len()..]
            .trim()
            .parse::<u64>()
            .expect("number")
    };
    let first = status_height();
    wait_for("two more blocks", Duration::from_secs(30), || {
        (status_height() >= first + 2).then_some(())
    });
    let log = node.log();
    assert!(
        log.contains("API:"),
        "the dev banner names the API URL:\n{log}"
    );
    assert!(
        log.contains("huaxia") || log.contains("Huaxia Motors"),
        "the banner lists demo accounts:\n{log}"
    );
    assert!(home.join("keys").join("tier1-steel.json").exists());
}

#[test]
fn admits_includes_and_rejects_with_clear_messages() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let chain_id = node.chain_id();
    let supplier = node.demo_key("tier1-steel");

    // A valid transaction is admitted and included.
    let tx = Transaction::signed(
        &chain_id,
        0,
        Call::Remark(b"invoice 001 received".to_vec()),
        &supplier,
    );
    let reply = node.submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    let hash = reply.body["hash"].as_str().expect("hash").to_string();
    assert_eq!(hash, tx.hash().to_string());
    let height = node.wait_committed(&hash);
    let block = node.get_ok(&format!("/blocks/{height}"));
    assert!(block["transactions"]
        .as_array()
        .expect("txs")
        .iter()
        .any(|h| h == hash.as_str()));
    let committed = node.get_ok(&format!("/transactions/{hash}"));
    assert_eq!(committed["receipt"]["success"], true);

    // The same transaction again, many times: a replay, never included twice.
    for _ in 0..200 {
        let again = node.submit(&tx);
        assert_eq!(again.status, 409, "{}", again.body);
        assert_eq!(again.body["error"]["code"], "nonce_used");
        let message = again.body["error"]["message"].as_str().expect("message");
        assert!(message.contains("replay"), "{message}");
    }

    // Wrong chain id, bad signature, non-member, oversized: each refused with its reason.
    let nonce = node.next_nonce(&supplier);
    let wrong_chain = Transaction::signed("another-chain", nonce, Call::Remark(vec![1]), &supplier);
    let mut bad_signature = Transaction::signed(&chain_id, nonce, Call::Remark(vec![2]), &supplier);
    bad_signature.signature.0[0] ^= 0xff;
    let outsider = SecretKey::from_seed([0x42; 32]);
    let non_member = Transaction::signed(&chain_id, 0, Call::Remark(vec![3]), &outsider);
    let oversized = Transaction::signed(
        &chain_id,
        nonce,
        Call::Remark(vec![0; 70 * 1024]),
        &supplier,
    );
    let cases = [
        (&wrong_chain, 422, "wrong_chain", "another-chain"),
        (&bad_signature, 422, "bad_signature", "signature"),
        (&non_member, 403, "not_a_member", "not a member"),
        (&oversized, 413, "too_large", "limit"),
    ];
    for (tx, status, code, phrase) in cases {
        let reply = node.submit(tx);
        assert_eq!(reply.status, status, "{code}: {}", reply.body);
        assert_eq!(reply.body["error"]["code"], code);
        let message = reply.body["error"]["message"].as_str().expect("message");
        assert!(message.contains(phrase), "{code}: {message}");
    }
    // None of them is ever included.
    let later = node.height() + 3;
    wait_for("three more blocks", Duration::from_secs(30), || {
        (node.height() >= later).then_some(())
    });
    for (tx, ..) in cases {
        let reply = node
            .get(&format!("/transactions/{}", tx.hash()))
            .expect("answer");
        assert_eq!(reply.status, 404, "{}", reply.body);
    }
    assert_eq!(node.next_nonce(&supplier), 1);

    // The metrics count what happened.
    let metrics = node.client.get_text("/metrics").expect("answer");
    let value = |name: &str| -> f64 {
        common::metric(&metrics, name.trim())
            .unwrap_or_else(|| panic!("{name} missing from:\n{metrics}"))
    };
    assert!(value("catena_height ") >= 3.0);
    assert!(value("catena_committed_transactions_total ") >= 1.0);
    assert!(
        value("catena_rejected_transactions_total ") >= 204.0,
        "200 replays and 4 invalid"
    );
    assert!(value("catena_commit_latency_seconds_count ") >= 3.0);
}

#[test]
fn state_proofs_verify_against_the_header_and_tampering_fails() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 200);
    let bank = node.demo_key("merchant-bank");
    let tx = Transaction::signed(
        &node.chain_id(),
        0,
        Call::Remark(b"pledge terms".to_vec()),
        &bank,
    );
    assert_eq!(node.submit(&tx).status, 202);
    node.wait_committed(&tx.hash().to_string());

    // The bank's nonce entry: sys/nonce/ + account.
    let mut key = b"sys/nonce/".to_vec();
    key.extend_from_slice(&bank.account().0);
    let entry = node.get_ok(&format!("/state/0x{}", hex::encode(&key)));
    let height = entry["height"].as_u64().expect("height");
    let header = node.get_ok(&format!("/blocks/{height}"));
    let root: Hash = header["state_root"]
        .as_str()
        .expect("root")
        .parse()
        .expect("hash");
    assert_eq!(entry["state_root"], header["state_root"]);
    let value = hex::decode(
        entry["value"]
            .as_str()
            .expect("value")
            .trim_start_matches("0x"),
    )
    .expect("hex");
    assert_eq!(value, 1u64.to_le_bytes());
    let proof_bytes = hex::decode(
        entry["proof"]
            .as_str()
            .expect("proof")
            .trim_start_matches("0x"),
    )
    .expect("hex");
    let proof = StateProof(proof_bytes.clone());
    proof
        .verify(root, &key, Some(&value))
        .expect("inclusion proof verifies");

    // A wrong value, a tampered proof, a claim of absence: all refused.
    assert!(proof.verify(root, &key, Some(&2u64.to_le_bytes())).is_err());
    assert!(proof.verify(root, &key, None).is_err());
    for position in [proof_bytes.len() / 2, proof_bytes.len() - 1] {
        let mut tampered = proof_bytes.clone();
        tampered[position] ^= 0x01;
        assert!(
            StateProof(tampered)
                .verify(root, &key, Some(&value))
                .is_err(),
            "byte {position}"
        );
    }

    // Absence is proved too.
    let missing = b"sys/nonce/not-an-account".to_vec();
    let entry = node.get_ok(&format!(
        "/state/0x{}?height={height}",
        hex::encode(&missing)
    ));
    assert!(entry["value"].is_null());
    let proof = hex::decode(
        entry["proof"]
            .as_str()
            .expect("proof")
            .trim_start_matches("0x"),
    )
    .expect("hex");
    StateProof(proof.clone())
        .verify(root, &missing, None)
        .expect("non-inclusion verifies");
    assert!(StateProof(proof)
        .verify(root, &missing, Some(b"x"))
        .is_err());
}

#[test]
fn live_api_answers_bad_input_with_json_4xx() {
    let dir = common::test_dir();
    let node = TestNode::dev(dir.path(), 500);
    for path in [
        "/blocks/notablock",
        "/blocks/999999",
        "/transactions/0xabc",
        "/accounts/xyz",
        "/state/0xzz",
        "/nowhere",
    ] {
        let reply = node.get(path).expect("answer");
        assert!(
            (400..500).contains(&reply.status),
            "{path}: {}",
            reply.status
        );
        assert!(
            reply.body["error"]["message"].is_string(),
            "{path}: {}",
            reply.body
        );
    }
    let reply = node.post_raw("/transactions", "{\"transaction\": 12}");
    assert_eq!(reply.status, 400, "{}", reply.body);
    let doc = node.get_ok("/openapi.json");
    assert!(doc["paths"]["/state/{key}"].is_object());
}

/// The API's per-client rate limit, through the real server: a client over
/// `api_requests_per_second` (here 20, bursts of 40) is answered 429 `rate_limited` with
/// `Retry-After`, and served again once it waits.
#[test]
fn a_client_over_its_request_rate_is_told_to_wait() {
    let dir = common::test_dir();
    let node = TestNode::dev_with(
        dir.path(),
        |spec| spec["parameters"]["block_time_ms"] = 500.into(),
        |config| {
            assert!(
                config.contains("api_requests_per_second = 2000"),
                "{config}"
            );
            *config = config.replace(
                "api_requests_per_second = 2000",
                "api_requests_per_second = 20",
            );
        },
    );
    let mut limited = None;
    for sent in 1..=200 {
        let reply = node.get("/status").expect("an answer");
        if reply.status == 429 {
            limited = Some((sent, reply));
            break;
        }
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let (sent, reply) = limited.expect("a 429 within 200 requests");
    assert!(
        sent > 20,
        "the burst is served first: limited at request {sent}"
    );
    assert_eq!(
        reply.body["error"]["code"], "rate_limited",
        "{}",
        reply.body
    );
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    assert_eq!(node.get("/status").expect("an answer").status, 200);
}
