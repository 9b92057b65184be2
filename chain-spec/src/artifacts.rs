//! The contract artifacts built into the node (`contracts/artifacts/*.wasm`, committed and
//! checked against a fresh build by `scripts/build-contracts.sh --check`), so a chain spec can
//! name a system contract's code without shipping the file.

use catena_primitives::Hash;

/// (file name, bytes) of every embedded artifact.
pub const EMBEDDED: [(&str, &[u8]); 7] = [
    (
        "registry.wasm",
        include_bytes!("../../contracts/artifacts/registry.wasm"),
    ),
    (
        "records.wasm",
        include_bytes!("../../contracts/artifacts/records.wasm"),
    ),
    (
        "cash.wasm",
        include_bytes!("../../contracts/artifacts/cash.wasm"),
    ),
    (
        "voucher.wasm",
        include_bytes!("../../contracts/artifacts/voucher.wasm"),
    ),
    (
        "receipts.wasm",
        include_bytes!("../../contracts/artifacts/receipts.wasm"),
    ),
    (
        "lending.wasm",
        include_bytes!("../../contracts/artifacts/lending.wasm"),
    ),
    (
        "counter.wasm",
        include_bytes!("../../contracts/artifacts/counter.wasm"),
    ),
];

/// The embedded artifact of this file name.
pub fn embedded(name: &str) -> Option<&'static [u8]> {
    EMBEDDED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, code)| *code)
}

/// The code a genesis contract names: an embedded artifact, or else a file at an absolute path.
pub fn load(code: &str) -> Result<Vec<u8>, String> {
    if let Some(bytes) = embedded(code) {
        return Ok(bytes.to_vec());
    }
    let path = std::path::Path::new(code);
    if !path.is_absolute() {
        return Err(format!(
            "'{code}' is neither an artifact built into the node ({}) nor an absolute path",
            EMBEDDED.map(|(n, _)| n).join(", ")
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {code}: {e}"))
}

/// The code hash of an embedded artifact.
pub fn hash_of(name: &str) -> Option<Hash> {
    embedded(name).map(Hash::digest)
}
