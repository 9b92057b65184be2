//! `catena bench`: finalized voucher (or cash) transfers per second and their latency on a
//! local 4-validator testnet, read against this machine's signature-checking bound.
//!
//! The run: start the testnet (its spec gives the sending member many accounts), issue and
//! split vouchers up front, pre-sign every transfer, submit them in batches (as fast as they
//! are accepted, or at `--rate`), and watch the blocks of the first validator for their
//! commits. Latency is from the moment a transaction's batch was sent to the moment the
//! watcher saw it in a committed block.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use catena_api::{BatchSubmitResponse, BlockView};
use catena_node::{keys, now_ms};
use catena_primitives::{Call, Hash, SecretKey, Transaction};
use catena_schema::cash::method as cash_method;
use catena_schema::cash::{Mint, Transfer as CashTransfer};
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, NewRecord};
use catena_schema::voucher::method as voucher_method;
use catena_schema::voucher::{SetCreditLine, Split, Terms, Transfer};
use clap::{Args, ValueEnum};
use parity_scale_codec::{Decode, Encode};
use serde_json::json;

use crate::client::ApiClient;
use crate::{Output, TestnetArgs};

/// The member whose accounts send, and the one that receives.
const SENDER: &str = "tier1-steel";
const RECEIVER: &str = "tier2-parts";
const CORE: &str = "huaxia-motors";
const BANK: &str = "merchant-bank";
/// Parts one split makes (the bench chain's `voucher_max_parts`).
const PARTS_PER_VOUCHER: u32 = 100;
/// Each part: 1.00.
const PART_AMOUNT: u64 = 100;
/// Transactions per `POST /transactions/batch`.
const BATCH: usize = 500;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Workload {
    /// Transfers of whole voucher parts (one call of the voucher contract).
    Voucher,
    /// Transfers of settlement cash (one call of the cash contract).
    Cash,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Transfers to pre-sign and submit.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Offered load in transactions per second; 0 submits as fast as they are accepted.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    #[arg(long, value_enum, default_value = "voucher")]
    workload: Workload,
    /// Accounts of the sending member that sign the transfers (each in nonce order).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1000))]
    accounts: u32,
    /// Use a running network instead of starting one: the API of each validator. It must be a
    /// network an earlier `catena bench --keep --dir DIR` started; pass the same `--dir`.
    #[arg(long, num_args = 1.., requires = "dir")]
    api: Vec<String>,
    /// Directory of the testnet (default: a new one under ~/.catena/bench).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Block time of a new testnet, in milliseconds (a height starts one block time after the
    /// last, or at once if deciding it took longer; the propose timeout is three block times,
    /// and a proposer executes transactions for at most half a block time).
    #[arg(long, default_value_t = 250)]
    block_time_ms: u64,
    /// Transactions per block of a new testnet, at most (the proposer's time budget usually
    /// bounds a block first).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_block_txs: u32,
    /// API port of the first validator of a new testnet; the others follow.
    #[arg(long, default_value_t = 18545)]
    api_port: u16,
    /// p2p port of the first validator of a new testnet; the others follow.
    #[arg(long, default_value_t = 31333)]
    p2p_port: u16,
    /// Leave the testnet running at the end (and say how to bench it again).
    #[arg(long)]
    keep: bool,
    /// How long to wait for the last commits once everything is submitted, in seconds.
    #[arg(long, default_value_t = 120)]
    drain_timeout_s: u64,
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
}

/// The key of bench sending account `i`: derived from its index, so that a later run against
/// the same network finds the same accounts.
fn sender_key(i: u32) -> SecretKey {
    SecretKey::from_seed(Hash::digest(format!("catena-bench-sender/{i}").as_bytes()).0)
}

use catena_runtime::system_call as call;

/// Signs transactions for one account, counting its nonces locally.
struct Signer {
    key: SecretKey,
    nonce: u64,
}

impl Signer {
    fn sign(&mut self, chain_id: &str, call: Call) -> Transaction {
        let tx = Transaction::signed(chain_id, self.nonce, call, &self.key);
        self.nonce += 1;
        tx
    }
}

struct Net {
    clients: Vec<ApiClient>,
    urls: Vec<String>,
    chain_id: String,
    children: Vec<std::process::Child>,
}

