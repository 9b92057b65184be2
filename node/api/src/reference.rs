//! The API reference in Markdown, generated from the OpenAPI document (docs/api-reference.md;
//! a test fails when the file is stale: `UPDATE_API_REFERENCE=1 cargo test -p catena-api`
//! rewrites it).

use serde_json::Value;

/// Renders every route of the document: method, path, what it does, its parameters, request
/// body and responses.
pub fn markdown(doc: &Value) -> String {
    let mut out = String::from(
        "# API reference\n\nGenerated from `GET /openapi.json` (do not edit by hand; see \
         node/api/src/reference.rs). The overview is docs/api.md.\n\nA node hosting several \
         chains serves every route below except `GET /chains` once per chain under \
         `/chains/{chain_id}` (for example `GET /chains/{chain_id}/status`), and its main \
         chain's also at `/` as listed. `/metrics` carries every chain's series, each labelled \
         `chain=\"…\"`.\n",
    );
    let schema_name = |v: &Value| -> String {
        let reference = v["$ref"]
            .as_str()
            .or_else(|| v["items"]["$ref"].as_str())
            .map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
        match (reference, v["type"].as_str()) {
            (Some(name), Some("array")) => format!("array of `{name}`"),
            (Some(name), _) => format!("`{name}`"),
            (None, Some(kind)) => format!("`{kind}`"),
            (None, None) => "—".into(),
        }
    };
    let Some(paths) = doc["paths"].as_object() else {
        return out;
    };
    for (path, item) in paths {
        let Some(methods) = item.as_object() else {
            continue;
        };
        for (method, op) in methods {
            out += &format!("\n## `{} {path}`\n\n", method.to_uppercase());
            if let Some(text) = op["description"].as_str().or(op["summary"].as_str()) {
                out += &format!("{}\n\n", text.trim());
            }
            if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
                out += "| parameter | in | required | type | description |\n| --- | --- | --- | --- | --- |\n";
                for p in params {
                    out += &format!(
                        "| `{}` | {} | {} | {} | {} |\n",
                        p["name"].as_str().unwrap_or(""),
                        p["in"].as_str().unwrap_or(""),
                        if p["required"].as_bool().unwrap_or(false) {
                            "yes"
                        } else {
                            "no"
                        },
                        schema_name(&p["schema"]),
                        p["description"].as_str().unwrap_or("").replace('\n', " ")
                    );
                }
                out += "\n";
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (kind, body) in content {
                    out += &format!(
                        "Request body ({kind}): {}\n\n",
                        schema_name(&body["schema"])
                    );
                }
            }
            if let Some(responses) = op["responses"].as_object() {
                out += "| status | body |\n| --- | --- |\n";
                for (status, response) in responses {
                    let body = response["content"]
                        .as_object()
                        .and_then(|c| c.values().next())
                        .map_or_else(|| "—".to_string(), |b| schema_name(&b["schema"]));
                    out += &format!("| {status} | {body} |\n");
                }
            }
        }
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        out += "\n# Schemas\n";
        for (name, schema) in schemas {
            out += &format!("\n## `{name}`\n\n");
            if let Some(text) = schema["description"].as_str() {
                out += &format!("{}\n\n", text.trim());
            }
            if let Some(props) = schema["properties"].as_object() {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                out += "| field | type | required | description |\n| --- | --- | --- | --- |\n";
                for (field, p) in props {
                    out += &format!(
                        "| `{field}` | {} | {} | {} |\n",
                        schema_name(p),
                        if required.contains(&field.as_str()) {
                            "yes"
                        } else {
                            "no"
                        },
                        p["description"].as_str().unwrap_or("").replace('\n', " ")
                    );
                }
            } else if let Some(values) = schema["enum"].as_array() {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| format!("`{}`", v.as_str().unwrap_or("")))
                    .collect();
                out += &format!("One of {}.\n", values.join(", "));
            }
        }
    }
    out
}
