//! `catena cash`: settlement cash, per custodian.

use super::*;

#[derive(Subcommand)]
pub enum CashCommand {
    /// A financier mints settlement cash for a member against money it holds for it.
    Mint {
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// A financier burns its own cash (money paid out of custody).
    Burn {
        #[arg(long)]
        amount: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Transfer cash to another member (to redeem a custodian's cash, transfer it to that
    /// custodian with --custodian).
    Transfer {
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: String,
        /// Only cash custodied by this financier (otherwise: the payee's own cash first, then
        /// by custodian USCC).
        #[arg(long)]
        custodian: Option<String>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// A member's cash balance, in total and per custodian.
    Balance {
        member: String,
        #[command(flatten)]
        query: QueryArgs,
    },
}

pub fn cash(home: Option<&Path>, command: CashCommand) -> anyhow::Result<()> {
    match command {
        CashCommand::Mint {
            to,
            amount: a,
            send,
        } => {
            let mint = Mint {
                to: Finance::new(home, &send.query)?.uscc(&to)?,
                amount: amount(&a)?,
            };
            call(home, &send, cash_method::MINT, mint)?.report(
                &send,
                &format!("minted {a} for {to}"),
                json!({ "amount": a, "to": to }),
            )?;
        }
        CashCommand::Burn { amount: a, send } => {
            call(home, &send, cash_method::BURN, amount(&a)?)?.report(
                &send,
                &format!("burned {a}"),
                json!({ "amount": a }),
            )?;
        }
        CashCommand::Transfer {
            to,
            amount: a,
            custodian,
            send,
        } => {
            let f = Finance::new(home, &send.query)?;
            let to_uscc = f.uscc(&to)?;
            call(
                home,
                &send,
                cash_method::TRANSFER,
                CashTransfer {
                    to: to_uscc,
                    amount: amount(&a)?,
                    custodian: custodian.as_deref().map(|c| f.uscc(c)).transpose()?,
                },
            )?
            .report(
                &send,
                &format!("transferred {a} to {to}"),
                json!({ "amount": a, "to": to }),
            )?;
        }
        CashCommand::Balance { member, query } => {
            let f = Finance::new(home, &query)?;
            let uscc = f.uscc(&member)?;
            let view = f.client.get(&format!("/cash/{uscc}"))?;
            if query.output == Output::Json {
                return print_json(&view);
            }
            let view: catena_api::BalanceView = serde_json::from_value(view)?;
            println!("{} CNY", view.balance);
            let names = f.names()?;
            for part in &view.by_custodian {
                let name = names.get(&part.custodian).cloned().unwrap_or_default();
                println!("  {} custodied by {name} ({})", part.amount, part.custodian);
            }
            if let Some(custodies) = &view.custodies {
                println!("  custodies {custodies} CNY (minted less burned)");
            }
        }
    }
    Ok(())
}
