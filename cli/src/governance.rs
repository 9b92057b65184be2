//! `catena governance`: show the governing members, the validator set and the proposals;
//! propose adding or removing a validator from a height; approve a proposal.

use std::path::Path;

use anyhow::{bail, Context};
use catena_api::GovernanceView;
use catena_primitives::{AccountId, Call, ValidatorChange, ValidatorChangeProposal};
use clap::{Args, Subcommand};

use crate::{send_call, Output, QueryArgs, SendArgs};

#[derive(Subcommand)]
pub enum GovernanceCommand {
    /// Show the governing members, the validator set of the next block, and every proposal.
    Show(QueryArgs),
    /// Propose adding a validator from a height on (signed by a governing member).
    AddValidator {
        /// The validator's vote-signing account: it must be a member account.
        #[arg(long)]
        account: AccountId,
        /// The libp2p peer id of the validator's network key (`catena key inspect FILE`).
        #[arg(long)]
        peer_id: String,
        /// Where the validator listens for peers, e.g. /ip4/10.0.0.5/tcp/30333.
        #[arg(long)]
        address: String,
        #[command(flatten)]
        from: FromHeight,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Propose removing a validator from a height on (signed by a governing member).
    RemoveValidator {
        #[arg(long)]
        account: AccountId,
        #[command(flatten)]
        from: FromHeight,
        #[command(flatten)]
        send: SendArgs,
    },
    /// Approve a proposal on behalf of the signer's member.
    Approve {
        /// The proposal's id (see `catena governance show`).
        id: u64,
        #[command(flatten)]
        send: SendArgs,
    },
}

#[derive(Args)]
pub struct FromHeight {
    /// The first block the changed set certifies; at least two blocks after the one that
    /// completes the approvals.
    #[arg(long)]
    from_height: u64,
}

pub fn run(home: Option<&Path>, command: GovernanceCommand) -> anyhow::Result<()> {
    match command {
        GovernanceCommand::Show(query) => {
            let client = query.client(home)?;
            let value = client.get("/governance")?;
            if query.output == Output::Json {
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            let view: GovernanceView = serde_json::from_value(value)?;
            print(&view);
            Ok(())
        }
        GovernanceCommand::AddValidator {
            account,
            peer_id,
            address,
            from,
            send,
        } => propose(
            home,
            &send,
            ValidatorChange::Add {
                account,
                peer_id,
                address,
            },
            from.from_height,
        ),
        GovernanceCommand::RemoveValidator {
            account,
            from,
            send,
        } => propose(
            home,
            &send,
            ValidatorChange::Remove { account },
            from.from_height,
        ),
        GovernanceCommand::Approve { id, send } => {
            let sent = send_call(home, &send, Call::Approve(id))?;
            if sent.view.is_none() {
                return sent.report(&send, "", serde_json::json!({}));
            }
            {
                let client = send.query.client(home)?;
                let governance: GovernanceView =
                    serde_json::from_value(client.get("/governance")?)?;
                // Ids are shared: the proposal is a parachain's or a validator set's.
                let parachain = governance.parachain_proposals.iter().find(|p| p.id == id);
                let found = parachain
                    .map(|p| {
                        (
                            &p.approvals,
                            &p.status,
                            format!(" ({} '{}')", p.action, p.parachain),
                        )
                    })
                    .or_else(|| {
                        let p = governance.proposals.iter().find(|p| p.id == id)?;
                        let from = if p.status == "scheduled" {
                            format!(" from height {}", p.from_height)
                        } else {
                            String::new()
                        };
                        Some((&p.approvals, &p.status, from))
                    });
                let done = found
                    .as_ref()
                    .map(|(approvals, status, detail)| {
                        format!(
                            "proposal {id}: {} of {} approvals, {status}{detail}",
                            approvals.len(),
                            governance.threshold
                        )
                    })
                    .unwrap_or_default();
                let (approvals, status) = found
                    .map(|(a, s, _)| (a.len(), s.clone()))
                    .unwrap_or_default();
                sent.report(
                    &send,
                    &done,
                    serde_json::json!({ "proposal": id, "approvals": approvals, "status": status }),
                )
            }
        }
    }
}

fn propose(
    home: Option<&Path>,
    send: &SendArgs,
    change: ValidatorChange,
    from_height: u64,
) -> anyhow::Result<()> {
    let call = Call::ProposeValidatorChange(ValidatorChangeProposal {
        change,
        from_height,
    });
    let sent = send_call(home, send, call)?;
    let Some(view) = &sent.view else {
        return sent.report(send, "", serde_json::json!({}));
    };
    let client = send.query.client(home)?;
    let governance: GovernanceView = serde_json::from_value(client.get("/governance")?)?;
    let hash = view.hash.to_string();
    let proposal = governance
        .proposals
        .iter()
        .find(|p| p.proposed_in == hash)
        .context("the committed proposal is not listed by the node")?;
    let mut done = format!(
        "proposal {}: {} of {} approvals, {}",
        proposal.id,
        proposal.approvals.len(),
        governance.threshold,
        proposal.status
    );
    if proposal.status == "open" {
        done.push_str(&format!(
            "\nother governing members approve it with `catena governance approve {}`",
            proposal.id
        ));
    }
    sent.report(
        send,
        &done,
        serde_json::json!({ "proposal": proposal.id, "approvals": proposal.approvals.len(), "status": proposal.status }),
    )
}

fn print(view: &GovernanceView) {
    if view.members.is_empty() {
        println!("no governance: the validator set is fixed at genesis");
    } else {
        println!(
            "governing members ({} of {} must approve):",
            view.threshold,
            view.members.len()
        );
        for member in &view.members {
            println!("  {member}");
        }
    }
    println!("validators of the next block ({}):", view.validators.len());
    for v in &view.validators {
        println!(
            "  {}  {}  {}  {}",
            v.account, v.member, v.peer_id, v.address
        );
    }
    if view.proposals.is_empty() && view.parachain_proposals.is_empty() {
        println!("no proposals");
    }
    for p in &view.parachain_proposals {
        println!(
            "proposal {}: {} '{}': {} ({} approvals: {})",
            p.id,
            p.action,
            p.parachain,
            p.status,
            p.approvals.len(),
            p.approvals.join(", ")
        );
    }
    for p in &view.proposals {
        println!(
            "proposal {}: {} {} from height {}: {} ({} approvals: {})",
            p.id,
            p.action,
            p.account,
            p.from_height,
            p.status,
            p.approvals.len(),
            p.approvals.join(", ")
        );
    }
}

/// Refuses an obviously impossible height before signing anything.
pub fn check_height(from_height: u64, tip: u64) -> anyhow::Result<()> {
    if from_height < tip + 3 {
        bail!(
            "--from-height {from_height} is too close: the chain is at height {tip}, so the earliest is {}",
            tip + 3
        );
    }
    Ok(())
}
