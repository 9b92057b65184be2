//! `catena loan`: the loan ledger (docs/products.md). A member applies to a financier; the
//! financier sees the borrower's data-credit limit and its rule, then approves (advancing the
//! principal in cash) or declines; the borrower repays, interest first; a loan unpaid at its due
//! date falls overdue and its lender may enforce it.

use super::*;
use catena_api::loans::{CreditView, LoanPageView, LoanView};
use catena_schema::lending::method as lending_method;
use catena_schema::lending::{Application, Approval, Collateral, LoanId, Repay};

/// A loan's terms as the borrower asks them: of every product.
#[derive(Args)]
pub struct LoanTerms {
    /// The financier asked to lend.
    #[arg(long)]
    pub(crate) lender: String,
    /// The principal, such as 500000.00.
    #[arg(long)]
    pub(crate) amount: String,
    /// The highest annual rate you accept, a percentage such as 6.00 (ACT/360 by days).
    #[arg(long)]
    pub(crate) max_rate: String,
    /// The due date: a date (Beijing time) or +N with d, h, m or s from now.
    #[arg(long)]
    pub(crate) due: String,
}

impl LoanTerms {
    /// Applies for a loan on these terms with `collateral`; reports the loan's id as `done` says.
    pub(crate) fn apply(
        &self,
        home: Option<&Path>,
        send: &SendArgs,
        collateral: Collateral,
        done: impl FnOnce(LoanId, &LoanTerms) -> String,
    ) -> anyhow::Result<()> {
        let application = Application {
            lender: Finance::new(home, &send.query)?.uscc(&self.lender)?,
            amount: amount(&self.amount)?,
            max_rate_bps: rate_bps(&self.max_rate)?,
            due_ms: super::maturity_ms(&self.due)?,
            collateral,
        };
        let out = call(home, send, lending_method::APPLY, application)?;
        let text = out.output.map(|id| done(id, self)).unwrap_or_default();
        out.report(send, &text, json!({ "loan": out.output }))
    }
}

