//! `catena voucher`: credit lines: set and show, and the line the records' quality suggests.

use super::*;

#[derive(Subcommand)]
pub enum LinesCommand {
    /// A financier sets its own credit line to a core enterprise (0 closes it), or anyone shows
    /// the core's lines.
    CreditLine {
        issuer: String,
        /// Set the limit (a financier, with --as or --key).
        #[arg(long)]
        set: Option<String>,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The credit line the quality of a core enterprise's records suggests: completeness,
    /// timeliness and accuracy, the rating and the amount with the rule that gave it; with
    /// --grant, a financier (--as or --key) sets its own line to it in one transaction.
    SuggestLine {
        member: String,
        #[arg(long)]
        grant: bool,
        #[command(flatten)]
        query: QueryArgs,
    },
}

pub(super) fn run(home: Option<&Path>, command: LinesCommand) -> anyhow::Result<()> {
    match command {
        LinesCommand::CreditLine { issuer, set, query } => {
            let f = Finance::new(home, &query)?;
            let uscc = f.uscc(&issuer)?;
            let mut set_in = None;
            if let Some(limit) = set {
                let send = SendArgs::new(None, None, query.clone());
                let out = call(
                    home,
                    &send,
                    voucher_method::SET_CREDIT_LINE,
                    SetCreditLine {
                        issuer: uscc.clone(),
                        limit: amount(&limit)?,
                    },
                )?;
                set_in = Some(out.sent.hash.to_string());
            }
            let lines: CreditLines = f.query(voucher_method::CREDIT_LINE, uscc.clone())?;
            if query.output == Output::Json {
                let each: Vec<Value> = lines
                    .lines
                    .iter()
                    .map(|l| {
                        json!({"financier": l.financier, "limit": format_amount(l.limit),
                            "outstanding": format_amount(l.outstanding), "revoked": l.revoked})
                    })
                    .collect();
                return print_json(&json!({
                    "transaction": set_in,
                    "issuer": uscc,
                    "limit": format_total(lines.limit()),
                    "outstanding": format_total(lines.outstanding()),
                    "available": format_total(lines.available()),
                    "lines": each,
                }));
            }
            println!(
                "credit lines of {uscc}: {} ({} outstanding, {} available)",
                format_total(lines.limit()),
                format_total(lines.outstanding()),
                format_total(lines.available())
            );
            for l in &lines.lines {
                println!(
                    "  {}: {} ({} outstanding){}",
                    l.financier,
                    format_amount(l.limit),
                    format_amount(l.outstanding),
                    if l.revoked { ", revoked" } else { "" }
                );
            }
        }
        LinesCommand::SuggestLine {
            member,
            grant,
            query,
        } => {
            let f = Finance::new(home, &query)?;
            let uscc = f.uscc(&member)?;
            let suggestion: Suggestion = if grant {
                let send = SendArgs::new(None, None, query.clone());
                let out = call(
                    home,
                    &send,
                    voucher_method::GRANT_SUGGESTED_LINE,
                    uscc.clone(),
                )?;
                out.output.context("the grant's answer does not decode")?
            } else {
                f.query(records_method::SUGGEST_LINE, uscc.clone())?
            };
            print_suggestion(&suggestion, grant, query.output)?;
        }
    }
    Ok(())
}
