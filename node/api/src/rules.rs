//! Every rule the server enforces on a request, stated in the OpenAPI document (issue 18, item
//! 3): the shapes of hashes, accounts, USCCs, block ids, chain ids and state keys; the ranges of
//! paging parameters; the true widths of unsigned integers; and the answers every route may give
//! besides its own (a member's signature asked for, the node's limits, a chain stopped). A client
//! that keeps to the document is never refused for its form, and one that does not is.
//!
//! The rules are one table here, applied to the document utoipa derives from the handlers, and a
//! test fails when a route gains a parameter without one.

use serde_json::{json, Value};
use utoipa::openapi::OpenApi;

/// `0x` and 64 hex digits: a hash, an account, a contract id.
pub const HASH: &str = "^0x[0-9a-fA-F]{64}$";
/// A unified social credit code's shape: 18 characters of its alphabet (the check character
/// is checked by the server: a code whose check character is wrong names no member, 404).
pub const USCC: &str = "^[0-9A-HJ-NP-RTUW-Y]{18}$";
/// A block: its height (at most 19 digits), its hash, or `latest`.
pub const BLOCK_ID: &str = "^(latest|[0-9]{1,19}|0x[0-9a-fA-F]{64})$";
/// A chain id: 1 to 64 of a-z, 0-9 and '-'.
pub const CHAIN_ID: &str = "^[a-z0-9-]{1,64}$";
/// A state key in hex, `0x` optional: whole bytes, at most 1,024 of them.
pub const STATE_KEY: &str = "^(0x)?([0-9a-fA-F]{2}){0,1024}$";
/// The position after which a page of events starts: `HEIGHT:INDEX`.
pub const EVENT_CURSOR: &str = "^[0-9]{1,19}:[0-9]{1,10}$";

/// The rule for parameter `name` (in `place`) of the route at `path`, if it has one beyond its
/// type: a pattern, a length or a range, as JSON Schema keywords.
fn rule(path: &str, place: &str, name: &str) -> Option<Value> {
    // A hosted chain's routes are the same under `/chains/{chain_id}`.
    let path = path.strip_prefix("/chains/{chain_id}").unwrap_or(path);
    let pattern = |p: &str| json!({ "type": "string", "pattern": p });
    let range = |min: u64, max: u64| json!({ "minimum": min, "maximum": max });
    Some(match (place, name) {
        ("path", "account" | "hash") => pattern(HASH),
        ("path", "uscc") => pattern(USCC),
        ("path", "key") => pattern(STATE_KEY),
        ("path", "id") if path.starts_with("/blocks/") => pattern(BLOCK_ID),
        ("path", "id") if path.starts_with("/contracts/") => pattern(HASH),
        ("path", "id") if path.starts_with("/parachains/") => pattern(CHAIN_ID),
        ("query", "contract" | "account") => pattern(HASH),
        ("query", "holder" | "issuer" | "borrower" | "lender" | "owner" | "warehouse") => {
            pattern(USCC)
        }
        ("query", "topic") => json!({ "type": "string", "minLength": 1, "maxLength": 256 }),
        ("query", "after") if path == "/events" => pattern(EVENT_CURSOR),
        // Trimmed by the server: at least one character that is not a space.
        ("query", "q") => json!({ "type": "string", "pattern": "\\S", "maxLength": 100 }),
        ("query", "limit") if path == "/events" => range(1, 1_000),
        ("query", "limit") if matches!(path, "/vouchers" | "/loans" | "/receipts") => {
            range(1, 1_000)
        }
        ("query", "limit") => range(1, 100),
        _ => return None,
    })
}

/// Parameters a route declares through a shared filter but refuses: `/stream` starts where
/// `from_height` says and pages nothing.
fn refused(path: &str, name: &str) -> bool {
    path.ends_with("/stream") && matches!(name, "limit" | "after")
}

/// Answers any route of a chain may give besides its own: the chain's signed reads (401, 403),
/// the node's limits (408, 413, 429, 503) and a chain that stopped (503).
fn common_answers() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "400",
            "Malformed request: what is wrong is in `error.message`",
        ),
        (
            "404",
            "What the request names is not on this chain (a member, a voucher, a block...)",
        ),
        (
            "401",
            "On a chain whose reads are for its members: the request is not signed, or its \
             signature is wrong, stale or replayed (see `x-catena-account`)",
        ),
        (
            "403",
            "On a chain whose reads are for its members: the signing account is no member's, or \
             an auditor's without a grant for this",
        ),
        ("413", "The request body is over the node's limit"),
        (
            "429",
            "Too many requests from this address (`Retry-After` says when to try again)",
        ),
        (
            "503",
            "The node is busy, did not answer in time, or the chain stopped on this node",
        ),
    ]
}

