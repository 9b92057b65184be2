//! What a contract's `reindex` page may hold: only its own index entries, and a cursor that moves
//! on (a contract that answered the same page for ever would stall a state sync).

use super::*;
use crate::tests::MapState;

fn context() -> BlockContext {
    BlockContext {
        chain_id: "c".into(),
        height: 1,
        time_ms: 1_000,
        max_tx_fuel: 1_000,
        max_block_fuel: 1_000,
        invoice_key: None,
        main: None,
    }
}

/// A state holding the fixture contract (and a contract without `reindex`), its answer `page`.
fn state_answering(page: &catena_schema::Reindexed) -> (MapState, Hash) {
    let path = format!("{}/tests/fixtures/reindex.wat", env!("CARGO_MANIFEST_DIR"));
    let code = wat::parse_file(path).expect("fixture");
    let plain = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "x")))"#)
        .expect("wat");
    let (id, other) = (Hash([1; 32]), Hash([2; 32]));
    let mut state = Changes::new();
    for (contract, code) in [(id, code), (other, plain)] {
        let code_hash = Hash::digest(&code);
        state.insert(keys::code(&code_hash), Some(code));
        let record = contracts::ContractRecord {
            code_hash,
            owner: AccountId([0; 32]),
            created_at: 0,
            upgrades: Vec::new(),
        };
        state.insert(keys::contract(&contract), Some(record.encode()));
    }
    state.insert(keys::contract_storage(&id, b"answer"), Some(page.encode()));
    (MapState(state), id)
}

#[test]
fn a_page_holds_only_index_entries_and_its_cursor_moves_on() {
    let good: catena_schema::Reindexed = (
        vec![(b"~/h/m/1".to_vec(), Vec::new())],
        Some(b"v/5".to_vec()),
    );
    let (state, id) = state_answering(&good);
    assert_eq!(
        indexed_contracts(&state).unwrap(),
        vec![id],
        "only the one with reindex"
    );
    // The chain's max_tx_fuel (1,000 here) does not bound a page: the node's own work.
    let page = reindex_page(&state, &context(), &id, None).expect("a good page");
    assert_eq!(
        page.entries,
        vec![(keys::contract_storage(&id, b"~/h/m/1"), Vec::new())]
    );
    assert_eq!(page.next, Some(b"v/5".to_vec()));
    // The same answer after where it said the next page starts: it would never end.
    let stalled = reindex_page(&state, &context(), &id, Some(b"v/5".to_vec())).unwrap_err();
    assert!(stalled.contains("never end"), "{stalled}");
    let behind = reindex_page(&state, &context(), &id, Some(b"v/9".to_vec())).unwrap_err();
    assert!(behind.contains("never end"), "{behind}");
    // A page without entries is fine, as long as it moves on.
    let (state, id) = state_answering(&(Vec::new(), Some(b"v/9".to_vec())));
    assert!(reindex_page(&state, &context(), &id, Some(b"v/5".to_vec())).is_ok());

    // A committed entry is never written as an index entry.
    let forged: catena_schema::Reindexed = (vec![(b"v/1".to_vec(), b"x".to_vec())], None);
    let (state, id) = state_answering(&forged);
    let refused = reindex_page(&state, &context(), &id, None).unwrap_err();
    assert!(refused.contains("not an index entry"), "{refused}");
    let mut count = 0;
    assert!(rebuild_indexes(&state, &context(), |_| {
        count += 1;
        Ok(())
    })
    .is_err());
    assert_eq!(count, 0, "nothing of a refused page is handed on");

    // Too many entries in one page.
    let flood: catena_schema::Reindexed = (
        (0..=MAX_REINDEX_PAGE as u32)
            .map(|i| ([b"~/".as_slice(), &i.to_be_bytes()].concat(), Vec::new()))
            .collect(),
        None,
    );
    let (state, id) = state_answering(&flood);
    let refused = reindex_page(&state, &context(), &id, None).unwrap_err();
    assert!(refused.contains("at most"), "{refused}");
}
