//! The host of the chains a node runs: each chain is started in its own supervised context
//! (store, vote log, network, driver, sync and gossip tasks, metrics under its label), the API
//! serves them all, and a chain that fails stops alone: its routes answer 503 with the reason and
//! the others go on. This is the only module that spawns the chains' tasks.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use catena_chain_spec::ChainSpec;
use catena_primitives::invoice::InvoiceKey;
use catena_primitives::SecretKey;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tracing::Instrument;

use crate::metrics::NodeMetrics;
use crate::{
    chain, driver, forward, network_config, open_signing, watch_cut_links, ChainError,
    ChainInstance, Home, NodeConfig, NodeError, CUT_LINKS_FILE_VAR, HALT_MARKER,
};

/// One chain a node hosts, and how it takes part in it.
#[derive(Debug)]
pub struct ChainOptions {
    pub spec: ChainSpec,
    /// The vote-signing key, if this node validates the chain.
    pub validator_key: Option<SecretKey>,
    /// The libp2p identity key on this chain's network (needed on a multi-validator chain).
    pub network_key: Option<SecretKey>,
    /// Where the chain's network listens (a multiaddr).
    pub p2p_addr: String,
    /// Where the network key belongs, for the error that says it is missing.
    pub network_key_path: PathBuf,
    /// The consortium's invoice key, which a parachain of a main chain whose spec commits one
    /// needs (ADR 0031), and where it belongs.
    pub invoice_key: Option<InvoiceKey>,
    pub invoice_key_path: PathBuf,
}

/// Everything a node needs to run.
#[derive(Debug)]
pub struct RunOptions {
    pub home: Home,
    pub config: NodeConfig,
    /// The chains to host; the first is the main chain, also served at `/`.
    pub chains: Vec<ChainOptions>,
    /// Start a validator whose vote log is missing (a new, empty one is created).
    pub allow_missing_vote_log: bool,
}

/// A running node's addresses, reported once it serves.
#[derive(Debug, Clone)]
pub struct Started {
    pub api_addr: SocketAddr,
    /// The main chain's id and height.
    pub chain_id: String,
    pub height: u64,
    /// Every hosted chain's id, the main chain first.
    pub chains: Vec<String>,
}

/// A chain started by [`start_chain`]: its instance, and the handles that stop its tasks.
#[derive(Debug)]
pub struct RunningChain {
    pub chain: Arc<ChainInstance>,
    stop_driver: Option<oneshot::Sender<()>>,
    driver: Option<tokio::task::JoinHandle<()>>,
    driver_done: Option<oneshot::Receiver<Result<(), ChainError>>>,
    /// The network, forwarding and fault-injection tasks.
    tasks: Vec<AbortHandle>,
}

impl RunningChain {
    /// Resolves with why the chain stopped, if its driver fails or panics; never for a chain
    /// without a driver or one stopped cleanly.
    fn failure(&mut self) -> impl Future<Output = String> + Send + 'static {
        let done = self.driver_done.take();
        let has_driver = self.driver.is_some();
        async move {
            let Some(done) = done else {
                return std::future::pending().await;
            };
            match done.await {
                Ok(Err(e)) => e.to_string(),
                // The driver task ended without a result: it panicked.
                Err(_) if has_driver => "the consensus driver stopped unexpectedly".to_string(),
                _ => std::future::pending().await,
            }
        }
    }

    fn abort_tasks(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }

    /// Stops the driver (waiting for it) and the chain's other tasks.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop_driver.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.driver.take() {
            let _ = task.await;
        }
        self.abort_tasks();
    }
}

