//! The pages: each a template (in `templates/`, compiled in) and the rows it shows, made from
//! the API's views. Templates escape every value as HTML.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use catena_api::{
    BalanceView, BlockView, EventRecordView, HistoryView, MemberInfoView, RecordView, SearchHit,
    StatusView, TransactionView, TxStatus, VoucherPageView, VoucherView,
};

use catena_schema::format_amount;
use catena_schema::voucher::CreditLines;

use crate::fields::{flatten, Field};
use crate::format::{mean_gap, short, time_ms};
use crate::lineage::{layout, Lineage};
use crate::lists::contract_label;
use crate::Explorer;

/// What every page's frame needs: its title and where the explorer and the API are.
pub struct Page {
    pub title: String,
    pub chain_id: String,
    pub base: String,
    pub api: String,
    /// A members' chain: its pages are read in a session, which the header lets end.
    pub members_only: bool,
}

impl Page {
    pub fn new(explorer: &Explorer, title: &str) -> Page {
        Page {
            title: title.to_string(),
            chain_id: explorer.chain.chain_id(),
            base: explorer.base.clone(),
            api: explorer.api.clone(),
            members_only: explorer.chain.signed_reads() && title != "Sign in",
        }
    }
}

/// The page's HTML (200); a template that fails to render (a value that cannot be shown) is
/// the node's failure, a 500 that says so.
pub fn render(page: &impl Template) -> Response {
    respond(StatusCode::OK, page)
}

/// The page's HTML with `status`, or the 500 of a template that failed to render.
pub fn respond(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            let text = e.to_string().replace('&', "&amp;").replace('<', "&lt;");
            let html = format!(
                "<!doctype html><title>Error</title><p>This page could not be shown: {text}</p>"
            );
            (StatusCode::INTERNAL_SERVER_ERROR, Html(html)).into_response()
        }
    }
}

/// A block in a list.
pub struct BlockRow {
    pub height: u64,
    pub hash: String,
    pub short: String,
    pub time: String,
    pub transactions: usize,
    pub proposer: String,
}

impl BlockRow {
    pub fn new(block: &BlockView) -> BlockRow {
        let hash = block.hash.to_string();
        BlockRow {
            height: block.height,
            short: short(&hash),
            hash,
            time: time_ms(block.time_ms),
            transactions: block.transactions.len(),
            proposer: short(&block.proposer.to_string()),
        }
    }
}

/// A transaction in a list.
pub struct TxRow {
    pub hash: String,
    pub short: String,
    pub call: String,
    pub signer: String,
    pub outcome: String,
    pub height: Option<u64>,
}

fn outcome(tx: &TransactionView) -> String {
    match (&tx.status, &tx.receipt) {
        (TxStatus::Committed, Some(receipt)) if receipt.success => "succeeded".into(),
        (TxStatus::Committed, Some(receipt)) => match &receipt.error {
            Some(error) => format!("failed: {error}"),
            None => "failed".into(),
        },
        (TxStatus::Committed, None) => "committed".into(),
        (TxStatus::Pending, _) => "pending".into(),
        (TxStatus::Dropped, _) => match &tx.dropped_reason {
            Some(reason) => format!("dropped: {reason}"),
            None => "dropped".into(),
        },
    }
}

