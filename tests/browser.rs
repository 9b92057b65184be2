//! The explorer in a real browser (issue 18): headless Chromium (Debian's `chromium`), driven by
//! playwright-core (tests/browser/explorer.mjs), against a real node hosting a main chain and a
//! parachain. It searches a voucher id, sees its lineage tree with every part, follows a part to
//! its holder's page, sees a new block arrive live, and signs in to the parachain's pages as a
//! member with the member's key file (signed in the browser). Screenshots of every step are kept
//! in `target/tmp/browser-screenshots/`. `scripts/setup.sh` installs Chromium and the script's
//! npm package when missing.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use catena_testing::cli::Cli;
use common::parachain::keyed_parachains;
use common::story::voucher_story;

/// The browser steps' bound: each step waits at most 30 s, the whole script this long.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(240);

#[test]
fn a_person_in_a_browser_finds_a_voucher_follows_its_parts_sees_blocks_arrive_and_signs_in() {
    let script_dir = common::source_path("../tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "no Chromium at {chromium}: run scripts/setup.sh (it installs Debian's chromium)"
    );
    assert!(
        Path::new(&script_dir)
            .join("node_modules/playwright-core")
            .exists(),
        "playwright-core is not installed in {script_dir}: run scripts/setup.sh (npm ci there)"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let node = keyed_parachains(dir.path(), &["para-a"]);
    let cli = Cli::new(dir.path(), &node.api);
    let story = voucher_story(&cli, dir.path());
    let lineage = node.get_ok(&format!("/vouchers/{}/lineage", story.original));
    let parts: Vec<u64> = lineage
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| p["id"].as_u64().expect("id"))
        .collect();
    assert!(parts.len() >= 5, "{parts:?}");
    // The part Tier 3 holds last in the list, so the browser follows it to its holder.
    let tier3: u64 = story.parts[0].parse().expect("an id");
    let mut ordered: Vec<u64> = parts.iter().copied().filter(|id| *id != tier3).collect();
    ordered.push(tier3);

    let key_file = dir.path().join("keys").join("tier1-steel.json");
    let account = common::read_key_file(&key_file).account().to_string();
    let members = node.get_ok("/members");
    let member = members
        .as_array()
        .expect("members")
        .iter()
        .find(|m| {
            m["accounts"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == &account))
        })
        .and_then(|m| m["name"].as_str())
        .expect("tier1-steel's member")
        .to_string();
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);
    let given = serde_json::json!({
        "api": node.api,
        "voucher": story.original.parse::<u64>().expect("an id"),
        "parts": ordered,
        "parachain": "/chains/para-a/explorer",
        "key_file": key_file,
        "member": member,
        "screenshots": screenshots,
    });

    let mut command = Command::new("node");
    command
        .arg(Path::new(&script_dir).join("explorer.mjs"))
        .current_dir(&script_dir)
        .env("CATENA_BROWSER", given.to_string())
        .env("CHROMIUM", &chromium);
    let said = common::run_script("the browser script", &mut command, SCRIPT_DEADLINE);
    assert!(said.contains("browser: all steps passed"), "{said}");
    let kept = std::fs::read_dir(&screenshots)
        .expect("the screenshots")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .count();
    assert_eq!(
        kept,
        6,
        "a screenshot of every step in {}",
        screenshots.display()
    );
}