/// Opens a chain and starts its tasks: the driver (validator or follower), and on a
/// multi-validator chain its own libp2p network with the allow list from its state, and the
/// forwarding of transactions admitted here.
pub fn start_chain(
    home: &Home,
    config: &NodeConfig,
    options: ChainOptions,
    node_metrics: &Arc<NodeMetrics>,
    allow_missing_vote_log: bool,
) -> Result<RunningChain, NodeError> {
    let ChainOptions {
        spec,
        validator_key,
        network_key,
        p2p_addr,
        network_key_path,
        invoice_key,
        invoice_key_path: _,
    } = options;
    let chain_dir = home.chain_dir(config, &spec.chain_id);
    std::fs::create_dir_all(&chain_dir).map_err(|source| NodeError::Io {
        what: format!("create data directory {}", chain_dir.display()),
        source,
    })?;
    let validators = spec.validators.len();
    let chain_id = spec.chain_id.clone();
    let chain = Arc::new(ChainInstance::open_hosted(
        spec,
        &chain_dir.join("db"),
        config.mempool_capacity,
        node_metrics,
    )?);
    if config.signed_reads {
        chain.require_signed_reads();
    }
    if let Some(key) = invoice_key.filter(|_| chain.spec().parachain.is_some()) {
        chain.set_invoice_key(key);
    }
    // Every node of a multi-validator chain (by its spec, or by governance since) runs the BFT
    // driver with its peers: a validator votes; a node with a member's key not in the current
    // set follows and votes once a governance change adds it; a node without a validator key
    // follows. The single validator of a chain decides alone, without a network.
    let networked = validators.max(chain.validators().len()) > 1;
    let validating =
        validator_key.filter(|key| networked || chain.validators().contains(&key.account()));
    if networked && network_key.is_none() {
        return Err(NodeError::NoNetworkKey {
            path: network_key_path,
        });
    }
    chain.following().set_identity(chain::follow::Identity {
        validator: validating.as_ref().map(SecretKey::account),
        peer_id: network_key
            .as_ref()
            .filter(|_| networked)
            .and_then(|key| catena_network::peer_id_of(key.seed()).ok())
            .map(|peer| peer.to_string()),
    });
    let mut running = RunningChain {
        chain: Arc::clone(&chain),
        stop_driver: None,
        driver: None,
        driver_done: None,
        tasks: Vec::new(),
    };
    if !networked && validating.is_none() {
        chain.replay_journal()?;
        tracing::warn!(target: "node", chain = %chain_id, "a chain of one validator runs no network: this node without its key serves its own store and does not follow");
        return Ok(running);
    }
    let signing = match validating {
        Some(key) => Some(open_signing(
            key,
            &home.signing_mark(&chain_id),
            &chain_dir,
            &chain,
            allow_missing_vote_log,
        )?),
        None => {
            tracing::info!(target: "node", chain = %chain_id, "no validator key: this node follows the chain without voting");
            None
        }
    };
    let max_message_bytes = (chain.spec().parameters.max_block_bytes as usize) * 2 + (1 << 20);
    // Every line the chain's tasks log names the chain.
    let span = tracing::info_span!("chain", id = %chain_id);
    let peers = match network_key {
        Some(network_key) if networked => {
            let malus = std::env::var_os(crate::malus::MALUS_FILE_VAR);
            // A misbehaving test node allows itself larger messages than its peers do.
            let own_max = max_message_bytes * if malus.is_some() { 2 } else { 1 };
            let (network, handle, events) = catena_network::Network::new(network_config(
                &p2p_addr,
                &chain,
                &network_key,
                own_max,
            )?)
            .map_err(|e| NodeError::Network(format!("chain '{chain_id}': {e}")))?;
            running
                .tasks
                .push(tokio::spawn(network.run().instrument(span.clone())).abort_handle());
            if let Some(path) = std::env::var_os(CUT_LINKS_FILE_VAR) {
                running.tasks.push(
                    tokio::spawn(watch_cut_links(path.into(), handle.clone())).abort_handle(),
                );
            }
            if let Some(path) = malus {
                running.tasks.push(
                    tokio::spawn(
                        crate::malus::run(
                            path.into(),
                            Arc::clone(&chain),
                            handle.clone(),
                            max_message_bytes,
                        )
                        .instrument(span.clone()),
                    )
                    .abort_handle(),
                );
            }
            let (gossip, admitted) = tokio::sync::mpsc::unbounded_channel();
            chain.set_gossip(gossip);
            running.tasks.push(
                tokio::spawn(
                    forward::run(
                        Arc::clone(&chain),
                        handle.clone(),
                        admitted,
                        max_message_bytes,
                    )
                    .instrument(span.clone()),
                )
                .abort_handle(),
            );
            Some(driver::Peers {
                network: handle,
                events,
            })
        }
        _ => None,
    };
    // What this node acknowledged before it stopped, back in its mempool (and gossiped).
    chain.replay_journal()?;
    let parts = driver::DriverParts {
        chain: Arc::clone(&chain),
        signing,
        peers,
        max_message_bytes,
        halt_marker: chain_dir.join(HALT_MARKER),
        state_sync: config.state_sync,
    };
    let (stop_driver, driver_stopped) = oneshot::channel::<()>();
    let (driver_done_tx, driver_done) = oneshot::channel::<Result<(), ChainError>>();
    running.driver = Some(tokio::spawn(
        async move {
            let result = driver::run(parts, driver_stopped).await;
            let _ = driver_done_tx.send(result);
        }
        .instrument(span),
    ));
    running.stop_driver = Some(stop_driver);
    running.driver_done = Some(driver_done);
    Ok(running)
}

/// Serves `app` on `listener` (plain or TLS) until `stopped` completes.
fn serve<L>(
    listener: L,
    app: axum::Router,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<std::io::Result<()>>
where
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    // Each request knows its client's address: the API's per-client rate limit keys on it.
    // (Tapped, any listener of socket addresses gives them to axum, the TLS one too.)
    let listener = axum::serve::ListenerExt::tap_io(listener, |_| {});
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(std::future::IntoFuture::into_future(
        axum::serve(listener, app).with_graceful_shutdown(stopped),
    ))
}