impl Net {
    fn first(&self) -> &ApiClient {
        &self.clients[0]
    }

    fn signer(&self, key: SecretKey) -> anyhow::Result<Signer> {
        let account = self.first().account(&key.account())?;
        if account.member.is_none() {
            bail!(
                "account {} is not a member of this chain: is it a network `catena bench` started?",
                key.account()
            );
        }
        Ok(Signer {
            key,
            nonce: account.next_nonce,
        })
    }

    fn uscc(&self, key: &SecretKey) -> anyhow::Result<String> {
        Ok(self
            .first()
            .account(&key.account())?
            .member
            .with_context(|| format!("account {} is not a member's", key.account()))?
            .uscc)
    }
}

/// POSTs a batch; the response, or the error for the whole batch.
fn post_batch(client: &ApiClient, txs: &[Transaction]) -> anyhow::Result<BatchSubmitResponse> {
    let body = json!({
        "transactions": txs.iter().map(|tx| format!("0x{}", hex::encode(tx.encode()))).collect::<Vec<_>>()
    });
    Ok(serde_json::from_value(
        client.post("/transactions/batch", &body)?,
    )?)
}

/// Submits setup transactions and waits for all of them; their receipts' outputs, in order.
/// Any refusal or failed call stops the run: the measurement would be meaningless.
fn run_setup(net: &Net, what: &str, txs: Vec<Transaction>) -> anyhow::Result<Vec<Vec<u8>>> {
    let started = Instant::now();
    let hashes: Vec<Hash> = txs.iter().map(Transaction::hash).collect();
    for chunk in txs.chunks(BATCH) {
        let response = post_batch(net.first(), chunk)?;
        if let Some(refused) = response.results.iter().find(|r| r.hash.is_none()) {
            bail!(
                "{what}: a transaction was refused: {}",
                refused
                    .error
                    .as_ref()
                    .map_or("no reason given", |e| e.message.as_str())
            );
        }
    }
    let mut outputs = Vec::with_capacity(hashes.len());
    for hash in &hashes {
        let view = net
            .first()
            .wait_committed(*hash, Duration::from_secs(120))?;
        let receipt = view
            .receipt
            .context("a committed transaction has no receipt")?;
        if !receipt.success {
            bail!(
                "{what}: a transaction failed: {}",
                receipt.error.unwrap_or_default()
            );
        }
        outputs.push(hex::decode(receipt.output.trim_start_matches("0x"))?);
    }
    eprintln!(
        "setup: {what}: {} transactions in {:.1} s",
        hashes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(outputs)
}

/// Starts a testnet for the bench, or connects to the given one.
fn connect(args: &BenchArgs, dir: &Path) -> anyhow::Result<Net> {
    let (urls, children) = if args.api.is_empty() {
        let accounts: Vec<_> = (0..args.accounts)
            .map(|i| sender_key(i).account())
            .collect();
        let testnet = TestnetArgs {
            validators: 4,
            dir: dir.to_path_buf(),
            api_port: args.api_port,
            p2p_port: args.p2p_port,
            block_time_ms: Some(args.block_time_ms),
        };
        let max_block_txs = args.max_block_txs;
        let children = crate::start_testnet_with(&testnet, false, &|built| {
            built.spec.parameters.voucher_max_parts = PARTS_PER_VOUCHER;
            built.spec.parameters.max_block_txs = max_block_txs;
            if let Some(member) = built
                .spec
                .members
                .iter_mut()
                .find(|m| m.name.starts_with("Tier-1"))
            {
                member.accounts.extend(accounts.iter().copied());
            }
        })?;
        let urls = (0..4)
            .map(|i| format!("http://127.0.0.1:{}", args.api_port + i))
            .collect();
        (urls, children)
    } else {
        (args.api.clone(), Vec::new())
    };
    let clients: Vec<ApiClient> = urls.iter().map(|u| ApiClient::new(u)).collect();
    let status = match crate::wait_first_block(&clients[0], dir) {
        Ok(status) => status,
        Err(e) => {
            crate::stop_children(children);
            return Err(e);
        }
    };
    Ok(Net {
        clients,
        urls,
        chain_id: status.chain_id,
        children,
    })
}

/// Reads a demo identity's key from the bench directory.
fn identity(dir: &Path, name: &str) -> anyhow::Result<SecretKey> {
    keys::read_key(&crate::demo_key_file(Some(dir), name))
        .with_context(|| format!("no key for {name} in {}", dir.display()))
}

/// Creates the transfers to measure, after the setup they need; each sender's in nonce order.
fn prepare(args: &BenchArgs, net: &Net, dir: &Path) -> anyhow::Result<Vec<Vec<Transaction>>> {
    let chain = net.chain_id.clone();
    let core = identity(dir, CORE)?;
    let bank = identity(dir, BANK)?;
    let tier1 = identity(dir, SENDER)?;
    let tier2 = identity(dir, RECEIVER)?;
    let (core_uscc, tier1_uscc, tier2_uscc) =
        (net.uscc(&core)?, net.uscc(&tier1)?, net.uscc(&tier2)?);
    let mut senders: Vec<Signer> = (0..args.accounts)
        .map(|i| net.signer(sender_key(i)))
        .collect::<anyhow::Result<_>>()?;
    let n = args.txs;
    let mut bank = net.signer(bank)?;
    let mut per_sender: Vec<Vec<Transaction>> = vec![Vec::new(); senders.len()];
    match args.workload {
        Workload::Cash => {
            let mint = Mint {
                to: tier1_uscc.clone(),
                amount: n as u64 * PART_AMOUNT,
            };
            run_setup(
                net,
                "cash minted for the sender",
                vec![bank.sign(&chain, call(cash_method::MINT, mint))],
            )?;
            for i in 0..n {
                let s = i % senders.len();
                let transfer = CashTransfer {
                    to: tier2_uscc.clone(),
                    amount: 1,
                    custodian: None,
                };
                let tx = senders[s].sign(&chain, call(cash_method::TRANSFER, transfer));
                per_sender[s].push(tx);
            }
        }
        Workload::Voucher => {
            let originals = n.div_ceil(PARTS_PER_VOUCHER as usize);
            let amount = u64::from(PARTS_PER_VOUCHER) * PART_AMOUNT;
            let line = SetCreditLine {
                issuer: core_uscc.clone(),
                limit: 1 << 50,
            };
            run_setup(
                net,
                "credit line",
                vec![bank.sign(&chain, call(voucher_method::SET_CREDIT_LINE, line))],
            )?;
            let run = now_ms();
            let mut invoices = Vec::with_capacity(originals);
            let mut records = Vec::with_capacity(originals);
            for o in 0..originals {
                let doc_hash = Hash::digest(format!("catena bench {run} invoice {o}").as_bytes()).0;
                let record = NewRecord {
                    kind: Kind::Invoice,
                    doc_hash,
                    parties: vec![tier1_uscc.clone(), core_uscc.clone()],
                    amount,
                    currency: "CNY".into(),
                    date_ms: run,
                    links: vec![],
                    invoice: Some(Invoice {
                        code: "3100231130".into(),
                        number: format!("{:08}", (run / 1000 * 7919 + o as u64) % 100_000_000),
                        seller: tier1_uscc.clone(),
                        buyer: core_uscc.clone(),
                    }),
                };
                let s = o % senders.len();
                records.push(senders[s].sign(&chain, call(records_method::RECORD, record)));
                invoices.push(doc_hash);
            }
            run_setup(net, "invoices recorded", records)?;
            let mut core = net.signer(core)?;
            let maturity = now_ms() + 24 * 3600 * 1000;
            let mut originals_ids = Vec::with_capacity(originals);
            // The issuer's one account: at most a thousand pending at a time.
            for chunk in invoices.chunks(900) {
                let issues: Vec<Transaction> = chunk
                    .iter()
                    .map(|invoice| {
                        let terms = Terms {
                            counterparty: tier1_uscc.clone(),
                            amount,
                            currency: "CNY".into(),
                            maturity_ms: maturity,
                            invoices: vec![*invoice],
                            records: vec![],
                            line: None,
                        };
                        core.sign(&chain, call(voucher_method::ISSUE, terms))
                    })
                    .collect();
                for output in run_setup(net, "vouchers issued", issues)? {
                    originals_ids.push(u64::decode(&mut &output[..])?);
                }
            }
            let splits: Vec<Transaction> = originals_ids
                .iter()
                .enumerate()
                .map(|(o, id)| {
                    let split = Split {
                        voucher: *id,
                        amounts: vec![PART_AMOUNT; PARTS_PER_VOUCHER as usize],
                    };
                    let s = o % senders.len();
                    senders[s].sign(&chain, call(voucher_method::SPLIT, split))
                })
                .collect();
            let mut parts = Vec::with_capacity(n);
            for output in run_setup(net, "vouchers split", splits)? {
                parts.extend(Vec::<u64>::decode(&mut &output[..])?);
            }
            for (i, part) in parts.into_iter().take(n).enumerate() {
                let s = i % senders.len();
                let transfer = Transfer {
                    voucher: part,
                    to: tier2_uscc.clone(),
                    amount: None,
                };
                let tx = senders[s].sign(&chain, call(voucher_method::TRANSFER, transfer));
                per_sender[s].push(tx);
            }
        }
    }
    Ok(per_sender)
}

/// What the submitters and the watcher share.
#[derive(Default)]
struct Shared {
    /// Submission time of each admitted transaction.
    submitted: Mutex<HashMap<Hash, Instant>>,
    /// Commit time seen for each.
    committed: Mutex<HashMap<Hash, Instant>>,
    refused: AtomicU64,
    accepted: AtomicU64,
    refusals: Mutex<HashMap<String, u64>>,
    stop: AtomicBool,
}

/// One submitter: sends its transactions in batches to its validator, paced at `rate` per
/// second (0: back to back).
fn submit_all(client: ApiClient, txs: Vec<Transaction>, rate: f64, shared: Arc<Shared>) {
    // Small batches at a set rate keep the offered load smooth.
    let batch = if rate > 0.0 {
        ((rate / 50.0).ceil() as usize).clamp(1, BATCH)
    } else {
        BATCH
    };
    let started = Instant::now();
    let mut sent = 0usize;
    for chunk in txs.chunks(batch) {
        if rate > 0.0 {
            let due = started + Duration::from_secs_f64(sent as f64 / rate);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        sent += chunk.len();
        let at = Instant::now();
        match post_batch(&client, chunk) {
            Ok(response) => {
                let mut submitted = shared.submitted.lock().expect("lock");
                for outcome in &response.results {
                    match outcome.hash {
                        Some(hash) => {
                            submitted.insert(hash, at);
                            shared.accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {
                            shared.refused.fetch_add(1, Ordering::Relaxed);
                            let code = outcome
                                .error
                                .as_ref()
                                .map_or("unknown".to_string(), |e| e.code.clone());
                            *shared
                                .refusals
                                .lock()
                                .expect("lock")
                                .entry(code)
                                .or_default() += 1;
                        }
                    }
                }
            }
            Err(e) => {
                shared
                    .refused
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                let code = if e.to_string().contains("mempool_full") {
                    "mempool_full".to_string()
                } else {
                    format!("batch refused: {e}")
                };
                *shared
                    .refusals
                    .lock()
                    .expect("lock")
                    .entry(code)
                    .or_default() += chunk.len() as u64;
            }
        }
    }
}

/// A committed block as the watcher saw it.
struct SeenBlock {
    time_ms: u64,
    txs: usize,
}

/// Follows the first validator's blocks, noting when each transaction was seen committed.
fn watch(client: ApiClient, from_height: u64, shared: Arc<Shared>) -> Vec<SeenBlock> {
    let mut next = from_height + 1;
    let mut blocks = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let tip = client.status().map(|s| s.height).unwrap_or(0);
        if tip < next {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        while next <= tip {
            let Ok(value) = client.get(&format!("/blocks/{next}")) else {
                break;
            };
            let Ok(block) = serde_json::from_value::<BlockView>(value) else {
                break;
            };
            let now = Instant::now();
            let mut committed = shared.committed.lock().expect("lock");
            for hash in &block.transactions {
                committed.entry(*hash).or_insert(now);
            }
            blocks.push(SeenBlock {
                time_ms: block.time_ms,
                txs: block.transactions.len(),
            });
            next += 1;
        }
    }
    blocks
}

/// CPU time (user + system, in clock ticks) and peak resident memory (MB) of a process, from
/// /proc.
fn process_usage(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some((ticks, status_mb(pid, "VmHWM:")?))
}

/// A memory figure of /proc/<pid>/status (given in kB there), in MB.
fn status_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Resident memory (MB) of a process now, from /proc.
fn resident_mb(pid: u32) -> Option<f64> {
    status_mb(pid, "VmRSS:")
}

/// How often the bench samples each validator's memory and height while it runs.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Clock ticks per second, for /proc's CPU times.
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The cost of one signature check inside a batch of 1,024, on this core, with the node's own
/// library: the best of five batches (µs per signature); and of one check alone.
fn signature_costs(chain_id: &str) -> (f64, f64) {
    let keys: Vec<SecretKey> = (0..32u32).map(sender_key).collect();
    let txs: Vec<Transaction> = (0..1024u64)
        .map(|i| {
            let key = &keys[i as usize % keys.len()];
            let transfer = Transfer {
                voucher: i,
                to: "91320500MA1MX0002X".into(),
                amount: None,
            };
            Transaction::signed(chain_id, i, call(voucher_method::TRANSFER, transfer), key)
        })
        .collect();
    let messages: Vec<Vec<u8>> = txs.iter().map(Transaction::signing_bytes).collect();
    let items: Vec<catena_primitives::crypto::SignedItem<'_>> = txs
        .iter()
        .zip(&messages)
        .map(|(tx, m)| (&tx.signer, m.as_slice(), &tx.signature))
        .collect();
    let mut best_batch = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        assert!(catena_primitives::verify_batch(&items));
        best_batch = best_batch.min(started.elapsed().as_secs_f64() * 1e6 / items.len() as f64);
    }
    let started = Instant::now();
    for (key, message, signature) in &items[..256] {
        assert!(key.verify(message, signature));
    }
    let single = started.elapsed().as_secs_f64() * 1e6 / 256.0;
    (best_batch, single)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.txs == 0 {
        bail!("--txs must be at least 1");
    }
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => crate::fresh_run_dir("bench"),
    };
    if args.api.is_empty() {
        crate::empty_run_dir(
            &dir,
            "the bench starts a fresh testnet; give another --dir (or --api to use a running one)",
        )?;
    }
    let net = connect(&args, &dir)?;
    let outcome = measure(&args, &net, &dir);
    let Net { children, urls, .. } = net;
    if args.keep && !children.is_empty() {
        eprintln!(
            "The testnet keeps running (pids {:?}); bench it again with:\n  catena bench --dir {} --api {}",
            children.iter().map(std::process::Child::id).collect::<Vec<_>>(),
            dir.display(),
            urls.join(" ")
        );
        std::mem::forget(children);
    } else {
        crate::stop_children(children);
    }
    let report = outcome?;
    match args.output {
        Output::Json => println!("{}", serde_json::to_string(&report)?),
        Output::Table => print_summary(&report),
    }
    Ok(())
}

fn measure(args: &BenchArgs, net: &Net, dir: &Path) -> anyhow::Result<serde_json::Value> {
    let per_sender = prepare(args, net, dir)?;
    let total: usize = per_sender.iter().map(Vec::len).sum();
    let (batch_verify_us, single_verify_us) = signature_costs(&net.chain_id);
    // Each validator's API gets the transactions of its share of the senders.
    let validators = net.clients.len();
    let mut per_node: Vec<Vec<Vec<Transaction>>> = vec![Vec::new(); validators];
    for (s, txs) in per_sender.into_iter().enumerate() {
        per_node[s % validators].push(txs);
    }
    let per_node: Vec<Vec<Transaction>> = per_node.into_iter().map(round_robin).collect();
    let shared = Arc::new(Shared::default());
    let start_height = net.first().status()?.height;
    let usage_before: Vec<Option<(f64, f64)>> =
        net.children.iter().map(|c| process_usage(c.id())).collect();
    let watcher = {
        let shared = Arc::clone(&shared);
        let client = ApiClient::new(&net.urls[0]);
        std::thread::spawn(move || watch(client, start_height, shared))
    };
    let progress = indicatif::ProgressBar::new(total as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} committed {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let rate_per_node = args.rate as f64 / validators as f64;
    let submitters: Vec<_> = per_node
        .into_iter()
        .enumerate()
        .map(|(i, txs)| {
            let client = ApiClient::new(&net.urls[i]);
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || submit_all(client, txs, rate_per_node, shared))
        })
        .collect();
    let mut last_progress = Instant::now();
    let mut last_committed = 0usize;
    // Every SAMPLE_EVERY: each validator's resident memory, and how far apart their heights are.
    let mut rss_samples: Vec<Vec<f64>> = vec![Vec::new(); validators];
    let mut max_height_gap = 0u64;
    let mut last_sample: Option<Instant> = None;
    loop {
        if last_sample.is_none_or(|at| at.elapsed() >= SAMPLE_EVERY) {
            last_sample = Some(Instant::now());
            for (samples, child) in rss_samples.iter_mut().zip(&net.children) {
                if let Some(mb) = resident_mb(child.id()) {
                    samples.push(round(mb, 1));
                }
            }
            let heights: Vec<u64> = net
                .clients
                .iter()
                .filter_map(|c| c.status().ok().map(|s| s.height))
                .collect();
            if let (Some(low), Some(high)) = (heights.iter().min(), heights.iter().max()) {
                max_height_gap = max_height_gap.max(high - low);
            }
        }
        let committed = shared.committed.lock().expect("lock").len();
        let accepted = shared.accepted.load(Ordering::Relaxed) as usize;
        let refused = shared.refused.load(Ordering::Relaxed);
        progress.set_position(committed.min(total) as u64);
        progress.set_message(format!("({accepted} admitted, {refused} refused)"));
        let all_sent = submitters.iter().all(std::thread::JoinHandle::is_finished);
        if all_sent {
            let submitted = shared.submitted.lock().expect("lock");
            let done = {
                let committed = shared.committed.lock().expect("lock");
                submitted.keys().all(|h| committed.contains_key(h))
            };
            if done {
                break;
            }
        }
        if committed != last_committed {
            last_committed = committed;
            last_progress = Instant::now();
        } else if all_sent && last_progress.elapsed() > Duration::from_secs(args.drain_timeout_s) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    progress.finish_and_clear();
    for s in submitters {
        let _ = s.join();
    }
    shared.stop.store(true, Ordering::Relaxed);
    let blocks = watcher.join().unwrap_or_default();
    let usage_after: Vec<Option<(f64, f64)>> =
        net.children.iter().map(|c| process_usage(c.id())).collect();

    let submitted = shared.submitted.lock().expect("lock");
    let committed = shared.committed.lock().expect("lock");
    let first_submit = submitted.values().min().copied().unwrap_or(started);
    let mut last_commit = first_submit;
    let mut latencies: Vec<f64> = Vec::with_capacity(submitted.len());
    for (hash, at) in submitted.iter() {
        if let Some(seen) = committed.get(hash) {
            latencies.push(seen.saturating_duration_since(*at).as_secs_f64() * 1000.0);
            last_commit = last_commit.max(*seen);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let finalized = latencies.len();
    let wall = last_commit.duration_since(first_submit).as_secs_f64();
    let finalized_tps = if wall > 0.0 {
        finalized as f64 / wall
    } else {
        0.0
    };
    // Blocks from the first that carried a measured transaction to the last.
    let busy: Vec<&SeenBlock> = {
        let first = blocks.iter().position(|b| b.txs > 0).unwrap_or(0);
        let last = blocks.iter().rposition(|b| b.txs > 0).unwrap_or(0);
        blocks
            .get(first..=last)
            .map(|b| b.iter().collect())
            .unwrap_or_default()
    };
    let intervals: Vec<f64> = busy
        .windows(2)
        .map(|w| w[1].time_ms.saturating_sub(w[0].time_ms) as f64)
        .collect();
    let block_interval_ms = if intervals.is_empty() {
        0.0
    } else {
        intervals.iter().sum::<f64>() / intervals.len() as f64
    };
    let txs_per_block = if busy.is_empty() {
        0.0
    } else {
        busy.iter().map(|b| b.txs as f64).sum::<f64>() / busy.len() as f64
    };
    let ticks = clock_ticks();
    let nodes: Vec<serde_json::Value> = usage_before
        .iter()
        .zip(&usage_after)
        .enumerate()
        .map(|(i, (before, after))| match (before, after) {
            (Some((cpu0, _)), Some((cpu1, rss))) => json!({
                "node": i + 1,
                "cpu_seconds": round((cpu1 - cpu0) / ticks, 2),
                "peak_rss_mb": round(*rss, 1),
                "rss_mb_samples": rss_samples[i],
            }),
            _ => json!({ "node": i + 1, "cpu_seconds": null, "peak_rss_mb": null, "rss_mb_samples": [] }),
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let cpu_bound_tps = cores as f64 * 1e6 / (validators as f64 * batch_verify_us);
    let refusals = shared.refusals.lock().expect("lock").clone();
    Ok(json!({
        "workload": match args.workload { Workload::Voucher => "voucher", Workload::Cash => "cash" },
        "validators": validators,
        "offered_rate": args.rate,
        "submitted": total,
        "admitted": submitted.len(),
        "refused": shared.refused.load(Ordering::Relaxed),
        "refusals": refusals,
        "finalized": finalized,
        "not_finalized": submitted.len() - finalized,
        "duration_s": round(wall, 2),
        "finalized_tps": round(finalized_tps, 1),
        "latency_p50_ms": round(percentile(&latencies, 50.0), 1),
        "latency_p95_ms": round(percentile(&latencies, 95.0), 1),
        "latency_p99_ms": round(percentile(&latencies, 99.0), 1),
        "blocks": busy.len(),
        "block_interval_ms": round(block_interval_ms, 1),
        "txs_per_block": round(txs_per_block, 1),
        "nodes": nodes,
        "max_height_gap": max_height_gap,
        "cores": cores,
        "batch_verify_us": round(batch_verify_us, 2),
        "single_verify_us": round(single_verify_us, 2),
        "cpu_bound_tps": round(cpu_bound_tps, 0),
    }))
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

/// One list from many: the first of each, then the second of each, and so on, so that every
/// batch carries many accounts' consecutive nonces.
fn round_robin(lists: Vec<Vec<Transaction>>) -> Vec<Transaction> {
    let total = lists.iter().map(Vec::len).sum();
    let mut iters: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for it in &mut iters {
            if let Some(tx) = it.next() {
                out.push(tx);
            }
        }
    }
    out
}

fn print_summary(r: &serde_json::Value) {
    println!(
        "catena bench: {} transfers on {} validators, offered {}",
        r["workload"],
        r["validators"],
        match r["offered_rate"].as_u64() {
            Some(0) | None => "as fast as accepted".to_string(),
            Some(rate) => format!("{rate}/s"),
        }
    );
    println!(
        "  finalized      {} of {} submitted ({} refused) in {} s",
        r["finalized"], r["submitted"], r["refused"], r["duration_s"]
    );
    println!("  finalized_tps  {}", r["finalized_tps"]);
    println!(
        "  latency        p50 {} ms, p95 {} ms, p99 {} ms (submission to commit)",
        r["latency_p50_ms"], r["latency_p95_ms"], r["latency_p99_ms"]
    );
    println!(
        "  blocks         {} blocks, {} ms apart, {} transactions each",
        r["blocks"], r["block_interval_ms"], r["txs_per_block"]
    );
    if let Some(nodes) = r["nodes"].as_array() {
        for n in nodes {
            let samples = n["rss_mb_samples"].as_array();
            let first = samples.and_then(|s| s.first()).cloned().unwrap_or_default();
            let last = samples.and_then(|s| s.last()).cloned().unwrap_or_default();
            println!(
                "  node {}         {} CPU s, peak RSS {} MB (RSS {} MB at the start, {} MB at the end)",
                n["node"], n["cpu_seconds"], n["peak_rss_mb"], first, last
            );
        }
    }
    println!(
        "  heights        validators at most {} blocks apart",
        r["max_height_gap"]
    );
    println!(
        "  signatures     {} µs each in a batch of 1,024 ({} µs alone); bound {} tx/s = {} cores x 1e6 / ({} validators x {} µs)",
        r["batch_verify_us"],
        r["single_verify_us"],
        r["cpu_bound_tps"],
        r["cores"],
        r["validators"],
        r["batch_verify_us"]
    );
    if let Some(refusals) = r["refusals"].as_object() {
        for (code, count) in refusals {
            println!("  refused        {count} x {code}");
        }
    }
}
