//! One member's flood never keeps another member out (issue 19 item 4): on a dev chain whose
//! blocks hold 2 transactions and whose mempool holds 200, one member submits 1,000; the pool
//! takes half its capacity of them and refuses the rest (503 `over_share`, and the later nonces
//! behind the first one refused so `behind_refused`; never `mempool_full`), and another
//! member's transaction, sent behind the flood, is admitted and
//! committed within 2 blocks, while the flood still has blocks of backlog.

mod common;

use catena_primitives::{Call, Transaction};
use common::TestNode;

#[test]
fn one_members_flood_never_keeps_another_member_out() {
    let dir = common::test_dir();
    // Blocks of 2 transactions (back to back while transactions wait, ADR 0019: the flood is
    // a backlog of some 50 blocks); a mempool of 200.
    let node = TestNode::dev_with(
        dir.path(),
        |spec| {
            spec["parameters"]["block_time_ms"] = 300.into();
            spec["parameters"]["max_block_txs"] = 2.into();
        },
        |config| {
            assert!(config.contains("mempool_capacity = 50000"), "{config}");
            *config = config.replace("mempool_capacity = 50000", "mempool_capacity = 200");
        },
    );
    let chain_id = node.chain_id();
    let flooder = node.demo_key("tier2-parts");
    let other = node.demo_key("tier3-materials");

    let first = node.next_nonce(&flooder);
    let flood: Vec<Transaction> = (first..first + 1_000)
        .map(|n| Transaction::signed(&chain_id, n, Call::Remark(vec![7; 64]), &flooder))
        .collect();
    let mut admitted = 0;
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for chunk in flood.chunks(100) {
        let reply = node.submit_batch(chunk);
        match reply.status {
            200 => {
                for result in reply.body["results"].as_array().expect("results") {
                    if result["status"] == 202 {
                        admitted += 1;
                    } else {
                        let code = result["error"]["code"].as_str().unwrap_or("?").to_string();
                        *codes.entry(code).or_default() += 1;
                    }
                }
            }
            status => {
                let code = reply.body["error"]["code"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string();
                *codes.entry(format!("{status} {code}")).or_default() += chunk.len();
            }
        }
    }
    // Half the pool (100), and the places blocks freed while the batches came in.
    assert!(
        (100..=300).contains(&admitted),
        "admitted {admitted}; refused: {codes:?}"
    );
    assert!(codes.contains_key("over_share"), "{codes:?}");
    assert!(
        codes
            .keys()
            .all(|c| c == "over_share" || c == "behind_refused"),
        "{codes:?}"
    );

    // Behind the flood, another member's transaction: admitted, and in a block at most 2
    // heights after the one current when it was sent.
    let sent_at = node.height();
    let tx = Transaction::signed(
        &chain_id,
        node.next_nonce(&other),
        Call::Remark(b"not held out".to_vec()),
        &other,
    );
    let reply = node.submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    let included = node.wait_committed(&tx.hash().to_string());
    let flood_done = node.get_ok(&format!("/accounts/{}", flooder.account()))["next_nonce"]
        .as_u64()
        .expect("nonce");
    assert!(
        flood_done < first + admitted,
        "the flood still waited in the pool when the other member's transaction was committed"
    );
    assert!(
        included <= sent_at + 2,
        "sent at height {sent_at}, committed at {included} ({} of the flood still pending)",
        first + admitted - flood_done
    );
    println!(
        "flood of 1,000 by one member: {admitted} admitted, refused {codes:?}; another member's \
         transaction sent at height {sent_at} committed at {included}"
    );
}
