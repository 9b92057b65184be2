//! `catena voucher`: receivable vouchers from request to settlement.

use super::*;

mod financing;
mod issuing;
mod lines;
mod moving;
mod reading;

/// What a voucher rests on and when it matures.
#[derive(Args)]
pub struct TermsArgs {
    /// The face amount, such as 1000000.00.
    #[arg(long)]
    amount: String,
    /// Maturity: YYYY-MM-DD (00:00 Beijing time), or from now: +30d, +12h, +90s.
    #[arg(long)]
    maturity: String,
    /// A recorded invoice backing it (repeat for each).
    #[arg(long = "invoice", required = true)]
    pub(crate) invoices: Vec<Hash>,
    /// Another recorded document of the trade (repeat for each): it names the issuer and the
    /// holder among its parties, or is linked with one of the invoices.
    #[arg(long = "record")]
    records: Vec<Hash>,
    #[arg(long, default_value = "CNY")]
    currency: String,
    /// Draw on this financier's credit line (otherwise on the issuer's lines in financier USCC
    /// order).
    #[arg(long)]
    line: Option<String>,
}

/// A voucher offered to a financier, for a pledge or for factoring.
#[derive(Args)]
pub struct OfferArgs {
    voucher: VoucherId,
    #[arg(long)]
    to: String,
    /// The least advance or price accepted, such as 300000.00.
    #[arg(long)]
    min_price: String,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Subcommand)]
pub enum VoucherCommand {
    #[command(flatten)]
    Issuing(issuing::IssuingCommand),
    #[command(flatten)]
    Moving(moving::MovingCommand),
    #[command(flatten)]
    Financing(financing::FinancingCommand),
    /// Issuer and holder each agree to cancel an untouched original; the second cancels it.
    Cancel {
        voucher: VoucherId,
        #[command(flatten)]
        send: SendArgs,
    },
    #[command(flatten)]
    Lines(lines::LinesCommand),
    #[command(flatten)]
    Reading(reading::ReadingCommand),
}

/// A maturity: a date, or `+N` with d, h, m or s from now; at the latest the end of 9999 (UTC).
pub(crate) fn maturity_ms(text: &str) -> anyhow::Result<u64> {
    let Some(relative) = text.strip_prefix('+') else {
        return date_ms(text);
    };
    let bad = || {
        anyhow::anyhow!("'{text}' is not a maturity: write YYYY-MM-DD, or +30d, +12h, +10m, +90s")
    };
    let too_far = || {
        anyhow::anyhow!(
            "'{text}' is too far ahead: a maturity must be no later than 9999-12-31 23:59:59 UTC"
        )
    };
    let (number, unit) = relative
        .split_at_checked(relative.len().saturating_sub(1))
        .ok_or_else(bad)?;
    let unit_ms: u64 = match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => return Err(bad()),
    };
    let n: u64 = number.parse().map_err(|e: std::num::ParseIntError| {
        if *e.kind() == std::num::IntErrorKind::PosOverflow {
            too_far()
        } else {
            bad()
        }
    })?;
    n.checked_mul(unit_ms)
        .and_then(|ms| now_ms().checked_add(ms))
        .filter(|&ms| ms <= catena_schema::voucher::MAX_TIME_MS)
        .ok_or_else(too_far)
}

pub(crate) fn terms(f: &Finance, counterparty: &str, args: &TermsArgs) -> anyhow::Result<Terms> {
    Ok(Terms {
        counterparty: f.uscc(counterparty)?,
        amount: amount(&args.amount)?,
        currency: args.currency.clone(),
        maturity_ms: maturity_ms(&args.maturity)?,
        invoices: args.invoices.iter().map(|h| h.0).collect(),
        records: args.records.iter().map(|h| h.0).collect(),
        line: args.line.as_deref().map(|l| f.uscc(l)).transpose()?,
    })
}

pub(crate) fn print_suggestion(
    s: &Suggestion,
    granted: bool,
    output: Output,
) -> anyhow::Result<()> {
    let pct = catena_schema::records::percent;
    if output == Output::Json {
        let score =
            |sc: &catena_schema::records::Score| json!({"score": pct(sc.score), "band": sc.band});
        return print_json(&json!({
            "core": s.core,
            "records": s.quality.records,
            "completeness": score(&s.completeness),
            "timeliness": score(&s.timeliness),
            "accuracy": score(&s.accuracy),
            "overall": pct(s.overall),
            "rating": s.rating,
            "suggested": format_amount(s.amount),
            "rule": s.rule,
            "granted": granted,
        }));
    }
    println!(
        "suggested credit line for {} ({} records):",
        s.core, s.quality.records
    );
    println!(
        "  completeness  {:>7}  {}",
        pct(s.completeness.score),
        s.completeness.band
    );
    println!(
        "  timeliness    {:>7}  {}",
        pct(s.timeliness.score),
        s.timeliness.band
    );
    println!(
        "  accuracy      {:>7}  {}",
        pct(s.accuracy.score),
        s.accuracy.band
    );
    println!("  rating        {:>7}  {}", pct(s.overall), s.rating);
    println!("  suggested     {} CNY", format_amount(s.amount));
    println!("  rule          {}", s.rule);
    if granted {
        println!("granted: the line is now {} CNY", format_amount(s.amount));
    }
    Ok(())
}

