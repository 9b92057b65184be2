//! Backup and restore that cannot make a validator sign twice (issue 19 item 8; ADR 0034), on a
//! running 4-validator network:
//! - an old copy of a validator's whole `data/` (an older vote log with it) put back: the node
//!   sees from its signing mark, kept apart from the data, that it signed above what that log
//!   holds, signs nothing at or below the mark, and signs again above it; no equivocation is
//!   seen or recorded anywhere;
//! - `catena backup` / `catena restore` of the same validator: the stores go back, the vote log
//!   and mark stay, the node signs on at once; the store it replaced is kept;
//! - a restore into a running node, or of a file that is no backup, is refused and changes
//!   nothing.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{catena, wait_for, TestNetwork};

/// Copies directory `from` to `to` (which must not exist), recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Waits until a block above `above` was proposed by `account` or carries its signature in its
/// certificate: the validator signs again.
fn wait_signed_above(net: &TestNetwork, account: &str, above: u64, what: &str) -> u64 {
    let node = &net.nodes[0];
    let mut next = above + 1;
    wait_for(what, Duration::from_secs(120), || {
        while next <= node.height() {
            let block = node.get_ok(&format!("/blocks/{next}"));
            let signed = block["proposer"] == account
                || block["certificate"]["signatures"]
                    .as_array()
                    .expect("signatures")
                    .iter()
                    .any(|s| s["validator"] == account);
            if signed {
                return Some(next);
            }
            next += 1;
        }
        None
    })
}

fn run(args: &[&str]) -> (bool, String) {
    let out = catena(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn restored_validators_never_sign_twice() {
    let dir = common::test_dir();
    let mut net = common::network().block_time_ms(300).start();
    net.wait_all(3, "3 heights");
    let v = 3;
    let account = net.spec_json()["validators"][v]["account"]
        .as_str()
        .expect("account")
        .to_string();
    let home = net.nodes[v].home.clone();
    let home_arg = home.to_str().expect("utf-8").to_string();
    let data = home.join("data");

    // Copies of the stopped validator: the naive one, and `catena backup`.
    net.stop(v);
    let copied_at = common::height_of(&net.nodes[0]).expect("height");
    copy_dir(&data, &dir.path().join("old-data"));
    let backup = dir.path().join("v4.backup");
    let backup_arg = backup.to_str().expect("utf-8");
    let (ok, text) = run(&["backup", "--home", &home_arg, "--out", backup_arg]);
    assert!(ok, "{text}");
    assert!(text.contains("backup written to"), "{text}");
    net.restart(v);
    let signed_after_copy = wait_signed_above(&net, &account, copied_at + 5, "v4 signing on");

    // v4 goes on signing in a height the chain cannot decide (v2 and v3 are down: two of
    // four), then stops there; its signing mark is in that height.
    net.stop(1);
    net.stop(2);
    std::thread::sleep(Duration::from_secs(3));
    net.stop(v);
    let mark: serde_json::Value = serde_json::from_slice(
        &std::fs::read(home.join("signing/catena-local.json")).expect("the signing mark"),
    )
    .expect("json");
    let mark_height = mark["height"].as_u64().expect("height");
    assert!(mark_height > signed_after_copy, "{mark}");

    // The naive restore: the old data directory, older vote log and all.
    std::fs::remove_dir_all(&data).expect("remove data");
    copy_dir(&dir.path().join("old-data"), &data);
    net.restart(1);
    net.restart(2);
    net.restart(v);
    let warning = format!(
        "this validator signed at height {mark_height} round {}, above what its vote log holds",
        mark["round"]
    );
    wait_for("v4 to name its mark", Duration::from_secs(30), || {
        net.nodes[v].log().contains(&warning).then_some(())
    });
    let back = wait_signed_above(&net, &account, mark_height, "v4 signing above its mark");
    common::assert_no_equivocation(&net.nodes);

    // Refused, changing nothing: a restore into the running node, a file that is no backup.
    let (ok, text) = run(&["restore", "--home", &home_arg, backup_arg]);
    assert!(!ok && text.contains("is the node still running"), "{text}");
    net.stop(v);
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, b"not a tar archive at all").expect("junk");
    let (ok, text) = run(&[
        "restore",
        "--home",
        &home_arg,
        junk.to_str().expect("utf-8"),
    ]);
    assert!(!ok, "{text}");
    let listing = |d: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(d)
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        names
    };
    let chain_dir = data.join("chains").join("catena-local");
    let before = listing(&chain_dir);

    // `catena restore` of the backup: stores back, vote log and mark kept.
    let (ok, text) = run(&["restore", "--home", &home_arg, backup_arg]);
    assert!(ok, "{text}");
    assert!(text.contains("store restored at height"), "{text}");
    assert!(
        text.contains("the vote log and signing mark were kept"),
        "{text}"
    );
    let after = listing(&chain_dir);
    assert!(
        after
            .iter()
            .any(|n| n.to_string_lossy().starts_with("db.replaced-")),
        "the replaced store is kept: {after:?} (before: {before:?})"
    );
    let floor_named = "signs nothing at or below that round";
    let floors = net.nodes[v].log().matches(floor_named).count();
    net.restart(v);
    let signed_again = wait_signed_above(&net, &account, back, "v4 signing after the restore");
    assert_eq!(
        net.nodes[v].log().matches(floor_named).count(),
        floors,
        "after `catena restore` the vote log is as new as the mark: no floor"
    );
    // `catena purge`: asked first, then the store is gone and the node syncs it back from its
    // peers, its vote log and mark kept; it signs again.
    net.stop(v);
    let (ok, text) = run(&["purge", "--home", &home_arg]);
    assert!(!ok && text.contains("pass --yes"), "{text}");
    assert!(
        chain_dir.join("db").exists(),
        "nothing deleted without --yes"
    );
    let (ok, text) = run(&["purge", "--home", &home_arg, "--yes", "--output", "json"]);
    assert!(ok, "{text}");
    assert!(text.contains("\"purged\""), "{text}");
    assert!(!chain_dir.join("db").exists());
    assert!(chain_dir.join("votes.wal").exists(), "the vote log stays");
    let purged_at = common::height_of(&net.nodes[0]).expect("height");
    net.restart(v);
    let signed_after_purge =
        wait_signed_above(&net, &account, purged_at, "v4 signing after a purge");
    common::assert_no_equivocation(&net.nodes);
    println!(
        "backup at height {copied_at}; mark at height {mark_height}; after the naive restore v4 \
         signed again at height {back}, after `catena restore` at height {signed_again}, after \
         `catena purge` at height {signed_after_purge}; no equivocation"
    );
}
