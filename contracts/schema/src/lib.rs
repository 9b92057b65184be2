//! The types the node, the CLI and the contracts share: the system contracts' stored records,
//! their methods' arguments and results, and their events, all SCALE-encoded.
//!
//! A system contract method takes the SCALE encoding of its argument type as input and returns
//! the SCALE encoding of its result. Variant indices and field orders are part of the format: a
//! change is a reviewed decision, like a change of the host ABI. `no_std`, so the contracts
//! build it for wasm32.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use parity_scale_codec::{Decode, Encode};

/// A storage key: `prefix` then `rest`.
fn prefixed(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    [prefix, rest].concat()
}

/// A storage key: `prefix` then `id` big-endian (so that keys sort by id).
fn with_id(prefix: &[u8], id: u64) -> Vec<u8> {
    prefixed(prefix, &id.to_be_bytes())
}

pub mod uscc;

/// An ed25519 public key: a member's account.
pub type Account = [u8; 32];
/// A contract id (SHA-256), as contracts see it.
pub type ContractId = [u8; 32];
/// A member is named by its unified social credit code (18 characters).
pub type Uscc = String;
/// An amount of money in minor units (fen): never a float.
pub type Amount = u64;
/// A recorded document, named by the SHA-256 of its bytes.
pub type RecordId = [u8; 32];
/// Milliseconds since 1970, as in block headers.
pub type TimeMs = u64;

/// The names of the system contracts deployed at genesis. Their ids are
/// `catena_primitives::system_contract_id(name)`.
pub mod names {
    pub const REGISTRY: &str = "registry";
    pub const RECORDS: &str = "records";
    pub const CASH: &str = "cash";
    pub const VOUCHER: &str = "voucher";
    /// The system contracts, in the order genesis creates them.
    pub const SYSTEM: [&str; 4] = [REGISTRY, RECORDS, CASH, VOUCHER];
}

/// A member's role (DOMAIN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Encode, Decode)]
pub enum Role {
    /// 核心企业: confirms payables, issues vouchers, funds settlement.
    #[codec(index = 0)]
    Core,
    /// 供应商: requests confirmation, holds, splits and transfers vouchers.
    #[codec(index = 1)]
    Supplier,
    /// 资金方: finances vouchers, mints and burns settlement cash.
    #[codec(index = 2)]
    Financier,
    /// 物流/仓储: records shipments, deliveries, warehouse receipts.
    #[codec(index = 3)]
    Logistics,
    /// 监管/审计: reads, never writes business state.
    #[codec(index = 4)]
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Core,
        Role::Supplier,
        Role::Financier,
        Role::Logistics,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Core => "core",
            Role::Supplier => "supplier",
            Role::Financier => "financier",
            Role::Logistics => "logistics",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// The member registry: organisations, their roles and accounts, governed by a quorum.
pub mod registry {
    use super::*;

    /// Storage layout of the registry contract. The node reads [`account_key`] for admission.
    pub mod keys {
        use super::*;
        /// `a/<account>` → [`AccountRecord`].
        pub const ACCOUNT: &[u8] = b"a/";
        /// `m/<uscc>` → [`MemberRecord`].
        pub const MEMBER: &[u8] = b"m/";
        /// → [`Governance`].
        pub const GOVERNANCE: &[u8] = b"gov";
        /// → `u64`, the next proposal id.
        pub const NEXT_PROPOSAL: &[u8] = b"np";
        /// `p/<id big-endian>` → [`Proposal`].
        pub const PROPOSAL: &[u8] = b"p/";

        pub fn account_key(account: &Account) -> Vec<u8> {
            crate::prefixed(ACCOUNT, &account[..])
        }
        pub fn member_key(uscc: &str) -> Vec<u8> {
            crate::prefixed(MEMBER, uscc.as_bytes())
        }
        pub fn proposal_key(id: u64) -> Vec<u8> {
            crate::with_id(PROPOSAL, id)
        }
    }

    /// What the chain knows of an account: its member and the member's roles.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct AccountRecord {
        /// The member's name.
        pub member: String,
        pub uscc: Uscc,
        pub roles: Vec<Role>,
    }

    impl AccountRecord {
        pub fn has(&self, role: Role) -> bool {
            self.roles.contains(&role)
        }
    }

    /// A member organisation.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct MemberRecord {
        pub name: String,
        pub uscc: Uscc,
        pub roles: Vec<Role>,
        pub accounts: Vec<Account>,
    }

    impl MemberRecord {
        /// The registry's storage entries for this member: its record and one per account.
        /// Genesis writes these for the chain spec's members; the contract for added ones.
        pub fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
            let record = AccountRecord {
                member: self.name.clone(),
                uscc: self.uscc.clone(),
                roles: self.roles.clone(),
            }
            .encode();
            let mut out = alloc::vec![(keys::member_key(&self.uscc), self.encode())];
            out.extend(
                self.accounts
                    .iter()
                    .map(|a| (keys::account_key(a), record.clone())),
            );
            out
        }
    }

    /// Who governs membership: members by USCC, and how many must approve a change.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    pub struct Governance {
        pub members: Vec<Uscc>,
        pub threshold: u32,
    }

    /// A change of membership, applied once enough governing members approved it.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub enum Change {
        #[codec(index = 0)]
        AddMember(MemberRecord),
        #[codec(index = 1)]
        RemoveMember(Uscc),
        #[codec(index = 2)]
        SetRoles { uscc: Uscc, roles: Vec<Role> },
        #[codec(index = 3)]
        AddAccount { uscc: Uscc, account: Account },
        #[codec(index = 4)]
        RemoveAccount { uscc: Uscc, account: Account },
        /// Revoke a financier's credit line to a core enterprise: nothing new draws on it, it
        /// changes no more, and it closes once what it backs is paid.
        #[codec(index = 5)]
        RevokeCreditLine { issuer: Uscc, financier: Uscc },
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
    pub enum ProposalStatus {
        #[codec(index = 0)]
        Open,
        /// Approved by the threshold and applied at this height.
        #[codec(index = 1)]
        Applied(u64),
    }

    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Proposal {
        pub id: u64,
        pub change: Change,
        /// Governing members (USCC) that approved, the proposer first.
        pub approvals: Vec<Uscc>,
        pub status: ProposalStatus,
    }

    /// `init`'s argument (at genesis; the members themselves are written by genesis).
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Init {
        pub governance: Governance,
        /// Contracts asked what a member still has (`holdings(uscc) -> Vec<String>`, one
        /// sentence each) before it is removed: it stays while any answers something.
        pub dependents: Vec<ContractId>,
        /// The contract keeping the credit lines (the voucher contract), whose
        /// `revoke_credit_line` a [`Change::RevokeCreditLine`] calls.
        pub lines: Option<ContractId>,
    }

    /// `revoke_credit_line`'s argument (the registry calls it for the governing quorum).
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Revoke {
        pub issuer: Uscc,
        pub financier: Uscc,
    }

    /// Events (topic, data).
    pub mod events {
        /// data: [`super::Proposal`]
        pub const PROPOSED: &str = "proposed";
        /// data: [`super::Proposal`]
        pub const APPROVED: &str = "approved";
        /// data: [`super::Change`]
        pub const APPLIED: &str = "applied";
    }
}

