//! The explorer's lists: contract events with filters, and blocks by range; each as a page and
//! as CSV for a spreadsheet.

use axum::extract::{Extension, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use catena_api::{event_page, BlockId, BlockView, EventFilter, EventPage, EventRecordView, Reader};
use catena_primitives::system_contract_id;
use catena_schema::names;
use serde::{Deserialize, Serialize};

use crate::fields::{flatten, Field};
use crate::format::{short, time_ms};
use crate::pages::{self, BlockRow, Page};
use crate::{read, Explorer, PageResult};

/// Events one page shows.
const EVENTS_PER_PAGE: u32 = 100;
/// Events one CSV file holds at most: a longer range says where to go on.
const EVENTS_PER_CSV: usize = 10_000;
/// Blocks one page lists.
const BLOCKS_PER_PAGE: u64 = 50;
/// Blocks one CSV file holds at most.
const BLOCKS_PER_CSV: u64 = 10_000;
/// The header that says where a CSV file cut short goes on (`after` for events, `to` for blocks).
pub const NEXT_HEADER: &str = "x-catena-next";

/// The events form as a browser sends it: every field a string, empty when not filled in.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct EventsForm {
    pub contract: String,
    pub topic: String,
    pub account: String,
    pub from_height: String,
    pub to_height: String,
    pub after: String,
}

/// A system contract's name for its id, or the id shortened.
pub fn contract_label(id: &str) -> String {
    id.parse()
        .ok()
        .and_then(|id| catena_api::schema::system_contract_name(&id))
        .map_or_else(|| short(id), str::to_string)
}

fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn height(field: &str, text: &str) -> Result<Option<u64>, String> {
    given(text)
        .map(|t| {
            t.parse()
                .map_err(|_| format!("{field}: '{t}' is not a block height"))
        })
        .transpose()
}

impl EventsForm {
    /// The API's filter: a system contract may be named (`voucher`) rather than given by id.
    fn filter(&self, limit: u32) -> Result<EventFilter, String> {
        let contract = given(&self.contract).map(|c| match names::SYSTEM.contains(&c.as_str()) {
            true => system_contract_id(&c).to_string(),
            false => c,
        });
        Ok(EventFilter {
            contract,
            topic: given(&self.topic),
            account: given(&self.account),
            from_height: height("from_height", &self.from_height)?,
            to_height: height("to_height", &self.to_height)?,
            limit: Some(limit),
            after: given(&self.after),
        })
    }

    /// The query string of this form with `after` set to `next`.
    fn next_query(&self, next: &str) -> String {
        let form = EventsForm {
            after: next.to_string(),
            ..self.clone()
        };
        serde_urlencoded::to_string(&form).unwrap_or_default()
    }

