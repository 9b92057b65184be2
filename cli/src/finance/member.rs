//! `catena member`: the consortium's members, and membership changes by the governing quorum.

use super::*;

#[derive(Subcommand)]
pub enum MemberCommand {
    /// Every member with its roles and accounts.
    List(QueryArgs),
    /// One member, by USCC, name or demo identity.
    Show {
        member: String,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// A governing member proposes a change of membership (it counts as its approval).
    #[command(subcommand)]
    Propose(ProposeCommand),
    /// A governing member approves a membership proposal; at the threshold it applies.
    Approve {
        proposal: u64,
        #[command(flatten)]
        send: SendArgs,
    },
    /// A membership proposal: the change, who approved, whether it is applied.
    Proposal {
        proposal: u64,
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Register a node of the signing member: the chain's nodes admit its peer id to the
    /// network from the next block (no approval needed; at most 16 per member).
    RegisterNode {
        /// The node's peer id (`catena init` and `catena key inspect` print it).
        peer_id: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Remove a node of the signing member: the chain's nodes disconnect and refuse it.
    RemoveNode {
        peer_id: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The members' registered nodes.
    Nodes(QueryArgs),
}

/// The ed25519 key behind a peer id, as the registry stores it.
fn node_key(peer_id: &str) -> anyhow::Result<[u8; 32]> {
    catena_chain_spec::peer_id::parse(peer_id)
        .map(|account| account.0)
        .map_err(|e| anyhow::anyhow!("'{peer_id}' is not a node's peer id: {e}"))
}

#[derive(Subcommand)]
pub enum ProposeCommand {
    /// Admit a new member.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        uscc: String,
        /// core, supplier, financier, logistics, auditor (repeat for each).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// An account (0x + 64 hex digits) of the member (repeat for each).
        #[arg(long = "account", required = true)]
        accounts: Vec<catena_primitives::AccountId>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Remove a member and all its accounts.
    Remove {
        member: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Replace a member's roles.
    SetRoles {
        member: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Give a member another account.
    AddAccount {
        member: String,
        #[arg(long)]
        account: catena_primitives::AccountId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Take an account from a member (not its last).
    RemoveAccount {
        member: String,
        #[arg(long)]
        account: catena_primitives::AccountId,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Revoke a financier's credit line to a core enterprise: it backs what it backs, takes no
    /// new draw, and stays revoked (its financier cannot grant it again) until the quorum
    /// restores it.
    RevokeLine {
        /// The core enterprise.
        issuer: String,
        #[arg(long)]
        financier: String,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Restore a credit line the quorum revoked: its financier may grant and change it again.
    RestoreLine {
        /// The core enterprise.
        issuer: String,
        #[arg(long)]
        financier: String,
        #[command(flatten)]
        send: SendArgs,
    },
}

pub(crate) fn roles(names: &[String]) -> anyhow::Result<Vec<catena_schema::Role>> {
    names
        .iter()
        .map(|r| {
            catena_schema::Role::parse(r).with_context(|| {
                format!("'{r}' is not a role: core, supplier, financier, logistics, auditor")
            })
        })
        .collect()
}

pub(crate) fn propose(home: Option<&Path>, command: ProposeCommand) -> anyhow::Result<()> {
    use catena_schema::registry::Change;
    let (change, send) = match command {
        ProposeCommand::Add {
            name,
            uscc,
            roles: r,
            accounts,
            send,
        } => (
            Change::AddMember(MemberRecord {
                name,
                uscc,
                roles: roles(&r)?,
                accounts: accounts.iter().map(|a| a.0).collect(),
            }),
            send,
        ),
        ProposeCommand::Remove { member, send } => {
            let uscc = Finance::new(home, &send.query)?.uscc(&member)?;
            (Change::RemoveMember(uscc), send)
        }
        ProposeCommand::SetRoles {
            member,
            roles: r,
            send,
        } => {
            let uscc = Finance::new(home, &send.query)?.uscc(&member)?;
            (
                Change::SetRoles {
                    uscc,
                    roles: roles(&r)?,
                },
                send,
            )
        }
        ProposeCommand::AddAccount {
            member,
            account,
            send,
        } => {
            let uscc = Finance::new(home, &send.query)?.uscc(&member)?;
            (
                Change::AddAccount {
                    uscc,
                    account: account.0,
                },
                send,
            )
        }
        ProposeCommand::RemoveAccount {
            member,
            account,
            send,
        } => {
            let uscc = Finance::new(home, &send.query)?.uscc(&member)?;
            (
                Change::RemoveAccount {
                    uscc,
                    account: account.0,
                },
                send,
            )
        }
        ProposeCommand::RevokeLine {
            issuer,
            financier,
            send,
        } => {
            let (issuer, financier) = line_of(home, &send, &issuer, &financier)?;
            (Change::RevokeCreditLine { issuer, financier }, send)
        }
        ProposeCommand::RestoreLine {
            issuer,
            financier,
            send,
        } => {
            let (issuer, financier) = line_of(home, &send, &issuer, &financier)?;
            (Change::RestoreCreditLine { issuer, financier }, send)
        }
    };
    let out = call(home, &send, registry_method::PROPOSE, change)?;
    report_proposal(
        home,
        &send,
        &out.sent,
        out.output,
        ": waiting for approvals",
    )
}

/// Prints membership proposal `id`, applied or, if it is still open, `open`.
/// The (issuer, financier) of a credit line, each named by USCC, name or demo identity.
fn line_of(
    home: Option<&Path>,
    send: &SendArgs,
    issuer: &str,
    financier: &str,
) -> anyhow::Result<(Uscc, Uscc)> {
    let f = Finance::new(home, &send.query)?;
    Ok((f.uscc(issuer)?, f.uscc(financier)?))
}

pub(crate) fn report_proposal(
    home: Option<&Path>,
    send: &SendArgs,
    sent: &crate::Sent,
    id: Option<u64>,
    open: &str,
) -> anyhow::Result<()> {
    let Some(id) = id.filter(|_| sent.view.is_some()) else {
        return sent.report(send, "", json!({}));
    };
    let applied = proposal_applied(&Finance::new(home, &send.query)?, id)?;
    sent.report(
        send,
        &format!(
            "membership proposal {id}{}",
            if applied { ": applied" } else { open }
        ),
        json!({ "proposal": id, "applied": applied }),
    )
}

/// Whether membership proposal `id` is no longer open (its change applied).
pub(crate) fn proposal_applied(f: &Finance, id: u64) -> anyhow::Result<bool> {
    let proposal: Option<catena_schema::registry::MembershipProposal> =
        f.query(registry_method::PROPOSAL, id)?;
    Ok(proposal
        .is_some_and(|p| p.status != catena_schema::registry::MembershipProposalStatus::Open))
}

pub fn member(home: Option<&Path>, command: MemberCommand) -> anyhow::Result<()> {
    let member_json = |m: &MemberRecord| {
        json!({
            "name": m.name,
            "uscc": m.uscc,
            "roles": m.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "accounts": m.accounts.iter().map(|a| catena_primitives::AccountId(*a).to_string()).collect::<Vec<_>>(),
        })
    };
    match command {
        MemberCommand::Propose(p) => propose(home, p),
        MemberCommand::RegisterNode { peer_id, send } => call(
            home,
            &send,
            registry_method::REGISTER_NODE,
            node_key(&peer_id)?,
        )?
        .report(
            &send,
            &format!("node {peer_id} registered"),
            json!({ "peer_id": peer_id }),
        ),
        MemberCommand::RemoveNode { peer_id, send } => call(
            home,
            &send,
            registry_method::REMOVE_NODE,
            node_key(&peer_id)?,
        )?
        .report(
            &send,
            &format!("node {peer_id} removed"),
            json!({ "peer_id": peer_id }),
        ),
        MemberCommand::Nodes(query) => {
            let nodes: Vec<catena_schema::registry::NodeRecord> =
                Finance::new(home, &query)?.query(registry_method::NODES, ())?;
            let rows: Vec<(String, String)> = nodes
                .iter()
                .map(|n| {
                    let peer = catena_chain_spec::peer_id::from_ed25519(
                        &catena_primitives::AccountId(n.key),
                    );
                    (n.uscc.clone(), peer)
                })
                .collect();
            if query.output == Output::Json {
                return print_json(&Value::Array(
                    rows.iter()
                        .map(|(uscc, peer)| json!({"uscc": uscc, "peer_id": peer}))
                        .collect(),
                ));
            }
            println!("{:<20} peer id", "USCC");
            for (uscc, peer) in &rows {
                println!("{uscc:<20} {peer}");
            }
            Ok(())
        }
        MemberCommand::Approve { proposal, send } => {
            let out = call(home, &send, registry_method::APPROVE, proposal)?;
            report_proposal(
                home,
                &send,
                &out.sent,
                Some(proposal),
                ": approved, waiting for more",
            )
        }
        MemberCommand::Proposal { proposal, query } => {
            let p: catena_schema::registry::MembershipProposal = Finance::new(home, &query)?
                .query(registry_method::PROPOSAL, proposal)?
                .with_context(|| format!("there is no membership proposal {proposal}"))?;
            let value = json!({
                "id": p.id,
                "change": readable_change(&p.change),
                "approvals": p.approvals,
                "status": match p.status {
                    catena_schema::registry::MembershipProposalStatus::Open => "open".to_string(),
                    catena_schema::registry::MembershipProposalStatus::Applied(h) => format!("applied at height {h}"),
                },
            });
            crate::print_value(&value, query.output)
        }
        MemberCommand::List(query) => {
            let members = Finance::new(home, &query)?.members()?;
            if query.output == Output::Json {
                return print_json(&Value::Array(members.iter().map(member_json).collect()));
            }
            println!("{:<20} {:<36} {:<12} accounts", "USCC", "name", "roles");
            for m in &members {
                let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:<20} {:<36} {:<12} {}",
                    m.uscc,
                    m.name,
                    roles.join(","),
                    m.accounts.len()
                );
            }
            Ok(())
        }
        MemberCommand::Show { member, query } => {
            let m = Finance::new(home, &query)?.member(&member)?;
            if query.output == Output::Json {
                return print_json(&member_json(&m));
            }
            println!("{} ({})", m.name, m.uscc);
            println!(
                "  roles:    {}",
                m.roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for a in &m.accounts {
                println!("  account:  {}", catena_primitives::AccountId(*a));
            }
            Ok(())
        }
    }
}

/// A membership change as the schema reads it: field names, USCCs and accounts as text.
fn readable_change(change: &catena_schema::registry::Change) -> Value {
    let method = registry_method::PROPOSE;
    catena_api::schema::schema()
        .decode_argument(method.contract, method.name, &method.input(change))
        .and_then(Result::ok)
        .unwrap_or_else(|| Value::String(format!("{change:?}")))
}
