use super::*;
use catena_primitives::evidence::{vote_signing_bytes, PRECOMMIT, PREVOTE};
use catena_primitives::{SecretKey, WireVote};

struct MapState(Changes);
impl StateReader for MapState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.0.get(key).cloned().flatten())
    }
}

/// Members `keys`; the validator set is the first key's account.
fn member_state(keys: &[&SecretKey]) -> MapState {
    let accounts: Vec<_> = keys.iter().map(|k| k.account()).collect();
    MapState(genesis_changes(
        accounts.iter().map(|a| {
            (
                a,
                MemberAccount {
                    member: "m".into(),
                    uscc: "u".into(),
                    roles: vec!["supplier".into()],
                },
            )
        }),
        &accounts[..1],
    ))
}

fn context(height: u64) -> BlockContext {
    BlockContext {
        chain_id: "c".into(),
        height,
        time_ms: 1_000 * height,
    }
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
    assert_eq!(validators(&state), Ok(vec![validator.account()]));
}
