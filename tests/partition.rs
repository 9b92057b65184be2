//! Network partitions of a 4-validator testnet of real processes: a 3|1 split keeps the
//! majority committing; a 2|2 split commits nothing on either side and forks nothing, and after
//! healing commits resume (within 10 s).
//!
//! How links are cut, printed at the start of the run:
//! - as root with `ip` and network namespaces available: each validator runs in its own
//!   namespace, joined to a bridge by a veth pair; a partition is a `prohibit` route in each
//!   namespace to every address across the split;
//! - otherwise: the node's own link switch (`CATENA_TEST_CUT_LINKS_FILE`), which closes and
//!   refuses the connections to the listed peers inside the libp2p transport.
//!
//! `CATENA_PARTITION_MODE=switch` forces the second way.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use catena_primitives::{Call, Transaction};
use common::{height_of, wait_all_at_least, wait_for, TestNetwork, TestNode};
use serde_json::Value;

const N: usize = 4;

/// How the links between validators are cut.
enum Links {
    Namespaces(Namespaces),
    /// One cut-links file per validator, and every validator's peer id.
    Switch {
        files: Vec<PathBuf>,
        peer_ids: Vec<String>,
    },
}

/// One network namespace per validator on a bridge of the root namespace.
struct Namespaces {
    tag: String,
    subnet: String,
    /// (namespace index, blocked address) of every route added for the current partition.
    routes: Vec<(usize, String)>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Namespaces {
    /// Sets up the namespaces, or says why it cannot.
    fn create() -> Result<Namespaces, String> {
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not running as root".into());
        }
        let pid = std::process::id();
        let namespaces = Namespaces {
            tag: format!("cat{}", pid % 100_000),
            subnet: format!("10.213.{}", pid % 250),
            routes: Vec::new(),
        };
        namespaces.set_up()?;
        Ok(namespaces)
    }

    fn namespace(&self, i: usize) -> String {
        format!("{}n{i}", self.tag)
    }

    fn address(&self, i: usize) -> String {
        format!("{}.{}", self.subnet, 10 + i)
    }

