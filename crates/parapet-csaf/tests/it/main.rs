//! The integration tests of parapet-csaf: the OASIS test cases and real documents, read in place
//! from the shared data folder, and cases of our own built from a minimal valid document.

mod cases;
mod oasis;
mod real;
mod rules;

use std::path::PathBuf;

use serde_json::{Value, json};

/// The shared data folder (`../shared/data/csaf` beside the repository).
fn shared(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf").join(relative)
}

/// A valid csaf_base document with two products, a group and one vulnerability.
pub fn base() -> Value {
    json!({
        "document": {
            "category": "csaf_base",
            "csaf_version": "2.0",
            "lang": "en",
            "publisher": {"category": "vendor", "name": "Example", "namespace": "https://example.com"},
            "title": "Example",
            "tracking": {
                "current_release_date": "2024-01-02T00:00:00Z",
                "id": "EX-2024-001",
                "initial_release_date": "2024-01-01T00:00:00Z",
                "revision_history": [
                    {"date": "2024-01-01T00:00:00Z", "number": "1", "summary": "Initial version."},
                    {"date": "2024-01-02T00:00:00Z", "number": "2", "summary": "Second version."}
                ],
                "status": "final",
                "version": "2"
            }
        },
        "product_tree": {
            "full_product_names": [
                {"name": "Product A", "product_id": "A"},
                {"name": "Product B", "product_id": "B"}
            ],
            "product_groups": [{"group_id": "G", "product_ids": ["A", "B"]}]
        },
        "vulnerabilities": [{"cve": "CVE-2024-0001", "product_status": {"known_affected": ["A"]}}]
    })
}

/// Sets the value at a JSON pointer (the parent must exist; an index one past the end of an
/// array appends); `Value::Null` removes it.
pub fn set(mut doc: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = doc.pointer_mut(parent).unwrap_or_else(|| panic!("no parent for {pointer}"));
    match parent {
        Value::Object(map) if value.is_null() => {
            map.remove(key);
        }
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
        }
        Value::Array(items) => match key.parse::<usize>().unwrap() {
            i if i == items.len() => items.push(value),
            i => items[i] = value,
        },
        _ => panic!("{pointer}: parent is not a container"),
    }
    doc
}
