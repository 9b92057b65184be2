//! The system contracts from the committed artifacts, in the real wasmtime sandbox, through
//! `execute_block`: genesis deploys and initialises them; signed transactions record an invoice,
//! issue a voucher and move part of it; the block whose time reaches maturity pays every part
//! with no transaction in it. Also measures what a voucher transfer costs.

// The test measures how long execution takes; execution itself never reads the clock.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::time::Instant;

use catena_node::chain::genesis::{system_init, SystemParams};
use catena_primitives::{Hash, ReceiptStatus, SecretKey, Transaction};
use catena_runtime::{
    contract_of, execute_block, genesis_changes, next_in_layers, query_contract, system_call,
    BlockContext, Changes, Entry, ExecutedBlock, GenesisContract, StateError, StateReader,
    ValidatorGovernance,
};
use catena_schema::cash::method as cash_method;
use catena_schema::cash::Mint;
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, NewRecord};
use catena_schema::registry::MemberRecord;
use catena_schema::voucher::method as voucher_method;
use catena_schema::voucher::{
    Accept, FinanceKind, Listing, Offer, Page, Price, SetCreditLine, Status, Terms, Transfer,
    Voucher, VoucherId, MAX_PAGE,
};
use catena_schema::{names, Amount, Method, Role};
use parity_scale_codec::{Decode, Encode};

const CHAIN: &str = "system-test";
const T0: u64 = 1_767_225_600_000;
const MILLION: Amount = 100_000_000;

struct State(Changes);

impl StateReader for State {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.0.get(key).cloned().flatten())
    }
    fn next(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Option<Entry>, StateError> {
        next_in_layers(&[&self.0], prefix, after, |_, _| Ok(None))
    }
}

struct Chain {
    state: State,
    height: u64,
    time_ms: u64,
    keys: BTreeMap<&'static str, SecretKey>,
    nonces: BTreeMap<&'static str, u64>,
}

const MEMBERS: [(&str, &str, Role); 5] = [
    ("core", "91310000MA1FL0001", Role::Core),
    ("tier1", "91320500MA1MX0002", Role::Supplier),
    ("tier2", "91330200MA2AB0003", Role::Supplier),
    ("tier3", "91340100MA2CD0004", Role::Supplier),
    ("bank", "91310000MA1GH0005", Role::Financier),
];

fn uscc(name: &str) -> String {
    let (_, code, _) = MEMBERS.iter().find(|(n, ..)| *n == name).expect("a member");
    catena_schema::uscc::with_check(code)
}

