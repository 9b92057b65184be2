//! A validator that crashed between logging its precommit for its own block and committing it
//! resumes locked on that block: it reloads the block from its proposal log, proposes it again
//! and commits it — the same hash — instead of waiting forever for a block it no longer has.
//! Real RocksDB and the real node in-process, in a temporary directory.

use std::time::Duration;

use catena_chain_spec::build_dev;
use catena_node::{ChainInstance, ChainOptions, Home, NodeConfig, RunOptions};
use catena_primitives::VoteKind;
use catena_storage::wal::{LoggedProposal, LoggedVote, ProposalLog, VoteLog};
use parity_scale_codec::Encode;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// The status line of `GET path` on the node's API.
fn get_status(addr: std::net::SocketAddr, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).ok()?;
    let reply = String::from_utf8_lossy(&reply);
    reply.lines().next().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_resumes_locked_on_its_logged_proposal_and_commits_it() {
    let built = build_dev(now_ms() - 60_000);
    let spec = built.spec.clone();
    let validator = built.validator_keys[0].0.secret.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let home = Home(dir.path().to_path_buf());
    let config = NodeConfig {
        api_addr: "127.0.0.1:0".parse().expect("addr"),
        ..NodeConfig::default()
    };
    let chain_dir = home.chain_dir(&config, &spec.chain_id);
    std::fs::create_dir_all(&chain_dir).expect("chain dir");

    // Before the "crash": block 1 built and logged, prevoted and precommitted at round 0.
    let block = {
        let chain = ChainInstance::open(spec.clone(), &chain_dir.join("db"), 100).expect("open");
        let prepared = chain
            .build_proposal(1, now_ms(), validator.account())
            .expect("build");
        prepared.block
    };
    let value = block.hash();
    let max_block_bytes = spec.parameters.max_block_bytes as usize;
    let (mut proposals, _) =
        ProposalLog::open(&chain_dir.join("proposals.wal"), max_block_bytes).expect("log");
    proposals
        .append(LoggedProposal {
            height: 1,
            round: 0,
            value,
            block: block.encode(),
        })
        .expect("append");
    let (mut votes, _) = VoteLog::open(&chain_dir.join("votes.wal")).expect("vote log");
    for kind in [VoteKind::Prevote, VoteKind::Precommit] {
        votes
            .append(LoggedVote {
                kind,
                height: 1,
                round: 0,
                value: Some(value),
            })
            .expect("append");
    }
    drop((proposals, votes));

    // The restart: the node runs until block 1 is served (or 60 s pass).
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        let addr = addr_rx.await.expect("started");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::time::Instant::now() < deadline {
            let status = tokio::task::spawn_blocking(move || get_status(addr, "/blocks/1"))
                .await
                .expect("request task");
            if status.is_some_and(|line| line.contains(" 200 ")) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    catena_node::run(
        RunOptions {
            home: home.clone(),
            config: config.clone(),
            chains: vec![ChainOptions {
                spec: spec.clone(),
                validator_key: Some(validator),
                network_key: None,
                p2p_addr: config.p2p_addr.clone(),
                network_key_path: home.network_key(),
                invoice_key: None,
                invoice_key_path: home.invoice_key(),
            }],
            allow_missing_vote_log: false,
        },
        shutdown,
        move |started| {
            let _ = addr_tx.send(started.api_addr);
        },
    )
    .await
    .expect("the node runs");

    let chain = ChainInstance::open(spec, &chain_dir.join("db"), 100).expect("reopen");
    let tip = chain.tip().expect("tip");
    assert!(tip.height >= 1, "block 1 was never committed");
    let committed = chain.store().block(1).expect("read").expect("block 1");
    assert_eq!(
        committed.hash(),
        value,
        "the validator committed the block it had precommitted"
    );
}
