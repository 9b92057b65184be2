//! A full disk (TEST-PLAN, issue 19 item 9): a node whose data directory fills up under load
//! stops with a message that says so, acknowledges nothing it could not make durable, and once
//! space is freed it restarts unattended with every transaction it answered 202 committed.
//!
//! The node's home is a small tmpfs mounted for the test, so this needs root (as the partition
//! tests' network namespaces do); without it the test says so and checks nothing.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use catena_primitives::{Call, Transaction};
use common::{wait_for, TestNode};

/// A tmpfs mounted for the life of the test.
struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes zeros to `path` until the file system has no room left; the bytes written.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("filler");
    let block = vec![0u8; 1 << 20];
    let mut written = 0u64;
    loop {
        match file.write(&block) {
            Ok(0) | Err(_) => break,
            Ok(n) => written += n as u64,
        }
    }
    let _ = file.sync_all();
    written
}

#[test]
fn a_full_disk_stops_the_node_clearly_and_loses_nothing_acknowledged() {
    let dir = common::test_dir();
    let Some(_mount) = Mount::tmpfs(&dir.path().join("fs"), "256m") else {
        println!("skipped: mounting a tmpfs needs root");
        return;
    };
    let fs = dir.path().join("fs");
    let mut node = TestNode::dev(&fs, 200);
    let chain_id = node.chain_id();
    let key = node.demo_key("tier1-steel");
    wait_for("a few blocks", Duration::from_secs(30), || {
        (node.height() >= 3).then_some(())
    });

    // Transactions flow; then the disk fills up.
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    let mut nonce = node.next_nonce(&key);
    let mut send = |node: &TestNode, acknowledged: &mut Vec<String>, refused: &mut u32| {
        let text = format!("remark {nonce} {}", "x".repeat(2_000));
        let tx = Transaction::signed(&chain_id, nonce, Call::Remark(text.into_bytes()), &key);
        match common::submit_quietly(node, &tx) {
            Some(reply) if reply.status == 202 => {
                acknowledged.push(tx.hash().to_string());
                nonce += 1;
            }
            // Refused while the node still answers: told to retry, with the reason.
            Some(reply) => {
                assert_eq!(reply.status, 503, "{}", reply.body);
                assert!(
                    reply.body.to_string().contains("No space left on device"),
                    "{}",
                    reply.body
                );
                *refused += 1;
            }
            // The node has stopped.
            None => {}
        }
    };
    for _ in 0..50 {
        send(&node, &mut acknowledged, &mut refused);
    }
    let filled = fill(&fs.join("filler"));
    println!(
        "filled {} MiB; {} transactions acknowledged before",
        filled >> 20,
        acknowledged.len()
    );

    // Keep sending: the node stops on its own, saying why.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = node
            .child
            .as_mut()
            .and_then(|c| c.try_wait().expect("wait"))
        {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the node kept running on a full disk for 60 s; its log:\n{}",
            node.log()
        );
        send(&node, &mut acknowledged, &mut refused);
        std::thread::sleep(Duration::from_millis(20));
    };
    node.child = None;
    let log = node.log();
    assert!(
        !status.success(),
        "a node stopped by a full disk exits with failure"
    );
    assert!(
        log.contains("The disk is full: no space left on the device")
            && log.contains("start it again"),
        "the node's message names the full disk; its log:\n{log}"
    );
    println!(
        "stopped after {:.1} s ({status}); {} acknowledged in all, {refused} refused",
        started.elapsed().as_secs_f64(),
        acknowledged.len()
    );

    // Still full: it refuses to start, saying the same.
    let home = node.home.to_str().expect("utf-8").to_string();
    let out = common::catena_within(&["node", "--home", &home], Duration::from_secs(60));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started on a full disk");
    assert!(err.contains("The disk is full"), "{err}");

    // Space freed: it starts again by itself, and everything it acknowledged commits.
    std::fs::remove_file(fs.join("filler")).expect("free the space");
    node.start();
    common::wait_all_committed(&node, &acknowledged, Duration::from_secs(120));
    let height = node.height();
    wait_for("blocks after the restart", Duration::from_secs(30), || {
        (node.height() >= height + 2).then_some(())
    });
    assert!(node.stop().success());
}