/// Runs the node until `shutdown` completes or every chain it hosts has failed. `on_start` is
/// called once the API is listening. A chain that fails stops alone: it is marked failed (its
/// routes answer 503 with the reason, `GET /chains` shows it), logged once, and the others go
/// on.
pub async fn run(
    options: RunOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_start: impl FnOnce(&Started),
) -> Result<(), NodeError> {
    let RunOptions {
        home,
        config,
        chains,
        allow_missing_vote_log,
    } = options;
    check_distinct(&chains)?;
    if let Some(path) = std::env::var_os(crate::CRASH_POINTS_FILE_VAR) {
        tokio::spawn(crate::watch_crash_points(path.into()));
    }
    let tls = match &config.api_tls {
        Some(files) => Some(crate::tls::acceptor(
            &home.0.join(&files.cert_file),
            &home.0.join(&files.key_file),
        )?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.api_addr)
        .await
        .map_err(|source| NodeError::Bind {
            addr: config.api_addr,
            source,
        })?;
    let api_addr = listener.local_addr().map_err(|source| NodeError::Bind {
        addr: config.api_addr,
        source,
    })?;

    // Before any chain runs a contract: the engine's pool is sized for every chain's queries
    // and blocks.
    if !catena_runtime::wasm::host_chains(chains.len()) {
        tracing::warn!(target: "node", "the contract engine was made before the chains were counted: its pool keeps its size");
    }
    let node_metrics = Arc::new(NodeMetrics::default());
    // The other chains this node validates anchor on the main chain (the first), if it has
    // registered them as parachains.
    let anchor_keys: Vec<Option<SecretKey>> = chains
        .iter()
        .enumerate()
        .map(|(i, c)| c.validator_key.clone().filter(|_| i > 0))
        .collect();
    let mut running: Vec<RunningChain> = Vec::new();
    for options in chains {
        if let Err(e) = check_main_chain(running.first().map(|m| &*m.chain), &options) {
            for chain in running {
                chain.stop().await;
            }
            return Err(e);
        }
        match start_chain(
            &home,
            &config,
            options,
            &node_metrics,
            allow_missing_vote_log,
        ) {
            Ok(chain) => running.push(chain),
            Err(e) => {
                for chain in running {
                    chain.stop().await;
                }
                return Err(e);
            }
        }
    }
    let Some(main) = running.first() else {
        return Err(NodeError::Network("no chain to host".into()));
    };
    let running_main = Arc::clone(&main.chain);
    for para in running.iter().skip(1) {
        if para.chain.spec().parachain.is_some() {
            para.chain.set_main(Arc::clone(&running_main));
        }
    }
    let started = Started {
        api_addr,
        chain_id: main.chain.spec().chain_id.clone(),
        height: main.chain.tip()?.height,
        chains: running
            .iter()
            .map(|c| c.chain.spec().chain_id.clone())
            .collect(),
    };
    for chain in &running {
        tracing::info!(target: "node", chain = %chain.chain.spec().chain_id, api = %api_addr, height = chain.chain.tip()?.height, "chain started");
    }
    on_start(&started);

    let chains: Vec<Arc<dyn catena_api::ChainApi>> = running
        .iter()
        .map(|c| Arc::clone(&c.chain) as Arc<dyn catena_api::ChainApi>)
        .collect();
    let app = catena_api::host_router_with(
        chains.clone(),
        catena_api::Limits::node(config.api_requests_per_second),
        catena_explorer::router(&chains, config.api_tls.is_some()),
    );
    let (stop_api, api_stopped) = oneshot::channel::<()>();
    let stopped = async move {
        let _ = api_stopped.await;
    };
    let server = match tls {
        Some(acceptor) => {
            let listener =
                crate::tls::listen(listener, acceptor).map_err(|source| NodeError::Bind {
                    addr: api_addr,
                    source,
                })?;
            serve(listener, app, stopped)
        }
        None => serve(listener, app, stopped),
    };

    // Every other chain: anchored by this node if it validates it (and it is registered as a
    // parachain of the main chain), its anchor lag measured in any case.
    for (para, key) in running.iter_mut().zip(anchor_keys).skip(1) {
        let task = tokio::spawn(
            crate::anchor::run(Arc::clone(&running_main), Arc::clone(&para.chain), key)
                .instrument(tracing::info_span!("chain", id = %para.chain.spec().chain_id)),
        );
        para.tasks.push(task.abort_handle());
    }
    let mut watchers = tokio::task::JoinSet::new();
    for (index, chain) in running.iter_mut().enumerate() {
        let failure = chain.failure();
        watchers.spawn(async move { (index, failure.await) });
    }
    let mut failed = 0;
    tokio::pin!(shutdown);
    let outcome = loop {
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            Some(joined) = watchers.join_next() => {
                let Ok((index, reason)) = joined else { continue };
                let chain = &running[index];
                tracing::error!(target: "node", chain = %chain.chain.spec().chain_id, reason = %reason, "the chain stopped on this node; the other chains go on");
                chain.chain.fail(reason.clone());
                chain.abort_tasks();
                failed += 1;
                if failed == running.len() {
                    break Err(NodeError::Driver(reason));
                }
            }
        }
    };
    tracing::info!(target: "node", "shutting down");
    watchers.abort_all();
    for chain in running {
        chain.stop().await;
    }
    let _ = stop_api.send(());
    // Requests in flight get a moment to finish; open event streams never do, so they are cut.
    let mut server = server;
    if tokio::time::timeout(API_SHUTDOWN_GRACE, &mut server)
        .await
        .is_err()
    {
        server.abort();
    }
    outcome
}

