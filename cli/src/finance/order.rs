//! `catena order`: prepayment (order) financing (预付账款/订单融资, docs/products.md). The buyer of
//! a recorded purchase order applies for the prepayment; the lender's advance goes to the seller;
//! the goods' warehouse receipt secures the loan; the seller may undertake a buy-back.

use super::*;
use catena_schema::lending::method as lending_method;
use catena_schema::lending::{Collateral, LoanId, Secure};
use catena_schema::receipts::ReceiptId;

#[derive(Subcommand)]
pub enum OrderCommand {
    /// The buyer of a recorded purchase order applies for its prepayment; when the lender
    /// approves (`catena loan approve`) the advance is paid to the seller. The loan's id once
    /// committed.
    Finance {
        /// The purchase order's recorded document (0x + 64 hex digits, `catena record add
        /// --kind purchase_order`).
        order: String,
        #[arg(long)]
        seller: String,
        /// The amount is at most the order's.
        #[command(flatten)]
        terms: super::LoanTerms,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The goods shipped into the warehouse, under a receipt the buyer holds, secure the loan:
    /// the receipt is pledged to the lender (by the buyer or the lender).
    Secure {
        loan: LoanId,
        #[arg(long)]
        receipt: ReceiptId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The seller undertakes to buy the goods back if the buyer defaults: at enforcement it pays
    /// what its cash covers of what is owed and takes the goods.
    Buyback {
        loan: LoanId,
        #[command(flatten)]
        send: SendArgs,
    },
}

pub fn order(home: Option<&Path>, command: OrderCommand) -> anyhow::Result<()> {
    match command {
        OrderCommand::Finance {
            order,
            seller,
            terms,
            send,
        } => {
            let collateral = Collateral::Order {
                order: super::receipt::record_id(&order)?,
                seller: Finance::new(home, &send.query)?.uscc(&seller)?,
                receipt: None,
                buyback: false,
            };
            terms.apply(home, &send, collateral, |id, t| {
                format!(
                    "applied for loan {id}: the prepayment of {} to {seller}, from {}",
                    t.amount, t.lender
                )
            })?
        }
        OrderCommand::Secure {
            loan,
            receipt,
            send,
        } => call(
            home,
            &send,
            lending_method::SECURE,
            Secure { loan, receipt },
        )?
        .report(
            &send,
            &format!("loan {loan} secured by warehouse receipt {receipt}"),
            json!({ "loan": loan }),
        )?,
        OrderCommand::Buyback { loan, send } => {
            call(home, &send, lending_method::UNDERTAKE_BUYBACK, loan)?.report(
                &send,
                &format!("buy-back of loan {loan}'s goods undertaken"),
                json!({ "loan": loan }),
            )?
        }
    }
    Ok(())
}