    /// The query string of this form as given.
    fn query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

/// An event in the list.
pub struct EventRow {
    pub height: u64,
    pub index: u32,
    pub source: String,
    pub source_short: String,
    /// Whether the source is a transaction (else a scheduled run, shown on its block's page).
    pub from_transaction: bool,
    pub signer: String,
    pub contract: String,
    pub topic: String,
    pub data: String,
    /// The data as the schema reads it, where it knows the event.
    pub fields: Vec<Field>,
}

impl EventRow {
    fn new(event: &EventRecordView, base: &str) -> EventRow {
        EventRow {
            height: event.height,
            index: event.index,
            source_short: short(&event.source),
            source: event.source.clone(),
            from_transaction: event.signer.is_some(),
            signer: event.signer.as_deref().map(short).unwrap_or_default(),
            contract: contract_label(&event.contract),
            topic: event.topic.clone(),
            data: event.data.clone(),
            fields: event
                .decoded
                .as_ref()
                .map(|d| flatten(d, base))
                .unwrap_or_default(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "events.html")]
pub struct EventsPage {
    pub page: Page,
    pub form: EventsForm,
    pub events: Vec<EventRow>,
    /// The query string of the next page, if there is one.
    pub next: Option<String>,
    /// The query string of this list, for its CSV.
    pub query: String,
    pub contracts: [&'static str; catena_schema::names::SYSTEM.len()],
}

async fn events_of(
    explorer: &Explorer,
    reader: &Reader,
    form: &EventsForm,
    limit: u32,
) -> Result<EventPage, Response> {
    let filter = form.filter(limit).map_err(|e| explorer.bad_input(&e))?;
    read(explorer, reader, move |chain| {
        event_page(chain.as_ref(), &filter)
    })
    .await
}

/// `events`: the chain's contract events, filtered by contract, topic, signer and heights.
pub async fn events(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    form: Result<Query<EventsForm>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let form = crate::form(&explorer, form).await?;
    let found = events_of(&explorer, &reader, &form, EVENTS_PER_PAGE).await?;
    let page = EventsPage {
        page: Page::new(&explorer, "Events"),
        events: found
            .events
            .iter()
            .map(|e| EventRow::new(e, &explorer.base))
            .collect(),
        next: found.next.map(|next| form.next_query(&next)),
        query: form.query(),
        contracts: names::SYSTEM,
        form,
    };
    Ok(pages::render(&page))
}

/// A CSV file, named for download; `next` (if any) in [`NEXT_HEADER`].
fn csv_file(name: &str, rows: csv::Writer<Vec<u8>>, next: Option<String>) -> Response {
    let body = rows.into_inner().unwrap_or_default();
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response();
    if let Some(value) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
        response.headers_mut().insert(NEXT_HEADER, value);
    }
    response
}

/// `events.csv`: the same list as CSV, up to [`EVENTS_PER_CSV`] events from where it starts.
pub async fn events_csv(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    form: Result<Query<EventsForm>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Response> {
    let mut form = crate::form(&explorer, form).await?;
    let mut rows = csv::Writer::from_writer(Vec::new());
    let mut written = 0;
    let _ = rows.write_record([
        "height", "index", "source", "signer", "contract", "topic", "data", "decoded",
    ]);
    let next = loop {
        let found = events_of(&explorer, &reader, &form, EVENTS_PER_PAGE * 10).await?;
        for e in &found.events {
            let _ = rows.write_record([
                &e.height.to_string(),
                &e.index.to_string(),
                &e.source,
                e.signer.as_deref().unwrap_or(""),
                &contract_label(&e.contract),
                &e.topic,
                &e.data,
                &e.decoded
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ]);
        }
        written += found.events.len();
        match found.next {
            Some(next) if written < EVENTS_PER_CSV => form.after = next,
            next => break next,
        }
    };
    Ok(csv_file("events.csv", rows, next))
}

/// Which blocks: `count` of them up to `to` (default: the tip), newest first.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct BlocksForm {
    pub to: String,
    pub count: String,
}

/// Field `field`'s number: `default` when not given, else one from `least` to `most`.
pub fn count(field: &str, text: &str, least: u64, most: u64, default: u64) -> Result<u64, String> {
    match given(text) {
        None => Ok(default),
        Some(t) => match t.parse::<u64>() {
            Ok(n) if (least..=most).contains(&n) => Ok(n),
            _ => Err(format!(
                "{field}: '{t}' is not a number from {least} to {most}"
            )),
        },
    }
}

impl BlocksForm {
    fn range(&self, tip: u64, most: u64, default: u64) -> Result<(u64, u64), String> {
        let to = height("to", &self.to)?.unwrap_or(tip).min(tip);
        let count = count("count", &self.count, 1, most, default)?;
        Ok((to.saturating_sub(count - 1), to))
    }
}

async fn blocks_of(
    explorer: &Explorer,
    reader: &Reader,
    form: &BlocksForm,
    most: u64,
    default: u64,
) -> Result<(u64, Vec<BlockView>), Response> {
    let form = form.clone();
    read(explorer, reader, move |chain| {
        let tip = chain.status()?.height;
        let (from, to) = form
            .range(tip, most, default)
            .map_err(|e| catena_api::ApiError::bad_request("invalid_query", e))?;
        let mut blocks = Vec::new();
        for height in (from..=to).rev() {
            blocks.extend(chain.block(BlockId::Height(height))?);
        }
        Ok((tip, blocks))
    })
    .await
}

#[derive(askama::Template)]
#[template(path = "blocks.html")]
pub struct BlocksPage {
    pub page: Page,
    pub blocks: Vec<BlockRow>,
    /// Where the next older page ends, if any block is older.
    pub older: Option<u64>,
    /// Where the next newer page ends, if any block is newer.
    pub newer: Option<u64>,
    pub count: u64,
}

/// `blocks`: the chain's blocks, newest first, a page at a time.
pub async fn blocks(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    form: Result<Query<BlocksForm>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let form = crate::form(&explorer, form).await?;
    let (tip, blocks) =
        blocks_of(&explorer, &reader, &form, BLOCKS_PER_CSV, BLOCKS_PER_PAGE).await?;
    let (lowest, highest) = match (blocks.last(), blocks.first()) {
        (Some(low), Some(high)) => (low.height, high.height),
        _ => (0, 0),
    };
    let count = blocks.len() as u64;
    let page = BlocksPage {
        page: Page::new(&explorer, "Blocks"),
        blocks: blocks.iter().map(BlockRow::new).collect(),
        older: lowest.checked_sub(1),
        newer: (highest < tip).then(|| (highest + count).min(tip)),
        count,
    };
    Ok(pages::render(&page))
}

/// `blocks.csv`: blocks as CSV, up to [`BLOCKS_PER_CSV`] (default 1,000) up to `to`.
pub async fn blocks_csv(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    form: Result<Query<BlocksForm>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Response> {
    let form = crate::form(&explorer, form).await?;
    let (_, blocks) = blocks_of(&explorer, &reader, &form, BLOCKS_PER_CSV, 1_000).await?;
    let mut rows = csv::Writer::from_writer(Vec::new());
    let _ = rows.write_record([
        "height",
        "hash",
        "time_utc",
        "time_ms",
        "transactions",
        "proposer",
        "state_root",
    ]);
    for b in &blocks {
        let _ = rows.write_record([
            &b.height.to_string(),
            &b.hash.to_string(),
            &time_ms(b.time_ms),
            &b.time_ms.to_string(),
            &b.transactions.len().to_string(),
            &b.proposer.to_string(),
            &b.state_root.to_string(),
        ]);
    }
    let next = blocks
        .last()
        .and_then(|b| b.height.checked_sub(1))
        .map(|h| h.to_string());
    Ok(csv_file("blocks.csv", rows, next))
}
