//! The bench's network and what a run needs on it: the testnet (started or given), the sending accounts, and the vouchers or cash they transfer, issued and split up front.

use super::*;

/// The key of bench sending account `i`: derived from its index, so that a later run against
/// the same network finds the same accounts.
pub(crate) fn sender_key(i: u32) -> SecretKey {
    SecretKey::from_seed(Hash::digest(format!("catena-bench-sender/{i}").as_bytes()).0)
}

pub(crate) struct Net {
    pub(crate) clients: Vec<ApiClient>,
    pub(crate) urls: Vec<String>,
    pub(crate) chain_id: String,
    pub(crate) children: Vec<std::process::Child>,
}

impl Net {
    pub(crate) fn first(&self) -> &ApiClient {
        &self.clients[0]
    }

    pub(crate) fn signer(&self, key: SecretKey) -> anyhow::Result<Signer> {
        let account = self.first().account(&key.account())?;
        if account.member.is_none() {
            bail!(
                "account {} is not a member of this chain: is it a network `catena-bench` started?",
                key.account()
            );
        }
        Ok(Signer::new(&self.chain_id, key, account.next_nonce))
    }

    pub(crate) fn uscc(&self, key: &SecretKey) -> anyhow::Result<String> {
        Ok(self
            .first()
            .account(&key.account())?
            .member
            .with_context(|| format!("account {} is not a member's", key.account()))?
            .uscc)
    }
}

/// POSTs a batch; the response, or the error for the whole batch.
pub(crate) fn post_batch<'a>(
    client: &ApiClient,
    txs: impl IntoIterator<Item = &'a Transaction>,
) -> anyhow::Result<BatchSubmitResponse> {
    let body = catena_client::batch_submission(txs);
    Ok(serde_json::from_value(
        client.post("/transactions/batch", &body)?,
    )?)
}

/// Submits setup transactions and waits for all of them; their receipts' outputs, in order.
/// Any refusal or failed call stops the run: the measurement would be meaningless.
pub(crate) fn run_setup(
    net: &Net,
    what: &str,
    txs: Vec<Transaction>,
) -> anyhow::Result<Vec<Vec<u8>>> {
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
pub(crate) fn connect(args: &BenchArgs, dir: &Path) -> anyhow::Result<Net> {
    let (urls, children) = if args.api.is_empty() {
        let accounts: Vec<_> = (0..args.accounts)
            .map(|i| sender_key(i).account())
            .collect();
        let testnet = LocalNetwork {
            validators: 4,
            followers: 0,
            dir: dir.to_path_buf(),
            api_port: args.api_port,
            p2p_port: args.p2p_port,
            block_time_ms: Some(args.block_time_ms),
            hosts: Vec::new(),
            chains: 1,
            chain_ids: Vec::new(),
            chain_validators: Vec::new(),
            parachains: None,
            invoice_key: None,
        };
        let max_block_txs = args.max_block_txs;
        let started = testnet.start(&catena_binary(args), &|built| {
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
        let urls = started.iter().map(|n| n.api.clone()).collect();
        (urls, started.into_iter().map(|n| n.child).collect())
    } else {
        (args.api.clone(), Vec::new())
    };
    let clients: Vec<ApiClient> = urls.iter().map(|u| ApiClient::new(u)).collect();
    let status = match wait_first_block(&clients[0], dir) {
        Ok(status) => status,
        Err(e) => {
            stop_children(children);
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
pub(crate) fn identity(dir: &Path, name: &str) -> anyhow::Result<SecretKey> {
    keys::read_key(&dir.join("keys").join(format!("{name}.json")))
        .with_context(|| format!("no key for {name} in {}", dir.display()))
}

/// What a run transfers: each sending account's transfers, in nonce order.
pub(crate) struct Prepared {
    pub(crate) per_sender: Vec<Vec<Transaction>>,
    /// Voucher parts the setup made (the voucher workload), all in the state as it begins.
    pub(crate) parts: usize,
}

/// Creates the transfers to measure, after the setup they need; each sender's in nonce order.
pub(crate) fn prepare(args: &BenchArgs, net: &Net, dir: &Path) -> anyhow::Result<Prepared> {
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
    let mut made = 0;
    let failing = |i: usize| args.failing_every > 0 && (i + 1) % args.failing_every == 0;
    match args.workload {
        Workload::Cash => {
            let mint = Mint {
                to: tier1_uscc.clone(),
                amount: n as u64 * PART_AMOUNT,
            };
            run_setup(
                net,
                "cash minted for the sender",
                vec![bank.sign(call(cash_method::MINT, mint))],
            )?;
            for i in 0..n {
                let s = i % senders.len();
                let transfer = CashTransfer {
                    to: tier2_uscc.clone(),
                    // More than was minted, when this one is to fail.
                    amount: if failing(i) {
                        n as u64 * PART_AMOUNT + 1
                    } else {
                        1
                    },
                    custodian: None,
                };
                let tx = senders[s].sign(call(cash_method::TRANSFER, transfer));
                per_sender[s].push(tx);
            }
        }
        Workload::Voucher => {
            let originals = n
                .max(args.parts as usize)
                .div_ceil(PARTS_PER_VOUCHER as usize);
            let amount = u64::from(PARTS_PER_VOUCHER) * PART_AMOUNT;
            let line = SetCreditLine {
                issuer: core_uscc.clone(),
                limit: 1 << 50,
            };
            run_setup(
                net,
                "credit line",
                vec![bank.sign(call(voucher_method::SET_CREDIT_LINE, line))],
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
                records.push(senders[s].sign(call(records_method::RECORD, record)));
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
                        core.sign(call(voucher_method::ISSUE, terms))
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
                    senders[s].sign(call(voucher_method::SPLIT, split))
                })
                .collect();
            let mut parts = Vec::with_capacity(n);
            for output in run_setup(net, "vouchers split", splits)? {
                parts.extend(Vec::<u64>::decode(&mut &output[..])?);
            }
            made = parts.len();
            for (i, part) in parts.into_iter().take(n).enumerate() {
                let s = i % senders.len();
                let transfer = Transfer {
                    voucher: part,
                    to: tier2_uscc.clone(),
                    // More than the part holds, when this one is to fail.
                    amount: failing(i).then_some(PART_AMOUNT + 1),
                };
                let tx = senders[s].sign(call(voucher_method::TRANSFER, transfer));
                per_sender[s].push(tx);
            }
        }
    }
    Ok(Prepared {
        per_sender,
        parts: made,
    })
}