/// The four flows (四流合一) as notarised records.
pub mod records {
    use super::*;

    pub mod keys {
        use super::*;
        /// → [`Init`]: the contract's configuration.
        pub const CONFIG: &[u8] = b"cfg";
        /// `r/<document hash>` → [`Record`].
        pub const RECORD: &[u8] = b"r/";
        /// `i/<invoice key>` → [`RecordId`]: each invoice (code, number, seller) once.
        pub const INVOICE: &[u8] = b"i/";
        /// `q/<core enterprise uscc>` → [`Quality`]: the tallies of its supply chain's records.
        pub const QUALITY: &[u8] = b"q/";

        pub fn quality_key(core: &str) -> Vec<u8> {
            crate::prefixed(QUALITY, core.as_bytes())
        }

        pub fn record_key(id: &RecordId) -> Vec<u8> {
            crate::prefixed(RECORD, &id[..])
        }
        /// The key of an invoice's identity: code, number and seller, each length-prefixed so
        /// no two invoices share one.
        pub fn invoice_key(code: &str, number: &str, seller: &str) -> Vec<u8> {
            let mut key = INVOICE.to_vec();
            for part in [code, number, seller] {
                key.push(part.len() as u8);
                key.extend_from_slice(part.as_bytes());
            }
            key
        }
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Encode, Decode)]
    pub enum Kind {
        /// 商流
        #[codec(index = 0)]
        Contract,
        #[codec(index = 1)]
        PurchaseOrder,
        /// 物流
        #[codec(index = 2)]
        Shipment,
        #[codec(index = 3)]
        DeliveryReceipt,
        #[codec(index = 4)]
        WarehouseReceipt,
        /// 信息流
        #[codec(index = 5)]
        Invoice,
        /// 资金流
        #[codec(index = 6)]
        Payment,
    }

    impl Kind {
        pub const ALL: [Kind; 7] = [
            Kind::Contract,
            Kind::PurchaseOrder,
            Kind::Shipment,
            Kind::DeliveryReceipt,
            Kind::WarehouseReceipt,
            Kind::Invoice,
            Kind::Payment,
        ];

        pub fn as_str(self) -> &'static str {
            match self {
                Kind::Contract => "contract",
                Kind::PurchaseOrder => "purchase_order",
                Kind::Shipment => "shipment",
                Kind::DeliveryReceipt => "delivery_receipt",
                Kind::WarehouseReceipt => "warehouse_receipt",
                Kind::Invoice => "invoice",
                Kind::Payment => "payment",
            }
        }

        pub fn parse(text: &str) -> Option<Kind> {
            Kind::ALL.into_iter().find(|k| k.as_str() == text)
        }
    }

    /// A VAT invoice's identity and parties.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Invoice {
        pub code: String,
        pub number: String,
        pub seller: Uscc,
        pub buyer: Uscc,
    }

    /// `record`'s argument.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct NewRecord {
        pub kind: Kind,
        /// SHA-256 of the off-chain document; a document is recorded once.
        pub doc_hash: RecordId,
        /// The members the document binds (USCC), the recorder's own member among them unless
        /// it is a logistics member recording a logistics document.
        pub parties: Vec<Uscc>,
        pub amount: Amount,
        pub currency: String,
        /// The document's own date.
        pub date_ms: TimeMs,
        /// Records of the same trade this one refers to (they must exist).
        pub links: Vec<RecordId>,
        /// Present exactly for invoices.
        pub invoice: Option<Invoice>,
    }

    /// A recorded document: proof that it existed, signed by `recorder`, no later than `height`.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Record {
        pub id: RecordId,
        pub kind: Kind,
        pub recorder: Uscc,
        pub recorder_account: Account,
        pub parties: Vec<Uscc>,
        pub amount: Amount,
        pub currency: String,
        pub date_ms: TimeMs,
        pub links: Vec<RecordId>,
        pub invoice: Option<Invoice>,
        pub height: u64,
        pub time_ms: TimeMs,
    }

    /// `invoice`'s argument: find an invoice by its identity.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct InvoiceQuery {
        pub code: String,
        pub number: String,
        pub seller: Uscc,
    }

    /// `init`'s argument, kept as the contract's configuration.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Init {
        pub registry: ContractId,
        /// How the quality of a supply chain's records suggests a credit line.
        pub quality: QualityModel,
    }

    pub mod events {
        /// data: [`super::Record`]
        pub const RECORDED: &str = "recorded";
    }

    /// A field a record kind's template requires.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
    pub enum Field {
        /// An amount above zero.
        #[codec(index = 0)]
        Amount,
        /// The document's own date.
        #[codec(index = 1)]
        Date,
        /// At least two parties.
        #[codec(index = 2)]
        Counterparty,
        /// At least one link to another record of the trade.
        #[codec(index = 3)]
        Links,
        /// The VAT invoice's code, number, seller and buyer.
        #[codec(index = 4)]
        Invoice,
    }

    impl Field {
        /// Whether the record has it.
        pub fn present(self, r: &NewRecord) -> bool {
            match self {
                Field::Amount => r.amount > 0,
                Field::Date => r.date_ms > 0,
                Field::Counterparty => r.parties.len() >= 2,
                Field::Links => !r.links.is_empty(),
                Field::Invoice => r.invoice.is_some(),
            }
        }
    }

    /// The data-quality model (数据质量授信): templates per kind, the bands and weights that
    /// rate a supply chain's records, and the share of its invoiced volume each rating suggests.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct QualityModel {
        /// The fields each kind requires (a kind not listed requires none).
        pub templates: Vec<(Kind, Vec<Field>)>,
        /// Timeliness: upper bounds in days of the delay from a document's date to its
        /// recording, each band's score (hundredths of a percent), and a last band's score.
        pub timely_days: Vec<(u64, u32)>,
        pub late_score: u32,
        /// Accuracy: upper bounds of the difference between linked records' amounts (in basis
        /// points of the larger), each band's score, and the score beyond the last.
        pub tolerance_bps: Vec<(u32, u32)>,
        pub beyond_score: u32,
        /// Weights of completeness, timeliness and accuracy in percent (they add up to 100).
        pub weights: [u32; 3],
        /// Ratings from the best: the least overall score, the name, and the share of the
        /// invoiced volume suggested as the line (basis points).
        pub ratings: Vec<(u32, String, u32)>,
    }

    impl Default for QualityModel {
        fn default() -> QualityModel {
            use Field::*;
            let s = |t: &str| String::from(t);
            QualityModel {
                templates: alloc::vec![
                    (Kind::Contract, alloc::vec![Amount, Date, Counterparty]),
                    (
                        Kind::PurchaseOrder,
                        alloc::vec![Amount, Date, Counterparty, Links]
                    ),
                    (Kind::Shipment, alloc::vec![Date, Counterparty, Links]),
                    (
                        Kind::DeliveryReceipt,
                        alloc::vec![Amount, Date, Counterparty, Links]
                    ),
                    (Kind::WarehouseReceipt, alloc::vec![Amount, Date, Links]),
                    (
                        Kind::Invoice,
                        alloc::vec![Amount, Date, Counterparty, Links, Invoice]
                    ),
                    (
                        Kind::Payment,
                        alloc::vec![Amount, Date, Counterparty, Links]
                    ),
                ],
                timely_days: alloc::vec![(1, 10_000), (7, 8_000), (30, 5_000)],
                late_score: 0,
                tolerance_bps: alloc::vec![(0, 10_000), (200, 8_000), (500, 5_000)],
                beyond_score: 0,
                weights: [40, 30, 30],
                ratings: alloc::vec![
                    (9_000, s("AAA"), 8_000),
                    (8_000, s("AA"), 6_000),
                    (7_000, s("A"), 4_000),
                    (6_000, s("BBB"), 2_000),
                    (0, s("below BBB"), 0),
                ],
            }
        }
    }

    /// The running tallies of one core enterprise's supply-chain records: every record naming
    /// it among its parties counts once.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    pub struct Quality {
        pub records: u64,
        /// Fields present and fields required, over all its records' templates.
        pub fields_present: u64,
        pub fields_required: u64,
        /// Records per timeliness band, the last being "later than every band".
        pub timeliness: Vec<u64>,
        /// Linked amounts compared per tolerance band, the last being "beyond every band".
        pub accuracy: Vec<u64>,
        /// The amount of the invoices it was billed (it is their buyer).
        pub invoiced: Amount,
    }

    /// A score in hundredths of a percent and the band that gave it, in words.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Score {
        pub score: u32,
        pub band: String,
    }

    /// `suggest_line`'s answer: the three scores, the rating and the line it suggests.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Suggestion {
        pub core: Uscc,
        pub quality: Quality,
        pub completeness: Score,
        pub timeliness: Score,
        pub accuracy: Score,
        /// The weighted score, hundredths of a percent.
        pub overall: u32,
        pub rating: String,
        /// The share of the invoiced volume the rating suggests (basis points).
        pub share_bps: u32,
        pub amount: Amount,
        /// The rule, in words.
        pub rule: String,
    }

    /// Formats a score in hundredths of a percent: `9_250` → `"92.50%"`.
    pub fn percent(hundredths: u32) -> String {
        crate::format_rate(hundredths)
    }

    impl QualityModel {
        /// The fields a record of `kind` must have.
        pub fn template(&self, kind: Kind) -> &[Field] {
            self.templates
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or(&[], |(_, fields)| fields)
        }

        /// The timeliness band of a delay (the last index: later than every band).
        pub fn timely_band(&self, delay_ms: u64) -> usize {
            let days = delay_ms.div_ceil(86_400_000);
            self.timely_days
                .iter()
                .position(|(limit, _)| days <= *limit)
                .unwrap_or(self.timely_days.len())
        }

        /// The accuracy band of two linked amounts (the last index: beyond every band).
        pub fn accuracy_band(&self, a: Amount, b: Amount) -> usize {
            let larger = a.max(b);
            let diff = u128::from(a.abs_diff(b)) * 10_000 / u128::from(larger.max(1));
            self.tolerance_bps
                .iter()
                .position(|(limit, _)| diff <= u128::from(*limit))
                .unwrap_or(self.tolerance_bps.len())
        }

        /// The score of tallies per band: the bands' scores weighted by their counts.
        fn banded(counts: &[u64], scores: &[u32]) -> u32 {
            let total: u64 = counts.iter().sum();
            if total == 0 {
                return 0;
            }
            let sum: u128 = counts
                .iter()
                .zip(scores)
                .map(|(c, s)| u128::from(*c) * u128::from(*s))
                .sum();
            (sum / u128::from(total)) as u32
        }

        /// The suggestion for tallies `q` of core enterprise `core`. Deterministic integers.
        pub fn suggest(&self, core: &str, q: &Quality) -> Suggestion {
            let completeness = if q.fields_required == 0 {
                0
            } else {
                (u128::from(q.fields_present) * 10_000 / u128::from(q.fields_required)) as u32
            };
            let mut timely: Vec<u32> = self.timely_days.iter().map(|(_, s)| *s).collect();
            timely.push(self.late_score);
            let mut accurate: Vec<u32> = self.tolerance_bps.iter().map(|(_, s)| *s).collect();
            accurate.push(self.beyond_score);
            let timeliness = Self::banded(&q.timeliness, &timely);
            let accuracy = Self::banded(&q.accuracy, &accurate);
            let [wc, wt, wa] = self.weights;
            let overall = (u64::from(completeness) * u64::from(wc)
                + u64::from(timeliness) * u64::from(wt)
                + u64::from(accuracy) * u64::from(wa))
                / 100;
            let overall = overall as u32;
            let (least, rating, share) = self
                .ratings
                .iter()
                .find(|(least, ..)| overall >= *least)
                .cloned()
                .unwrap_or((0, "unrated".into(), 0));
            let amount = (u128::from(q.invoiced) * u128::from(share) / 10_000) as Amount;
            let count = |counts: &[u64]| counts.iter().sum::<u64>();
            Suggestion {
                core: core.into(),
                completeness: Score {
                    score: completeness,
                    band: alloc::format!(
                        "{} of {} required fields present",
                        q.fields_present, q.fields_required
                    ),
                },
                timeliness: Score {
                    score: timeliness,
                    band: self.describe_timely(&q.timeliness),
                },
                accuracy: Score {
                    score: accuracy,
                    band: if count(&q.accuracy) == 0 {
                        "no linked amounts to compare".into()
                    } else {
                        self.describe_accuracy(&q.accuracy)
                    },
                },
                overall,
                rule: alloc::format!(
                    "overall {} = {}% completeness + {}% timeliness + {}% accuracy; rating {rating} (at least {}) suggests {} of the {} invoiced to it",
                    percent(overall),
                    wc,
                    wt,
                    wa,
                    percent(least),
                    percent(share),
                    format_amount(q.invoiced)
                ),
                rating,
                share_bps: share,
                amount,
                quality: q.clone(),
            }
        }

        fn describe_timely(&self, counts: &[u64]) -> String {
            let mut parts = Vec::new();
            for (i, count) in counts.iter().enumerate() {
                let name = match self.timely_days.get(i) {
                    Some((days, _)) => alloc::format!("within {days} day(s)"),
                    None => "later".into(),
                };
                parts.push(alloc::format!("{count} {name}"));
            }
            parts.join(", ")
        }

        fn describe_accuracy(&self, counts: &[u64]) -> String {
            let mut parts = Vec::new();
            for (i, count) in counts.iter().enumerate() {
                let name = match self.tolerance_bps.get(i) {
                    Some((0, _)) => "equal".into(),
                    Some((bps, _)) => alloc::format!("within {}", percent(*bps)),
                    None => "beyond".into(),
                };
                parts.push(alloc::format!("{count} {name}"));
            }
            parts.join(", ")
        }
    }
}

