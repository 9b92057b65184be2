//! Proofs an outsider checks offline, served by a real node (ADR 0031 decision 4): a node hosting
//! the dev chain and parachain `para-a` answers `GET /chains/para-a/proofs/{key}` (a member's
//! signed read) with a parachain entry, or its absence, proved through its anchor from the main
//! chain's genesis validators, and `GET /proofs/{key}` of the main chain with an entry under its
//! latest certified header; bad input is refused with a clear message.

mod common;

use std::time::Duration;

use catena_client::ApiClient;
use catena_primitives::through_anchor::{InState, ThroughAnchor};
use catena_primitives::AccountId;
use catena_testing::cli::Cli;
use common::parachain::{dev_with_parachain, head};
use common::wait_for;
use parity_scale_codec::DecodeAll;
use serde_json::Value;

fn bytes(hex_text: &Value) -> Vec<u8> {
    let text = hex_text.as_str().expect("a hex string");
    hex::decode(text.trim_start_matches("0x")).expect("hex")
}

#[test]
fn parachain_entries_are_proved_through_their_anchors_and_main_entries_from_genesis() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, home, spec_path) = dev_with_parachain(dir.path(), 5);
    Cli::new(&home, &node.api).ok(&format!(
        "parachain register --spec {} --as huaxia-motors",
        spec_path.display()
    ));
    let main_spec = catena_chain_spec::ChainSpec::from_json(
        &std::fs::read(home.join("chain-spec.json")).expect("the main spec"),
    )
    .expect("a spec");
    let trust_root: Vec<AccountId> = main_spec.validators.iter().map(|v| v.account).collect();
    wait_for(
        "a block of para-a anchored at 10 or above",
        Duration::from_secs(90),
        || (head(&node, "para-a") >= 10).then_some(()),
    );
    let para = node.on_chain("para-a");
    let member = ApiClient::new(&para.api).signing(node.demo_key("tier1-steel"), "para-a".into());
    let validators_key = hex::encode(catena_primitives::validator::VALIDATORS_KEY);

    // An entry and an absent key of the parachain, each through the anchor.
    for (key, present) in [(validators_key.as_str(), true), ("6e6f2f7375636800", false)] {
        let reply = member
            .get_reply(&format!("/proofs/0x{key}?from=3"))
            .expect("an answer");
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let view = reply.body;
        assert_eq!(view["kind"], "through_anchor");
        assert_eq!(view["trust_root_chain"], node.chain_id());
        assert_eq!(view["value"].is_string(), present, "{view}");
        let proof = ThroughAnchor::decode_all(&mut &bytes(&view["proof"])[..]).expect("SCALE");
        let proved = proof.verify(&trust_root).expect("the proof verifies");
        assert!(proved.para_height >= 3, "{proved:?}");
        assert_eq!(Some(proved.para_height), view["height"].as_u64());
        assert_eq!(Some(proved.main_height), view["certified_height"].as_u64());
        assert_eq!(proof.entry.key, hex::decode(key).expect("hex"));
        // Another trust root refuses it.
        let stranger = [catena_primitives::SecretKey::from_seed([9; 32]).account()];
        assert!(proof.verify(&stranger).is_err());
    }
    // Nothing anchored that high yet: 404 saying so; unsigned: 401; bad key: 400.
    let beyond = member
        .get_reply("/proofs/00?from=1000000")
        .expect("an answer");
    assert_eq!(beyond.status, 404, "{:?}", beyond.body);
    let message = beyond.body["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains("no block of para-a at or above 1000000 is anchored"),
        "{message}"
    );
    assert_eq!(para.get("/proofs/00").expect("an answer").status, 401);
    let bad = member.get_reply("/proofs/0xzz").expect("an answer");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["code"], "invalid_key");

    // The main chain's own entry (para-a's record) under its latest certified header.
    let record_key = hex::encode(b"sys/para/para-a");
    let view = node.get_ok(&format!("/proofs/{record_key}"));
    assert_eq!(view["kind"], "in_state");
    let proof = InState::decode_all(&mut &bytes(&view["proof"])[..]).expect("SCALE");
    let header = proof.verify(&trust_root).expect("the proof verifies");
    assert_eq!(Some(header.height), view["certified_height"].as_u64());
    assert!(proof.entry.value.is_some());
    let refused = node
        .get(&format!("/proofs/{record_key}?from=3"))
        .expect("an answer");
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert!(refused.body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("is not one")));
}
