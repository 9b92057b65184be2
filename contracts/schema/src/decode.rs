//! Bytes of a method's argument or output, or of an event's data, decoded by the schema alone
//! (std only): `scale-value` walks the type registry of [`crate::metadata`], and the value is
//! given as JSON for people and programs — named fields as objects, byte strings and ids as
//! `0x` hex, `Option` as the value or null, a variant as its name (with its fields, if any).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use scale_info::{form::PortableForm, PortableRegistry, TypeDef, TypeDefPrimitive};
use scale_value::{Composite, Primitive, Value, ValueDef};
use serde_json::{json, Map, Value as Json};

use crate::metadata::Metadata;

/// Integers past this are given as decimal strings (JSON numbers lose precision past 2^53).
const EXACT_IN_JSON: u128 = 1 << 53;

impl Metadata {
    /// `bytes` as a value of type `id`, all of them: an error naming what does not fit.
    pub fn decode(&self, id: u32, bytes: &[u8]) -> Result<Json, String> {
        let mut rest = bytes;
        let value = scale_value::scale::decode_as_type(&mut rest, id, &self.types)
            .map_err(|e| e.to_string())?;
        if !rest.is_empty() {
            return Err(format!("{} bytes are left after the value", rest.len()));
        }
        Ok(to_json(&value, &self.types))
    }

    /// The argument of system contract `contract`'s method `method`, decoded; `None` if the
    /// schema does not know the method.
    pub fn decode_argument(
        &self,
        contract: &str,
        method: &str,
        bytes: &[u8],
    ) -> Option<Result<Json, String>> {
        let m = self.method(contract, method)?;
        Some(self.decode(m.argument, bytes))
    }

    /// The output of system contract `contract`'s method `method`, decoded; `None` if the
    /// schema does not know the method.
    pub fn decode_output(
        &self,
        contract: &str,
        method: &str,
        bytes: &[u8],
    ) -> Option<Result<Json, String>> {
        let m = self.method(contract, method)?;
        Some(self.decode(m.output, bytes))
    }

    /// The data of system contract `contract`'s event `topic`, decoded; `None` if the schema
    /// does not know the topic.
    pub fn decode_event(
        &self,
        contract: &str,
        topic: &str,
        bytes: &[u8],
    ) -> Option<Result<Json, String>> {
        let e = self
            .contract(contract)?
            .events
            .iter()
            .find(|e| e.topic == topic)?;
        Some(self.decode(e.data, bytes))
    }
}

fn is_byte(types: &PortableRegistry, id: u32) -> bool {
    matches!(
        types.resolve(id).map(|t| &t.type_def),
        Some(TypeDef::Primitive(TypeDefPrimitive::U8))
    )
}

/// Whether type `id` is a sequence or an array of bytes (shown as hex).
fn is_bytes(types: &PortableRegistry, id: u32) -> bool {
    match types.resolve(id).map(|t| &t.type_def) {
        Some(TypeDef::Sequence(s)) => is_byte(types, s.type_param.id),
        Some(TypeDef::Array(a)) => is_byte(types, a.type_param.id),
        Some(TypeDef::Composite(c)) if c.fields.len() == 1 => is_bytes(types, c.fields[0].ty.id),
        _ => false,
    }
}

fn is_list(types: &PortableRegistry, id: u32) -> bool {
    matches!(
        types.resolve(id).map(|t| &t.type_def),
        Some(TypeDef::Sequence(_) | TypeDef::Array(_))
    )
}

fn is_option(types: &PortableRegistry, id: u32) -> bool {
    types
        .resolve(id)
        .is_some_and(|t: &scale_info::Type<PortableForm>| t.path.segments == ["Option"])
}

fn hex(values: &Composite<u32>) -> Option<String> {
    let mut out = String::from("0x");
    for v in values.values() {
        match v.value {
            ValueDef::Primitive(Primitive::U128(b)) if b <= 255 => {
                out.push_str(&format!("{b:02x}"))
            }
            _ => return None,
        }
    }
    Some(out)
}