/// A signed transaction's SCALE bytes in hex, `0x` optional: at least one byte, at most the
/// largest transaction a node decodes.
const TRANSACTION_HEX: &str = "^(0x)?([0-9a-fA-F]{2})+$";

/// The rules of request bodies: (schema, property, JSON Schema keywords).
fn body_rules() -> Vec<(&'static str, &'static str, Value)> {
    let tx_length = 2 + 2 * catena_primitives::tx::MAX_TX_DECODE_BYTES;
    vec![
        (
            "SubmitRequest",
            "transaction",
            json!({ "pattern": TRANSACTION_HEX, "maxLength": tx_length }),
        ),
        (
            "BatchSubmitRequest",
            "transactions",
            json!({ "minItems": 1, "maxItems": crate::MAX_BATCH_TXS,
                    "items": { "type": "string", "pattern": TRANSACTION_HEX, "maxLength": tx_length } }),
        ),
        (
            "QueryRequest",
            "method",
            json!({ "pattern": "^[!-~]{1,64}$" }),
        ),
        (
            "QueryRequest",
            "input",
            json!({ "pattern": "^(0x)?([0-9a-fA-F]{2}){0,65536}$" }),
        ),
    ]
}

/// The document with every rule stated, as JSON (utoipa's types do not read back every schema
/// they write, so the rules are applied to the JSON that is served).
pub fn stated(doc: &OpenApi) -> Value {
    let mut value = serde_json::to_value(doc).expect("an OpenAPI document is JSON");
    unsigned_widths(&mut value);
    for (schema, property, keywords) in body_rules() {
        let target = &mut value["components"]["schemas"][schema]["properties"][property];
        if let Some(target) = target.as_object_mut() {
            for (key, keyword) in keywords.as_object().into_iter().flatten() {
                target.insert(key.clone(), keyword.clone());
            }
        }
    }
    if let Some(paths) = value.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in item.iter_mut() {
                if matches!(method.as_str(), "get" | "post" | "put" | "delete" | "patch") {
                    operation_rules(path, operation);
                }
            }
        }
    }
    value
}

/// A host's document: every chain route again under `/chains/{chain_id}`, which answers 404 for
/// a chain this node does not host.
pub fn hosted(mut value: Value) -> Value {
    if let Some(paths) = value.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            if !path.starts_with("/chains/{chain_id}") {
                continue;
            }
            for parameter in item["parameters"].as_array_mut().into_iter().flatten() {
                if parameter["name"] == "chain_id" {
                    parameter["schema"]["pattern"] = json!(CHAIN_ID);
                }
            }
            for (method, operation) in item.as_object_mut().into_iter().flatten() {
                if method == "parameters" {
                    continue;
                }
                if let Some(responses) = operation["responses"].as_object_mut() {
                    responses.entry("404").or_insert(json!({
                        "description": "This node hosts no such chain (see `GET /chains`), or \
                                        the route names nothing on it",
                        "content": { "application/json": { "schema": {
                            "$ref": "#/components/schemas/ErrorBody" } } } }));
                }
            }
        }
    }
    value
}

fn operation_rules(path: &str, operation: &mut Value) {
    if let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    {
        parameters.retain(|p| !refused(path, p["name"].as_str().unwrap_or("")));
        for parameter in parameters.iter_mut() {
            let (place, name) = (
                parameter["in"].as_str().unwrap_or("").to_string(),
                parameter["name"].as_str().unwrap_or("").to_string(),
            );
            if let (Some(extra), Some(schema)) = (
                rule(path, &place, &name),
                parameter.get_mut("schema").and_then(Value::as_object_mut),
            ) {
                for (key, value) in extra.as_object().into_iter().flatten() {
                    schema.insert(key.clone(), value.clone());
                }
            }
        }
    }
    let error = json!({ "content": { "application/json": { "schema": {
        "$ref": "#/components/schemas/ErrorBody" } } } });
    if let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    {
        for (status, description) in common_answers() {
            let mut answer = error.clone();
            answer["description"] = json!(description);
            responses.entry(status).or_insert(answer);
        }
    }
}

