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
        /// A contract id, or a system contract's name (registry, records, cash, voucher).
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
        contract: Hash,
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
            let view = send_call(home, &send, Call::Instantiate { code_hash, input })?
                .context("instantiation was not committed")?;
            let output = view.receipt.map(|r| r.output).unwrap_or_default();
            println!("contract {output} created");
            Ok(())
        }
        ContractCommand::Call {
            contract,
            method,
            input,
            send,
        } => {
            let input = hex_input(&input)?;
            let Some(view) = send_call(
                home,
                &send,
                Call::CallContract {
                    contract,
                    method,
                    input,
                },
            )?
            else {
                return Ok(());
            };
            if let Some(receipt) = view.receipt {
                println!("output: {}", receipt.output);
                println!("fuel used: {}", receipt.fuel_used);
                for event in receipt.events {
                    println!("event {}: {}", event.topic, event.data);
                }
            }
            Ok(())
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
            )?;
            println!("contract {contract} now runs code {code_hash}");
            Ok(())
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
            println!("0x{}", hex::encode(output));
            Ok(())
        }
        ContractCommand::Show { contract, query } => {
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
    println!("code {code_hash} stored");
    Ok(code_hash)
}
