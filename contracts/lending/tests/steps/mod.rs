//! What call each step of a sequence makes, and by whom.

use super::*;

/// The call a step makes: who, and the method with its input.
pub(crate) fn step(op: &Op, w: &World) -> (u8, &'static str, [u8; 32], Vec<u8>) {
    let r = |i| pick(w.receipts, i);
    let l = |i| pick(w.loans, i);
    let now = mock::block().1;
    let mv = |receipt, quantity| GoodsMove { receipt, quantity };
    // The natural actors of a receipt and of a loan.
    let owner = |id| receipt(id).map_or(TIER1, |x| member_of(&x.owner));
    let pledgee = |id| {
        receipt(id)
            .and_then(|x| x.lock)
            .map_or(BANK, |k| member_of(&k.pledgee))
    };
    let borrower = |id| loan(id).map_or(TIER1, |x| member_of(&x.borrower));
    let lender = |id| loan(id).map_or(BANK, |x| member_of(&x.lender));
    fn c<A: Encode, O>(
        who: u8,
        method: Method<A, O>,
        input: A,
    ) -> (u8, &'static str, [u8; 32], Vec<u8>) {
        (
            who,
            method.name,
            contract_id(method.contract),
            method.input(&input),
        )
    }
    match op.clone() {
        Op::Issue {
            lot,
            owner,
            quantity,
            who,
        } => {
            let new = NewReceipt {
                owner: uscc_of(OWNERS[owner as usize % OWNERS.len()]),
                goods: "steel coil".into(),
                quantity,
                unit: "t".into(),
                location: "bay 7".into(),
                lot: LOTS[lot as usize % LOTS.len()].into(),
                appraised_value: quantity * 10_000,
                appraisal: [30; 32],
                inspections: vec![],
            };
            c(actor(who, LOGISTICS), m::receipts::ISSUE, new)
        }
        Op::GoodsIn {
            receipt,
            quantity,
            who,
        } => c(
            actor(who, LOGISTICS),
            m::receipts::GOODS_IN,
            mv(r(receipt), quantity),
        ),
        Op::GoodsOut {
            receipt,
            quantity,
            who,
        } => c(
            actor(who, LOGISTICS),
            m::receipts::GOODS_OUT,
            mv(r(receipt), quantity),
        ),
        Op::Split { receipt, cut, who } => {
            let id = r(receipt);
            let held = self::receipt(id).map_or(0, |x| x.quantity);
            let split = SplitReceipt {
                receipt: id,
                quantities: vec![cut, held.saturating_sub(cut)],
            };
            c(actor(who, owner(id)), m::receipts::SPLIT, split)
        }
        Op::Transfer { receipt, to, who } => {
            let id = r(receipt);
            let to = uscc_of(OWNERS[to as usize % OWNERS.len()]);
            c(
                actor(who, owner(id)),
                m::receipts::TRANSFER,
                TransferReceipt { receipt: id, to },
            )
        }
        Op::Release {
            receipt,
            quantity,
            who,
        } => {
            let id = r(receipt);
            c(
                actor(who, pledgee(id)),
                m::receipts::RELEASE,
                mv(id, quantity),
            )
        }
        Op::Apply {
            kind,
            receipt,
            amount,
            who,
            due_days,
        } => {
            let (collateral, natural) = match kind {
                0 => (Collateral::Unsecured, TIER1),
                1 => (Collateral::Receipt(r(receipt)), owner(r(receipt))),
                _ => {
                    let order = Collateral::Order {
                        order: ORDER,
                        seller: uscc_of(CORE),
                        receipt: None,
                        buyback: false,
                    };
                    (order, TIER2)
                }
            };
            let application = Application {
                lender: uscc_of(if due_days % 3 == 0 { FACTOR } else { BANK }),
                amount,
                max_rate_bps: 800,
                due_ms: now + due_days * DAY_MS,
                collateral,
            };
            c(actor(who, natural), m::lending::APPLY, application)
        }
        Op::Approve {
            loan,
            rate_bps,
            who,
        } => {
            let id = l(loan);
            c(
                actor(who, lender(id)),
                m::lending::APPROVE,
                Approval { loan: id, rate_bps },
            )
        }
        Op::Decline { loan, who } => c(actor(who, lender(l(loan))), m::lending::DECLINE, l(loan)),
        Op::Withdraw { loan, who } => {
            c(actor(who, borrower(l(loan))), m::lending::WITHDRAW, l(loan))
        }
        Op::Repay { loan, amount, who } => {
            let id = l(loan);
            c(
                actor(who, borrower(id)),
                m::lending::REPAY,
                Repay { loan: id, amount },
            )
        }
        Op::Secure { loan, receipt, who } => {
            let id = l(loan);
            let secure = Secure {
                loan: id,
                receipt: r(receipt),
            };
            c(actor(who, borrower(id)), m::lending::SECURE, secure)
        }
        Op::Buyback { loan, who } => c(actor(who, CORE), m::lending::UNDERTAKE_BUYBACK, l(loan)),
        Op::Enforce { loan, who } => c(actor(who, lender(l(loan))), m::lending::ENFORCE, l(loan)),
        Op::Mint { to, amount } => {
            let mint = Mint {
                to: uscc_of(OWNERS[to as usize % 3]),
                amount,
            };
            c(if to % 2 == 0 { BANK } else { FACTOR }, m::cash::MINT, mint)
        }
        Op::Wait { .. } => unreachable!("time passes without a call"),
    }
}
