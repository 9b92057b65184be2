//! Reaching a node: which API, which key signs, and sending a call and waiting for its block.

use super::*;

#[derive(Args, Clone)]
pub(crate) struct QueryArgs {
    /// The node's API (default: the home's configured API address, else http://127.0.0.1:8545).
    #[arg(long, env = "CATENA_API")]
    pub(crate) api: Option<String>,
    /// The chain to talk to, on a node that hosts several (default: its main chain); `GET
    /// /chains` on the node lists them.
    #[arg(long, env = "CATENA_CHAIN")]
    pub(crate) chain: Option<String>,
    /// Act as this demo member (a key file in HOME/keys/NAME.json): it signs the transaction,
    /// and every request, for a chain only its members may read.
    #[arg(long = "as", conflicts_with = "key")]
    pub(crate) as_name: Option<String>,
    /// Act with this key file (as --as does).
    #[arg(long)]
    pub(crate) key: Option<PathBuf>,
    /// For an https:// API: trust only the certificate authorities in this PEM file (a
    /// consortium's own CA) instead of the public ones.
    #[arg(long, env = "CATENA_API_CA")]
    pub(crate) api_ca: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) output: Output,
}

impl QueryArgs {
    /// The main chain of the node whose API is at `api`, read anonymously, as a table.
    pub(crate) fn at(api: &str) -> QueryArgs {
        QueryArgs {
            api: Some(api.to_string()),
            chain: None,
            as_name: None,
            key: None,
            api_ca: None,
            output: Output::Table,
        }
    }

    /// The same node, identity and output, on the node's main chain.
    pub(crate) fn on_main(&self) -> QueryArgs {
        QueryArgs {
            chain: None,
            ..self.clone()
        }
    }

    /// A client of the chain these arguments name; it signs every request when an identity
    /// (--as or --key) is given.
    pub(crate) fn client(&self, home: Option<&Path>) -> anyhow::Result<ApiClient> {
        let client = self.anonymous_client(home)?;
        if self.as_name.is_none() && self.key.is_none() {
            return Ok(client);
        }
        let key = identity_key(home, self)?;
        let chain_id = match &self.chain {
            Some(chain) => chain.clone(),
            None => main_chain_id(home, self)?,
        };
        Ok(client.signing(key, chain_id))
    }
}

impl QueryArgs {
    /// A client of the chain these arguments name that signs nothing.
    fn anonymous_client(&self, home: Option<&Path>) -> anyhow::Result<ApiClient> {
        let client = ApiClient::new(&api_url(home, self));
        match &self.api_ca {
            Some(file) => {
                let pem = std::fs::read(file)
                    .with_context(|| format!("cannot read the CA file {}", file.display()))?;
                client
                    .trusting(&pem)
                    .with_context(|| format!("CA file {}", file.display()))
            }
            None => Ok(client),
        }
    }
}

/// The main chain's id, as the node's `GET /chains` lists it first (that route needs no
/// signature, so a client finds the chain whose requests it signs).
fn main_chain_id(home: Option<&Path>, query: &QueryArgs) -> anyhow::Result<String> {
    let chains = query.on_main().anonymous_client(home)?.get("/chains")?;
    chains[0]["chain_id"]
        .as_str()
        .map(str::to_string)
        .context("the node's GET /chains names no chain")
}

/// Who signs a transaction, and whether to wait for its block.
#[derive(Args)]
pub(crate) struct SendArgs {
    /// Return once the node admitted the transaction, without waiting for its block.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// Print nothing but errors (for commands that tell a story of their own).
    #[arg(skip)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) query: QueryArgs,
}

impl SendArgs {
    /// Signs as the demo member `as_name` or with the key file `key`, and waits for the block,
    /// telling what it submitted and where it was committed.
    pub(crate) fn new(as_name: Option<String>, key: Option<PathBuf>, query: QueryArgs) -> SendArgs {
        SendArgs {
            no_wait: false,
            quiet: false,
            query: QueryArgs {
                as_name: as_name.or(query.as_name),
                key: key.or(query.key),
                ..query
            },
        }
    }
}

/// The API base URL of the chain a command talks to: `--api` (else the home's configured API
/// address), and under it `/chains/ID` when `--chain ID` is given.
pub(crate) fn api_url(home: Option<&Path>, query: &QueryArgs) -> String {
    let node = match &query.api {
        Some(api) => api.trim_end_matches('/').to_string(),
        None => {
            let home = home.map(Path::to_path_buf).unwrap_or_else(default_dev_home);
            match NodeConfig::load(&Home(home).config()) {
                Ok(config) => format!("http://{}", config.api_addr),
                Err(_) => "http://127.0.0.1:8545".into(),
            }
        }
    };
    match &query.chain {
        Some(chain) => format!("{node}/chains/{chain}"),
        None => node,
    }
}

/// The key file of demo identity `name` (HOME/keys/NAME.json), if there is one.
pub(crate) fn demo_key_file(home: Option<&Path>, name: &str) -> PathBuf {
    let home = home.map(Path::to_path_buf).unwrap_or_else(default_dev_home);
    Home(home).keys().join(format!("{name}.json"))
}

/// The key of demo identity `name`, if the home has it.
pub(crate) fn demo_identity(home: Option<&Path>, name: &str) -> Option<SecretKey> {
    let file = demo_key_file(home, name);
    file.exists().then(|| keys::read_key(&file).ok()).flatten()
}

