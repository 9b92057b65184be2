//! Real libp2p swarms on 127.0.0.1: permissioning, gossip, request-response, bans.

use std::time::Duration;

use catena_network::{
    Event, Events, Network, NetworkConfig, NetworkHandle, Topic, BAN_THRESHOLD, MAX_QUEUED_MESSAGES,
};
use libp2p::{Multiaddr, PeerId};

const MAX: usize = 64 * 1024;

fn free_address() -> Multiaddr {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    format!("/ip4/127.0.0.1/tcp/{port}")
        .parse()
        .expect("multiaddr")
}

struct Node {
    handle: NetworkHandle,
    events: Events,
}

/// Starts one node per seed; every node allows exactly the peers in `allowed`.
fn start(
    seeds: &[[u8; 32]],
    allowed: &[(PeerId, Multiaddr)],
    addresses: &[Multiaddr],
) -> Vec<Node> {
    seeds
        .iter()
        .zip(addresses)
        .map(|(seed, address)| {
            let (network, handle, events) = Network::new(NetworkConfig {
                chain_id: "test".into(),
                secret_seed: *seed,
                listen: address.clone(),
                peers: allowed.to_vec(),
                max_message_bytes: MAX,
                allowed: Vec::new(),
                request_timeout: Duration::from_secs(3),
            })
            .expect("network");
            tokio::spawn(network.run());
            Node { handle, events }
        })
        .collect()
}

