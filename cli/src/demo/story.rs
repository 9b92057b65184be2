//! The demo's narrator: who acts, each step sent and checked against what the story says, the cash and statuses it expects, and the chain it starts.

use super::*;

pub(crate) fn yuan(text: &str) -> Amount {
    parse_amount(text).expect("the story's amounts are well formed")
}

/// How the story reaches `chain` of the node at `api` (its main chain if `None`), read as
/// `reader`.
fn story_query(api: &str, chain: Option<&str>, reader: Option<&str>) -> QueryArgs {
    QueryArgs {
        chain: chain.map(str::to_string),
        as_name: reader.map(str::to_string),
        ..QueryArgs::at(api)
    }
}

/// The story's narrator: sends the steps, checks their outcomes, counts what did not match.
pub(crate) struct Story<'a> {
    pub(crate) home: &'a Path,
    pub(crate) api: String,
    /// The chain the story is told on, if not the node's main chain.
    pub(crate) chain: Option<String>,
    /// Who reads, for a chain only its members may read.
    pub(crate) reader: Option<&'static str>,
    pub(crate) failures: Vec<String>,
    /// One client for the story's reads (the members are read once).
    pub(crate) finance: Finance<'a>,
}

impl<'a> Story<'a> {
    /// A story on `chain` of the node at `api` (its main chain if `None`), read as `reader`.
    pub(crate) fn on(
        home: &'a Path,
        api: &str,
        chain: Option<&str>,
        reader: Option<&'static str>,
    ) -> anyhow::Result<Story<'a>> {
        Ok(Story {
            home,
            api: api.to_string(),
            chain: chain.map(str::to_string),
            reader,
            failures: Vec::new(),
            finance: Finance::new(Some(home), &story_query(api, chain, reader))?,
        })
    }

    pub(crate) fn query_args(&self) -> QueryArgs {
        story_query(&self.api, self.chain.as_deref(), self.reader)
    }

    pub(crate) fn finance(&self) -> &Finance<'_> {
        &self.finance
    }

    pub(crate) fn send_as(&self, who: &str) -> SendArgs {
        SendArgs {
            quiet: true,
            ..SendArgs::new(Some(who.into()), None, self.query_args())
        }
    }

    pub(crate) fn send<A: Encode, O: Decode>(
        &self,
        who: &str,
        method: Method<A, O>,
        argument: A,
    ) -> anyhow::Result<O> {
        call(Some(self.home), &self.send_as(who), method, argument)?
            .output
            .context("the demo waits for every receipt")
    }

    pub(crate) fn check(&mut self, ok: bool, told: &str) {
        if ok {
            println!("   ✓ {told}");
        } else {
            println!("   ✗ {told}: NOT as told");
            self.failures.push(told.to_string());
        }
    }

    /// A step that must succeed; its output (the output type's default if it failed).
    pub(crate) fn step<A: Encode, O: Decode + Default>(
        &mut self,
        told: &str,
        who: &str,
        method: Method<A, O>,
        argument: A,
    ) -> O {
        match self.send(who, method, argument) {
            Ok(output) => {
                println!("   ✓ {told}");
                output
            }
            Err(e) => {
                println!("   ✗ {told}: {e:#}");
                self.failures.push(told.to_string());
                O::default()
            }
        }
    }

    /// A step the chain must refuse, with a reason containing `because`.
    pub(crate) fn refused<A: Encode, O: Decode>(
        &mut self,
        told: &str,
        because: &str,
        who: &str,
        method: Method<A, O>,
        argument: A,
    ) {
        match self.send(who, method, argument) {
            Ok(_) => self.check(false, told),
            Err(e) => {
                let reason = format!("{e:#}");
                let reason = reason
                    .rsplit("refused: ")
                    .next()
                    .unwrap_or(&reason)
                    .to_string();
                self.check(reason.contains(because), &format!("{told} — \"{reason}\""));
            }
        }
    }

    /// On a parachain that keeps invoice claims: `who` claims `invoices` for it on the main
    /// chain and has the parachain take the claims (ADR 0031), told with the invoices' numbers.
    pub(crate) fn claim(&mut self, who: &str, invoices: &[[u8; 32]]) {
        let Some(chain) = self.chain.clone() else {
            return;
        };
        let hashes: Vec<Hash> = invoices.iter().map(|i| Hash(*i)).collect();
        let told = format!(
            "{who} claims the invoice(s) for {chain} on the main chain: one invoice, one parachain"
        );
        match crate::finance::claim(Some(self.home), &self.send_as(who), &hashes) {
            Ok(claimed) if claimed.is_empty() => {}
            Ok(_) => println!("   ✓ {told}"),
            Err(e) => {
                println!("   ✗ {told}: {e:#}");
                self.failures.push(told);
            }
        }
    }

    pub(crate) fn cash(&self, who: &str) -> Amount {
        let finance = self.finance();
        finance
            .uscc(who)
            .and_then(|u| finance.query(cash_method::BALANCE, u))
            .unwrap_or(Amount::MAX)
    }

    pub(crate) fn uscc(&self, who: &str) -> String {
        self.finance().uscc(who).unwrap_or_default()
    }

    pub(crate) fn balances(&mut self, expected: &[(&str, &str)]) {
        for (who, amount) in expected {
            let held = self.cash(who);
            self.check(
                held == yuan(amount),
                &format!("{who} holds {} (expected {amount})", format_amount(held)),
            );
        }
    }

    /// A document of Tier-1's trade with Huaxia Motors, recorded by `who`.
    pub(crate) fn record(
        &mut self,
        told: &str,
        who: &str,
        kind: Kind,
        amount: &str,
        links: Vec<[u8; 32]>,
        invoice: Option<Invoice>,
    ) -> [u8; 32] {
        self.record_of(told, who, kind, amount, &[TIER1, CORE], links, invoice)
    }

    /// A document binding `parties`, recorded by `who`; its hash.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_of(
        &mut self,
        told: &str,
        who: &str,
        kind: Kind,
        amount: &str,
        parties: &[&str],
        links: Vec<[u8; 32]>,
        invoice: Option<Invoice>,
    ) -> [u8; 32] {
        let record = NewRecord {
            kind,
            // The demo's documents are their descriptions.
            doc_hash: Hash::digest(told.as_bytes()).0,
            parties: parties.iter().map(|p| self.uscc(p)).collect(),
            amount: yuan(amount),
            currency: "CNY".into(),
            date_ms: now_ms(),
            links,
            invoice,
        };
        let id = record.doc_hash;
        // Kept as a file, for the evidence bundle that carries the documents.
        let documents = self.home.join("documents");
        if std::fs::create_dir_all(&documents).is_ok() {
            let _ = std::fs::write(
                documents.join(format!("{}.txt", hex::encode(&id[..8]))),
                told,
            );
        }
        self.step(told, who, records_method::RECORD, record);
        id
    }

    /// `requester` asks `confirmer` (the terms' counterparty) to confirm a payable on `terms`,
    /// told as `asked`; the confirmation, told by `confirmed` given the request's id, issues the
    /// voucher. Its id.
    pub(crate) fn request_confirmed(
        &mut self,
        asked: &str,
        requester: &str,
        confirmer: &str,
        terms: Terms,
        confirmed: impl Fn(u64) -> String,
    ) -> u64 {
        let invoices = terms.invoices.clone();
        let request = self.step(asked, requester, voucher_method::REQUEST, terms);
        self.claim(confirmer, &invoices);
        self.step(
            &confirmed(request),
            confirmer,
            voucher_method::CONFIRM,
            request,
        )
    }

    /// The bank mints `amount` of settlement cash for `to`, as a step told as `told`.
    pub(crate) fn mint(&mut self, told: &str, to: &str, amount: &str) {
        let mint = Mint {
            to: self.uscc(to),
            amount: yuan(amount),
        };
        self.step(told, BANK, cash_method::MINT, mint);
    }

    /// A voucher's terms in CNY, drawn on no particular credit line.
    pub(crate) fn terms(
        &self,
        counterparty: &str,
        amount: &str,
        maturity_ms: u64,
        invoices: Vec<[u8; 32]>,
        records: Vec<[u8; 32]>,
    ) -> Terms {
        Terms {
            counterparty: self.uscc(counterparty),
            amount: yuan(amount),
            currency: "CNY".into(),
            maturity_ms,
            invoices,
            records,
            line: None,
        }
    }

    pub(crate) fn invoice(&self, number: &str) -> Invoice {
        Invoice {
            code: "3100231130".into(),
            number: number.into(),
            seller: self.uscc(TIER1),
            buyer: self.uscc(CORE),
        }
    }

    /// Waits until voucher `id` has `status`, telling the wait.
    pub(crate) fn wait_status(&mut self, id: u64, status: Status, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(v) = self.finance().voucher(id) {
                if v.status == status {
                    return true;
                }
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// Starts the chain; its processes and its first API URL.
pub(crate) fn start(args: &DemoArgs, dir: &Path) -> anyhow::Result<(Vec<Child>, String)> {
    if args.single {
        let exe = std::env::current_exe().context("cannot find the catena binary")?;
        let log = std::fs::File::create(dir.join("node.log")).context("cannot create the log")?;
        let child = crate::node_process(&exe)
            .arg("dev")
            .arg("--home")
            .arg(dir)
            .args(["--api-addr", &format!("127.0.0.1:{}", args.api_port)])
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start the dev node")?;
        return Ok((vec![child], format!("http://127.0.0.1:{}", args.api_port)));
    }
    let testnet = TestnetArgs {
        validators: 4,
        followers: 0,
        dir: dir.to_path_buf(),
        api_port: args.api_port,
        p2p_port: args.p2p_port,
        block_time_ms: Some(500),
        chains: 3,
    };
    // The main chain and two parachains on the same four nodes: Huaxia Motors' supply chain
    // (every member) and Tier-1 Steel's own (its raw-materials supplier, the bank and the
    // carrier), anchoring every 5 blocks and at least every 3 s.
    // The consortium's invoice key, new for this demo network: its parachains keep claims.
    let mut secret = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut secret);
    let network = catena_launcher::network::LocalNetwork {
        chain_ids: vec![PARA_A.into(), PARA_B.into()],
        parachains: Some((5, 3_000)),
        invoice_key: Some(catena_primitives::invoice::InvoiceKey(secret)),
        ..testnet.network()
    };
    let children = crate::start_network(&network, false, &|k, built| {
        if k == 3 {
            built
                .keep_members(&[TIER1, TIER3, BANK, CARRIER])
                .expect("the demo's members");
            if let Some(steel) = built
                .spec
                .members
                .iter_mut()
                .find(|m| m.name.starts_with("Tier-1"))
            {
                steel.roles = vec![catena_schema::Role::Core];
            }
        }
    })?;
    Ok((children, format!("http://127.0.0.1:{}", args.api_port)))
}

/// When voucher `id` was pledged (its pledge's acceptance), from its history (a pledge paid at
/// settlement has ended, and is no longer on the voucher).
pub(crate) fn pledged_at(s: &Story, id: u64) -> u64 {
    first_time(s, id, |a| {
        matches!(a, catena_schema::voucher::Action::Pledged { .. })
    })
}

/// The block time of voucher `id`'s first settlement payment, from its history.
pub(crate) fn maturity_paid(s: &Story, id: u64) -> u64 {
    first_time(s, id, |a| {
        matches!(a, catena_schema::voucher::Action::Paid { .. })
    })
}

/// The block time of the first entry of voucher `id`'s history that `wanted` picks (0: none).
fn first_time(s: &Story, id: u64, wanted: impl Fn(&catena_schema::voucher::Action) -> bool) -> u64 {
    let history: Vec<HistoryEntry> = s
        .finance()
        .query(voucher_method::HISTORY, id)
        .unwrap_or_default();
    history
        .iter()
        .find(|h| wanted(&h.action))
        .map_or(0, |h| h.time_ms)
}
