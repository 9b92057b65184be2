//! The demo's parachain chapters: the main chain's quorum registers the two supply chains'
//! parachains; Tier-1 Steel's own supply chain issues a voucher on its parachain; both
//! parachains' anchors land on the main chain; a member of one parachain is refused reading the
//! other.

use catena_primitives::Call;

use super::*;

/// Chapter 0: the main chain's governing quorum (three of its four governors) registers both
/// parachains from their specs.
pub(crate) fn register(home: &Path, api: &str) -> anyhow::Result<Vec<String>> {
    println!("0. The main chain registers two supply chains' parachains (主链/平行链)");
    let mut main = Story::on(home, api, None, None)?;
    for (k, id) in [(2, PARA_A), (3, PARA_B)] {
        let spec = catena_node::read_spec(&home.join(format!("chain-spec-{k}.json")))?;
        let section = spec
            .parachain
            .clone()
            .context("the demo's parachain spec has no parachain section")?;
        let genesis = crate::parachain::genesis_hash_of(&spec)?;
        let registration = spec.parachain_registration(
            genesis,
            section.anchor_every_blocks,
            section.anchor_every_ms,
        );
        let told = format!(
            "{id}: {} members ({}), {} validators",
            registration.members.len(),
            short_names(&registration.members),
            registration.validators.len()
        );
        let proposed = crate::send_call(
            Some(home),
            &main.send_as(CORE),
            Call::ProposeParachain(registration),
        );
        let Some(proposal) = proposed
            .ok()
            .and_then(|sent| sent.committed())
            .and_then(|view| crate::parachain::proposal_of(&view))
        else {
            main.check(false, &format!("Huaxia Motors proposes {told}"));
            continue;
        };
        let mut approved = true;
        for who in [BANK, CARRIER] {
            let sent = crate::send_call(Some(home), &main.send_as(who), Call::Approve(proposal));
            approved &= sent.is_ok();
        }
        let shown = main
            .finance()
            .client()
            .get(&format!("/parachains/{id}"))
            .ok();
        main.check(
            approved && shown.is_some_and(|p| p["status"] == "active"),
            &format!("registered by Huaxia Motors, the bank and Swift Logistics: {told}"),
        );
    }
    Ok(main.failures)
}

