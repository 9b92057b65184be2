//! The explorer of a chain whose data is for its members (a parachain), with a real node: the
//! main chain's pages show the parachain's public part (head, lag, anchors); the parachain's own
//! pages show nothing until a member signs in (a one-use challenge signed by the member's key),
//! refuse a wrong signature, a used challenge and a key of no member, and end at sign-out.

mod common;

use std::time::Duration;

use catena_primitives::{read, SecretKey};
use common::parachain::keyed_parachains;
use common::wait_for;
use common::web::{fetch, fetch_with, html, post_form};

/// The challenge on a sign-in page.
fn challenge(page: &str) -> String {
    page.split("name=\"challenge\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a challenge")
        .to_string()
}

#[test]
fn a_parachains_pages_are_for_its_signed_in_members_and_its_anchors_for_everyone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = keyed_parachains(dir.path(), &["para-a"]);
    let main = format!("{}/explorer", node.api);

    // The main chain shows the parachain's head, its age, its lag here, and its anchors.
    let anchors = wait_for("para-a's second anchor", Duration::from_secs(90), || {
        let page = node.get_ok("/parachains/para-a/anchors?limit=100");
        let anchors = page["anchors"].as_array()?.clone();
        (anchors.len() >= 2).then_some(anchors)
    });
    let list = html(&format!("{main}/parachains"));
    assert!(
        list.contains("href=\"/explorer/parachains/para-a\""),
        "{list}"
    );
    assert!(
        list.contains("blocks (tip "),
        "the lag, as this node hosts it: {list}"
    );
    let page = html(&format!("{main}/parachains/para-a"));
    for anchor in &anchors {
        let root = anchor["state_root"].as_str().expect("state root");
        assert!(page.contains(root), "anchor {anchor}: {page}");
    }
    assert!(page.contains("href=\"/chains/para-a/explorer\""), "{page}");
    let missing = fetch(&format!("{main}/parachains/para-z"));
    assert_eq!(missing.status, 404, "{}", missing.body);

    // The parachain's own pages: nothing without a session, only the way to sign in.
    let para = format!("{}/chains/para-a/explorer", node.api);
    for path in ["", "/blocks/1", "/members", "/events", "/search?q=1"] {
        let page = fetch(&format!("{para}{path}"));
        assert_eq!(page.status, 303, "{path}: {}", page.body);
        let to = page.location.expect("sent to sign in");
        assert!(
            to.starts_with("/chains/para-a/explorer/sign-in?then="),
            "{to}"
        );
        assert!(!page.body.contains("para-a</span>"), "{}", page.body);
    }

    // Bad signatures, used challenges and a key of no member change nothing.
    let sign_in = format!("{para}/sign-in");
    let form = html(&format!("{sign_in}?then=/chains/para-a/explorer/members"));
    let first = challenge(&form);
    assert!(first.starts_with("para-a:"), "{first}");
    let outsider = SecretKey::from_seed([42; 32]);
    let signed = |key: &SecretKey, challenge: &str| {
        (
            key.account().to_string(),
            key.sign(&read::sign_in_message(challenge)).to_string(),
        )
    };
    // The form as posted: a challenge, an account, a signature, where to go after.
    let post = |challenge: &str, account: &str, signature: &str, then: &str| {
        post_form(
            &sign_in,
            &[
                ("challenge", challenge),
                ("account", account),
                ("signature", signature),
                ("then", then),
            ],
            None,
        )
    };
    let (account, signature) = signed(&outsider, &first);
    let refused = post(&first, &account, &signature, "");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("is not an account of a member"),
        "{}",
        refused.body
    );
    assert!(refused.set_cookie.is_none());
    let member = common::read_key_file(&dir.path().join("keys").join("tier1-steel.json"));
    let (account, signature) = signed(&member, &first);
    let used = post(&first, &account, &signature, "");
    assert_eq!(used.status, 401, "the challenge was used: {}", used.body);
    let second = challenge(&html(&sign_in));
    let (_, wrong) = signed(&member, &first);
    let forged = post(&second, &account, &wrong, "");
    assert_eq!(forged.status, 401, "{}", forged.body);
    let garbled = post_form(&sign_in, &[("challenge", "x"), ("account", "0x12")], None);
    assert_eq!(garbled.status, 400, "{}", garbled.body);

    // A member signs with the CLI: a session, then back where it was going.
    let third = challenge(&html(&sign_in));
    let key_file = dir.path().join("keys").join("tier1-steel.json");
    let out = common::catena(&[
        "key",
        "sign-in",
        &third,
        "--key",
        key_file.to_str().expect("UTF-8"),
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let bad = common::catena(&[
        "key",
        "sign-in",
        "para-a:12",
        "--key",
        key_file.to_str().expect("UTF-8"),
    ]);
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        said.contains("is not an explorer's sign-in challenge"),
        "{said}"
    );
    let signed_in = post(
        &third,
        printed["account"].as_str().expect("account"),
        printed["signature"].as_str().expect("signature"),
        "/chains/para-a/explorer/members",
    );
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/chains/para-a/explorer/members")
    );
    let set = signed_in.set_cookie.expect("a session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("Path=/chains/para-a/explorer"),
        "{set}"
    );
    let cookie = set.split(';').next().expect("name=value").to_string();
    let members = fetch_with(&format!("{para}/members"), &cookie);
    assert_eq!(members.status, 200, "{}", members.body);
    assert!(
        members.body.contains("/chains/para-a/explorer/members/"),
        "{}",
        members.body
    );
    let home_page = fetch_with(&para, &cookie);
    assert_eq!(home_page.status, 200, "{}", home_page.body);
    assert!(
        home_page.body.contains("Latest blocks"),
        "{}",
        home_page.body
    );
    // The session is the parachain's: the main chain's pages never needed one.
    assert_eq!(fetch(&main).status, 200);
    // An open redirect is not: `then` stays within the explorer.
    let fourth = challenge(&html(&sign_in));
    let (account, signature) = signed(&member, &fourth);
    let elsewhere = post(&fourth, &account, &signature, "//example.com/");
    assert_eq!(
        elsewhere.location.as_deref(),
        Some("/chains/para-a/explorer")
    );

    // Signing out ends the session.
    let out = post_form(&format!("{para}/sign-out"), &[], Some(&cookie));
    assert_eq!(out.status, 303);
    assert!(out.set_cookie.expect("cleared").contains("Max-Age=0"));
    assert_eq!(fetch_with(&para, &cookie).status, 303);
}
