//! `catena voucher`: moving vouchers up the chain: split and transfer.

use super::*;

#[derive(Subcommand)]
pub enum MovingCommand {
    /// Split a voucher into parts that add up exactly to it.
    Split {
        voucher: VoucherId,
        /// The parts' amounts, comma-separated: 600000.00,400000.00
        #[arg(long, value_delimiter = ',', required = true)]
        parts: Vec<String>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Transfer a voucher, or an amount of it, to another member.
    Transfer {
        voucher: VoucherId,
        #[arg(long)]
        to: String,
        /// Transfer only this much (the rest stays, as a part of its own).
        #[arg(long)]
        amount: Option<String>,
        #[command(flatten)]
        send: SendArgs,
    },
}

pub(super) fn run(home: Option<&Path>, command: MovingCommand) -> anyhow::Result<()> {
    match command {
        MovingCommand::Split {
            voucher,
            parts,
            send,
        } => {
            let amounts = parts
                .iter()
                .map(|p| amount(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let out = call(
                home,
                &send,
                voucher_method::SPLIT,
                Split { voucher, amounts },
            )?;
            let done = out
                .output
                .as_ref()
                .map(|ids| {
                    format!(
                        "voucher {voucher} split into {}",
                        ids.iter()
                            .map(u64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .unwrap_or_default();
            out.report(&send, &done, json!({ "parts": out.output }))?;
        }
        MovingCommand::Transfer {
            voucher,
            to,
            amount: part,
            send,
        } => {
            let f = Finance::new(home, &send.query)?;
            let args = Transfer {
                voucher,
                to: f.uscc(&to)?,
                amount: part.as_deref().map(amount).transpose()?,
            };
            let out = call(home, &send, voucher_method::TRANSFER, args)?;
            report_id(&send, &out, "transferred voucher", "voucher")?;
        }
    }
    Ok(())
}
