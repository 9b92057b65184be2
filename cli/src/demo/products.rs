//! The demo's chapters on the other three financing products (docs/products.md), after the
//! voucher story and on the same chain: a warehouse-receipt pledge, order financing, and a
//! data-credit loan, each outcome checked.

use super::*;
use catena_schema::lending::method as lending_method;
use catena_schema::lending::{
    Application, Approval, Collateral, CreditSuggestion, LoanId, Repay, Secure,
};
use catena_schema::receipts::method as receipts_method;
use catena_schema::receipts::{GoodsMove, NewReceipt, Receipt, ReceiptId};
use catena_schema::voucher::{interest, DAY_MS};
use catena_schema::{format_rate, RecordId};

/// A loan application to the bank, due in 30 days.
fn application(amount: &str, collateral: Collateral) -> Application {
    Application {
        lender: String::new(),
        amount: yuan(amount),
        max_rate_bps: 600,
        due_ms: now_ms() + 30 * DAY_MS,
        collateral,
    }
}

impl Story<'_> {
    fn apply(&mut self, told: &str, who: &str, mut application: Application) -> LoanId {
        application.lender = self.uscc(BANK);
        self.step(told, who, lending_method::APPLY, application)
    }

    fn receipt(&self, id: ReceiptId) -> Option<Receipt> {
        self.finance()
            .query(receipts_method::GET, id)
            .ok()
            .flatten()
    }

    fn issue_receipt(
        &mut self,
        told: &str,
        owner: &str,
        goods: &str,
        lot: &str,
        value: &str,
        appraisal: RecordId,
    ) -> ReceiptId {
        let new = NewReceipt {
            owner: self.uscc(owner),
            goods: goods.into(),
            quantity: 100,
            unit: if goods.contains("copper") {
                "t"
            } else {
                "sets"
            }
            .into(),
            location: "Swift Logistics, Waigaoqiao bonded zone".into(),
            lot: lot.into(),
            appraised_value: yuan(value),
            appraisal,
            inspections: vec![],
        };
        self.step(told, CARRIER, receipts_method::ISSUE, new)
    }

    fn goods_out(&mut self, told: &str, receipt: ReceiptId, quantity: u64) {
        let out = GoodsMove { receipt, quantity };
        self.step(told, CARRIER, receipts_method::GOODS_OUT, out);
    }
}

pub(crate) fn tell(s: &mut Story) {
    warehouse_receipt(s);
    order(s);
    data_credit(s);
}

fn warehouse_receipt(s: &mut Story) {
    println!("\n12. Tier-3 pledges copper in Swift Logistics' warehouse to the bank (仓单质押)");
    s.mint(
        "1,500,000.00 more of the bank's own cash, for lending",
        BANK,
        "1500000.00",
    );
    let appraisal = s.record_of(
        "appraisal of lot SH-2026-07: 100 t of copper cathode, 600,000.00",
        CARRIER,
        Kind::WarehouseReceipt,
        "600000.00",
        &[TIER3],
        vec![],
        None,
    );
    let issue = |s: &mut Story, told: &str| {
        s.issue_receipt(
            told,
            TIER3,
            "copper cathode",
            "SH-2026-07",
            "600000.00",
            appraisal,
        )
    };
    let receipt = issue(
        s,
        "Swift Logistics issues Tier-3 a warehouse receipt for lot SH-2026-07, appraised at 600,000.00",
    );
    let again = NewReceipt {
        owner: s.uscc(TIER3),
        goods: "copper cathode".into(),
        quantity: 100,
        unit: "t".into(),
        location: "elsewhere".into(),
        lot: "SH-2026-07".into(),
        appraised_value: yuan("600000.00"),
        appraisal,
        inspections: vec![],
    };
    s.refused(
        "a second receipt for the same lot (goods that are not there twice)",
        "one receipt per lot",
        CARRIER,
        receipts_method::ISSUE,
        again,
    );
    let before = s.cash(TIER3);
    let loan = s.apply(
        "Tier-3 applies to the bank for 400,000.00 on it (the most is 70% of 600,000.00)",
        TIER3,
        application("400000.00", Collateral::Receipt(receipt)),
    );
    let approval = Approval {
        loan,
        rate_bps: 435,
    };
    s.step(
        "the bank approves at 4.35% a year: the receipt is pledged and 400,000.00 advanced",
        BANK,
        lending_method::APPROVE,
        approval,
    );
    s.balances(&[(TIER3, &format_amount(before + yuan("400000.00")))]);
    s.refused(
        "the same goods pledged a second time (the steel-trade fraud)",
        "not pledged twice",
        TIER3,
        lending_method::APPLY,
        Application {
            lender: s.uscc(BANK),
            ..application("100000.00", Collateral::Receipt(receipt))
        },
    );
    s.refused(
        "goods leaving the pledged lot without the bank's consent",
        "may leave with its consent",
        CARRIER,
        receipts_method::GOODS_OUT,
        GoodsMove {
            receipt,
            quantity: 10,
        },
    );
    // Repaid in a later block of the loan's first day: one day's interest.
    let day = interest(yuan("400000.00"), 435, 1);
    let repay = Repay {
        loan,
        amount: Some(yuan("200000.00") + day),
    };
    s.step(
        &format!(
            "Tier-3 repays half the principal and the day's interest: 200,000.00 + {}",
            format_amount(day)
        ),
        TIER3,
        lending_method::REPAY,
        repay,
    );
    let released = s.receipt(receipt).and_then(|r| r.lock).map(|l| l.released);
    s.check(
        released == Some(50),
        "50 t released: in proportion to the half of the principal repaid",
    );
    s.goods_out("Swift Logistics delivers the 50 t released", receipt, 50);
    let held = s.receipt(receipt).map(|r| (r.quantity, r.lock.is_some()));
    s.check(
        held == Some((50, true)),
        "50 t stay in the warehouse, pledged to the bank",
    );
}

