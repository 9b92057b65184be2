//! Routes: contract events by page, and the live event stream.

use super::*;

/// An [`EventFilter`] checked: which events to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub contract: Option<Hash>,
    pub topic: Option<Vec<u8>>,
    pub account: Option<AccountId>,
}

impl EventQuery {
    /// Parses the filter's fields; the error names the one that is wrong.
    pub fn parse(filter: &EventFilter) -> Result<EventQuery, ApiError> {
        if let Some(topic) = &filter.topic {
            if topic.is_empty() || topic.chars().count() > MAX_TOPIC_CHARS {
                return Err(ApiError::bad_request(
                    "invalid_filter",
                    format!("topic: 1 to {MAX_TOPIC_CHARS} characters"),
                ));
            }
        }
        Ok(EventQuery {
            contract: parse_filter_field("contract", filter.contract.as_deref())?,
            topic: filter.topic.as_ref().map(|t| t.as_bytes().to_vec()),
            account: parse_filter_field("account", filter.account.as_deref())?,
        })
    }

    pub fn accepts(&self, contract: &Hash, topic: &[u8], signer: Option<&AccountId>) -> bool {
        self.contract.as_ref().is_none_or(|c| c == contract)
            && self.topic.as_deref().is_none_or(|t| t == topic)
            && self.account.as_ref().is_none_or(|a| Some(a) == signer)
    }
}

/// A filter field, if given, parsed as `T`; the error names the field.
fn parse_filter_field<T: std::str::FromStr>(
    field: &str,
    text: Option<&str>,
) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.map(|text| {
        text.parse()
            .map_err(|e| ApiError::bad_request("invalid_filter", format!("{field}: {e}")))
    })
    .transpose()
}

/// The longest topic a filter names.
pub const MAX_TOPIC_CHARS: usize = 256;

/// The largest page of `GET /events`.
pub const MAX_EVENT_PAGE: u32 = 1_000;

/// Index entries one request reads at most (a sparse filter over a long range gets a `next`).
pub const MAX_EVENTS_SCANNED: usize = 100_000;

pub(crate) fn parse_after(after: &str) -> Result<(u64, u32), ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_filter",
            format!("after: '{after}' is not HEIGHT:INDEX"),
        )
    };
    let (height, index) = after.split_once(':').ok_or_else(bad)?;
    let height: u64 = height.parse().map_err(|_| bad())?;
    // At most ten digits, as the document's pattern says; an index past any a block can have
    // means the next block.
    if index.is_empty() || index.len() > 10 {
        return Err(bad());
    }
    let index: u64 = index.parse().map_err(|_| bad())?;
    Ok(
        match u32::try_from(index).ok().and_then(|i| i.checked_add(1)) {
            Some(next) => (height, next),
            None => (height.saturating_add(1), 0),
        },
    )
}

/// Contract events in chain order, filtered by contract, topic, signer and height range, a page
/// at a time.
#[utoipa::path(get, path = "/events", tag = "events",
    params(EventFilter),
    responses((status = 200, body = EventPage), (status = 400, body = ErrorBody)))]
pub(crate) async fn get_events(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    filter: Result<Query<EventFilter>, QueryRejection>,
) -> ApiResult<EventPage> {
    reader.require_all("the event log")?;
    let Query(filter) =
        filter.map_err(|e| ApiError::bad_request("invalid_filter", e.body_text()))?;
    Ok(Json(
        blocking(move || event_page(chain.as_ref(), &filter)).await?,
    ))
}

/// One page of the events `filter` asks for (the work of `GET /events`; call it on the blocking
/// pool): a 400 naming the field that is wrong.
pub fn event_page(chain: &dyn ChainApi, filter: &EventFilter) -> Result<EventPage, ApiError> {
    let query = EventQuery::parse(filter)?;
    let limit = filter.limit.unwrap_or(MAX_EVENT_PAGE);
    if limit == 0 || limit > MAX_EVENT_PAGE {
        return Err(ApiError::bad_request(
            "invalid_filter",
            format!("limit: 1 to {MAX_EVENT_PAGE}"),
        ));
    }
    let from = match &filter.after {
        Some(after) => parse_after(after)?,
        None => (filter.from_height.unwrap_or(0), 0),
    };
    let to_height = filter.to_height.unwrap_or(u64::MAX);
    if to_height < from.0 {
        return Err(ApiError::bad_request(
            "invalid_filter",
            "to_height is below the start of the range",
        ));
    }
    let EventSlice { events, resume } = chain.events(&query, from, to_height, limit as usize)?;
    Ok(EventPage {
        next: resume.map(|(h, i)| match i.checked_sub(1) {
            Some(before) => format!("{h}:{before}"),
            None => format!("{}:{}", h.saturating_sub(1), u32::MAX),
        }),
        events,
    })
}

