//! Key files: JSON holding an ed25519 account and its secret seed, or the consortium's invoice
//! key, readable by the owner only.

use std::path::{Path, PathBuf};

use catena_primitives::invoice::InvoiceKey;
use catena_primitives::{AccountId, Hash, SecretKey};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    account: AccountId,
    /// The 32-byte ed25519 secret seed in hex.
    secret_seed: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write key file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a Catena key file: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{path} already exists; refusing to overwrite a key")]
    Exists { path: PathBuf },
}

/// Reads a key file and checks that its account matches its secret.
pub fn read_key(path: &Path) -> Result<SecretKey, KeyError> {
    let invalid = |reason: String| KeyError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.len() > 4096 {
        return Err(invalid("over 4096 bytes".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let digits = file
        .secret_seed
        .strip_prefix("0x")
        .unwrap_or(&file.secret_seed);
    let mut seed = [0u8; 32];
    hex::decode_to_slice(digits, &mut seed)
        .map_err(|_| invalid("secret_seed is not 64 hex digits".into()))?;
    let key = SecretKey::from_seed(seed);
    if key.account() != file.account {
        return Err(invalid(format!(
            "account {} does not match the secret seed",
            file.account
        )));
    }
    Ok(key)
}

/// Writes a key file with mode 0600, refusing to replace an existing file.
pub fn write_key(path: &Path, key: &SecretKey) -> Result<(), KeyError> {
    let file = KeyFile {
        account: key.account(),
        secret_seed: format!("0x{}", hex::encode(key.seed())),
    };
    write_private(
        path,
        &serde_json::to_string_pretty(&file).expect("a key file always serialises"),
    )
}

/// Writes `text` and a newline to a new file of mode 0600, refusing to replace one.
fn write_private(path: &Path, text: &str) -> Result<(), KeyError> {
    use std::io::Write;
    let write = |source| KeyError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            write(e)
        }
    })?;
    out.write_all(text.as_bytes()).map_err(write)?;
    out.write_all(b"\n").map_err(write)?;
    out.sync_all().map_err(write)
}

/// The consortium's invoice key file (ADR 0031): the secret and, for operators comparing keys
/// without showing them, its check value.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceKeyFile {
    /// `HMAC(K, "catena/fp-key-check/v1")`: what a main chain's spec commits.
    check: Hash,
    /// The 32 secret bytes in hex.
    secret: String,
}

/// Writes the invoice key `key` to a new file of mode 0600.
pub fn write_invoice_key(path: &Path, key: &InvoiceKey) -> Result<(), KeyError> {
    let file = InvoiceKeyFile {
        check: key.check(),
        secret: format!("0x{}", hex::encode(key.0)),
    };
    write_private(
        path,
        &serde_json::to_string_pretty(&file).expect("a key file always serialises"),
    )
}

/// Reads an invoice key file, refusing one that others than its owner may read (its secret
/// lets anyone test guesses of the consortium's invoices) or whose check value does not match.
pub fn read_invoice_key(path: &Path) -> Result<InvoiceKey, KeyError> {
    let invalid = |reason: String| KeyError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let read = |source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(invalid(format!(
                "its mode is {mode:o}: an invoice key must be readable by its owner only (chmod 600)"
            )));
        }
    }
    if meta.len() > 4096 {
        return Err(invalid("over 4096 bytes".into()));
    }
    let text = std::fs::read_to_string(path).map_err(read)?;
    let file: InvoiceKeyFile = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let mut secret = [0u8; 32];
    hex::decode_to_slice(
        file.secret.strip_prefix("0x").unwrap_or(&file.secret),
        &mut secret,
    )
    .map_err(|_| invalid("secret is not 64 hex digits".into()))?;
    let key = InvoiceKey(secret);
    if key.check() != file.check {
        return Err(invalid(format!(
            "its check value {} is not the secret's ({})",
            file.check,
            key.check()
        )));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_refusals() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.json");
        let key = SecretKey::from_seed([5; 32]);
        write_key(&path, &key).expect("write");
        assert_eq!(read_key(&path).expect("read").account(), key.account());
        assert!(matches!(
            write_key(&path, &key),
            Err(KeyError::Exists { .. })
        ));
        let text = std::fs::read_to_string(&path)
            .expect("read")
            .replace("0x05", "0x06");
        std::fs::write(&path, text).expect("write");
        assert!(read_key(&path)
            .expect_err("mismatch")
            .to_string()
            .contains("does not match"));
    }

    #[test]
    fn invoice_keys_are_private_and_checked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("invoice.key");
        let key = InvoiceKey([3; 32]);
        write_invoice_key(&path, &key).expect("write");
        assert_eq!(read_invoice_key(&path).expect("read"), key);
        assert!(matches!(
            write_invoice_key(&path, &key),
            Err(KeyError::Exists { .. })
        ));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let open = read_invoice_key(&path).expect_err("readable by others");
        assert!(open.to_string().contains("chmod 600"), "{open}");
        // Another check value than the secret's.
        let forged = dir.path().join("forged.key");
        let text = std::fs::read_to_string(&path).expect("read").replace(
            &key.check().to_string(),
            &InvoiceKey([4; 32]).check().to_string(),
        );
        write_private(&forged, &text).expect("write");
        let wrong = read_invoice_key(&forged).expect_err("another check");
        assert!(wrong.to_string().contains("is not the secret's"), "{wrong}");
    }
}
