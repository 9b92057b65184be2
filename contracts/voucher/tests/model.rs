//! Model-based property test of the voucher, cash and records contracts (TEST-PLAN.md #12).
//!
//! Random sequences of operations by several members (issue, request and confirm, split,
//! transfer of all or an amount, offer, accept as pledge or factoring, withdraw, release, repay,
//! cancel, mint, cash transfers, time passing with settlement at maturity) run against the real
//! contracts on the mock host and, side by side, against a small model written from DOMAIN.md.
//! Each step must succeed exactly when the model says it may; a refused step must change
//! nothing; after every step the contracts' state must equal the model's, and every invariant
//! of DOMAIN.md is checked on the contracts' own state.
//!
//! `PROPTEST_CASES` sets the number of sequences (10,000 by default).

use std::collections::BTreeMap;

use catena_abi::cash::{keys as cash_keys, Mint, Transfer as CashTransfer};
use catena_abi::records::NewRecord;
use catena_abi::voucher::{
    keys, Accept, Config, CreditLine, FinanceKind, Offer, Price, SetCreditLine, Split, Status,
    Terms, Transfer, Voucher, VoucherId,
};
use catena_abi::{Amount, Uscc};
use catena_sdk::codec::Encode;
use catena_sdk::mock;
use catena_testkit::{
    account, registry, uscc_of, AUDITOR, BANK, CASH, CORE, FACTOR, LOGISTICS, OUTSIDER, RECORDS,
    REGISTRY, TIER1, TIER2, TIER3, VOUCHER,
};
use proptest::prelude::*;

const MIN_PART: Amount = 100;
const MAX_PARTS: u32 = 4;
/// Parts one settlement run pays: small, so that batching and its cursor are exercised.
const BATCH: usize = 3;
const START_MS: u64 = 1_000_000;
/// Invoices from tier 1 to the core enterprise, recorded at the start: their amounts.
const INVOICES: [Amount; 3] = [50_000, 30_000, 20_000];
const ACTORS: [u8; 10] = [
    CORE, TIER1, TIER2, TIER3, BANK, FACTOR, LOGISTICS, AUDITOR, OUTSIDER, TIER1,
];

