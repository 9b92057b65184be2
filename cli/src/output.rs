//! Printing: readable lines and tables, or JSON, for every command.

use super::*;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub(crate) enum Output {
    /// Readable lines and tables.
    #[value(alias = "text")]
    Table,
    Json,
}

pub(crate) fn print_value(value: &serde_json::Value, output: Output) -> anyhow::Result<()> {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(value)?),
        Output::Table => print_fields(value, 0),
    }
    Ok(())
}

/// Prints a JSON object as indented `key: value` lines.
pub(crate) fn print_fields(value: &serde_json::Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match value {
                    serde_json::Value::Object(_) => {
                        println!("{pad}{key}:");
                        print_fields(value, indent + 2);
                    }
                    serde_json::Value::Array(items) if items.is_empty() => {
                        println!("{pad}{key}: (none)")
                    }
                    serde_json::Value::Array(items) => {
                        println!("{pad}{key}:");
                        for item in items {
                            match item {
                                serde_json::Value::Object(_) => {
                                    println!("{pad}  -");
                                    print_fields(item, indent + 4);
                                }
                                other => println!("{pad}  - {}", scalar(other)),
                            }
                        }
                    }
                    other => println!("{pad}{key}: {}", scalar(other)),
                }
            }
        }
        other => println!("{pad}{}", scalar(other)),
    }
}

pub(crate) fn scalar(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    }
}
