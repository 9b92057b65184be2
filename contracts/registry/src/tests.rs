use super::*;
use catena_schema::registry::{AuditGrant, AuditScope, GrantAudit, MemberRecord};
use catena_sdk::codec::Encode;
use catena_sdk::mock;

const REGISTRY: [u8; 32] = [0xEE; 32];

fn uscc_of(i: u8) -> String {
    uscc::with_check(&format!("9131000{i:02}MA1FL000"))
}

fn account_of(i: u8) -> Account {
    [i; 32]
}

/// Three governing members (threshold 2) and one ordinary member.
fn setup() {
    mock::reset();
    mock::deploy(REGISTRY, dispatch);
    for i in 1..=4 {
        let member = MemberRecord {
            name: format!("Member {i}"),
            uscc: uscc_of(i),
            roles: vec![Role::Supplier],
            accounts: vec![account_of(i)],
        };
        for (key, value) in member.entries() {
            mock::put(REGISTRY, &key, &value);
        }
    }
    let init = Init {
        governance: MembershipGovernance {
            members: (1..=3).map(uscc_of).collect(),
            threshold: 2,
        },
        dependents: vec![],
        lines: None,
    };
    assert_eq!(
        mock::call(account_of(1), REGISTRY, method::INIT.name, &init.encode()).result,
        Ok(Vec::new())
    );
}

fn call<A: Encode, O>(
    who: u8,
    method: catena_sdk::Method<A, O>,
    input: &A,
) -> Result<Vec<u8>, String> {
    mock::call(account_of(who), REGISTRY, method.name, &method.input(input)).result
}

fn new_member(i: u8) -> MemberRecord {
    MemberRecord {
        name: format!("New {i}"),
        uscc: uscc_of(i),
        roles: vec![Role::Financier],
        accounts: vec![account_of(i)],
    }
}

fn account_record(i: u8) -> Option<AccountRecord> {
    mock::get(REGISTRY, &keys::account_key(&account_of(i)))
        .map(|bytes| catena_sdk::decode(&bytes).expect("an account record"))
}

#[test]
fn a_member_is_added_once_the_threshold_approves() {
    setup();
    let id: u64 = catena_sdk::decode(
        &call(1, method::PROPOSE, &Change::AddMember(new_member(9))).expect("proposed"),
    )
    .expect("an id");
    assert_eq!(account_record(9), None, "one approval of two is not enough");
    assert_eq!(
        call(1, method::APPROVE, &id),
        Err(Error::AlreadyApproved(uscc_of(1)).to_string())
    );
    call(2, method::APPROVE, &id).expect("second approval");
    let record = account_record(9).expect("the new account is a member's");
    assert_eq!(record.uscc, uscc_of(9));
    assert_eq!(record.roles, vec![Role::Financier]);
    assert_eq!(
        call(3, method::APPROVE, &id),
        Err(Error::AlreadyApplied(id).to_string())
    );
}

#[test]
fn only_governing_members_propose_and_approve() {
    setup();
    let before = mock::snapshot();
    assert_eq!(
        call(4, method::PROPOSE, &Change::AddMember(new_member(9))),
        Err(Error::NotGoverning(uscc_of(4)).to_string())
    );
    assert_eq!(
        call(99, method::PROPOSE, &Change::AddMember(new_member(9))),
        Err(Error::NotAMember.to_string())
    );
    assert_eq!(mock::snapshot(), before, "refused calls change nothing");
}

#[test]
fn invalid_changes_are_refused_with_reasons() {
    setup();
    let before = mock::snapshot();
    let mut bad_code = new_member(9);
    bad_code.uscc.replace_range(17.., "0");
    let refused = |change: Change| call(1, method::PROPOSE, &change).expect_err("refused");
    assert!(refused(Change::AddMember(bad_code)).contains("check character"));
    assert!(refused(Change::AddMember(new_member(4))).contains("already exists"));
    let mut reused = new_member(9);
    reused.accounts = vec![account_of(2)];
    assert!(refused(Change::AddMember(reused)).contains("already belongs"));
    assert!(refused(Change::RemoveMember(uscc_of(2))).contains("governs"));
    assert!(refused(Change::RemoveAccount {
        uscc: uscc_of(4),
        account: account_of(4)
    })
    .contains("last account"));
    assert!(refused(Change::SetRoles {
        uscc: uscc_of(4),
        roles: vec![]
    })
    .contains("at least one role"));
    assert_eq!(mock::snapshot(), before);
}

