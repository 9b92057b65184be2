//! `catena voucher`: financing: offers as pledge or factoring, acceptance, quotes, release, repayment, recourse.

use super::*;

#[derive(Subcommand)]
pub enum FinancingCommand {
    /// Offer a voucher to a financier as a pledge (质押); the financier accepts with `accept`.
    Pledge(OfferArgs),
    /// Offer a voucher to a financier for factoring (保理); the financier accepts with `accept`.
    Factor(OfferArgs),
    /// The financier accepts an offer and pays in cash at once: an amount, a discount, or a
    /// price by tenor at an annual rate.
    Accept {
        voucher: VoucherId,
        /// The advance or price, such as 300000.00.
        #[arg(
            long,
            conflicts_with_all = ["discount_bps", "annual_rate"],
            required_unless_present_any = ["discount_bps", "annual_rate"]
        )]
        price: Option<String>,
        /// Pay the face amount less this many basis points.
        #[arg(long, conflicts_with = "annual_rate")]
        discount_bps: Option<u32>,
        /// Price by tenor: the face discounted at this annual rate (a percentage such as 3.60)
        /// for the days to maturity, ACT/360; `catena voucher quote` shows the price first.
        #[arg(long)]
        annual_rate: Option<String>,
        /// A pledge's annual interest rate (a percentage such as 3.65), ACT/360 by days.
        #[arg(long)]
        interest: Option<String>,
        /// Factoring with recourse to the seller.
        #[arg(long)]
        recourse: bool,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The price factoring at an annual discount rate would pay for a voucher now.
    Quote {
        voucher: VoucherId,
        /// The annual discount rate, a percentage such as 3.60.
        #[arg(long)]
        annual_rate: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The holder withdraws an open offer.
    Withdraw {
        voucher: VoucherId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The pledgee releases a pledge.
    Release {
        voucher: VoucherId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The holder repays what the pledge secures (advance and interest) to the pledgee, which
    /// releases the pledge.
    Repay {
        voucher: VoucherId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The factor of an overdue part factored with recourse turns to the seller once the grace
    /// period after maturity has passed: the seller pays what its cash covers, owes the rest as
    /// a debt collected when cash arrives, and holds the part again (有追索权保理).
    Recourse {
        voucher: VoucherId,
        #[command(flatten)]
        send: SendArgs,
    },
}

pub(super) fn run(home: Option<&Path>, command: FinancingCommand) -> anyhow::Result<()> {
    match command {
        FinancingCommand::Pledge(args) => offer(home, FinanceKind::Pledge, &args)?,
        FinancingCommand::Factor(args) => offer(home, FinanceKind::Factoring, &args)?,
        FinancingCommand::Accept {
            voucher,
            price,
            discount_bps,
            annual_rate,
            interest,
            recourse,
            send,
        } => {
            let price = match (price, discount_bps, annual_rate) {
                (Some(p), ..) => Price::Amount(amount(&p)?),
                (None, Some(bps), _) => Price::DiscountBps(bps),
                (None, None, Some(rate)) => Price::AnnualRateBps(rate_bps(&rate)?),
                (None, None, None) => bail!("pass --price, --discount-bps or --annual-rate"),
            };
            let interest_bps = interest.as_deref().map(rate_bps).transpose()?.unwrap_or(0);
            call(
                home,
                &send,
                voucher_method::ACCEPT,
                Accept {
                    voucher,
                    price,
                    recourse,
                    interest_bps,
                },
            )?
            .report(
                &send,
                &format!("voucher {voucher} financed"),
                json!({ "voucher": voucher }),
            )?;
        }
        FinancingCommand::Quote {
            voucher,
            annual_rate,
            query,
        } => {
            let f = Finance::new(home, &query)?;
            let rate = rate_bps(&annual_rate)?;
            let quoted: Quoted = f.query(
                voucher_method::QUOTE,
                Quote {
                    voucher,
                    annual_rate_bps: rate,
                },
            )?;
            if query.output == Output::Json {
                return print_json(&json!({
                    "voucher": voucher,
                    "face": format_amount(quoted.face),
                    "annual_rate": catena_schema::format_rate(rate),
                    "days": quoted.days,
                    "price": format_amount(quoted.price),
                }));
            }
            println!(
                "voucher {voucher}: {} = {} × (1 − {} × {} days / 360), rounded down to the fen",
                format_amount(quoted.price),
                format_amount(quoted.face),
                catena_schema::format_rate(rate),
                quoted.days
            );
        }
        FinancingCommand::Withdraw { voucher, send } => {
            call(home, &send, voucher_method::WITHDRAW_OFFER, voucher)?.report(
                &send,
                &format!("offer of voucher {voucher} withdrawn"),
                json!({ "voucher": voucher }),
            )?;
        }
        FinancingCommand::Release { voucher, send } => {
            call(home, &send, voucher_method::RELEASE, voucher)?.report(
                &send,
                &format!("voucher {voucher} released"),
                json!({ "voucher": voucher }),
            )?;
        }
        FinancingCommand::Repay { voucher, send } => {
            call(home, &send, voucher_method::REPAY, voucher)?.report(
                &send,
                &format!("voucher {voucher} repaid and released"),
                json!({ "voucher": voucher }),
            )?;
        }
        FinancingCommand::Recourse { voucher, send } => {
            let out = call(home, &send, voucher_method::EXERCISE_RECOURSE, voucher)?;
            let (done, debt) = match out.output.flatten() {
                Some(debt) => {
                    let f = Finance::new(home, &send.query)?;
                    let debt: Option<catena_schema::voucher::Debt> =
                        f.query(voucher_method::DEBT, debt)?;
                    let debt = debt.context("the recorded debt is missing")?;
                    (
                        format!(
                            "voucher {voucher} is back with {}; it owes {} more (debt {}), collected as its cash arrives",
                            debt.debtor,
                            format_amount(debt.amount - debt.paid),
                            debt.id
                        ),
                        Some(debt.id),
                    )
                }
                None => (
                    format!("voucher {voucher} is back with its seller, who paid in full"),
                    None,
                ),
            };
            out.report(&send, &done, json!({ "voucher": voucher, "debt": debt }))?;
        }
    }
    Ok(())
}
