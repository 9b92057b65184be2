//! State sync (ADR 0040): a node started with `--state-sync` that holds only its chain's
//! genesis takes the state of a recent certified block from its peers, in chunks checked
//! against that block's state root, instead of replaying every block; block sync and consensus
//! carry on from there. Each connected peer offers its newest block; the lowest offer whose
//! certificate verifies against the validator set this node knows (its genesis set) is taken,
//! so that every peer that offered can serve it. Peers are asked in turn, the next chunk while
//! the one before it is checked and written; a chunk that does not prove is counted against its
//! sender, and asked again of another peer.

use std::time::Duration;

use catena_primitives::{Block, CommitCertificate};
use catena_storage::snapshot::{SnapshotChunk, SnapshotError};

use super::*;
use crate::chain::MAX_CHUNK_ENTRIES;

/// How long a node waits for peers to offer a snapshot before it syncs block by block.
const OFFER_WAIT: Duration = Duration::from_secs(30);
/// How long one request may take.
const REQUEST_DEADLINE: Duration = Duration::from_secs(20);
/// How long a restore may go on without a chunk accepted before the node gives up.
const STALL_LIMIT: Duration = Duration::from_secs(300);

impl Driver {
    /// Runs state sync if this node holds only its genesis; returns once the state is
    /// restored, or at once when no peer offers a block this node can verify (it then syncs
    /// block by block). An error stops the chain: its data must be removed before it starts
    /// again.
    pub(super) async fn state_sync(&mut self) -> Result<(), ChainError> {
        let Some(network) = self.network.clone() else {
            return Ok(());
        };
        if self.chain.tip()?.height > 0 {
            return Ok(());
        }
        let started = Instant::now();
        let Some((block, certificate, mut peers)) = self.best_offer(&network).await? else {
            tracing::warn!(target: "sync", "no peer offered a snapshot this node can verify (a block certified by its genesis validators): syncing block by block");
            return Ok(());
        };
        let height = block.header.height;
        tracing::info!(target: "sync", height, root = %block.header.state_root, peers = peers.len(), "state sync: restoring the state of a certified block");
        let mut restore =
            Restorer::start(self.chain.store().clone(), height, block.header.state_root).await?;
        let max_entries = chunk_entries();
        let mut progress = Instant::now();
        let mut turn = 0usize;
        // The next chunk, asked for while the one before it is checked and written: its peer,
        // where it starts, and the answer to come.
        let mut ahead: Option<Ahead> = None;
        while !restore.is_complete() {
            if peers.is_empty() || progress.elapsed() > STALL_LIMIT {
                return Err(ChainError::StateSync(format!(
                    "no peer served the state of height {height} that proves against its \
                     certified root (after {} entries)",
                    restore.entries
                )));
            }
            let (peer, answer) = match ahead.take() {
                Some(next) if next.from == restore.after() && peers.contains(&next.peer) => {
                    (next.peer, next.answer)
                }
                stale => {
                    if let Some(stale) = stale {
                        stale.answer.abort();
                    }
                    let peer = peers[turn % peers.len()];
                    turn += 1;
                    (
                        peer,
                        ask_chunk(&network, peer, height, restore.after(), max_entries),
                    )
                }
            };
            let Some(bytes) = answer.await.ok().flatten() else {
                continue;
            };
            let Ok(chunk) =
                catena_primitives::decode_limited::<SnapshotChunk>(&bytes, self.max_message_bytes)
            else {
                self.refuse(peer, &mut peers, "a malformed snapshot chunk")
                    .await;
                continue;
            };
            if chunk.entries.is_empty() && !chunk.last {
                // It cannot serve that height (it is behind it): ask the others.
                peers.retain(|p| *p != peer);
                continue;
            }
            if !chunk.last && !peers.is_empty() {
                let next = peers[turn % peers.len()];
                turn += 1;
                let from = chunk.last_key_hash();
                ahead = Some(Ahead {
                    peer: next,
                    from,
                    answer: ask_chunk(&network, next, height, from, max_entries),
                });
            }
            match restore.add(chunk).await {
                Ok(()) => progress = Instant::now(),
                Err(SnapshotError::Invalid(reason)) => {
                    self.refuse(peer, &mut peers, &reason).await;
                }
                Err(SnapshotError::Storage(e)) => return Err(e.into()),
            }
        }
        if let Some(ahead) = ahead {
            ahead.answer.abort();
        }
        let entries = restore.entries;
        let context = self.chain.block_context(height, block.header.time_ms);
        let tip = match restore.finish(block.clone(), certificate, context).await {
            Ok(tip) => tip,
            Err(e) => return Err(ChainError::StateSync(e.to_string())),
        };
        self.chain.state_synced(tip)?;
        self.chain.following().synced_from(0);
        tracing::info!(target: "sync", height, entries, seconds = started.elapsed().as_secs_f64(), "state synced: the state of a certified block restored; block sync goes on from it");
        Ok(())
    }

