//! `catena record`: trade documents (contracts, deliveries, invoices, ...), recorded and shown.

use super::*;

#[derive(Subcommand)]
pub enum RecordCommand {
    /// Hash a document file and record it (存证) with its kind, parties, amount and links.
    Add(Box<RecordArgs>),
    /// A recorded document by its SHA-256.
    Show {
        hash: Hash,
        #[command(flatten)]
        query: QueryArgs,
    },
}

#[derive(Args)]
pub struct RecordArgs {
    /// The document; its SHA-256 identifies the record.
    file: PathBuf,
    /// contract, purchase_order, shipment, delivery_receipt, warehouse_receipt, invoice, payment.
    #[arg(long)]
    kind: String,
    /// A member the document binds (repeat for each; the signer's own member is added).
    #[arg(long = "party")]
    parties: Vec<String>,
    #[arg(long, default_value = "0")]
    amount: String,
    #[arg(long, default_value = "CNY")]
    currency: String,
    /// The document's date, YYYY-MM-DD (default: today).
    #[arg(long)]
    date: Option<String>,
    /// A recorded document of the same trade (repeat for each).
    #[arg(long = "link")]
    links: Vec<Hash>,
    /// Invoices: the invoice code (发票代码).
    #[arg(long)]
    invoice_code: Option<String>,
    /// Invoices: the invoice number (发票号码).
    #[arg(long)]
    invoice_number: Option<String>,
    /// Invoices: the buyer (the seller is the signer).
    #[arg(long)]
    buyer: Option<String>,
    #[command(flatten)]
    send: SendArgs,
}

/// Milliseconds since 1970 of a date in Beijing time (UTC+8): `YYYY-MM-DD` at 00:00, or with a
/// time of day, `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM:SS`.
pub(crate) fn date_ms(text: &str) -> anyhow::Result<u64> {
    use time::error::ParseFromDescription;
    use time::macros::{format_description, offset};
    // `why` is empty or ends with "; ".
    let refuse = |why: &str| {
        anyhow::anyhow!(
            "'{text}' is not a date: {why}write YYYY-MM-DD, YYYY-MM-DD HH:MM or \
             YYYY-MM-DDTHH:MM:SS (Beijing time)"
        )
    };
    let rule = |component: &str| match component {
        "year" => "the year must be four digits; ",
        "month" => "the month must be two digits, 01 to 12; ",
        "day" => "the day must be two digits, 01 to 31; ",
        "hour" => "the hour must be two digits, 00 to 23; ",
        "minute" => "the minute must be two digits, 00 to 59; ",
        "second" => "the second must be two digits, 00 to 59; ",
        _ => "",
    };
    let unparsed = |e: ParseFromDescription| match e {
        ParseFromDescription::InvalidComponent(component) => refuse(rule(component)),
        _ => refuse(""),
    };
    let mut parsed = time::parsing::Parsed::new();
    let rest = parsed
        .parse_items(text.as_bytes(), format_description!("[year]-[month]-[day]"))
        .map_err(unparsed)?;
    let rest = match rest.first() {
        None => rest,
        Some(b' ') => parsed
            .parse_items(rest, format_description!(" [hour]:[minute]"))
            .map_err(unparsed)?,
        Some(b'T') => parsed
            .parse_items(rest, format_description!("T[hour]:[minute]:[second]"))
            .map_err(unparsed)?,
        Some(_) => return Err(refuse("")),
    };
    let (true, Some(year), Some(month)) = (rest.is_empty(), parsed.year(), parsed.month()) else {
        return Err(refuse(""));
    };
    // Each part is in range once parsed: only a day past the month's end is left to refuse.
    let date = time::Date::try_from(parsed)
        .map_err(|_| refuse(&format!("{month} {year} has {} days; ", month.length(year))))?;
    let clock = (parsed.hour_24(), parsed.minute(), parsed.second());
    let when = date
        .with_hms(
            clock.0.unwrap_or(0),
            clock.1.unwrap_or(0),
            clock.2.unwrap_or(0),
        )
        .map_err(|e| refuse(rule(e.name())))?;
    u64::try_from(when.assume_offset(offset!(+8)).unix_timestamp() * 1000).map_err(|_| {
        anyhow::anyhow!("'{text}' is before 1970-01-01 08:00 Beijing time: write a later date")
    })
}

