//! The products' invariants, checked on the contracts' own state after every step.

use super::*;

/// Every invariant, on the contracts' own state.
pub(crate) fn check(w: &World) -> Result<(), TestCaseError> {
    let now = mock::block().1;
    let all: Vec<Receipt> = (1..=w.receipts).filter_map(receipt).collect();
    // Quantities per original lot: issued + in − out over its tree = what its live parts hold.
    let root_of = |r: &Receipt| {
        let mut r = r.clone();
        while let Some(parent) = r.parent {
            r = all
                .iter()
                .find(|x| x.id == parent)
                .expect("a parent")
                .clone();
        }
        r.id
    };
    let mut trees: BTreeMap<ReceiptId, (i128, i128)> = BTreeMap::new();
    for r in &all {
        let entry = trees.entry(root_of(r)).or_default();
        entry.0 += i128::from(r.goods_in) - i128::from(r.goods_out);
        if r.status == ReceiptStatus::Live {
            entry.1 += i128::from(r.quantity);
        }
    }
    for (root, (moved, live)) in trees {
        let issued = i128::from(w.issued[&root]);
        prop_assert_eq!(
            issued + moved,
            live,
            "lot of receipt {} is not conserved",
            root
        );
    }
    // One live receipt per lot, and the lot's key names it.
    let mut lots = BTreeMap::new();
    for r in all.iter().filter(|r| r.status == ReceiptStatus::Live) {
        prop_assert!(
            lots.insert((r.warehouse.clone(), r.lot.clone()), r.id)
                .is_none(),
            "lot {} backs two live receipts",
            r.lot
        );
        let key = receipt_keys::lot_key(&r.warehouse, &r.lot);
        prop_assert_eq!(mock::get(RECEIPTS, &key), Some(r.id.to_be_bytes().to_vec()));
    }
    // One holder: each live receipt listed under exactly its owner.
    let mut listed: BTreeMap<ReceiptId, u32> = BTreeMap::new();
    for owner in OWNERS.iter().chain(&[BANK, FACTOR]) {
        let page = ReceiptPage {
            holder: Holder::Owner(uscc_of(*owner)),
            after: None,
            limit: 1_000,
        };
        let listing: ReceiptListing = query(m::receipts::LIST, &page);
        for id in listing.ids {
            *listed.entry(id).or_default() += 1;
            prop_assert_eq!(&all[id as usize - 1].owner, &uscc_of(*owner));
        }
    }
    for r in &all {
        let times = listed.get(&r.id).copied().unwrap_or(0);
        prop_assert_eq!(
            times,
            u32::from(r.status == ReceiptStatus::Live),
            "receipt {} listed {} times",
            r.id,
            times
        );
    }
    // Loans: outstanding = principal + interest − repayments; locks match outstanding loans.
    let loans: Vec<Loan> = (1..=w.loans).filter_map(loan).collect();
    for l in &loans {
        if let Some(a) = &l.accrual {
            let interest = l.interest_paid + a.interest_owed(now);
            if l.status.is_outstanding() {
                prop_assert_eq!(
                    a.owed(now),
                    l.amount + interest - a.received,
                    "loan {}",
                    l.id
                );
            }
            prop_assert_eq!(
                a.received,
                w.repaid.get(&l.id).copied().unwrap_or(0),
                "loan {} received",
                l.id
            );
        }
        if let Some(id) = l.collateral.receipt() {
            let r = &all[id as usize - 1];
            let locked_for_it = r
                .lock
                .as_ref()
                .is_some_and(|k| k.loan == l.id && k.pledgee == l.lender);
            prop_assert_eq!(
                locked_for_it,
                l.status.is_outstanding(),
                "loan {} ({:?}) and receipt {}'s lock",
                l.id,
                l.status,
                id
            );
        }
    }
    for r in &all {
        if let Some(lock) = &r.lock {
            prop_assert!(
                lock.taken_out <= lock.released,
                "goods left receipt {} without consent",
                r.id
            );
            let held = loans
                .iter()
                .find(|l| l.id == lock.loan)
                .expect("the lock's loan");
            prop_assert!(held.status.is_outstanding() && held.collateral.receipt() == Some(r.id));
        }
    }
    // Cash per custodian: minted − burned = what members hold of it.
    let mut held: BTreeMap<Uscc, Amount> = BTreeMap::new();
    let balances: Vec<u8> = [&CASH[..], cash_keys::BALANCE].concat();
    let (entries, _) = mock::snapshot();
    for (key, value) in entries
        .range(balances.clone()..)
        .take_while(|(k, _)| k.starts_with(&balances))
    {
        let custodian = key.rsplit(|b| *b == b'/').next().expect("a custodian");
        let custodian = String::from_utf8(custodian.to_vec()).expect("utf-8");
        *held.entry(custodian).or_default() +=
            catena_sdk::decode::<Amount>(value).expect("an amount");
    }
    let mut total = 0;
    for financier in [BANK, FACTOR] {
        let custody: Amount = query(m::cash::CUSTODY, &uscc_of(financier));
        prop_assert_eq!(custody, held.get(&uscc_of(financier)).copied().unwrap_or(0));
        total += custody;
    }
    prop_assert_eq!(total, w.minted);
    Ok(())
}
