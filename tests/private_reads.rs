//! A parachain's data is read only by its members, with real processes: a node hosting the dev
//! chain and parachain `para-a` answers unsigned reads of the parachain with 401, a non-member's
//! with 403, a member's (the CLI signing with the key it acts with) with 200; the main chain
//! stays open.

mod common;

use std::time::Duration;

use catena_client::ApiClient;
use catena_primitives::SecretKey;
use catena_testing::cli::Cli;
use common::parachain::dev_with_parachain;
use common::{catena, wait_for, TestNode};

#[test]
fn a_parachain_answers_only_its_members_signed_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, home, _) = dev_with_parachain(dir.path(), 10);
    let para = node.on_chain("para-a");

    // Unsigned: 401 with what to send; the main chain is open.
    wait_for(
        "the main chain's first block",
        Duration::from_secs(60),
        || (node.height() >= 1).then_some(()),
    );
    let unsigned = para.get("/status").expect("an answer");
    assert_eq!(unsigned.status, 401, "{:?}", unsigned.body);
    assert_eq!(unsigned.body["error"]["code"], "unsigned");

    // A member's reads, signed by the CLI with the key it acts with.
    let cli = Cli::new(&home, &node.api);
    wait_for("para-a's first block", Duration::from_secs(60), || {
        let status = cli.run("status --chain para-a --as tier1-steel");
        (status.ok && status.out.contains("height:") && !status.out.contains("height:      0"))
            .then_some(())
    });
    let listed = cli.json("voucher list --holder tier1-steel --chain para-a --as merchant-bank");
    assert!(listed["vouchers"].is_array(), "{listed}");
    // ... and a member's transaction, signed twice (the request and the transaction).
    let sent = cli.ok("cash mint --to tier1-steel --amount 1000 --chain para-a --as merchant-bank");
    assert!(sent.contains("committed in block"), "{sent}");
    let mint_hash = sent
        .split_whitespace()
        .find(|w| w.starts_with("0x"))
        .expect("the transaction's hash")
        .to_string();
    let mint_block: u64 = sent
        .rsplit("committed in block ")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|height| height.parse().ok())
        .expect("the block");

    // A signed client straight from the library: 200 for a member's key, 403 for a key of no
    // member; a request replayed byte for byte is 401 (tested against the router itself).
    let member = ApiClient::new(&para.api).signing(node.demo_key("huaxia-motors"), "para-a".into());
    assert_eq!(
        member.get_reply("/blocks?limit=1").expect("answer").status,
        200
    );
    let outsider =
        ApiClient::new(&para.api).signing(SecretKey::from_seed([42; 32]), "para-a".into());
    let refused = outsider.get_reply("/status").expect("answer");
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "not_a_member");
    let key_file = dir.path().join("outsider.json");
    let made = catena(&[
        "key",
        "generate",
        "--out",
        key_file.to_str().expect("UTF-8"),
    ]);
    assert!(made.status.success(), "{made:?}");
    let message = cli.fails(&format!(
        "status --chain para-a --key {}",
        key_file.display()
    ));
    assert!(
        message.contains("is not an account of a member of chain 'para-a'"),
        "{message}"
    );
    assert!(message.contains("HTTP 403"), "{message}");
    // signed for the main chain, sent to the parachain: 401
    let wrong_chain =
        ApiClient::new(&para.api).signing(node.demo_key("huaxia-motors"), node.chain_id());
    assert_eq!(
        wrong_chain.get_reply("/status").expect("answer").status,
        401
    );

    // An auditor reads nothing it was not granted.
    let auditor = cli.fails("status --chain para-a --as audit-office");
    assert!(auditor.contains("holds no grant in force"), "{auditor}");
    auditor_reads_what_it_was_granted(&cli, &node, &para, &mint_hash, mint_block);

    // The main chain needs no signature, and a signed read of it is answered too.
    assert_eq!(node.get("/status").expect("answer").status, 200);
    assert!(cli.ok("status --as huaxia-motors").contains("catena-dev"));
}

