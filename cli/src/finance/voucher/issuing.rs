//! `catena voucher`: confirming and issuing: request, confirm, reject, withdraw a request, issue.

use super::*;

#[derive(Subcommand)]
pub enum IssuingCommand {
    /// A supplier asks a core enterprise to confirm a payable (申请确权).
    Request {
        /// The core enterprise asked to confirm.
        #[arg(long)]
        issuer: String,
        #[command(flatten)]
        terms: TermsArgs,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The core enterprise confirms a request (确权): the voucher is issued to the supplier.
    Confirm {
        request: u64,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The core enterprise rejects a request.
    Reject {
        request: u64,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The supplier withdraws its pending request.
    WithdrawRequest {
        request: u64,
        #[command(flatten)]
        send: SendArgs,
    },
    /// A core enterprise issues a voucher directly to a supplier it owes.
    Issue {
        /// The supplier that receives it (the invoices' seller).
        #[arg(long)]
        to: String,
        #[command(flatten)]
        terms: TermsArgs,
        #[command(flatten)]
        send: SendArgs,
    },
}

pub(super) fn run(home: Option<&Path>, command: IssuingCommand) -> anyhow::Result<()> {
    match command {
        IssuingCommand::Request {
            issuer,
            terms: t,
            send,
        } => {
            let f = Finance::new(home, &send.query)?;
            let out = call(
                home,
                &send,
                voucher_method::REQUEST,
                terms(&f, &issuer, &t)?,
            )?;
            report_id(&send, &out, "request", "request")?;
        }
        IssuingCommand::Confirm { request, send } => {
            if send.query.chain.is_some() {
                let f = Finance::new(home, &send.query)?;
                let asked = f
                    .query(voucher_method::GET_REQUEST, request)?
                    .with_context(|| format!("no request {request}"))?;
                let invoices: Vec<Hash> = asked.terms.invoices.iter().map(|i| Hash(*i)).collect();
                claim(home, &send, &invoices)?;
            }
            let out = call(home, &send, voucher_method::CONFIRM, request)?;
            report_id(&send, &out, "issued voucher", "voucher")?;
        }
        IssuingCommand::Reject { request, send } => {
            call(home, &send, voucher_method::REJECT, request)?.report(
                &send,
                &format!("request {request} rejected"),
                json!({ "request": request }),
            )?;
        }
        IssuingCommand::WithdrawRequest { request, send } => {
            call(home, &send, voucher_method::WITHDRAW_REQUEST, request)?.report(
                &send,
                &format!("request {request} withdrawn"),
                json!({ "request": request }),
            )?;
        }
        IssuingCommand::Issue { to, terms: t, send } => {
            let f = Finance::new(home, &send.query)?;
            let terms = terms(&f, &to, &t)?;
            // On a parachain that keeps invoice claims, the invoices are claimed first.
            if send.query.chain.is_some() {
                claim(home, &send, &t.invoices)?;
            }
            let out = call(home, &send, voucher_method::ISSUE, terms)?;
            report_id(&send, &out, "issued voucher", "voucher")?;
        }
    }
    Ok(())
}