/// One step, with raw numbers the model turns into a concrete call.
#[derive(Clone, Debug)]
enum Op {
    Issue {
        invoices: u8,
        amount: u64,
        maturity: u64,
        via_request: bool,
    },
    Split {
        voucher: u8,
        who: u8,
        cuts: Vec<u64>,
        skew: u8,
    },
    Transfer {
        voucher: u8,
        who: u8,
        to: u8,
        amount: Option<u64>,
    },
    Offer {
        voucher: u8,
        who: u8,
        financier: u8,
        factoring: bool,
        min_price: u64,
    },
    Accept {
        voucher: u8,
        who: u8,
        price: u64,
        recourse: bool,
    },
    Withdraw {
        voucher: u8,
        who: u8,
    },
    Release {
        voucher: u8,
        who: u8,
    },
    Repay {
        voucher: u8,
        who: u8,
    },
    Cancel {
        voucher: u8,
        who: u8,
    },
    Mint {
        financier: u8,
        to: u8,
        amount: u64,
    },
    Pay {
        from: u8,
        to: u8,
        amount: u64,
    },
    CreditLine {
        limit: u64,
    },
    Time {
        ms: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0u8..10;
    prop_oneof![
        3 => (1u8..8, 1u64..110_000, 0u64..6, any::<bool>()).prop_map(|(invoices, amount, maturity, via_request)| Op::Issue { invoices, amount, maturity, via_request }),
        3 => (any::<u8>(), who.clone(), prop::collection::vec(1u64..1000, 1..5), 0u8..8).prop_map(|(voucher, who, cuts, skew)| Op::Split { voucher, who, cuts, skew }),
        4 => (any::<u8>(), who.clone(), who.clone(), prop::option::of(0u64..1_100)).prop_map(|(voucher, who, to, amount)| Op::Transfer { voucher, who, to, amount }),
        2 => (any::<u8>(), who.clone(), who.clone(), any::<bool>(), 0u64..1_050).prop_map(|(voucher, who, financier, factoring, min_price)| Op::Offer { voucher, who, financier, factoring, min_price }),
        2 => (any::<u8>(), who.clone(), 0u64..1_100, any::<bool>()).prop_map(|(voucher, who, price, recourse)| Op::Accept { voucher, who, price, recourse }),
        1 => (any::<u8>(), who.clone()).prop_map(|(voucher, who)| Op::Withdraw { voucher, who }),
        1 => (any::<u8>(), who.clone()).prop_map(|(voucher, who)| Op::Release { voucher, who }),
        1 => (any::<u8>(), who.clone()).prop_map(|(voucher, who)| Op::Repay { voucher, who }),
        1 => (any::<u8>(), who.clone()).prop_map(|(voucher, who)| Op::Cancel { voucher, who }),
        2 => (who.clone(), who.clone(), 0u64..80_000).prop_map(|(financier, to, amount)| Op::Mint { financier, to, amount }),
        1 => (who.clone(), who.clone(), 0u64..40_000).prop_map(|(from, to, amount)| Op::Pay { from, to, amount }),
        1 => (0u64..150_000).prop_map(|limit| Op::CreditLine { limit }),
        3 => (1u64..4_000).prop_map(|ms| Op::Time { ms }),
    ]
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct MVoucher {
    root: VoucherId,
    parent: Option<VoucherId>,
    children: Vec<VoucherId>,
    holder: u8,
    amount: Amount,
    paid: Amount,
    status: Status,
    pledge: Option<(u8, Amount)>,
    maturity: u64,
    transferred: bool,
    consent: Vec<u8>,
    /// (financier, factoring, least price)
    offer: Option<(u8, bool, Amount)>,
    /// (invoice index, amount) of the original.
    backing: Vec<(usize, Amount)>,
}

/// What DOMAIN.md says the contracts hold.
#[derive(Debug, Default)]
struct Model {
    now: u64,
    vouchers: BTreeMap<VoucherId, MVoucher>,
    next_voucher: VoucherId,
    cash: BTreeMap<u8, Amount>,
    minted: Amount,
    used: [Amount; 3],
    limit: Amount,
    outstanding: Amount,
    /// (due time, order) → root.
    schedule: BTreeMap<(u64, u64), VoucherId>,
    next_schedule: u64,
    /// Per original: the last part a settlement run handled, and when a retry was scheduled.
    cursor: BTreeMap<VoucherId, VoucherId>,
    retry_at: BTreeMap<VoucherId, u64>,
}

fn is_financier(m: u8) -> bool {
    m == BANK || m == FACTOR
}
fn can_hold(m: u8) -> bool {
    matches!(m, CORE | TIER1 | TIER2 | TIER3 | BANK | FACTOR)
}
fn is_member(m: u8) -> bool {
    m != OUTSIDER
}

impl Model {
    fn balance(&self, m: u8) -> Amount {
        self.cash.get(&m).copied().unwrap_or(0)
    }
    fn move_cash(&mut self, from: u8, to: u8, amount: Amount) {
        *self.cash.entry(from).or_default() -= amount;
        *self.cash.entry(to).or_default() += amount;
    }
    fn pick(&self, n: u8) -> Option<VoucherId> {
        if self.vouchers.is_empty() {
            return None;
        }
        self.vouchers
            .keys()
            .nth(n as usize % self.vouchers.len())
            .copied()
    }
    /// Mostly a voucher for which `wanted` holds (if any does), sometimes any voucher.
    fn pick_where(&self, n: u8, wanted: impl Fn(&MVoucher) -> bool) -> Option<VoucherId> {
        let matching: Vec<VoucherId> = self
            .vouchers
            .iter()
            .filter(|(_, v)| wanted(v))
            .map(|(id, _)| *id)
            .collect();
        if n.is_multiple_of(4) || matching.is_empty() {
            return self.pick(n);
        }
        Some(matching[n as usize / 4 % matching.len()])
    }

    fn movable(&self, id: VoucherId) -> bool {
        let v = &self.vouchers[&id];
        v.status == Status::Active && self.now < v.maturity && v.offer.is_none()
    }
    fn new_id(&mut self) -> VoucherId {
        self.next_voucher += 1;
        self.next_voucher
    }
    fn schedule(&mut self, at: u64, root: VoucherId) {
        let at = at.max(self.now + 1);
        self.schedule.insert((at, self.next_schedule), root);
        self.next_schedule += 1;
    }
    /// The parts `id` splits into, if the split is allowed.
    fn split_ok(&self, id: VoucherId, amounts: &[Amount]) -> bool {
        let v = &self.vouchers[&id];
        amounts.len() >= 2
            && amounts.len() <= MAX_PARTS as usize
            && amounts.iter().all(|a| *a >= MIN_PART)
            && amounts.iter().sum::<Amount>() == v.amount
    }
    fn split(&mut self, id: VoucherId, amounts: &[Amount]) -> Vec<VoucherId> {
        let parent = self.vouchers[&id].clone();
        let ids: Vec<VoucherId> = amounts
            .iter()
            .map(|amount| {
                let child = self.new_id();
                let part = MVoucher {
                    parent: Some(id),
                    children: vec![],
                    amount: *amount,
                    paid: 0,
                    consent: vec![],
                    ..parent.clone()
                };
                self.vouchers.insert(child, part);
                child
            })
            .collect();
        let v = self.vouchers.get_mut(&id).expect("present");
        v.status = Status::Split;
        v.children = ids.clone();
        ids
    }
    fn live_leaves(&self, root: VoucherId) -> Vec<VoucherId> {
        let mut out = vec![];
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            let v = &self.vouchers[&id];
            if v.status == Status::Split {
                stack.extend(v.children.iter().copied());
            } else if v.status.is_live() {
                out.push(id);
            }
        }
        out.sort();
        out
    }
    fn settle(&mut self, root: VoucherId) {
        let cursor = self.cursor.get(&root).copied().unwrap_or(0);
        let leaves = self.live_leaves(root);
        let mut queue: Vec<VoucherId> = leaves.iter().copied().filter(|id| *id > cursor).collect();
        queue.extend(leaves.iter().copied().filter(|id| *id <= cursor));
        let mut unfinished = queue.len() > BATCH;
        let mut last = cursor;
        for id in queue.into_iter().take(BATCH) {
            last = id;
            let v = self.vouchers[&id].clone();
            let paying = (v.amount - v.paid).min(self.balance(CORE));
            if paying > 0 {
                let payee = v.pledge.map_or(v.holder, |(p, _)| p);
                self.move_cash(CORE, payee, paying);
                self.outstanding -= paying;
            }
            let v = self.vouchers.get_mut(&id).expect("present");
            v.paid += paying;
            v.offer = None;
            if v.paid == v.amount {
                v.status = Status::Settled;
            } else {
                v.status = Status::Overdue;
                unfinished = true;
            }
        }
        self.cursor.insert(root, last);
        if unfinished && self.retry_at.get(&root) != Some(&self.now) {
            self.retry_at.insert(root, self.now);
            self.schedule(self.now, root);
        }
    }
    fn run_due(&mut self) {
        let due: Vec<(u64, u64)> = self
            .schedule
            .range(..(self.now + 1, 0))
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            let root = self.schedule.remove(&key).expect("present");
            self.settle(root);
        }
    }
}

