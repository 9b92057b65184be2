//! The four flows (四流合一) as notarised records.
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

    /// `s/<member uscc>` → [`Quality`]: the tallies of the documents a member recorded itself
    /// (its data-credit record), `invoiced` being the invoices it issued as seller.
    pub const RECORDED_QUALITY: &[u8] = b"s/";

    pub fn quality_key(core: &str) -> Vec<u8> {
        crate::prefixed(QUALITY, core.as_bytes())
    }
    pub fn recorded_quality_key(member: &str) -> Vec<u8> {
        crate::prefixed(RECORDED_QUALITY, member.as_bytes())
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
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
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
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Invoice {
    pub code: String,
    pub number: String,
    pub seller: Uscc,
    pub buyer: Uscc,
}

/// `record`'s argument.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
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
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
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
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct InvoiceQuery {
    pub code: String,
    pub number: String,
    pub seller: Uscc,
}

/// `init`'s argument, kept as the contract's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Init {
    pub registry: ContractId,
    /// How the quality of a supply chain's records suggests a credit line.
    pub quality: QualityModel,
}

pub mod events {
    #[cfg(feature = "std")]
    use super::*;
    use crate::method::events;

    events! {
        RECORDED = "recorded": Record;
    }
}

/// A field a record kind's template requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
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
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
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
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
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
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Score {
    pub score: u32,
    pub band: String,
}

/// `suggest_line`'s answer: the three scores, the rating and the line it suggests.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
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

    /// The suggestion for tallies `q` of core enterprise `core`, a share of the invoices billed to
    /// it. Deterministic integers.
    pub fn suggest(&self, core: &str, q: &Quality) -> Suggestion {
        self.suggest_of(core, q, "invoiced to it")
    }

    /// The suggestion for tallies `q` of `member`, a share of its invoiced volume (`volume`
    /// says which, in words).
    pub fn suggest_of(&self, member: &str, q: &Quality, volume: &str) -> Suggestion {
        let core = member;
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
                "overall {} = {}% completeness + {}% timeliness + {}% accuracy; rating {rating} (at least {}) suggests {} of the {} {volume}",
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

/// The records contract's methods.
pub mod method {
    use super::*;
    use crate::method::methods;

    methods! { crate::names::RECORDS;
        INIT = "init": Init => ();
        RECORD = "record": NewRecord => RecordId;
        GET = "get": RecordId => Option<Record>;
        INVOICE = "invoice": InvoiceQuery => Option<Record>;
        QUALITY = "quality": Uscc => Option<Quality>;
        SUGGEST_LINE = "suggest_line": Uscc => Suggestion;
        /// The tallies of the documents a member recorded itself.
        RECORDED_QUALITY = "recorded_quality": Uscc => Option<Quality>;
        /// The data-credit limit the documents a member recorded suggest: the rating of
        /// their completeness, timeliness and accuracy applied to the invoices it issued.
        SUGGEST_CREDIT = "suggest_credit": Uscc => Suggestion;
    }
}