impl TxRow {
    fn new(tx: &TransactionView) -> TxRow {
        let hash = tx.hash.to_string();
        TxRow {
            short: short(&hash),
            hash,
            call: tx.call.kind.clone(),
            signer: short(&tx.signer.to_string()),
            outcome: outcome(tx),
            height: tx.block_height,
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home {
    pub page: Page,
    pub height: u64,
    pub time: String,
    pub block_time: Option<String>,
    pub validators: usize,
    pub mempool: usize,
    pub blocks: Vec<BlockRow>,
    pub transactions: Vec<TxRow>,
}

impl Home {
    pub fn new(
        explorer: &Explorer,
        (status, blocks, transactions): (StatusView, Vec<BlockView>, Vec<TransactionView>),
    ) -> Home {
        let times: Vec<u64> = blocks.iter().map(|b| b.time_ms).collect();
        Home {
            page: Page::new(explorer, &status.chain_id),
            height: status.height,
            time: time_ms(status.time_ms),
            block_time: mean_gap(&times),
            validators: status.validators,
            mempool: status.mempool_size,
            blocks: blocks.iter().map(BlockRow::new).collect(),
            transactions: transactions.iter().map(TxRow::new).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "block.html")]
pub struct BlockPage {
    pub page: Page,
    pub block: BlockView,
    pub time: String,
    pub signers: Vec<String>,
    pub transactions: Vec<TxRow>,
}

impl BlockPage {
    pub fn new(explorer: &Explorer, (block, txs): (BlockView, Vec<TransactionView>)) -> Self {
        BlockPage {
            page: Page::new(explorer, &format!("Block {}", block.height)),
            time: time_ms(block.time_ms),
            signers: block
                .certificate
                .signatures
                .iter()
                .map(|s| s.validator.to_string())
                .collect(),
            transactions: txs.iter().map(TxRow::new).collect(),
            block,
        }
    }
}

/// An event of a receipt: its contract by name where it is a system contract, its data decoded
/// where the schema knows it.
pub struct ReceiptEvent {
    pub contract: String,
    pub topic: String,
    pub data: String,
    pub fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "transaction.html")]
pub struct TransactionPage {
    pub page: Page,
    pub tx: TransactionView,
    pub outcome: String,
    /// `voucher.transfer`, for a system contract's method.
    pub method: Option<String>,
    /// The call's arguments as the schema reads them.
    pub arguments: Vec<Field>,
    pub events: Vec<ReceiptEvent>,
}

impl TransactionPage {
    pub fn new(explorer: &Explorer, tx: TransactionView) -> Self {
        let decoded = tx.call.decoded.as_ref();
        let method = decoded.and_then(|d| {
            Some(format!(
                "{}.{}",
                d["contract"].as_str()?,
                d["method"].as_str()?
            ))
        });
        let arguments = match (decoded, &method) {
            (Some(d), Some(_)) => flatten(&d["arguments"], &explorer.base),
            (Some(d), None) => flatten(d, &explorer.base),
            (None, _) => Vec::new(),
        };
        let events = tx
            .receipt
            .iter()
            .flat_map(|r| &r.events)
            .map(|e| ReceiptEvent {
                contract: contract_label(&e.contract),
                topic: e.topic.clone(),
                data: e.data.clone(),
                fields: e
                    .decoded
                    .as_ref()
                    .map(|d| flatten(d, &explorer.base))
                    .unwrap_or_default(),
            })
            .collect();
        TransactionPage {
            page: Page::new(explorer, "Transaction"),
            outcome: outcome(&tx),
            method,
            arguments,
            events,
            tx,
        }
    }
}

/// A search hit: a link to the explorer's page for it, or to the API's JSON where the explorer
/// has no page of that kind.
pub struct Hit {
    pub kind: String,
    pub id: String,
    pub href: String,
    pub page: bool,
}

impl Hit {
    pub fn new(explorer: &Explorer, hit: &SearchHit) -> Hit {
        let page = match hit.kind.as_str() {
            "block" => Some(format!("{}/blocks/{}", explorer.base, hit.id)),
            "transaction" => Some(format!("{}/tx/{}", explorer.base, hit.id)),
            "voucher" => Some(format!("{}/vouchers/{}", explorer.base, hit.id)),
            "member" => Some(format!("{}/members/{}", explorer.base, hit.id)),
            "record" => Some(format!("{}/records/{}", explorer.base, hit.id)),
            _ => None,
        };
        Hit {
            kind: hit.kind.clone(),
            id: hit.id.clone(),
            page: page.is_some(),
            href: page.unwrap_or_else(|| format!("{}{}", explorer.api, hit.path)),
        }
    }
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage<'a> {
    pub page: Page,
    pub term: &'a str,
    pub hits: Vec<Hit>,
}

#[derive(Template)]
#[template(path = "problem.html")]
pub struct Problem<'a> {
    pub page: Page,
    pub message: &'a str,
}

/// A history entry with its date for people.
pub struct Event {
    pub height: u64,
    pub time: String,
    pub action: String,
}

#[derive(Template)]
#[template(path = "voucher.html")]
pub struct VoucherPage {
    pub page: Page,
    pub v: VoucherView,
    pub issued: String,
    pub maturity: String,
    pub path: Vec<String>,
    pub history: Vec<Event>,
    pub lineage: Lineage,
}

impl VoucherPage {
    pub fn new(
        explorer: &Explorer,
        (v, history, tree): (VoucherView, HistoryView, Vec<VoucherView>),
    ) -> Self {
        VoucherPage {
            page: Page::new(explorer, &format!("Voucher {}", v.id)),
            issued: time_ms(v.issued_ms),
            maturity: time_ms(v.maturity_ms),
            path: history.path,
            history: history
                .history
                .iter()
                .map(|h| Event {
                    height: h.height,
                    time: time_ms(h.time_ms),
                    action: h.action.clone(),
                })
                .collect(),
            lineage: layout(&tree, v.id),
            v,
        }
    }
}

/// What a member's page shows, as read.
pub struct MemberData {
    pub member: MemberInfoView,
    pub cash: BalanceView,
    pub lines: CreditLines,
    pub held: VoucherPageView,
    pub issued: VoucherPageView,
    pub history: Vec<EventRecordView>,
}

/// A financier's credit line to the member, for people.
pub struct LineRow {
    pub financier: String,
    pub limit: String,
    pub outstanding: String,
    pub available: String,
    pub revoked: bool,
}

/// An event of the member's transactions.
pub struct HistoryRow {
    pub height: u64,
    pub source: String,
    pub source_short: String,
    pub contract: String,
    pub topic: String,
    pub fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "member.html")]
pub struct MemberPage {
    pub page: Page,
    pub member: MemberInfoView,
    pub cash: BalanceView,
    pub lines: Vec<LineRow>,
    pub held: VoucherPageView,
    pub issued: VoucherPageView,
    pub history: Vec<HistoryRow>,
}

impl MemberPage {
    pub fn new(explorer: &Explorer, data: MemberData) -> Self {
        MemberPage {
            page: Page::new(explorer, &data.member.name),
            lines: data
                .lines
                .lines
                .iter()
                .map(|l| LineRow {
                    financier: l.financier.clone(),
                    limit: format_amount(l.limit),
                    outstanding: format_amount(l.outstanding),
                    available: format_amount(l.available()),
                    revoked: l.revoked,
                })
                .collect(),
            history: data
                .history
                .iter()
                .map(|e| HistoryRow {
                    height: e.height,
                    source_short: short(&e.source),
                    source: e.source.clone(),
                    contract: contract_label(&e.contract),
                    topic: e.topic.clone(),
                    fields: e
                        .decoded
                        .as_ref()
                        .map(|d| flatten(d, &explorer.base))
                        .unwrap_or_default(),
                })
                .collect(),
            member: data.member,
            cash: data.cash,
            held: data.held,
            issued: data.issued,
        }
    }
}

#[derive(Template)]
#[template(path = "record.html")]
pub struct RecordPage {
    pub page: Page,
    pub r: RecordView,
    pub date: String,
    pub recorded: String,
    /// For an invoice: how much of it vouchers have financed.
    pub used: Option<String>,
}

impl RecordPage {
    pub fn new(explorer: &Explorer, (r, used): (RecordView, Option<String>)) -> Self {
        RecordPage {
            page: Page::new(explorer, &format!("Document: {}", r.kind.replace('_', " "))),
            date: time_ms(r.date_ms),
            recorded: time_ms(r.time_ms),
            used,
            r,
        }
    }
}