#[derive(Subcommand)]
pub enum LoanCommand {
    /// Apply to a financier for a data-credit loan (no collateral), within the limit your own
    /// record suggests (`catena loan limit`); the loan's id once committed.
    Apply {
        #[command(flatten)]
        terms: LoanTerms,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The lender approves at an annual rate (at most the borrower's highest) and advances the
    /// principal in cash at once; the borrower's limit and its rule are shown first.
    Approve {
        loan: LoanId,
        /// The annual interest rate, a percentage such as 5.00.
        #[arg(long)]
        rate: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The lender declines an application.
    Decline {
        loan: LoanId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The borrower withdraws its application.
    Withdraw {
        loan: LoanId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The borrower repays: interest first, then principal; everything owed if no amount.
    Repay {
        loan: LoanId,
        #[arg(long)]
        amount: Option<String>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The lender enforces an overdue loan (a data-credit loan's default is recorded and the
    /// loan closes on the ledger; the claim is pursued off chain).
    Enforce {
        loan: LoanId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// A loan: its parties, terms, status and what it owes now.
    Show {
        loan: LoanId,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The loans a member applied for, those asked of a financier, or every overdue loan.
    List {
        #[arg(long, conflicts_with_all = ["lender", "overdue"])]
        borrower: Option<String>,
        #[arg(long, conflicts_with = "overdue")]
        lender: Option<String>,
        #[arg(long)]
        overdue: bool,
        /// Only the page after this loan id.
        #[arg(long)]
        after: Option<u64>,
        /// Only one page of at most this many (1 to 1000).
        #[arg(long)]
        limit: Option<u32>,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The data-credit limit a member's own record suggests: the rating of the documents it
    /// recorded, its repayment history, what it owes unsecured, and the rule.
    Limit {
        member: String,
        #[command(flatten)]
        query: QueryArgs,
    },
}

pub fn loan(home: Option<&Path>, command: LoanCommand) -> anyhow::Result<()> {
    match command {
        LoanCommand::Apply { terms, send } => {
            terms.apply(home, &send, Collateral::Unsecured, |id, t| {
                format!("applied for loan {id}: {} from {}", t.amount, t.lender)
            })?
        }
        LoanCommand::Approve { loan, rate, send } => {
            let rate_bps = rate_bps(&rate)?;
            let f = Finance::new(home, &send.query)?;
            let view = loan_view(&f, loan)?;
            // What the lender signs on: the borrower's limit and its rule, or the collateral.
            let basis = match (&view.order, view.receipt) {
                (Some(order), _) => {
                    if send.query.output != Output::Json {
                        println!(
                            "prepayment of purchase order {}: the advance is paid to the seller {}",
                            order.order, order.seller
                        );
                    }
                    json!({ "order": order })
                }
                (None, None) => {
                    let credit = credit_view(&f, &view.borrower)?;
                    if send.query.output != Output::Json {
                        println!(
                            "borrower {}: data-credit limit {} CNY, {} available",
                            view.borrower, credit.limit, credit.available
                        );
                        println!("  rule: {}", credit.rule);
                    }
                    json!({ "credit": credit })
                }
                (None, Some(id)) => {
                    let receipt = super::receipt_view(&f, id)?;
                    if send.query.output != Output::Json {
                        println!(
                            "collateral: warehouse receipt {id}, {} {} of {} at {}, appraised at {} CNY",
                            receipt.quantity, receipt.unit, receipt.goods, receipt.location, receipt.value
                        );
                    }
                    json!({ "receipt": receipt })
                }
            };
            let approval = Approval { loan, rate_bps };
            call(home, &send, lending_method::APPROVE, approval)?.report(
                &send,
                &format!("loan {loan} approved at {rate}%: {} advanced", view.amount),
                json!({ "loan": loan, "basis": basis }),
            )?;
        }
        LoanCommand::Decline { loan, send } => {
            call(home, &send, lending_method::DECLINE, loan)?.report(
                &send,
                &format!("loan {loan} declined"),
                json!({ "loan": loan }),
            )?;
        }
        LoanCommand::Withdraw { loan, send } => {
            call(home, &send, lending_method::WITHDRAW, loan)?.report(
                &send,
                &format!("loan {loan} withdrawn"),
                json!({ "loan": loan }),
            )?;
        }
        LoanCommand::Repay {
            loan,
            amount: a,
            send,
        } => {
            let repay = Repay {
                loan,
                amount: a.as_deref().map(amount).transpose()?,
            };
            call(home, &send, lending_method::REPAY, repay)?.report(
                &send,
                &format!(
                    "loan {loan} repaid: {}",
                    a.as_deref().unwrap_or("everything owed")
                ),
                json!({ "loan": loan }),
            )?;
        }
        LoanCommand::Enforce { loan, send } => {
            call(home, &send, lending_method::ENFORCE, loan)?.report(
                &send,
                &format!("loan {loan} enforced"),
                json!({ "loan": loan }),
            )?;
        }
        LoanCommand::Show { loan, query } => {
            let f = Finance::new(home, &query)?;
            let view = loan_view(&f, loan)?;
            if query.output == Output::Json {
                return print_json(&serde_json::to_value(&view)?);
            }
            print_loan(&view, &f.names()?);
        }
        LoanCommand::List {
            borrower,
            lender,
            overdue,
            after,
            limit,
            query,
        } => {
            let f = Finance::new(home, &query)?;
            let filter = match (borrower, lender, overdue) {
                (Some(b), ..) => format!("borrower={}", f.uscc(&b)?),
                (None, Some(l), _) => format!("lender={}", f.uscc(&l)?),
                (None, None, true) => "overdue=true".into(),
                (None, None, false) => bail!("pass --borrower, --lender or --overdue"),
            };
            list(&f, &filter, after, limit, query.output)?;
        }
        LoanCommand::Limit { member, query } => {
            let f = Finance::new(home, &query)?;
            let credit = credit_view(&f, &f.uscc(&member)?)?;
            if query.output == Output::Json {
                return print_json(&serde_json::to_value(&credit)?);
            }
            print_credit(&credit);
        }
    }
    Ok(())
}

fn loan_view(f: &Finance, loan: LoanId) -> anyhow::Result<LoanView> {
    Ok(serde_json::from_value(
        f.client.get(&format!("/loans/{loan}"))?,
    )?)
}

fn credit_view(f: &Finance, uscc: &str) -> anyhow::Result<CreditView> {
    Ok(serde_json::from_value(
        f.client.get(&format!("/members/{uscc}/credit"))?,
    )?)
}

/// Every page of the loans `filter` names, or the one page asked for.
fn list(
    f: &Finance,
    filter: &str,
    after: Option<u64>,
    limit: Option<u32>,
    output: Output,
) -> anyhow::Result<()> {
    let one_page = after.is_some() || limit.is_some();
    let mut loans: Vec<LoanView> = Vec::new();
    let mut from = after;
    let next = loop {
        let mut path = format!("/loans?{filter}&limit={}", limit.unwrap_or(1_000));
        if let Some(after) = from {
            path += &format!("&after={after}");
        }
        let page: LoanPageView = serde_json::from_value(f.client.get(&path)?)?;
        loans.extend(page.loans);
        match page.next {
            Some(next) if !one_page => from = Some(next),
            next => break next,
        }
    };
    if output == Output::Json {
        return print_json(&json!({ "loans": loans, "next": next }));
    }
    println!(
        "{:>6} {:>18} {:>18} {:<10} {:<20} due",
        "id", "amount", "owed", "status", "borrower"
    );
    for l in &loans {
        println!(
            "{:>6} {:>18} {:>18} {:<10} {:<20} {}",
            l.id,
            l.amount,
            l.owed,
            l.status,
            l.borrower,
            time_text(l.due_ms)
        );
    }
    if let Some(next) = next {
        println!("(more: --after {next})");
    }
    Ok(())
}

fn print_loan(l: &LoanView, names: &std::collections::BTreeMap<Uscc, String>) {
    let name = |uscc: &str| names.get(uscc).cloned().unwrap_or_default();
    println!("loan {}: {}", l.id, l.status);
    println!("  borrower      {} ({})", name(&l.borrower), l.borrower);
    println!("  lender        {} ({})", name(&l.lender), l.lender);
    println!("  collateral    {}", l.collateral);
    if let Some(order) = &l.order {
        println!(
            "  order         {} (the advance paid to {} ({}); buy-back {})",
            order.order,
            name(&order.seller),
            order.seller,
            if order.buyback { "undertaken" } else { "none" }
        );
    }
    println!("  amount        {} CNY", l.amount);
    match &l.rate {
        Some(rate) => println!(
            "  rate          {rate} a year, ACT/360 (at most {})",
            l.max_rate
        ),
        None => println!("  rate          at most {} a year", l.max_rate),
    }
    println!("  applied       {}", time_text(l.applied_ms));
    if let Some(start) = l.start_ms {
        println!("  advanced      {}", time_text(start));
    }
    println!("  due           {}", time_text(l.due_ms));
    println!(
        "  owed          {} CNY ({} principal + {} interest) at {}",
        l.owed,
        l.principal_owed,
        l.interest_owed,
        time_text(l.at_ms)
    );
    println!(
        "  repaid        {} CNY in {} payment(s), {} of it interest",
        l.repaid, l.repayments, l.interest_paid
    );
    if let Some(owed) = &l.enforced_owed {
        println!("  enforced      {owed} CNY owed at enforcement");
    }
}

fn print_credit(c: &CreditView) {
    println!("data-credit limit for {}:", c.member);
    println!("  records       {} rated {}", c.score, c.rating);
    println!("                {}", c.records_rule);
    println!("  suggested     {} CNY", c.suggested);
    println!(
        "  history       {} on time, {} late, {} enforced, {} overdue now: factor {}",
        c.on_time, c.late, c.enforced, c.overdue, c.factor
    );
    println!("  limit         {} CNY", c.limit);
    println!("  outstanding   {} CNY unsecured", c.outstanding);
    println!("  available     {} CNY", c.available);
    println!("  rule          {}", c.rule);
}