fn artifact(name: &str) -> Vec<u8> {
    let path = source_path(&format!("../../contracts/artifacts/{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn context(height: u64, time_ms: u64) -> BlockContext {
    BlockContext {
        chain_id: CHAIN.into(),
        height,
        time_ms,
        max_tx_fuel: 10_000_000,
        max_block_fuel: 2_000_000_000,
        invoice_key: None,
        main: None,
    }
}

impl Chain {
    fn genesis() -> Chain {
        let keys: BTreeMap<_, _> = MEMBERS
            .iter()
            .map(|(name, ..)| (*name, SecretKey::from_seed(Hash::digest(name.as_bytes()).0)))
            .collect();
        let members: Vec<MemberRecord> = MEMBERS
            .iter()
            .map(|(name, _, role)| MemberRecord {
                name: name.to_string(),
                uscc: uscc(name),
                roles: vec![*role],
                accounts: vec![keys[name].account().0],
            })
            .collect();
        let params = SystemParams {
            governance: catena_schema::registry::MembershipGovernance {
                members: vec![uscc("core"), uscc("bank")],
                threshold: 2,
            },
            currency: "CNY".into(),
            min_part: 100,
            max_parts: 10,
            recourse_grace_days: 30,
            loan_to_value_percent: 70,
            deployed: names::SYSTEM.iter().map(|n| n.to_string()).collect(),
        };
        let contracts: Vec<GenesisContract> = names::SYSTEM
            .iter()
            .map(|name| GenesisContract {
                name: name.to_string(),
                code: artifact(name),
                init: system_init(name, &params),
            })
            .collect();
        let changes = genesis_changes(
            &members,
            &[],
            &[],
            &ValidatorGovernance::default(),
            &contracts,
            &[],
            &context(0, T0),
        )
        .expect("genesis deploys the system contracts");
        Chain {
            state: State(changes),
            height: 0,
            time_ms: T0,
            keys,
            nonces: BTreeMap::new(),
        }
    }

    fn tx<A: Encode, O>(
        &mut self,
        who: &'static str,
        method: Method<A, O>,
        input: A,
    ) -> Transaction {
        let nonce = self.nonces.entry(who).or_insert(0);
        let tx = Transaction::signed(CHAIN, *nonce, system_call(method, input), &self.keys[who]);
        *nonce += 1;
        tx
    }

    fn block(&mut self, advance_ms: u64, txs: &[Transaction]) -> ExecutedBlock {
        self.height += 1;
        self.time_ms += advance_ms;
        let out = execute_block(&self.state, &context(self.height, self.time_ms), txs)
            .expect("the block executes");
        for (key, value) in out.changes.clone() {
            match value {
                Some(v) => self.state.0.insert(key, Some(v)),
                None => self.state.0.remove(&key),
            };
        }
        out
    }

    fn query<A: Encode, O: Decode>(&self, method: Method<A, O>, input: A) -> O {
        let out = query_contract(
            &self.state,
            &context(self.height, self.time_ms),
            catena_primitives::AccountId([0; 32]),
            &contract_of(method),
            method.name,
            &method.input(&input),
        )
        .unwrap_or_else(|e| panic!("{method}: {e}"));
        method.output(&out).expect("decodes")
    }

    /// The bank grants the core enterprise a credit line.
    fn credit_line(&mut self, limit: Amount) -> Transaction {
        let line = SetCreditLine {
            issuer: uscc("core"),
            limit,
        };
        self.tx("bank", voucher_method::SET_CREDIT_LINE, line)
    }

    /// The bank mints cash for a member.
    fn mint(&mut self, to: &str, amount: Amount) -> Transaction {
        let mint = Mint {
            to: uscc(to),
            amount,
        };
        self.tx("bank", cash_method::MINT, mint)
    }

    fn cash(&self, member: &str) -> Amount {
        self.query(cash_method::BALANCE, uscc(member))
    }
}

fn assert_all_succeeded(out: &ExecutedBlock) {
    for receipt in &out.receipts {
        assert_eq!(receipt.status, ReceiptStatus::Success, "{receipt:?}");
    }
}

/// A voucher of `amount` to tier 1, maturing at `maturity_ms`, on the invoice.
fn terms(amount: Amount, maturity_ms: u64) -> Terms {
    Terms {
        counterparty: uscc("tier1"),
        amount,
        currency: "CNY".into(),
        maturity_ms,
        invoices: vec![invoice().doc_hash],
        records: vec![],
        line: None,
    }
}

fn invoice() -> NewRecord {
    NewRecord {
        kind: Kind::Invoice,
        doc_hash: Hash::digest(b"invoice 0001").0,
        parties: vec![uscc("tier1"), uscc("core")],
        amount: MILLION,
        currency: "CNY".into(),
        date_ms: T0,
        links: vec![],
        invoice: Some(Invoice {
            code: "3100231130".into(),
            number: "00000001".into(),
            seller: uscc("tier1"),
            buyer: uscc("core"),
        }),
    }
}

#[test]
fn a_voucher_is_issued_moved_and_settled_at_maturity_by_the_chain_itself() {
    let mut chain = Chain::genesis();
    let maturity = T0 + 60_000;
    let txs = vec![
        chain.credit_line(10 * MILLION),
        chain.mint("core", MILLION),
        chain.tx("tier1", records_method::RECORD, invoice()),
        chain.tx("core", voucher_method::ISSUE, terms(MILLION, maturity)),
        chain.tx(
            "tier1",
            voucher_method::TRANSFER,
            Transfer {
                voucher: 1,
                to: uscc("tier2"),
                amount: Some(MILLION / 4),
            },
        ),
    ];
    let out = chain.block(1_000, &txs);
    assert_all_succeeded(&out);
    assert!(out.scheduled.is_empty());
    let issued = &out.receipts[3];
    assert!(
        issued.events.iter().any(|e| e.topic == b"issued"),
        "{:?}",
        issued.events
    );
    println!(
        "fuel: set_credit_line {}, mint {}, record {}, issue {}, transfer of an amount (split + move) {}",
        out.receipts[0].fuel_used,
        out.receipts[1].fuel_used,
        out.receipts[2].fuel_used,
        out.receipts[3].fuel_used,
        out.receipts[4].fuel_used
    );

    // A second voucher on the same invoice is double financing: refused, with the reason.
    let again = chain.tx("core", voucher_method::ISSUE, terms(1, maturity));
    let out = chain.block(1_000, &[again]);
    match &out.receipts[0].status {
        ReceiptStatus::Failed(message) => {
            assert!(message.contains("double financing"), "{message}")
        }
        other => panic!("double financing was accepted: {other:?}"),
    }

    // A block before maturity pays nothing; the block at maturity pays everything, with no
    // transaction in it.
    let out = chain.block(maturity - chain.time_ms - 1, &[]);
    assert!(out.scheduled.is_empty());
    let out = chain.block(1, &[]);
    assert_eq!(out.scheduled.len(), 1, "the settlement ran");
    let run = &out.scheduled[0];
    assert_eq!(
        (run.method.as_str(), &run.receipt.status),
        (voucher_method::SETTLE.name, &ReceiptStatus::Success)
    );
    println!("fuel: settlement of two parts {}", run.receipt.fuel_used);
    assert_eq!(
        (chain.cash("core"), chain.cash("tier1"), chain.cash("tier2")),
        (0, 3 * MILLION / 4, MILLION / 4)
    );
    let lineage: Vec<Voucher> = chain.query(voucher_method::LINEAGE, 1u64);
    assert!(lineage
        .iter()
        .all(|v| matches!(v.status, Status::Split | Status::Settled)));
    let out = chain.block(1_000, &[]);
    assert!(out.scheduled.is_empty(), "nothing is retried once paid");
}

#[test]
fn an_issuer_short_of_cash_is_overdue_then_paid_when_cash_arrives() {
    let mut chain = Chain::genesis();
    let maturity = T0 + 10_000;
    let txs = vec![
        chain.credit_line(MILLION),
        chain.mint("core", MILLION / 10),
        chain.tx("tier1", records_method::RECORD, invoice()),
        chain.tx("core", voucher_method::ISSUE, terms(MILLION, maturity)),
    ];
    assert_all_succeeded(&chain.block(1_000, &txs));
    let out = chain.block(maturity - chain.time_ms, &[]);
    assert!(out.scheduled[0]
        .receipt
        .events
        .iter()
        .any(|e| e.topic == b"overdue"));
    let voucher: Option<Voucher> = chain.query(voucher_method::GET, 1u64);
    let voucher = voucher.expect("voucher 1");
    assert_eq!(
        (voucher.status, voucher.paid),
        (Status::Overdue, MILLION / 10)
    );
    let out = chain.block(1_000, &[]);
    assert_eq!(out.scheduled.len(), 1, "retried every block");
    let mint = chain.mint("core", MILLION);
    chain.block(1_000, &[mint]);
    let out = chain.block(1_000, &[]);
    assert!(out.scheduled[0]
        .receipt
        .events
        .iter()
        .any(|e| e.topic == b"settled"));
    assert_eq!(
        (chain.cash("tier1"), chain.cash("core")),
        (MILLION, MILLION / 10)
    );
}

/// One original split into 256 parts in all (the most one may have), its live parts spread over
/// three suppliers and the bank, some pledged at interest and some factored: returns the live
/// parts and the maturity.
fn a_voucher_in_256_parts(chain: &mut Chain, core_cash: Amount) -> (Vec<Voucher>, u64) {
    let maturity = T0 + 120_000;
    let txs = vec![
        chain.credit_line(10 * MILLION),
        chain.mint("core", core_cash),
        chain.mint("bank", MILLION),
        chain.tx("tier1", records_method::RECORD, invoice()),
        chain.tx("core", voucher_method::ISSUE, terms(MILLION, maturity)),
    ];
    assert_all_succeeded(&chain.block(1_000, &txs));
    // Split the first splittable part again and again until the original has 256 parts.
    let mut leaves: Vec<VoucherId> = vec![1];
    let mut made = 0u32;
    while made < catena_schema::voucher::MAX_PARTS_PER_VOUCHER {
        let id = leaves.remove(0);
        let v: Voucher = chain.query(voucher_method::GET, id).expect("a part");
        let k = (catena_schema::voucher::MAX_PARTS_PER_VOUCHER - made).min(10) as u64;
        let mut amounts = vec![v.amount / k; k as usize];
        amounts[0] += v.amount % k;
        let split = chain.tx(
            "tier1",
            voucher_method::SPLIT,
            catena_schema::voucher::Split {
                voucher: id,
                amounts,
            },
        );
        let out = chain.block(100, &[split]);
        assert_all_succeeded(&out);
        let parts: Vec<VoucherId> = Decode::decode(&mut &out.receipts[0].output[..]).expect("ids");
        made += parts.len() as u32;
        leaves.extend(parts);
    }
    // Tier 2 and tier 3 get a third each; of tier 2's, every fifth is pledged to the bank at 5%;
    // of tier 3's, every fifth is factored to the bank at 3.6% a year.
    let mut txs = Vec::new();
    for (i, id) in leaves.iter().enumerate() {
        let to = match i % 3 {
            1 => "tier2",
            2 => "tier3",
            _ => continue,
        };
        let args = Transfer {
            voucher: *id,
            to: uscc(to),
            amount: None,
        };
        txs.push(chain.tx("tier1", voucher_method::TRANSFER, args));
    }
    assert_all_succeeded(&chain.block(100, &txs));
    let mut offers = Vec::new();
    let mut accepts = Vec::new();
    for (i, id) in leaves.iter().enumerate() {
        let (who, kind, price, interest_bps) = match i % 15 {
            1 => ("tier2", FinanceKind::Pledge, Price::DiscountBps(2_000), 500),
            2 => (
                "tier3",
                FinanceKind::Factoring,
                Price::AnnualRateBps(360),
                0,
            ),
            _ => continue,
        };
        let offer = Offer {
            voucher: *id,
            financier: uscc("bank"),
            kind,
            min_price: 1,
        };
        offers.push(chain.tx(who, voucher_method::OFFER, offer));
        let accept = Accept {
            voucher: *id,
            price,
            recourse: false,
            interest_bps,
        };
        accepts.push(chain.tx("bank", voucher_method::ACCEPT, accept));
    }
    assert_all_succeeded(&chain.block(100, &offers));
    assert_all_succeeded(&chain.block(100, &accepts));
    let mut parts: Vec<Voucher> = chain
        .query(voucher_method::LINEAGE, 1u64)
        .into_iter()
        .filter(|v| v.status.is_live())
        .collect();
    parts.sort_by_key(|v| v.id);
    (parts, maturity)
}

/// Runs blocks from maturity until nothing is scheduled; prints the fuel of the settlement runs.
fn settle_until_quiet(chain: &mut Chain, maturity: u64, label: &str) -> usize {
    let mut out = chain.block(maturity - chain.time_ms, &[]);
    let (mut runs, mut blocks, mut most) = (0, 1, 0);
    loop {
        for run in &out.scheduled {
            assert_eq!(run.receipt.status, ReceiptStatus::Success, "{run:?}");
            most = most.max(run.receipt.fuel_used);
            runs += 1;
        }
        if out.scheduled.is_empty() || blocks > 100 {
            break;
        }
        out = chain.block(1_000, &[]);
        blocks += 1;
    }
    println!(
        "{label}: {runs} settlement runs in {blocks} blocks; the costliest used {most} fuel of the {} a run may",
        context(0, 0).max_tx_fuel
    );
    runs
}

fn part_of(chain: &Chain, id: VoucherId) -> Voucher {
    chain.query(voucher_method::GET, id).expect("a part")
}

#[test]
fn a_voucher_of_256_parts_is_settled_by_the_schedule_alone() {
    let mut chain = Chain::genesis();
    let (parts, maturity) = a_voucher_in_256_parts(&mut chain, 2 * MILLION);
    assert!(parts.len() > 200, "{} live parts", parts.len());
    let holders: std::collections::BTreeSet<&str> =
        parts.iter().map(|p| p.holder.as_str()).collect();
    assert_eq!(
        holders.len(),
        4,
        "tier 1, tier 2, tier 3 and the bank hold parts"
    );
    let pledged: Vec<&Voucher> = parts.iter().filter(|p| p.pledge.is_some()).collect();
    assert!(!pledged.is_empty());
    let before: Vec<Amount> = ["tier1", "tier2", "tier3", "bank"]
        .iter()
        .map(|m| chain.cash(m))
        .collect();
    let runs = settle_until_quiet(&mut chain, maturity, "256 parts, the issuer able to pay");
    assert!(runs >= parts.len().div_ceil(16));
    for part in &parts {
        let now = part_of(&chain, part.id);
        assert_eq!(
            (now.status, now.paid),
            (Status::Settled, now.amount),
            "{}",
            part.id
        );
    }
    // Everything the issuer paid reached the holders and, for pledged parts, first the bank.
    let after: Vec<Amount> = ["tier1", "tier2", "tier3", "bank"]
        .iter()
        .map(|m| chain.cash(m))
        .collect();
    let received: Amount = after.iter().zip(&before).map(|(a, b)| a - b).sum();
    assert_eq!(received, MILLION);
    assert_eq!(chain.cash("core"), MILLION);
    // Each pledge was paid what it was owed (advance and interest, at most the part) and ended:
    // its release is in the part's history with what the pledgee received.
    for part in pledged {
        let pledge = part.pledge.as_ref().expect("pledged before maturity");
        let owed = pledge.owed(chain.time_ms).min(part.amount);
        let now = part_of(&chain, part.id);
        assert_eq!(
            now.pledge, None,
            "the pledge of {} ended when paid",
            part.id
        );
        let history: Vec<catena_schema::voucher::HistoryEntry> =
            chain.query(voucher_method::HISTORY, part.id);
        let released = history.iter().find_map(|e| match &e.action {
            catena_schema::voucher::Action::Released { pledgee, repaid } => {
                Some((pledgee.clone(), *repaid))
            }
            _ => None,
        });
        assert_eq!(
            released,
            Some((pledge.pledgee.clone(), owed)),
            "{}",
            part.id
        );
    }
}

#[test]
fn a_shortfall_over_256_parts_is_shared_pro_rata_and_retried_until_paid() {
    let mut chain = Chain::genesis();
    let pool = MILLION / 3;
    let (parts, maturity) = a_voucher_in_256_parts(&mut chain, pool);
    settle_until_quiet_round(&mut chain, maturity, parts.len());
    // The shares, computed here: unpaid × pool / owed rounded down, the leftover fen one each in
    // part-id order.
    let owed: Amount = parts.iter().map(Voucher::unpaid).sum();
    let mut shares: Vec<Amount> = parts
        .iter()
        .map(|p| (u128::from(p.unpaid()) * u128::from(pool) / u128::from(owed)) as Amount)
        .collect();
    let mut leftover = pool - shares.iter().sum::<Amount>();
    for share in shares.iter_mut() {
        if leftover > 0 {
            *share += 1;
            leftover -= 1;
        }
    }
    for (part, share) in parts.iter().zip(&shares) {
        let now = part_of(&chain, part.id);
        assert_eq!(
            (now.status, now.paid),
            (Status::Overdue, *share),
            "part {}",
            part.id
        );
    }
    assert_eq!(chain.cash("core"), 0);
    let mint = chain.mint("core", MILLION);
    assert_all_succeeded(&chain.block(1_000, &[mint]));
    let time = chain.time_ms;
    settle_until_quiet(&mut chain, time + 1_000, "the retries once cash arrived");
    for part in &parts {
        assert_eq!(
            part_of(&chain, part.id).status,
            Status::Settled,
            "{}",
            part.id
        );
    }
    assert_eq!(
        chain.cash("core"),
        pool,
        "a million came, what was still owed went"
    );
}

/// Runs the blocks of the first settlement round (its shares fixed when it began).
fn settle_until_quiet_round(chain: &mut Chain, maturity: u64, parts: usize) {
    let most_fuel = |out: &ExecutedBlock| {
        out.scheduled
            .iter()
            .map(|r| r.receipt.fuel_used)
            .max()
            .unwrap_or(0)
    };
    let mut most = most_fuel(&chain.block(maturity - chain.time_ms, &[]));
    for _ in 1..parts.div_ceil(16) {
        most = most.max(most_fuel(&chain.block(1_000, &[])));
    }
    println!("256 parts, the issuer short: the first round's costliest run used {most} fuel");
}

/// Not a timing assertion: prints what a voucher transfer costs in the sandbox (this build).
#[test]
fn the_cost_of_a_voucher_transfer() {
    let mut chain = Chain::genesis();
    let count = 100u64;
    let mut txs = vec![
        chain.credit_line(10 * MILLION),
        chain.tx("tier1", records_method::RECORD, invoice()),
    ];
    for _ in 0..count {
        let args = terms(MILLION / count, T0 + 86_400_000);
        txs.push(chain.tx("core", voucher_method::ISSUE, args));
    }
    assert_all_succeeded(&chain.block(1_000, &txs));
    let transfers: Vec<Transaction> = (1..=count)
        .map(|id| {
            chain.tx(
                "tier1",
                voucher_method::TRANSFER,
                Transfer {
                    voucher: id as VoucherId,
                    to: uscc("tier2"),
                    amount: None,
                },
            )
        })
        .collect();
    let started = Instant::now();
    let out = chain.block(1_000, &transfers);
    let elapsed = started.elapsed();
    assert_all_succeeded(&out);
    let fuel: u64 = out.receipts.iter().map(|r| r.fuel_used).sum();
    println!(
        "voucher transfer in the runtime (this build, block of {count}): {:.1} µs and {} fuel each",
        elapsed.as_secs_f64() * 1e6 / count as f64,
        fuel / count
    );
    let page = Page {
        owner: uscc("tier2"),
        after: None,
        limit: MAX_PAGE,
    };
    let held: Listing = chain.query(voucher_method::HELD_BY, page);
    assert_eq!(held.ids.len() as u64, count);
    // The smallest call: instantiate the cached cash contract from its pre-linked template and
    // read one entry.
    let calls = 1_000;
    let started = Instant::now();
    for _ in 0..calls {
        let _: Amount = chain.query(cash_method::SUPPLY, ());
    }
    println!(
        "a call to a cached module (instantiation + one storage read): {:.1} µs",
        started.elapsed().as_secs_f64() * 1e6 / calls as f64
    );
    let engine = catena_runtime::wasm::ContractEngine::new().expect("an engine");
    let code = artifact(names::VOUCHER);
    let started = Instant::now();
    engine.validate(&code).expect("compiles");
    let compile = started.elapsed();
    let started = Instant::now();
    engine.validate(&code).expect("cached");
    println!(
        "voucher contract ({} bytes): compiled in {:.1} ms; validated again (hash + cache lookup) in {:.1} µs",
        code.len(),
        compile.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e6
    );
}

/// A file of this checkout, found from the package directory cargo gives the test when it runs
/// it (not the one compiled in, which names wherever the binary was built).
fn source_path(relative: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    format!("{dir}/{relative}")
}

/// The voucher contract's index entries (ADR 0049: outside the state tree) are exactly what its
/// `reindex` derives from the voucher records, page after page, as a node that restored a
/// snapshot rebuilds them: with 256 parts held by four members, some pledged, and once they
/// are all settled.
#[test]
fn the_index_a_snapshot_leaves_out_is_derived_again_from_the_records() {
    let mut chain = Chain::genesis();
    let (parts, maturity) = a_voucher_in_256_parts(&mut chain, 2 * MILLION);
    type Entries = Vec<(Vec<u8>, Vec<u8>)>;
    let kept = |chain: &Chain| -> Entries {
        chain
            .state
            .0
            .iter()
            .filter(|(key, _)| catena_primitives::tx::is_index_entry(key))
            .map(|(key, value)| (key.clone(), value.clone().expect("present")))
            .collect()
    };
    let derived = |chain: &Chain| -> (Entries, usize) {
        let context = context(chain.height, chain.time_ms);
        let mut all = Vec::new();
        let mut pages = 0;
        let count = catena_runtime::indexes::rebuild_indexes(&chain.state, &context, |page| {
            pages += 1;
            all.extend(page);
            Ok(())
        })
        .expect("reindexed");
        assert_eq!(count, all.len() as u64);
        all.sort();
        (all, pages)
    };
    assert_eq!(
        catena_runtime::indexes::indexed_contracts(&chain.state).expect("contracts"),
        vec![catena_primitives::system_contract_id(names::VOUCHER)],
        "only the voucher contract keeps an index"
    );
    let (all, pages) = derived(&chain);
    assert_eq!(all, kept(&chain));
    assert!(pages >= 2, "{pages} pages for {} parts", parts.len());
    // Each live part under its holder, the pledged ones under their pledgee too, those sold with
    // recourse under their seller.
    let pledged = parts.iter().filter(|p| p.pledge.is_some()).count();
    let recourse = parts
        .iter()
        .filter(|p| {
            p.factoring
                .as_ref()
                .is_some_and(|f| f.recourse_to.is_some())
        })
        .count();
    assert!(pledged > 0);
    assert_eq!(all.len(), parts.len() + pledged + recourse);
    settle_until_quiet(&mut chain, maturity, "256 parts, for the index");
    assert_eq!(derived(&chain).0, kept(&chain));
    assert!(kept(&chain).is_empty(), "nothing is live after settlement");
}
