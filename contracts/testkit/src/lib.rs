//! Native fixtures for the system contracts' tests: the demo consortium of DOMAIN.md as members
//! of the real registry contract, on the SDK's mock host. Member `i` has the single account
//! `[i; 32]`.

use catena_schema::registry::{Init, MemberRecord, MembershipGovernance};
use catena_schema::voucher::{Config, DAY_MS};
use catena_schema::{names, uscc, Account, Role, Uscc};
use catena_sdk::codec::{Decode, Encode};
use catena_sdk::mock;
use catena_sdk::Method;

pub mod model;

pub const REGISTRY: [u8; 32] = [0xE1; 32];
pub const RECORDS: [u8; 32] = [0xE2; 32];
pub const CASH: [u8; 32] = [0xE3; 32];
pub const VOUCHER: [u8; 32] = [0xE4; 32];
pub const LENDING: [u8; 32] = [0xE5; 32];
pub const RECEIPTS: [u8; 32] = [0xE6; 32];

/// The demo members: (account byte, name, first 17 USCC characters, role).
pub const MEMBERS: [(u8, &str, &str, Role); 8] = [
    (1, "Huaxia Motors", "91310000MA1FL0001", Role::Core),
    (2, "Tier-1 Steel", "91320500MA1MX0002", Role::Supplier),
    (3, "Tier-2 Parts", "91330200MA2AB0003", Role::Supplier),
    (4, "Tier-3 Materials", "91340100MA2CD0004", Role::Supplier),
    (5, "Merchant Bank", "91310000MA1GH0005", Role::Financier),
    (6, "Swift Logistics", "91440300MA5EF0006", Role::Logistics),
    (7, "Audit Office", "12100000MB0JK0007", Role::Auditor),
    (8, "Eastern Factoring", "91310000MA1GH0008", Role::Financier),
];

pub const CORE: u8 = 1;
pub const TIER1: u8 = 2;
pub const TIER2: u8 = 3;
pub const TIER3: u8 = 4;
pub const BANK: u8 = 5;
pub const LOGISTICS: u8 = 6;
pub const AUDITOR: u8 = 7;
pub const FACTOR: u8 = 8;
/// An account no member owns.
pub const OUTSIDER: u8 = 99;

pub fn account(member: u8) -> Account {
    [member; 32]
}

/// The USCC of demo member `member`; for any other number, a valid code no member has.
pub fn uscc_of(member: u8) -> Uscc {
    match MEMBERS.iter().find(|(i, ..)| *i == member) {
        Some((_, _, code, _)) => uscc::with_check(code),
        None => uscc::with_check(&format!("91990000MA9XX{member:04}")),
    }
}

/// Resets the mock host and deploys the registry with the demo members, governed by the core
/// enterprise, the bank and the logistics firm (two must approve).
pub fn registry() {
    mock::reset();
    mock::deploy(REGISTRY, registry::dispatch);
    for (i, name, _, role) in MEMBERS {
        let member = MemberRecord {
            name: name.into(),
            uscc: uscc_of(i),
            roles: vec![role],
            accounts: vec![account(i)],
        };
        for (key, value) in member.entries() {
            mock::put(REGISTRY, &key, &value);
        }
    }
    let init = Init {
        governance: MembershipGovernance {
            members: vec![uscc_of(CORE), uscc_of(BANK), uscc_of(LOGISTICS)],
            threshold: 2,
        },
        dependents: vec![CASH, VOUCHER],
        lines: Some(VOUCHER),
    };
    call(CORE, m::registry::INIT, &init).expect("the registry initialises");
}

/// The voucher contract's configuration for tests: the registry, records and cash contracts at
/// their mock ids, in CNY, parts of at least 1.00 and at most 10 a split, 64 parts settled a
/// call, and 10 days' grace before recourse.
pub fn voucher_config() -> Config {
    Config {
        registry: REGISTRY,
        records: RECORDS,
        cash: CASH,
        own_id: VOUCHER,
        currency: "CNY".into(),
        min_part: 100,
        max_parts: 10,
        settle_batch: 64,
        recourse_grace_ms: 10 * DAY_MS,
        lending: None,
    }
}