fn to_json(value: &Value<u32>, types: &PortableRegistry) -> Json {
    match &value.value {
        ValueDef::Composite(c) if is_bytes(types, value.context) => hex(c)
            .map(Json::String)
            .unwrap_or_else(|| composite(c, types)),
        // A sequence or array is a list, whatever its length (a struct's one unnamed field is
        // its value).
        ValueDef::Composite(Composite::Unnamed(values)) if is_list(types, value.context) => {
            Json::Array(values.iter().map(|v| to_json(v, types)).collect::<Vec<_>>())
        }
        ValueDef::Composite(c) => composite(c, types),
        ValueDef::Variant(v) if is_option(types, value.context) => match v.values.values().next() {
            Some(inner) if v.name == "Some" => to_json(inner, types),
            _ => Json::Null,
        },
        ValueDef::Variant(v) if v.values.is_empty() => Json::String(v.name.clone()),
        ValueDef::Variant(v) => json!({ v.name.clone(): composite(&v.values, types) }),
        ValueDef::Primitive(p) => primitive(p),
        ValueDef::BitSequence(_) => Json::String("(bits)".into()),
    }
}

fn composite(c: &Composite<u32>, types: &PortableRegistry) -> Json {
    match c {
        Composite::Named(fields) => Json::Object(
            fields
                .iter()
                .map(|(name, v)| (name.clone(), to_json(v, types)))
                .collect::<Map<_, _>>(),
        ),
        Composite::Unnamed(values) if values.len() == 1 => to_json(&values[0], types),
        Composite::Unnamed(values) => {
            Json::Array(values.iter().map(|v| to_json(v, types)).collect::<Vec<_>>())
        }
    }
}

fn primitive(p: &Primitive) -> Json {
    match p {
        Primitive::Bool(b) => Json::Bool(*b),
        Primitive::Char(c) => Json::String(c.to_string()),
        Primitive::String(s) => Json::String(s.clone()),
        Primitive::U128(n) if *n < EXACT_IN_JSON => json!(*n as u64),
        Primitive::U128(n) => Json::String(n.to_string()),
        Primitive::I128(n) if n.unsigned_abs() < EXACT_IN_JSON => json!(*n as i64),
        Primitive::I128(n) => Json::String(n.to_string()),
        Primitive::U256(_) | Primitive::I256(_) => Json::String("(256-bit)".into()),
    }
}

#[cfg(test)]
mod tests {
    use alloc::format;

    use parity_scale_codec::Encode;

    use crate::cash::{method, Transfer};
    use crate::metadata::metadata;
    use crate::names;

    #[test]
    fn a_transfers_argument_reads_with_its_field_names_and_wrong_bytes_are_refused() {
        let schema = metadata();
        let transfer = Transfer {
            to: "91320500MA1MX00020".into(),
            amount: 150_00,
            custodian: None,
        };
        let bytes = method::TRANSFER.input(&transfer);
        let decoded = schema
            .decode_argument(names::CASH, "transfer", &bytes)
            .expect("a known method")
            .expect("decodes");
        assert_eq!(decoded["to"], "91320500MA1MX00020");
        assert_eq!(decoded["amount"], 15000);
        assert_eq!(decoded["custodian"], serde_json::Value::Null);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(schema
            .decode_argument(names::CASH, "transfer", &longer)
            .expect("known")
            .is_err());
        assert!(schema
            .decode_argument(names::CASH, "transfer", &bytes[..3])
            .expect("known")
            .is_err());
        assert!(schema
            .decode_argument(names::CASH, "no_such_method", &bytes)
            .is_none());
        // A list of one is a list.
        let lines = schema
            .contract(names::VOUCHER)
            .expect("voucher")
            .methods
            .iter()
            .find(|m| m.name == "holdings")
            .expect("holdings")
            .output;
        let one: alloc::vec::Vec<alloc::string::String> = alloc::vec!["a".into()];
        assert_eq!(
            schema.decode(lines, &one.encode()).expect("decodes"),
            serde_json::json!(["a"])
        );
        let account = [7u8; 32];
        let id = schema
            .contract(names::REGISTRY)
            .expect("registry")
            .methods
            .iter()
            .find(|m| m.name == "account")
            .expect("account")
            .argument;
        assert_eq!(
            schema.decode(id, &account.encode()).expect("decodes"),
            format!("0x{}", "07".repeat(32))
        );
    }
}
