use super::*;
use catena_primitives::evidence::{vote_signing_bytes, PRECOMMIT, PREVOTE};
use catena_primitives::{SecretKey, ValidatorChange, WireVote};

/// State in a map, for unit tests (the `indexes` tests' too).
pub(crate) struct MapState(pub(crate) Changes);
impl StateReader for MapState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.0.get(key).cloned().flatten())
    }
    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        next_in_layers(&[&self.0], prefix, after, |_, _| Ok(None))
    }
}

fn entry(key: &SecretKey, member: &str) -> ValidatorEntry {
    ValidatorEntry {
        account: key.account(),
        member: member.into(),
        peer_id: "peer".into(),
        address: "/ip4/127.0.0.1/tcp/1".into(),
    }
}

/// Members `keys`, each its own member "m0", "m1", ...; the validator set is the first key's
/// account; "m0" and "m1" govern with a threshold of 2.
fn member_state(keys: &[&SecretKey]) -> MapState {
    let members: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| catena_schema::registry::MemberRecord {
            name: format!("m{i}"),
            uscc: format!("u{i}"),
            roles: vec![catena_schema::Role::Supplier],
            accounts: vec![k.account().0],
        })
        .collect();
    MapState(
        genesis_changes(
            &members,
            &[],
            &[entry(keys[0], "m0")],
            &ValidatorGovernance {
                members: vec!["m0".into(), "m1".into()],
                threshold: 2,
            },
            &[],
            &[],
            &context(0),
        )
        .expect("genesis"),
    )
}

/// Applies a block's changes to the state.
fn apply(state: &mut MapState, out: ExecutedBlock) {
    for (key, value) in out.changes {
        match value {
            Some(v) => state.0.insert(key, Some(v)),
            None => state.0.remove(&key),
        };
    }
}

fn failures(out: &ExecutedBlock) -> Vec<String> {
    out.receipts
        .iter()
        .map(|r| match &r.status {
            ReceiptStatus::Failed(message) => message.clone(),
            ReceiptStatus::Success => "ok".into(),
        })
        .collect()
}

fn context(height: u64) -> BlockContext {
    BlockContext {
        chain_id: "c".into(),
        height,
        time_ms: 1_000 * height,
        max_tx_fuel: 10_000_000,
        max_block_fuel: 95_000_000,
        invoice_key: None,
        main: None,
    }
}

/// Uploads `code` and instantiates it (nonces 0 and 1 of `owner`) in one block applied to
/// `state`; the contract's id.
fn upload_and_instantiate(state: &mut MapState, code: Vec<u8>, owner: &SecretKey) -> Hash {
    let code_hash = Hash::digest(&code);
    let out = execute(
        state,
        &[
            Transaction::signed("c", 0, Call::UploadCode(code), owner),
            Transaction::signed(
                "c",
                1,
                Call::Instantiate {
                    code_hash,
                    input: Vec::new(),
                },
                owner,
            ),
        ],
    )
    .expect("block");
    apply(state, out);
    catena_primitives::contract_id(&owner.account(), 1)
}

fn execute(
    state: &MapState,
    transactions: &[Transaction],
) -> Result<ExecutedBlock, ExecutionError> {
    execute_block(state, &context(10), transactions)
}

fn remark(key: &SecretKey, nonce: u64) -> Transaction {
    Transaction::signed("c", nonce, Call::Remark(b"r".to_vec()), key)
}

#[test]
fn nonces_advance_within_a_block() {
    let alice = SecretKey::from_seed([1; 32]);
    let state = member_state(&[&alice]);
    let out = execute(&state, &[remark(&alice, 0), remark(&alice, 1)]).expect("valid block");
    assert_eq!(out.receipts.len(), 2);
    assert!(out
        .receipts
        .iter()
        .all(|r| r.status == ReceiptStatus::Success));
    assert_eq!(
        out.changes.get(&keys::nonce(&alice.account())),
        Some(&Some(2u64.encode()))
    );
}