/// Settlement cash: deposit tokens minted and burned by financiers. Every unit is a claim on one
/// custodian (the financier that minted it), so balances are kept per (member, custodian).
pub mod cash {
    use super::*;

    pub mod keys {
        use super::*;
        /// `b/<member uscc>/<custodian uscc>` → [`Amount`]: the member's cash custodied by that
        /// financier (no entry for zero).
        pub const BALANCE: &[u8] = b"b/";
        /// → [`Amount`]: all cash in existence.
        pub const SUPPLY: &[u8] = b"supply";
        /// `c/<financier uscc>` → [`Amount`]: minted less burned by that financier: the cash it
        /// custodies, which equals the sum of every member's balance with it.
        pub const CUSTODY: &[u8] = b"c/";
        pub const CONFIG: &[u8] = b"cfg";

        /// `b/<member>/`: the member's balances, one per custodian, in custodian order.
        pub fn balance_prefix(member: &str) -> Vec<u8> {
            [BALANCE, member.as_bytes(), b"/"].concat()
        }
        pub fn balance_key(member: &str, custodian: &str) -> Vec<u8> {
            crate::prefixed(&balance_prefix(member), custodian.as_bytes())
        }
        pub fn custody_key(uscc: &str) -> Vec<u8> {
            crate::prefixed(CUSTODY, uscc.as_bytes())
        }
    }

