//! The system contracts' schema, served and applied: `GET /schema` gives every system contract's
//! id, methods and events with the shapes of their arguments, outputs and event data (a
//! `scale-info` type registry, ADR 0043), from which clients encode and decode; and the views
//! carry calls and events decoded by it, where it knows them.

use std::sync::OnceLock;

use catena_primitives::{system_contract_id, Call, Hash};
use catena_schema::metadata::{metadata, ContractMeta, Metadata};
use serde_json::Value as JsonValue;

use super::*;

/// The schema, built once.
pub fn schema() -> &'static Metadata {
    static SCHEMA: OnceLock<Metadata> = OnceLock::new();
    SCHEMA.get_or_init(metadata)
}

/// The system contracts' ids, by name.
fn system_ids() -> &'static [(Hash, &'static str)] {
    static IDS: OnceLock<Vec<(Hash, &'static str)>> = OnceLock::new();
    IDS.get_or_init(|| {
        catena_schema::names::SYSTEM
            .into_iter()
            .map(|name| (system_contract_id(name), name))
            .collect()
    })
}

/// The name of the system contract with id `id`, if it is one.
pub fn system_contract_name(id: &Hash) -> Option<&'static str> {
    system_ids()
        .iter()
        .find(|(known, _)| known == id)
        .map(|(_, name)| *name)
}

/// A call's arguments as the schema reads them: a system contract's method with its argument's
/// fields, a remark as text when it is UTF-8; `None` for what the schema does not describe (or
/// bytes that do not fit it, which the hex still shows).
pub fn decoded_call(call: &Call) -> Option<JsonValue> {
    match call {
        Call::CallContract {
            contract,
            method,
            input,
        } => {
            let name = system_contract_name(contract)?;
            let arguments = schema().decode_argument(name, method, input)?.ok()?;
            Some(serde_json::json!({
                "contract": name,
                "method": method,
                "arguments": arguments,
            }))
        }
        Call::Remark(bytes) => std::str::from_utf8(bytes)
            .ok()
            .map(|text| serde_json::json!({ "text": text })),
        _ => None,
    }
}

/// An event's data as the schema reads it, for a system contract's known topic.
pub fn decoded_event(contract: &Hash, topic: &[u8], data: &[u8]) -> Option<JsonValue> {
    let name = system_contract_name(contract)?;
    let topic = std::str::from_utf8(topic).ok()?;
    schema().decode_event(name, topic, data)?.ok()
}

/// A system contract in `GET /schema`: its id beside its methods and events.
#[derive(Serialize, ToSchema, Debug)]
pub struct SchemaContractView {
    pub name: String,
    /// `system_contract_id(name)`: the same on every chain.
    pub id: String,
    /// Each method: its name and the `types` ids of its argument and output.
    #[schema(value_type = Vec<Object>)]
    pub methods: JsonValue,
    /// Each event: its topic and the `types` id of its data.
    #[schema(value_type = Vec<Object>)]
    pub events: JsonValue,
}

/// `GET /schema`.
#[derive(Serialize, ToSchema, Debug)]
pub struct SchemaView {
    pub contracts: Vec<SchemaContractView>,
    /// The types, as `scale-info`'s portable registry (the form of Substrate's metadata v14
    /// type registry): every id above is an index into it.
    #[schema(value_type = Object)]
    pub types: JsonValue,
}

fn contract_view(contract: &ContractMeta) -> SchemaContractView {
    SchemaContractView {
        name: contract.name.to_string(),
        id: system_contract_id(contract.name).to_string(),
        methods: serde_json::to_value(&contract.methods).unwrap_or_default(),
        events: serde_json::to_value(&contract.events).unwrap_or_default(),
    }
}

/// The system contracts' schema: ids, methods and events, and the registry of the types of their
/// arguments, outputs and event data, from which any of them can be encoded and decoded.
#[utoipa::path(get, path = "/schema", tag = "contracts",
    responses((status = 200, body = SchemaView)))]
pub(crate) async fn get_schema() -> Json<SchemaView> {
    let schema = schema();
    Json(SchemaView {
        contracts: schema.contracts.iter().map(contract_view).collect(),
        types: serde_json::to_value(&schema.types).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use catena_primitives::Call;
    use catena_schema::voucher::{method, Transfer};

    use super::*;

    #[tokio::test]
    async fn the_schema_names_every_system_contract_and_reads_its_calls_and_events() {
        let Json(view) = get_schema().await;
        let names: Vec<&str> = view.contracts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, catena_schema::names::SYSTEM);
        let voucher = &view.contracts[3];
        assert_eq!(voucher.id, system_contract_id("voucher").to_string());
        let transfer = voucher
            .methods
            .as_array()
            .expect("methods")
            .iter()
            .find(|m| m["name"] == "transfer")
            .expect("transfer");
        let argument = transfer["argument"].as_u64().expect("a type id");
        let types = view.types["types"]
            .as_array()
            .expect("the registry's types");
        let shape = types
            .iter()
            .find(|t| t["id"] == argument)
            .expect("its type");
        assert_eq!(
            shape["type"]["path"],
            serde_json::json!(["catena_schema", "voucher", "Transfer"])
        );

        let call = Call::CallContract {
            contract: system_contract_id("voucher"),
            method: "transfer".into(),
            input: method::TRANSFER.input(&Transfer {
                voucher: 7,
                to: "91320500MA1MX00020".into(),
                amount: Some(100),
            }),
        };
        let decoded = decoded_call(&call).expect("a system contract's method");
        assert_eq!(decoded["method"], "transfer");
        assert_eq!(decoded["arguments"]["voucher"], 7);
        assert_eq!(decoded["arguments"]["amount"], 100);
        // What the schema does not describe is not guessed at.
        let other = Call::CallContract {
            contract: Hash([9; 32]),
            method: "transfer".into(),
            input: vec![1, 2, 3],
        };
        assert_eq!(decoded_call(&other), None);
        let garbled = Call::CallContract {
            contract: system_contract_id("voucher"),
            method: "transfer".into(),
            input: vec![1, 2, 3],
        };
        assert_eq!(decoded_call(&garbled), None);
        assert_eq!(
            decoded_call(&Call::Remark(b"hello".to_vec())).expect("text")["text"],
            "hello"
        );
        assert_eq!(
            decoded_event(&system_contract_id("voucher"), b"no_such_topic", &[]),
            None
        );
    }
}
