//! Cutting the links between the validators of a [`crate::TestNetwork`] built with
//! [`crate::network::Builder::cuttable_links`], in one of two ways (printed when the network is
//! created):
//! - as root with `ip` and network namespaces available: each validator runs in its own
//!   namespace, joined to a bridge by a veth pair; a cut is a `prohibit` route in the namespace
//!   to the address across it;
//! - otherwise: the node's own link switch (`CATENA_TEST_CUT_LINKS_FILE`), which closes and
//!   refuses the connections to the listed peers inside the libp2p transport.
//!
//! `CATENA_PARTITION_MODE=switch` forces the second way.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use catena_launcher::process;

use crate::node::TestNode;

/// How the links between validators are cut.
#[derive(Debug)]
pub enum Links {
    Namespaces(Namespaces),
    /// One cut-links file per validator, and every validator's peer id.
    Switch {
        files: Vec<PathBuf>,
        peer_ids: Vec<String>,
    },
}

/// One network namespace per validator on a bridge of the root namespace.
#[derive(Debug)]
pub struct Namespaces {
    tag: String,
    subnet: String,
    count: usize,
    /// (namespace index, blocked address) of every route added for the current partition.
    routes: Vec<(usize, String)>,
}

/// How long one `ip` or `id` command may take.
const COMMAND_DEADLINE: Duration = Duration::from_secs(30);

fn ip(args: &[&str]) -> Result<(), String> {
    let out =
        process::run(Command::new("ip").args(args), COMMAND_DEADLINE).map_err(|e| e.to_string())?;
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
    /// Sets up `count` namespaces, or says why it cannot.
    pub fn create(count: usize) -> Result<Namespaces, String> {
        let uid = process::run(Command::new("id").arg("-u"), COMMAND_DEADLINE)
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not running as root".into());
        }
        let pid = std::process::id();
        let namespaces = Namespaces {
            tag: format!("cat{}", pid % 100_000),
            subnet: format!("10.213.{}", pid % 250),
            count,
            routes: Vec::new(),
        };
        namespaces.set_up()?;
        Ok(namespaces)
    }

    fn namespace(&self, i: usize) -> String {
        format!("{}n{i}", self.tag)
    }

    /// Validator `i`'s address (from 0).
    pub fn address(&self, i: usize) -> String {
        format!("{}.{}", self.subnet, 10 + i)
    }

    fn set_up(&self) -> Result<(), String> {
        let bridge = format!("{}br", self.tag);
        ip(&["link", "add", &bridge, "type", "bridge"])?;
        let bridge_address = format!("{}.1/24", self.subnet);
        ip(&["addr", "add", &bridge_address, "dev", &bridge])?;
        ip(&["link", "set", &bridge, "up"])?;
        for i in 0..self.count {
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

    fn route(&self, action: &str, from: usize, route: &str) {
        let ns = self.namespace(from);
        ip(&["-n", &ns, "route", action, "prohibit", route])
            .unwrap_or_else(|e| panic!("route {action}: {e}"));
    }

    fn block(&mut self, from: usize, to: usize) {
        let route = format!("{}/32", self.address(to));
        self.route("add", from, &route);
        self.routes.push((from, route));
    }

    fn heal(&mut self) {
        for (from, route) in std::mem::take(&mut self.routes) {
            self.route("del", from, &route);
        }
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting one end of a veth pair deletes both.
        for i in 0..self.count {
            let _ = ip(&["link", "del", &format!("{}v{i}", self.tag)]);
            let _ = ip(&["netns", "del", &self.namespace(i)]);
        }
        let _ = ip(&["link", "del", &format!("{}br", self.tag)]);
    }
}

impl Links {
    /// Namespaces for `count` validators when possible (and not forced off), else `None`; the
    /// reason is printed.
    pub(crate) fn namespaces(count: usize) -> Option<Namespaces> {
        let attempt = if std::env::var("CATENA_PARTITION_MODE").as_deref() == Ok("switch") {
            Err("CATENA_PARTITION_MODE=switch".to_string())
        } else {
            Namespaces::create(count)
        };
        match attempt {
            Ok(ns) => {
                println!(
                    "links: network namespaces with veth pairs on a bridge ({}.0/24); cuts are prohibit routes",
                    ns.subnet
                );
                Some(ns)
            }
            Err(reason) => {
                println!(
                    "links: the link switch inside the node's transport (namespaces not used: {reason})"
                );
                None
            }
        }
    }

    /// Makes each node run in its namespace, or watch its cut-links file in `dir`.
    pub(crate) fn attach(
        namespaces: Option<Namespaces>,
        nodes: &mut [TestNode],
        peer_ids: Vec<String>,
        dir: &Path,
    ) -> Links {
        match namespaces {
            Some(ns) => {
                for (i, node) in nodes.iter_mut().enumerate() {
                    node.launcher =
                        vec!["ip".into(), "netns".into(), "exec".into(), ns.namespace(i)];
                }
                Links::Namespaces(ns)
            }
            None => {
                let mut files = Vec::new();
                for (i, node) in nodes.iter_mut().enumerate() {
                    let file = dir.join(format!("node-{}.cut", i + 1));
                    std::fs::write(&file, "").expect("cut-links file");
                    node.env = vec![(
                        "CATENA_TEST_CUT_LINKS_FILE".into(),
                        file.to_string_lossy().into(),
                    )];
                    files.push(file);
                }
                Links::Switch { files, peer_ids }
            }
        }
    }

    /// Cuts every link between validators in different groups (indices from 0).
    pub fn partition(&mut self, groups: &[&[usize]]) {
        let group_of = |i: usize| groups.iter().position(|g| g.contains(&i)).expect("grouped");
        match self {
            Links::Namespaces(namespaces) => {
                for i in 0..namespaces.count {
                    for j in 0..namespaces.count {
                        if group_of(i) != group_of(j) {
                            namespaces.block(i, j);
                        }
                    }
                }
            }
            Links::Switch { files, peer_ids } => {
                for (i, file) in files.iter().enumerate() {
                    let cut: Vec<&str> = (0..peer_ids.len())
                        .filter(|j| group_of(i) != group_of(*j))
                        .map(|j| peer_ids[j].as_str())
                        .collect();
                    std::fs::write(file, cut.join("\n")).expect("write the cut links");
                }
            }
        }
    }

    /// Restores every link.
    pub fn heal(&mut self) {
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