/// Event streams one node serves at once, all its chains together: one more is answered 503
/// `too_many_streams` (each open stream holds a task and a wake-up receiver).
pub const MAX_STREAMS: usize = 256;

fn stream_slots() -> &'static Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(tokio::sync::Semaphore::new(MAX_STREAMS)))
}

/// Server-sent events: each committed block (`event: block`, a [`BlockView`]), then its
/// contract events that match the filter (`event: contract_event`, an [`EventRecordView`]), in
/// chain order, each once; ids are `HEIGHT` and `HEIGHT:INDEX`. Starts at `from_height` (default:
/// the next block) and replays what is already committed first, so a client that reconnects
/// with `from_height` = its last height + 1 misses nothing. At most [`MAX_STREAMS`] at once.
#[utoipa::path(get, path = "/stream", tag = "events",
    params(EventFilter),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn stream(
    State(chain): Chain,
    Extension(reader): Extension<Reader>,
    filter: Result<Query<EventFilter>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    let Query(filter) =
        filter.map_err(|e| ApiError::bad_request("invalid_filter", e.body_text()))?;
    event_stream(chain, &reader, filter).await
}

/// The work of `GET /stream` for `reader`: the response that streams `filter`'s blocks and
/// events (the explorer's pages follow new blocks with it, as their signed-in member).
pub async fn event_stream(
    chain: Arc<dyn ChainApi>,
    reader: &Reader,
    filter: EventFilter,
) -> Result<axum::response::Response, ApiError> {
    reader.require_all("the event stream")?;
    use axum::response::sse::{Event, KeepAlive, Sse};
    if filter.limit.is_some() || filter.after.is_some() {
        return Err(ApiError::bad_request(
            "invalid_filter",
            "limit and after are for /events; the stream starts at from_height",
        ));
    }
    let query = EventQuery::parse(&filter)?;
    // A slot of the node's streams, held for as long as the stream is open.
    let slot = Arc::clone(stream_slots()).try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_streams",
            format!(
                "this node serves {MAX_STREAMS} event streams at once; try again later, or read /events by page"
            ),
        )
    })?;
    let Some(wake) = chain.subscribe() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_stream",
            "this node does not stream its blocks",
        ));
    };
    let tip = {
        let chain = chain.clone();
        blocking(move || chain.status()).await?.height
    };
    let next = filter.from_height.unwrap_or(tip + 1);
    let to_height = filter.to_height.unwrap_or(u64::MAX);
    struct Cursor {
        chain: Arc<dyn ChainApi>,
        wake: tokio::sync::broadcast::Receiver<u64>,
        next: u64,
        to_height: u64,
        query: EventQuery,
        pending: std::collections::VecDeque<Event>,
        _slot: tokio::sync::OwnedSemaphorePermit,
    }
    let cursor = Cursor {
        chain,
        wake,
        next,
        to_height,
        query,
        pending: Default::default(),
        _slot: slot,
    };
    let events = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(event) = c.pending.pop_front() {
                return Some((Ok::<_, std::convert::Infallible>(event), c));
            }
            if c.next > c.to_height {
                return None;
            }
            let (chain, height, query) = (c.chain.clone(), c.next, c.query.clone());
            let loaded = blocking(move || {
                let Some(block) = chain.block(BlockId::Height(height))? else {
                    return Ok(None);
                };
                let events = chain
                    .events(&query, (height, 0), height, usize::MAX)?
                    .events;
                Ok(Some((block, events)))
            })
            .await;
            match loaded {
                Ok(Some((block, events))) => {
                    c.pending.push_back(
                        Event::default()
                            .event("block")
                            .id(height.to_string())
                            .data(serde_json::to_string(&block).expect("views serialise")),
                    );
                    for e in events {
                        c.pending.push_back(
                            Event::default()
                                .event("contract_event")
                                .id(format!("{}:{}", e.height, e.index))
                                .data(serde_json::to_string(&e).expect("views serialise")),
                        );
                    }
                    c.next += 1;
                }
                // Not committed yet: wait for the next commit (a missed notice only means
                // looking again).
                Ok(None) => match c.wake.recv().await {
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
                Err(_) => return None,
            }
        }
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}
