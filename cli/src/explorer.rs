//! `catena query`: the explorer's questions from the terminal — blocks, transactions, accounts
//! and contract events.

use std::path::Path;

use anyhow::Context;
use catena_primitives::{system_contract_id, AccountId, Hash};
use catena_schema::names;
use clap::{Args, Subcommand};

use crate::{demo_identity, print_value, Output, QueryArgs};

/// `catena block` and `catena query block`.
#[derive(Args)]
pub struct BlockArgs {
    /// Height, block hash, or `latest`.
    #[arg(default_value = "latest")]
    id: String,
    #[command(flatten)]
    query: QueryArgs,
}

/// `catena tx` and `catena query tx`.
#[derive(Args)]
pub struct TxArgs {
    hash: Hash,
    #[command(flatten)]
    query: QueryArgs,
}

/// Shows a block.
pub fn show_block(home: Option<&Path>, BlockArgs { id, query }: BlockArgs) -> anyhow::Result<()> {
    let client = query.client(home)?;
    print_value(&client.get(&format!("/blocks/{id}"))?, query.output)
}

/// Shows a transaction and its receipt.
pub fn show_tx(home: Option<&Path>, TxArgs { hash, query }: TxArgs) -> anyhow::Result<()> {
    let client = query.client(home)?;
    print_value(&client.get(&format!("/transactions/{hash}"))?, query.output)
}

#[derive(Subcommand)]
pub enum QueryCommand {
    /// A block by height, hash, or `latest`, with its scheduled runs.
    Block(BlockArgs),
    /// A transaction and its receipt.
    Tx(TxArgs),
    /// An account's next nonce and member: an account (0x…) or a demo identity.
    Account {
        account: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Contract events in chain order, filtered.
    Events {
        /// A contract id, or a system contract's name (registry, records, cash, voucher, receipts, lending).
        #[arg(long)]
        contract: Option<String>,
        #[arg(long)]
        topic: Option<String>,
        /// Only events of transactions signed by this account (0x…) or demo identity.
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        from_height: Option<u64>,
        #[arg(long)]
        to_height: Option<u64>,
        /// At most this many (1 to 1,000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Start after this event (`HEIGHT:INDEX`): the `next` a previous page printed.
        #[arg(long)]
        after: Option<String>,
        #[command(flatten)]
        query: QueryArgs,
    },
}

fn account_of(home: Option<&Path>, text: &str) -> anyhow::Result<AccountId> {
    if let Ok(account) = text.parse::<AccountId>() {
        return Ok(account);
    }
    demo_identity(home, text)
        .map(|key| key.account())
        .with_context(|| {
            format!("'{text}' is neither an account (0x + 64 hex digits) nor a demo identity")
        })
}

/// A contract named by id or by system contract name.
pub fn contract_of(text: &str) -> anyhow::Result<Hash> {
    if names::SYSTEM.contains(&text) {
        return Ok(system_contract_id(text));
    }
    text.parse::<Hash>().map_err(|e| {
        anyhow::anyhow!(
            "'{text}' is neither a contract id nor a system contract ({}): {e}",
            names::SYSTEM.join(", ")
        )
    })
}

pub fn run(home: Option<&Path>, command: QueryCommand) -> anyhow::Result<()> {
    match command {
        QueryCommand::Block(args) => show_block(home, args),
        QueryCommand::Tx(args) => show_tx(home, args),
        QueryCommand::Account { account, query } => {
            let account = account_of(home, &account)?;
            let client = query.client(home)?;
            print_value(&client.get(&format!("/accounts/{account}"))?, query.output)
        }
        QueryCommand::Events {
            contract,
            topic,
            account,
            from_height,
            to_height,
            limit,
            after,
            query,
        } => {
            let mut params = vec![format!("limit={limit}")];
            if let Some(c) = contract {
                params.push(format!("contract={}", contract_of(&c)?));
            }
            if let Some(t) = topic {
                params.push(format!("topic={t}"));
            }
            if let Some(a) = account {
                params.push(format!("account={}", account_of(home, &a)?));
            }
            if let Some(h) = from_height {
                params.push(format!("from_height={h}"));
            }
            if let Some(h) = to_height {
                params.push(format!("to_height={h}"));
            }
            if let Some(after) = after {
                params.push(format!("after={after}"));
            }
            let client = query.client(home)?;
            let page = client.get(&format!("/events?{}", params.join("&")))?;
            if query.output == Output::Json {
                return print_value(&page, query.output);
            }
            let system: Vec<(String, &str)> = names::SYSTEM
                .iter()
                .map(|n| (system_contract_id(n).to_string(), *n))
                .collect();
            println!(
                "{:<12} {:<10} {:<16} {:<16} data",
                "event", "contract", "topic", "signer"
            );
            for e in page["events"].as_array().into_iter().flatten() {
                let contract = e["contract"].as_str().unwrap_or_default();
                let name = system
                    .iter()
                    .find(|(id, _)| id == contract)
                    .map_or(&contract[..contract.len().min(12)], |(_, n)| *n);
                let signer = e["signer"].as_str().map_or("(scheduled)".to_string(), |s| {
                    s[..s.len().min(14)].to_string()
                });
                // The data as the schema reads it, where it knows the event.
                let data = match &e["decoded"] {
                    serde_json::Value::Null => e["data"].as_str().unwrap_or_default().to_string(),
                    decoded => decoded.to_string(),
                };
                println!(
                    "{:<12} {:<10} {:<16} {:<16} {data}",
                    format!("{}:{}", e["height"], e["index"]),
                    name,
                    e["topic"].as_str().unwrap_or_default(),
                    signer
                );
            }
            if let Some(next) = page["next"].as_str() {
                println!("(more: --after {next})");
            }
            Ok(())
        }
    }
}
