//! `catena contract`: deploy a `.wasm` file (upload + instantiate), call a method, show one.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use catena_primitives::{Call, Hash};
use clap::Subcommand;

use crate::{print_value, send_call, QueryArgs, SendArgs};

#[derive(Subcommand)]
pub enum ContractCommand {
    /// Upload a contract's code and create an instance owned by the signer (its `init` method,
    /// if exported, runs with --input).
    Deploy {
        /// The contract's compiled `.wasm` file.
        file: PathBuf,
        /// Input for `init`, in hex.
        #[arg(long, default_value = "")]
        input: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Call a method of a contract.
    Call {
        /// The contract id (printed by `deploy`).
        contract: Hash,
        method: String,
        /// The call's input, in hex.
        #[arg(long, default_value = "")]
        input: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Point a contract at new code (its owner only): uploads the file, then upgrades. The old
    /// code stays stored and the upgrade is recorded.
    Upgrade {
        contract: Hash,
        /// The new compiled `.wasm` file.
        file: PathBuf,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Call a method read-only on the latest state (nothing is signed or written); prints its
    /// output in hex.
    Query {
        /// A contract id, or a system contract's name (registry, records, cash, voucher, receipts, lending).
        contract: String,
        method: String,
        /// The call's input, in hex.
        #[arg(long, default_value = "")]
        input: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Show a contract: its code hash, owner, creation height and upgrades.
    Show {
        /// A contract id, or a system contract's name (registry, records, cash, voucher, receipts, lending).
        contract: String,
        #[command(flatten)]
        query: QueryArgs,
    },
}

fn hex_input(text: &str) -> anyhow::Result<Vec<u8>> {
    hex::decode(text.trim_start_matches("0x"))
        .with_context(|| format!("--input '{text}' is not hex"))
}

pub fn run(home: Option<&Path>, command: ContractCommand) -> anyhow::Result<()> {
    match command {
        ContractCommand::Deploy { file, input, send } => {
            let input = hex_input(&input)?;
            let code_hash = upload(home, &send, &file)?;
            let sent = send_call(home, &send, Call::Instantiate { code_hash, input })?;
            let output = sent
                .view
                .as_ref()
                .and_then(|v| v.receipt.as_ref())
                .map(|r| r.output.clone())
                .unwrap_or_default();
            sent.report(
                &send,
                &format!("contract {output} created"),
                serde_json::json!({ "contract": output, "code_hash": code_hash.to_string() }),
            )
        }
        ContractCommand::Call {
            contract,
            method,
            input,
            send,
        } => {
            let input = hex_input(&input)?;
            let sent = send_call(
                home,
                &send,
                Call::CallContract {
                    contract,
                    method,
                    input,
                },
            )?;
            let receipt = sent.view.as_ref().and_then(|v| v.receipt.as_ref());
            let mut done = String::new();
            if let Some(receipt) = receipt {
                done = format!(
                    "output: {}\nfuel used: {}",
                    receipt.output, receipt.fuel_used
                );
                for event in &receipt.events {
                    let data = match &event.decoded {
                        Some(decoded) => decoded.to_string(),
                        None => event.data.clone(),
                    };
                    done.push_str(&format!("\nevent {}: {data}", event.topic));
                }
            }
            let output = receipt.map(|r| r.output.clone());
            sent.report(&send, &done, serde_json::json!({ "output": output }))
        }
        ContractCommand::Upgrade {
            contract,
            file,
            send,
        } => {
            let code_hash = upload(home, &send, &file)?;
            send_call(
                home,
                &send,
                Call::UpgradeContract {
                    contract,
                    code_hash,
                },
            )?
            .report(
                &send,
                &format!("contract {contract} now runs code {code_hash}"),
                serde_json::json!({ "contract": contract.to_string(), "code_hash": code_hash.to_string() }),
            )
        }
        ContractCommand::Query {
            contract,
            method,
            input,
            query,
        } => {
            let id = crate::explorer::contract_of(&contract)?;
            let client = query.client(home)?;
            let output = client.query(&id, &method, &hex_input(&input)?)?;
            let hex = format!("0x{}", hex::encode(&output));
            // A system contract's answer, read by the schema.
            let decoded = catena_api::schema::system_contract_name(&id).and_then(|name| {
                catena_api::schema::schema()
                    .decode_output(name, &method, &output)?
                    .ok()
            });
            if query.output == crate::Output::Json {
                return print_value(
                    &serde_json::json!({ "output": hex, "decoded": decoded }),
                    query.output,
                );
            }
            println!("{hex}");
            if let Some(decoded) = decoded {
                println!("decoded: {decoded}");
            }
            Ok(())
        }
        ContractCommand::Show { contract, query } => {
            let contract = crate::explorer::contract_of(&contract)?;
            let client = query.client(home)?;
            print_value(
                &client.get(&format!("/contracts/{contract}"))?,
                query.output,
            )
        }
    }
}

/// Uploads a `.wasm` file and waits for it; returns its code hash.
fn upload(home: Option<&Path>, send: &SendArgs, file: &Path) -> anyhow::Result<Hash> {
    let code = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    if !code.starts_with(b"\0asm") {
        bail!("{} is not a WebAssembly binary (.wasm)", file.display());
    }
    if send.no_wait {
        bail!("the code must be stored before it is used: drop --no-wait");
    }
    let code_hash = Hash::digest(&code);
    send_call(home, send, Call::UploadCode(code))?;
    if send.query.output != crate::Output::Json && !send.quiet {
        println!("code {code_hash} stored");
    }
    Ok(code_hash)
}