#[test]
fn a_proposer_bound_executes_the_longest_prefix_it_allows() {
    // Alice and Bob each change one key (their nonce) per remark: a bound of 3 changed keys
    // stops before the fourth transaction, and the prefix is exactly what execute_block gives.
    let alice = SecretKey::from_seed([1; 32]);
    let bob = SecretKey::from_seed([2; 32]);
    let state = member_state(&[&alice, &bob]);
    let txs = [
        remark(&alice, 0),
        remark(&bob, 0),
        remark(&alice, 1),
        remark(&bob, 1),
        remark(&alice, 2),
    ];
    let mut asked = Vec::new();
    let bounded = execute_block_while(&state, &context(10), &txs, &mut |changed| {
        asked.push(changed);
        changed < 2
    })
    .expect("valid block");
    assert_eq!(bounded.receipts.len(), 2);
    assert_eq!(
        asked,
        vec![0, 1, 2],
        "asked before each, with the keys changed so far"
    );
    let whole_prefix = execute(&state, &txs[..2]).expect("valid block");
    assert_eq!(bounded.receipts, whole_prefix.receipts);
    assert_eq!(bounded.changes, whole_prefix.changes);
    // No bound: all five.
    let all = execute_block_while(&state, &context(10), &txs, &mut |_| true).expect("valid");
    assert_eq!(all.receipts.len(), 5);
}

#[test]
fn rejects_bad_nonce_and_non_member() {
    let alice = SecretKey::from_seed([1; 32]);
    let mallory = SecretKey::from_seed([2; 32]);
    let state = member_state(&[&alice]);
    assert!(matches!(
        execute(&state, &[remark(&alice, 1)]),
        Err(ExecutionError::BadNonce {
            expected: 0,
            found: 1,
            ..
        })
    ));
    assert!(matches!(
        execute(&state, &[remark(&alice, 0), remark(&alice, 0)]),
        Err(ExecutionError::BadNonce {
            expected: 1,
            found: 0,
            ..
        })
    ));
    assert!(matches!(
        execute(&state, &[remark(&mallory, 0)]),
        Err(ExecutionError::NotAMember { .. })
    ));
}

#[test]
fn describe_keys() {
    let account = SecretKey::from_seed([1; 32]).account();
    assert!(keys::describe(&keys::nonce(&account)).starts_with("sys/nonce/0x8a88"));
}

fn signed_vote(key: &SecretKey, kind: u8, height: u64, value: &[u8]) -> WireVote {
    let value = Some(Hash::digest(value));
    let bytes = vote_signing_bytes("c", kind, height, 0, value).expect("kind");
    WireVote {
        kind,
        height,
        round: 0,
        value,
        signer: key.account(),
        signature: key.sign(&bytes),
    }
}

fn report(reporter: &SecretKey, nonce: u64, first: WireVote, second: WireVote) -> Transaction {
    Transaction::signed(
        "c",
        nonce,
        Call::ReportEquivocation(Box::new(Equivocation { first, second })),
        reporter,
    )
}

#[test]
fn equivocation_evidence_is_recorded_once_and_only_when_it_proves_something() {
    let validator = SecretKey::from_seed([1; 32]);
    let reporter = SecretKey::from_seed([2; 32]);
    let state = member_state(&[&validator, &reporter]);
    let a = signed_vote(&validator, PREVOTE, 7, b"a");
    let b = signed_vote(&validator, PREVOTE, 7, b"b");
    let out = execute(
        &state,
        &[
            report(&reporter, 0, a, b),
            // The same again, in the same block: refused.
            report(&reporter, 1, b, a),
            // Not conflicting.
            report(&reporter, 2, a, a),
            // Forged second vote.
            report(&reporter, 3, a, WireVote { value: None, ..b }),
            // A non-validator's conflicting votes.
            report(
                &reporter,
                4,
                signed_vote(&reporter, PRECOMMIT, 7, b"a"),
                signed_vote(&reporter, PRECOMMIT, 7, b"b"),
            ),
            // Votes for a height above the block's.
            report(
                &reporter,
                5,
                signed_vote(&validator, PRECOMMIT, 11, b"a"),
                signed_vote(&validator, PRECOMMIT, 11, b"b"),
            ),
        ],
    )
    .expect("valid block");
    let failures: Vec<String> = out
        .receipts
        .iter()
        .filter_map(|r| match &r.status {
            ReceiptStatus::Failed(message) => Some(message.clone()),
            ReceiptStatus::Success => None,
        })
        .collect();
    assert_eq!(out.receipts[0].status, ReceiptStatus::Success);
    assert_eq!(failures.len(), 5, "{failures:?}");
    assert!(failures[0].contains("already recorded"), "{}", failures[0]);
    assert!(failures[1].contains("same value"), "{}", failures[1]);
    assert!(failures[2].contains("signature"), "{}", failures[2]);
    assert!(
        failures[3].contains("is not a validator"),
        "{}",
        failures[3]
    );
    assert!(
        failures[4].contains("above this block's height"),
        "{}",
        failures[4]
    );

    let mut after = state.0.clone();
    after.extend(out.changes);
    let recorded = recorded_equivocation(&MapState(after), &validator.account(), 7, 0, PREVOTE)
        .expect("readable");
    assert_eq!(
        recorded,
        Some(Equivocation {
            first: a,
            second: b
        })
    );
}