/// A step as a call: (signer, contract, method, input, whether the model allows it, and what the
/// model does if it succeeds).
struct Step {
    who: u8,
    contract: [u8; 32],
    method: &'static str,
    input: Vec<u8>,
    allowed: bool,
    apply: Box<dyn FnOnce(&mut Model)>,
}

fn step(
    who: u8,
    contract: [u8; 32],
    method: &'static str,
    input: impl Encode,
    allowed: bool,
    apply: impl FnOnce(&mut Model) + 'static,
) -> Step {
    Step {
        who,
        contract,
        method,
        input: input.encode(),
        allowed,
        apply: Box::new(apply),
    }
}

fn actor(n: u8) -> u8 {
    ACTORS[n as usize % ACTORS.len()]
}

/// Mostly the voucher's holder, sometimes someone else.
fn signer(model: &Model, id: VoucherId, n: u8) -> u8 {
    if n < 7 {
        model.vouchers[&id].holder
    } else {
        actor(n)
    }
}

fn plan(model: &Model, op: &Op) -> Option<Step> {
    let now = model.now;
    Some(match op.clone() {
        Op::Issue {
            invoices,
            amount,
            maturity,
            via_request,
        } => {
            let chosen: Vec<usize> = (0..3).filter(|i| invoices & (1 << i) != 0).collect();
            let terms = Terms {
                counterparty: uscc_of(if via_request { CORE } else { TIER1 }),
                amount,
                currency: "CNY".into(),
                maturity_ms: now + maturity * 5_000,
                invoices: chosen.iter().map(|i| [*i as u8 + 1; 32]).collect(),
                records: vec![],
            };
            let mut left = amount;
            let mut backing = vec![];
            let mut ok = maturity > 0;
            for i in &chosen {
                let free = INVOICES[*i] - model.used[*i];
                if free == 0 {
                    ok = false;
                }
                let take = free.min(left);
                if take > 0 {
                    backing.push((*i, take));
                }
                left -= take;
            }
            ok &= left == 0 && amount <= model.limit - model.outstanding;
            let at = terms.maturity_ms;
            let apply = move |m: &mut Model| {
                let id = m.new_id();
                for (i, take) in &backing {
                    m.used[*i] += take;
                }
                m.outstanding += amount;
                m.vouchers.insert(
                    id,
                    MVoucher {
                        root: id,
                        parent: None,
                        children: vec![],
                        holder: TIER1,
                        amount,
                        paid: 0,
                        status: Status::Active,
                        pledge: None,
                        maturity: at,
                        transferred: false,
                        consent: vec![],
                        offer: None,
                        backing,
                    },
                );
                m.schedule(at, id);
            };
            if via_request {
                // The request is checked without the credit line; then the core confirms.
                step(TIER1, VOUCHER, "request", terms, ok, apply)
            } else {
                step(CORE, VOUCHER, "issue", terms, ok, apply)
            }
        }
        Op::Split {
            voucher,
            who,
            cuts,
            skew,
        } => {
            let id = model.pick_where(voucher, |v| v.status == Status::Active)?;
            let who = signer(model, id, who);
            let v = &model.vouchers[&id];
            // Cut points in thousandths of the amount.
            let mut points: Vec<u64> = cuts.iter().map(|c| v.amount * c / 1000).collect();
            points.sort();
            points.dedup();
            let mut amounts = vec![];
            let mut last = 0;
            for p in points.iter().chain([v.amount].iter()) {
                amounts.push(p - last);
                last = *p;
            }
            if skew == 0 {
                amounts[0] += 1;
            }
            let ok = who == v.holder && model.movable(id) && model.split_ok(id, &amounts);
            let parts = amounts.clone();
            step(
                who,
                VOUCHER,
                "split",
                Split {
                    voucher: id,
                    amounts,
                },
                ok,
                move |m| {
                    m.split(id, &parts);
                },
            )
        }
        Op::Transfer {
            voucher,
            who,
            to,
            amount,
        } => {
            let id = model.pick_where(voucher, |v| v.status == Status::Active)?;
            let who = signer(model, id, who);
            let to = actor(to);
            let v = &model.vouchers[&id];
            // In thousandths of the voucher's amount (over 1,000: more than it holds).
            let amount = amount.map(|a| v.amount * a / 1000);
            let mut ok = who == v.holder
                && model.movable(id)
                && to != v.holder
                && to != CORE
                && can_hold(to);
            let parts = match amount {
                Some(a) if a > 0 && a < v.amount => {
                    ok &= model.split_ok(id, &[a, v.amount - a]);
                    Some([a, v.amount - a])
                }
                Some(a) if a != v.amount => {
                    ok = false;
                    None
                }
                _ => None,
            };
            let args = Transfer {
                voucher: id,
                to: uscc_of(to),
                amount,
            };
            step(who, VOUCHER, "transfer", args, ok, move |m| {
                let moving = match parts {
                    Some(parts) => m.split(id, &parts)[0],
                    None => id,
                };
                let v = m.vouchers.get_mut(&moving).expect("present");
                v.holder = to;
                v.transferred = true;
                v.consent.clear();
            })
        }
        Op::Offer {
            voucher,
            who,
            financier,
            factoring,
            min_price,
        } => {
            let id = model.pick_where(voucher, |v| v.status == Status::Active)?;
            let who = signer(model, id, who);
            let financier = if financier < 8 {
                [BANK, FACTOR][financier as usize % 2]
            } else {
                actor(financier)
            };
            let v = &model.vouchers[&id];
            // In thousandths of the face amount.
            let min_price = v.amount * min_price / 1000;
            let ok = who == v.holder
                && model.movable(id)
                && is_financier(financier)
                && financier != v.holder
                && min_price > 0
                && min_price <= v.amount;
            let kind = if factoring {
                FinanceKind::Factoring
            } else {
                FinanceKind::Pledge
            };
            let args = Offer {
                voucher: id,
                financier: uscc_of(financier),
                kind,
                min_price,
            };
            step(who, VOUCHER, "offer", args, ok, move |m| {
                m.vouchers.get_mut(&id).expect("present").offer =
                    Some((financier, factoring, min_price));
            })
        }
        Op::Accept {
            voucher,
            who,
            price,
            recourse,
        } => {
            let id = model.pick_where(voucher, |v| v.offer.is_some())?;
            let v = model.vouchers[&id].clone();
            // Now and then as a discount in basis points (the same price, rounded down).
            let (price, terms) = if price % 3 == 0 && price <= 1000 {
                let bps = (1000 - price) as u32 * 10;
                let paid = (u128::from(v.amount) * u128::from(10_000 - bps) / 10_000) as Amount;
                (paid, Price::DiscountBps(bps))
            } else {
                let paid = v.amount * price / 1000;
                (paid, Price::Amount(paid))
            };
            let who = match v.offer {
                Some((f, ..)) if who < 8 => f,
                _ => actor(who),
            };
            let ok = match v.offer {
                Some((financier, factoring, min_price)) => {
                    who == financier
                        && v.status == Status::Active
                        && now < v.maturity
                        && price > 0
                        && price <= v.amount
                        && price >= min_price
                        && (factoring || !recourse)
                        && model.balance(financier) >= price
                }
                None => false,
            };
            let args = Accept {
                voucher: id,
                price: terms,
                recourse,
            };
            step(who, VOUCHER, "accept", args, ok, move |m| {
                let (financier, factoring, _) = m.vouchers[&id].offer.expect("offered");
                let holder = m.vouchers[&id].holder;
                m.move_cash(financier, holder, price);
                let v = m.vouchers.get_mut(&id).expect("present");
                v.offer = None;
                if factoring {
                    v.holder = financier;
                    v.transferred = true;
                    v.consent.clear();
                } else {
                    v.status = Status::Pledged;
                    v.pledge = Some((financier, price));
                }
            })
        }
        Op::Withdraw { voucher, who } => {
            let id = model.pick_where(voucher, |v| v.offer.is_some())?;
            let who = signer(model, id, who);
            let v = &model.vouchers[&id];
            let ok = who == v.holder && v.offer.is_some();
            step(who, VOUCHER, "withdraw_offer", id, ok, move |m| {
                m.vouchers.get_mut(&id).expect("present").offer = None;
            })
        }
        Op::Release { voucher, who } => {
            let id = model.pick_where(voucher, |v| v.pledge.is_some())?;
            let v = &model.vouchers[&id];
            let who = match v.pledge {
                Some((p, _)) if who < 7 => p,
                _ => actor(who),
            };
            let ok = matches!(v.status, Status::Pledged | Status::Overdue)
                && v.pledge.is_some_and(|(p, _)| p == who);
            step(who, VOUCHER, "release", id, ok, move |m| {
                let v = m.vouchers.get_mut(&id).expect("present");
                v.pledge = None;
                if v.status == Status::Pledged {
                    v.status = Status::Active;
                }
            })
        }
        Op::Repay { voucher, who } => {
            let id = model.pick_where(voucher, |v| v.pledge.is_some())?;
            let who = signer(model, id, who);
            let v = &model.vouchers[&id];
            let ok = v.status == Status::Pledged
                && who == v.holder
                && v.pledge
                    .is_some_and(|(_, advance)| model.balance(who) >= advance);
            step(who, VOUCHER, "repay", id, ok, move |m| {
                let v = m.vouchers[&id].clone();
                let (pledgee, advance) = v.pledge.expect("pledged");
                m.move_cash(v.holder, pledgee, advance);
                let v = m.vouchers.get_mut(&id).expect("present");
                v.pledge = None;
                v.status = Status::Active;
            })
        }
        Op::Cancel { voucher, who } => {
            let id = model.pick(voucher)?;
            let v = &model.vouchers[&id];
            let who = match who % 3 {
                0 => CORE,
                1 => v.holder,
                _ => actor(who),
            };
            let ok = (who == CORE || who == v.holder)
                && v.parent.is_none()
                && !v.transferred
                && model.movable(id)
                && !v.consent.contains(&who);
            step(who, VOUCHER, "cancel", id, ok, move |m| {
                let v = m.vouchers.get_mut(&id).expect("present");
                v.consent.push(who);
                if v.consent.contains(&CORE) && v.consent.contains(&v.holder) {
                    v.status = Status::Cancelled;
                    let (amount, backing) = (v.amount, v.backing.clone());
                    for (i, take) in backing {
                        m.used[i] -= take;
                    }
                    m.outstanding -= amount;
                }
            })
        }
        Op::Mint {
            financier,
            to,
            amount,
        } => {
            let financier = match financier {
                0..=3 => BANK,
                4..=6 => FACTOR,
                n => actor(n),
            };
            let to = match to {
                0..=5 => [BANK, FACTOR, BANK, FACTOR, CORE, TIER2][to as usize],
                n => actor(n),
            };
            let ok = is_financier(financier) && amount > 0 && is_member(to);
            step(
                financier,
                CASH,
                "mint",
                Mint {
                    to: uscc_of(to),
                    amount,
                },
                ok,
                move |m| {
                    *m.cash.entry(to).or_default() += amount;
                    m.minted += amount;
                },
            )
        }
        Op::Pay { from, to, amount } => {
            let (from, to) = (actor(from), actor(to));
            let ok = is_member(from)
                && is_member(to)
                && amount > 0
                && from != to
                && model.balance(from) >= amount;
            step(
                from,
                CASH,
                "transfer",
                CashTransfer {
                    to: uscc_of(to),
                    amount,
                },
                ok,
                move |m| {
                    m.move_cash(from, to, amount);
                },
            )
        }
        Op::CreditLine { limit } => {
            let ok = limit >= model.outstanding;
            let args = SetCreditLine {
                issuer: uscc_of(CORE),
                limit,
            };
            step(BANK, VOUCHER, "set_credit_line", args, ok, move |m| {
                m.limit = limit
            })
        }
        Op::Time { .. } => return None,
    })
}

