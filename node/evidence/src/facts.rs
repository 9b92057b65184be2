//! What the verified parts of a bundle establish, in words, each fact with what it rests on.

use std::collections::BTreeMap;

use catena_primitives::block::Header;
use catena_primitives::parachain::AnchoredBlock;
use catena_primitives::through_anchor::{Certified, Entry};
use catena_primitives::tx::contract_storage_key;
use catena_primitives::Transaction;
use catena_primitives::{system_contract_id, AccountId, Call, Hash, Receipt, ReceiptStatus};
use catena_schema::records::{keys as record_keys, Record};
use catena_schema::registry::{keys as registry_keys, AccountRecord};
use catena_schema::voucher::{keys as voucher_keys, Action, HistoryEntry, Voucher};
use catena_schema::{format_amount, names};
use parity_scale_codec::DecodeAll;

use super::{Bundle, BundleSubject};

/// What a bundle does not prove, said with every verification.
pub const LIMITS: [&str; 4] = [
    "that a recorded document is true, or that a party meant what it signed: only that these bytes were recorded and signed as shown",
    "anything after the anchored block (or, on the main chain, after the main header the bundle rests on)",
    "times finer than the validators' clocks: a block's time is its proposer's, checked by the others only to within their bounds",
    "that the trust root is the consortium's: compare the main chain's id and its genesis validators with its published spec",
];

/// One fact and what it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub text: String,
    pub rests_on: String,
}

/// UTC date and time of milliseconds since 1970 (with the `time` crate, as the CLI writes times).
pub fn utc(ms: u64) -> String {
    let form =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    i64::try_from(ms / 1000)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|t| t.format(form).ok())
        .unwrap_or_else(|| format!("{ms} ms after 1970"))
}

/// The verified parts of a bundle, gathered as verification goes.
pub struct Proved {
    chain_id: String,
    main_id: String,
    main_height: u64,
    main_time: u64,
    main_handovers: usize,
    main_signers: usize,
    main_set: usize,
    anchored: Option<(AnchoredBlock, usize)>,
    vouchers: BTreeMap<u64, Voucher>,
    history: BTreeMap<(u64, u32), HistoryEntry>,
    records: BTreeMap<[u8; 32], Record>,
    accounts: BTreeMap<[u8; 32], AccountRecord>,
    blocks: Vec<Header>,
    transactions: Vec<(Header, Transaction, Receipt)>,
    documents: Vec<Hash>,
    /// The state-key prefixes of the entries a bundle carries.
    prefixes: Prefixes,
}

/// Where a bundle's entries live in state: vouchers, their history, records, accounts.
struct Prefixes {
    voucher: Vec<u8>,
    history: Vec<u8>,
    record: Vec<u8>,
    account: Vec<u8>,
}

impl Prefixes {
    fn new() -> Prefixes {
        let voucher = system_contract_id(names::VOUCHER);
        Prefixes {
            voucher: contract_storage_key(&voucher, voucher_keys::VOUCHER),
            history: contract_storage_key(&voucher, voucher_keys::HISTORY),
            record: contract_storage_key(&system_contract_id(names::RECORDS), record_keys::RECORD),
            account: contract_storage_key(
                &system_contract_id(names::REGISTRY),
                registry_keys::ACCOUNT,
            ),
        }
    }
}

impl Proved {
    pub fn new(
        bundle: &Bundle,
        main: &Certified,
        header: &Header,
        genesis: &[AccountId],
    ) -> Proved {
        Proved {
            chain_id: bundle.chain_id.clone(),
            main_id: main.chain_id.clone(),
            main_height: header.height,
            main_time: header.time_ms,
            main_handovers: main.handovers.len(),
            main_signers: main.header.certificate.signatures.len(),
            main_set: genesis.len(),
            anchored: None,
            vouchers: BTreeMap::new(),
            history: BTreeMap::new(),
            records: BTreeMap::new(),
            accounts: BTreeMap::new(),
            blocks: Vec::new(),
            transactions: Vec::new(),
            documents: Vec::new(),
            prefixes: Prefixes::new(),
        }
    }

    pub fn anchored(&mut self, anchored: AnchoredBlock, genesis: Vec<AccountId>) {
        self.anchored = Some((anchored, genesis.len()));
    }