/// How long the API may take to finish its requests at shutdown.
const API_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A parachain (a spec with a `parachain` section) is hosted only beside the main chain it
/// names, never as a home's main chain.
fn check_main_chain(main: Option<&ChainInstance>, options: &ChainOptions) -> Result<(), NodeError> {
    let spec = &options.spec;
    let Some(section) = &spec.parachain else {
        return Ok(());
    };
    match main {
        None => Err(NodeError::ParachainAsMain {
            chain_id: spec.chain_id.clone(),
            main_chain_id: section.main_chain_id.clone(),
        }),
        Some(main)
            if main.spec().chain_id != section.main_chain_id
                || main.genesis_hash() != section.main_genesis_hash =>
        {
            Err(NodeError::WrongMainChain {
                chain_id: spec.chain_id.clone(),
                wanted: format!(
                    "'{}' (genesis {})",
                    section.main_chain_id, section.main_genesis_hash
                ),
                hosted: format!(
                    "'{}' (genesis {})",
                    main.spec().chain_id,
                    main.genesis_hash()
                ),
            })
        }
        Some(main) => check_invoice_key(
            main.spec(),
            &spec.chain_id,
            options.invoice_key.as_ref(),
            &options.invoice_key_path.display().to_string(),
        ),
    }
}

/// A parachain of a main chain whose spec commits an invoice key runs only with that key: with
/// another it would compute other fingerprints than its peers and diverge. `key` is the one
/// this node holds for parachain `chain_id`; `file` says where it comes from, for the messages.
pub fn check_invoice_key(
    main: &ChainSpec,
    chain_id: &str,
    key: Option<&InvoiceKey>,
    file: &str,
) -> Result<(), NodeError> {
    let main_id = &main.chain_id;
    match (main.invoice_key_check, key) {
        (None, None) => Ok(()),
        (Some(committed), None) => Err(NodeError::InvoiceKey(format!(
            "parachain '{chain_id}' needs the consortium's invoice key: the spec of main chain \
             '{main_id}' commits check value {committed}; put the key in {file} (catena chain \
             add --invoice-key FILE)"
        ))),
        (None, Some(_)) => Err(NodeError::InvoiceKey(format!(
            "{file} holds an invoice key, but the spec of main chain '{main_id}' commits none: \
             refusing to host parachain '{chain_id}' with a key its peers may not hold"
        ))),
        (Some(committed), Some(key)) if key.check() != committed => {
            Err(NodeError::InvoiceKey(format!(
                "the invoice key in {file} gives check value {}, but the spec of main chain \
                 '{main_id}' commits {committed}: refusing to host parachain '{chain_id}' \
                 rather than compute other invoice fingerprints than its peers and diverge",
                key.check()
            )))
        }
        (Some(_), Some(_)) => Ok(()),
    }
}

/// Two hosted chains may share neither an id (their stores and routes would collide) nor a
/// p2p address.
fn check_distinct(chains: &[ChainOptions]) -> Result<(), NodeError> {
    for (i, a) in chains.iter().enumerate() {
        for b in &chains[..i] {
            if a.spec.chain_id == b.spec.chain_id {
                return Err(NodeError::DuplicateChain {
                    chain_id: a.spec.chain_id.clone(),
                });
            }
            let networked = |c: &ChainOptions| c.network_key.is_some();
            if a.p2p_addr == b.p2p_addr && networked(a) && networked(b) {
                return Err(NodeError::SharedP2pAddr {
                    addr: a.p2p_addr.clone(),
                    first: b.spec.chain_id.clone(),
                    second: a.spec.chain_id.clone(),
                });
            }
        }
    }
    Ok(())
}