#[test]
fn removing_a_member_removes_its_accounts() {
    setup();
    let id: u64 = catena_sdk::decode(
        &call(1, method::PROPOSE, &Change::RemoveMember(uscc_of(4))).expect("ok"),
    )
    .expect("id");
    call(3, method::APPROVE, &id).expect("approved");
    assert_eq!(account_record(4), None);
    let member: Option<MemberRecord> =
        catena_sdk::decode(&call(1, method::MEMBER, &uscc_of(4)).expect("query")).expect("decodes");
    assert_eq!(member, None);
    let all: Vec<MemberRecord> =
        catena_sdk::decode(&call(1, method::MEMBERS, &()).expect("query")).expect("decodes");
    assert_eq!(all.len(), 3);
}

#[test]
fn roles_and_accounts_change_together() {
    setup();
    for change in [
        Change::SetRoles {
            uscc: uscc_of(4),
            roles: vec![Role::Supplier, Role::Logistics],
        },
        Change::AddAccount {
            uscc: uscc_of(4),
            account: account_of(40),
        },
    ] {
        let id: u64 =
            catena_sdk::decode(&call(2, method::PROPOSE, &change).expect("ok")).expect("id");
        call(1, method::APPROVE, &id).expect("approved");
    }
    for account in [4, 40] {
        assert_eq!(
            account_record(account).expect("member").roles,
            vec![Role::Supplier, Role::Logistics]
        );
    }
}

#[test]
fn init_runs_once() {
    setup();
    let init = Init {
        governance: MembershipGovernance::default(),
        dependents: vec![],
        lines: None,
    };
    assert_eq!(
        call(1, method::INIT, &init),
        Err(Error::AlreadyInitialised.to_string())
    );
}

fn registered_nodes() -> Vec<NodeRecord> {
    catena_sdk::decode(&call(1, method::NODES, &()).expect("query")).expect("decodes")
}

#[test]
fn a_member_registers_and_removes_its_own_nodes() {
    setup();
    let (node_a, node_b) = ([0xA1; 32], [0xB2; 32]);
    call(4, method::REGISTER_NODE, &node_a).expect("registered");
    call(2, method::REGISTER_NODE, &node_b).expect("registered");
    assert_eq!(
        registered_nodes(),
        vec![
            NodeRecord {
                key: node_a,
                uscc: uscc_of(4)
            },
            NodeRecord {
                key: node_b,
                uscc: uscc_of(2)
            },
        ]
    );

    // Refusals change nothing.
    let before = mock::snapshot();
    let refused = |who: u8, m, key: &Account| call(who, m, key).expect_err("refused");
    assert!(refused(2, method::REGISTER_NODE, &node_a).contains("already registered by member"));
    assert!(refused(2, method::REMOVE_NODE, &node_a).contains("not by"));
    assert!(refused(2, method::REMOVE_NODE, &[0xC3; 32]).contains("is not registered"));
    assert_eq!(
        mock::call(
            [0x77; 32],
            REGISTRY,
            method::REGISTER_NODE.name,
            &[0xC3u8; 32].encode()
        )
        .result
        .expect_err("a stranger"),
        Error::NotAMember.to_string()
    );
    assert_eq!(mock::snapshot(), before);

    call(4, method::REMOVE_NODE, &node_a).expect("removed");
    assert_eq!(registered_nodes().len(), 1);
}

