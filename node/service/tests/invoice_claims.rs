//! Invoice fingerprints across parachains (issue 16, ADR 0031), on real chains in-process: a
//! main chain committing the consortium's invoice key and two registered parachains holding it.
//! An invoice recorded on parachain A backs no voucher there until A takes a claim: the issuer
//! claims the fingerprint on the main chain, A takes it with a proof under a certified main
//! header, and the voucher is issued. Parachain B's claim of the same invoice is refused on the
//! main chain, and so is B taking A's claim; forged proofs are refused at their step. Cancelling
//! the voucher releases the claim on A; once A's block holding the release is anchored, the
//! main chain frees the fingerprint on a proof under the anchored root, B claims it, and A's old
//! proof is never taken again.

mod common;

use catena_primitives::invoice::{
    main_claim_key, ClaimInvoices, InvoiceKey, MainClaim, ReleaseInvoices,
};
use catena_primitives::through_anchor::Entry;
use catena_primitives::{Call, Hash};
use catena_runtime::system_call;
use catena_schema::records::{method as records, Invoice, Kind, NewRecord};
use catena_schema::voucher::{method as voucher, SetCreditLine, Terms};
use common::{anchor_all, governors, refused, Chain, T0};
use parity_scale_codec::{Decode, Encode};

const KEY: InvoiceKey = InvoiceKey([42; 32]);
const MILLION: u64 = 100_000_000;

fn uscc(chain: &Chain, name: &str) -> String {
    let account = chain.member(name).account();
    chain
        .chain
        .spec()
        .members
        .iter()
        .find(|m| m.accounts.contains(&account))
        .expect("a demo member")
        .uscc
        .clone()
}

/// A parachain of `main` holding the invoice key, registered on `main` by its quorum.
fn parachain(dir: &std::path::Path, main: &mut Chain, id: &str) -> Chain {
    let section = catena_chain_spec::ParachainSection {
        main_chain_id: main.id(),
        main_genesis_hash: main.chain.genesis_hash(),
        main_validators: main
            .chain
            .spec()
            .validators
            .iter()
            .map(|v| v.account)
            .collect(),
        anchor_every_blocks: 1,
        anchor_every_ms: 1_000,
    };
    let para = Chain::custom(dir, id, 1, |spec| spec.parachain = Some(section));
    para.chain.set_invoice_key(KEY);
    let registration =
        para.chain
            .spec()
            .parachain_registration(para.chain.genesis_hash(), 1, 1_000);
    let governors = governors(main);
    let proposed = main.send(&governors[0], Call::ProposeParachain(registration));
    main.block(1_000);
    let proposal = u64::decode(
        &mut &main
            .chain
            .store()
            .receipt(&proposed)
            .expect("read")
            .expect("a receipt")
            .output[..],
    )
    .expect("the proposal id");
    let approvals: Vec<_> = governors[1..3]
        .iter()
        .map(|g| main.send(g, Call::Approve(proposal)))
        .collect();
    main.block(1_000);
    for approval in approvals {
        main.outcome(approval).expect("approved");
    }
    assert!(main.record(id).is_some(), "{id} registered");
    para
}

/// Sends `call` as `name` on `chain` in a block of its own; its outcome.
fn run(chain: &mut Chain, name: &str, call: Call) -> Result<(), String> {
    let hash = chain.send(name, call);
    chain.block(1_000);
    chain.outcome(hash)
}

fn claim_on_main(main: &mut Chain, para_id: &str, fingerprint: Hash) -> Result<(), String> {
    let claim = ClaimInvoices {
        para_id: para_id.into(),
        fingerprints: vec![fingerprint],
    };
    run(main, "huaxia-motors", Call::ClaimInvoices(claim))
}

fn take(para: &mut Chain, main: &Chain, fingerprint: Hash) -> Result<(), String> {
    let proof =
        catena_node::proofs::in_state(&main.chain, &main_claim_key(&fingerprint)).expect("a proof");
    run(para, "huaxia-motors", Call::TakeInvoiceClaims(vec![proof]))
}

