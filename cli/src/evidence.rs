//! `catena evidence`: evidence bundles for a court (docs/evidence.md). `export` assembles one
//! file from a node; `verify` checks one offline, with no node, and says which facts it proves.

use catena_client::evidence::{self, Subject};
use serde_json::json;

use super::*;

#[derive(Subcommand)]
pub(crate) enum EvidenceCommand {
    /// Write the evidence bundle of a voucher or a recorded document (its lineage, history,
    /// records, transactions and their proofs to the main chain's genesis validators).
    Export {
        #[command(subcommand)]
        subject: ExportSubject,
    },
    /// Check a bundle offline and print the facts it proves, numbered, each with what it rests
    /// on, and what it does not prove; exit 1 naming the step if any byte was altered.
    Verify {
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
}

#[derive(Subcommand)]
pub(crate) enum ExportSubject {
    /// A voucher or part by id.
    Voucher {
        id: u64,
        #[command(flatten)]
        args: ExportArgs,
    },
    /// A recorded document by its SHA-256.
    Record {
        hash: catena_primitives::Hash,
        #[command(flatten)]
        args: ExportArgs,
    },
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// Also carry the recorded documents found in this directory (matched by SHA-256).
    #[arg(long)]
    with_documents: Option<PathBuf>,
    /// Where to write the bundle.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    query: QueryArgs,
}

pub(crate) fn run(home: Option<&Path>, command: EvidenceCommand) -> anyhow::Result<()> {
    match command {
        EvidenceCommand::Export { subject } => {
            let (subject, args) = match subject {
                ExportSubject::Voucher { id, args } => (Subject::Voucher(id), args),
                ExportSubject::Record { hash, args } => (Subject::Record(hash), args),
            };
            let chain = args.query.client(home)?;
            let main = args.query.on_main().client(home)?;
            let bundle = evidence::export(&chain, &main, subject, args.with_documents.as_deref())?;
            let bytes = bundle.to_bytes();
            // A bundle that does not verify is never written.
            let report = evidence::verify(&bytes)
                .map_err(|e| anyhow::anyhow!("the exported bundle does not verify: {e}"))?;
            std::fs::write(&args.out, &bytes)
                .with_context(|| format!("cannot write {}", args.out.display()))?;
            if args.query.output == Output::Json {
                return print_value(
                    &json!({
                        "file": args.out.display().to_string(),
                        "subject": report.subject,
                        "bytes": bytes.len(),
                        "facts": report.facts.len(),
                    }),
                    Output::Json,
                );
            }
            println!(
                "wrote the evidence of {} to {} ({} bytes, {} facts)",
                report.subject,
                args.out.display(),
                bytes.len(),
                report.facts.len()
            );
            Ok(())
        }
        EvidenceCommand::Verify { file, output } => {
            let meta = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            if meta.len() > MAX_BUNDLE_BYTES {
                bail!(
                    "{} is {} bytes, over the {MAX_BUNDLE_BYTES} bytes a bundle may have",
                    file.display(),
                    meta.len()
                );
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            // A bundle that does not verify is refused: exit code 1, as for the chain.
            let report = evidence::verify(&bytes).map_err(|e| crate::Refused(e.to_string()))?;
            if output == Output::Json {
                let facts: Vec<_> = report
                    .facts
                    .iter()
                    .map(|f| json!({"fact": f.text, "rests_on": f.rests_on}))
                    .collect();
                return print_value(
                    &json!({
                        "verified": true,
                        "subject": report.subject,
                        "trust_root": report.trust_root,
                        "facts": facts,
                        "does_not_prove": report.limits,
                    }),
                    Output::Json,
                );
            }
            println!("verified: the evidence of {}", report.subject);
            println!("trust root: {}", report.trust_root);
            for (i, fact) in report.facts.iter().enumerate() {
                println!("{:>3}. {}", i + 1, fact.text);
                println!("     rests on: {}", fact.rests_on);
            }
            println!("It does not prove:");
            for limit in &report.limits {
                println!("  - {limit}");
            }
            Ok(())
        }
    }
}

/// The largest bundle `verify` reads.
const MAX_BUNDLE_BYTES: u64 = 256 << 20;
