//! A voucher's lineage tree laid out for SVG: the original at the top, each split's parts in a
//! row beneath it, every part a box with its id, amount, holder and status; and for each split,
//! whether its parts add up to it.

use std::collections::BTreeMap;

use catena_api::VoucherView;
use catena_schema::parse_amount;

/// Box size and the gaps between boxes, in SVG units.
const BOX_W: i64 = 190;
const BOX_H: i64 = 66;
const GAP_X: i64 = 20;
const GAP_Y: i64 = 44;

pub struct Part {
    pub id: u64,
    pub x: i64,
    pub y: i64,
    pub amount: String,
    pub holder: String,
    pub status: String,
    /// The part the page is about.
    pub current: bool,
}

pub struct Edge {
    pub x1: i64,
    pub y1: i64,
    pub x2: i64,
    pub y2: i64,
}

/// A split and whether its parts' amounts add up to it.
pub struct Sum {
    pub parent: u64,
    pub amount: String,
    pub parts: String,
    pub adds_up: bool,
}

pub struct Lineage {
    pub width: i64,
    pub height: i64,
    pub parts: Vec<Part>,
    pub edges: Vec<Edge>,
    pub sums: Vec<Sum>,
    pub box_w: i64,
    pub box_h: i64,
}

/// Lays out `tree` (parents before children, as the API lists it), marking `current`.
pub fn layout(tree: &[VoucherView], current: u64) -> Lineage {
    let ids: Vec<u64> = tree.iter().map(|v| v.id).collect();
    let by_id: BTreeMap<u64, &VoucherView> = tree.iter().map(|v| (v.id, v)).collect();
    let children = |id: u64| -> Vec<u64> {
        by_id
            .get(&id)
            .map(|v| {
                v.children
                    .iter()
                    .copied()
                    .filter(|c| by_id.contains_key(c))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Roots: parts whose parent is not in the tree shown (the original, or a part whose
    // parent this reader may not see).
    let roots: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| by_id[id].parent.is_none_or(|p| !by_id.contains_key(&p)))
        .collect();
    // Leaves take the next column; a parent sits above the middle of its children.
    let mut column: BTreeMap<u64, f64> = BTreeMap::new();
    let mut depth: BTreeMap<u64, i64> = BTreeMap::new();
    let mut next_leaf = 0.0;
    fn place(
        id: u64,
        level: i64,
        children: &dyn Fn(u64) -> Vec<u64>,
        next_leaf: &mut f64,
        column: &mut BTreeMap<u64, f64>,
        depth: &mut BTreeMap<u64, i64>,
    ) -> f64 {
        depth.insert(id, level);
        let kids = children(id);
        let x = if kids.is_empty() {
            let x = *next_leaf;
            *next_leaf += 1.0;
            x
        } else {
            let xs: Vec<f64> = kids
                .iter()
                .map(|k| place(*k, level + 1, children, next_leaf, column, depth))
                .collect();
            (xs[0] + xs[xs.len() - 1]) / 2.0
        };
        column.insert(id, x);
        x
    }
    for root in &roots {
        place(*root, 0, &children, &mut next_leaf, &mut column, &mut depth);
    }
    let at = |id: u64| {
        let x = (column[&id] * (BOX_W + GAP_X) as f64).round() as i64 + GAP_X;
        let y = depth[&id] * (BOX_H + GAP_Y) + GAP_Y / 2;
        (x, y)
    };
    let mut parts = Vec::new();
    let mut edges = Vec::new();
    let mut sums = Vec::new();
    for id in &ids {
        if !column.contains_key(id) {
            continue;
        }
        let v = by_id[id];
        let (x, y) = at(*id);
        parts.push(Part {
            id: *id,
            x,
            y,
            amount: v.amount.clone(),
            holder: v.holder.clone(),
            status: v.status.clone(),
            current: *id == current,
        });
        let kids = children(*id);
        for kid in &kids {
            let (cx, cy) = at(*kid);
            edges.push(Edge {
                x1: x + BOX_W / 2,
                y1: y + BOX_H,
                x2: cx + BOX_W / 2,
                y2: cy,
            });
        }
        if !kids.is_empty() && kids.len() == v.children.len() {
            let amounts: Vec<u128> = kids
                .iter()
                .filter_map(|k| parse_amount(&by_id[k].amount).ok().map(u128::from))
                .collect();
            let total: u128 = amounts.iter().sum();
            sums.push(Sum {
                parent: *id,
                amount: v.amount.clone(),
                parts: kids
                    .iter()
                    .map(|k| by_id[k].amount.clone())
                    .collect::<Vec<_>>()
                    .join(" + "),
                adds_up: amounts.len() == kids.len()
                    && parse_amount(&v.amount).is_ok_and(|a| u128::from(a) == total),
            });
        }
    }
    let width = (next_leaf as i64).max(1) * (BOX_W + GAP_X) + GAP_X;
    let levels = depth.values().copied().max().unwrap_or(0) + 1;
    Lineage {
        width,
        height: levels * (BOX_H + GAP_Y),
        parts,
        edges,
        sums,
        box_w: BOX_W,
        box_h: BOX_H,
    }
}
