//! `catena demo`: the supply-chain-finance story of DOMAIN.md, told step by step on a fresh local
//! network (a 4-validator main chain with two supply chains' parachains, or one dev node with
//! `--single`), checking every outcome.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use catena_node::now_ms;
use catena_primitives::Hash;
use catena_schema::cash::method as cash_method;
use catena_schema::cash::Mint;
use catena_schema::records::method as records_method;
use catena_schema::records::{Invoice, Kind, NewRecord, Suggestion};
use catena_schema::voucher::method as voucher_method;
use catena_schema::voucher::{
    Accept, FinanceKind, HistoryEntry, Offer, Price, Quote, Quoted, SetCreditLine, Status, Terms,
    Transfer,
};
use catena_schema::{format_amount, names, parse_amount, Amount, Method};
use clap::Args;
use parity_scale_codec::{Decode, Encode};

use crate::finance::{call, Finance};
use crate::{Output, QueryArgs, SendArgs, TestnetArgs};

mod parachains;
mod products;
mod story;
use catena_client::ApiClient;
use story::*;

#[derive(Args)]
pub struct DemoArgs {
    /// Run one dev node (its chain only) instead of a 4-validator main chain with two
    /// parachains.
    #[arg(long)]
    single: bool,
    /// Stop the chain at the end and exit with status 0 only if every step went as told.
    #[arg(long)]
    exit: bool,
    /// Where the chain lives (default: a new directory under ~/.catena/demo).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// API port (of the first validator).
    #[arg(long, default_value_t = 8545)]
    api_port: u16,
    /// p2p port of the first validator.
    #[arg(long, default_value_t = 30333)]
    p2p_port: u16,
}

const CORE: &str = "huaxia-motors";
const TIER1: &str = "tier1-steel";
const TIER2: &str = "tier2-parts";
const TIER3: &str = "tier3-materials";
const BANK: &str = "merchant-bank";
const CARRIER: &str = "swift-logistics";
/// Huaxia Motors' supply chain, a parachain of every member.
const PARA_A: &str = "huaxia-supply";
/// Tier-1 Steel's own supply chain (its raw materials), a parachain of four members.
const PARA_B: &str = "steel-supply";

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => crate::fresh_run_dir("demo"),
    };
    crate::empty_run_dir(&dir, "the demo starts a fresh chain; give another --dir")?;
    let (children, api) = start(&args, &dir)?;
    let outcome = tell(&dir, &api, !args.single);
    let failures = match outcome {
        Ok(failures) => failures,
        Err(e) => {
            crate::stop_children(children);
            return Err(e);
        }
    };
    if args.exit {
        crate::stop_children(children);
        if failures.is_empty() {
            println!("\nEvery step went as told.");
            return Ok(());
        }
        bail!(
            "{} step(s) did not go as told: {}",
            failures.len(),
            failures.join("; ")
        );
    }
    println!("\nThe chain keeps running (Ctrl-C stops it). Explore it:");
    let home = dir.display();
    // The story's vouchers are on Huaxia Motors' parachain, read by its members only.
    let on = if args.single {
        String::new()
    } else {
        format!(" --chain {PARA_A} --as {CORE}")
    };
    println!("  API:        {api}   (GET /openapi.json describes every route)");
    println!("  catena voucher tree 1 --home {home} --api {api}{on}");
    println!("  catena voucher history 3 --home {home} --api {api}{on}");
    println!("  catena query events --contract voucher --home {home} --api {api}{on}");
    if args.single {
        println!("  curl -s {api}/members");
        println!(
            "  curl -sN '{api}/stream?contract={}'   (live voucher events)",
            catena_primitives::system_contract_id(names::VOUCHER)
        );
    } else {
        println!("  catena parachain list --home {home} --api {api}");
        println!("  curl -s {api}/parachains/{PARA_B}/anchors   (the main chain is open)");
        println!(
            "  curl -s {api}/chains/{PARA_B}/status   (401: a parachain answers its members only)"
        );
    }
    crate::wait_for_ctrl_c()?;
    crate::stop_children(children);
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("{} step(s) did not go as told", failures.len())
    }
}