#[test]
fn a_member_has_at_most_sixteen_nodes_and_loses_them_when_removed() {
    setup();
    for i in 0..MAX_NODES_PER_MEMBER as u8 {
        call(4, method::REGISTER_NODE, &[i; 32]).expect("registered");
    }
    assert!(call(4, method::REGISTER_NODE, &[0xFF; 32])
        .expect_err("one too many")
        .contains("already has 16 nodes"));
    let id: u64 = catena_sdk::decode(
        &call(1, method::PROPOSE, &Change::RemoveMember(uscc_of(4))).expect("ok"),
    )
    .expect("id");
    call(3, method::APPROVE, &id).expect("approved");
    assert_eq!(registered_nodes(), vec![]);
}

/// Member 5 as an auditor.
fn add_auditor() {
    let auditor = MemberRecord {
        roles: vec![Role::Auditor],
        ..new_member(5)
    };
    for (key, value) in auditor.entries() {
        mock::put(REGISTRY, &key, &value);
    }
}

fn grants_of(auditor: u8) -> Vec<AuditGrant> {
    catena_sdk::decode(&call(1, method::AUDIT_GRANTS, &uscc_of(auditor)).expect("grants"))
        .expect("decoded")
}

#[test]
fn a_member_grants_an_auditor_its_own_data_and_the_quorum_the_whole_chain() {
    setup();
    add_auditor();
    mock::set_block(10, 1_000);
    let grant = |auditor: u8, from_ms, until_ms| GrantAudit {
        auditor: uscc_of(auditor),
        from_ms,
        until_ms,
    };
    // refused, changing nothing: not an auditor, an empty or past period, no member's call
    let before = mock::snapshot();
    for (who, bad, reason) in [
        (
            1,
            grant(2, 0, 5_000),
            "is not an auditor: grants are made to auditors",
        ),
        (
            1,
            grant(5, 5_000, 5_000),
            "a grant must end after it begins",
        ),
        (1, grant(5, 0, 900), "would already have ended"),
        (
            99,
            grant(5, 0, 5_000),
            "the caller is not an account of any member",
        ),
    ] {
        let refused = call(who, method::GRANT_AUDIT, &bad).expect_err("refused");
        assert!(refused.contains(reason), "{refused}");
    }
    assert_eq!(mock::snapshot(), before);

    call(1, method::GRANT_AUDIT, &grant(5, 0, 5_000)).expect("member 1 grants");
    call(2, method::GRANT_AUDIT, &grant(5, 2_000, 3_000)).expect("member 2 grants");
    let grants = grants_of(5);
    assert_eq!(grants.len(), 2);
    assert!(grants.contains(&AuditGrant {
        auditor: uscc_of(5),
        scope: AuditScope::Member(uscc_of(1)),
        from_ms: 0,
        until_ms: 5_000,
    }));
    assert!(grants[0].in_force(1_000) != grants[1].in_force(1_000));

    // revoked by its granter only
    let refused = call(3, method::REVOKE_AUDIT, &uscc_of(5)).expect_err("nothing to revoke");
    assert!(refused.contains("has granted auditor"), "{refused}");
    call(2, method::REVOKE_AUDIT, &uscc_of(5)).expect("revoked");
    assert_eq!(grants_of(5).len(), 1);

    // the whole chain: by the quorum
    let id: u64 = catena_sdk::decode(
        &call(
            1,
            method::PROPOSE,
            &Change::GrantChainAudit(grant(5, 0, 9_000)),
        )
        .expect("proposed"),
    )
    .expect("id");
    assert_eq!(grants_of(5).len(), 1, "one approval of two");
    call(3, method::APPROVE, &id).expect("approved");
    assert!(grants_of(5)
        .iter()
        .any(|g| g.scope == AuditScope::Chain && g.until_ms == 9_000));
    let refused =
        call(1, method::PROPOSE, &Change::RevokeChainAudit(uscc_of(4))).expect_err("no such grant");
    assert!(
        refused.contains("holds no grant of the whole chain"),
        "{refused}"
    );
}