#[test]
fn genesis_records_the_validator_set() {
    let validator = SecretKey::from_seed([1; 32]);
    let state = member_state(&[&validator]);
    assert_eq!(validators(&state), Ok(vec![entry(&validator, "m0")]));
}

fn propose(key: &SecretKey, nonce: u64, change: ValidatorChange, from_height: u64) -> Transaction {
    Transaction::signed(
        "c",
        nonce,
        Call::ProposeValidatorChange(catena_primitives::ValidatorChangeProposal {
            change,
            from_height,
        }),
        key,
    )
}

#[test]
fn a_validator_change_needs_a_quorum_of_governing_members_and_applies_at_its_height() {
    let (v0, gov1, outsider, candidate) = (
        SecretKey::from_seed([1; 32]),
        SecretKey::from_seed([2; 32]),
        SecretKey::from_seed([3; 32]),
        SecretKey::from_seed([4; 32]),
    );
    let mut state = member_state(&[&v0, &gov1, &outsider, &candidate]);
    let add = ValidatorChange::Add {
        account: candidate.account(),
        peer_id: "peer-4".into(),
        address: "/ip4/127.0.0.1/tcp/4".into(),
    };
    // Block 10: refused proposals, then one that waits for a second approval.
    let out = execute_block(
        &state,
        &context(10),
        &[
            propose(&outsider, 0, add.clone(), 20),
            propose(&v0, 0, add.clone(), 11),
            propose(
                &v0,
                1,
                ValidatorChange::Remove {
                    account: v0.account(),
                },
                20,
            ),
            propose(
                &v0,
                2,
                ValidatorChange::Remove {
                    account: gov1.account(),
                },
                20,
            ),
            propose(&v0, 3, add.clone(), 20),
            Transaction::signed("c", 4, Call::Approve(0), &v0),
            Transaction::signed("c", 1, Call::Approve(7), &outsider),
        ],
    )
    .expect("valid block");
    let f = failures(&out);
    assert!(f[0].contains("'m2' is not a governing member"), "{}", f[0]);
    assert!(f[1].contains("from height 12 at the earliest"), "{}", f[1]);
    assert!(
        f[2].contains("last validator cannot be removed"),
        "{}",
        f[2]
    );
    assert!(f[3].contains("is not a validator"), "{}", f[3]);
    assert_eq!(f[4], "ok");
    assert!(f[5].contains("already approved proposal 0"), "{}", f[5]);
    assert!(f[6].contains("not a governing member"), "{}", f[6]);
    apply(&mut state, out);
    let open = proposal(&state, 0).expect("readable").expect("recorded");
    assert_eq!(open.status, ValidatorSetProposalStatus::Open);
    assert_eq!(open.approvals, vec!["m0".to_string()]);

    // Block 11: the second governing member approves; scheduled for height 20.
    let out = execute_block(
        &state,
        &context(11),
        &[Transaction::signed("c", 0, Call::Approve(0), &gov1)],
    )
    .expect("valid block");
    assert_eq!(failures(&out), vec!["ok".to_string()]);
    apply(&mut state, out);
    assert_eq!(
        proposal(&state, 0)
            .expect("readable")
            .expect("recorded")
            .status,
        ValidatorSetProposalStatus::Scheduled
    );

    // Blocks up to 18 leave the set alone; block 19 sets the one that certifies block 20.
    let out = execute_block(&state, &context(18), &[]).expect("valid block");
    apply(&mut state, out);
    assert_eq!(validators(&state).expect("readable").len(), 1);
    let out = execute_block(&state, &context(19), &[]).expect("valid block");
    apply(&mut state, out);
    let set = validators(&state).expect("readable");
    assert_eq!(
        set.iter().map(|v| v.account).collect::<Vec<_>>(),
        vec![v0.account(), candidate.account()]
    );
    assert_eq!(set[1].member, "m3");
    assert_eq!(set[1].peer_id, "peer-4");
    assert!(!state.0.contains_key(&keys::scheduled_changes(20)));
}

