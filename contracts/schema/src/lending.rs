//! The loan ledger (ADR 0045): every financing product's loan — principal, annual rate (ACT/360,
//! the rules of [`Accrual`]), start, due date, repayments, status, lender, borrower and its
//! collateral. A data-credit loan (数据信用融资) has none: it is lent within a limit suggested
//! from the borrower's own record on chain.
use super::*;
pub use crate::voucher::{days_between, Accrual, DAY_MS, MAX_TIME_MS};

pub type LoanId = u64;

pub mod keys {
    use super::*;
    /// → [`Init`]: the contract's configuration.
    pub const CONFIG: &[u8] = b"cfg";
    /// → u64: the next loan's id (the first is 1).
    pub const NEXT_ID: &[u8] = b"next";
    /// `l/<id>` → [`Loan`].
    pub const LOAN: &[u8] = b"l/";
    /// `b/<borrower uscc>/<id>` → (): the loans a member applied for.
    pub const BY_BORROWER: &[u8] = b"b/";
    /// `f/<lender uscc>/<id>` → (): the loans asked of a financier.
    pub const BY_LENDER: &[u8] = b"f/";
    /// `o/<id>` → (): the loans overdue now.
    pub const OVERDUE: &[u8] = b"o/";
    /// `h/<borrower uscc>` → [`History`].
    pub const HISTORY: &[u8] = b"h/";

    pub fn loan_key(id: LoanId) -> Vec<u8> {
        crate::with_id(LOAN, id)
    }
    pub fn by_borrower_prefix(uscc: &str) -> Vec<u8> {
        [BY_BORROWER, uscc.as_bytes(), b"/"].concat()
    }
    pub fn by_lender_prefix(uscc: &str) -> Vec<u8> {
        [BY_LENDER, uscc.as_bytes(), b"/"].concat()
    }
    pub fn overdue_key(id: LoanId) -> Vec<u8> {
        crate::with_id(OVERDUE, id)
    }
    /// `ord/<purchase order record>` → [`LoanId`]: the loan that financed an order.
    pub const ORDER: &[u8] = b"ord/";

    pub fn order_key(order: &RecordId) -> Vec<u8> {
        crate::prefixed(ORDER, order)
    }
    pub fn history_key(uscc: &str) -> Vec<u8> {
        crate::prefixed(HISTORY, uscc.as_bytes())
    }
}

/// How a borrower's repayment history scales the limit its records suggest (basis points).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct CreditRule {
    /// Added for each earlier loan repaid by its due date.
    pub on_time_bonus_bps: u32,
    /// The most the bonuses add together.
    pub max_bonus_bps: u32,
    /// Taken off for each earlier loan repaid after its due date.
    pub late_penalty_bps: u32,
}

impl Default for CreditRule {
    fn default() -> CreditRule {
        CreditRule {
            on_time_bonus_bps: 500,
            max_bonus_bps: 2_500,
            late_penalty_bps: 2_500,
        }
    }
}

/// `init`'s argument, kept as the contract's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Init {
    pub registry: ContractId,
    pub records: ContractId,
    pub cash: ContractId,
    pub receipts: ContractId,
    /// The contract's own id: scheduled calls (a loan falling overdue) come from it.
    pub own_id: ContractId,
    pub currency: String,
    pub credit: CreditRule,
    /// The most a loan may be of its collateral's appraised value (basis points; chain parameter
    /// `loan_to_value_percent`).
    pub ltv_bps: u32,
    /// Contracts that keep their own pledges on the ledger (the voucher contract).
    pub operators: Vec<ContractId>,
}

/// What secures a loan.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum Collateral {
    /// Nothing: a data-credit loan, lent within the borrower's suggested limit.
    #[codec(index = 0)]
    Unsecured,
    /// A warehouse receipt the borrower holds, locked for the lender from approval: within the
    /// loan-to-value limit of its appraised value; goods leave in proportion to repayment.
    #[codec(index = 1)]
    Receipt(crate::receipts::ReceiptId),
    /// Prepayment (order) financing: the advance is paid to the order's seller, never to the
    /// borrower (its buyer); the goods shipped into a supervised warehouse are received under a
    /// receipt held by the buyer and pledged to the lender (`receipt`), delivered to the buyer
    /// in proportion to repayment; the seller may undertake to buy the goods back at default.
    #[codec(index = 3)]
    Voucher(crate::voucher::VoucherId),
    #[codec(index = 2)]
    Order {
        /// The purchase order's recorded document.
        order: RecordId,
        seller: Uscc,
        receipt: Option<crate::receipts::ReceiptId>,
        buyback: bool,
    },
}

