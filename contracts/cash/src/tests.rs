use super::*;
use catena_schema::cash::Init;
use catena_sdk::mock;
use catena_testkit::{
    call, m, query, refused, registry, uscc_of, AUDITOR, BANK, CASH, CORE, FACTOR, OUTSIDER,
    REGISTRY, TIER1, VOUCHER,
};

fn setup() {
    registry();
    mock::deploy(CASH, dispatch);
    let init = Init {
        registry: REGISTRY,
        operators: alloc::vec![VOUCHER],
        currency: "CNY".into(),
    };
    call(CORE, m::cash::INIT, &init).expect("init");
}

fn balance(member: u8) -> Amount {
    query(m::cash::BALANCE, &uscc_of(member))
}

fn mint(financier: u8, to: u8, amount: Amount) -> Result<Vec<u8>, String> {
    call(
        financier,
        m::cash::MINT,
        &Mint {
            to: uscc_of(to),
            amount,
        },
    )
}

#[test]
fn mint_transfer_burn_conserve_cash() {
    setup();
    mint(BANK, CORE, 10_0000).expect("minted");
    call(
        CORE,
        m::cash::TRANSFER,
        &Transfer {
            to: uscc_of(TIER1),
            amount: 40_000,
            custodian: None,
        },
    )
    .expect("moved");
    call(
        TIER1,
        m::cash::TRANSFER,
        &Transfer {
            to: uscc_of(BANK),
            amount: 10_000,
            custodian: None,
        },
    )
    .expect("moved");
    call(BANK, m::cash::BURN, &10_000u64).expect("burned");
    assert_eq!(
        (balance(CORE), balance(TIER1), balance(BANK)),
        (60_000, 30_000, 0)
    );
    assert_eq!(query(m::cash::SUPPLY, &()), 90_000);
    assert_eq!(query(m::cash::CUSTODY, &uscc_of(BANK)), 90_000);
}

#[test]
fn only_financiers_mint_and_burn() {
    setup();
    assert_eq!(
        refusedm(CORE, CORE, 5),
        Error::NotAFinancier(uscc_of(CORE)).to_string()
    );
    assert_eq!(refusedm(OUTSIDER, CORE, 5), Error::NotAMember.to_string());
    mint(BANK, FACTOR, 1_000).expect("minted for the factor");
    // The factor holds cash, but the bank's: it cannot burn what is not a claim on itself.
    assert_eq!(
        refused(FACTOR, m::cash::BURN, &1_000u64),
        format!(
            "financier {} holds 0.00 of its own cash, 10.00 is needed to burn; the 10.00 it holds of other custodians' cash is redeemed with them (transfer it to its custodian)",
            uscc_of(FACTOR)
        )
    );
}

fn refusedm(who: u8, to: u8, amount: Amount) -> String {
    refused(
        who,
        m::cash::MINT,
        &Mint {
            to: uscc_of(to),
            amount,
        },
    )
}

#[test]
fn bad_transfers_change_nothing() {
    setup();
    mint(BANK, CORE, 5_000).expect("minted");
    let to = |m: u8, amount| Transfer {
        to: uscc_of(m),
        amount,
        custodian: None,
    };
    assert_eq!(
        refused(CORE, m::cash::TRANSFER, &to(TIER1, 5_001)),
        format!(
            "member {} holds 50.00 in cash, 50.01 is needed",
            uscc_of(CORE)
        )
    );
    assert_eq!(
        refused(CORE, m::cash::TRANSFER, &to(TIER1, 0)),
        Error::ZeroAmount.to_string()
    );
    assert_eq!(
        refused(CORE, m::cash::TRANSFER, &to(CORE, 1)),
        Error::ToSelf.to_string()
    );
    let stranger = Transfer {
        to: uscc_of(OUTSIDER),
        amount: 1,
        custodian: None,
    };
    assert!(refused(CORE, m::cash::TRANSFER, &stranger).contains("is not a member"));
    assert_eq!(refusedm(BANK, CORE, 0), Error::ZeroAmount.to_string());
    assert_eq!(
        refusedm(BANK, CORE, u64::MAX),
        Error::Overflow.to_string(),
        "the supply cannot overflow"
    );
}