/// After [`registry`]: deploys the records, cash and voucher contracts (their native
/// `dispatch`) at their mock ids and has the core initialise them: the records over the
/// registry, the cash in CNY with the voucher and lending contracts as its operators, and the voucher
/// contract with `config`.
pub fn trade_contracts(
    records: mock::Dispatch,
    cash: mock::Dispatch,
    voucher: mock::Dispatch,
    config: &Config,
) {
    mock::deploy(RECORDS, records);
    mock::deploy(CASH, cash);
    mock::deploy(VOUCHER, voucher);
    let records_init = catena_schema::records::Init {
        registry: REGISTRY,
        quality: Default::default(),
    };
    call(CORE, m::records::INIT, &records_init).expect("the records contract initialises");
    let cash_init = catena_schema::cash::Init {
        registry: REGISTRY,
        operators: vec![VOUCHER, LENDING],
        currency: "CNY".into(),
    };
    call(CORE, m::cash::INIT, &cash_init).expect("the cash contract initialises");
    call(CORE, m::voucher::INIT, config).expect("the voucher contract initialises");
}

/// After [`trade_contracts`]: deploys the receipts and lending contracts (their native
/// `dispatch`) at their mock ids and has the core initialise them: the receipts with the lending
/// contract as operator, the lending contract over the registry, records, cash and receipts
/// contracts with the default credit rule and a loan-to-value limit of 70 %.
pub fn lending_contracts(receipts: mock::Dispatch, lending: mock::Dispatch) {
    mock::deploy(RECEIPTS, receipts);
    mock::deploy(LENDING, lending);
    let receipts_init = catena_schema::receipts::Init {
        registry: REGISTRY,
        records: RECORDS,
        operators: vec![LENDING],
    };
    call(CORE, m::receipts::INIT, &receipts_init).expect("the receipts contract initialises");
    let init = catena_schema::lending::Init {
        registry: REGISTRY,
        records: RECORDS,
        cash: CASH,
        receipts: RECEIPTS,
        own_id: LENDING,
        currency: "CNY".into(),
        credit: Default::default(),
        ltv_bps: 7_000,
        operators: vec![VOUCHER],
    };
    call(CORE, m::lending::INIT, &init).expect("the lending contract initialises");
}

/// The system contracts' methods, by contract: `m::voucher::SPLIT`.
pub mod m {
    pub use catena_schema::cash::method as cash;
    pub use catena_schema::lending::method as lending;
    pub use catena_schema::receipts::method as receipts;
    pub use catena_schema::records::method as records;
    pub use catena_schema::registry::method as registry;
    pub use catena_schema::voucher::method as voucher;
}

/// The mock id of the system contract `name` (one of [`catena_schema::names`]).
pub fn contract_id(name: &str) -> [u8; 32] {
    match name {
        names::REGISTRY => REGISTRY,
        names::RECORDS => RECORDS,
        names::CASH => CASH,
        names::VOUCHER => VOUCHER,
        names::LENDING => LENDING,
        names::RECEIPTS => RECEIPTS,
        other => panic!("'{other}' is not a system contract"),
    }
}

/// A transaction of member `who` calling `method` (of the contract it names) with `input`.
pub fn call<A: Encode, O>(who: u8, method: Method<A, O>, input: &A) -> Result<Vec<u8>, String> {
    call_bytes(who, method, &method.input(input))
}

/// [`call`] with raw input bytes, which need not decode as the method's argument.
pub fn call_bytes<A, O>(who: u8, method: Method<A, O>, input: &[u8]) -> Result<Vec<u8>, String> {
    mock::call(
        account(who),
        contract_id(method.contract),
        method.name,
        input,
    )
    .result
}

/// [`call`] by an outsider, decoding the output.
pub fn query<A: Encode, O: Decode>(method: Method<A, O>, input: &A) -> O {
    let output = call(OUTSIDER, method, input).expect("a query succeeds");
    method.output(&output).expect("a query's output decodes")
}

/// Runs `call` and asserts that it fails and changes nothing; returns its error.
pub fn refused<A: Encode, O>(who: u8, method: Method<A, O>, input: &A) -> String {
    let before = mock::snapshot();
    let error = call(who, method, input).expect_err("the call is refused");
    assert_eq!(
        mock::snapshot(),
        before,
        "a refused call changed state: {error}"
    );
    error
}