impl Collateral {
    pub fn describe(&self) -> String {
        match self {
            Collateral::Unsecured => "none (data credit)".into(),
            Collateral::Receipt(id) => alloc::format!("warehouse receipt {id}"),
            Collateral::Voucher(id) => alloc::format!("voucher {id} in pledge"),
            Collateral::Order {
                seller,
                receipt,
                buyback,
                ..
            } => {
                let mut text = alloc::format!("purchase order from {seller}");
                if let Some(id) = receipt {
                    text += &alloc::format!(", its goods under warehouse receipt {id}");
                }
                if *buyback {
                    text += ", with the seller's buy-back undertaking";
                }
                text
            }
        }
    }

    /// The warehouse receipt pledged for the loan, if any.
    pub fn receipt(&self) -> Option<crate::receipts::ReceiptId> {
        match self {
            Collateral::Unsecured | Collateral::Voucher(_) => None,
            Collateral::Receipt(id) => Some(*id),
            Collateral::Order { receipt, .. } => *receipt,
        }
    }
}

/// `open_pledge`'s argument (operators only): a voucher's pledge, accepted now, kept on the
/// ledger as a loan (ADR 0045). The voucher contract moves the money; the ledger follows it by
/// the same arithmetic.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct VoucherPledge {
    pub voucher: crate::voucher::VoucherId,
    pub lender: Uscc,
    pub borrower: Uscc,
    pub advance: Amount,
    pub rate_bps: u32,
    /// The voucher's maturity: when settlement pays the pledgee.
    pub due_ms: TimeMs,
}

/// `pledge_paid`'s argument (operators only): the pledgee was paid `amount` now.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct PledgePaid {
    pub loan: LoanId,
    pub amount: Amount,
}

/// How a voucher's pledge ended (`close_pledge`, operators only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum PledgeEnd {
    /// The pledgee released it (its claim met outside the contract): repaid.
    #[codec(index = 0)]
    Released,
    /// The voucher was settled: repaid if that paid the claim, else enforced by settlement with
    /// what it still owed.
    #[codec(index = 1)]
    Settled,
}

/// `close_pledge`'s argument.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct ClosePledge {
    pub loan: LoanId,
    pub end: PledgeEnd,
}

/// `secure`'s argument: the goods of an order-financed loan, received under `receipt` (held by
/// the borrower), become its collateral, pledged to the lender.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Secure {
    pub loan: LoanId,
    pub receipt: crate::receipts::ReceiptId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum LoanStatus {
    /// Asked for by the borrower; the lender has not answered.
    #[codec(index = 0)]
    Applied,
    /// Advanced; interest runs until it is repaid.
    #[codec(index = 1)]
    Active,
    /// Paid in full; closed.
    #[codec(index = 2)]
    Repaid,
    /// Past its due date and not paid in full; interest still runs.
    #[codec(index = 3)]
    Overdue,
    /// The lender enforced it after default; closed on the ledger.
    #[codec(index = 4)]
    Enforced,
    /// The lender declined the application; closed.
    #[codec(index = 5)]
    Declined,
    /// The borrower withdrew the application; closed.
    #[codec(index = 6)]
    Withdrawn,
}

impl LoanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LoanStatus::Applied => "applied",
            LoanStatus::Active => "active",
            LoanStatus::Repaid => "repaid",
            LoanStatus::Overdue => "overdue",
            LoanStatus::Enforced => "enforced",
            LoanStatus::Declined => "declined",
            LoanStatus::Withdrawn => "withdrawn",
        }
    }

    /// Advanced and not yet closed: the borrower owes on it.
    pub fn is_outstanding(self) -> bool {
        matches!(self, LoanStatus::Active | LoanStatus::Overdue)
    }
}