pub fn record(home: Option<&Path>, command: RecordCommand) -> anyhow::Result<()> {
    match command {
        RecordCommand::Add(args) => {
            let f = Finance::new(home, &args.send.query)?;
            let kind = Kind::parse(&args.kind).with_context(|| {
                format!(
                    "'{}' is not a record kind: {}",
                    args.kind,
                    Kind::ALL.map(Kind::as_str).join(", ")
                )
            })?;
            let document = std::fs::read(&args.file)
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            let account = crate::signing_key(home, &args.send)?.account();
            let signer = f
                .member_by_account(&account)?
                .map(|m| m.uscc)
                .context("the signing key is not an account of any member")?;
            let mut parties = Vec::new();
            let logistics_document = matches!(
                kind,
                Kind::Shipment | Kind::DeliveryReceipt | Kind::WarehouseReceipt
            );
            if !logistics_document {
                parties.push(signer.clone());
            }
            for p in &args.parties {
                let uscc = f.uscc(p)?;
                if !parties.contains(&uscc) {
                    parties.push(uscc);
                }
            }
            let invoice = match (kind, &args.invoice_code, &args.invoice_number, &args.buyer) {
                (Kind::Invoice, Some(code), Some(number), Some(buyer)) => {
                    let buyer = f.uscc(buyer)?;
                    if !parties.contains(&buyer) {
                        parties.push(buyer.clone());
                    }
                    Some(Invoice {
                        code: code.clone(),
                        number: number.clone(),
                        seller: signer.clone(),
                        buyer,
                    })
                }
                (Kind::Invoice, ..) => {
                    bail!("an invoice needs --invoice-code, --invoice-number and --buyer")
                }
                (_, None, None, None) => None,
                _ => bail!("--invoice-code, --invoice-number and --buyer are for invoices only"),
            };
            let doc_hash = Hash::digest(&document);
            let new = NewRecord {
                kind,
                doc_hash: doc_hash.0,
                parties,
                amount: amount(&args.amount)?,
                currency: args.currency.clone(),
                date_ms: match &args.date {
                    Some(date) => date_ms(date)?,
                    None => now_ms(),
                },
                links: args.links.iter().map(|h| h.0).collect(),
                invoice,
            };
            call(home, &args.send, records_method::RECORD, new)?.report(
                &args.send,
                &format!("recorded {} {doc_hash}", kind.as_str()),
                json!({ "record": doc_hash.to_string(), "kind": kind.as_str() }),
            )
        }
        RecordCommand::Show { hash, query } => {
            let f = Finance::new(home, &query)?;
            let record: Record = f
                .query(records_method::GET, hash.0)?
                .with_context(|| format!("document {hash} is not recorded"))?;
            let value = json!({
                "id": hash.to_string(),
                "kind": record.kind.as_str(),
                "recorder": record.recorder,
                "recorder_account": catena_primitives::AccountId(record.recorder_account).to_string(),
                "parties": record.parties,
                "amount": format_amount(record.amount),
                "currency": record.currency,
                "date_ms": record.date_ms,
                "links": record.links.iter().map(|l| Hash(*l).to_string()).collect::<Vec<_>>(),
                "invoice": record.invoice.as_ref().map(|i| json!({"code": i.code, "number": i.number, "seller": i.seller, "buyer": i.buyer})),
                "height": record.height,
                "time_ms": record.time_ms,
            });
            if query.output == Output::Json {
                return print_json(&value);
            }
            println!("{} {hash}", record.kind.as_str());
            println!(
                "  recorded by {} in block {} at {}",
                record.recorder,
                record.height,
                time_text(record.time_ms)
            );
            println!("  parties:   {}", record.parties.join(", "));
            println!(
                "  amount:    {} {}",
                format_amount(record.amount),
                record.currency
            );
            if let Some(i) = &record.invoice {
                println!(
                    "  invoice:   {} {} from {} to {}",
                    i.code, i.number, i.seller, i.buyer
                );
            }
            for link in &record.links {
                println!("  links:     {}", Hash(*link));
            }
            Ok(())
        }
    }
}