    fn set_up(&self) -> Result<(), String> {
        let bridge = format!("{}br", self.tag);
        ip(&["link", "add", &bridge, "type", "bridge"])?;
        ip(&[
            "addr",
            "add",
            &format!("{}.1/24", self.subnet),
            "dev",
            &bridge,
        ])?;
        ip(&["link", "set", &bridge, "up"])?;
        for i in 0..N {
            let ns = self.namespace(i);
            let outer = format!("{}v{i}", self.tag);
            let inner = format!("{}p{i}", self.tag);
            ip(&["netns", "add", &ns])?;
            ip(&[
                "link", "add", &outer, "type", "veth", "peer", "name", &inner,
            ])?;
            ip(&["link", "set", &inner, "netns", &ns])?;
            ip(&["link", "set", &outer, "master", &bridge])?;
            ip(&["link", "set", &outer, "up"])?;
            let address = format!("{}/24", self.address(i));
            ip(&["-n", &ns, "addr", "add", &address, "dev", &inner])?;
            ip(&["-n", &ns, "link", "set", &inner, "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        }
        Ok(())
    }

    fn block(&mut self, from: usize, to: usize) {
        let route = format!("{}/32", self.address(to));
        ip(&[
            "-n",
            &self.namespace(from),
            "route",
            "add",
            "prohibit",
            &route,
        ])
        .expect("add a prohibit route");
        self.routes.push((from, route));
    }

    fn heal(&mut self) {
        for (from, route) in std::mem::take(&mut self.routes) {
            ip(&[
                "-n",
                &self.namespace(from),
                "route",
                "del",
                "prohibit",
                &route,
            ])
            .expect("remove a prohibit route");
        }
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting one end of a veth pair deletes both.
        for i in 0..N {
            let _ = ip(&["link", "del", &format!("{}v{i}", self.tag)]);
            let _ = ip(&["netns", "del", &self.namespace(i)]);
        }
        let _ = ip(&["link", "del", &format!("{}br", self.tag)]);
    }
}

impl Links {
    /// Cuts every link between validators in different groups.
    fn partition(&mut self, groups: &[&[usize]]) {
        let group_of = |i: usize| groups.iter().position(|g| g.contains(&i)).expect("grouped");
        match self {
            Links::Namespaces(namespaces) => {
                for i in 0..N {
                    for j in 0..N {
                        if group_of(i) != group_of(j) {
                            namespaces.block(i, j);
                        }
                    }
                }
            }
            Links::Switch { files, peer_ids } => {
                for (i, file) in files.iter().enumerate() {
                    let cut: Vec<&str> = (0..N)
                        .filter(|j| group_of(i) != group_of(*j))
                        .map(|j| peer_ids[j].as_str())
                        .collect();
                    std::fs::write(file, cut.join("\n")).expect("write the cut links");
                }
            }
        }
    }

    fn heal(&mut self) {
        match self {
            Links::Namespaces(namespaces) => namespaces.heal(),
            Links::Switch { files, .. } => {
                for file in files {
                    std::fs::write(file, "").expect("clear the cut links");
                }
            }
        }
    }
}

/// Builds the network (chain spec and the four homes); returns the links and the network (its
/// nodes not started).
/// Bound in this order, the nodes are dropped (killed) before their namespaces are removed.
fn set_up(dir: &Path) -> (Links, TestNetwork) {
    let forced_switch = std::env::var("CATENA_PARTITION_MODE").as_deref() == Ok("switch");
    let namespaces = if forced_switch {
        Err("CATENA_PARTITION_MODE=switch".to_string())
    } else {
        Namespaces::create()
    };
    let mut builder = common::network().dir(dir).block_time_ms(300);
    if let Ok(ns) = &namespaces {
        // Every validator on its own address with fixed ports; else all on 127.0.0.1.
        builder = builder.hosts((0..N).map(|i| ns.address(i)).collect());
    }
    let mut net = builder.create();
    let spec: Value =
        serde_json::from_slice(&std::fs::read(net.network.spec_path()).expect("spec"))
            .expect("json");
    let peer_ids: Vec<String> = (0..N)
        .map(|i| {
            spec["validators"][i]["peer_id"]
                .as_str()
                .expect("peer id")
                .to_string()
        })
        .collect();
    let mut files = Vec::new();
    for (i, node) in net.nodes.iter_mut().enumerate() {
        match &namespaces {
            Ok(ns) => {
                node.launcher = vec!["ip".into(), "netns".into(), "exec".into(), ns.namespace(i)];
            }
            Err(_) => {
                let file = dir.join(format!("node-{}.cut", i + 1));
                std::fs::write(&file, "").expect("cut-links file");
                node.env = vec![(
                    "CATENA_TEST_CUT_LINKS_FILE".into(),
                    file.to_string_lossy().into(),
                )];
                files.push(file);
            }
        }
    }
    let links = match namespaces {
        Ok(ns) => {
            println!(
                "partition test: network namespaces with veth pairs on a bridge ({}.0/24); cuts are prohibit routes",
                ns.subnet
            );
            Links::Namespaces(ns)
        }
        Err(reason) => {
            println!(
                "partition test: the link switch inside the node's transport (namespaces not used: {reason})"
            );
            Links::Switch { files, peer_ids }
        }
    };
    (links, net)
}

fn heights(nodes: &[TestNode]) -> Vec<u64> {
    nodes
        .iter()
        .map(|n| height_of(n).expect("a running node answers"))
        .collect()
}

#[test]
fn partitions_stall_the_minority_and_never_fork() {
    let dir = common::test_dir();
    let (mut links, mut net) = set_up(dir.path());
    net.start_all();
    let nodes = &mut net.nodes;
    let all: Vec<&TestNode> = nodes.iter().collect();
    wait_all_at_least(&all, 3, "3 heights on every validator");

    // 3|1: validators 1-3 keep committing, with a transaction; validator 4 stops (it may still
    // finish the height it was deciding when the links were cut).
    links.partition(&[&[0, 1, 2], &[3]]);
    let alone_at_cut = height_of(&nodes[3]).expect("height");
    let majority_at_cut = height_of(&nodes[0]).expect("height");
    let supplier = nodes[0].demo_key("tier1-steel");
    let tx = Transaction::signed(
        "catena-local",
        nodes[0].next_nonce(&supplier),
        Call::Remark(b"sent during a 3|1 partition".to_vec()),
        &supplier,
    );
    let reply = nodes[0].submit(&tx);
    assert_eq!(reply.status, 202, "{}", reply.body);
    nodes[1].wait_committed(&tx.hash().to_string());
    wait_all_at_least(
        &all[..3],
        majority_at_cut + 5,
        "the majority to commit 5 blocks",
    );
    let alone = height_of(&nodes[3]).expect("height");
    assert!(
        alone <= alone_at_cut + 1,
        "the isolated validator went from {alone_at_cut} to {alone}"
    );
    println!(
        "3|1: the majority went from {majority_at_cut} to {}; the isolated validator from {alone_at_cut} to {alone}",
        height_of(&nodes[0]).expect("height")
    );

    // Healed: validator 4 catches up and has the transaction too.
    links.heal();
    let healed = Instant::now();
    let tip = height_of(&nodes[0]).expect("height");
    wait_all_at_least(&all[3..], tip, "the isolated validator to catch up");
    println!(
        "3|1 healed: validator 4 back at the tip in {:.1} s",
        healed.elapsed().as_secs_f64()
    );
    nodes[3].wait_committed(&tx.hash().to_string());

    // 2|2: after the blocks in flight settle, nothing commits on either side.
    links.partition(&[&[0, 1], &[2, 3]]);
    let at_cut = heights(nodes);
    // Longer than a ping timeout (4 s), so that every cut connection is closed by now.
    std::thread::sleep(Duration::from_secs(6));
    let settled = heights(nodes);
    // A validator that was behind may still fetch certified blocks from its side, but no new
    // height is decided beyond the one in flight at the cut.
    let highest_at_cut = *at_cut.iter().max().expect("nodes");
    assert!(
        settled.iter().all(|h| *h <= highest_at_cut + 1),
        "a 2|2 side committed: {at_cut:?} -> {settled:?}"
    );
    std::thread::sleep(Duration::from_secs(12));
    let still = heights(nodes);
    assert_eq!(settled, still, "a 2|2 side committed during the partition");
    println!("2|2: heights held at {still:?} for 12 s");

    // Healed: commits resume within 10 s.
    links.heal();
    let healed = Instant::now();
    let top = *still.iter().max().expect("nodes");
    let resumed = wait_for("a commit after healing", Duration::from_secs(120), || {
        nodes
            .iter()
            .any(|n| height_of(n).is_some_and(|h| h > top))
            .then(|| healed.elapsed())
    });
    wait_all_at_least(&all, top + 2, "every validator to commit after healing");
    println!(
        "2|2 healed: first commit after {:.1} s, every validator 2 blocks on after {:.1} s",
        resumed.as_secs_f64(),
        healed.elapsed().as_secs_f64()
    );
    assert!(
        resumed <= Duration::from_secs(10),
        "commits resumed only {resumed:?} after healing"
    );

    // Nothing forked: every validator has the same block at every height.
    let common_height = *heights(nodes).iter().min().expect("nodes");
    for height in 1..=common_height {
        let first = nodes[0].get_ok(&format!("/blocks/{height}"));
        for node in &nodes[1..] {
            let block = node.get_ok(&format!("/blocks/{height}"));
            assert_eq!(block["hash"], first["hash"], "height {height}");
            assert_eq!(block["state_root"], first["state_root"], "height {height}");
        }
    }
    println!("identical blocks on all 4 validators at heights 1..={common_height}");
}