fn order(s: &mut Story) {
    println!("\n13. Tier-2 finances its prepayment of an order to Huaxia Motors (订单融资)");
    let order = s.record_of(
        "purchase order PO-2026-001: 100 sets of brake assemblies from Huaxia Motors, 800,000.00",
        TIER2,
        Kind::PurchaseOrder,
        "800000.00",
        &[TIER2, CORE],
        vec![],
        None,
    );
    let (core, buyer) = (s.cash(CORE), s.cash(TIER2));
    let collateral = Collateral::Order {
        order,
        seller: s.uscc(CORE),
        receipt: None,
        buyback: false,
    };
    let loan = s.apply(
        "Tier-2 applies to the bank to prepay 600,000.00 of it",
        TIER2,
        application("600000.00", collateral),
    );
    s.step(
        "Huaxia Motors undertakes to buy the goods back should Tier-2 default",
        CORE,
        lending_method::UNDERTAKE_BUYBACK,
        loan,
    );
    let approval = Approval {
        loan,
        rate_bps: 450,
    };
    s.step(
        "the bank approves at 4.50% a year",
        BANK,
        lending_method::APPROVE,
        approval,
    );
    let (seller_got, buyer_got) = (s.cash(CORE) - core, s.cash(TIER2) - buyer);
    s.check(
        (seller_got, buyer_got) == (yuan("600000.00"), 0),
        &format!(
            "the bank paid the seller {}, the buyer {}: the seller, never the buyer",
            format_amount(seller_got),
            format_amount(buyer_got)
        ),
    );
    let inbound = s.record_of(
        "inbound note: 100 sets of brake assemblies from Huaxia Motors, supervised for the bank",
        CARRIER,
        Kind::WarehouseReceipt,
        "800000.00",
        &[TIER2],
        vec![order],
        None,
    );
    let goods = s.issue_receipt(
        "Swift Logistics receives the shipment into its supervised warehouse: a receipt to Tier-2",
        TIER2,
        "brake assemblies",
        "PO-2026-001",
        "800000.00",
        inbound,
    );
    s.step(
        "the bank takes the goods' receipt as the loan's collateral",
        BANK,
        lending_method::SECURE,
        Secure {
            loan,
            receipt: goods,
        },
    );
    let day = interest(yuan("600000.00"), 450, 1);
    s.step(
        &format!(
            "Tier-2 repays a first tranche: 150,000.00 and the day's interest, {}",
            format_amount(day)
        ),
        TIER2,
        lending_method::REPAY,
        Repay {
            loan,
            amount: Some(yuan("150000.00") + day),
        },
    );
    s.goods_out(
        "Swift Logistics delivers Tier-2 the 25 sets that tranche released (提货)",
        goods,
        25,
    );
    s.refused(
        "a 26th set before the next tranche",
        "may leave with its consent",
        CARRIER,
        receipts_method::GOODS_OUT,
        GoodsMove {
            receipt: goods,
            quantity: 1,
        },
    );
}

fn data_credit(s: &mut Story) {
    println!("\n14. A data-credit loan to Tier-1 on the strength of its own records (数据信用贷)");
    let tier1 = s.uscc(TIER1);
    let Ok(limit) = s
        .finance()
        .query(lending_method::SUGGEST_LIMIT, tier1.clone())
    else {
        s.check(false, "Tier-1's data-credit limit is shown");
        return;
    };
    show(&limit);
    let factor = u128::from(limit.factor_bps);
    s.check(
        u128::from(limit.limit) == u128::from(limit.records.amount) * factor / 10_000
            && limit.available >= yuan("300000.00"),
        &format!(
            "Tier-1's records rated {}: a limit of {}, {} available",
            limit.records.rating,
            format_amount(limit.limit),
            format_amount(limit.available)
        ),
    );
    s.refused(
        "a loan beyond what its record supports",
        "of unsecured credit available",
        TIER1,
        lending_method::APPLY,
        Application {
            lender: s.uscc(BANK),
            amount: limit.available + 1,
            ..application("0", Collateral::Unsecured)
        },
    );
    let before = s.cash(TIER1);
    let loan = s.apply(
        "Tier-1 applies for 300,000.00 without collateral",
        TIER1,
        application("300000.00", Collateral::Unsecured),
    );
    s.step(
        "the bank, shown that limit and its rule, approves at 5.20% a year",
        BANK,
        lending_method::APPROVE,
        Approval {
            loan,
            rate_bps: 520,
        },
    );
    s.balances(&[(TIER1, &format_amount(before + yuan("300000.00")))]);
}

fn show(c: &CreditSuggestion) {
    println!(
        "   records {} rated {}: {} of the {} it invoiced suggested",
        format_rate(c.records.overall),
        c.records.rating,
        format_amount(c.records.amount),
        format_amount(c.records.quality.invoiced)
    );
    println!("   rule: {}", c.rule);
}