/// Unsigned integers as they are: utoipa writes a `u64` as `int64` and a `u32` as `int32` (with
/// minimum 0), whose upper halves the server accepts; they become `uint64` and `uint32` with
/// their true maximum.
fn unsigned_widths(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let integer = match map.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(types)) => types.contains(&json!("integer")),
                _ => false,
            };
            let unsigned = integer && map.get("minimum").and_then(Value::as_u64) == Some(0);
            if unsigned {
                match map.get("format").and_then(Value::as_str) {
                    Some("int64") => {
                        map.insert("format".into(), json!("uint64"));
                        map.entry("maximum").or_insert(json!(u64::MAX));
                    }
                    Some("int32") => {
                        map.insert("format".into(), json!("uint32"));
                        map.entry("maximum").or_insert(json!(u32::MAX));
                    }
                    _ => {}
                }
            }
            for inner in map.values_mut() {
                unsigned_widths(inner);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unsigned_widths),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parameter of every route is bounded: a string by a pattern, a length or a set of
    /// values; an integer by a minimum and a maximum; a boolean by being one.
    #[test]
    fn every_parameter_states_its_rule() {
        let doc = crate::openapi();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("an item") {
                for p in operation["parameters"].as_array().into_iter().flatten() {
                    let s = &p["schema"];
                    let bounded = match s["type"].as_str() {
                        Some("string") => {
                            s.get("pattern").is_some()
                                || s.get("maxLength").is_some()
                                || s.get("enum").is_some()
                        }
                        Some("integer") => s.get("minimum").is_some() && s.get("maximum").is_some(),
                        Some("boolean") => true,
                        _ => false,
                    };
                    assert!(bounded, "{method} {path}: parameter {p} states no rule");
                    checked += 1;
                }
                for status in ["400", "401", "403", "429", "503"] {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{method} {path} does not document {status}"
                    );
                }
            }
        }
        assert!(checked > 30, "{checked} parameters");
        let text = doc.to_string();
        if let Some(at) = text.find("\"int64\"") {
            panic!(
                "a u64 written as int64: {}",
                &text[at.saturating_sub(300)..at + 50]
            );
        }
    }

    #[test]
    fn the_patterns_take_what_the_server_takes() {
        let matches = |pattern: &str, text: &str| {
            regex_lite::Regex::new(pattern)
                .expect("a pattern")
                .is_match(text)
        };
        assert!(matches(USCC, "91310000MA1FL0001R"));
        assert!(!matches(USCC, "91310000MA1FL0001"));
        assert!(
            !matches(USCC, "91310000MA1FL000IR"),
            "I is not in the alphabet"
        );
        assert!(matches(BLOCK_ID, "latest") && matches(BLOCK_ID, "0") && !matches(BLOCK_ID, "E"));
        assert!(!matches(BLOCK_ID, "12345678901234567890"), "past u64");
        assert!(matches(STATE_KEY, "0x") && matches(STATE_KEY, "00ff") && !matches(STATE_KEY, "0"));
        assert!(matches(CHAIN_ID, "para-a") && !matches(CHAIN_ID, "Para"));
        assert!(matches(EVENT_CURSOR, "12:4294967295") && !matches(EVENT_CURSOR, "12"));
    }

    /// The OpenAPI document names each schema by its type's name, and a second type of the same
    /// name silently replaces the first (a warehouse receipt's view once replaced a transaction
    /// receipt's): every type that derives `ToSchema` has a name of its own.
    #[test]
    fn every_schema_type_has_a_name_of_its_own() {
        // The runner's package directory (a binary built in another checkout keeps the path it
        // was built at), else the one it was built at.
        let package = std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
        let dir = format!("{package}/src");
        let mut seen: std::collections::BTreeMap<String, String> = Default::default();
        for entry in std::fs::read_dir(&dir).expect("the sources") {
            let path = entry.expect("an entry").path();
            let text = std::fs::read_to_string(&path).expect("a source");
            let mut derives_schema = false;
            for line in text.lines().map(str::trim) {
                if line.starts_with("#[derive(") {
                    derives_schema = line.contains("ToSchema");
                    continue;
                }
                let Some(rest) = line
                    .strip_prefix("pub struct ")
                    .or_else(|| line.strip_prefix("pub enum "))
                else {
                    continue;
                };
                if std::mem::take(&mut derives_schema) {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    let file = path.display().to_string();
                    if let Some(other) = seen.insert(name.clone(), file.clone()) {
                        panic!("schema type {name} is defined in {other} and in {file}");
                    }
                }
            }
        }
        assert!(seen.len() > 40, "{} schema types found", seen.len());
        assert!(seen.contains_key("ReceiptView") && seen.contains_key("WarehouseReceiptView"));
    }
}