#[test]
fn an_invoice_backs_vouchers_on_the_one_parachain_that_claimed_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut main = Chain::custom(dir.path(), "main", 4, |spec| {
        spec.invoice_key_check = Some(KEY.check());
    });
    main.block(1_000);
    let mut a = parachain(dir.path(), &mut main, "para-a");
    let mut b = parachain(dir.path(), &mut main, "para-b");

    // On A: the bank's credit line to the core; Tier-1's invoice to the core.
    let (core, seller) = (uscc(&a, "huaxia-motors"), uscc(&a, "tier1-steel"));
    let line = SetCreditLine {
        issuer: core.clone(),
        limit: 5 * MILLION,
    };
    run(
        &mut a,
        "merchant-bank",
        system_call(voucher::SET_CREDIT_LINE, line),
    )
    .expect("a credit line");
    let record = NewRecord {
        kind: Kind::Invoice,
        doc_hash: [1; 32],
        parties: vec![seller.clone(), core.clone()],
        amount: MILLION,
        currency: "CNY".into(),
        date_ms: T0,
        links: Vec::new(),
        invoice: Some(Invoice {
            code: "3100231130".into(),
            number: "00000001".into(),
            seller: seller.clone(),
            buyer: core.clone(),
        }),
    };
    run(&mut a, "tier1-steel", system_call(records::RECORD, record)).expect("recorded");
    let terms = |amount: u64, time: u64| Terms {
        counterparty: seller.clone(),
        amount,
        currency: "CNY".into(),
        maturity_ms: time + 30 * 86_400_000,
        invoices: vec![[1; 32]],
        records: Vec::new(),
        line: None,
    };
    let issue = |para: &mut Chain, amount: u64| {
        let call = system_call(voucher::ISSUE, terms(amount, para.time));
        run(para, "huaxia-motors", call)
    };

    // Without a claim: refused.
    refused(
        &issue(&mut a, MILLION / 2),
        "is not claimed for this parachain",
    );

    // The issuer claims it for A on the main chain; B's claim of it is refused.
    let fingerprint = KEY.fingerprint("3100231130", "00000001", &seller);
    claim_on_main(&mut main, "para-a", fingerprint).expect("claimed for A");
    claim_on_main(&mut main, "para-a", fingerprint).expect("claiming again changes nothing");
    refused(
        &claim_on_main(&mut main, "para-b", fingerprint),
        "already claimed by another parachain",
    );

    // A takes the claim with a certified proof and issues; B cannot take A's claim.
    take(&mut a, &main, fingerprint).expect("A takes its claim");
    issue(&mut a, MILLION / 2).expect("issued on the claim");
    refused(
        &take(&mut b, &main, fingerprint),
        "already claimed by another parachain",
    );

    // Forged proofs: a bad signature, another holder, a proof of another chain.
    let genuine =
        catena_node::proofs::in_state(&main.chain, &main_claim_key(&fingerprint)).expect("a proof");
    let mut bad_signature = genuine.clone();
    bad_signature.at.header.certificate.signatures[0].1 .0[0] ^= 1;
    let mut other_holder = genuine.clone();
    other_holder.entry.value = Some(
        MainClaim {
            holder: Some("para-b".into()),
            claim: 1,
            at_height: 0,
        }
        .encode(),
    );
    let mut other_chain = genuine.clone();
    other_chain.at.chain_id = "para-a".into();
    for (forged, reason) in [
        (bad_signature, "its certificate does not verify"),
        (other_holder, "the entry under main's state root"),
        (other_chain, "not on the main chain 'main'"),
    ] {
        refused(
            &run(
                &mut b,
                "huaxia-motors",
                Call::TakeInvoiceClaims(vec![forged]),
            ),
            reason,
        );
    }

    // While the voucher rests on it, A's claim cannot be released on the main chain.
    let claim_key = catena_runtime::invoices::claim_key(&fingerprint);
    let release = |main: &mut Chain, a: &mut Chain| {
        let height = a.chain.tip().expect("tip").height;
        anchor_all(main, vec![a.anchor(height)])[0]
            .clone()
            .expect("anchored");
        let (value, proof) = a
            .chain
            .store()
            .state_with_proof(&claim_key, height)
            .expect("a proof");
        let release = ReleaseInvoices {
            para_id: "para-a".into(),
            anchored_height: height,
            entries: vec![Entry {
                key: claim_key.clone(),
                value,
                proof,
            }],
        };
        run(main, "huaxia-motors", Call::ReleaseInvoices(release))
    };
    refused(&release(&mut main, &mut a), "is still claimed on 'para-a'");

    // Cancelled by issuer and holder: A releases the claim, then the main chain frees it.
    for who in ["huaxia-motors", "tier1-steel"] {
        run(&mut a, who, system_call(voucher::CANCEL, 1)).expect("cancel consent");
    }
    release(&mut main, &mut a).expect("freed on the anchored release");
    refused(
        &issue(&mut a, MILLION / 2),
        "is not claimed for this parachain",
    );

    // Now B claims it (claim 2) and takes it; A's old proof of claim 1 is refused.
    claim_on_main(&mut main, "para-b", fingerprint).expect("claimed for B");
    take(&mut b, &main, fingerprint).expect("B takes claim 2");
    let old = run(
        &mut a,
        "huaxia-motors",
        Call::TakeInvoiceClaims(vec![genuine]),
    );
    refused(&old, "was released here");
}
