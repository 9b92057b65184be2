//! `catena invoice`: an invoice's claim across parachains (ADR 0031). On a parachain whose nodes
//! hold the consortium's invoice key, a voucher rests only on invoices the parachain claimed on
//! the main chain: `claim` asks the node for the fingerprint (the key never leaves it), claims it
//! on the main chain, and has the parachain take the claim with a proof under a certified main
//! header; `release` frees a claim whose vouchers were cancelled, with a proof under an anchored
//! root of the parachain; `show` tells where a claim stands. `voucher issue` claims by itself.

use std::time::{Duration, Instant};

use catena_api::InvoiceClaimView;
use catena_primitives::invoice::{ClaimInvoices, ReleaseInvoices};
use catena_primitives::through_anchor::{InState, ThroughAnchor};
use catena_primitives::Call;
use catena_schema::voucher::{ClaimState, InvoiceClaim};
use parity_scale_codec::DecodeAll;

use super::*;

#[derive(Subcommand)]
pub enum InvoiceCommand {
    /// Claim recorded invoices for the parachain named by --chain: on the main chain, then taken
    /// by the parachain (signed by the acting member on both).
    Claim {
        /// A recorded invoice (its document SHA-256; repeat for each).
        #[arg(long = "invoice", required = true)]
        invoices: Vec<Hash>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Free on the main chain the parachain's claims that no voucher rests on any more (once the
    /// parachain's block that released them is anchored).
    Release {
        #[arg(long = "invoice", required = true)]
        invoices: Vec<Hash>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Where an invoice's claim stands on the chain named by --chain.
    Show {
        invoice: Hash,
        #[command(flatten)]
        query: QueryArgs,
    },
}

/// How long `release` waits for the parachain's release to be anchored.
const ANCHOR_WAIT: Duration = Duration::from_secs(120);

pub fn invoice(home: Option<&Path>, command: InvoiceCommand) -> anyhow::Result<()> {
    match command {
        InvoiceCommand::Claim { invoices, send } => {
            let claimed = claim(home, &send, &invoices)?;
            if send.query.output == Output::Json {
                return print_json(&serde_json::json!({ "claimed": claimed }));
            }
        }
        InvoiceCommand::Release { invoices, send } => {
            let released = release(home, &send, &invoices)?;
            if send.query.output == Output::Json {
                return print_json(&serde_json::json!({ "released": released }));
            }
        }
        InvoiceCommand::Show { invoice, query } => {
            let view = claim_view(&query.client(home)?, &invoice)?;
            if query.output == Output::Json {
                return print_json(&serde_json::to_value(&view)?);
            }
            println!("invoice {} {} of {}", view.code, view.number, view.seller);
            if !view.required {
                println!("this chain keeps no invoice claims: vouchers need none");
                return Ok(());
            }
            println!(
                "fingerprint: {}",
                view.fingerprint.as_deref().unwrap_or("-")
            );
            match (view.claim, view.state.as_deref()) {
                (Some(n), Some(state)) => println!("claim {n}: {state}"),
                _ => println!("not claimed for this chain"),
            }
        }
    }
    Ok(())
}

fn claim_view(client: &ApiClient, invoice: &Hash) -> anyhow::Result<InvoiceClaimView> {
    let value = client.get(&format!("/records/{invoice}/claim"))?;
    Ok(serde_json::from_value(value)?)
}

/// The parachain `send` names (`--chain`), or an error saying to name it.
fn parachain(send: &SendArgs) -> anyhow::Result<String> {
    send.query
        .chain
        .clone()
        .context("name the parachain with --chain: invoices are claimed for a parachain")
}

/// The same identity and node, on the node's main chain.
fn on_main(send: &SendArgs) -> SendArgs {
    SendArgs {
        no_wait: false,
        quiet: send.quiet || send.query.output == Output::Json,
        query: send.query.on_main(),
    }
}

fn hex_bytes(field: Option<&str>, what: &str) -> anyhow::Result<Vec<u8>> {
    let text = field.with_context(|| format!("the node's answer has no {what}"))?;
    hex::decode(text.trim_start_matches("0x")).with_context(|| format!("{what} is not hex"))
}

/// Claims `invoices` for the parachain `send` names, those it does not hold already; the
/// numbers of those claimed. Nothing to do on a chain that keeps no claims.
pub(crate) fn claim(
    home: Option<&Path>,
    send: &SendArgs,
    invoices: &[Hash],
) -> anyhow::Result<Vec<String>> {
    let para_id = parachain(send)?;
    let para = send.query.client(home)?;
    let mut wanted = Vec::new();
    for invoice in invoices {
        let view = claim_view(&para, invoice)?;
        if !view.required {
            return Ok(Vec::new());
        }
        if matches!(view.state.as_deref(), Some("claimed" | "in_use")) {
            continue;
        }
        wanted.push(view);
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let main = on_main(send);
    let fingerprints = wanted
        .iter()
        .map(|v| {
            let bytes = hex_bytes(v.fingerprint.as_deref(), "fingerprint")?;
            Ok(Hash(bytes.try_into().map_err(|_| {
                anyhow::anyhow!("a fingerprint is not 32 bytes")
            })?))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let claim = ClaimInvoices {
        para_id: para_id.clone(),
        fingerprints,
    };
    send_call(home, &main, Call::ClaimInvoices(claim)).context("claiming on the main chain")?;
    let main_client = main.query.client(home)?;
    let proofs = wanted
        .iter()
        .map(|v| {
            let key = hex_bytes(v.main_claim_key.as_deref(), "main claim key")?;
            let view = main_client.get(&format!("/proofs/0x{}", hex::encode(key)))?;
            let bytes = hex_bytes(view["proof"].as_str(), "proof")?;
            InState::decode_all(&mut &bytes[..]).context("the main chain's proof does not decode")
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    send_call(home, send, Call::TakeInvoiceClaims(proofs))
        .with_context(|| format!("taking the claims on {para_id}"))?;
    let table = !send.quiet && send.query.output != Output::Json;
    for view in wanted.iter().filter(|_| table) {
        println!(
            "invoice {} {} claimed for {para_id}",
            view.code, view.number
        );
    }
    Ok(wanted.iter().map(|v| v.number.clone()).collect())
}

/// Frees each released claim of `invoices` on the main chain, once the parachain's block that
/// released it is anchored.
fn release(home: Option<&Path>, send: &SendArgs, invoices: &[Hash]) -> anyhow::Result<Vec<String>> {
    let mut released = Vec::new();
    let para_id = parachain(send)?;
    let para = send.query.client(home)?;
    let main = on_main(send);
    for invoice in invoices {
        let view = claim_view(&para, invoice)?;
        let number = &view.number;
        match view.state.as_deref() {
            Some("released") => {}
            Some(state) => bail!(
                "invoice {number} is {state} on {para_id}: a voucher rests on it or it was never used; cancel its vouchers first"
            ),
            None => bail!("{para_id} holds no claim of invoice {number}"),
        }
        let key = hex_bytes(view.claim_key.as_deref(), "claim key")?;
        let started = Instant::now();
        let proof = loop {
            let answer = para.get_reply(&format!("/proofs/0x{}", hex::encode(&key)));
            let proof = answer
                .filter(|reply| reply.status == 200)
                .and_then(|reply| hex_bytes(reply.body["proof"].as_str(), "proof").ok())
                .and_then(|bytes| ThroughAnchor::decode_all(&mut &bytes[..]).ok());
            let released = proof.as_ref().is_some_and(|p| {
                p.entry
                    .value
                    .as_deref()
                    .and_then(|v| InvoiceClaim::decode_all(&mut &v[..]).ok())
                    .is_some_and(|c| c.state == ClaimState::Released)
            });
            match proof {
                Some(proof) if released => break proof,
                _ if started.elapsed() > ANCHOR_WAIT => bail!(
                    "{para_id}'s release of invoice {number} was not anchored on the main chain within {} s; try again later",
                    ANCHOR_WAIT.as_secs()
                ),
                _ => std::thread::sleep(Duration::from_millis(500)),
            }
        };
        let release = ReleaseInvoices {
            para_id: para_id.clone(),
            anchored_height: proof.anchored.height,
            entries: vec![proof.entry],
        };
        send_call(home, &main, Call::ReleaseInvoices(release))
            .context("releasing on the main chain")?;
        if send.query.output != Output::Json {
            println!("invoice {number} released by {para_id} on the main chain");
        }
        released.push(number.clone());
    }
    Ok(released)
}