    /// Takes a verified entry: one of the keys a bundle carries, decoded.
    pub fn entry(&mut self, entry: Entry) -> Result<(), String> {
        let value = entry
            .value
            .as_deref()
            .ok_or("the entry proves an absence, which a bundle does not carry")?;
        let decoded = |what: &str| format!("the {what} does not decode");
        let key = entry.key.as_slice();
        if let Some(rest) = key.strip_prefix(self.prefixes.voucher.as_slice()) {
            let id = u64::from_be_bytes(rest.try_into().map_err(|_| "a voucher key is malformed")?);
            let v = Voucher::decode_all(&mut &value[..]).map_err(|_| decoded("voucher"))?;
            if v.id != id {
                return Err(format!("the voucher under key {id} is voucher {}", v.id));
            }
            self.vouchers.insert(id, v);
        } else if let Some(rest) = key.strip_prefix(self.prefixes.history.as_slice()) {
            // `<id BE>/<n BE>`
            if rest.len() != 13 || rest[8] != b'/' {
                return Err("a history key is malformed".into());
            }
            let id = u64::from_be_bytes(rest[..8].try_into().expect("8 bytes"));
            let n = u32::from_be_bytes(rest[9..].try_into().expect("4 bytes"));
            let h =
                HistoryEntry::decode_all(&mut &value[..]).map_err(|_| decoded("history entry"))?;
            self.history.insert((id, n), h);
        } else if let Some(rest) = key.strip_prefix(self.prefixes.record.as_slice()) {
            let id: [u8; 32] = rest.try_into().map_err(|_| "a record key is malformed")?;
            let r = Record::decode_all(&mut &value[..]).map_err(|_| decoded("record"))?;
            if r.id != id {
                return Err("the record under a key is another record".into());
            }
            self.records.insert(id, r);
        } else if let Some(rest) = key.strip_prefix(self.prefixes.account.as_slice()) {
            let id: [u8; 32] = rest.try_into().map_err(|_| "an account key is malformed")?;
            let a = AccountRecord::decode_all(&mut &value[..]).map_err(|_| decoded("account"))?;
            self.accounts.insert(id, a);
        } else {
            return Err(format!(
                "the key 0x{} is none a bundle carries",
                hex::encode(key)
            ));
        }
        Ok(())
    }

    pub fn block(&mut self, header: Header) {
        self.blocks.push(header);
    }

    pub fn transaction(&mut self, header: &Header, tx: Transaction, receipt: Receipt) {
        self.transactions.push((header.clone(), tx, receipt));
    }

    /// Takes a document whose content has `sha256`: it must be a proved record's.
    pub fn document(&mut self, sha256: Hash) -> Result<(), String> {
        if !self.records.contains_key(&sha256.0) {
            return Err(format!("document {sha256} is not among the proved records"));
        }
        self.documents.push(sha256);
        Ok(())
    }

    fn member_of(&self, account: &AccountId) -> String {
        match self.accounts.get(&account.0) {
            Some(a) => format!("account {account} of member {} ({})", a.member, a.uscc),
            None => format!("account {account}"),
        }
    }

    /// The facts, the subject's first; `Err` if the bundle does not prove its subject.
    pub fn facts(&self, subject: &BundleSubject) -> Result<Vec<Fact>, String> {
        let chain = &self.chain_id;
        let (state, state_rests) = match &self.anchored {
            Some((a, _)) => (
                format!("{chain}'s block {} ({})", a.height, utc(a.time_ms)),
                format!(
                    "{chain}'s state at its block {}, anchored on the main chain",
                    a.height
                ),
            ),
            None => (
                format!("main block {}", self.main_height),
                format!("the main chain's state at block {}", self.main_height),
            ),
        };
        let mut facts = vec![Fact {
            text: format!(
                "The main chain '{}' certified its block {} ({}).",
                self.main_id,
                self.main_height,
                utc(self.main_time)
            ),
            rests_on: format!(
                "the trust root ({} genesis validators), {} validator-set change(s) followed, {} signatures of the block's certificate",
                self.main_set, self.main_handovers, self.main_signers
            ),
        }];
        if let Some((a, set)) = &self.anchored {
            facts.push(Fact {
                text: format!(
                    "Parachain '{chain}' is registered on the main chain ({set} genesis validators), and its block {} ({}, state root {}) is anchored there by main block {}.",
                    a.height,
                    utc(a.time_ms),
                    a.state_root,
                    a.main_height
                ),
                rests_on: format!("the main chain's state at block {}", self.main_height),
            });
        }
        match subject {
            BundleSubject::Voucher(id) => {
                let voucher = self
                    .vouchers
                    .get(id)
                    .ok_or_else(|| format!("the bundle proves no voucher {id}"))?;
                self.voucher_facts(voucher, &state, &state_rests, &mut facts);
                let mut ancestor = voucher.parent;
                while let Some(parent) = ancestor {
                    let Some(v) = self.vouchers.get(&parent) else {
                        break;
                    };
                    self.voucher_facts(v, &state, &state_rests, &mut facts);
                    ancestor = v.parent;
                }
            }
            BundleSubject::Record(hash) => {
                let id: [u8; 32] = hash
                    .0
                    .as_slice()
                    .try_into()
                    .map_err(|_| "a record id is 32 bytes")?;
                if !self.records.contains_key(&id) {
                    return Err(format!("the bundle proves no record 0x{}", hex::encode(id)));
                }
            }
        }
        for record in self.records.values() {
            let invoice = record
                .invoice
                .as_ref()
                .map(|i| {
                    format!(
                        ", invoice {} {} from {} to {}",
                        i.code, i.number, i.seller, i.buyer
                    )
                })
                .unwrap_or_default();
            facts.push(Fact {
                text: format!(
                    "Document sha256 0x{} ({}, {} {}{invoice}) was recorded by member {} with account {} at {chain}'s block {} ({}), so it existed no later than then; parties: {}.",
                    hex::encode(record.id),
                    record.kind.as_str(),
                    format_amount(record.amount),
                    record.currency,
                    record.recorder,
                    AccountId(record.recorder_account),
                    record.height,
                    utc(record.time_ms),
                    record.parties.join(", ")
                ),
                rests_on: state_rests.clone(),
            });
        }
        for (id, account) in &self.accounts {
            facts.push(Fact {
                text: format!(
                    "Account {} is an account of member {} ({}).",
                    AccountId(*id),
                    account.member,
                    account.uscc
                ),
                rests_on: state_rests.clone(),
            });
        }
        for header in &self.blocks {
            facts.push(Fact {
                text: format!(
                    "{chain}'s block {} ({}) was certified by its validators.",
                    header.height,
                    utc(header.time_ms)
                ),
                rests_on: format!("{chain}'s genesis validators and its validator-set changes"),
            });
        }
        for (header, tx, receipt) in &self.transactions {
            let call = match &tx.call {
                Call::CallContract {
                    contract, method, ..
                } => {
                    let name = names::SYSTEM
                        .iter()
                        .find(|n| system_contract_id(n) == *contract)
                        .map_or_else(|| contract.to_string(), |n| n.to_string());
                    format!("called {name}.{method}")
                }
                other => format!("made a {} call", other.name()),
            };
            let outcome = match &receipt.status {
                ReceiptStatus::Success => "it succeeded".to_string(),
                ReceiptStatus::Failed(reason) => format!("it failed: {reason}"),
            };
            facts.push(Fact {
                text: format!(
                    "Transaction {} in {chain}'s block {} ({}) was signed by {} and {call}; {outcome}.",
                    tx.hash(),
                    header.height,
                    utc(header.time_ms),
                    self.member_of(&tx.signer)
                ),
                rests_on: format!(
                    "the signature, and block {}'s transaction and receipts roots",
                    header.height
                ),
            });
        }
        for sha in &self.documents {
            facts.push(Fact {
                text: format!("The document carried with SHA-256 {sha} is the one recorded."),
                rests_on: "its SHA-256".into(),
            });
        }
        Ok(facts)
    }

