//! The four flows (四流合一) as notarised records: contracts and purchase orders (商流),
//! shipments, delivery and warehouse receipts (物流), invoices (信息流) and payments (资金流).
//!
//! A record proves that the document with this SHA-256 existed, signed by the recorder's
//! account, no later than its block. A document is recorded once; an invoice (code + number +
//! seller) is recorded once whatever its file's bytes; links must name recorded documents.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use catena_schema::records::method;
use catena_schema::records::{
    events, keys, Init, InvoiceQuery, Kind, NewRecord, Quality, Record, Suggestion,
};
use catena_schema::registry::AccountRecord;
use catena_schema::{Account, RecordId, Role, Uscc};
use catena_sdk::{block_height, block_time_ms, caller, emit_encoded, registry, storage};

catena_sdk::methods! {
    method::INIT => init,
    method::RECORD => record,
    method::GET => get,
    method::INVOICE => invoice,
    method::QUALITY => quality,
    method::RECORDED_QUALITY => recorded_quality,
    method::SUGGEST_CREDIT => suggest_credit,
    method::SUGGEST_LINE => suggest_line,
}

/// Parties and links one record may name.
pub const MAX_PARTIES: usize = 16;
pub const MAX_LINKS: usize = 32;

#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    AlreadyInitialised,
    NotAMember,
    /// The recorder's roles do not allow it.
    NotAllowed(String),
    AlreadyRecorded(RecordId),
    InvoiceAlreadyRecorded {
        code: String,
        number: String,
    },
    UnknownLink(RecordId),
    Invalid(String),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::AlreadyInitialised => write!(f, "the records contract is already initialised"),
            Error::NotAMember => write!(f, "the caller is not an account of any member"),
            Error::NotAllowed(reason) => write!(f, "{reason}"),
            Error::AlreadyRecorded(id) => write!(
                f,
                "document 0x{} is already recorded: a document is recorded once",
                catena_sdk::hex(id)
            ),
            Error::InvoiceAlreadyRecorded { code, number } => write!(
                f,
                "invoice {code} {number} of this seller is already recorded"
            ),
            Error::UnknownLink(id) => write!(
                f,
                "linked document 0x{} is not recorded",
                catena_sdk::hex(id)
            ),
            Error::Invalid(reason) => write!(f, "{reason}"),
        }
    }
}

fn init(init: Init) -> Result<(), Error> {
    storage::ensure_absent(keys::CONFIG, Error::AlreadyInitialised)?;
    storage::save(keys::CONFIG, &init);
    Ok(())
}

fn config() -> Init {
    storage::load_or_fail(keys::CONFIG, "the records contract is not initialised")
}

/// The member record of the account that called, from the registry.
fn recorder() -> Result<(Account, AccountRecord), Error> {
    let account = caller();
    let record = registry::account(&config().registry, &account);
    record.map(|r| (account, r)).ok_or(Error::NotAMember)
}

fn record(new: NewRecord) -> Result<RecordId, Error> {
    let (account, who) = recorder()?;
    check(&new, &who)?;
    let key = keys::record_key(&new.doc_hash);
    if storage::get(&key).is_some() {
        return Err(Error::AlreadyRecorded(new.doc_hash));
    }
    if let Some(invoice) = &new.invoice {
        let invoice_key = keys::invoice_key(&invoice.code, &invoice.number, &invoice.seller);
        if storage::get(&invoice_key).is_some() {
            return Err(Error::InvoiceAlreadyRecorded {
                code: invoice.code.clone(),
                number: invoice.number.clone(),
            });
        }
        storage::set(&invoice_key, &new.doc_hash);
    }
    let mut linked = Vec::with_capacity(new.links.len());
    for link in &new.links {
        let record: Record =
            storage::load(&keys::record_key(link)).ok_or(Error::UnknownLink(*link))?;
        linked.push(record);
    }
    tally(&new, &linked, &who.uscc);
    let record = Record {
        id: new.doc_hash,
        kind: new.kind,
        recorder: who.uscc,
        recorder_account: account,
        parties: new.parties,
        amount: new.amount,
        currency: new.currency,
        date_ms: new.date_ms,
        links: new.links,
        invoice: new.invoice,
        height: block_height(),
        time_ms: block_time_ms(),
    };
    storage::save(&key, &record);
    emit_encoded(events::RECORDED, &record);
    Ok(record.id)
}

