//! `catena voucher`: reading vouchers: one, a page of them, their history and their lineage tree.

use super::*;

#[derive(Subcommand)]
pub enum ReadingCommand {
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

pub(super) fn run(home: Option<&Path>, command: ReadingCommand) -> anyhow::Result<()> {
    match command {
        ReadingCommand::Show { voucher, query } => {
            let f = Finance::new(home, &query)?;
            let v = f.voucher(voucher)?;
            if query.output == Output::Json {
                return print_json(&voucher_json(&v));
            }
            print_voucher(&v, &f.names()?);
        }
        ReadingCommand::List {
            holder,
            issuer,
            after,
            limit,
            query,
        } => {
            let f = Finance::new(home, &query)?;
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
        ReadingCommand::History { voucher, query } => {
            let f = Finance::new(home, &query)?;
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
        ReadingCommand::Tree { voucher, query } => {
            let f = Finance::new(home, &query)?;
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