/// Waits (up to 30 s) for an event matching `pick`, skipping others.
async fn wait_for<T>(
    events: &mut Events,
    what: &str,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let event = events.recv().await.expect("network running");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Seeds, the allowed (peer, address) list, and listen addresses of `n` nodes.
type Plan = (Vec<[u8; 32]>, Vec<(PeerId, Multiaddr)>, Vec<Multiaddr>);

fn network(n: u8) -> Plan {
    let seeds: Vec<[u8; 32]> = (1..=n).map(|i| [i; 32]).collect();
    let addresses: Vec<Multiaddr> = (0..n).map(|_| free_address()).collect();
    let peers = seeds
        .iter()
        .zip(&addresses)
        .map(|(s, a)| (catena_network::peer_id_of(*s).expect("key"), a.clone()))
        .collect();
    (seeds, peers, addresses)
}

async fn wait_connected(node: &Node, count: usize) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while node.handle.connected_peers().await.expect("running").len() < count {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("peers connect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_gossip_and_sync_and_outsiders_are_refused() {
    let (seeds, peers, addresses) = network(3);
    let mut nodes = start(&seeds, &peers, &addresses);
    for node in &nodes {
        wait_connected(node, 2).await;
    }

    // An outsider with a valid key of its own, which lists node 0 as a peer, is refused.
    let outsider_seed = [99u8; 32];
    let outsider_address = free_address();
    let mut outsider = start(&[outsider_seed], &[peers[0].clone()], &[outsider_address]);
    wait_for(&mut nodes[0].events, "the outsider's refusal", |e| {
        matches!(e, Event::Refused { .. }).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(outsider[0]
        .handle
        .connected_peers()
        .await
        .expect("running")
        .is_empty());
    assert!(!nodes[0]
        .handle
        .connected_peers()
        .await
        .expect("running")
        .contains(&catena_network::peer_id_of(outsider_seed).expect("key")));

    // Gossip reaches every member. Subscriptions travel after connecting: publish until heard.
    let heard = {
        let publisher = nodes[0].handle.clone();
        let publishing = tokio::spawn(async move {
            loop {
                publisher
                    .publish(Topic::Consensus, b"vote".to_vec())
                    .await
                    .expect("publish");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let (_, rest) = nodes.split_at_mut(1);
        for node in rest.iter_mut() {
            let (source, id) = wait_for(&mut node.events, "gossip", |e| match e {
                Event::Gossip {
                    topic: Topic::Consensus,
                    source,
                    message_id,
                    data,
                } if data == b"vote" => Some((source, message_id)),
                _ => None,
            })
            .await;
            node.handle
                .report(id, source, catena_network::Verdict::Valid)
                .await
                .expect("report");
        }
        publishing.abort();
        true
    };
    assert!(heard);

    // Request-response: node 1 asks node 0.
    let asker = nodes[1].handle.clone();
    let target = peers[0].0;
    let request =
        tokio::spawn(async move { asker.request(target, b"blocks from 5".to_vec()).await });
    let (id, data) = wait_for(&mut nodes[0].events, "a request", |e| match e {
        Event::Request { id, data, .. } => Some((id, data)),
        _ => None,
    })
    .await;
    assert_eq!(data, b"blocks from 5");
    nodes[0]
        .handle
        .respond(id, b"block 5".to_vec())
        .await
        .expect("respond");
    assert_eq!(request.await.expect("task").expect("response"), b"block 5");

    // An oversized request fails and never reaches the node's logic.
    let big = nodes[1].handle.request(target, vec![0u8; MAX + 1]).await;
    assert!(big.is_err(), "a request over the limit is refused: {big:?}");
    // A request the responder drops (never answers) is an error, not an empty response.
    let asker = nodes[1].handle.clone();
    let unanswered = tokio::spawn(async move { asker.request(target, b"ignored".to_vec()).await });
    let (id, _) = wait_for(&mut nodes[0].events, "a request", |e| match e {
        Event::Request { id, data, .. } => Some((id, data)),
        _ => None,
    })
    .await;
    let _ = id; // not answered
    let outcome = tokio::time::timeout(Duration::from_secs(30), unanswered)
        .await
        .expect("times out")
        .expect("task");
    assert!(outcome.is_err(), "an unanswered request fails: {outcome:?}");

    // Node 2 bans node 1 after BAN_THRESHOLD invalid reports; the connection drops.
    let offender = peers[1].0;
    for _ in 0..BAN_THRESHOLD {
        nodes[2]
            .handle
            .report_invalid(offender)
            .await
            .expect("report");
    }
    wait_for(&mut nodes[2].events, "the ban", |e| {
        matches!(e, Event::Banned(p) if p == offender).then_some(())
    })
    .await;
    tokio::time::timeout(Duration::from_secs(30), async {
        while nodes[2]
            .handle
            .connected_peers()
            .await
            .expect("running")
            .contains(&offender)
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the banned peer is disconnected");
    drop(outsider.pop());
}

async fn connected_to(node: &Node, peer: PeerId) -> bool {
    node.handle
        .connected_peers()
        .await
        .expect("running")
        .contains(&peer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_link_stays_cut_until_restored() {
    let (seeds, peers, addresses) = network(2);
    let nodes = start(&seeds, &peers, &addresses);
    wait_connected(&nodes[0], 1).await;
    let other = peers[1].0;

    // Cut on node 0's side only: the connection closes and neither side's redial gets through.
    nodes[0]
        .handle
        .set_blocked([other].into())
        .await
        .expect("block");
    tokio::time::timeout(Duration::from_secs(30), async {
        while connected_to(&nodes[0], other).await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the cut link closes");
    // Longer than two redial periods of node 1, which still dials node 0.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(!connected_to(&nodes[0], other).await);
    assert!(!connected_to(&nodes[1], peers[0].0).await);

    nodes[0]
        .handle
        .set_blocked(Default::default())
        .await
        .expect("restore");
    wait_connected(&nodes[0], 1).await;
    wait_connected(&nodes[1], 1).await;
}

/// A node that does not take its events (busy judging a flood) neither stalls its network task
/// nor holds more than the queue's bound: the flood past it is dropped and counted, and its
/// connection stays up (pings are answered) far longer than the ping timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_does_not_keep_up_drops_the_excess_and_keeps_its_connections() {
    let (seeds, peers, addresses) = network(2);
    let mut nodes = start(&seeds, &peers, &addresses);
    wait_connected(&nodes[0], 1).await;
    wait_connected(&nodes[1], 1).await;
    let sender = nodes[0].handle.clone();
    let flooded = nodes[1].handle.clone();

    // Node 1 takes no event from here on. Subscriptions travel after connecting: publish until
    // node 1's queue overflows.
    let flood = tokio::spawn(async move {
        let mut sent = 0u64;
        while flooded.dropped() == 0 {
            for _ in 0..256 {
                sent += 1;
                let data = sent.to_le_bytes().repeat(64);
                let _ = sender.publish(Topic::Transactions, data).await;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        sent
    });
    let sent = tokio::time::timeout(Duration::from_secs(60), flood)
        .await
        .expect("node 1's queue overflows")
        .expect("flood");
    let dropped = nodes[1].handle.dropped();
    println!("published {sent}, node 1 dropped {dropped} past its queue");
    assert!(nodes[1].events.queued_bytes() <= MAX_QUEUED_MESSAGES * 512);

    // Three ping timeouts later, still connected both ways, and the network task still answers.
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert!(connected_to(&nodes[1], peers[0].0).await);
    assert!(connected_to(&nodes[0], peers[1].0).await);

    // What waited is exactly the bound, in order, then the queue has room again.
    let mut gossip = 0;
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(200), nodes[1].events.recv()).await
    {
        if matches!(event, Event::Gossip { .. }) {
            gossip += 1;
        }
    }
    assert_eq!(gossip, MAX_QUEUED_MESSAGES);
    assert_eq!(nodes[1].events.queued_bytes(), 0);
    nodes[0]
        .handle
        .publish(Topic::Transactions, b"after".to_vec())
        .await
        .expect("publish");
    wait_for(
        &mut nodes[1].events,
        "a message after the flood",
        |e| match e {
            Event::Gossip { data, .. } if data == b"after" => Some(()),
            _ => None,
        },
    )
    .await;
}