/// Counts the record in the data-quality tallies of each core enterprise among its parties, and
/// in the recorder's own tallies (its data-credit record).
fn tally(new: &NewRecord, linked: &[Record], recorder: &str) {
    let config = config();
    let model = &config.quality;
    let template = model.template(new.kind);
    let present = template.iter().filter(|f| f.present(new)).count() as u64;
    let delay = block_time_ms().saturating_sub(new.date_ms);
    let timely = model.timely_band(delay);
    let accuracy: Vec<usize> = linked
        .iter()
        .filter(|r| r.amount > 0 && new.amount > 0)
        .map(|r| model.accuracy_band(r.amount, new.amount))
        .collect();
    let count = |key: Vec<u8>, invoiced: bool| {
        let mut q: Quality = storage::load(&key).unwrap_or_default();
        q.timeliness.resize(model.timely_days.len() + 1, 0);
        q.accuracy.resize(model.tolerance_bps.len() + 1, 0);
        q.records += 1;
        q.fields_required += template.len() as u64;
        q.fields_present += present;
        q.timeliness[timely] += 1;
        for band in &accuracy {
            q.accuracy[*band] += 1;
        }
        if invoiced {
            q.invoiced = q.invoiced.saturating_add(new.amount);
        }
        storage::save(&key, &q);
    };
    let invoice = new.invoice.as_ref().filter(|_| new.kind == Kind::Invoice);
    for party in &new.parties {
        let member = registry::member(&config.registry, party);
        if !member.is_some_and(|m| m.roles.contains(&Role::Core)) {
            continue;
        }
        count(
            keys::quality_key(party),
            invoice.is_some_and(|i| &i.buyer == party),
        );
    }
    count(
        keys::recorded_quality_key(recorder),
        invoice.is_some_and(|i| i.seller == recorder),
    );
}

/// The data-quality tallies of a core enterprise's supply chain.
fn quality(core: Uscc) -> Result<Option<Quality>, Error> {
    Ok(storage::load(&keys::quality_key(&core)))
}

/// The credit line the quality of a core enterprise's records suggests (DOMAIN.md "Credit line
/// from data quality"): completeness, timeliness and accuracy, weighted into a rating.
fn suggest_line(core: Uscc) -> Result<Suggestion, Error> {
    match registry::member(&config().registry, &core) {
        None => return Err(Error::Invalid(format!("{core} is not a member"))),
        Some(m) if !m.roles.contains(&Role::Core) => {
            return Err(Error::Invalid(format!(
                "member {core} is not a core enterprise: lines are suggested for core enterprises"
            )))
        }
        Some(_) => {}
    }
    let q: Quality = storage::load(&keys::quality_key(&core)).unwrap_or_default();
    Ok(config().quality.suggest(&core, &q))
}

/// The tallies of the documents a member recorded itself.
fn recorded_quality(member: Uscc) -> Result<Option<Quality>, Error> {
    Ok(storage::load(&keys::recorded_quality_key(&member)))
}

/// The data-credit limit a member's own record suggests (数据信用): the rating of the documents
/// it recorded applied to the invoices it issued as seller.
fn suggest_credit(member: Uscc) -> Result<Suggestion, Error> {
    if registry::member(&config().registry, &member).is_none() {
        return Err(Error::Invalid(format!("{member} is not a member")));
    }
    let q: Quality = storage::load(&keys::recorded_quality_key(&member)).unwrap_or_default();
    Ok(config()
        .quality
        .suggest_of(&member, &q, "it invoiced as seller"))
}

fn invalid(reason: &str) -> Error {
    Error::Invalid(reason.into())
}