fn setup() -> Model {
    registry();
    mock::deploy(RECORDS, records::dispatch);
    mock::deploy(CASH, cash::dispatch);
    mock::deploy(VOUCHER, voucher::dispatch);
    mock::set_block(1, START_MS);
    let ok = |r: mock::Outcome| r.result.expect("setup");
    ok(mock::call(
        account(CORE),
        RECORDS,
        "init",
        &catena_abi::records::Init { registry: REGISTRY }.encode(),
    ));
    let cash_init = catena_abi::cash::Init {
        registry: REGISTRY,
        operators: vec![VOUCHER],
        currency: "CNY".into(),
    };
    ok(mock::call(account(CORE), CASH, "init", &cash_init.encode()));
    let config = Config {
        registry: REGISTRY,
        records: RECORDS,
        cash: CASH,
        own_id: VOUCHER,
        currency: "CNY".into(),
        min_part: MIN_PART,
        max_parts: MAX_PARTS,
        settle_batch: BATCH as u32,
    };
    ok(mock::call(account(CORE), VOUCHER, "init", &config.encode()));
    for (i, amount) in INVOICES.iter().enumerate() {
        let invoice: NewRecord =
            records::testing::invoice(i as u8 + 1, &uscc_of(TIER1), &uscc_of(CORE), *amount);
        ok(mock::call(
            account(TIER1),
            RECORDS,
            "record",
            &invoice.encode(),
        ));
    }
    let line = SetCreditLine {
        issuer: uscc_of(CORE),
        limit: 80_000,
    };
    ok(mock::call(
        account(BANK),
        VOUCHER,
        "set_credit_line",
        &line.encode(),
    ));
    Model {
        now: START_MS,
        limit: 80_000,
        ..Model::default()
    }
}

