//! CVE JSON 5.1: one record per CVE, with the fields the record format requires.

use serde_json::Value;

use crate::fixtures;

/// The fields CVE JSON 5.1 requires of a published record and its CNA container.
#[track_caller]
fn check(record: &Value) {
    assert_eq!(record["dataType"], "CVE_RECORD");
    assert_eq!(record["dataVersion"], "5.1");
    let meta = &record["cveMetadata"];
    for key in ["cveId", "assignerOrgId", "state"] {
        assert!(meta[key].is_string(), "cveMetadata.{key}");
    }
    assert_eq!(meta["state"], "PUBLISHED");
    let cna = &record["containers"]["cna"];
    assert!(cna["providerMetadata"]["orgId"].is_string());
    for key in ["affected", "descriptions", "references"] {
        assert!(!cna[key].as_array().unwrap().is_empty(), "containers.cna.{key}");
    }
    for affected in cna["affected"].as_array().unwrap() {
        assert!(affected["vendor"].is_string() && affected["product"].is_string());
        for version in affected["versions"].as_array().unwrap() {
            assert!(version["version"].is_string() && version["status"].is_string(), "{version}");
            if version.get("lessThan").is_some() {
                assert!(version["versionType"].is_string(), "a range needs its versionType: {version}");
            }
        }
    }
    for description in cna["descriptions"].as_array().unwrap() {
        assert_eq!(description["lang"], "en");
        assert!(description["value"].is_string());
    }
    for reference in cna["references"].as_array().unwrap() {
        assert!(reference["url"].as_str().unwrap().starts_with("https://"));
    }
}

#[test]
fn one_record_per_cve() {
    let mut doc = fixtures::bulletin();
    let records = parapet_publish::cve::records(&doc, &fixtures::settings());
    assert_eq!(records.len(), 2);
    records.iter().for_each(check);
    let cna = &records[0]["containers"]["cna"];
    assert_eq!(cna["metrics"][0]["cvssV4_0"]["baseScore"], 9.3);
    assert_eq!(cna["metrics"][1]["cvssV3_1"]["baseSeverity"], "CRITICAL");
    assert_eq!(cna["problemTypes"][0]["descriptions"][0]["cweId"], "CWE-122");
    insta::assert_json_snapshot!("bulletin.cve", records);

    doc.vulnerabilities[0].cve = None;
    assert_eq!(parapet_publish::cve::records(&doc, &fixtures::settings()).len(), 1, "no record without a CVE");
}