/// The rules a record must meet before it is stored (DOMAIN.md, docs/contracts.md).
fn check(new: &NewRecord, who: &AccountRecord) -> Result<(), Error> {
    if who.has(Role::Auditor) {
        return Err(Error::NotAllowed(
            "an auditor reads records and never writes them".into(),
        ));
    }
    if new.parties.is_empty() || new.parties.len() > MAX_PARTIES {
        return Err(invalid("a record names 1 to 16 parties"));
    }
    if new
        .parties
        .iter()
        .enumerate()
        .any(|(i, p)| new.parties[..i].contains(p))
    {
        return Err(invalid("a party is named twice"));
    }
    if new.links.len() > MAX_LINKS {
        return Err(invalid("a record links at most 32 other records"));
    }
    if new.links.contains(&new.doc_hash) {
        return Err(invalid("a record cannot link to itself"));
    }
    if new.currency.is_empty() || new.currency.len() > 8 {
        return Err(invalid(
            "the currency is a code of 1 to 8 characters, such as CNY",
        ));
    }
    let logistics_document = matches!(
        new.kind,
        Kind::Shipment | Kind::DeliveryReceipt | Kind::WarehouseReceipt
    );
    let is_party = new.parties.contains(&who.uscc);
    if !(is_party || logistics_document && who.has(Role::Logistics)) {
        return Err(Error::NotAllowed(format!(
            "member {} may record only documents it is a party to (or, as logistics, shipments, deliveries and warehouse receipts)",
            who.uscc
        )));
    }
    if new.kind == Kind::WarehouseReceipt && !who.has(Role::Logistics) {
        return Err(Error::NotAllowed(
            "only a logistics member issues warehouse receipts".into(),
        ));
    }
    match (&new.invoice, new.kind) {
        (Some(invoice), Kind::Invoice) => {
            // The official forms only, so one invoice cannot be recorded twice under two
            // spellings: a 10- or 12-digit code with an 8-digit number, or a fully digital
            // invoice's 20-digit number with no code.
            let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
            let well_formed = digits(&invoice.code)
                && digits(&invoice.number)
                && matches!(
                    (invoice.code.len(), invoice.number.len()),
                    (10 | 12, 8) | (0, 20)
                );
            if !well_formed {
                return Err(invalid(
                    "an invoice is a 10- or 12-digit code with an 8-digit number, or a 20-digit number with no code (digits only)",
                ));
            }
            if invoice.seller != who.uscc {
                return Err(Error::NotAllowed(format!(
                    "an invoice is recorded by its seller {}, not by {}",
                    invoice.seller, who.uscc
                )));
            }
            if invoice.seller == invoice.buyer {
                return Err(invalid("an invoice's seller and buyer must differ"));
            }
            if !new.parties.contains(&invoice.buyer) {
                return Err(invalid("an invoice's buyer must be one of its parties"));
            }
            if new.amount == 0 {
                return Err(invalid("an invoice's amount must be above zero"));
            }
        }
        (None, Kind::Invoice) => {
            return Err(invalid(
                "an invoice record needs its code, number, seller and buyer",
            ))
        }
        (Some(_), _) => return Err(invalid("only an invoice record carries invoice fields")),
        (None, _) => {}
    }
    Ok(())
}

fn get(id: RecordId) -> Result<Option<Record>, Error> {
    Ok(storage::load(&keys::record_key(&id)))
}

fn invoice(query: InvoiceQuery) -> Result<Option<Record>, Error> {
    let key = keys::invoice_key(&query.code, &query.number, &query.seller);
    let Some(id) = storage::get(&key) else {
        return Ok(None);
    };
    let id: RecordId = id
        .try_into()
        .map_err(|_| invalid("a stored invoice index is not a record id"))?;
    get(id)
}

/// Helpers shared by this contract's tests and the other system contracts' tests.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use super::*;
    use alloc::vec::Vec;
    use catena_schema::records::Invoice;

    /// An invoice record of `amount` from `seller` to `buyer`, with a document hash made of
    /// `n`.
    pub fn invoice(n: u8, seller: &str, buyer: &str, amount: u64) -> NewRecord {
        NewRecord {
            kind: Kind::Invoice,
            doc_hash: [n; 32],
            parties: alloc::vec![seller.into(), buyer.into()],
            amount,
            currency: "CNY".into(),
            date_ms: 1,
            links: Vec::new(),
            invoice: Some(Invoice {
                code: "3100231130".into(),
                number: format!("{n:08}"),
                seller: seller.into(),
                buyer: buyer.into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