fn stored<T: catena_sdk::codec::Decode>(contract: [u8; 32], key: &[u8]) -> Option<T> {
    mock::get(contract, key)
        .map(|bytes| catena_sdk::decode(&bytes).expect("a stored value decodes"))
}

fn member_number(uscc: &Uscc) -> u8 {
    ACTORS
        .into_iter()
        .find(|m| &uscc_of(*m) == uscc)
        .expect("a known member")
}

/// Compares the contracts' state with the model's and checks DOMAIN.md's invariants on it.
fn check(model: &Model) -> Result<(), TestCaseError> {
    let mut vouchers = BTreeMap::new();
    for id in 1..=model.next_voucher + 1 {
        if let Some(v) = stored::<Voucher>(VOUCHER, &keys::voucher_key(id)) {
            vouchers.insert(id, v);
        }
    }
    prop_assert_eq!(vouchers.len(), model.vouchers.len(), "voucher count");
    for (id, m) in &model.vouchers {
        let v = &vouchers[id];
        prop_assert_eq!(member_number(&v.holder), m.holder, "holder of {}", id);
        prop_assert_eq!(
            (v.amount, v.paid, v.status, v.parent),
            (m.amount, m.paid, m.status, m.parent),
            "voucher {}",
            id
        );
        prop_assert_eq!(
            v.pledge
                .as_ref()
                .map(|p| (member_number(&p.pledgee), p.advance)),
            m.pledge,
            "pledge of {}",
            id
        );
        // Each pledged voucher has exactly one pledgee; nothing but a live part is pledged.
        if v.status == Status::Pledged {
            prop_assert!(v.pledge.is_some());
        }
        // An offer is open exactly where the model has one.
        prop_assert_eq!(
            mock::get(VOUCHER, &keys::offer_key(*id)).is_some(),
            m.offer.is_some()
        );
        // Live parts are listed under their holder, others nowhere.
        let listed = mock::get(VOUCHER, &keys::by_holder_key(&v.holder, *id)).is_some();
        prop_assert_eq!(listed, v.status.is_live(), "holder index of {}", id);
    }
    // For every original: its parts' amounts add up to its face amount, so the live parts' unpaid
    // amounts are the face amount less what was settled.
    let mut outstanding = 0;
    for (id, root) in vouchers.iter().filter(|(_, v)| v.parent.is_none()) {
        let (mut leaves_total, mut unpaid, mut paid) = (0, 0, 0);
        let mut stack = vec![*id];
        while let Some(part) = stack.pop() {
            let v = &vouchers[&part];
            if v.status == Status::Split {
                prop_assert_eq!(
                    v.children
                        .iter()
                        .map(|c| vouchers[c].amount)
                        .sum::<Amount>(),
                    v.amount,
                    "split {} adds up",
                    part
                );
                stack.extend(v.children.iter().copied());
            } else {
                leaves_total += v.amount;
                paid += v.paid;
                if v.status.is_live() {
                    unpaid += v.unpaid();
                }
            }
        }
        prop_assert_eq!(leaves_total, root.amount);
        if root.status != Status::Cancelled {
            prop_assert_eq!(unpaid, root.amount - paid, "live parts of {}", id);
            outstanding += unpaid;
        }
    }
    // The credit line: outstanding vouchers never exceed it.
    let line: CreditLine =
        stored(VOUCHER, &keys::credit_line_key(&uscc_of(CORE))).unwrap_or_default();
    prop_assert_eq!(line.outstanding, outstanding);
    prop_assert_eq!(line.outstanding, model.outstanding);
    prop_assert!(line.outstanding <= line.limit);
    // No invoice backs more than its amount.
    for (i, amount) in INVOICES.iter().enumerate() {
        let used: Amount = stored(VOUCHER, &keys::invoice_use_key(&[i as u8 + 1; 32])).unwrap_or(0);
        prop_assert!(used <= *amount);
        prop_assert_eq!(used, model.used[i]);
    }
    // Cash: balances as the model says; created only by mint (nothing here burns).
    let mut total = 0;
    for m in [CORE, TIER1, TIER2, TIER3, BANK, FACTOR, LOGISTICS, AUDITOR] {
        let held: Amount = stored(CASH, &cash_keys::balance_key(&uscc_of(m))).unwrap_or(0);
        prop_assert_eq!(held, model.balance(m), "cash of member {}", m);
        total += held;
    }
    prop_assert_eq!(total, model.cash.values().sum::<Amount>());
    let supply: Amount = stored(CASH, cash_keys::SUPPLY).unwrap_or(0);
    prop_assert_eq!(supply, model.minted);
    prop_assert_eq!(supply, model.cash.values().sum::<Amount>());
    Ok(())
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = setup();
    for op in ops {
        if let Op::Time { ms } = op {
            model.now += ms;
            let (height, _) = mock::block();
            mock::set_block(height + 1, model.now);
            for (_, outcome) in mock::run_due() {
                prop_assert!(
                    outcome.result.is_ok(),
                    "settlement failed: {:?}",
                    outcome.result
                );
                count("settle", true);
            }
            model.run_due();
            check(&model)?;
            continue;
        }
        let Some(step) = plan(&model, op) else {
            continue;
        };
        let before = mock::snapshot();
        let outcome = mock::call(account(step.who), step.contract, step.method, &step.input);
        let mut result = outcome.result;
        // A request is confirmed by the core enterprise in the next call.
        if step.method == "request" {
            if let Ok(out) = &result {
                let request: u64 = catena_sdk::decode(out).expect("a request id");
                result = mock::call(account(CORE), VOUCHER, "confirm", &request.encode()).result;
            }
        }
        count(step.method, result.is_ok());
        match (&result, step.allowed) {
            (Ok(_), true) => (step.apply)(&mut model),
            (Err(_), false) => {}
            (Ok(_), false) => prop_assert!(false, "{op:?} succeeded; the model refuses it"),
            (Err(e), true) => {
                // A request refused for the credit line only at confirmation leaves the request
                // pending and changes nothing else the model tracks; everything else must pass.
                prop_assert!(false, "{op:?} was refused ({e}); the model allows it")
            }
        }
        if result.is_err() && step.method != "request" {
            prop_assert_eq!(mock::snapshot(), before, "refused {:?} changed state", op);
        }
        check(&model)?;
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000)
}

