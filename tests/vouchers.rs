//! The supply-chain-finance story of DOMAIN.md on a running dev chain, with real signed
//! transactions, real RocksDB and the system contracts deployed at genesis in the real wasmtime
//! sandbox. A trade is recorded across the flows; the core enterprise confirms a 1,000,000.00
//! voucher; it is split and transferred up to tier 3; tier 2 pledges a part to the bank for an
//! advance; a second voucher on the same invoice is refused as double financing; governance cannot
//! turn a member holding a live part into an auditor; at maturity every
//! part is paid with no transaction asking for it. Then an issuer without enough cash: the voucher
//! goes overdue and is paid when cash arrives. Every balance is checked to the fen.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use catena_primitives::{system_contract_id, Hash, SecretKey, Transaction};
use catena_runtime::{contract_of, system_call};
use catena_schema::cash::method as cash_method;
use catena_schema::cash::Mint;
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, NewRecord};
use catena_schema::registry::method as registry_method;
use catena_schema::registry::{Change, MemberRecord};
use catena_schema::voucher::method as voucher_method;
use catena_schema::voucher::{
    Accept, FinanceKind, Offer, Price, SetCreditLine, Status, Terms, Transfer, Voucher, VoucherId,
};
use catena_schema::{names, parse_amount, Amount, Method, Role};
use common::{wait_for, TestNode};
use parity_scale_codec::{Decode, Encode};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64
}

fn yuan(text: &str) -> Amount {
    parse_amount(text).expect("an amount")
}

struct Story {
    node: TestNode,
    chain_id: String,
    keys: BTreeMap<&'static str, SecretKey>,
    uscc: BTreeMap<&'static str, String>,
}

const CAST: [&str; 6] = [
    "huaxia-motors",
    "tier1-steel",
    "tier2-parts",
    "tier3-materials",
    "merchant-bank",
    "swift-logistics",
];

impl Story {
    fn start(dir: &std::path::Path) -> Story {
        let node = TestNode::dev(dir, 200);
        let chain_id = node.chain_id();
        let mut keys = BTreeMap::new();
        let mut uscc = BTreeMap::new();
        for name in CAST {
            let key = node.demo_key(name);
            let account = node.get_ok(&format!("/accounts/{}", key.account()));
            uscc.insert(
                name,
                account["member"]["uscc"]
                    .as_str()
                    .expect("a member")
                    .to_string(),
            );
            keys.insert(name, key);
        }
        Story {
            node,
            chain_id,
            keys,
            uscc,
        }
    }

    fn uscc(&self, name: &str) -> String {
        self.uscc[name].clone()
    }

    /// Sends a signed call and waits for its block; returns the receipt (as JSON).
    fn send<A: Encode, O>(&self, who: &str, method: Method<A, O>, input: A) -> serde_json::Value {
        let key = &self.keys[who];
        let tx = Transaction::signed(
            &self.chain_id,
            self.node.next_nonce(key),
            system_call(method, input),
            key,
        );
        let reply = self.node.submit(&tx);
        assert_eq!(reply.status, 202, "{method}: {}", reply.body);
        let hash = tx.hash().to_string();
        self.node.wait_committed_view(&hash)["receipt"].clone()
    }

    fn ok<A: Encode, O>(&self, who: &str, method: Method<A, O>, input: A) -> Vec<u8> {
        let receipt = self.send(who, method, input);
        assert_eq!(receipt["success"], true, "{who} {method}: {receipt}");
        let output = receipt["output"].as_str().expect("output");
        hex::decode(output.trim_start_matches("0x")).expect("hex")
    }

    fn refused<A: Encode, O>(&self, who: &str, method: Method<A, O>, input: A) -> String {
        let receipt = self.send(who, method, input);
        assert_eq!(
            receipt["success"], false,
            "{who} {method} was accepted: {receipt}"
        );
        receipt["error"].as_str().expect("a reason").to_string()
    }