    /// `init`'s argument, kept as the contract's configuration.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Init {
        pub registry: ContractId,
        /// Contracts allowed to move cash between members (the voucher contract, for advances
        /// and settlement).
        pub operators: Vec<ContractId>,
        pub currency: String,
    }

    /// `mint`'s argument: a financier mints cash against money it holds for `to`; the cash is
    /// a claim on that financier.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Mint {
        pub to: Uscc,
        pub amount: Amount,
    }

    /// `transfer`'s argument: from the signer's member to `to`. With a custodian, only cash of
    /// that custodian moves (to redeem it with that custodian, transfer it to the custodian);
    /// without, the payer's balances are taken in [the payment order](payment_order).
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Transfer {
        pub to: Uscc,
        pub amount: Amount,
        pub custodian: Option<Uscc>,
    }

    /// `operator_transfer`'s argument (operators only), taken in the payment order.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct OperatorTransfer {
        pub from: Uscc,
        pub to: Uscc,
        pub amount: Amount,
    }

    /// A member's cash with one custodian.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Balance {
        pub custodian: Uscc,
        pub amount: Amount,
    }

    /// The order in which a payment takes the payer's balances: first cash the payee itself
    /// custodies (a claim on the payee, which it can then burn), then the others by ascending
    /// custodian USCC. Returns the amounts taken per custodian, or `None` if the balances do
    /// not cover `amount`.
    pub fn payment_order(
        balances: &[Balance],
        payee: &str,
        amount: Amount,
    ) -> Option<Vec<Balance>> {
        let mut order: Vec<&Balance> = balances.iter().filter(|b| b.amount > 0).collect();
        order.sort_by(|a, b| {
            (a.custodian != payee, &a.custodian).cmp(&(b.custodian != payee, &b.custodian))
        });
        let mut left = amount;
        let mut out = Vec::new();
        for balance in order {
            if left == 0 {
                break;
            }
            let take = balance.amount.min(left);
            out.push(Balance {
                custodian: balance.custodian.clone(),
                amount: take,
            });
            left -= take;
        }
        (left == 0).then_some(out)
    }

    /// An event's data: `from` is empty for a mint, `to` for a burn; `custodian` is whose
    /// claim moved. A payment over several custodians emits one event per custodian.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Movement {
        pub from: Uscc,
        pub to: Uscc,
        pub custodian: Uscc,
        pub amount: Amount,
    }

    pub mod events {
        /// data: [`super::Movement`]
        pub const MINTED: &str = "minted";
        pub const BURNED: &str = "burned";
        pub const TRANSFERRED: &str = "transferred";
    }
}

/// Electronic receivable vouchers (电子债权凭证).
pub mod voucher {
    use super::*;

    pub type VoucherId = u64;

    pub mod keys {
        use super::*;
        pub const CONFIG: &[u8] = b"cfg";
        /// → `u64`: the next voucher id (ids start at 1).
        pub const NEXT_VOUCHER: &[u8] = b"nv";
        /// → `u64`: the next request id.
        pub const NEXT_REQUEST: &[u8] = b"nr";
        /// `v/<id big-endian>` → [`Voucher`].
        pub const VOUCHER: &[u8] = b"v/";
        /// `q/<id big-endian>` → [`Request`].
        pub const REQUEST: &[u8] = b"q/";
        /// `u/<invoice record id>` → [`Amount`]: how much of the invoice backs vouchers.
        pub const INVOICE_USE: &[u8] = b"u/";
        /// `l/<issuer uscc>/<financier uscc>` → [`CreditLine`]: each financier's own line.
        pub const CREDIT_LINE: &[u8] = b"l/";
        /// `d/<original id big-endian>` → `Vec<`[`Draw`]`>`: what each credit line still backs
        /// of an original voucher, in the order drawn.
        pub const DRAWS: &[u8] = b"d/";
        /// `g/<pledgee uscc>/<id big-endian>` → `()`: the pledges a financier holds in force.
        pub const BY_PLEDGEE: &[u8] = b"g/";
        /// `f/<financier uscc>/<issuer uscc>` → `()`: the lines a financier granted.
        pub const BY_FINANCIER: &[u8] = b"f/";
        /// → `u64`: the next recourse debt id.
        pub const NEXT_DEBT: &[u8] = b"nd";
        /// `r/<debt id big-endian>` → [`Debt`]: what a seller owes its factor after recourse.
        pub const DEBT: &[u8] = b"r/";
        /// `w/<debtor uscc>/<debt id big-endian>` → `()`: the recourse debts a member owes.
        pub const BY_DEBTOR: &[u8] = b"w/";
        /// `x/<debt id big-endian>` → [`crate::TimeMs`]: when a collection was last scheduled.
        pub const DEBT_RETRY: &[u8] = b"x/";

