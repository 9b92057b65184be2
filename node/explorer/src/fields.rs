//! A decoded value (a call's arguments, an event's data, as the schema reads them) as rows a
//! page lists: each leaf with its path (`parts[1].amount`), its value, and a link where the value
//! names a member.

use serde_json::Value;

/// One leaf of a decoded value.
pub struct Field {
    pub path: String,
    pub value: String,
    /// The member's page, where the value is a USCC.
    pub href: Option<String>,
}

/// The leaves of `value`, in order; `base` is the explorer's path, for links.
pub fn flatten(value: &Value, base: &str) -> Vec<Field> {
    let mut fields = Vec::new();
    walk(value, String::new(), base, &mut fields);
    fields
}

fn walk(value: &Value, path: String, base: &str, out: &mut Vec<Field>) {
    let join = |key: &str| match path.is_empty() {
        true => key.to_string(),
        false => format!("{path}.{key}"),
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                walk(inner, join(key), base, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, inner) in items.iter().enumerate() {
                walk(inner, format!("{path}[{i}]"), base, out);
            }
        }
        leaf => {
            let value = match leaf {
                Value::String(text) => text.clone(),
                Value::Null => "—".into(),
                Value::Array(_) => "(none)".into(),
                Value::Object(_) => "(nothing)".into(),
                other => other.to_string(),
            };
            let href = catena_schema::uscc::validate(&value)
                .is_ok()
                .then(|| format!("{base}/members/{value}"));
            out.push(Field {
                path: if path.is_empty() {
                    "value".into()
                } else {
                    path
                },
                value,
                href,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_listed_with_their_paths_and_members_are_linked() {
        let value = serde_json::json!({
            "to": "91320500MA1MX00020",
            "parts": [100, 200],
            "custodian": null,
            "remark": "not a uscc",
        });
        let fields = flatten(&value, "/explorer");
        let rows: Vec<(&str, &str, Option<&str>)> = fields
            .iter()
            .map(|f| (f.path.as_str(), f.value.as_str(), f.href.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                ("custodian", "—", None),
                ("parts[0]", "100", None),
                ("parts[1]", "200", None),
                ("remark", "not a uscc", None),
                (
                    "to",
                    "91320500MA1MX00020",
                    Some("/explorer/members/91320500MA1MX00020")
                ),
            ]
        );
        assert_eq!(flatten(&serde_json::json!(5), "")[0].path, "value");
    }
}
