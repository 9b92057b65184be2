//! The user commands of supply-chain finance: `catena member`, `record`, `voucher`, `cash`. Each
//! is thin over the API: transactions call the system contracts (signed with `--as NAME` or
//! `--key FILE`), queries use `POST /contracts/{id}/query`. Amounts are written and shown as
//! decimal currency units (`1000000.00`); members are named by USCC, by full name, or by a demo
//! identity's name (`tier2-parts`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use catena_node::now_ms;
use catena_primitives::Hash;
use catena_runtime::{contract_of, system_call};
use catena_schema::cash::method as cash_method;
use catena_schema::cash::{Mint, Transfer as CashTransfer};
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, NewRecord, Record, Suggestion};
use catena_schema::registry::method as registry_method;
use catena_schema::registry::MemberRecord;
use catena_schema::voucher::method as voucher_method;
use catena_schema::voucher::{
    Accept, CreditLines, FinanceKind, HistoryEntry, Offer, Price, Quote, Quoted, SetCreditLine,
    Split, Terms, Transfer, Voucher, VoucherId,
};
use catena_schema::Method;
use catena_schema::{format_amount, parse_amount, uscc, Amount, Uscc};
use clap::{Args, Subcommand};
use parity_scale_codec::{Decode, Encode};
use serde_json::{json, Value};

use crate::client::ApiClient;
use crate::{api_url, send_call, Output, QueryArgs, SendArgs};