pub(crate) fn voucher_json(v: &Voucher) -> Value {
    serde_json::to_value(catena_api::VoucherView::from(v)).expect("a view serialises")
}

pub(crate) fn print_voucher(v: &Voucher, names: &std::collections::BTreeMap<Uscc, String>) {
    let who = |u: &str| {
        names
            .get(u)
            .map_or_else(|| u.to_string(), |n| format!("{n} ({u})"))
    };
    println!(
        "voucher {}{}",
        v.id,
        v.parent.map_or(String::new(), |p| format!(
            " (part of {p}, original {})",
            v.root
        ))
    );
    println!("  status:    {}", v.status.as_str());
    println!(
        "  amount:    {} {} (paid {})",
        format_amount(v.amount),
        v.currency,
        format_amount(v.paid)
    );
    println!("  issuer:    {}", who(&v.issuer));
    println!("  holder:    {}", who(&v.holder));
    if let Some(p) = &v.pledge {
        println!(
            "  pledgee:   {} (advance {} at {} a year from {}; received {})",
            who(&p.pledgee),
            format_amount(p.advance),
            catena_schema::format_rate(p.rate_bps),
            time_text(p.since_ms),
            format_amount(p.received)
        );
    }
    if let Some(f) = &v.factoring {
        println!(
            "  factored:  to {} for {}{}",
            who(&f.financier),
            format_amount(f.price),
            if f.recourse_to.is_some() {
                ", with recourse"
            } else {
                ""
            }
        );
    }
    println!("  issued:    {}", time_text(v.issued_ms));
    println!("  maturity:  {}", time_text(v.maturity_ms));
    if !v.children.is_empty() {
        println!(
            "  parts:     {}",
            v.children
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for b in &v.backing {
        println!(
            "  invoice:   {} backs {}",
            Hash(b.invoice),
            format_amount(b.amount)
        );
    }
}

/// Reports a call that made voucher (or request) `written.output`: `what ID` as a table, the id
/// under `key` in JSON.
pub(crate) fn report_id(
    send: &SendArgs,
    written: &super::Written<u64>,
    what: &str,
    key: &str,
) -> anyhow::Result<()> {
    let id = written.output;
    let done = id.map(|id| format!("{what} {id}")).unwrap_or_default();
    written.report(send, &done, json!({ key: id }))
}

pub fn voucher(home: Option<&Path>, command: VoucherCommand) -> anyhow::Result<()> {
    match command {
        VoucherCommand::Issuing(command) => issuing::run(home, command)?,
        VoucherCommand::Moving(command) => moving::run(home, command)?,
        VoucherCommand::Financing(command) => financing::run(home, command)?,
        VoucherCommand::Lines(command) => lines::run(home, command)?,
        VoucherCommand::Reading(command) => reading::run(home, command)?,
        VoucherCommand::Cancel { voucher, send } => {
            let out = call(home, &send, voucher_method::CANCEL, voucher)?;
            let status = Finance::new(home, &send.query)?
                .voucher(voucher)
                .map(|v| v.status.as_str());
            let cancelled = status.ok() == Some("cancelled");
            out.report(
                &send,
                &format!(
                    "voucher {voucher}: {}",
                    if cancelled {
                        "cancelled"
                    } else {
                        "your consent to cancel is recorded"
                    }
                ),
                json!({ "voucher": voucher, "cancelled": cancelled }),
            )?;
        }
    }
    Ok(())
}

pub(crate) fn offer(
    home: Option<&Path>,
    kind: FinanceKind,
    args: &OfferArgs,
) -> anyhow::Result<()> {
    let OfferArgs {
        voucher,
        to,
        min_price,
        send,
    } = args;
    let (voucher, to) = (*voucher, to.as_str());
    let f = Finance::new(home, &send.query)?;
    let min_price = amount(min_price)?;
    call(
        home,
        send,
        voucher_method::OFFER,
        Offer {
            voucher,
            financier: f.uscc(to)?,
            kind,
            min_price,
        },
    )?
    .report(
        send,
        &format!("voucher {voucher} offered to {to}; it accepts with `catena voucher accept {voucher} --price AMOUNT`"),
        json!({ "voucher": voucher }),
    )
}