/// Tier-1 grants the auditor its own data: the auditor reads Tier-1's cash, not Tier-2's, nor
/// the bank's mint (sent by the bank), nor the event log; the block's transactions are listed
/// without it. The quorum then grants the whole chain: everything. Tier-1's revocation leaves
/// the quorum's grant.
fn auditor_reads_what_it_was_granted(
    cli: &Cli,
    node: &TestNode,
    para: &TestNode,
    mint_hash: &str,
    mint_block: u64,
) {
    let refused =
        cli.fails("audit grant tier2-parts --until 2099-01-01 --chain para-a --as tier1-steel");
    assert!(refused.contains("is not an auditor"), "{refused}");
    let granted =
        cli.ok("audit grant audit-office --until 2099-01-01 --chain para-a --as tier1-steel");
    assert!(granted.contains("granted auditor"), "{granted}");
    let own = cli.ok("cash balance tier1-steel --chain para-a --as audit-office");
    assert!(own.contains("1,000.00") || own.contains("1000.00"), "{own}");
    let other = cli.fails("cash balance tier2-parts --chain para-a --as audit-office");
    assert!(
        other.contains("which this auditor was not granted"),
        "{other}"
    );
    let auditor = ApiClient::new(&para.api).signing(node.demo_key("audit-office"), "para-a".into());
    let member = ApiClient::new(&para.api).signing(node.demo_key("tier2-parts"), "para-a".into());
    let tx_path = format!("/transactions/{mint_hash}");
    assert_eq!(auditor.get_reply(&tx_path).expect("answer").status, 403);
    assert_eq!(member.get_reply(&tx_path).expect("answer").status, 200);
    let listing = format!("/blocks/{mint_block}/transactions");
    let listed = |client: &ApiClient| {
        client
            .get(&listing)
            .expect("the block's transactions")
            .as_array()
            .expect("a list")
            .iter()
            .any(|tx| tx["hash"] == mint_hash)
    };
    assert!(listed(&member));
    assert!(
        !listed(&auditor),
        "the bank's transaction listed to Tier-1's auditor"
    );
    let events = auditor.get_reply("/events").expect("answer");
    assert_eq!(
        (events.status, events.body["error"]["code"].as_str()),
        (403, Some("not_granted"))
    );

    // The whole chain, by the quorum (on this spec, Huaxia Motors alone governs).
    let proposed = cli.ok(
        "audit grant audit-office --until 2099-01-01 --whole-chain --chain para-a --as huaxia-motors",
    );
    assert!(proposed.contains(": applied"), "{proposed}");
    // Tier-2's cash, refused before, is now read (it holds none).
    cli.ok("cash balance tier2-parts --chain para-a --as audit-office");
    assert_eq!(auditor.get_reply(&tx_path).expect("answer").status, 200);
    assert!(listed(&auditor));
    assert_eq!(auditor.get_reply("/events").expect("answer").status, 200);
    let grants = cli.ok("audit grants audit-office --chain para-a --as audit-office");
    assert!(
        grants.contains("the whole chain") && grants.contains("(in force)"),
        "{grants}"
    );
    let revoked = cli.json("audit revoke audit-office --chain para-a --as tier1-steel");
    assert_eq!(revoked["status"], "committed", "{revoked}");
    let grants = cli.ok("audit grants audit-office --chain para-a --as tier1-steel");
    assert!(!grants.contains("'s data"), "{grants}");
}

/// Kills the node it holds when dropped (a failing test leaves no process behind).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// With `[api_tls]` in its config, a node answers its API over HTTPS only: a client trusting
/// the certificate reads it (the CLI with --api-ca), one that does not is refused, and plain
/// HTTP gets no answer.
#[test]
fn the_api_answers_over_tls_when_configured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("main");
    TestNode::dev_command(&home).stop();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .expect("a self-signed certificate");
    let cert_pem = cert.cert.pem();
    std::fs::write(home.join("api-cert.pem"), &cert_pem).expect("cert");
    std::fs::write(home.join("api-key.pem"), cert.key_pair.serialize_pem()).expect("key");
    let config = home.join("config.toml");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("\n[api_tls]\ncert_file = \"api-cert.pem\"\nkey_file = \"api-key.pem\"\n");
    std::fs::write(&config, text).expect("config");

    let addr = format!("127.0.0.1:{}", catena_testing::free_port());
    let log = std::fs::File::create(dir.path().join("node.log")).expect("log");
    let _node = Child(
        std::process::Command::new(catena_testing::catena_binary())
            .args([
                "dev",
                "--home",
                home.to_str().expect("UTF-8"),
                "--api-addr",
                &addr,
            ])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("the node starts"),
    );
    let https = format!("https://{addr}");
    let client = ApiClient::new(&https)
        .trusting(cert_pem.as_bytes())
        .expect("the certificate");
    wait_for("the API over TLS", Duration::from_secs(60), || {
        client
            .get_reply("/status")
            .filter(|r| r.status == 200)
            .map(|_| ())
    });
    let plain = ApiClient::with_timeout(&format!("http://{addr}"), Duration::from_secs(5));
    assert!(
        plain.get_reply("/status").is_none_or(|r| r.status != 200),
        "plain HTTP answered"
    );
    let cli = |extra: &[&str]| {
        let mut args = vec!["status", "--api", &https];
        args.extend_from_slice(extra);
        catena(&args)
    };
    let ca = home.join("api-cert.pem");
    let trusted = cli(&["--api-ca", ca.to_str().expect("UTF-8")]);
    assert!(trusted.status.success(), "{trusted:?}");
    assert!(String::from_utf8_lossy(&trusted.stdout).contains("catena-dev"));
    let untrusted = cli(&[]);
    assert!(!untrusted.status.success(), "{untrusted:?}");
    let said = String::from_utf8_lossy(&untrusted.stderr);
    assert!(said.contains("cannot reach the node"), "{said}");
}
