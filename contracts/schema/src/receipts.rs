//! Electronic warehouse receipts (电子仓单): a logistics member, as warehouse, issues a receipt for
//! a lot of goods it holds for an owner; one live receipt per lot; goods in and out recorded
//! against it; split by quantity; transferred (the goods' title moves); locked for a lender while
//! pledged (docs/products.md).
use super::*;

pub type ReceiptId = u64;

/// The most parts one split creates.
pub const MAX_SPLIT: usize = 16;
/// The most inspection records one receipt names.
pub const MAX_INSPECTIONS: usize = 16;
/// The longest goods description, unit, location and lot, in bytes.
pub const MAX_GOODS: usize = 128;
pub const MAX_UNIT: usize = 16;
pub const MAX_LOCATION: usize = 128;
pub const MAX_LOT: usize = 64;

pub mod keys {
    use super::*;
    /// → [`Init`].
    pub const CONFIG: &[u8] = b"cfg";
    /// → u64: the next receipt's id (the first is 1).
    pub const NEXT_ID: &[u8] = b"next";
    /// `r/<id>` → [`Receipt`].
    pub const RECEIPT: &[u8] = b"r/";
    /// `lot/<warehouse uscc>/<lot>` → [`ReceiptId`]: the live receipt of a lot.
    pub const LOT: &[u8] = b"lot/";
    /// `o/<owner uscc>/<id>` → (): the live receipts a member holds.
    pub const BY_OWNER: &[u8] = b"o/";
    /// `w/<warehouse uscc>/<id>` → (): the live receipts a warehouse issued.
    pub const BY_WAREHOUSE: &[u8] = b"w/";

    pub fn receipt_key(id: ReceiptId) -> Vec<u8> {
        crate::with_id(RECEIPT, id)
    }
    pub fn lot_key(warehouse: &str, lot: &str) -> Vec<u8> {
        [LOT, warehouse.as_bytes(), b"/", lot.as_bytes()].concat()
    }
    pub fn by_owner_prefix(uscc: &str) -> Vec<u8> {
        [BY_OWNER, uscc.as_bytes(), b"/"].concat()
    }
    pub fn by_warehouse_prefix(uscc: &str) -> Vec<u8> {
        [BY_WAREHOUSE, uscc.as_bytes(), b"/"].concat()
    }
}

/// `init`'s argument, kept as the contract's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Init {
    pub registry: ContractId,
    pub records: ContractId,
    /// Contracts that lock, release and seize pledged receipts (the lending contract).
    pub operators: Vec<ContractId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum ReceiptStatus {
    /// Goods in the warehouse under this receipt.
    #[codec(index = 0)]
    Live,
    /// Replaced by its parts; inactive.
    #[codec(index = 1)]
    Split,
    /// Every unit of goods taken out; closed.
    #[codec(index = 2)]
    Closed,
}

impl ReceiptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Live => "live",
            ReceiptStatus::Split => "split",
            ReceiptStatus::Closed => "closed",
        }
    }
}

/// A pledge's lock on a receipt: while it stands, no split, no transfer, no second pledge, and
/// goods leave only as far as the pledgee released them (by consent, or by repayment in
/// proportion).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Lock {
    pub pledgee: Uscc,
    pub loan: u64,
    /// The quantity when pledged.
    pub pledged_quantity: u64,
    /// Goods the pledgee let leave so far.
    pub released: u64,
    /// Goods taken out since the pledge.
    pub taken_out: u64,
}

impl Lock {
    /// What may still leave the warehouse now.
    pub fn may_leave(&self) -> u64 {
        self.released.saturating_sub(self.taken_out)
    }
}

/// A warehouse receipt.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Receipt {
    pub id: ReceiptId,
    /// The logistics member holding the goods, which issued the receipt.
    pub warehouse: Uscc,
    /// Who holds title to the goods.
    pub owner: Uscc,
    pub goods: String,
    /// Whole units of `unit`.
    pub quantity: u64,
    pub unit: String,
    pub location: String,
    /// The warehouse's lot: at most one live receipt per lot.
    pub lot: String,
    /// The appraised value of `appraised_quantity` units: the value of any quantity is
    /// pro rata ([`Receipt::value`]).
    pub appraised_value: Amount,
    pub appraised_quantity: u64,
    /// The appraisal's recorded document.
    pub appraisal: RecordId,
    pub inspections: Vec<RecordId>,
    pub status: ReceiptStatus,
    pub parent: Option<ReceiptId>,
    pub children: Vec<ReceiptId>,
    pub lock: Option<Lock>,
    pub issued_ms: TimeMs,
    /// Goods recorded in and out under this receipt since its issue.
    pub goods_in: u64,
    pub goods_out: u64,
}