#[test]
fn only_operators_move_others_cash() {
    setup();
    mint(BANK, CORE, 5_000).expect("minted");
    let args = OperatorTransfer {
        from: uscc_of(CORE),
        to: uscc_of(TIER1),
        amount: 1_000,
    };
    assert_eq!(
        refused(TIER1, m::cash::OPERATOR_TRANSFER, &args),
        Error::NotAnOperator.to_string()
    );
}

fn pay(from: u8, to: u8, amount: Amount, custodian: Option<u8>) -> Result<Vec<u8>, String> {
    let args = Transfer {
        to: uscc_of(to),
        amount,
        custodian: custodian.map(uscc_of),
    };
    call(from, m::cash::TRANSFER, &args)
}

fn custody(financier: u8) -> Amount {
    query(m::cash::CUSTODY, &uscc_of(financier))
}

fn balances(member: u8) -> Vec<(u8, Amount)> {
    let held: Vec<Balance> = query(m::cash::BALANCES, &uscc_of(member));
    held.into_iter()
        .map(|b| {
            let who = [BANK, FACTOR]
                .into_iter()
                .find(|f| uscc_of(*f) == b.custodian)
                .expect("a financier");
            (who, b.amount)
        })
        .collect()
}

/// The case: after (BANK mints 100 to CORE; FACTOR mints 100 to TIER1; TIER1 pays BANK
/// 100; BANK burns 100; CORE pays BANK 100 to withdraw) a single fungible ledger let BANK burn
/// FACTOR's cash and then not CORE's withdrawal. Per custodian, each claim stays on its issuer.
#[test]
fn every_unit_is_a_claim_on_one_custodian() {
    setup();
    mint(BANK, CORE, 100).expect("minted");
    mint(FACTOR, TIER1, 100).expect("minted");
    pay(TIER1, BANK, 100, None).expect("paid");
    assert_eq!(balances(BANK), vec![(FACTOR, 100)]);
    // BANK cannot burn FACTOR's cash: it redeems it with FACTOR.
    assert!(refused(BANK, m::cash::BURN, &100u64).contains("redeemed with them"));
    pay(CORE, BANK, 100, None).expect("CORE withdraws");
    assert_eq!(balances(BANK), vec![(BANK, 100), (FACTOR, 100)]);
    call(BANK, m::cash::BURN, &100u64).expect("BANK burns CORE's withdrawal");
    assert_eq!((custody(BANK), custody(FACTOR)), (0, 100));
    // Redemption: BANK hands FACTOR's cash back to FACTOR, which burns it.
    assert!(refused(
        BANK,
        m::cash::TRANSFER,
        &Transfer {
            to: uscc_of(FACTOR),
            amount: 100,
            custodian: Some(uscc_of(BANK)),
        }
    )
    .contains("custodied by"));
    pay(BANK, FACTOR, 100, Some(FACTOR)).expect("redeemed");
    call(FACTOR, m::cash::BURN, &100u64).expect("burned");
    assert_eq!((custody(BANK), custody(FACTOR)), (0, 0));
    assert_eq!(query(m::cash::SUPPLY, &()), 0);
}

#[test]
fn payments_take_the_payees_own_cash_first() {
    setup();
    mint(BANK, CORE, 500).expect("minted");
    mint(FACTOR, CORE, 300).expect("minted");
    // To the factor: its own 300 first, then the bank's.
    pay(CORE, FACTOR, 400, None).expect("paid");
    assert_eq!(balances(FACTOR), vec![(BANK, 100), (FACTOR, 300)]);
    assert_eq!(balances(CORE), vec![(BANK, 400)]);
    assert_eq!(balance(CORE), 400);
    assert_eq!((custody(BANK), custody(FACTOR)), (500, 300));
}

#[test]
fn auditors_hold_and_move_no_cash() {
    setup();
    let to_auditor = Mint {
        to: uscc_of(AUDITOR),
        amount: 5,
    };
    assert_eq!(
        refused(BANK, m::cash::MINT, &to_auditor),
        Error::Auditor(uscc_of(AUDITOR)).to_string()
    );
    mint(BANK, CORE, 500).expect("minted");
    let pay_auditor = Transfer {
        to: uscc_of(AUDITOR),
        amount: 5,
        custodian: None,
    };
    assert!(refused(CORE, m::cash::TRANSFER, &pay_auditor).contains("is an auditor"));
    let from_auditor = Transfer {
        to: uscc_of(CORE),
        amount: 5,
        custodian: None,
    };
    assert!(refused(AUDITOR, m::cash::TRANSFER, &from_auditor).contains("is an auditor"));
}