/// Members' names without their legal suffixes, for one line.
fn short_names(members: &[String]) -> String {
    members
        .iter()
        .map(|m| m.split(" Co.,").next().unwrap_or(m).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Chapters 12 to 14, after the story on Huaxia Motors' parachain.
pub(crate) fn tell(home: &Path, api: &str) -> anyhow::Result<Vec<String>> {
    let mut failures = steel_chain(home, api)?;
    failures.extend(anchors_and_privacy(home, api)?);
    Ok(failures)
}

/// Chapter 12: on its own parachain, Tier-1 Steel is the core enterprise: its raw-materials
/// supplier asks it to confirm a payable, and it issues a voucher.
fn steel_chain(home: &Path, api: &str) -> anyhow::Result<Vec<String>> {
    println!("\n15. Tier-1 Steel's own supply chain, on parachain {PARA_B} (another core enterprise, the same bank)");
    let mut s = Story::on(home, api, Some(PARA_B), Some(TIER1))?;
    let members = s.finance().members()?;
    for m in &members {
        let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
        println!("   {:<36} {:<10} {}", m.name, roles.join(","), m.uscc);
    }
    s.check(
        members.len() == 4
            && members
                .iter()
                .any(|m| m.name.starts_with("Tier-1") && m.roles == [catena_schema::Role::Core]),
        "four members; Tier-1 Steel is the core enterprise here",
    );
    let line = SetCreditLine {
        issuer: s.uscc(TIER1),
        limit: yuan("2000000.00"),
    };
    s.step(
        "the bank grants Tier-1 Steel a credit line of 2,000,000.00",
        BANK,
        voucher_method::SET_CREDIT_LINE,
        line,
    );
    let (tier1, tier3) = (s.uscc(TIER1), s.uscc(TIER3));
    let record =
        |told: &str, kind: Kind, links: Vec<[u8; 32]>, invoice: Option<Invoice>| NewRecord {
            kind,
            doc_hash: Hash::digest(told.as_bytes()).0,
            parties: vec![tier3.clone(), tier1.clone()],
            amount: yuan("300000.00"),
            currency: "CNY".into(),
            date_ms: now_ms(),
            links,
            invoice,
        };
    let told = "ore supply contract TS-2026-007 (商流)";
    let contract = record(told, Kind::Contract, vec![], None);
    let contract_id = contract.doc_hash;
    s.step(told, TIER3, records_method::RECORD, contract);
    let told = "VAT invoice 4400231130 00000107, 300,000.00 (信息流)";
    let invoice = Invoice {
        code: "4400231130".into(),
        number: "00000107".into(),
        seller: tier3.clone(),
        buyer: tier1.clone(),
    };
    let invoice = record(told, Kind::Invoice, vec![contract_id], Some(invoice));
    let invoice_id = invoice.doc_hash;
    s.step(told, TIER3, records_method::RECORD, invoice);
    let terms = Terms {
        counterparty: tier1.clone(),
        amount: yuan("300000.00"),
        currency: "CNY".into(),
        maturity_ms: now_ms() + 30 * 86_400_000,
        invoices: vec![invoice_id],
        records: vec![contract_id],
        line: None,
    };
    let voucher = s.request_confirmed(
        "Tier-3 asks Tier-1 Steel to confirm 300,000.00, due in 30 days",
        TIER3,
        TIER1,
        terms,
        |request| format!("Tier-1 Steel confirms request {request}: voucher issued to Tier-3"),
    );
    let issued = s.finance().voucher(voucher).ok();
    s.check(
        issued.is_some_and(|v| v.holder == tier3 && v.amount == yuan("300000.00")),
        &format!("voucher {voucher} on {PARA_B}: 300,000.00 held by Tier-3, issued by Tier-1"),
    );
    Ok(s.failures)
}

/// Chapters 13 and 14: both parachains' anchors on the main chain; a member of one parachain
/// refused reading the other, and a read without a signature refused.
fn anchors_and_privacy(home: &Path, api: &str) -> anyhow::Result<Vec<String>> {
    println!("\n16. Both parachains are anchored on the main chain (锚定)");
    let mut main = Story::on(home, api, None, None)?;
    for (id, reader) in [(PARA_A, CORE), (PARA_B, TIER1)] {
        let para = Story::on(home, api, Some(id), Some(reader))?;
        let tip = para
            .finance()
            .client()
            .status()
            .map(|s| s.height)
            .unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(30);
        let head = loop {
            let head = main
                .finance()
                .client()
                .get(&format!("/parachains/{id}"))
                .ok()
                .and_then(|p| p["head"]["height"].as_u64())
                .unwrap_or(0);
            if head >= tip || Instant::now() > deadline {
                break head;
            }
            std::thread::sleep(Duration::from_millis(250));
        };
        main.check(
            head >= tip,
            &format!("{id}: its block {tip} (and every checkpoint before it) anchored, at {head}"),
        );
    }
    let shown = main
        .finance()
        .client()
        .get(&format!("/parachains/{PARA_B}"))?;
    println!(
        "   the main chain holds heights, times, state roots and certificates: head {}, state root {}",
        shown["head"]["height"],
        shown["head"]["state_root"].as_str().unwrap_or("?")
    );

    println!("\n17. Each parachain is read by its own members only (隐私)");
    let b = format!("{api}/chains/{PARA_B}");
    let outsider = Story::on(home, api, Some(PARA_B), Some(TIER2))?;
    let refused = outsider.finance().client().get("/vouchers/1");
    main.check(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("is not an account of a member of chain")),
        &format!(
            "Tier-2 Parts, a member of {PARA_A} only, reading {PARA_B}'s voucher 1: refused — \"{}\"",
            refused.err().map(|e| e.to_string()).unwrap_or_default()
        ),
    );
    let unsigned = ApiClient::new(&b).get_reply("/vouchers/1");
    main.check(
        unsigned.as_ref().is_some_and(|r| r.status == 401),
        &format!("a read of {PARA_B} without a member's signature: 401"),
    );
    let member = Story::on(home, api, Some(PARA_B), Some(BANK))?;
    main.check(
        member.finance().voucher(1).is_ok(),
        &format!("the bank, a member of both, reads {PARA_B}'s voucher 1"),
    );
    Ok(main.failures)
}

/// Chapter 15: the evidence of Tier-3's part for a court: exported from Huaxia Motors' node
/// once its last change is anchored, verified here with no node, and left in the demo's
/// directory for `catena evidence verify` and the independent Python verifier.
pub(crate) fn evidence(home: &Path, api: &str, voucher: u64) -> anyhow::Result<Vec<String>> {
    println!("\n18. The evidence of voucher {voucher} for a court (赋强公证 / 智慧诉讼)");
    let mut s = Story::on(home, api, Some(PARA_A), Some(CORE))?;
    let chain = s.query_args().client(Some(home))?;
    let main = QueryArgs::at(api).client(Some(home))?;
    // Its last change anchored: the parachain's tip at this point, anchored on the main chain.
    let tip = chain.status()?.height;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let head = main.get(&format!("/parachains/{PARA_A}"))?["head"]["height"]
            .as_u64()
            .unwrap_or(0);
        if head >= tip || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let subject = catena_client::evidence::Subject::Voucher(voucher);
    let documents = home.join("documents");
    let bundle = catena_client::evidence::export(&chain, &main, subject, Some(&documents))?;
    let bytes = bundle.to_bytes();
    let file = home.join(format!("evidence-voucher-{voucher}.json"));
    std::fs::write(&file, &bytes).with_context(|| format!("cannot write {}", file.display()))?;
    match catena_client::evidence::verify(&bytes) {
        Ok(report) => {
            let held: Vec<&str> = report
                .facts
                .iter()
                .map(|f| f.text.as_str())
                .filter(|t| t.contains(" was held by "))
                .collect();
            for fact in &held {
                println!("   {fact}");
            }
            s.check(
                !held.is_empty() && bundle.documents.len() >= 2,
                &format!(
                    "its bundle ({} bytes, {} facts, {} documents) verifies with no node: {}",
                    bytes.len(),
                    report.facts.len(),
                    bundle.documents.len(),
                    file.display()
                ),
            );
        }
        Err(e) => s.check(false, &format!("its bundle verifies: {e}")),
    }
    println!("   check it yourself, offline:");
    println!("     catena evidence verify {}", file.display());
    println!(
        "     python3 clients/python/verify_evidence.py {}",
        file.display()
    );
    Ok(s.failures)
}