/// Tells the story: on a main chain with two parachains, the supply-chain-finance story on Huaxia
/// Motors' parachain and a shorter one on Tier-1 Steel's; on one dev node, on its chain.
fn tell(dir: &Path, api: &str, parachains: bool) -> anyhow::Result<Vec<String>> {
    let client = ApiClient::new(api);
    let status = crate::wait_first_block(&client, dir)?;
    println!(
        "Catena demo: chain '{}' with {} validator(s){}, API {api}, in {}\n",
        status.chain_id,
        status.validators,
        if parachains {
            format!(", and its parachains '{PARA_A}' and '{PARA_B}'")
        } else {
            String::new()
        },
        dir.display()
    );
    let mut failures = Vec::new();
    if parachains {
        failures.extend(parachains::register(dir, api)?);
        println!("\nThe story of Huaxia Motors' supply chain, on parachain {PARA_A}:\n");
    }
    let mut s = if parachains {
        Story::on(dir, api, Some(PARA_A), Some(CORE))?
    } else {
        Story::on(dir, api, None, None)?
    };
    s.failures = failures;

    println!("1. The consortium");
    let members = s.finance().members()?;
    for m in &members {
        let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
        println!("   {:<36} {:<10} {}", m.name, roles.join(","), m.uscc);
    }
    s.check(
        members.len() == 7,
        "seven members: a core enterprise, three suppliers, a bank, a carrier, an auditor",
    );

    println!("\n2. The bank grants Huaxia Motors a credit line and holds its deposit");
    let line = SetCreditLine {
        issuer: s.uscc(CORE),
        limit: yuan("5000000.00"),
    };
    s.step(
        "credit line 5,000,000.00 for Huaxia Motors (授信)",
        BANK,
        voucher_method::SET_CREDIT_LINE,
        line,
    );
    s.mint(
        "1,000,000.00 settlement cash minted for Huaxia Motors",
        CORE,
        "1000000.00",
    );
    s.mint(
        "500,000.00 of its own cash minted by the bank, for lending",
        BANK,
        "500000.00",
    );

    println!("\n3. A trade is recorded across the flows (四流合一)");
    let contract = s.record(
        "purchase contract HX-2026-001 (商流)",
        TIER1,
        Kind::Contract,
        "1000000.00",
        vec![],
        None,
    );
    let delivery = s.record(
        "delivery receipt, recorded by the carrier (物流)",
        CARRIER,
        Kind::DeliveryReceipt,
        "1000000.00",
        vec![contract],
        None,
    );
    let invoice = s.invoice("00000001");
    let invoice = s.record(
        "VAT invoice 3100231130 00000001, 1,000,000.00 (信息流)",
        TIER1,
        Kind::Invoice,
        "1000000.00",
        vec![contract, delivery],
        Some(invoice),
    );

    println!("\n4. Tier-1 asks Huaxia Motors to confirm the payable; Huaxia confirms (确权)");
    let maturity = now_ms() + 45_000;
    let terms = s.terms(
        CORE,
        "1000000.00",
        maturity,
        vec![invoice],
        vec![contract, delivery],
    );
    let voucher = s.request_confirmed(
        "Tier-1 requests confirmation of 1,000,000.00, due in 45 s",
        TIER1,
        CORE,
        terms,
        |request| format!("Huaxia Motors confirms request {request}: voucher issued to Tier-1"),
    );

    println!("\n5. The voucher is split and travels up the chain (拆分/流转)");
    let (t2, t3) = (s.uscc(TIER2), s.uscc(TIER3));
    let transfer = |to: &str, voucher: u64, amount: &str| Transfer {
        voucher,
        to: to.to_string(),
        amount: Some(yuan(amount)),
    };
    let to_t2 = s.step(
        "Tier-1 pays Tier-2 with 600,000.00 of it",
        TIER1,
        voucher_method::TRANSFER,
        transfer(&t2, voucher, "600000.00"),
    );
    let to_t3 = s.step(
        "Tier-2 pays Tier-3 with 200,000.00 of that",
        TIER2,
        voucher_method::TRANSFER,
        transfer(&t3, to_t2, "200000.00"),
    );
    let kept = s
        .finance()
        .voucher(to_t2)
        .map(|v| v.children.get(1).copied().unwrap_or(0))
        .unwrap_or(0);
    let path: Vec<String> = s
        .finance()
        .query(voucher_method::PATH, to_t3)
        .unwrap_or_default();
    s.check(
        path.len() == 3,
        &format!("voucher {to_t3} went Tier-1 → Tier-2 → Tier-3"),
    );

    println!(
        "\n6. Tier-2 pledges its 400,000.00 part to the bank for an advance at 3.65% a year (质押融资)"
    );
    let offer = Offer {
        voucher: kept,
        financier: s.uscc(BANK),
        kind: FinanceKind::Pledge,
        min_price: yuan("300000.00"),
    };
    s.step(
        &format!("Tier-2 offers voucher {kept} in pledge, for at least 300,000.00"),
        TIER2,
        voucher_method::OFFER,
        offer,
    );
    let accept = Accept {
        voucher: kept,
        price: Price::Amount(yuan("300000.00")),
        recourse: false,
        interest_bps: 365,
    };
    s.step(
        "the bank accepts at 3.65% a year (ACT/360) and advances 300,000.00 in the same transaction",
        BANK,
        voucher_method::ACCEPT,
        accept,
    );
    s.balances(&[(TIER2, "300000.00")]);
    let moved = Transfer {
        voucher: kept,
        to: s.uscc(TIER3),
        amount: None,
    };
    s.refused(
        "a pledged voucher cannot move",
        "is pledged",
        TIER2,
        voucher_method::TRANSFER,
        moved,
    );

    println!("\n7. Tier-3 factors its 200,000.00 part to the bank, priced by tenor (保理)");
    let quote = Quote {
        voucher: to_t3,
        annual_rate_bps: 360,
    };
    let quoted: Option<Quoted> = s.finance().query(voucher_method::QUOTE, quote).ok();
    let price = quoted.as_ref().map_or(0, |q| q.price);
    s.check(
        quoted.as_ref().is_some_and(|q| {
            q.price == catena_schema::voucher::discounted_price(q.face, 360, q.days).unwrap_or(0)
        }),
        &format!(
            "the quote at 3.60% a year: {} for {} day(s) to maturity = face × (1 − 3.60% × days / 360)",
            format_amount(price),
            quoted.as_ref().map_or(0, |q| q.days)
        ),
    );
    let offer = Offer {
        voucher: to_t3,
        financier: s.uscc(BANK),
        kind: FinanceKind::Factoring,
        min_price: yuan("190000.00"),
    };
    s.step(
        &format!("Tier-3 offers voucher {to_t3} for factoring, for at least 190,000.00"),
        TIER3,
        voucher_method::OFFER,
        offer,
    );
    let accept = Accept {
        voucher: to_t3,
        price: Price::AnnualRateBps(360),
        recourse: false,
        interest_bps: 0,
    };
    s.step(
        "the bank buys it at 3.60% a year for the days to maturity and becomes its holder",
        BANK,
        voucher_method::ACCEPT,
        accept,
    );
    s.balances(&[(TIER3, &format_amount(price))]);

    println!("\n8. A second financing of the same invoice is refused (重复融资)");
    let again = s.terms(TIER1, "1.00", maturity, vec![invoice], vec![]);
    s.refused(
        "a second voucher on invoice 00000001",
        "double financing",
        CORE,
        voucher_method::ISSUE,
        again,
    );

    println!(
        "\n9. Maturity: every part is paid by the chain itself, no transaction asking (到期清算)"
    );
    let wait = Duration::from_millis(maturity.saturating_sub(now_ms()) + 30_000);
    println!(
        "   … waiting for maturity ({} s)",
        maturity.saturating_sub(now_ms()) / 1000
    );
    let settled = [to_t3, kept]
        .iter()
        .all(|id| s.wait_status(*id, Status::Settled, wait));
    s.check(settled, "every live part settled at maturity");
    // What the pledge secured: the advance and one started day's interest, ACT/360.
    let days = catena_schema::voucher::days_between(pledged_at(&s, kept), maturity_paid(&s, kept));
    let interest = catena_schema::voucher::interest(yuan("300000.00"), 365, days);
    println!(
        "   the pledge secured 300,000.00 + {} interest ({days} day(s) at 3.65% / 360)",
        format_amount(interest)
    );
    s.balances(&[
        (CORE, "0.00"),
        (TIER1, "400000.00"),
        // The advance, and the surplus of its 400,000.00 part over what the pledge secured.
        (
            TIER2,
            &format_amount(yuan("300000.00") + yuan("100000.00") - interest),
        ),
        (TIER3, &format_amount(price)),
        // 500,000.00 own cash, less the advance and the price, plus advance and interest, plus
        // the factored part's face.
        (
            BANK,
            &format_amount(yuan("500000.00") - price + interest + yuan("200000.00")),
        ),
    ]);

    println!("\n10. An issuer short of cash: what it has is shared pro rata, the rest paid when cash arrives (逾期)");
    let invoice2 = s.invoice("00000002");
    let invoice2 = s.record(
        "VAT invoice 3100231130 00000002, 500,000.00",
        TIER1,
        Kind::Invoice,
        "500000.00",
        vec![contract],
        Some(invoice2),
    );
    let terms = s.terms(
        TIER1,
        "500000.00",
        now_ms() + 15_000,
        vec![invoice2],
        vec![],
    );
    s.claim(CORE, &[invoice2]);
    let second = s.step(
        "Huaxia Motors issues 500,000.00 to Tier-1 directly, due in 15 s",
        CORE,
        voucher_method::ISSUE,
        terms,
    );
    let t2_share = s.step(
        "Tier-1 pays Tier-2 with 200,000.00 of it",
        TIER1,
        voucher_method::TRANSFER,
        transfer(&t2, second, "200000.00"),
    );
    s.mint(
        "the bank credits Huaxia Motors 100,000.00: a fifth of what falls due",
        CORE,
        "100000.00",
    );
    let (t1_before, t2_before) = (s.cash(TIER1), s.cash(TIER2));
    let overdue = s.wait_status(t2_share, Status::Overdue, Duration::from_secs(60));
    s.check(
        overdue,
        &format!(
            "voucher {second}'s parts are overdue: Huaxia Motors had 100,000.00 of 500,000.00"
        ),
    );
    let (t1_got, t2_got) = (s.cash(TIER1) - t1_before, s.cash(TIER2) - t2_before);
    s.check(
        (t1_got, t2_got) == (yuan("60000.00"), yuan("40000.00")),
        &format!(
            "shared pro rata: Tier-1 got {} of its 300,000.00, Tier-2 {} of its 200,000.00",
            format_amount(t1_got),
            format_amount(t2_got)
        ),
    );
    s.mint(
        "the bank credits Huaxia Motors the other 400,000.00",
        CORE,
        "400000.00",
    );
    let paid = s.wait_status(t2_share, Status::Settled, Duration::from_secs(60));
    s.check(paid, "the overdue parts are paid in the next block");
    s.balances(&[
        (TIER1, &format_amount(t1_before + yuan("300000.00"))),
        (TIER2, &format_amount(t2_before + yuan("200000.00"))),
        (CORE, "0.00"),
    ]);

    println!("\n11. A credit line suggested from the quality of Huaxia's records (数据质量授信)");
    let core = s.uscc(CORE);
    let suggestion: Option<Suggestion> = s.finance().query(records_method::SUGGEST_LINE, core).ok();
    if let Some(q) = &suggestion {
        crate::finance::print_suggestion(q, false, Output::Table)?;
    }
    s.check(
        suggestion.as_ref().is_some_and(|q| {
            q.quality.records == 4
                && q.quality.invoiced == yuan("1500000.00")
                && q.amount
                    == (u128::from(q.quality.invoiced) * u128::from(q.share_bps) / 10_000) as Amount
        }),
        &format!(
            "four records rated {}: a suggested line of {}",
            suggestion.as_ref().map_or("?", |q| q.rating.as_str()),
            format_amount(suggestion.as_ref().map_or(0, |q| q.amount))
        ),
    );
    products::tell(&mut s);
    let mut failures = s.failures;
    if parachains {
        failures.extend(parachains::tell(dir, api)?);
        failures.extend(parachains::evidence(dir, api, to_t3)?);
    }
    Ok(failures)
}
