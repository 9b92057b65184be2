//! The consortium's pages: its members, who validates and governs (with the proposals and any
//! equivocation evidence), and the parachains anchored on a main chain.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use catena_api::{
    reads, AnchoredView, ChainApi, EvidenceView, GovernanceView, MemberInfoView, ParachainView,
    Reader,
};
use serde::Deserialize;

use crate::format::{short, time_ms};
use crate::pages::{self, Page};
use crate::{read, Explorer, PageResult};

/// Anchors one parachain page lists.
const ANCHORS_PER_PAGE: usize = 50;

#[derive(askama::Template)]
#[template(path = "members.html")]
pub struct MembersPage {
    pub page: Page,
    pub members: Vec<MemberInfoView>,
}

/// `members`: every member of the consortium.
pub async fn members(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
) -> PageResult {
    let members = read(&explorer, &reader, |chain| reads::members(chain.as_ref())).await?;
    Ok(pages::render(&MembersPage {
        page: Page::new(&explorer, "Members"),
        members,
    }))
}

#[derive(askama::Template)]
#[template(path = "validators.html")]
pub struct ValidatorsPage {
    pub page: Page,
    pub g: GovernanceView,
    /// The members by name, for links (USCC).
    pub usccs: HashMap<String, String>,
    pub evidence: Vec<EvidenceView>,
}

impl ValidatorsPage {
    /// The link to a member named `name`, if it is one.
    pub fn member_href(&self, name: &str) -> Option<String> {
        self.usccs
            .get(name)
            .map(|uscc| format!("{}/members/{uscc}", self.page.base))
    }
}

/// `validators`: the validator set of the next block, who governs, the proposals, and the
/// equivocations recorded.
pub async fn validators(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
) -> PageResult {
    let (g, members, evidence) = read(&explorer, &reader, |chain| {
        Ok((
            chain.governance()?,
            reads::members(chain.as_ref())?,
            chain.evidence()?,
        ))
    })
    .await?;
    Ok(pages::render(&ValidatorsPage {
        page: Page::new(&explorer, "Validators and governance"),
        usccs: members.into_iter().map(|m| (m.name, m.uscc)).collect(),
        g,
        evidence,
    }))
}

/// A parachain in the list: its anchored head and how far it trails.
pub struct ParachainRow {
    pub p: ParachainView,
    pub head_time: String,
    /// How old the head is by the main chain's tip, for people.
    pub age: String,
    /// Whether this node hosts it, so it has its own explorer here.
    pub hosted: bool,
    /// For a parachain this node hosts: its tip's height and how many blocks the anchored head
    /// trails it.
    pub tip: Option<(u64, u64)>,
}

fn age(ms: u64) -> String {
    match ms {
        0 => "—".into(),
        ms if ms < 120_000 => format!("{:.1} s", ms as f64 / 1_000.0),
        ms => format!("{} min", ms / 60_000),
    }
}

impl ParachainRow {
    fn new(p: ParachainView, hosted: Option<&Arc<dyn ChainApi>>) -> ParachainRow {
        let tip = hosted.and_then(|chain| chain.status().ok()).map(|s| {
            let head = p.head.as_ref().map_or(0, |h| h.height);
            (s.height, s.height.saturating_sub(head))
        });
        ParachainRow {
            head_time: p
                .head
                .as_ref()
                .map(|h| time_ms(h.time_ms))
                .unwrap_or_default(),
            age: age(p.anchor_age_ms),
            hosted: hosted.is_some(),
            tip,
            p,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "parachains.html")]
pub struct ParachainsPage {
    pub page: Page,
    pub parachains: Vec<ParachainRow>,
}

/// `parachains`: the parachains registered on this chain, their heads, lag and status.
pub async fn parachains(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
) -> PageResult {
    let hosted = explorer.hosted.clone();
    let rows = read(&explorer, &reader, move |chain| {
        Ok(chain
            .parachains()?
            .into_iter()
            .map(|p| {
                let here = hosted.get(&p.id);
                ParachainRow::new(p, here)
            })
            .collect())
    })
    .await?;
    Ok(pages::render(&ParachainsPage {
        page: Page::new(&explorer, "Parachains"),
        parachains: rows,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnchorsForm {
    pub from: String,
}

/// An anchor in the list.
pub struct AnchorRow {
    pub a: AnchoredView,
    pub time: String,
    pub set: String,
}

#[derive(askama::Template)]
#[template(path = "parachain.html")]
pub struct ParachainPage {
    pub page: Page,
    pub row: ParachainRow,
    pub anchors: Vec<AnchorRow>,
    pub next: Option<u64>,
}

/// `parachains/{id}`: one parachain: members, validators, anchor period, status and its anchors.
pub async fn parachain(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    Path(id): Path<String>,
    form: Result<Query<AnchorsForm>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let form = crate::form(&explorer, form).await?;
    let from = match form.from.trim() {
        "" => 0,
        text => text
            .parse()
            .map_err(|_| explorer.bad_input(&format!("from: '{text}' is not a block height")))?,
    };
    let asked = id.clone();
    let hosted = explorer.hosted.get(&id).cloned();
    let found = read(&explorer, &reader, move |chain| {
        let Some(p) = chain.parachain(&asked)? else {
            return Ok(None);
        };
        let anchors = chain.parachain_anchors(&asked, from, ANCHORS_PER_PAGE)?;
        Ok(Some((ParachainRow::new(p, hosted.as_ref()), anchors)))
    })
    .await?;
    let Some((row, anchors)) = found else {
        return Err(explorer.missing(&format!("no parachain '{id}' is registered on this chain")));
    };
    let (anchors, next) = anchors.map(|a| (a.anchors, a.next)).unwrap_or_default();
    Ok(pages::render(&ParachainPage {
        page: Page::new(&explorer, &format!("Parachain {id}")),
        anchors: anchors
            .into_iter()
            .map(|a| AnchorRow {
                time: time_ms(a.time_ms),
                set: short(&a.validator_set_hash.to_string()),
                a,
            })
            .collect(),
        next,
        row,
    }))
}
