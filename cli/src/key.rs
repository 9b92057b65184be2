//! `catena key`: generate and inspect ed25519 keys.

use super::*;

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate a new key from the operating system's random source.
    Generate {
        /// Write the key file here (mode 0600) instead of printing the secret.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
    /// Show the account and peer id of a key file.
    Inspect {
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
    /// Generate the consortium's invoice key (32 random bytes, mode 0600) and print its check
    /// value: a main chain's spec commits it (`chain-spec build --invoice-key`), and every node
    /// of its parachains holds the key (`chain add --invoice-key`).
    GenerateInvoiceKey {
        /// Where to write the key file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign an explorer's sign-in challenge (its sign-in page shows it) and print the account
    /// and signature to paste there: for a chain whose pages are for its members.
    SignIn {
        /// The challenge the sign-in page shows (`CHAIN:64 hex digits`).
        challenge: String,
        /// Sign as this demo member (a key file in HOME/keys/NAME.json).
        #[arg(long = "as", conflicts_with = "key")]
        as_name: Option<String>,
        /// Sign with this key file.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
}

/// `catena key sign-in`: the account and its signature over an explorer's challenge.
pub(crate) fn sign_in(
    home: Option<&Path>,
    challenge: &str,
    as_name: Option<&str>,
    key: Option<&Path>,
    output: Output,
) -> anyhow::Result<()> {
    let (chain, random) = challenge.split_once(':').unwrap_or_default();
    if chain.is_empty() || random.len() != 64 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!(
            "'{challenge}' is not an explorer's sign-in challenge (CHAIN:64 hex digits, as its \
             sign-in page shows it)"
        );
    }
    let key = crate::send::key_of(home, as_name, key)?;
    let signature = key.sign(&catena_primitives::read::sign_in_message(challenge));
    print_value(
        &serde_json::json!({
            "account": key.account().to_string(),
            "signature": signature.to_string(),
        }),
        output,
    )
}

pub(crate) fn generate_invoice_key(out: &Path) -> anyhow::Result<()> {
    let mut secret = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut secret);
    let key = catena_primitives::invoice::InvoiceKey(secret);
    keys::write_invoice_key(out, &key)?;
    println!("wrote {}", out.display());
    println!("check value: {}", key.check());
    Ok(())
}

/// A new key from the operating system's random source.
pub(crate) fn generate() -> SecretKey {
    let mut seed = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
    SecretKey::from_seed(seed)
}

pub(crate) fn key_generate(out: Option<PathBuf>, output: Output) -> anyhow::Result<()> {
    let key = generate();
    let mut value = serde_json::json!({
        "account": key.account().to_string(),
        "peer_id": peer_id::from_ed25519(&key.account()),
    });
    match &out {
        Some(path) => {
            keys::write_key(path, &key)?;
            value["file"] = path.display().to_string().into();
        }
        None => value["secret_seed"] = format!("0x{}", hex::encode(key.seed())).into(),
    }
    if output == Output::Json {
        return print_value(&value, output);
    }
    match out {
        Some(path) => println!("wrote {}", path.display()),
        None => println!("secret seed: 0x{}", hex::encode(key.seed())),
    }
    println!("account: {}", key.account());
    println!("peer id: {}", peer_id::from_ed25519(&key.account()));
    Ok(())
}

/// `catena key inspect`: a key file's account and peer id.
pub(crate) fn key_inspect(file: &Path, output: Output) -> anyhow::Result<()> {
    let key = keys::read_key(file)?;
    let value = serde_json::json!({
        "account": key.account().to_string(),
        "peer_id": peer_id::from_ed25519(&key.account()),
    });
    if output == Output::Json {
        return print_value(&value, output);
    }
    println!("account: {}", key.account());
    println!("peer id: {}", peer_id::from_ed25519(&key.account()));
    Ok(())
}