    fn query<A: Encode, O: Decode>(&self, method: Method<A, O>, input: A) -> O {
        let body = serde_json::json!({
            "method": method.name,
            "input": format!("0x{}", hex::encode(method.input(&input))),
        });
        let reply = self.node.post_raw(
            &format!("/contracts/{}/query", contract_of(method)),
            &body.to_string(),
        );
        assert_eq!(reply.status, 200, "query {method}: {}", reply.body);
        let output = reply.body["output"].as_str().expect("output");
        let bytes = hex::decode(output.trim_start_matches("0x")).expect("hex");
        method.output(&bytes).expect("the output decodes")
    }

    fn cash(&self, who: &str) -> Amount {
        self.query(cash_method::BALANCE, self.uscc(who))
    }

    fn voucher(&self, id: VoucherId) -> Voucher {
        self.query(voucher_method::GET, id)
            .unwrap_or_else(|| panic!("no voucher {id}"))
    }

    fn record(
        &self,
        who: &str,
        kind: Kind,
        name: &str,
        amount: Amount,
        links: Vec<[u8; 32]>,
        invoice: Option<Invoice>,
    ) -> [u8; 32] {
        let record = NewRecord {
            kind,
            doc_hash: Hash::digest(name.as_bytes()).0,
            parties: vec![self.uscc("tier1-steel"), self.uscc("huaxia-motors")],
            amount,
            currency: "CNY".into(),
            date_ms: now_ms(),
            links,
            invoice,
        };
        let id = record.doc_hash;
        self.ok(who, records_method::RECORD, record);
        id
    }

    fn invoice(&self, number: &str, amount: Amount, links: Vec<[u8; 32]>) -> [u8; 32] {
        let invoice = Invoice {
            code: "3100231130".into(),
            number: number.into(),
            seller: self.uscc("tier1-steel"),
            buyer: self.uscc("huaxia-motors"),
        };
        let name = format!("VAT invoice {number}");
        self.record(
            "tier1-steel",
            Kind::Invoice,
            &name,
            amount,
            links,
            Some(invoice),
        )
    }

    /// Waits until voucher `id` (and so its parts) is past maturity and has this status.
    fn wait_status(&self, id: VoucherId, status: Status) -> Voucher {
        wait_for(
            &format!("voucher {id} to be {}", status.as_str()),
            Duration::from_secs(60),
            || Some(self.voucher(id)).filter(|v| v.status == status),
        )
    }
}

