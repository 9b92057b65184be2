use super::*;
use catena_abi::cash::Init;
use catena_sdk::mock;
use catena_testkit::{
    call, query, refused, registry, uscc_of, BANK, CASH, CORE, FACTOR, OUTSIDER, REGISTRY, TIER1,
    VOUCHER,
};

fn setup() {
    registry();
    mock::deploy(CASH, dispatch);
    let init = Init {
        registry: REGISTRY,
        operators: alloc::vec![VOUCHER],
        currency: "CNY".into(),
    };
    call(CORE, CASH, "init", &init).expect("init");
}

fn balance(member: u8) -> Amount {
    query(CASH, "balance", &uscc_of(member))
}

fn mint(financier: u8, to: u8, amount: Amount) -> Result<Vec<u8>, String> {
    call(
        financier,
        CASH,
        "mint",
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
        CASH,
        "transfer",
        &Transfer {
            to: uscc_of(TIER1),
            amount: 40_000,
        },
    )
    .expect("moved");
    call(
        TIER1,
        CASH,
        "transfer",
        &Transfer {
            to: uscc_of(BANK),
            amount: 10_000,
        },
    )
    .expect("moved");
    call(BANK, CASH, "burn", &10_000u64).expect("burned");
    assert_eq!(
        (balance(CORE), balance(TIER1), balance(BANK)),
        (60_000, 30_000, 0)
    );
    assert_eq!(query::<Amount>(CASH, "supply", &()), 90_000);
    assert_eq!(query::<Amount>(CASH, "custody", &uscc_of(BANK)), 90_000);
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
    // The factor holds cash, but did not mint it: it cannot burn what is not in its custody.
    assert!(refused(FACTOR, CASH, "burn", &1_000u64).contains("holds 0.00"));
}

fn refusedm(who: u8, to: u8, amount: Amount) -> String {
    refused(
        who,
        CASH,
        "mint",
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
    };
    assert_eq!(
        refused(CORE, CASH, "transfer", &to(TIER1, 5_001)),
        format!(
            "member {} holds 50.00 in cash, 50.01 is needed",
            uscc_of(CORE)
        )
    );
    assert_eq!(
        refused(CORE, CASH, "transfer", &to(TIER1, 0)),
        Error::ZeroAmount.to_string()
    );
    assert_eq!(
        refused(CORE, CASH, "transfer", &to(CORE, 1)),
        Error::ToSelf.to_string()
    );
    let stranger = Transfer {
        to: uscc_of(OUTSIDER),
        amount: 1,
    };
    assert!(refused(CORE, CASH, "transfer", &stranger).contains("is not a member"));
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
        refused(TIER1, CASH, "operator_transfer", &args),
        Error::NotAnOperator.to_string()
    );
}