impl Receipt {
    /// The appraised value of `quantity` units, rounded down to the fen.
    pub fn value_of(&self, quantity: u64) -> Amount {
        let value = u128::from(self.appraised_value) * u128::from(quantity)
            / u128::from(self.appraised_quantity.max(1));
        Amount::try_from(value).unwrap_or(Amount::MAX)
    }

    /// The appraised value of the goods under the receipt now.
    pub fn value(&self) -> Amount {
        self.value_of(self.quantity)
    }
}

/// `issue`'s argument (the signer's member is the warehouse).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct NewReceipt {
    pub owner: Uscc,
    pub goods: String,
    pub quantity: u64,
    pub unit: String,
    pub location: String,
    pub lot: String,
    pub appraised_value: Amount,
    pub appraisal: RecordId,
    pub inspections: Vec<RecordId>,
}

/// Goods in or out of a receipt's lot, recorded by its warehouse.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct GoodsMove {
    pub receipt: ReceiptId,
    pub quantity: u64,
}

/// `split`'s argument: the parts' quantities, which add up to the receipt's.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct SplitReceipt {
    pub receipt: ReceiptId,
    pub quantities: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct TransferReceipt {
    pub receipt: ReceiptId,
    pub to: Uscc,
}

/// `lock`'s argument (operators only): `owner` pledges the receipt to `pledgee` for `loan`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct LockReceipt {
    pub receipt: ReceiptId,
    pub owner: Uscc,
    pub pledgee: Uscc,
    pub loan: u64,
}

/// `seize`'s argument (operators only): a defaulted pledge's receipt passes to `to` (its
/// pledgee, or a seller buying the goods back).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct Seize {
    pub receipt: ReceiptId,
    pub to: Uscc,
}

/// Whose receipts a page lists.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub enum Holder {
    #[codec(index = 0)]
    Owner(Uscc),
    #[codec(index = 1)]
    Warehouse(Uscc),
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct ReceiptPage {
    pub holder: Holder,
    pub after: Option<ReceiptId>,
    /// At most [`crate::voucher::MAX_PAGE`].
    pub limit: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "std", derive(scale_info::TypeInfo))]
pub struct ReceiptListing {
    pub ids: Vec<ReceiptId>,
    pub next: Option<ReceiptId>,
}

pub mod events {
    #[cfg(feature = "std")]
    use super::*;
    use crate::method::events;

    events! {
        ISSUED = "receipt_issued": Receipt;
        GOODS_IN = "goods_in": Receipt;
        GOODS_OUT = "goods_out": Receipt;
        /// The receipt split, its parts after it.
        SPLIT = "receipt_split": Vec<Receipt>;
        TRANSFERRED = "receipt_transferred": Receipt;
        LOCKED = "receipt_pledged": Receipt;
        RELEASED = "goods_released": Receipt;
        UNLOCKED = "receipt_unpledged": Receipt;
        SEIZED = "receipt_enforced": Receipt;
    }
}

/// The receipts contract's methods.
pub mod method {
    use super::*;
    use crate::method::methods;

    methods! { crate::names::RECEIPTS;
        INIT = "init": Init => ();
        /// The new receipt's id.
        ISSUE = "issue": NewReceipt => ReceiptId;
        GOODS_IN = "goods_in": GoodsMove => ();
        GOODS_OUT = "goods_out": GoodsMove => ();
        /// The parts' ids, in the order of the quantities.
        SPLIT = "split": SplitReceipt => Vec<ReceiptId>;
        TRANSFER = "transfer": TransferReceipt => ();
        /// Only for the operators (the lending contract, at a loan's approval).
        LOCK = "lock": LockReceipt => ();
        /// The pledgee (or an operator, on repayment) lets `quantity` more units leave.
        RELEASE = "release": GoodsMove => ();
        /// Only for the operators: the loan is repaid.
        UNLOCK = "unlock": ReceiptId => ();
        /// Only for the operators: the pledge is enforced; the receipt passes to the pledgee (or
        /// to a seller that buys the goods back).
        SEIZE = "seize": Seize => ();
        GET = "get": ReceiptId => Option<Receipt>;
        LIST = "list": ReceiptPage => ReceiptListing;
        HOLDINGS = "holdings": Uscc => Vec<String>;
    }
}