#[test]
fn an_approval_too_close_to_the_height_fails_and_changes_nothing() {
    let (v0, gov1) = (SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32]));
    let mut state = member_state(&[&v0, &gov1]);
    let add = ValidatorChange::Add {
        account: gov1.account(),
        peer_id: "p".into(),
        address: "/ip4/127.0.0.1/tcp/4".into(),
    };
    let out = execute_block(&state, &context(10), &[propose(&v0, 0, add, 12)]).expect("block");
    apply(&mut state, out);
    let out = execute_block(
        &state,
        &context(11),
        &[Transaction::signed("c", 0, Call::Approve(0), &gov1)],
    )
    .expect("block");
    assert!(
        failures(&out)[0].contains("too close"),
        "{:?}",
        failures(&out)
    );
    assert_eq!(
        out.changes.len(),
        1,
        "only the nonce: {:?}",
        out.changes.keys()
    );
}

fn counter_code() -> Vec<u8> {
    let path = source_path("tests/fixtures/counter.wat");
    wat::parse_file(path).expect("fixture")
}

fn loop_code() -> Vec<u8> {
    let path = source_path("tests/fixtures/infinite_loop.wat");
    wat::parse_file(path).expect("fixture")
}

#[test]
fn contracts_are_uploaded_instantiated_called_and_upgraded_by_their_owner() {
    let (owner, other) = (SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32]));
    let mut state = member_state(&[&owner, &other]);
    let code = counter_code();
    let code_hash = Hash::digest(&code);
    let tx = |key: &SecretKey, nonce: u64, call: Call| Transaction::signed("c", nonce, call, key);
    let out = execute(
        &state,
        &[
            tx(&owner, 0, Call::UploadCode(code.clone())),
            tx(&owner, 1, Call::UploadCode(b"not wasm".to_vec())),
            tx(
                &owner,
                2,
                Call::Instantiate {
                    code_hash,
                    input: Vec::new(),
                },
            ),
        ],
    )
    .expect("block");
    let f = failures(&out);
    assert_eq!(f[0], "ok");
    assert!(f[1].contains("invalid contract code"), "{}", f[1]);
    assert_eq!(f[2], "ok");
    assert_eq!(out.receipts[0].output, code_hash.0.to_vec());
    // Uploads are charged by size, compiled or refused.
    assert_eq!(
        out.receipts[0].fuel_used,
        12_000_000 + code.len() as u64 * 10_050
    );
    assert_eq!(out.receipts[1].fuel_used, 12_000_000 + 8 * 10_050);
    let id = catena_primitives::contract_id(&owner.account(), 2);
    assert_eq!(out.receipts[2].output, id.0.to_vec());
    apply(&mut state, out);
    let record = contracts::contract(&state, &id)
        .expect("read")
        .expect("recorded");
    assert_eq!(
        (record.code_hash, record.owner),
        (code_hash, owner.account())
    );

    // Two calls in one block see each other's writes; a failing call changes nothing but the
    // nonce and records its reason and fuel.
    let call = |key: &SecretKey, nonce: u64, input: Vec<u8>| {
        tx(
            key,
            nonce,
            Call::CallContract {
                contract: id,
                method: "call".into(),
                input,
            },
        )
    };
    let out = execute(
        &state,
        &[
            call(&other, 0, 2u64.to_le_bytes().to_vec()),
            call(&other, 1, 3u64.to_le_bytes().to_vec()),
            call(&other, 2, b"bad".to_vec()),
        ],
    )
    .expect("block");
    assert_eq!(out.receipts[1].output, 5u64.to_le_bytes().to_vec());
    assert_eq!(out.receipts[1].events.len(), 1);
    assert_eq!(out.receipts[1].events[0].contract, id);
    assert!(out.receipts[1].fuel_used > 0);
    assert!(
        failures(&out)[2].contains("input must be 8 bytes"),
        "{:?}",
        failures(&out)
    );
    assert!(out.receipts[2].events.is_empty());
    let mut stored = keys::contract_storage_prefix(&id);
    stored.push(b'n');
    assert_eq!(
        out.changes.get(&stored),
        Some(&Some(5u64.to_le_bytes().to_vec()))
    );
    apply(&mut state, out);
    assert_eq!(nonce(&state, &other.account()), Ok(3));

    // Only the owner upgrades; the old code stays stored and the upgrade is recorded.
    let looping = loop_code();
    let loop_hash = Hash::digest(&looping);
    let upgrade = |key: &SecretKey, nonce: u64| {
        tx(
            key,
            nonce,
            Call::UpgradeContract {
                contract: id,
                code_hash: loop_hash,
            },
        )
    };
    let out = execute(
        &state,
        &[
            upgrade(&owner, 3),
            tx(&owner, 4, Call::UploadCode(looping)),
            upgrade(&other, 3),
            upgrade(&owner, 5),
            call(&other, 4, 1u64.to_le_bytes().to_vec()),
        ],
    )
    .expect("block");
    let f = failures(&out);
    assert!(f[0].contains("upload it first"), "{}", f[0]);
    assert!(f[2].contains("only the contract's owner"), "{}", f[2]);
    assert_eq!(f[3], "ok");
    assert!(f[4].contains("out of fuel"), "{}", f[4]);
    assert_eq!(
        out.receipts[4].fuel_used, 10_000_000,
        "a trap burns the budget"
    );
    apply(&mut state, out);
    let record = contracts::contract(&state, &id)
        .expect("read")
        .expect("recorded");
    assert_eq!(record.code_hash, loop_hash);
    assert_eq!(record.upgrades, vec![(10, code_hash, loop_hash)]);
    assert!(state.get(&keys::code(&code_hash)).expect("read").is_some());
}