std::thread_local! {
    /// Per method: (succeeded, refused) steps over the whole run, to show the test is not vacuous.
    static STATS: std::cell::RefCell<BTreeMap<&'static str, (u64, u64)>> = Default::default();
}

fn count(method: &'static str, ok: bool) {
    STATS.with(|s| {
        let mut s = s.borrow_mut();
        let entry = s.entry(method).or_default();
        if ok {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    });
}

#[test]
fn the_contracts_follow_the_model() {
    let config = ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&prop::collection::vec(op(), 1..60), |ops| run(&ops));
    if let Err(e) = result {
        panic!("{e}");
    }
    println!(
        "{} random sequences; steps per method (succeeded, refused):",
        cases()
    );
    STATS.with(|s| {
        for (method, (ok, refused)) in s.borrow().iter() {
            println!("  {method:<16} {ok:>8} {refused:>8}");
        }
    });
    STATS.with(|s| {
        let s = s.borrow();
        for method in [
            "issue",
            "request",
            "split",
            "transfer",
            "offer",
            "accept",
            "release",
            "repay",
            "cancel",
            "withdraw_offer",
            "settle",
        ] {
            assert!(
                s.get(method).is_some_and(|(ok, _)| *ok > 0),
                "no '{method}' ever succeeded"
            );
        }
    });
}