    fn voucher_facts(&self, v: &Voucher, state: &str, rests: &str, facts: &mut Vec<Fact>) {
        facts.push(Fact {
            text: format!(
                "At {state}, voucher {} (issued by {}, original {}{}) for {} {} is held by {}, {} paid, maturing {}, status {:?}.",
                v.id,
                v.issuer,
                v.root,
                v.parent.map(|p| format!(", split from {p}")).unwrap_or_default(),
                format_amount(v.amount),
                v.currency,
                v.holder,
                format_amount(v.paid),
                utc(v.maturity_ms),
                v.status
            ),
            rests_on: rests.into(),
        });
        let mut holder: Option<(String, u64, u64)> = None;
        let mut split_at: Option<(u64, u64)> = None;
        let mut ended: Option<(u64, u64)> = None;
        for n in 0..v.history_len {
            let Some(h) = self.history.get(&(v.id, n)) else {
                continue;
            };
            let new_holder = match &h.action {
                Action::Issued { holder, .. } => Some(holder.clone()),
                Action::Transferred { from, to } => {
                    // A part's first holder is its parent's, from the split.
                    if holder.is_none() {
                        let (height, time) = split_at.unwrap_or((h.height, h.time_ms));
                        holder = Some((from.clone(), height, time));
                    }
                    Some(to.clone())
                }
                Action::Factored { financier, .. } => Some(financier.clone()),
                Action::Recourse { seller, .. } => Some(seller.clone()),
                Action::SplitFrom(_) => {
                    split_at = Some((h.height, h.time_ms));
                    None
                }
                Action::SplitInto(_) | Action::Cancelled => {
                    ended = Some((h.height, h.time_ms));
                    None
                }
                _ => None,
            };
            facts.push(Fact {
                text: format!(
                    "At {}'s block {} ({}), voucher {}: {:?}.",
                    self.chain_id,
                    h.height,
                    utc(h.time_ms),
                    v.id,
                    h.action
                ),
                rests_on: format!("{rests} (its history entry {n})"),
            });
            if let Some(next) = new_holder {
                if let Some((who, from, at)) = holder.take() {
                    facts.push(Fact {
                        text: format!(
                            "Voucher {} was held by {who} from block {from} ({}) to block {} ({}).",
                            v.id,
                            utc(at),
                            h.height,
                            utc(h.time_ms)
                        ),
                        rests_on: format!("{rests} (its history)"),
                    });
                }
                holder = Some((next, h.height, h.time_ms));
            }
        }
        if let Some((who, from, at)) = holder {
            let until = match ended {
                Some((height, time)) => format!(
                    "block {height} ({}), when it was split or cancelled",
                    utc(time)
                ),
                None => format!("at least {state}"),
            };
            facts.push(Fact {
                text: format!(
                    "Voucher {} was held by {who} from block {from} ({}) to {until}.",
                    v.id,
                    utc(at)
                ),
                rests_on: format!("{rests} (its history)"),
            });
        }
    }
}