#[test]
fn a_block_cannot_burn_more_than_its_fuel_limit() {
    let (owner, other) = (SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32]));
    let mut state = member_state(&[&owner, &other]);
    let code = loop_code();
    let id = upload_and_instantiate(&mut state, code, &owner);
    let spin = |nonce| {
        Transaction::signed(
            "c",
            nonce,
            Call::CallContract {
                contract: id,
                method: "call".into(),
                input: Vec::new(),
            },
            &other,
        )
    };
    // Each call burns its 10,000,000; the block allows 95,000,000: nine fit, a tenth does not.
    let nine: Vec<Transaction> = (0..9).map(spin).collect();
    assert!(execute(&state, &nine).is_ok());
    let tenth = spin(9);
    assert_eq!(
        execute(&state, &[nine, vec![tenth.clone()]].concat()),
        Err(ExecutionError::BlockFuelExceeded {
            tx: tenth.hash(),
            limit: 95_000_000
        })
    );
}

#[test]
fn next_in_layers_merges_overrides_and_removals() {
    let mut base = Changes::new();
    for key in ["p/1", "p/3", "p/5", "q/1"] {
        base.insert(key.as_bytes().to_vec(), Some(b"base".to_vec()));
    }
    let mut block = Changes::new();
    block.insert(b"p/2".to_vec(), Some(b"block".to_vec()));
    block.insert(b"p/3".to_vec(), None);
    let mut tx = Changes::new();
    tx.insert(b"p/3".to_vec(), Some(b"tx".to_vec()));
    tx.insert(b"p/5".to_vec(), None);
    let state = MapState(base);
    let mut seen = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    while let Some((key, value)) =
        next_in_layers(&[&tx, &block], b"p/", after.as_deref(), |p, a| {
            state.next(p, a)
        })
        .expect("readable")
    {
        seen.push((String::from_utf8(key.clone()).expect("utf-8"), value));
        after = Some(key);
    }
    assert_eq!(
        seen,
        vec![
            ("p/1".to_string(), b"base".to_vec()),
            ("p/2".to_string(), b"block".to_vec()),
            ("p/3".to_string(), b"tx".to_vec()),
        ]
    );
}