    /// Counts an invalid answer against `peer` and asks it nothing more.
    async fn refuse(&self, peer: PeerId, peers: &mut Vec<PeerId>, reason: &str) {
        tracing::warn!(target: "sync", %peer, %reason, "refused a snapshot chunk; asking another peer");
        self.count_invalid(peer);
        self.report_invalid(peer).await;
        peers.retain(|p| *p != peer);
    }

    /// Asks every connected peer for its offer (waiting up to [`OFFER_WAIT`] for peers); the
    /// lowest offered block whose certificate verifies against this node's validators, and the
    /// peers that offered one.
    async fn best_offer(
        &self,
        network: &NetworkHandle,
    ) -> Result<Option<(Block, CommitCertificate, Vec<PeerId>)>, ChainError> {
        let deadline = Instant::now() + OFFER_WAIT;
        let validators = self.chain.validators();
        loop {
            let connected = network.connected_peers().await.unwrap_or_default();
            let mut offers = Vec::new();
            for peer in connected {
                let Some(bytes) = ask(network, peer, PeerRequest::SnapshotOffer).await else {
                    continue;
                };
                let Ok(response) = SyncResponse::decode_untrusted(&bytes, self.max_message_bytes)
                else {
                    continue;
                };
                let Some((block, certificate)) = response.blocks.into_iter().next() else {
                    continue;
                };
                let header = &block.header;
                let verified = header.validator_set_hash == validators.hash()
                    && validators
                        .verify_certificate(
                            &self.chain_id,
                            header.height,
                            block.hash(),
                            &certificate,
                        )
                        .is_ok();
                if verified {
                    offers.push((block, certificate, peer));
                } else {
                    tracing::info!(target: "sync", %peer, height = header.height, "an offered block is not certified by the validators this node knows (the set changed since genesis?)");
                }
            }
            // The lowest of the offers, which every peer that offered can serve (so that a
            // chunk refused from one is asked of another); block sync covers the rest.
            if let Some(lowest) = offers.iter().map(|(b, _, _)| b.header.height).min() {
                let peers = offers.iter().map(|(_, _, p)| *p).collect::<Vec<_>>();
                let (block, certificate, _) = offers
                    .into_iter()
                    .find(|(b, _, _)| b.header.height == lowest)
                    .expect("the lowest offer");
                return Ok(Some((block, certificate, peers)));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Entries asked for per chunk: [`MAX_CHUNK_ENTRIES`], or fewer when a test says so in
/// [`CHUNK_ENTRIES_VAR`] (to make a small state take several chunks).
fn chunk_entries() -> u32 {
    std::env::var(CHUNK_ENTRIES_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(MAX_CHUNK_ENTRIES, |n: u32| n.clamp(1, MAX_CHUNK_ENTRIES))
}

/// Names the entries a state-syncing node asks per chunk (a test's switch; never set in
/// production).
pub const CHUNK_ENTRIES_VAR: &str = "CATENA_TEST_SNAPSHOT_CHUNK_ENTRIES";

/// A restore runs on a thread of its own (jmt's restore is neither `Send` nor quick): the
/// driver hands it chunks and is told what became of each.
struct Restorer {
    jobs: std::sync::mpsc::Sender<Job>,
    after: Option<catena_primitives::Hash>,
    complete: bool,
    entries: u64,
}

enum Job {
    Add(SnapshotChunk, oneshot::Sender<Added>),
    Finish(
        Box<(Block, CommitCertificate, catena_runtime::BlockContext)>,
        oneshot::Sender<Result<catena_storage::Tip, SnapshotError>>,
    ),
}

/// What adding a chunk did, and where the restore stands after it.
struct Added {
    outcome: Result<(), SnapshotError>,
    after: Option<catena_primitives::Hash>,
    complete: bool,
    entries: u64,
}

impl Restorer {
    async fn start(
        store: catena_storage::Store,
        height: u64,
        root: catena_primitives::Hash,
    ) -> Result<Restorer, ChainError> {
        let (jobs, receive) = std::sync::mpsc::channel::<Job>();
        let (started, start) = oneshot::channel();
        std::thread::Builder::new()
            .name("state-sync".into())
            .spawn(move || {
                let mut restore = match store.restore(height, root) {
                    Ok(restore) => {
                        let _ = started.send(Ok(()));
                        restore
                    }
                    Err(e) => {
                        let _ = started.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = receive.recv() {
                    match job {
                        Job::Add(chunk, reply) => {
                            let outcome = restore.add(chunk);
                            let _ = reply.send(Added {
                                outcome,
                                after: restore.after(),
                                complete: restore.is_complete(),
                                entries: restore.entries,
                            });
                        }
                        Job::Finish(parts, reply) => {
                            let (block, certificate, context) = *parts;
                            let _ = reply.send(
                                reindex(&restore, &context)
                                    .and_then(|()| restore.finish(&block, &certificate)),
                            );
                            return;
                        }
                    }
                }
            })
            .map_err(|e| ChainError::StateSync(format!("cannot start its thread: {e}")))?;
        start
            .await
            .map_err(|_| ChainError::StateSync("its thread stopped".into()))??;
        Ok(Restorer {
            jobs,
            after: None,
            complete: false,
            entries: 0,
        })
    }

    fn after(&self) -> Option<catena_primitives::Hash> {
        self.after
    }

    fn is_complete(&self) -> bool {
        self.complete
    }

    async fn add(&mut self, chunk: SnapshotChunk) -> Result<(), SnapshotError> {
        let (reply, added) = oneshot::channel();
        let stopped = || SnapshotError::Invalid("the restore's thread stopped".into());
        self.jobs
            .send(Job::Add(chunk, reply))
            .map_err(|_| stopped())?;
        let added = added.await.map_err(|_| stopped())?;
        self.after = added.after;
        self.complete = added.complete;
        self.entries = added.entries;
        added.outcome
    }

    /// Derives the contracts' index entries from the restored state (the snapshot does not
    /// carry them: ADR 0049), then completes the restore with `block` and its certificate.
    async fn finish(
        self,
        block: Block,
        certificate: CommitCertificate,
        context: catena_runtime::BlockContext,
    ) -> Result<catena_storage::Tip, SnapshotError> {
        let (reply, finished) = oneshot::channel();
        let stopped = || SnapshotError::Invalid("the restore's thread stopped".into());
        self.jobs
            .send(Job::Finish(Box::new((block, certificate, context)), reply))
            .map_err(|_| stopped())?;
        finished.await.map_err(|_| stopped())?
    }
}

/// Writes every index entry the restored state's contracts derive from it (ADR 0049). The state
/// proved against its certified root, so a failure here is this node's, not the peers'.
fn reindex(
    restore: &catena_storage::snapshot::Restore,
    context: &catena_runtime::BlockContext,
) -> Result<(), SnapshotError> {
    let state = crate::chain::StoreState(restore.store());
    let entries = catena_runtime::indexes::rebuild_indexes(&state, context, |page| {
        restore.put_indexes(&page).map_err(|e| e.to_string())
    })
    .map_err(|reason| {
        SnapshotError::Storage(catena_storage::StorageError::Corrupt(format!(
            "the contracts' index entries cannot be derived from the restored state: {reason}"
        )))
    })?;
    tracing::info!(target: "sync", entries, "index entries derived from the restored state");
    Ok(())
}

/// A chunk asked for ahead of need.
struct Ahead {
    peer: PeerId,
    from: Option<catena_primitives::Hash>,
    answer: tokio::task::JoinHandle<Option<Vec<u8>>>,
}

/// Asks `peer` for the chunk of the state at `height` after `after`, in a task of its own, so
/// that the restore checks and writes one chunk while the next is on its way.
fn ask_chunk(
    network: &NetworkHandle,
    peer: PeerId,
    height: u64,
    after: Option<catena_primitives::Hash>,
    max_entries: u32,
) -> tokio::task::JoinHandle<Option<Vec<u8>>> {
    let network = network.clone();
    let request = PeerRequest::SnapshotChunk {
        height,
        after,
        max_entries,
    };
    tokio::spawn(async move { ask(&network, peer, request).await })
}

/// Sends `request` to `peer`; its answer, or `None` if it failed or took over
/// [`REQUEST_DEADLINE`].
async fn ask(network: &NetworkHandle, peer: PeerId, request: PeerRequest) -> Option<Vec<u8>> {
    tokio::time::timeout(REQUEST_DEADLINE, network.request(peer, request.encode()))
        .await
        .ok()?
        .ok()
}