/// A loan on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Loan {
    pub id: LoanId,
    pub lender: Uscc,
    pub borrower: Uscc,
    pub collateral: Collateral,
    /// The principal applied for, and advanced on approval.
    pub amount: Amount,
    /// The highest annual rate the borrower accepts (basis points).
    pub max_rate_bps: u32,
    pub due_ms: TimeMs,
    pub status: LoanStatus,
    pub applied_ms: TimeMs,
    /// From approval: the rate, the start and what is paid and owed.
    pub accrual: Option<Accrual>,
    /// Interest paid so far (the rest of `accrual.received` repaid principal).
    pub interest_paid: Amount,
    pub repayments: u32,
    /// What was still owed when the lender enforced the loan.
    pub enforced_owed: Amount,
}

impl Loan {
    /// What the borrower owes at `now_ms` (nothing before approval or once closed).
    pub fn owed(&self, now_ms: TimeMs) -> Amount {
        match (&self.accrual, self.status.is_outstanding()) {
            (Some(accrual), true) => accrual.owed(now_ms),
            _ => 0,
        }
    }
}

/// `apply`'s argument: the signer's member asks `lender` for a loan.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Application {
    pub lender: Uscc,
    pub amount: Amount,
    pub max_rate_bps: u32,
    pub due_ms: TimeMs,
    pub collateral: Collateral,
}

/// `approve`'s argument: the lender approves at `rate_bps` (at most the borrower's highest) and
/// advances the principal to the borrower in cash.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Approval {
    pub loan: LoanId,
    pub rate_bps: u32,
}

/// `repay`'s argument: the borrower pays `amount`, or everything owed when `None`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Repay {
    pub loan: LoanId,
    pub amount: Option<Amount>,
}

/// A repayment event's data: the loan after it, and how the payment was taken.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Repayment {
    pub loan: Loan,
    pub to_interest: Amount,
    pub to_principal: Amount,
}

/// What a loan is owed now.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Owed {
    pub loan: LoanId,
    pub principal: Amount,
    pub interest: Amount,
    pub total: Amount,
    pub at_ms: TimeMs,
}

/// Whose loans a page lists.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum Party {
    #[codec(index = 0)]
    Borrower(Uscc),
    #[codec(index = 1)]
    Lender(Uscc),
    /// Every loan overdue now.
    #[codec(index = 2)]
    Overdue,
}

/// `list`'s argument.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct LoanPage {
    pub party: Party,
    /// Start after this id (the previous page's `next`).
    pub after: Option<LoanId>,
    /// At most [`crate::voucher::MAX_PAGE`].
    pub limit: u32,
}

/// A page of loan ids; `next` is set when more follow.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct LoanListing {
    pub ids: Vec<LoanId>,
    pub next: Option<LoanId>,
}

/// A borrower's repayment history on the ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct History {
    /// Loans repaid in full by their due date.
    pub on_time: u32,
    /// Loans repaid in full after their due date.
    pub late: u32,
    /// Loans the lender enforced after default.
    pub enforced: u32,
    /// Loans overdue now.
    pub overdue: u32,
    /// Unsecured principal outstanding now, with every lender.
    pub unsecured: Amount,
}

/// `suggest_limit`'s answer: the data-credit limit a borrower's record suggests, and its rule.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct CreditSuggestion {
    pub borrower: Uscc,
    /// The rating of the documents the borrower recorded, and the share of its invoiced sales
    /// that rating suggests.
    pub records: crate::records::Suggestion,
    pub history: History,
    /// What the history makes of the records' suggestion (basis points; 10,000 = as suggested).
    pub factor_bps: u32,
    pub limit: Amount,
    /// The unsecured principal the borrower owes now (with every lender).
    pub outstanding: Amount,
    /// What more may be lent to it unsecured: the limit less what is outstanding.
    pub available: Amount,
    /// The rule, in words.
    pub rule: String,
}