        pub fn debt_key(id: u64) -> Vec<u8> {
            crate::with_id(DEBT, id)
        }
        pub fn debt_retry_key(id: u64) -> Vec<u8> {
            crate::with_id(DEBT_RETRY, id)
        }
        pub fn by_debtor_prefix(uscc: &str) -> Vec<u8> {
            index_prefix(BY_DEBTOR, uscc)
        }
        pub fn by_debtor_key(uscc: &str, id: u64) -> Vec<u8> {
            crate::with_id(&by_debtor_prefix(uscc), id)
        }
        /// `o/<id big-endian>` → [`Offer`]: a pending offer to a financier.
        pub const OFFER: &[u8] = b"o/";
        /// `h/<uscc>/<id big-endian>` → `()`: the live vouchers a member holds.
        pub const BY_HOLDER: &[u8] = b"h/";
        /// `i/<uscc>/<id big-endian>` → `()`: the original vouchers a member issued.
        pub const BY_ISSUER: &[u8] = b"i/";
        /// `e/<id big-endian>/<n big-endian u32>` → [`HistoryEntry`]: a voucher's history, one
        /// entry a key, so a voucher's record never grows with its history.
        pub const HISTORY: &[u8] = b"e/";
        /// `n/<original id big-endian>` → `u32`: the parts an original has been split into.
        pub const PART_COUNT: &[u8] = b"n/";
        /// `s/<original id big-endian>` → [`crate::TimeMs`]: the block time at which a
        /// settlement retry was last scheduled, so a retry is scheduled once per block.
        pub const RETRY: &[u8] = b"s/";
        /// `c/<original id big-endian>` → [`Round`]: the settlement round in progress (its
        /// shares fixed when it began), so a round spread over several runs stays pro rata.
        pub const SETTLE_ROUND: &[u8] = b"c/";

        pub fn history_prefix(id: VoucherId) -> Vec<u8> {
            [HISTORY, &id.to_be_bytes()[..], b"/"].concat()
        }
        pub fn history_key(id: VoucherId, n: u32) -> Vec<u8> {
            [&history_prefix(id)[..], &n.to_be_bytes()[..]].concat()
        }
        pub fn part_count_key(root: VoucherId) -> Vec<u8> {
            crate::with_id(PART_COUNT, root)
        }
        pub fn retry_key(root: VoucherId) -> Vec<u8> {
            crate::with_id(RETRY, root)
        }
        pub fn settle_round_key(root: VoucherId) -> Vec<u8> {
            crate::with_id(SETTLE_ROUND, root)
        }
        pub fn draws_key(root: VoucherId) -> Vec<u8> {
            crate::with_id(DRAWS, root)
        }

        pub fn voucher_key(id: VoucherId) -> Vec<u8> {
            crate::with_id(VOUCHER, id)
        }
        pub fn request_key(id: u64) -> Vec<u8> {
            crate::with_id(REQUEST, id)
        }
        pub fn invoice_use_key(invoice: &RecordId) -> Vec<u8> {
            crate::prefixed(INVOICE_USE, &invoice[..])
        }
        pub fn credit_line_prefix(issuer: &str) -> Vec<u8> {
            index_prefix(CREDIT_LINE, issuer)
        }
        pub fn credit_line_key(issuer: &str, financier: &str) -> Vec<u8> {
            crate::prefixed(&credit_line_prefix(issuer), financier.as_bytes())
        }
        pub fn offer_key(id: VoucherId) -> Vec<u8> {
            crate::with_id(OFFER, id)
        }
        pub fn by_holder_prefix(uscc: &str) -> Vec<u8> {
            index_prefix(BY_HOLDER, uscc)
        }
        pub fn by_holder_key(uscc: &str, id: VoucherId) -> Vec<u8> {
            crate::with_id(&by_holder_prefix(uscc), id)
        }
        pub fn by_pledgee_prefix(uscc: &str) -> Vec<u8> {
            index_prefix(BY_PLEDGEE, uscc)
        }
        pub fn by_pledgee_key(uscc: &str, id: VoucherId) -> Vec<u8> {
            crate::with_id(&by_pledgee_prefix(uscc), id)
        }
        pub fn by_financier_prefix(uscc: &str) -> Vec<u8> {
            index_prefix(BY_FINANCIER, uscc)
        }
        pub fn by_financier_key(financier: &str, issuer: &str) -> Vec<u8> {
            crate::prefixed(&by_financier_prefix(financier), issuer.as_bytes())
        }
        pub fn by_issuer_prefix(uscc: &str) -> Vec<u8> {
            index_prefix(BY_ISSUER, uscc)
        }
        pub fn by_issuer_key(uscc: &str, id: VoucherId) -> Vec<u8> {
            crate::with_id(&by_issuer_prefix(uscc), id)
        }
        /// `<index>/<uscc>/`: a member's entries in an index of voucher ids.
        fn index_prefix(index: &[u8], uscc: &str) -> Vec<u8> {
            [index, uscc.as_bytes(), b"/"].concat()
        }
    }

    /// `init`'s argument, kept as the contract's configuration.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Config {
        pub registry: ContractId,
        pub records: ContractId,
        pub cash: ContractId,
        /// The contract's own id: scheduled settlement calls come from it.
        pub own_id: ContractId,
        pub currency: String,
        /// The smallest part a split may create.
        pub min_part: Amount,
        /// The most parts one split may create.
        pub max_parts: u32,
        /// Live parts one settlement call pays at most; the rest wait for the next block.
        pub settle_batch: u32,
        /// How long after maturity an unpaid part factored with recourse must wait before its
        /// factor may exercise recourse (chain parameter `recourse_grace_days`).
        pub recourse_grace_ms: TimeMs,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
    pub enum Status {
        /// Held; may be split, transferred, offered, pledged, factored, cancelled.
        #[codec(index = 0)]
        Active,
        /// Frozen for its pledgee until released or settled.
        #[codec(index = 1)]
        Pledged,
        /// Replaced by its parts; inactive.
        #[codec(index = 2)]
        Split,
        /// Paid in full at maturity; closed.
        #[codec(index = 3)]
        Settled,
        /// Cancelled by issuer and holder; closed.
        #[codec(index = 4)]
        Cancelled,
        /// Past maturity and not (fully) paid: retried every block.
        #[codec(index = 5)]
        Overdue,
    }

    impl Status {
        /// A live part is one that settlement still has to pay.
        pub fn is_live(self) -> bool {
            matches!(self, Status::Active | Status::Pledged | Status::Overdue)
        }

