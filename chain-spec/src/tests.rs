use super::*;

const T0: u64 = 1_767_225_600_000;

#[test]
fn dev_and_local_specs_are_valid_and_roundtrip() {
    let dev = build_dev(T0);
    assert_eq!(dev.spec.validate(), Ok(()));
    assert_eq!(dev.spec.validators.len(), 1);
    assert_eq!(dev.spec.members.len(), 7);
    for role in [
        Role::Core,
        Role::Supplier,
        Role::Financier,
        Role::Logistics,
        Role::Auditor,
    ] {
        assert!(
            dev.spec.members.iter().any(|m| m.roles.contains(&role)),
            "{role:?}"
        );
    }
    let parsed = ChainSpec::from_json(dev.spec.to_json().as_bytes()).expect("valid");
    assert_eq!(parsed, dev.spec);

    let local = build_local(4, T0);
    assert_eq!(local.spec.validate(), Ok(()));
    assert_eq!(local.spec.validator_set().quorum(), 3);
    // The four operators of validators govern; three of them must approve a change.
    assert_eq!(local.spec.governance.members.len(), 4);
    assert_eq!(local.spec.governance.threshold, 3);
    assert_eq!(local.validator_keys.len(), 4);
}

#[test]
fn peer_ids_look_like_libp2p_and_roundtrip() {
    let key = builders::demo_key("x").secret.account();
    let id = peer_id::from_ed25519(&key);
    assert!(id.starts_with("12D3KooW"), "{id}");
    assert_eq!(peer_id::parse(&id), Ok(key));
    assert!(peer_id::parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").is_err());
}

fn errors_of(mutate: impl FnOnce(&mut ChainSpec)) -> Vec<String> {
    let mut spec = build_dev(T0).spec;
    mutate(&mut spec);
    spec.validate()
        .expect_err("mutation makes the spec invalid")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn errors_name_the_field() {
    let section = |main_chain_id: &str, every: u64| crate::ParachainSection {
        main_chain_id: main_chain_id.into(),
        main_genesis_hash: catena_primitives::Hash::ZERO,
        main_validators: Vec::new(),
        anchor_every_blocks: every,
        anchor_every_ms: 1_000,
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            errors_of(|s| s.chain_id = "Bad Id".into()),
            "chain_id: may hold only",
        ),
        (
            errors_of(|s| s.parachain = Some(section("catena-dev", 5))),
            "parachain.main_chain_id: is this chain's own id",
        ),
        (
            errors_of(|s| s.parachain = Some(section("main", 0))),
            "parachain.anchor_every_blocks: the anchor period",
        ),
        (
            errors_of(|s| s.parachain = Some(section("main", 5))),
            "parachain.main_validators: lists no validator",
        ),
        (
            // The largest upload (1 MiB, ~10.5 billion fuel) must fit in half a block.
            errors_of(|s| s.parameters.max_tx_bytes = 1 << 20),
            "parameters.max_block_fuel: 2000000000 is outside 21100377600..=",
        ),
        (
            errors_of(|s| s.members[2].uscc = "123".into()),
            "members[2].uscc: '123' must be 18",
        ),
        (
            errors_of(|s| s.members[1].name = s.members[0].name.clone()),
            "members[1].name:",
        ),
        (
            errors_of(|s| s.members[0].roles.clear()),
            "members[0].roles: at least one",
        ),
        (
            errors_of(|s| s.members[3].accounts[0] = s.members[0].accounts[0]),
            "members[3].accounts[0]:",
        ),
        (
            errors_of(|s| s.validators[0].member = "nobody".into()),
            "validators[0].member: 'nobody'",
        ),
        (
            errors_of(|s| s.validators[0].peer_id = "xyz".into()),
            "validators[0].peer_id:",
        ),
        (
            errors_of(|s| s.validators[0].address = "127.0.0.1:1".into()),
            "validators[0].address:",
        ),
        (
            errors_of(|s| s.validators.clear()),
            "validators: at least one",
        ),
        (
            errors_of(|s| s.parameters.block_time_ms = 1),
            "parameters.block_time_ms: 1 is outside",
        ),
        (errors_of(|s| s.genesis_time_ms = 0), "genesis_time_ms:"),
        (
            errors_of(|s| s.contracts[1].code_hash = Hash([7; 32])),
            "contracts[1].code_hash: is 0x0707",
        ),
        (
            errors_of(|s| s.contracts[0].code = "nowhere.wasm".into()),
            "contracts[0].code: 'nowhere.wasm' is neither an artifact",
        ),
        (
            errors_of(|s| s.contracts[2].name = s.contracts[0].name.clone()),
            "contracts[2].name: 'registry' is listed twice",
        ),
        (
            errors_of(|s| s.parameters.currency = "cny".into()),
            "parameters.currency: must be 1 to 8 capital letters",
        ),
        (
            errors_of(|s| s.parameters.voucher_max_parts = 1),
            "parameters.voucher_max_parts: 1 is outside",
        ),
        (
            errors_of(|s| s.parameters.loan_to_value_percent = 101),
            "parameters.loan_to_value_percent: 101 is outside",
        ),
        (
            errors_of(|s| s.governance.members.push("nobody".into())),
            "governance.members[1]: 'nobody' is not",
        ),
        (
            errors_of(|s| s.governance.threshold = 2),
            "governance.threshold: 2 is outside 1..=1",
        ),
        (
            errors_of(|s| s.governance.members.clear()),
            "governance.threshold: 1 is outside 0..=0",
        ),
    ];
    for (errors, expected) in cases {
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "expected an error starting with {expected:?}, got {errors:?}"
        );
    }
}

#[test]
fn json_errors_are_reported() {
    let err = ChainSpec::from_json(b"{\"chain_id\": 5}").expect_err("wrong type");
    assert!(
        err.to_string().contains("chain_id") || err.to_string().contains("invalid type"),
        "{err}"
    );
    let mut json: serde_json::Value =
        serde_json::from_str(&build_dev(T0).spec.to_json()).expect("json");
    json["members"][0]["roles"] = serde_json::json!(["banker"]);
    let err = ChainSpec::from_json(json.to_string().as_bytes()).expect_err("unknown role");
    assert!(err.to_string().contains("banker"), "{err}");
}
