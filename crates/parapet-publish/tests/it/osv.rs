//! OSV 1.6: one record per vulnerability, with the fields the schema requires.

use serde_json::{Value, json};

use crate::fixtures;

/// The structure the OSV schema requires of a record and of its affected packages.
#[track_caller]
fn check(record: &Value) {
    assert_eq!(record["schema_version"], "1.6.0");
    for key in ["id", "modified"] {
        assert!(record[key].is_string(), "{key} in {record:#}");
    }
    for (i, affected) in record["affected"].as_array().unwrap().iter().enumerate() {
        for key in ["ecosystem", "name"] {
            assert!(affected["package"][key].is_string(), "affected {i}: package.{key}");
        }
        for range in affected["ranges"].as_array().into_iter().flatten() {
            assert!(matches!(range["type"].as_str(), Some("SEMVER" | "ECOSYSTEM" | "GIT")));
            let events = range["events"].as_array().unwrap();
            assert!(events.iter().any(|e| e.get("introduced").is_some()), "a range needs an introduced event");
            for event in events {
                let object = event.as_object().unwrap();
                assert_eq!(object.len(), 1, "one key per event: {event}");
                assert!(["introduced", "fixed", "last_affected", "limit"].iter().any(|k| object.contains_key(*k)));
            }
        }
    }
}

#[test]
fn one_record_per_vulnerability() {
    let records = parapet_publish::osv::records(&fixtures::bulletin(), &fixtures::settings());
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["CVE-2026-31001", "CVE-2026-31002"]);
    records.iter().for_each(check);

    let server = &records[0]["affected"][1];
    assert_eq!(
        server["package"],
        json!({ "ecosystem": "crates.io", "name": "acme-widget-server", "purl": "pkg:cargo/acme-widget-server" })
    );
    assert_eq!(
        server["ranges"][0]["events"],
        json!([{ "introduced": "0" }, { "fixed": "1.9.5" }, { "introduced": "2.2.0" }, { "fixed": "2.3.1" }])
    );
    assert_eq!(records[0]["affected"][0]["ranges"][0]["type"], "ECOSYSTEM");
    assert_eq!(
        records[0]["database_specific"],
        json!({ "document": "PSB-2026-014", "severity": "Critical", "cwe_ids": ["CWE-122"] })
    );
    assert_eq!(records[1]["affected"].as_array().unwrap().len(), 1, "Widget Parser is not affected by the traversal");
    insta::assert_json_snapshot!("bulletin.osv", records);
}

#[test]
fn vulnerabilities_without_cve_take_the_document_id() {
    let mut doc = fixtures::bulletin();
    doc.vulnerabilities[1].cve = None;
    let records = parapet_publish::osv::records(&doc, &fixtures::settings());
    assert_eq!(records[1]["id"], "PSB-2026-014-1");
    records.iter().for_each(check);
}
