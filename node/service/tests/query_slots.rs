//! Two chains hosted in one process share the contract engine but not their query places: with
//! every one of chain A's places held, a contract query on A answers `busy` after its wait, a
//! query on B answers, and B goes on committing blocks and the transactions sent to it. Real
//! RocksDB, real wasmtime and the real drivers, in-process (the test holds A's places itself).

use std::sync::Arc;
use std::time::{Duration, Instant};

use catena_api::ChainApi;
use catena_chain_spec::build_named;
use catena_node::host::{start_chain, ChainOptions};
use catena_node::metrics::NodeMetrics;
use catena_node::{Home, NodeConfig, QUERY_SLOT_WAIT};
use catena_primitives::{Call, Transaction};
use catena_runtime::contract_of;
use catena_schema::cash::method as cash_method;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// Polls `check` every 50 ms for up to `limit`.
async fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_with_every_query_place_held_leaves_the_other_answering_and_committing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = Home(dir.path().to_path_buf());
    let config = NodeConfig::default();
    let metrics = Arc::new(NodeMetrics::default());
    let mut chains = Vec::new();
    let mut member = None;
    for id in ["chain-a", "chain-b"] {
        let mut built = build_named(id, 1, now_ms() - 10_000, 30_333);
        built.spec.parameters.block_time_ms = 100;
        member.get_or_insert_with(|| built.member_keys[0].secret.clone());
        let options = ChainOptions {
            validator_key: Some(built.validator_keys[0].0.secret.clone()),
            network_key: None,
            p2p_addr: "/ip4/127.0.0.1/tcp/0".into(),
            network_key_path: home.network_key(),
            invoice_key: None,
            invoice_key_path: home.invoice_key(),
            spec: built.spec,
        };
        chains.push(start_chain(&home, &config, options, &metrics, false).expect("a chain starts"));
    }
    let (a, b) = (Arc::clone(&chains[0].chain), Arc::clone(&chains[1].chain));
    let supply = contract_of(cash_method::SUPPLY);
    let input = cash_method::SUPPLY.input(&());
    let query = |chain: &Arc<catena_node::ChainInstance>| {
        let (chain, input) = (Arc::clone(chain), input.clone());
        tokio::task::spawn_blocking(move || chain.query(supply, "supply".into(), input))
    };
    assert!(
        query(&a).await.expect("task").is_ok(),
        "A answers while free"
    );

    // Every place of A taken.
    let places = a.query_slots();
    let held: Vec<_> = (0..places.capacity())
        .map(|_| places.acquire(Duration::ZERO).expect("a free place"))
        .collect();
    assert!(places.acquire(Duration::ZERO).is_none());

    let began = Instant::now();
    let on_a = query(&a).await.expect("task").expect_err("A is full");
    assert_eq!(on_a.code, "busy", "{}", on_a.message);
    assert!(
        began.elapsed() >= QUERY_SLOT_WAIT,
        "answered busy only after waiting"
    );

    let began = Instant::now();
    let on_b = query(&b).await.expect("task");
    assert!(on_b.is_ok(), "B answers: {on_b:?}");
    assert!(
        began.elapsed() < QUERY_SLOT_WAIT,
        "B did not wait for A's places"
    );

    // B keeps committing, its transactions included.
    let height = b.tip().expect("tip").height;
    let key = member.expect("a member key");
    let tx = Transaction::signed(
        "chain-b",
        0,
        Call::Remark(b"while A is full".to_vec()),
        &key,
    );
    let hash = b.submit(tx).expect("admitted");
    eventually(
        "B to commit three more blocks and the remark",
        Duration::from_secs(30),
        || {
            b.tip().expect("tip").height >= height + 3
                && b.transaction(hash)
                    .expect("read")
                    .is_some_and(|t| t.status == catena_api::TxStatus::Committed)
        },
    )
    .await;

    drop(held);
    assert!(
        query(&a).await.expect("task").is_ok(),
        "A answers again once its places are free"
    );
    for chain in chains {
        chain.stop().await;
    }
}