impl CreditRule {
    /// The factor a history applies to the records' suggestion: none after a default or while a
    /// loan is overdue; else 100 % plus a bonus per loan repaid on time (capped) less a penalty
    /// per loan repaid late (never below none). Deterministic integers.
    pub fn factor(&self, history: &History) -> (u32, String) {
        if history.enforced > 0 || history.overdue > 0 {
            return (
                0,
                alloc::format!(
                    "no unsecured credit: {} loan(s) enforced and {} overdue",
                    history.enforced,
                    history.overdue
                ),
            );
        }
        let bonus = (u64::from(history.on_time) * u64::from(self.on_time_bonus_bps))
            .min(u64::from(self.max_bonus_bps));
        let penalty = u64::from(history.late) * u64::from(self.late_penalty_bps);
        let factor = (10_000 + bonus).saturating_sub(penalty) as u32;
        (
            factor,
            alloc::format!(
                "history factor {} = 100% + {} for {} loan(s) repaid on time (at most {}) − {} for {} repaid late",
                format_rate(factor),
                format_rate(bonus as u32),
                history.on_time,
                format_rate(self.max_bonus_bps),
                format_rate(penalty.min(u64::from(u32::MAX)) as u32),
                history.late
            ),
        )
    }

    /// The suggestion for a borrower from its records' suggestion and its history.
    pub fn suggest(
        &self,
        borrower: &str,
        records: crate::records::Suggestion,
        history: History,
    ) -> CreditSuggestion {
        let (factor_bps, words) = self.factor(&history);
        let limit = (u128::from(records.amount) * u128::from(factor_bps) / 10_000)
            .min(u128::from(Amount::MAX)) as Amount;
        let outstanding = history.unsecured;
        CreditSuggestion {
            borrower: borrower.into(),
            rule: alloc::format!(
                "limit {} = {} suggested by its records × {words}; {} outstanding unsecured leaves {}",
                format_amount(limit),
                format_amount(records.amount),
                format_amount(outstanding),
                format_amount(limit.saturating_sub(outstanding))
            ),
            records,
            history,
            factor_bps,
            limit,
            outstanding,
            available: limit.saturating_sub(outstanding),
        }
    }
}

pub mod events {
    #[cfg(feature = "std")]
    use super::*;
    use crate::method::events;

    events! {
        APPLIED = "loan_applied": Loan;
        APPROVED = "loan_approved": Loan;
        DECLINED = "loan_declined": Loan;
        WITHDRAWN = "loan_withdrawn": Loan;
        REPAID = "loan_repaid": Repayment;
        OVERDUE = "loan_overdue": Loan;
        ENFORCED = "loan_enforced": Loan;
        SECURED = "loan_secured": Loan;
        BUYBACK_UNDERTAKEN = "buyback_undertaken": Loan;
    }
}

/// The lending contract's methods.
pub mod method {
    use super::*;
    use crate::method::methods;

    methods! { crate::names::LENDING;
        INIT = "init": Init => ();
        /// The new loan's id.
        APPLY = "apply": Application => LoanId;
        APPROVE = "approve": Approval => ();
        DECLINE = "decline": LoanId => ();
        WITHDRAW = "withdraw": LoanId => ();
        REPAY = "repay": Repay => ();
        /// Only for the contract itself, scheduled at a loan's due date.
        MARK_OVERDUE = "mark_overdue": LoanId => ();
        ENFORCE = "enforce": LoanId => ();
        /// An order-financed loan's goods, under a receipt its borrower holds, pledged to its
        /// lender (by the borrower or the lender).
        SECURE = "secure": Secure => ();
        /// The seller of an order-financed loan undertakes to buy the goods back at default.
        UNDERTAKE_BUYBACK = "undertake_buyback": LoanId => ();
        /// Only for the operators (the voucher contract): a pledge accepted, kept as a loan.
        OPEN_PLEDGE = "open_pledge": VoucherPledge => LoanId;
        /// Only for the operators: the pledgee was paid.
        PLEDGE_PAID = "pledge_paid": PledgePaid => ();
        /// Only for the operators: the pledged voucher fell overdue.
        PLEDGE_OVERDUE = "pledge_overdue": LoanId => ();
        /// Only for the operators: the pledge ended.
        CLOSE_PLEDGE = "close_pledge": ClosePledge => ();
        GET = "get": LoanId => Option<Loan>;
        OWED = "owed": LoanId => Option<Owed>;
        LIST = "list": LoanPage => LoanListing;
        HISTORY = "history": Uscc => History;
        SUGGEST_LIMIT = "suggest_limit": Uscc => CreditSuggestion;
        HOLDINGS = "holdings": Uscc => Vec<String>;
    }
}