        pub fn as_str(self) -> &'static str {
            match self {
                Status::Active => "active",
                Status::Pledged => "pledged",
                Status::Split => "split",
                Status::Settled => "settled",
                Status::Cancelled => "cancelled",
                Status::Overdue => "overdue",
            }
        }
    }

    /// An invoice backing an original voucher, and how much of the voucher it backs.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Backing {
        pub invoice: RecordId,
        pub amount: Amount,
    }

    /// A pledge (质押): the pledgee advanced `advance` at `since_ms`; it secures the advance
    /// plus interest at `rate_bps` a year, ACT/360, by days (see [`days_between`]).
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Pledge {
        pub pledgee: Uscc,
        pub advance: Amount,
        /// Annual interest rate in basis points (1/10,000), agreed at acceptance.
        pub rate_bps: u32,
        pub since_ms: TimeMs,
        /// What settlement has paid the pledgee so far.
        pub received: Amount,
    }

    impl Pledge {
        /// What the pledge secures at `now_ms`: the advance plus the interest accrued.
        pub fn secured(&self, now_ms: TimeMs) -> Amount {
            let days = days_between(self.since_ms, now_ms);
            self.advance
                .saturating_add(interest(self.advance, self.rate_bps, days))
        }

        /// What the pledgee is still owed at `now_ms`.
        pub fn owed(&self, now_ms: TimeMs) -> Amount {
            self.secured(now_ms).saturating_sub(self.received)
        }
    }

    /// A day, for interest and tenor: 24 hours of block time.
    pub const DAY_MS: TimeMs = 86_400_000;
    /// 360 days of 10,000 basis points: the ACT/360 denominator.
    const YEAR_BPS_DAYS: u128 = 360 * 10_000;

    /// The days counted from `from_ms` to `to_ms`: every started day (24 hours of block time)
    /// counts, so a loan taken and repaid within a day pays one day's interest.
    pub fn days_between(from_ms: TimeMs, to_ms: TimeMs) -> u64 {
        to_ms.saturating_sub(from_ms).div_ceil(DAY_MS)
    }

    /// Interest on `principal` at `rate_bps` a year for `days`, ACT/360, rounded down to the fen.
    pub fn interest(principal: Amount, rate_bps: u32, days: u64) -> Amount {
        let value = (u128::from(principal) * u128::from(rate_bps)).saturating_mul(u128::from(days))
            / YEAR_BPS_DAYS;
        Amount::try_from(value).unwrap_or(Amount::MAX)
    }

    /// The price of `face` discounted at `rate_bps` a year for `days` to maturity:
    /// face × (1 − rate × days / 360), rounded down to the fen; `None` when nothing is left.
    pub fn discounted_price(face: Amount, rate_bps: u32, days: u64) -> Option<Amount> {
        let discount = u128::from(rate_bps).saturating_mul(u128::from(days));
        if discount >= YEAR_BPS_DAYS {
            return None;
        }
        let price = u128::from(face) * (YEAR_BPS_DAYS - discount) / YEAR_BPS_DAYS;
        Amount::try_from(price).ok().filter(|p| *p > 0)
    }

    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Factoring {
        pub financier: Uscc,
        pub price: Amount,
        /// The seller the factor may turn to if the issuer does not pay (with recourse).
        pub recourse_to: Option<Uscc>,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
    pub enum FinanceKind {
        #[codec(index = 0)]
        Pledge,
        #[codec(index = 1)]
        Factoring,
    }

    /// One entry of a voucher's history.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub enum Action {
        #[codec(index = 0)]
        Issued { holder: Uscc, amount: Amount },
        #[codec(index = 1)]
        SplitInto(Vec<VoucherId>),
        #[codec(index = 2)]
        SplitFrom(VoucherId),
        #[codec(index = 3)]
        Transferred { from: Uscc, to: Uscc },
        #[codec(index = 4)]
        Offered { financier: Uscc, kind: FinanceKind },
        #[codec(index = 5)]
        Pledged {
            pledgee: Uscc,
            advance: Amount,
            rate_bps: u32,
        },
        #[codec(index = 6)]
        Released { pledgee: Uscc, repaid: Amount },
        #[codec(index = 7)]
        Factored {
            financier: Uscc,
            price: Amount,
            recourse: bool,
        },
        #[codec(index = 8)]
        CancelConsent(Uscc),
        #[codec(index = 9)]
        Cancelled,
        #[codec(index = 10)]
        Paid { to: Uscc, amount: Amount },
        #[codec(index = 11)]
        Overdue { unpaid: Amount },
        #[codec(index = 12)]
        OfferWithdrawn,
        /// The factor exercised recourse: the seller paid `paid` of the `owed` unpaid amount
        /// at once (the rest is debt `debt`) and holds the part again.
        #[codec(index = 13)]
        Recourse {
            factor: Uscc,
            seller: Uscc,
            owed: Amount,
            paid: Amount,
            debt: Option<u64>,
        },
    }

    impl Action {
        /// The entry in words, for people.
        pub fn describe(&self) -> String {
            match self {
                Action::Issued { holder, amount } => {
                    alloc::format!("issued {} to {holder}", format_amount(*amount))
                }
                Action::SplitInto(parts) => alloc::format!(
                    "split into {}",
                    parts
                        .iter()
                        .map(|p| alloc::format!("{p}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Action::SplitFrom(parent) => alloc::format!("split from {parent}"),
                Action::Transferred { from, to } => {
                    alloc::format!("transferred from {from} to {to}")
                }
                Action::Offered { financier, kind } => alloc::format!(
                    "offered to {financier} for {}",
                    match kind {
                        FinanceKind::Pledge => "a pledge",
                        FinanceKind::Factoring => "factoring",
                    }
                ),
                Action::Pledged {
                    pledgee,
                    advance,
                    rate_bps,
                } => alloc::format!(
                    "pledged to {pledgee} for an advance of {} at {} a year",
                    format_amount(*advance),
                    format_rate(*rate_bps)
                ),
                Action::Released { pledgee, repaid } => {
                    alloc::format!("released by {pledgee} (repaid {})", format_amount(*repaid))
                }
                Action::Factored {
                    financier,
                    price,
                    recourse,
                } => alloc::format!(
                    "factored to {financier} for {}{}",
                    format_amount(*price),
                    if *recourse { " with recourse" } else { "" }
                ),
                Action::CancelConsent(who) => alloc::format!("{who} agreed to cancel"),
                Action::Cancelled => "cancelled".into(),
                Action::Paid { to, amount } => {
                    alloc::format!("paid {} to {to}", format_amount(*amount))
                }
                Action::Overdue { unpaid } => {
                    alloc::format!("overdue: {} unpaid", format_amount(*unpaid))
                }
                Action::OfferWithdrawn => "offer withdrawn".into(),
                Action::Recourse {
                    factor,
                    seller,
                    owed,
                    paid,
                    debt,
                } => alloc::format!(
                    "recourse: {factor} turned to {seller} for {}, {} paid at once{}; {seller} holds the claim again",
                    format_amount(*owed),
                    format_amount(*paid),
                    debt.map_or(String::new(), |d| alloc::format!(", the rest is debt {d}"))
                ),
            }
        }
    }

    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct HistoryEntry {
        pub height: u64,
        pub time_ms: TimeMs,
        pub action: Action,
    }

    /// A voucher or a part of one.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Voucher {
        pub id: VoucherId,
        /// The original voucher this part descends from (itself for an original).
        pub root: VoucherId,
        pub parent: Option<VoucherId>,
        pub children: Vec<VoucherId>,
        /// The obligor, a `core` member.
        pub issuer: Uscc,
        pub holder: Uscc,
        /// Face amount of this part.
        pub amount: Amount,
        /// What settlement has paid of it so far.
        pub paid: Amount,
        pub currency: String,
        pub issued_ms: TimeMs,
        pub maturity_ms: TimeMs,
        /// The invoices behind the original voucher (the same for every part).
        pub backing: Vec<Backing>,
        /// The other trade records behind it (contract, delivery receipt, ...).
        pub records: Vec<RecordId>,
        pub status: Status,
        pub pledge: Option<Pledge>,
        pub factoring: Option<Factoring>,
        /// Whether it (or an ancestor) ever changed hands.
        pub transferred: bool,
        /// Who agreed to cancel it (issuer and holder both must).
        pub cancel_consent: Vec<Uscc>,
        /// How many entries its history has (under [`keys::history_key`]).
        pub history_len: u32,
    }

    impl Voucher {
        /// What settlement still owes on this part.
        pub fn unpaid(&self) -> Amount {
            self.amount - self.paid
        }

        /// Who is paid at maturity: the pledgee of a pledged part, else the holder.
        pub fn payee(&self) -> &str {
            self.pledge.as_ref().map_or(&self.holder, |p| &p.pledgee)
        }
    }

    /// Terms shared by a request for confirmation and a direct issue.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Terms {
        /// For a request: the core enterprise asked to confirm; for an issue: the holder.
        pub counterparty: Uscc,
        pub amount: Amount,
        pub currency: String,
        pub maturity_ms: TimeMs,
        /// Recorded invoices naming the issuer as buyer and the first holder as seller.
        pub invoices: Vec<RecordId>,
        /// Other recorded documents of the trade: each names the issuer and the holder among
        /// its parties, or is linked with one of the invoices.
        pub records: Vec<RecordId>,
        /// The financier whose credit line the voucher draws on; `None` draws on the issuer's
        /// lines in ascending financier USCC order.
        pub line: Option<Uscc>,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
    pub enum RequestStatus {
        #[codec(index = 0)]
        Pending,
        #[codec(index = 1)]
        Confirmed(VoucherId),
        #[codec(index = 2)]
        Rejected,
        /// Withdrawn by the supplier.
        #[codec(index = 3)]
        Withdrawn,
        /// Pending when its maturity came: it can no longer be confirmed (shown by queries;
        /// stored as pending).
        #[codec(index = 4)]
        Expired,
    }

    /// A supplier's request that a core enterprise confirm a payable (申请确权).
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Request {
        pub id: u64,
        pub supplier: Uscc,
        pub issuer: Uscc,
        pub terms: Terms,
        pub status: RequestStatus,
    }

    /// One financier's credit line (授信额度) to a core enterprise, and what the issuer's
    /// outstanding vouchers draw on it.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    pub struct CreditLine {
        /// The granting financier: only it changes or closes the line.
        pub financier: Uscc,
        pub limit: Amount,
        pub outstanding: Amount,
        /// Revoked by the governing quorum: nothing new draws on it, and it closes when what
        /// it backs is paid.
        pub revoked: bool,
    }

    impl CreditLine {
        /// What a new voucher may still draw on this line.
        pub fn available(&self) -> Amount {
            if self.revoked {
                0
            } else {
                self.limit.saturating_sub(self.outstanding)
            }
        }
    }

    /// A core enterprise's credit lines, one per financier, in financier USCC order.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    pub struct CreditLines {
        pub issuer: Uscc,
        pub lines: Vec<CreditLine>,
    }

    impl CreditLines {
        pub fn limit(&self) -> Amount {
            self.lines.iter().map(|l| l.limit).sum()
        }
        pub fn outstanding(&self) -> Amount {
            self.lines.iter().map(|l| l.outstanding).sum()
        }
        pub fn available(&self) -> Amount {
            self.lines.iter().map(CreditLine::available).sum()
        }
    }

    /// What one financier's line backs of an original voucher.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Draw {
        pub financier: Uscc,
        pub amount: Amount,
    }

    /// A settlement round of an original voucher: each live part's share of what the issuer
    /// could pay when the round began (all it owes, or a pro-rata share), paid `settle_batch`
    /// parts a run.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    pub struct Round {
        pub shares: Vec<(VoucherId, Amount)>,
        /// The first share not yet paid.
        pub next: u32,
        /// Whether a part of this round was left with something unpaid: the round is then
        /// followed by another in the next block.
        pub short: bool,
    }

    /// `held_by` and `issued_by`'s argument: a member's vouchers by id, a page at a time.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Page {
        pub owner: Uscc,
        /// Start after this id (the previous page's `next`).
        pub after: Option<VoucherId>,
        /// At most [`MAX_PAGE`].
        pub limit: u32,
    }

    /// A page of voucher ids; `next` is set when more follow (pass it as `after`).
    #[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
    pub struct Listing {
        pub ids: Vec<VoucherId>,
        pub next: Option<VoucherId>,
    }

    /// The most ids one page lists.
    pub const MAX_PAGE: u32 = 1_000;

    /// What a seller owes its factor after recourse (有追索权保理), collected from the seller's
    /// cash as it arrives.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Debt {
        pub id: u64,
        pub voucher: VoucherId,
        pub debtor: Uscc,
        pub creditor: Uscc,
        pub amount: Amount,
        pub paid: Amount,
    }

    /// `quote`'s argument: the price factoring at an annual discount rate would pay now.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Quote {
        pub voucher: VoucherId,
        pub annual_rate_bps: u32,
    }

    /// `quote`'s answer.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Quoted {
        pub face: Amount,
        /// Days to maturity, every started day counted.
        pub days: u64,
        pub price: Amount,
    }

    /// `pledge_due`'s answer: what a pledge secures now.
    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct PledgeDue {
        pub pledge: Pledge,
        /// Days since acceptance, every started day counted.
        pub days: u64,
        pub interest: Amount,
        pub secured: Amount,
        /// What repaying costs now: secured less what settlement already paid the pledgee.
        pub owed: Amount,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct SetCreditLine {
        pub issuer: Uscc,
        pub limit: Amount,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Split {
        pub voucher: VoucherId,
        /// The parts' amounts; they must add up exactly to the voucher's.
        pub amounts: Vec<Amount>,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Transfer {
        pub voucher: VoucherId,
        pub to: Uscc,
        /// Transfer only this much: the voucher is split into this amount and the rest, and
        /// the first part moves. `None` moves the whole voucher.
        pub amount: Option<Amount>,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Offer {
        pub voucher: VoucherId,
        pub financier: Uscc,
        pub kind: FinanceKind,
        /// The least the holder accepts as advance or price: the financier cannot pay less.
        pub min_price: Amount,
    }

    /// The largest number of parts one original voucher may be split into, all splits together:
    /// it bounds what settlement walks.
    pub const MAX_PARTS_PER_VOUCHER: u32 = 256;
    /// The latest maturity accepted: the end of year 9999.
    pub const MAX_TIME_MS: TimeMs = 253_402_300_799_999;

    /// What the financier pays on acceptance.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
    pub enum Price {
        /// This amount of cash.
        #[codec(index = 0)]
        Amount(Amount),
        /// The face amount less this many basis points (1/10,000), rounded down.
        #[codec(index = 1)]
        DiscountBps(u32),
        /// Priced by tenor: the face discounted at this annual rate in basis points for the
        /// days to maturity ([`discounted_price`]).
        #[codec(index = 2)]
        AnnualRateBps(u32),
    }

    #[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
    pub struct Accept {
        pub voucher: VoucherId,
        pub price: Price,
        /// Factoring only: whether the factor keeps recourse to the seller.
        pub recourse: bool,
        /// Pledge only: the annual interest rate in basis points the pledge secures (0: none).
        pub interest_bps: u32,
    }

    /// Events (topic, data). Every change of a voucher emits one.
    pub mod events {
        /// data: [`super::Request`]
        pub const REQUESTED: &str = "requested";
        /// data: [`super::Request`]
        pub const REJECTED: &str = "rejected";
        /// data: [`super::Request`]
        pub const REQUEST_WITHDRAWN: &str = "request_withdrawn";
        /// data: [`super::Voucher`] (the new original)
        pub const ISSUED: &str = "issued";
        /// data: [`super::Voucher`] (the voucher split, with its children)
        pub const SPLIT: &str = "split";
        /// data: [`super::Voucher`] after the change, for each of the following
        pub const TRANSFERRED: &str = "transferred";
        pub const OFFERED: &str = "offered";
        pub const OFFER_WITHDRAWN: &str = "offer_withdrawn";
        pub const PLEDGED: &str = "pledged";
        pub const RELEASED: &str = "released";
        pub const FACTORED: &str = "factored";
        pub const CANCEL_CONSENT: &str = "cancel_consent";
        pub const CANCELLED: &str = "cancelled";
        /// A part paid in full at maturity.
        pub const SETTLED: &str = "settled";
        /// Part of what was due was paid; the rest is overdue.
        pub const PARTIALLY_PAID: &str = "partially_paid";
        /// Nothing or not all could be paid; retried each block.
        pub const OVERDUE: &str = "overdue";
        /// data: [`super::Voucher`] after recourse was exercised
        pub const RECOURSE: &str = "recourse";
        /// data: [`super::Debt`] after a payment of it
        pub const DEBT_PAID: &str = "recourse_paid";
        /// data: the issuer and the financier's line after the change: `(Uscc, CreditLine)`
        pub const CREDIT_LINE: &str = "credit_line";
    }
}

/// Formats minor units as a decimal amount with two places: `100000000` → `"1000000.00"`.
pub fn format_amount(amount: Amount) -> String {
    alloc::format!("{}.{:02}", amount / 100, amount % 100)
}

/// Formats basis points as a percentage: `365` → `"3.65%"`.
pub fn format_rate(bps: u32) -> String {
    alloc::format!("{}.{:02}%", bps / 100, bps % 100)
}

/// Parses a percentage with at most two decimal places into basis points: `"3.65"` or
/// `"3.65%"` → 365. At most 100%.
pub fn parse_rate(text: &str) -> Result<u32, String> {
    let number = text.strip_suffix('%').unwrap_or(text);
    let bps = parse_amount(number).map_err(|_| {
        alloc::format!("'{text}' is not a rate: write a percentage like 3.65 or 3.65% (at most two decimal places)")
    })?;
    if bps > 10_000 {
        return Err(alloc::format!("'{text}' is above 100%"));
    }
    Ok(bps as u32)
}

/// Parses a decimal amount with at most two places into minor units: `"1000000.00"`,
/// `"12.5"`, `"7"`. Refuses signs, other characters, a third decimal place and overflow.
pub fn parse_amount(text: &str) -> Result<Amount, String> {
    let bad = || {
        alloc::format!(
            "'{text}' is not an amount: write it like 1000000.00 (at most two decimal places)"
        )
    };
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty()
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let mut cents: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| bad())?
    };
    if fraction.len() == 1 {
        cents *= 10;
    }
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(|| alloc::format!("'{text}' is too large an amount"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_and_format() {
        assert_eq!(parse_amount("1000000.00"), Ok(100_000_000));
        assert_eq!(parse_amount("12.5"), Ok(1_250));
        assert_eq!(parse_amount("7"), Ok(700));
        assert_eq!(format_amount(100_000_000), "1000000.00");
        assert_eq!(format_amount(5), "0.05");
        for bad in [
            "",
            "-1",
            "1.234",
            "1.",
            ".5",
            "1,000",
            "1e3",
            "99999999999999999999",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn interest_is_act_360_by_started_days_rounded_down() {
        use voucher::{days_between, discounted_price, interest, DAY_MS};
        assert_eq!(days_between(0, 1), 1);
        assert_eq!(days_between(0, DAY_MS), 1);
        assert_eq!(days_between(0, DAY_MS + 1), 2);
        assert_eq!(days_between(5, 5), 0);
        assert_eq!(days_between(9, 5), 0);
        // 300,000.00 at 3.65% for one day: 30.416… → 30.41.
        assert_eq!(interest(30_000_000, 365, 1), 3_041);
        assert_eq!(interest(30_000_000, 365, 360), 1_095_000);
        assert_eq!(interest(u64::MAX, u32::MAX, u64::MAX), u64::MAX);
        // 1,000,000.00 at 3.60% for 90 days: 1,000,000 × (1 − 0.009) = 991,000.00.
        assert_eq!(discounted_price(100_000_000, 360, 90), Some(99_100_000));
        // Rounded down to the fen: 1.01 at 1% for 1 day = 1.00997… → 1.00.
        assert_eq!(discounted_price(101, 100, 1), Some(100));
        assert_eq!(discounted_price(100, 10_000, 360), None);
        assert_eq!(discounted_price(100, 0, 30), Some(100));
    }

    #[test]
    fn payments_take_the_payees_own_cash_first_then_custodian_order() {
        use alloc::vec;
        use cash::{payment_order, Balance};
        let b = |c: &str, amount| Balance {
            custodian: c.into(),
            amount,
        };
        let held = [b("A", 50), b("B", 30), b("C", 20)];
        assert_eq!(
            payment_order(&held, "C", 40),
            Some(vec![b("C", 20), b("A", 20)])
        );
        assert_eq!(
            payment_order(&held, "X", 60),
            Some(vec![b("A", 50), b("B", 10)])
        );
        assert_eq!(payment_order(&held, "X", 100).map(|v| v.len()), Some(3));
        assert_eq!(payment_order(&held, "X", 101), None);
    }

    #[test]
    fn rates_parse_and_format() {
        assert_eq!(parse_rate("3.65"), Ok(365));
        assert_eq!(parse_rate("3.65%"), Ok(365));
        assert_eq!(parse_rate("100%"), Ok(10_000));
        assert_eq!(format_rate(365), "3.65%");
        for bad in ["", "-1", "3.655", "101", "abc"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invoice_keys_do_not_collide() {
        assert_ne!(
            records::keys::invoice_key("ab", "c", "x"),
            records::keys::invoice_key("a", "bc", "x")
        );
    }
}