#[derive(Subcommand)]
pub enum MemberCommand {
    /// Every member with its roles and accounts.
    List(QueryArgs),
    /// One member, by USCC, name or demo identity.
    Show {
        member: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// A governing member proposes a change of membership (it counts as its approval).
    #[command(subcommand)]
    Propose(ProposeCommand),
    /// A governing member approves a membership proposal; at the threshold it applies.
    Approve {
        proposal: u64,
        #[command(flatten)]
        send: SendArgs,
    },
    /// A membership proposal: the change, who approved, whether it is applied.
    Proposal {
        proposal: u64,
        #[command(flatten)]
        query: QueryArgs,
    },
}

#[derive(Subcommand)]
pub enum ProposeCommand {
    /// Admit a new member.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        uscc: String,
        /// core, supplier, financier, logistics, auditor (repeat for each).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// An account (0x + 64 hex digits) of the member (repeat for each).
        #[arg(long = "account", required = true)]
        accounts: Vec<catena_primitives::AccountId>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Remove a member and all its accounts.
    Remove {
        member: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Replace a member's roles.
    SetRoles {
        member: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Give a member another account.
    AddAccount {
        member: String,
        #[arg(long)]
        account: catena_primitives::AccountId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Take an account from a member (not its last).
    RemoveAccount {
        member: String,
        #[arg(long)]
        account: catena_primitives::AccountId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Revoke a financier's credit line to a core enterprise: it backs what it backs, takes no
    /// new draw and closes when paid.
    RevokeLine {
        /// The core enterprise.
        issuer: String,
        #[arg(long)]
        financier: String,
        #[command(flatten)]
        send: SendArgs,
    },
}

fn roles(names: &[String]) -> anyhow::Result<Vec<catena_schema::Role>> {
    names
        .iter()
        .map(|r| {
            catena_schema::Role::parse(r).with_context(|| {
                format!("'{r}' is not a role: core, supplier, financier, logistics, auditor")
            })
        })
        .collect()
}

fn propose(home: Option<&Path>, command: ProposeCommand) -> anyhow::Result<()> {
    use catena_schema::registry::Change;
    let (change, send) = match command {
        ProposeCommand::Add {
            name,
            uscc,
            roles: r,
            accounts,
            send,
        } => (
            Change::AddMember(MemberRecord {
                name,
                uscc,
                roles: roles(&r)?,
                accounts: accounts.iter().map(|a| a.0).collect(),
            }),
            send,
        ),
        ProposeCommand::Remove { member, send } => {
            let uscc = Finance::new(home, &send.query).uscc(&member)?;
            (Change::RemoveMember(uscc), send)
        }
        ProposeCommand::SetRoles {
            member,
            roles: r,
            send,
        } => {
            let uscc = Finance::new(home, &send.query).uscc(&member)?;
            (
                Change::SetRoles {
                    uscc,
                    roles: roles(&r)?,
                },
                send,
            )
        }
        ProposeCommand::AddAccount {
            member,
            account,
            send,
        } => {
            let uscc = Finance::new(home, &send.query).uscc(&member)?;
            (
                Change::AddAccount {
                    uscc,
                    account: account.0,
                },
                send,
            )
        }
        ProposeCommand::RemoveAccount {
            member,
            account,
            send,
        } => {
            let uscc = Finance::new(home, &send.query).uscc(&member)?;
            (
                Change::RemoveAccount {
                    uscc,
                    account: account.0,
                },
                send,
            )
        }
        ProposeCommand::RevokeLine {
            issuer,
            financier,
            send,
        } => {
            let f = Finance::new(home, &send.query);
            let change = Change::RevokeCreditLine {
                issuer: f.uscc(&issuer)?,
                financier: f.uscc(&financier)?,
            };
            (change, send)
        }
    };
    let out = call(home, &send, registry_method::PROPOSE, change)?;
    if let Some(id) = out {
        let applied = proposal_applied(&Finance::new(home, &send.query), id)?;
        println!(
            "membership proposal {id}{}",
            if applied {
                ": applied"
            } else {
                ": waiting for approvals"
            }
        );
    }
    Ok(())
}

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
    invoices: Vec<Hash>,
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
    /// Issuer and holder each agree to cancel an untouched original; the second cancels it.
    Cancel {
        voucher: VoucherId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// A financier sets its own credit line to a core enterprise (0 closes it), or anyone shows
    /// the core's lines.
    CreditLine {
        issuer: String,
        /// Set the limit (a financier, with --as or --key).
        #[arg(long)]
        set: Option<String>,
        #[arg(long = "as")]
        as_name: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
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
        #[arg(long = "as")]
        as_name: Option<String>,
        #[arg(long)]
        key: Option<PathBuf>,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// One voucher.
    Show {
        voucher: VoucherId,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The live vouchers a member holds, or the originals it issued (every page, or one).
    List {
        #[arg(long, conflicts_with = "issuer", required_unless_present = "issuer")]
        holder: Option<String>,
        #[arg(long)]
        issuer: Option<String>,
        /// Only the page after this voucher id.
        #[arg(long)]
        after: Option<u64>,
        /// Only one page of at most this many (1 to 1000).
        #[arg(long)]
        limit: Option<u32>,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Everything that happened to a voucher, and its holders from the first.
    History {
        voucher: VoucherId,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The whole tree of parts the voucher belongs to.
    Tree {
        voucher: VoucherId,
        #[command(flatten)]
        query: QueryArgs,
    },
}

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

/// Talks to one node about the system contracts.
pub(crate) struct Finance<'a> {
    home: Option<&'a Path>,
    client: ApiClient,
    /// The members, read once: a command resolves several names against the same list.
    members: std::cell::OnceCell<Vec<MemberRecord>>,
}

impl<'a> Finance<'a> {
    pub(crate) fn new(home: Option<&'a Path>, query: &QueryArgs) -> Finance<'a> {
        Finance {
            home,
            client: ApiClient::new(&api_url(home, query)),
            members: std::cell::OnceCell::new(),
        }
    }

    /// Calls `method` read-only with `argument` and decodes its answer.
    pub(crate) fn query<A: Encode, O: Decode>(
        &self,
        method: Method<A, O>,
        argument: A,
    ) -> anyhow::Result<O> {
        let output =
            self.client
                .query(&contract_of(method), method.name, &method.input(&argument))?;
        method
            .output(&output)
            .with_context(|| format!("the node's answer to '{method}' does not decode"))
    }

    /// The chain's members (read from the registry on first use).
    pub(crate) fn members(&self) -> anyhow::Result<Vec<MemberRecord>> {
        if let Some(members) = self.members.get() {
            return Ok(members.clone());
        }
        let members: Vec<MemberRecord> = self.query(registry_method::MEMBERS, ())?;
        Ok(self.members.get_or_init(|| members).clone())
    }

    /// The member `account` belongs to, if any.
    fn member_by_account(
        &self,
        account: &catena_primitives::AccountId,
    ) -> anyhow::Result<Option<MemberRecord>> {
        Ok(self
            .members()?
            .into_iter()
            .find(|m| m.accounts.contains(&account.0)))
    }

    /// A member named by USCC, full name (any case), or demo identity.
    fn member(&self, name: &str) -> anyhow::Result<MemberRecord> {
        if let Some(m) = self
            .members()?
            .into_iter()
            .find(|m| m.uscc == name || m.name.eq_ignore_ascii_case(name))
        {
            return Ok(m);
        }
        if let Some(key) = crate::demo_identity(self.home, name) {
            if let Some(m) = self.member_by_account(&key.account())? {
                return Ok(m);
            }
        }
        if uscc::validate(name).is_ok() {
            bail!("{name} is not a member of this chain");
        }
        bail!("'{name}' is not a member: give a USCC, a member's name, or a demo identity (see `catena member list`)")
    }

    pub(crate) fn uscc(&self, name: &str) -> anyhow::Result<Uscc> {
        self.member(name).map(|m| m.uscc)
    }

    fn names(&self) -> anyhow::Result<std::collections::BTreeMap<Uscc, String>> {
        Ok(self
            .members()?
            .into_iter()
            .map(|m| (m.uscc, m.name))
            .collect())
    }

    pub(crate) fn voucher(&self, id: VoucherId) -> anyhow::Result<Voucher> {
        self.query(voucher_method::GET, id)?
            .with_context(|| format!("there is no voucher {id}"))
    }
}

/// Sends a call of a system contract's `method`; returns its decoded output (`None` with
/// --no-wait).
pub(crate) fn call<A: Encode, O: Decode>(
    home: Option<&Path>,
    send: &SendArgs,
    method: Method<A, O>,
    argument: A,
) -> anyhow::Result<Option<O>> {
    let id = contract_of(method);
    let contract = method.contract;
    // Name the system contract rather than print its id.
    let view = send_call(home, send, system_call(method, argument)).map_err(|e| {
        let text = format!("{e:#}");
        anyhow::anyhow!(
            "{}",
            text.replace(
                &format!("contract {id}: "),
                &format!("the {contract} contract refused: ")
            )
        )
    })?;
    let Some(receipt) = view.and_then(|v| v.receipt) else {
        return Ok(None);
    };
    let output = hex::decode(receipt.output.trim_start_matches("0x"))
        .context("the receipt's output is not hex")?;
    method
        .output(&output)
        .map(Some)
        .with_context(|| format!("the output of '{method}' does not decode"))
}

fn amount(text: &str) -> anyhow::Result<Amount> {
    parse_amount(text).map_err(anyhow::Error::msg)
}

/// Milliseconds since 1970 of a date in Beijing time (UTC+8): `YYYY-MM-DD` at 00:00, or with a
/// time of day, `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM:SS`.
fn date_ms(text: &str) -> anyhow::Result<u64> {
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

/// A maturity: a date, or `+N` with d, h, m or s from now; at the latest the end of 9999 (UTC).
fn maturity_ms(text: &str) -> anyhow::Result<u64> {
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

fn terms(f: &Finance, counterparty: &str, args: &TermsArgs) -> anyhow::Result<Terms> {
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

/// Whether membership proposal `id` is no longer open (its change applied).
fn proposal_applied(f: &Finance, id: u64) -> anyhow::Result<bool> {
    let proposal: Option<catena_schema::registry::Proposal> =
        f.query(registry_method::PROPOSAL, id)?;
    Ok(proposal.is_some_and(|p| p.status != catena_schema::registry::ProposalStatus::Open))
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

/// A percentage such as `3.65` (or `3.65%`) in basis points.
fn rate_bps(text: &str) -> anyhow::Result<u32> {
    catena_schema::parse_rate(text).map_err(anyhow::Error::msg)
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    crate::print_value(value, crate::Output::Json)
}

/// Milliseconds since 1970 as `YYYY-MM-DD HH:MM:SS +08:00`, Beijing time.
fn time_text(ms: u64) -> String {
    use time::macros::{format_description, offset};
    let form = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
    );
    let utc = i64::try_from(ms / 1000)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok());
    // The last 8 hours of 9999 (UTC) are in the year 10000 in Beijing, past what `time`
    // writes: those are written in UTC.
    match utc.map(|t| t.checked_to_offset(offset!(+8)).unwrap_or(t)) {
        Some(t) => t
            .format(form)
            .expect("a time of the years 1970 to 9999 formats"),
        None => format!("{ms} ms after 1970"),
    }
}

fn voucher_json(v: &Voucher) -> Value {
    serde_json::to_value(catena_api::VoucherView::from(v)).expect("a view serialises")
}

fn print_voucher(v: &Voucher, names: &std::collections::BTreeMap<Uscc, String>) {
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

pub fn member(home: Option<&Path>, command: MemberCommand) -> anyhow::Result<()> {
    let member_json = |m: &MemberRecord| {
        json!({
            "name": m.name,
            "uscc": m.uscc,
            "roles": m.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "accounts": m.accounts.iter().map(|a| catena_primitives::AccountId(*a).to_string()).collect::<Vec<_>>(),
        })
    };
    match command {
        MemberCommand::Propose(p) => propose(home, p),
        MemberCommand::Approve { proposal, send } => {
            call(home, &send, registry_method::APPROVE, proposal)?;
            let applied = proposal_applied(&Finance::new(home, &send.query), proposal)?;
            println!(
                "membership proposal {proposal}{}",
                if applied {
                    ": applied"
                } else {
                    ": approved, waiting for more"
                }
            );
            Ok(())
        }
        MemberCommand::Proposal { proposal, query } => {
            let p: catena_schema::registry::Proposal = Finance::new(home, &query)
                .query(registry_method::PROPOSAL, proposal)?
                .with_context(|| format!("there is no membership proposal {proposal}"))?;
            let value = json!({
                "id": p.id,
                "change": format!("{:?}", p.change),
                "approvals": p.approvals,
                "status": match p.status {
                    catena_schema::registry::ProposalStatus::Open => "open".to_string(),
                    catena_schema::registry::ProposalStatus::Applied(h) => format!("applied at height {h}"),
                },
            });
            crate::print_value(&value, query.output)
        }
        MemberCommand::List(query) => {
            let members = Finance::new(home, &query).members()?;
            if query.output == Output::Json {
                return print_json(&Value::Array(members.iter().map(member_json).collect()));
            }
            println!("{:<20} {:<36} {:<12} accounts", "USCC", "name", "roles");
            for m in &members {
                let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:<20} {:<36} {:<12} {}",
                    m.uscc,
                    m.name,
                    roles.join(","),
                    m.accounts.len()
                );
            }
            Ok(())
        }
        MemberCommand::Show { member, query } => {
            let m = Finance::new(home, &query).member(&member)?;
            if query.output == Output::Json {
                return print_json(&member_json(&m));
            }
            println!("{} ({})", m.name, m.uscc);
            println!(
                "  roles:    {}",
                m.roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for a in &m.accounts {
                println!("  account:  {}", catena_primitives::AccountId(*a));
            }
            Ok(())
        }
    }
}

pub fn record(home: Option<&Path>, command: RecordCommand) -> anyhow::Result<()> {
    match command {
        RecordCommand::Add(args) => {
            let f = Finance::new(home, &args.send.query);
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
            call(home, &args.send, records_method::RECORD, new)?;
            println!("recorded {} {doc_hash}", kind.as_str());
            Ok(())
        }
        RecordCommand::Show { hash, query } => {
            let f = Finance::new(home, &query);
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

fn print_voucher_id(id: Option<u64>, what: &str) {
    if let Some(id) = id {
        println!("{what} {id}");
    }
}

pub fn voucher(home: Option<&Path>, command: VoucherCommand) -> anyhow::Result<()> {
    match command {
        VoucherCommand::Request {
            issuer,
            terms: t,
            send,
        } => {
            let f = Finance::new(home, &send.query);
            let out = call(
                home,
                &send,
                voucher_method::REQUEST,
                terms(&f, &issuer, &t)?,
            )?;
            print_voucher_id(out, "request");
        }
        VoucherCommand::Confirm { request, send } => {
            let out = call(home, &send, voucher_method::CONFIRM, request)?;
            print_voucher_id(out, "issued voucher");
        }
        VoucherCommand::Reject { request, send } => {
            call(home, &send, voucher_method::REJECT, request)?;
            println!("request {request} rejected");
        }
        VoucherCommand::WithdrawRequest { request, send } => {
            call(home, &send, voucher_method::WITHDRAW_REQUEST, request)?;
            println!("request {request} withdrawn");
        }
        VoucherCommand::Issue { to, terms: t, send } => {
            let f = Finance::new(home, &send.query);
            let out = call(home, &send, voucher_method::ISSUE, terms(&f, &to, &t)?)?;
            print_voucher_id(out, "issued voucher");
        }
        VoucherCommand::Split {
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
            if let Some(ids) = out {
                println!(
                    "voucher {voucher} split into {}",
                    ids.iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        VoucherCommand::Transfer {
            voucher,
            to,
            amount: part,
            send,
        } => {
            let f = Finance::new(home, &send.query);
            let args = Transfer {
                voucher,
                to: f.uscc(&to)?,
                amount: part.as_deref().map(amount).transpose()?,
            };
            let out = call(home, &send, voucher_method::TRANSFER, args)?;
            print_voucher_id(out, "transferred voucher");
        }
        VoucherCommand::Pledge(args) => offer(home, FinanceKind::Pledge, &args)?,
        VoucherCommand::Factor(args) => offer(home, FinanceKind::Factoring, &args)?,
        VoucherCommand::Accept {
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
            )?;
            println!("voucher {voucher} financed");
        }
        VoucherCommand::Quote {
            voucher,
            annual_rate,
            query,
        } => {
            let f = Finance::new(home, &query);
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
        VoucherCommand::Withdraw { voucher, send } => {
            call(home, &send, voucher_method::WITHDRAW_OFFER, voucher)?;
            println!("offer of voucher {voucher} withdrawn");
        }
        VoucherCommand::Release { voucher, send } => {
            call(home, &send, voucher_method::RELEASE, voucher)?;
            println!("voucher {voucher} released");
        }
        VoucherCommand::Repay { voucher, send } => {
            call(home, &send, voucher_method::REPAY, voucher)?;
            println!("voucher {voucher} repaid and released");
        }
        VoucherCommand::Recourse { voucher, send } => {
            let out = call(home, &send, voucher_method::EXERCISE_RECOURSE, voucher)?;
            match out.flatten() {
                Some(debt) => {
                    let f = Finance::new(home, &send.query);
                    let debt: Option<catena_schema::voucher::Debt> =
                        f.query(voucher_method::DEBT, debt)?;
                    let debt = debt.context("the recorded debt is missing")?;
                    println!(
                        "voucher {voucher} is back with {}; it owes {} more (debt {}), collected as its cash arrives",
                        debt.debtor,
                        format_amount(debt.amount - debt.paid),
                        debt.id
                    );
                }
                None => println!("voucher {voucher} is back with its seller, who paid in full"),
            }
        }
        VoucherCommand::Cancel { voucher, send } => {
            call(home, &send, voucher_method::CANCEL, voucher)?;
            let status = Finance::new(home, &send.query)
                .voucher(voucher)
                .map(|v| v.status.as_str());
            println!(
                "voucher {voucher}: {}",
                if status.ok() == Some("cancelled") {
                    "cancelled"
                } else {
                    "your consent to cancel is recorded"
                }
            );
        }
        VoucherCommand::CreditLine {
            issuer,
            set,
            as_name,
            key,
            query,
        } => {
            let f = Finance::new(home, &query);
            let uscc = f.uscc(&issuer)?;
            if let Some(limit) = set {
                let send = SendArgs {
                    as_name,
                    key,
                    no_wait: false,
                    quiet: false,
                    query: query.clone(),
                };
                call(
                    home,
                    &send,
                    voucher_method::SET_CREDIT_LINE,
                    SetCreditLine {
                        issuer: uscc.clone(),
                        limit: amount(&limit)?,
                    },
                )?;
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
                    "issuer": uscc,
                    "limit": format_amount(lines.limit()),
                    "outstanding": format_amount(lines.outstanding()),
                    "available": format_amount(lines.available()),
                    "lines": each,
                }));
            }
            println!(
                "credit lines of {uscc}: {} ({} outstanding, {} available)",
                format_amount(lines.limit()),
                format_amount(lines.outstanding()),
                format_amount(lines.available())
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
        VoucherCommand::SuggestLine {
            member,
            grant,
            as_name,
            key,
            query,
        } => {
            let f = Finance::new(home, &query);
            let uscc = f.uscc(&member)?;
            let suggestion: Suggestion = if grant {
                let send = SendArgs {
                    as_name,
                    key,
                    no_wait: false,
                    quiet: false,
                    query: query.clone(),
                };
                let out = call(
                    home,
                    &send,
                    voucher_method::GRANT_SUGGESTED_LINE,
                    uscc.clone(),
                )?;
                out.context("the grant's answer does not decode")?
            } else {
                f.query(records_method::SUGGEST_LINE, uscc.clone())?
            };
            print_suggestion(&suggestion, grant, query.output)?;
        }
        VoucherCommand::Show { voucher, query } => {
            let f = Finance::new(home, &query);
            let v = f.voucher(voucher)?;
            if query.output == Output::Json {
                return print_json(&voucher_json(&v));
            }
            print_voucher(&v, &f.names()?);
        }
        VoucherCommand::List {
            holder,
            issuer,
            after,
            limit,
            query,
        } => {
            let f = Finance::new(home, &query);
            let filter = match (holder, issuer) {
                (Some(h), _) => format!("holder={}", f.uscc(&h)?),
                (None, Some(i)) => format!("issuer={}", f.uscc(&i)?),
                (None, None) => bail!("pass --holder or --issuer"),
            };
            // One page if asked for; otherwise every page, so nothing is cut.
            let one_page = after.is_some() || limit.is_some();
            let mut vouchers: Vec<catena_api::VoucherView> = Vec::new();
            let mut from = after;
            let next = loop {
                let mut path = format!("/vouchers?{filter}&limit={}", limit.unwrap_or(1_000));
                if let Some(after) = from {
                    path += &format!("&after={after}");
                }
                let page: catena_api::VoucherPageView =
                    serde_json::from_value(f.client.get(&path)?)?;
                vouchers.extend(page.vouchers);
                match page.next {
                    Some(next) if !one_page => from = Some(next),
                    next => break next,
                }
            };
            if query.output == Output::Json {
                return print_json(&json!({"vouchers": vouchers, "next": next}));
            }
            println!(
                "{:>6} {:>18} {:<10} {:<20} maturity",
                "id", "amount", "status", "holder"
            );
            for v in &vouchers {
                println!(
                    "{:>6} {:>18} {:<10} {:<20} {}",
                    v.id,
                    v.amount,
                    v.status,
                    v.holder,
                    time_text(v.maturity_ms)
                );
            }
            if let Some(next) = next {
                println!("(more: --after {next})");
            }
        }
        VoucherCommand::History { voucher, query } => {
            let f = Finance::new(home, &query);
            let history: Vec<HistoryEntry> = f.query(voucher_method::HISTORY, voucher)?;
            let path: Vec<Uscc> = f.query(voucher_method::PATH, voucher)?;
            if query.output == Output::Json {
                let entries: Vec<Value> = history
                    .iter()
                    .map(|h| json!({"height": h.height, "time_ms": h.time_ms, "action": h.action.describe()}))
                    .collect();
                return print_json(&json!({"voucher": voucher, "path": path, "history": entries}));
            }
            println!("voucher {voucher}: holders {}", path.join(" -> "));
            for h in &history {
                println!(
                    "  block {:>6}  {}  {}",
                    h.height,
                    time_text(h.time_ms),
                    h.action.describe()
                );
            }
        }
        VoucherCommand::Tree { voucher, query } => {
            let f = Finance::new(home, &query);
            let tree: Vec<Voucher> = f.query(voucher_method::LINEAGE, voucher)?;
            if query.output == Output::Json {
                return print_json(&Value::Array(tree.iter().map(voucher_json).collect()));
            }
            let depth = |v: &Voucher| {
                let mut d = 0;
                let mut parent = v.parent;
                while let Some(p) = parent {
                    d += 1;
                    parent = tree.iter().find(|t| t.id == p).and_then(|t| t.parent);
                }
                d
            };
            for v in &tree {
                println!(
                    "{}{} {} {} held by {}{}",
                    "  ".repeat(depth(v)),
                    v.id,
                    format_amount(v.amount),
                    v.status.as_str(),
                    v.holder,
                    if v.id == voucher { "  <-" } else { "" }
                );
            }
        }
    }
    Ok(())
}

fn offer(home: Option<&Path>, kind: FinanceKind, args: &OfferArgs) -> anyhow::Result<()> {
    let OfferArgs {
        voucher,
        to,
        min_price,
        send,
    } = args;
    let (voucher, to) = (*voucher, to.as_str());
    let f = Finance::new(home, &send.query);
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
    )?;
    println!("voucher {voucher} offered to {to}; it accepts with `catena voucher accept {voucher} --price AMOUNT`");
    Ok(())
}

pub fn cash(home: Option<&Path>, command: CashCommand) -> anyhow::Result<()> {
    match command {
        CashCommand::Mint {
            to,
            amount: a,
            send,
        } => {
            let f = Finance::new(home, &send.query);
            let to_uscc = f.uscc(&to)?;
            call(
                home,
                &send,
                cash_method::MINT,
                Mint {
                    to: to_uscc,
                    amount: amount(&a)?,
                },
            )?;
            println!("minted {a} for {to}");
        }
        CashCommand::Burn { amount: a, send } => {
            call(home, &send, cash_method::BURN, amount(&a)?)?;
            println!("burned {a}");
        }
        CashCommand::Transfer {
            to,
            amount: a,
            custodian,
            send,
        } => {
            let f = Finance::new(home, &send.query);
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
            )?;
            println!("transferred {a} to {to}");
        }
        CashCommand::Balance { member, query } => {
            let f = Finance::new(home, &query);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_beijing_midnight() {
        // 2027-01-01 00:00 +08:00 = 2026-12-31 16:00 UTC.
        assert_eq!(date_ms("2027-01-01").expect("a date"), 1_798_732_800_000);
        assert_eq!(time_text(1_798_732_800_000), "2027-01-01 00:00:00 +08:00");
        assert!(date_ms("2027-13-01").is_err());
        assert!(date_ms("tomorrow").is_err());
        assert!(maturity_ms("+3x").is_err());
        assert!(maturity_ms("+2d").expect("relative") > now_ms());
    }

    #[test]
    fn impossible_dates_are_refused() {
        let refusal = |text: &str| date_ms(text).expect_err(text).to_string();
        assert_eq!(
            refusal("2027-02-30"),
            "'2027-02-30' is not a date: February 2027 has 28 days; write YYYY-MM-DD, \
             YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SS (Beijing time)"
        );
        assert!(refusal("2026-02-29").contains(": February 2026 has 28 days; write YYYY-MM-DD"));
        assert!(refusal("2100-02-29").contains(": February 2100 has 28 days;"));
        assert!(refusal("2027-04-31").contains(": April 2027 has 30 days;"));
        assert!(refusal("2027-13-01").contains(": the month must be two digits, 01 to 12; write"));
        assert!(refusal("2027-01-00").contains(": the day must be two digits, 01 to 31;"));
        assert!(refusal("2027-01-01 24:00").contains(": the hour must be two digits, 00 to 23;"));
        assert!(
            refusal("2027-01-01T12:00:60").contains(": the second must be two digits, 00 to 59;")
        );
        assert!(refusal("2027-1-01").contains(": the month must be two digits"));
        assert!(refusal("27-01-01").contains(": the year must be four digits;"));
        assert!(refusal("").contains(": the year must be four digits;"));
        for text in [
            "2027/01/01",
            "2027-01-01x",
            "2027-01-01 12",
            "2027-01-01T12:00",
        ] {
            assert!(
                refusal(text).contains("is not a date: write YYYY-MM-DD"),
                "{text}"
            );
        }
        assert_eq!(
            refusal("1970-01-01"),
            "'1970-01-01' is before 1970-01-01 08:00 Beijing time: write a later date"
        );
        // Leap days: every 4 years, not every 100, yet every 400.
        assert_eq!(
            date_ms("2028-02-29").expect("a leap day"),
            1_835_366_400_000
        );
        assert!(date_ms("2000-02-29").is_ok());
    }

    #[test]
    fn times_of_day_round_trip() {
        let ms = |text: &str| date_ms(text).expect(text);
        assert_eq!(ms("2027-01-01 09:30"), 1_798_732_800_000 + 34_200_000);
        assert_eq!(ms("2027-01-01T09:30:15"), 1_798_732_800_000 + 34_215_000);
        for text in [
            "1970-01-01 08:00:00",
            "2028-02-29 00:00:00",
            "2026-12-31 23:59:59",
            "9999-12-31 23:59:59",
        ] {
            let written = time_text(ms(&text.replace(' ', "T")));
            assert_eq!(written, format!("{text} +08:00"));
        }
        assert_eq!(time_text(0), "1970-01-01 08:00:00 +08:00");
        assert_eq!(time_text(1_798_732_800_999), "2027-01-01 00:00:00 +08:00");
        // Past 9999-12-31 16:00 UTC, Beijing is in the year 10000: written in UTC.
        assert_eq!(
            time_text(catena_schema::voucher::MAX_TIME_MS),
            "9999-12-31 23:59:59 +00:00"
        );
        assert_eq!(time_text(u64::MAX), "18446744073709551615 ms after 1970");
    }

    #[test]
    fn relative_maturities_are_checked() {
        let refusal = |text: &str| maturity_ms(text).expect_err(text).to_string();
        let later = maturity_ms("+90s").expect("relative");
        assert!(later >= now_ms() + 89_000 && later <= now_ms() + 90_000);
        assert_eq!(
            refusal("+99999999999999d"),
            "'+99999999999999d' is too far ahead: a maturity must be no later than \
             9999-12-31 23:59:59 UTC"
        );
        assert!(refusal("+99999999999999999999s").contains("is too far ahead"));
        assert!(refusal("+3000000d").contains("is too far ahead"));
        assert!(maturity_ms("+2000000d").is_ok());
        for text in ["+d", "+", "+-3d", "+3é", "+1.5h"] {
            assert!(refusal(text).contains("is not a maturity"), "{text}");
        }
        assert!(refusal("2027-02-30").contains("February 2027 has 28 days"));
    }
}
