//! `catena receipt`: electronic warehouse receipts (电子仓单, docs/products.md): a warehouse
//! issues them and records goods in and out; owners split and transfer them and pledge them to a
//! financier for a loan; the pledgee consents to goods leaving.

use super::*;
use catena_api::receipts::{WarehouseReceiptPageView, WarehouseReceiptView};
use catena_schema::lending::Collateral;
use catena_schema::receipts::method as receipts_method;
use catena_schema::receipts::{GoodsMove, NewReceipt, ReceiptId, SplitReceipt, TransferReceipt};

#[derive(Subcommand)]
pub enum ReceiptCommand {
    /// A warehouse (a logistics member) issues a receipt for a lot it holds for an owner; the
    /// receipt's id once committed. One live receipt per lot.
    Issue {
        /// Who holds title to the goods.
        #[arg(long)]
        owner: String,
        /// The goods, such as "hot-rolled steel coil".
        #[arg(long)]
        goods: String,
        /// Whole units of --unit.
        #[arg(long)]
        quantity: u64,
        /// Such as t, kg, pcs.
        #[arg(long)]
        unit: String,
        #[arg(long)]
        location: String,
        /// The warehouse's lot identifier.
        #[arg(long)]
        lot: String,
        /// The appraised value of the whole quantity, such as 1000000.00.
        #[arg(long)]
        value: String,
        /// The appraisal's recorded document (0x + 64 hex digits, `catena record add`).
        #[arg(long)]
        appraisal: String,
        /// An inspection's recorded document (repeat for several).
        #[arg(long = "inspection")]
        inspections: Vec<String>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The warehouse records goods coming in under a receipt.
    GoodsIn {
        receipt: ReceiptId,
        #[arg(long)]
        quantity: u64,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The warehouse records goods leaving (of a pledged receipt only what the pledgee
    /// released); all of it gone, the receipt closes.
    GoodsOut {
        receipt: ReceiptId,
        #[arg(long)]
        quantity: u64,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The owner splits a receipt by quantity, each part a receipt of its own sub-lot.
    Split {
        receipt: ReceiptId,
        /// The parts' quantities, adding up to the receipt's (repeat: --quantity 60 --quantity 40).
        #[arg(long = "quantity", required = true)]
        quantities: Vec<u64>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The owner transfers a receipt: the goods' title moves.
    Transfer {
        receipt: ReceiptId,
        #[arg(long)]
        to: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The owner applies for a loan on a receipt, within the loan-to-value limit of its
    /// appraised value; the receipt is locked for the lender when it approves (`catena loan
    /// approve`). The loan's id once committed.
    Pledge {
        receipt: ReceiptId,
        #[command(flatten)]
        terms: super::LoanTerms,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The pledgee consents to a quantity of a pledged receipt's goods leaving the warehouse.
    Release {
        receipt: ReceiptId,
        #[arg(long)]
        quantity: u64,
        #[command(flatten)]
        send: SendArgs,
    },
    /// A receipt: goods, quantity, value, owner, warehouse and pledge.
    Show {
        receipt: ReceiptId,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The live receipts a member owns, or a warehouse keeps.
    List {
        #[arg(
            long,
            conflicts_with = "warehouse",
            required_unless_present = "warehouse"
        )]
        owner: Option<String>,
        #[arg(long)]
        warehouse: Option<String>,
        #[command(flatten)]
        query: QueryArgs,
    },
}

pub(crate) fn record_id(text: &str) -> anyhow::Result<catena_schema::RecordId> {
    Ok(text
        .parse::<Hash>()
        .map_err(|_| anyhow::anyhow!("'{text}' is not a document hash (0x + 64 hex digits)"))?
        .0)
}

pub fn receipt(home: Option<&Path>, command: ReceiptCommand) -> anyhow::Result<()> {
    match command {
        ReceiptCommand::Issue {
            owner,
            goods,
            quantity,
            unit,
            location,
            lot,
            value,
            appraisal,
            inspections,
            send,
        } => {
            let new = NewReceipt {
                owner: Finance::new(home, &send.query)?.uscc(&owner)?,
                goods,
                quantity,
                unit: unit.clone(),
                location,
                lot: lot.clone(),
                appraised_value: amount(&value)?,
                appraisal: record_id(&appraisal)?,
                inspections: inspections
                    .iter()
                    .map(|i| record_id(i))
                    .collect::<anyhow::Result<_>>()?,
            };
            let out = call(home, &send, receipts_method::ISSUE, new)?;
            let done = match out.output {
                Some(id) => format!(
                    "issued warehouse receipt {id}: {quantity} {unit} of lot {lot} to {owner}"
                ),
                None => String::new(),
            };
            out.report(&send, &done, json!({ "receipt": out.output }))?;
        }
        ReceiptCommand::GoodsIn {
            receipt,
            quantity,
            send,
        } => goods(
            home,
            &send,
            receipts_method::GOODS_IN,
            GoodsMove { receipt, quantity },
            &format!("{quantity} in under warehouse receipt {receipt}"),
        )?,
        ReceiptCommand::GoodsOut {
            receipt,
            quantity,
            send,
        } => goods(
            home,
            &send,
            receipts_method::GOODS_OUT,
            GoodsMove { receipt, quantity },
            &format!("{quantity} out under warehouse receipt {receipt}"),
        )?,
        ReceiptCommand::Split {
            receipt,
            quantities,
            send,
        } => {
            let split = SplitReceipt {
                receipt,
                quantities,
            };
            let out = call(home, &send, receipts_method::SPLIT, split)?;
            let parts = out.output.clone().unwrap_or_default();
            let done = format!(
                "warehouse receipt {receipt} split into {}",
                parts
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            out.report(&send, &done, json!({ "parts": out.output }))?;
        }
        ReceiptCommand::Transfer { receipt, to, send } => {
            let transfer = TransferReceipt {
                receipt,
                to: Finance::new(home, &send.query)?.uscc(&to)?,
            };
            call(home, &send, receipts_method::TRANSFER, transfer)?.report(
                &send,
                &format!("warehouse receipt {receipt} transferred to {to}"),
                json!({ "receipt": receipt }),
            )?;
        }
        ReceiptCommand::Pledge {
            receipt,
            terms,
            send,
        } => terms.apply(home, &send, Collateral::Receipt(receipt), |id, t| {
            format!(
                "applied for loan {id} on warehouse receipt {receipt}: {} from {}",
                t.amount, t.lender
            )
        })?,
        ReceiptCommand::Release {
            receipt,
            quantity,
            send,
        } => goods(
            home,
            &send,
            receipts_method::RELEASE,
            GoodsMove { receipt, quantity },
            &format!("{quantity} of warehouse receipt {receipt} released to leave"),
        )?,
        ReceiptCommand::Show { receipt, query } => {
            let f = Finance::new(home, &query)?;
            let view = receipt_view(&f, receipt)?;
            if query.output == Output::Json {
                return print_json(&serde_json::to_value(&view)?);
            }
            print_receipt(&view, &f.names()?);
        }
        ReceiptCommand::List {
            owner,
            warehouse,
            query,
        } => {
            let f = Finance::new(home, &query)?;
            let filter = match (owner, warehouse) {
                (Some(o), _) => format!("owner={}", f.uscc(&o)?),
                (None, Some(w)) => format!("warehouse={}", f.uscc(&w)?),
                (None, None) => bail!("pass --owner or --warehouse"),
            };
            let mut receipts: Vec<WarehouseReceiptView> = Vec::new();
            let mut after = None;
            loop {
                let mut path = format!("/receipts?{filter}&limit=1000");
                if let Some(after) = after {
                    path += &format!("&after={after}");
                }
                let page: WarehouseReceiptPageView = serde_json::from_value(f.client.get(&path)?)?;
                receipts.extend(page.receipts);
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            if query.output == Output::Json {
                return print_json(&json!({ "receipts": receipts }));
            }
            println!(
                "{:>6} {:>12} {:<6} {:<16} {:>18} {:<10} goods",
                "id", "quantity", "unit", "lot", "value", "pledged"
            );
            for r in &receipts {
                println!(
                    "{:>6} {:>12} {:<6} {:<16} {:>18} {:<10} {}",
                    r.id,
                    r.quantity,
                    r.unit,
                    r.lot,
                    r.value,
                    r.loan.map_or("no".into(), |l| format!("loan {l}")),
                    r.goods
                );
            }
        }
    }
    Ok(())
}

/// A call moving or releasing a receipt's goods, reported as `done`.
fn goods(
    home: Option<&Path>,
    send: &SendArgs,
    method: catena_schema::Method<GoodsMove, ()>,
    moved: GoodsMove,
    done: &str,
) -> anyhow::Result<()> {
    let receipt = moved.receipt;
    call(home, send, method, moved)?.report(send, done, json!({ "receipt": receipt }))
}

pub(crate) fn receipt_view(
    f: &Finance,
    receipt: ReceiptId,
) -> anyhow::Result<WarehouseReceiptView> {
    Ok(serde_json::from_value(
        f.client.get(&format!("/receipts/{receipt}"))?,
    )?)
}

fn print_receipt(r: &WarehouseReceiptView, names: &std::collections::BTreeMap<Uscc, String>) {
    let name = |uscc: &str| names.get(uscc).cloned().unwrap_or_default();
    println!("warehouse receipt {}: {}", r.id, r.status);
    println!("  goods         {} {} of {}", r.quantity, r.unit, r.goods);
    println!("  value         {} CNY (appraised)", r.value);
    println!("  owner         {} ({})", name(&r.owner), r.owner);
    println!("  warehouse     {} ({})", name(&r.warehouse), r.warehouse);
    println!("  lot           {} at {}", r.lot, r.location);
    println!("  appraisal     {}", r.appraisal);
    for inspection in &r.inspections {
        println!("  inspection    {inspection}");
    }
    println!(
        "  moved         {} in, {} out since issue",
        r.goods_in, r.goods_out
    );
    if let (Some(pledgee), Some(loan)) = (&r.pledgee, r.loan) {
        println!(
            "  pledged       to {} ({pledgee}) for loan {loan}: {} {} pledged, {} released, {} taken out",
            name(pledgee),
            r.pledged_quantity.unwrap_or_default(),
            r.unit,
            r.released.unwrap_or_default(),
            r.taken_out.unwrap_or_default()
        );
    }
    if let Some(parent) = r.parent {
        println!("  split from    {parent}");
    }
    if !r.children.is_empty() {
        let parts: Vec<String> = r.children.iter().map(u64::to_string).collect();
        println!("  parts         {}", parts.join(", "));
    }
}