#[test]
fn walking_over_removed_entries_is_counted_so_it_can_be_charged() {
    let mut tombstones = Changes::new();
    for i in 0..1_000u32 {
        tombstones.insert(format!("p/{i:04}").into_bytes(), None);
    }
    let state = MapState(Changes::new());
    take_layer_steps();
    let found =
        next_in_layers(&[&tombstones], b"p/", None, |p, a| state.next(p, a)).expect("readable");
    assert_eq!(found, None);
    assert!(take_layer_steps() >= 1_000, "every removed entry is a step");
    assert_eq!(take_layer_steps(), 0, "taking resets");
}

/// State that fails every read under `contract/`: a broken disk on this node.
struct FailingContractStorage(MapState);

impl StateReader for FailingContractStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        if key.starts_with(keys::CONTRACT_STORAGE_PREFIX) {
            return Err(StateError("disk read failed".into()));
        }
        self.0.get(key)
    }
    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        self.0.next(prefix, after)
    }
}

#[test]
fn a_state_read_error_in_a_contract_aborts_the_block_instead_of_failing_the_call() {
    let (owner, other) = (SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32]));
    let mut state = member_state(&[&owner, &other]);
    let code = counter_code();
    let id = upload_and_instantiate(&mut state, code, &owner);
    let broken = FailingContractStorage(state);
    let call = Transaction::signed(
        "c",
        0,
        Call::CallContract {
            contract: id,
            method: "call".into(),
            input: 1u64.to_le_bytes().to_vec(),
        },
        &other,
    );
    let result = execute_block(&broken, &context(10), &[call]);
    assert!(
        matches!(&result, Err(ExecutionError::State(e)) if e.0.contains("disk read failed")),
        "{result:?}"
    );
}

/// A file of this checkout, found from the package directory cargo gives the test when it runs
/// it (not the one compiled in, which names wherever the binary was built).
fn source_path(relative: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    format!("{dir}/{relative}")
}

/// A scheduled call that fails is not lost: it runs again 1 s of block time later, the wait
/// doubling with each failure, until it succeeds.
#[test]
fn a_failed_scheduled_call_is_retried_with_a_growing_wait_until_it_succeeds() {
    let owner = SecretKey::from_seed([1; 32]);
    let mut state = member_state(&[&owner]);
    let code = wat::parse_file(source_path("tests/fixtures/retried.wat")).expect("fixture");
    let code_hash = Hash::digest(&code);
    let id = catena_primitives::contract_id(&owner.account(), 1);
    let tx = |nonce: u64, call: Call| Transaction::signed("c", nonce, call, &owner);
    let method = |nonce: u64, name: &str| {
        tx(
            nonce,
            Call::CallContract {
                contract: id,
                method: name.into(),
                input: Vec::new(),
            },
        )
    };
    let txs = [
        tx(0, Call::UploadCode(code)),
        tx(
            1,
            Call::Instantiate {
                code_hash,
                input: Vec::new(),
            },
        ),
        method(2, "arm"),
    ];
    let out = execute_block(&state, &context(1), &txs).expect("block 1");
    assert!(
        failures(&out).iter().all(|f| f == "ok"),
        "{:?}",
        failures(&out)
    );
    apply(&mut state, out);
    // Height h runs at 1,000 × h ms: the call fails at 2, again at 3 (1 s later), then waits 2 s
    // (5), then 4 s (9); the contract is opened at 5, after that block's scheduled run.
    let mut ran = Vec::new();
    for height in 2..=12 {
        let txs: Vec<Transaction> = if height == 5 {
            vec![method(3, "open")]
        } else {
            Vec::new()
        };
        let out = execute_block(&state, &context(height), &txs).expect("block");
        for run in &out.scheduled {
            ran.push((height, run.receipt.status == ReceiptStatus::Success));
        }
        apply(&mut state, out);
    }
    assert_eq!(
        ran,
        vec![(2, false), (3, false), (5, false), (9, true)],
        "the runs, and whether each succeeded"
    );
    let mut done = keys::contract_storage_prefix(&id);
    done.extend_from_slice(b"done");
    assert!(state.0.contains_key(&done), "the call finally did its work");
    let left = state
        .0
        .keys()
        .filter(|k| k.starts_with(keys::SCHEDULE_PREFIX))
        .count();
    assert_eq!(left, 0, "nothing is scheduled once it succeeded");
}
