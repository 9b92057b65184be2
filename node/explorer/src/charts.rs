//! Charts drawn on the server as SVG: blocks per minute and transactions per block, over the
//! latest blocks. No script draws them; a browser shows them as it shows any image.

use axum::extract::{Extension, Query, State};
use catena_api::{BlockId, BlockView, Reader};
use serde::Deserialize;

use crate::format::time_ms;
use crate::pages::{self, Page};
use crate::{read, Explorer, PageResult};

/// Blocks the charts read by default, and at most.
const DEFAULT_BLOCKS: u64 = 1_000;
const MOST_BLOCKS: u64 = 10_000;
/// Bars one chart draws at most (the latest).
const MOST_BARS: usize = 120;

/// The drawing's size, in SVG units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
/// Room at the left for the scale and at the bottom for the first and last labels.
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;

/// One bar: where it is drawn and what it says on hover.
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub title: String,
}

/// A bar chart ready to draw.
pub struct BarChart {
    pub bars: Vec<Bar>,
    /// The highest value, labelled at the top of the scale.
    pub max: u64,
    pub first: String,
    pub last: String,
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub base: f64,
}

/// Bars of `values` (label, value), oldest first, scaled to the largest.
pub fn bar_chart(values: &[(String, u64)]) -> BarChart {
    let max = values.iter().map(|(_, v)| *v).max().unwrap_or(0);
    let plot = HEIGHT - BOTTOM;
    let slot = (WIDTH - LEFT) / values.len().max(1) as f64;
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let h = if max == 0 {
                0.0
            } else {
                plot * *value as f64 / max as f64
            };
            Bar {
                x: format!("{:.1}", LEFT + i as f64 * slot + slot * 0.1),
                y: format!("{:.1}", plot - h),
                width: format!("{:.1}", (slot * 0.8).max(0.5)),
                height: format!("{h:.1}"),
                title: format!("{label}: {value}"),
            }
        })
        .collect();
    BarChart {
        bars,
        max,
        first: values.first().map(|(l, _)| l.clone()).unwrap_or_default(),
        last: values.last().map(|(l, _)| l.clone()).unwrap_or_default(),
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        base: plot,
    }
}

/// Blocks per minute of `blocks` (oldest first), every minute from the first block's to the
/// last's (a minute without blocks is a bar of 0), at most the latest [`MOST_BARS`].
pub fn blocks_per_minute(blocks: &[BlockView]) -> Vec<(String, u64)> {
    let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
        return Vec::new();
    };
    let (start, end) = (first.time_ms / 60_000, last.time_ms / 60_000);
    let start = start.max(end.saturating_sub(MOST_BARS as u64 - 1));
    let mut counts = vec![0u64; (end.saturating_sub(start) + 1) as usize];
    for block in blocks {
        if let Some(slot) = (block.time_ms / 60_000).checked_sub(start) {
            if let Some(count) = counts.get_mut(slot as usize) {
                *count += 1;
            }
        }
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, n)| (minute_label(start + i as u64), n))
        .collect()
}

fn minute_label(minute: u64) -> String {
    let text = time_ms(minute * 60_000);
    // `2026-12-07 08:30:00 UTC` → `2026-12-07 08:30 UTC`
    text.replacen(":00 UTC", " UTC", 1)
}

/// Transactions in each of the latest [`MOST_BARS`] of `blocks` (oldest first).
pub fn transactions_per_block(blocks: &[BlockView]) -> Vec<(String, u64)> {
    let skip = blocks.len().saturating_sub(MOST_BARS);
    blocks[skip..]
        .iter()
        .map(|b| (format!("block {}", b.height), b.transactions.len() as u64))
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChartsForm {
    pub blocks: String,
}

#[derive(askama::Template)]
#[template(path = "charts.html")]
pub struct ChartsPage {
    pub page: Page,
    pub read: usize,
    pub from: u64,
    pub to: u64,
    pub per_minute: BarChart,
    pub per_block: BarChart,
}

/// `charts`: blocks per minute and transactions per block over the latest blocks.
pub async fn charts(
    State(explorer): State<Explorer>,
    Extension(reader): Extension<Reader>,
    form: Result<Query<ChartsForm>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let form = crate::form(&explorer, form).await?;
    let count = crate::lists::count("blocks", &form.blocks, 2, MOST_BLOCKS, DEFAULT_BLOCKS)
        .map_err(|e| explorer.bad_input(&e))?;
    let blocks = read(&explorer, &reader, move |chain| {
        let tip = chain.status()?.height;
        let mut blocks = Vec::new();
        // Block 0 is genesis: its time is the chain spec's, not a block time.
        for height in tip.saturating_sub(count - 1).max(1)..=tip {
            blocks.extend(chain.block(BlockId::Height(height))?);
        }
        Ok(blocks)
    })
    .await?;
    Ok(pages::render(&ChartsPage {
        page: Page::new(&explorer, "Charts"),
        read: blocks.len(),
        from: blocks.first().map_or(0, |b| b.height),
        to: blocks.last().map_or(0, |b| b.height),
        per_minute: bar_chart(&blocks_per_minute(&blocks)),
        per_block: bar_chart(&transactions_per_block(&blocks)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(height: u64, time_ms: u64, transactions: usize) -> BlockView {
        let zero = catena_primitives::Hash([0; 32]);
        BlockView {
            hash: zero,
            chain_id: "c".into(),
            height,
            parent_hash: zero,
            time_ms,
            proposer: catena_primitives::AccountId([0; 32]),
            tx_root: zero,
            state_root: zero,
            receipts_root: zero,
            validator_set_hash: zero,
            transactions: vec![zero; transactions],
            certificate: catena_api::CertificateView {
                round: 0,
                signatures: Vec::new(),
            },
            scheduled: Vec::new(),
        }
    }

    #[test]
    fn minutes_without_blocks_are_bars_of_zero_and_bars_scale_to_the_largest() {
        let minute = 60_000;
        let blocks = [
            block(1, 10 * minute, 1),
            block(2, 10 * minute + 500, 3),
            block(3, 12 * minute + 1, 0),
        ];
        let per_minute = blocks_per_minute(&blocks);
        let counts: Vec<u64> = per_minute.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [2, 0, 1]);
        assert_eq!(per_minute[0].0, "1970-01-01 00:10 UTC");
        let chart = bar_chart(&transactions_per_block(&blocks));
        assert_eq!(chart.max, 3);
        let heights: Vec<&str> = chart.bars.iter().map(|b| b.height.as_str()).collect();
        assert_eq!(heights, ["59.3", "178.0", "0.0"]);
        assert_eq!(chart.bars[1].title, "block 2: 3");
        assert!(bar_chart(&[]).bars.is_empty());
    }
}