#[test]
fn the_whole_voucher_story_on_a_dev_chain() {
    let dir = common::test_dir();
    let story = Story::start(dir.path());
    // A subscriber to the voucher contract's events from the start of the chain.
    let stream = Subscriber::start(&format!(
        "{}/stream?from_height=0&contract={}",
        story.node.api,
        system_contract_id(names::VOUCHER)
    ));
    let (core, t1, t2, t3, bank) = (
        "huaxia-motors",
        "tier1-steel",
        "tier2-parts",
        "tier3-materials",
        "merchant-bank",
    );

    // The bank gives the core enterprise a credit line and holds its deposit.
    let line = SetCreditLine {
        issuer: story.uscc(core),
        limit: yuan("5000000.00"),
    };
    story.ok(bank, voucher_method::SET_CREDIT_LINE, line);
    story.ok(
        bank,
        cash_method::MINT,
        Mint {
            to: story.uscc(core),
            amount: yuan("1000000.00"),
        },
    );

    // A trade across the flows: contract, delivery receipt (by the carrier), invoice.
    let contract = story.record(
        t1,
        Kind::Contract,
        "purchase contract HX-2026-001",
        yuan("1000000.00"),
        vec![],
        None,
    );
    let delivery = story.record(
        "swift-logistics",
        Kind::DeliveryReceipt,
        "delivery HX-2026-001",
        yuan("1000000.00"),
        vec![contract],
        None,
    );
    let invoice = story.invoice("00000001", yuan("1000000.00"), vec![contract, delivery]);

    // Tier 1 asks the core to confirm the payable; the core confirms: voucher 1 is issued.
    let maturity = now_ms() + 20_000;
    let terms = Terms {
        counterparty: story.uscc(core),
        amount: yuan("1000000.00"),
        currency: "CNY".into(),
        maturity_ms: maturity,
        invoices: vec![invoice],
        records: vec![contract, delivery],
        line: None,
    };
    let request = u64::decode(&mut &story.ok(t1, voucher_method::REQUEST, terms)[..]).expect("id");
    let voucher =
        u64::decode(&mut &story.ok(core, voucher_method::CONFIRM, request)[..]).expect("id");
    assert_eq!(story.voucher(voucher).holder, story.uscc(t1));

    // Split and transferred up the chain: 600,000.00 to tier 2, of which 200,000.00 to tier 3.
    let transfer = |from, id, to: &str, amount: &str| {
        let args = Transfer {
            voucher: id,
            to: story.uscc(to),
            amount: Some(yuan(amount)),
        };
        u64::decode(&mut &story.ok(from, voucher_method::TRANSFER, args)[..]).expect("id")
    };
    let to_t2 = transfer(t1, voucher, t2, "600000.00");
    let to_t3 = transfer(t2, to_t2, t3, "200000.00");
    let t2_part = story.voucher(to_t2).children[1];
    assert_eq!(story.voucher(t2_part).amount, yuan("400000.00"));
    assert_eq!(
        story.query(voucher_method::PATH, to_t3),
        vec![story.uscc(t1), story.uscc(t2), story.uscc(t3)]
    );

    // Tier 2 pledges its 400,000.00 part to the bank for a 300,000.00 advance at 3.65% a year,
    // paid at once.
    story.ok(
        bank,
        cash_method::MINT,
        Mint {
            to: story.uscc(bank),
            amount: yuan("300000.00"),
        },
    );
    let offer = Offer {
        voucher: t2_part,
        financier: story.uscc(bank),
        kind: FinanceKind::Pledge,
        min_price: yuan("300000.00"),
    };
    story.ok(t2, voucher_method::OFFER, offer);
    let accept = Accept {
        voucher: t2_part,
        price: Price::Amount(yuan("300000.00")),
        recourse: false,
        interest_bps: 365,
    };
    story.ok(bank, voucher_method::ACCEPT, accept);
    assert_eq!(story.cash(t2), yuan("300000.00"));
    // The pledge is a loan on the ledger too (ADR 0045), with the voucher as collateral.
    let loans = story
        .node
        .get_ok(&format!("/loans?borrower={}", story.uscc(t2)));
    let pledge_loan = loans["loans"][0].clone();
    assert_eq!(
        (
            pledge_loan["collateral"].as_str(),
            pledge_loan["amount"].as_str(),
            pledge_loan["rate"].as_str(),
            pledge_loan["status"].as_str()
        ),
        (
            Some(format!("voucher {t2_part} in pledge").as_str()),
            Some("300000.00"),
            Some("3.65%"),
            Some("active")
        ),
        "{loans}"
    );
    let moved = Transfer {
        voucher: t2_part,
        to: story.uscc(t3),
        amount: None,
    };
    assert!(story
        .refused(t2, voucher_method::TRANSFER, moved)
        .contains("is pledged"));

    // A second voucher on the same invoice is double financing.
    let again = Terms {
        counterparty: story.uscc(t1),
        amount: yuan("1.00"),
        currency: "CNY".into(),
        maturity_ms: maturity,
        invoices: vec![invoice],
        records: vec![],
        line: None,
    };
    let reason = story.refused(core, voucher_method::ISSUE, again);
    assert!(reason.contains("double financing"), "{reason}");

    // Between issue and maturity, governance tries to turn tier 3, which holds a live part, into
    // an auditor (who could not be paid): refused with what it holds, and its role stays, so
    // settlement below pays every part (before, no part of the voucher was paid).
    let to_auditor = Change::SetRoles {
        uscc: story.uscc(t3),
        roles: vec![Role::Auditor],
    };
    let reason = story.refused(core, registry_method::PROPOSE, to_auditor);
    assert!(
        reason.contains(&format!(
            "member {} cannot lose the role supplier and become an auditor while it still holds 1 live voucher",
            story.uscc(t3)
        )),
        "{reason}"
    );
    let member: Option<MemberRecord> = story.query(registry_method::MEMBER, story.uscc(t3));
    assert_eq!(member.map(|m| m.roles), Some(vec![Role::Supplier]));

    // Maturity: every live part is paid by the chain itself.
    story.wait_status(t2_part, Status::Settled);
    for part in [voucher, to_t2] {
        assert_eq!(story.voucher(part).status, Status::Split);
    }
    let t1_part = story.voucher(voucher).children[1];
    for part in [t1_part, to_t3, t2_part] {
        assert_eq!(
            story.wait_status(part, Status::Settled).paid,
            story.voucher(part).amount
        );
    }
    assert_eq!(story.cash(core), 0);
    assert_eq!(story.cash(t1), yuan("400000.00"));
    // The pledge secured the advance and one day's interest (300,000.00 × 3.65% / 360 = 30.41,
    // rounded down): the bank is paid that, and tier 2 the surplus of its part.
    assert_eq!(
        story.cash(t2),
        yuan("300000.00") + yuan("99969.59"),
        "the advance and the surplus over what the pledge secured"
    );
    assert_eq!(story.cash(t3), yuan("200000.00"));
    assert_eq!(
        story.cash(bank),
        yuan("300030.41"),
        "300,000.00 advanced, advance and interest received"
    );
    assert_eq!(story.query(cash_method::SUPPLY, ()), yuan("1300000.00"));
    // The payments are in a block's scheduled runs, not in any transaction.
    let history: Vec<catena_schema::voucher::HistoryEntry> =
        story.query(voucher_method::HISTORY, t2_part);
    let settled_at = history.last().expect("history").height;
    let block = story.node.get_ok(&format!("/blocks/{settled_at}"));
    let run = &block["scheduled"][0];
    assert_eq!(
        (run["method"].as_str(), run["receipt"]["success"].as_bool()),
        (Some("settle"), Some(true)),
        "{block}"
    );
    assert!(run["receipt"]["events"]
        .as_array()
        .expect("events")
        .iter()
        .any(|e| e["topic"] == "settled"));

    // An issuer without enough cash: the voucher goes overdue, and is paid when cash arrives.
    let invoice2 = story.invoice("00000002", yuan("500000.00"), vec![contract]);
    let terms = Terms {
        counterparty: story.uscc(t1),
        amount: yuan("500000.00"),
        currency: "CNY".into(),
        maturity_ms: now_ms() + 5_000,
        invoices: vec![invoice2],
        records: vec![],
        line: None,
    };
    let second = u64::decode(&mut &story.ok(core, voucher_method::ISSUE, terms)[..]).expect("id");
    let overdue = story.wait_status(second, Status::Overdue);
    assert_eq!(overdue.paid, 0);
    assert_eq!(story.cash(t1), yuan("400000.00"));
    story.ok(
        bank,
        cash_method::MINT,
        Mint {
            to: story.uscc(core),
            amount: yuan("500000.00"),
        },
    );
    let paid = story.wait_status(second, Status::Settled);
    assert_eq!(paid.paid, yuan("500000.00"));
    assert_eq!(story.cash(t1), yuan("900000.00"));
    assert_eq!(story.cash(core), 0);
    let lines: catena_schema::voucher::CreditLines =
        story.query(voucher_method::CREDIT_LINE, story.uscc(core));
    assert_eq!(lines.outstanding(), 0, "settlement frees the credit line");

    // The integrator's API, in JSON with decimal amounts.
    let part = story.node.get_ok(&format!("/vouchers/{t2_part}"));
    assert_eq!(
        (part["amount"].as_str(), part["status"].as_str()),
        (Some("400000.00"), Some("settled"))
    );
    // The pledge was paid at settlement, so it ended: no pledgee any more, and the history
    // shows the pledge and its release with what the bank received.
    assert_eq!(part["pledgee"], serde_json::Value::Null, "{part}");
    // Its loan on the ledger was repaid with it: the advance and the day's interest.
    let loan = story.node.get_ok(&format!("/loans/{}", pledge_loan["id"]));
    assert_eq!(
        (loan["status"].as_str(), loan["repaid"].as_str()),
        (Some("repaid"), Some("300030.41")),
        "{loan}"
    );
    let history = story.node.get_ok(&format!("/vouchers/{t2_part}/history"));
    assert_eq!(
        history["path"],
        serde_json::json!([story.uscc(t1), story.uscc(t2)])
    );
    assert!(history["history"]
        .as_array()
        .expect("entries")
        .iter()
        .any(|h| h["action"]
            .as_str()
            .is_some_and(|a| a.starts_with("pledged to"))));
    let released = format!("released by {} (repaid ", story.uscc(bank));
    assert!(
        history["history"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|h| h["action"]
                .as_str()
                .is_some_and(|a| a.starts_with(&released))),
        "{history}"
    );
    let lineage = story.node.get_ok(&format!("/vouchers/{t2_part}/lineage"));
    assert_eq!(lineage.as_array().map(Vec::len), Some(5));
    let issued = story
        .node
        .get_ok(&format!("/vouchers?issuer={}", story.uscc(core)));
    assert_eq!(issued["vouchers"].as_array().map(Vec::len), Some(2));
    let held = story
        .node
        .get_ok(&format!("/vouchers?holder={}", story.uscc(t3)));
    assert_eq!(
        held["vouchers"].as_array().map(Vec::len),
        Some(0),
        "settled parts are no longer held"
    );
    assert_eq!(
        story.node.get_ok("/members").as_array().map(Vec::len),
        Some(7)
    );
    assert_eq!(
        story.node.get_ok(&format!("/members/{}", story.uscc(bank)))["roles"][0],
        "financier"
    );
    let record = story.node.get_ok(&format!("/records/{}", Hash(invoice)));
    assert_eq!(
        (record["kind"].as_str(), record["invoice_number"].as_str()),
        (Some("invoice"), Some("00000001"))
    );
    assert_eq!(
        story.node.get_ok(&format!("/cash/{}", story.uscc(t3)))["balance"],
        "200000.00"
    );
    let found = story.node.get_ok(&format!("/search?q={t2_part}"));
    assert!(
        found
            .as_array()
            .expect("hits")
            .iter()
            .any(|h| h["kind"] == "voucher"),
        "{found}"
    );
    let found = story
        .node
        .get_ok(&format!("/search?q={}", story.uscc(core)));
    assert_eq!(found[0]["path"], format!("/members/{}", story.uscc(core)));
    assert_eq!(
        story
            .node
            .get(&format!("/vouchers/{}", 9_999))
            .map(|r| r.status),
        Some(404)
    );

    // Blocks and their transactions, a page at a time.
    let page = story.node.get_ok("/blocks?limit=5");
    let heights: Vec<u64> = page
        .as_array()
        .expect("blocks")
        .iter()
        .map(|b| b["height"].as_u64().expect("height"))
        .collect();
    assert_eq!(heights.len(), 5);
    assert!(
        heights.windows(2).all(|w| w[1] + 1 == w[0]),
        "newest first: {heights:?}"
    );
    let next = story
        .node
        .get_ok(&format!("/blocks?before={}&limit=5", heights[4]));
    assert_eq!(next[0]["height"].as_u64(), Some(heights[4] - 1));
    // The block with the most transactions.
    let with_txs = (1..=heights[0])
        .map(|h| story.node.get_ok(&format!("/blocks/{h}")))
        .max_by_key(|b| b["transactions"].as_array().map_or(0, Vec::len))
        .filter(|b| b["transactions"].as_array().is_some_and(|t| !t.is_empty()))
        .expect("a block with transactions");
    let listed = story
        .node
        .get_ok(&format!("/blocks/{}/transactions", with_txs["height"]));
    assert_eq!(listed[0]["hash"], with_txs["transactions"][0]);
    assert_eq!(listed[0]["status"], "committed");
    // Read together (the block and its receipts once), each is what its own lookup shows, in
    // block order; a page from an offset is the same slice.
    let listed = listed.as_array().expect("a list");
    assert_eq!(
        listed.len(),
        with_txs["transactions"]
            .as_array()
            .map_or(0, Vec::len)
            .min(20),
        "a page holds 20 by default"
    );
    for (i, tx) in listed.iter().enumerate() {
        assert_eq!(tx["index"].as_u64(), Some(i as u64), "{tx}");
        assert_eq!(
            *tx,
            story.node.get_ok(&format!(
                "/transactions/{}",
                tx["hash"].as_str().expect("hash")
            ))
        );
    }
    let page = story.node.get_ok(&format!(
        "/blocks/{}/transactions?offset=1&limit=1",
        with_txs["height"]
    ));
    assert_eq!(
        page.as_array().map(Vec::as_slice),
        Some(listed.get(1..2).unwrap_or_default())
    );

    // The subscriber got every voucher event, in order, exactly once: the same as the index.
    let mut indexed = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let query = match &after {
            Some(a) => format!("&after={a}"),
            None => String::new(),
        };
        let page = story.node.get_ok(&format!(
            "/events?contract={}&limit=7{query}",
            system_contract_id(names::VOUCHER)
        ));
        for e in page["events"].as_array().expect("events") {
            indexed.push(format!("{}:{}", e["height"], e["index"]));
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    let topics = story.node.get_ok(&format!(
        "/events?contract={}&topic=settled",
        system_contract_id(names::VOUCHER)
    ));
    assert_eq!(
        topics["events"].as_array().map(Vec::len),
        Some(4),
        "four parts settled"
    );
    assert!(indexed.len() >= 12, "{indexed:?}");
    let last_height: u64 = indexed
        .last()
        .and_then(|id| id.split(':').next())
        .and_then(|h| h.parse().ok())
        .expect("a height");
    let received = wait_for(
        "the stream to reach the last event",
        Duration::from_secs(30),
        || {
            let seen = stream.seen();
            seen.blocks
                .last()
                .is_some_and(|h| *h >= last_height)
                .then_some(seen)
        },
    );
    assert_eq!(
        received.events, indexed,
        "stream and index agree, in order, each event once"
    );
    assert!(
        received.blocks.windows(2).all(|w| w[1] == w[0] + 1),
        "every block once, in order"
    );
}

/// Reads a server-sent event stream in a thread.
struct Subscriber {
    seen: std::sync::Arc<std::sync::Mutex<Seen>>,
}

#[derive(Clone, Default)]
struct Seen {
    blocks: Vec<u64>,
    events: Vec<String>,
}

impl Subscriber {
    fn start(url: &str) -> Subscriber {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::default()));
        let sink = seen.clone();
        let url = url.to_string();
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
            let response = agent.get(&url).call().expect("the stream answers");
            assert_eq!(response.status(), 200);
            let reader = std::io::BufReader::new(response.into_body().into_reader());
            let mut kind = String::new();
            for line in std::io::BufRead::lines(reader) {
                let Ok(line) = line else { return };
                if let Some(k) = line.strip_prefix("event: ") {
                    kind = k.to_string();
                } else if let Some(id) = line.strip_prefix("id: ") {
                    let mut seen = sink.lock().expect("lock");
                    match kind.as_str() {
                        "block" => seen.blocks.push(id.parse().expect("a height")),
                        "contract_event" => seen.events.push(id.to_string()),
                        _ => {}
                    }
                }
            }
        });
        Subscriber { seen }
    }

    fn seen(&self) -> Seen {
        self.seen.lock().expect("lock").clone()
    }
}
