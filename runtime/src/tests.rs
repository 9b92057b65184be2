use super::*;
use catena_primitives::SecretKey;

struct MapState(Changes);
impl StateReader for MapState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.0.get(key).cloned().flatten())
    }
}

fn member_state(keys: &[&SecretKey]) -> MapState {
    let accounts: Vec<_> = keys.iter().map(|k| k.account()).collect();
    MapState(genesis_changes(accounts.iter().map(|a| {
        (
            a,
            MemberAccount {
                member: "m".into(),
                uscc: "u".into(),
                roles: vec!["supplier".into()],
            },
        )
    })))
}

fn remark(key: &SecretKey, nonce: u64) -> Transaction {
    Transaction::signed("c", nonce, Call::Remark(b"r".to_vec()), key)
}

#[test]
fn nonces_advance_within_a_block() {
    let alice = SecretKey::from_seed([1; 32]);
    let state = member_state(&[&alice]);
    let out = execute_block(&state, &[remark(&alice, 0), remark(&alice, 1)]).expect("valid block");
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
        execute_block(&state, &[remark(&alice, 1)]),
        Err(ExecutionError::BadNonce {
            expected: 0,
            found: 1,
            ..
        })
    ));
    assert!(matches!(
        execute_block(&state, &[remark(&alice, 0), remark(&alice, 0)]),
        Err(ExecutionError::BadNonce {
            expected: 1,
            found: 0,
            ..
        })
    ));
    assert!(matches!(
        execute_block(&state, &[remark(&mallory, 0)]),
        Err(ExecutionError::NotAMember { .. })
    ));
}

#[test]
fn describe_keys() {
    let account = SecretKey::from_seed([1; 32]).account();
    assert!(keys::describe(&keys::nonce(&account)).starts_with("sys/nonce/0x8a88"));
}