/// The key that signs: `--key FILE`, or the demo identity `--as NAME`.
pub(crate) fn signing_key(home: Option<&Path>, args: &SendArgs) -> anyhow::Result<SecretKey> {
    identity_key(home, &args.query)
}

fn identity_key(home: Option<&Path>, query: &QueryArgs) -> anyhow::Result<SecretKey> {
    key_of(home, query.as_name.as_deref(), query.key.as_deref())
}

/// The key of `--key FILE`, else of the demo identity `--as NAME`.
pub(crate) fn key_of(
    home: Option<&Path>,
    as_name: Option<&str>,
    key: Option<&Path>,
) -> anyhow::Result<SecretKey> {
    match (as_name, key) {
        (_, Some(file)) => Ok(keys::read_key(file)?),
        (Some(name), None) => {
            let file = demo_key_file(home, name);
            if !file.exists() {
                bail!(
                    "no key for '{name}': --as NAME signs with the key file NAME.json in the \
                     home's keys directory ({}), where a dev home has its demo members' keys; put \
                     the key file there, or pass it with --key FILE",
                    file.parent()
                        .map_or_else(String::new, |d| d.display().to_string())
                );
            }
            keys::read_key(&file).with_context(|| format!("the key of '{name}'"))
        }
        (None, None) => bail!("pass --as NAME or --key FILE"),
    }
}

/// The transaction a write sent: its hash, and its committed view unless `--no-wait`.
pub(crate) struct Sent {
    pub(crate) hash: catena_primitives::Hash,
    pub(crate) view: Option<catena_api::TransactionView>,
}

impl Sent {
    /// The committed view, if the write waited for it.
    pub(crate) fn committed(self) -> Option<catena_api::TransactionView> {
        self.view
    }

    /// Tells what the write did. As a table: `done` once committed (the hash and block were
    /// printed as they came); with `--no-wait` nothing more, for its outcome is not known. As
    /// JSON, one object: `hash`, `status` (`submitted` or `committed`), and once committed its
    /// `block`, `receipt` (events decoded where the schema knows them) and what it `created`.
    pub(crate) fn report(
        &self,
        send: &SendArgs,
        done: &str,
        created: serde_json::Value,
    ) -> anyhow::Result<()> {
        if send.quiet {
            return Ok(());
        }
        if send.query.output == Output::Json {
            let mut value = serde_json::json!({ "hash": self.hash.to_string() });
            match &self.view {
                None => value["status"] = "submitted".into(),
                Some(view) => {
                    value["status"] = "committed".into();
                    value["block"] = view.block_height.into();
                    value["receipt"] = serde_json::to_value(&view.receipt)?;
                    value["created"] = created;
                }
            }
            return print_value(&value, Output::Json);
        }
        if self.view.is_some() && !done.is_empty() {
            println!("{done}");
        }
        Ok(())
    }
}

/// Refused by the chain (a transaction refused at admission, or failing in its block) or by a
/// check (evidence that does not verify): exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Refused(pub(crate) String);

/// Signs `call` as the chosen identity at the account's next free nonce (after those pending on
/// the node, so that several can be sent in a row), submits it, and (unless `--no-wait`) waits
/// for its block. A call that failed in its block is a [`Refused`] error with the runtime's
/// reason. Prints the hash when submitted and the block when committed (as a table; nothing as
/// JSON, whose object [`Sent::report`] prints).
pub(crate) fn send_call(home: Option<&Path>, args: &SendArgs, call: Call) -> anyhow::Result<Sent> {
    let key = signing_key(home, args)?;
    let client = args.query.client(home)?;
    let status = client.status()?;
    if let Call::ProposeValidatorChange(proposal) = &call {
        governance::check_height(proposal.from_height, status.height)?;
    }
    let account = client.account(&key.account())?;
    let nonce = account.pending_nonce.max(account.next_nonce);
    let tx = Transaction::signed(&status.chain_id, nonce, call, &key);
    let hash = match client.submit(&tx) {
        Ok(hash) => hash,
        Err(e) => match e.downcast_ref::<catena_client::NodeError>() {
            Some(catena_client::NodeError::Answered { status, .. }) if *status < 500 => {
                return Err(Refused(format!("the node refused the transaction: {e}")).into())
            }
            _ => return Err(e),
        },
    };
    let table = args.query.output != Output::Json && !args.quiet;
    if table {
        println!("submitted {hash}");
    }
    if args.no_wait {
        if table {
            println!("not waiting for its block: `catena tx {hash}` shows its outcome");
        }
        return Ok(Sent { hash, view: None });
    }
    // A spinner on a terminal while the block is coming (indicatif draws nothing otherwise).
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message("waiting for its block");
    spinner.enable_steady_tick(Duration::from_millis(120));
    let view = client.wait_committed(hash, Duration::from_secs(60));
    spinner.finish_and_clear();
    let view = view?;
    match &view.receipt {
        Some(receipt) if !receipt.success => {
            return Err(Refused(format!(
                "transaction failed in block {}: {}",
                view.block_height.unwrap_or(0),
                receipt.error.clone().unwrap_or_default()
            ))
            .into())
        }
        _ if !table => {}
        _ => println!("committed in block {}", view.block_height.unwrap_or(0)),
    }
    Ok(Sent {
        hash,
        view: Some(view),
    })
}
