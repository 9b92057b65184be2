//! `catena audit`: what auditors may read on a members-only chain. A member grants an auditor
//! its own data for a period; the governing quorum grants the whole chain; the grants are on
//! chain, in the registry, and the node reads them for every signed request of an auditor.

use super::*;
use catena_schema::registry::{AuditGrant, AuditScope, Change, GrantAudit};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// The signing member grants an auditor the reading of its data (vouchers it issued or
    /// holds, its records, cash and transactions) for a period; with --whole-chain, a governing
    /// member proposes a grant of everything (it applies once the quorum approves).
    Grant {
        /// The auditor: USCC, name or demo identity.
        auditor: String,
        /// From this date (default: now); YYYY-MM-DD or with a time, Beijing time.
        #[arg(long)]
        from: Option<String>,
        /// Until this date (exclusive).
        #[arg(long)]
        until: String,
        #[arg(long)]
        whole_chain: bool,
        #[command(flatten)]
        send: SendArgs,
    },
    /// The signing member ends its grant to an auditor; with --whole-chain, a governing member
    /// proposes ending the auditor's grant of everything.
    Revoke {
        auditor: String,
        #[arg(long)]
        whole_chain: bool,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Every grant an auditor holds, in force or not.
    Grants {
        auditor: String,
        #[command(flatten)]
        query: QueryArgs,
    },
}

pub(crate) fn audit(home: Option<&Path>, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Grant {
            auditor,
            from,
            until,
            whole_chain,
            send,
        } => {
            let grant = GrantAudit {
                auditor: Finance::new(home, &send.query)?.uscc(&auditor)?,
                from_ms: from
                    .as_deref()
                    .map(date_ms)
                    .transpose()?
                    .unwrap_or_else(now_ms),
                until_ms: date_ms(&until)?,
            };
            if whole_chain {
                return propose(home, &send, Change::GrantChainAudit(grant));
            }
            let auditor = grant.auditor.clone();
            call(home, &send, registry_method::GRANT_AUDIT, grant)?.report(
                &send,
                &format!(
                    "granted auditor {auditor} the reading of the signer's data until {until}"
                ),
                json!({ "auditor": auditor, "until": until }),
            )?;
        }
        AuditCommand::Revoke {
            auditor,
            whole_chain,
            send,
        } => {
            let auditor = Finance::new(home, &send.query)?.uscc(&auditor)?;
            if whole_chain {
                return propose(home, &send, Change::RevokeChainAudit(auditor));
            }
            call(home, &send, registry_method::REVOKE_AUDIT, auditor.clone())?.report(
                &send,
                &format!("auditor {auditor} no longer reads the signer's data"),
                json!({ "auditor": auditor }),
            )?;
        }
        AuditCommand::Grants { auditor, query } => {
            let f = Finance::new(home, &query)?;
            let auditor = f.uscc(&auditor)?;
            let grants: Vec<AuditGrant> =
                f.query(registry_method::AUDIT_GRANTS, auditor.clone())?;
            let now = now_ms();
            if query.output == Output::Json {
                let each: Vec<Value> = grants
                    .iter()
                    .map(|g| {
                        json!({"auditor": g.auditor, "scope": scope_text(&g.scope),
                            "from_ms": g.from_ms, "until_ms": g.until_ms,
                            "in_force": g.in_force(now)})
                    })
                    .collect();
                return crate::print_value(&Value::Array(each), Output::Json);
            }
            if grants.is_empty() {
                println!("auditor {auditor} holds no grant");
            }
            for g in &grants {
                println!(
                    "{}: from {} until {}{}",
                    scope_text(&g.scope),
                    time_text(g.from_ms),
                    time_text(g.until_ms),
                    if g.in_force(now) { " (in force)" } else { "" }
                );
            }
        }
    }
    Ok(())
}

fn scope_text(scope: &AuditScope) -> String {
    match scope {
        AuditScope::Member(uscc) => format!("member {uscc}'s data"),
        AuditScope::Chain => "the whole chain".into(),
    }
}

/// A governing member proposes `change` to the registry and says whether it applied.
fn propose(home: Option<&Path>, send: &SendArgs, change: Change) -> anyhow::Result<()> {
    let out = call(home, send, registry_method::PROPOSE, change)?;
    report_proposal(home, send, &out.sent, out.output, ": waiting for approvals")
}
