//! CSAF 2.0: what Parapet writes passes its own validator with no error and no warning.

use parapet_model::Document;
use serde_json::Value;

use crate::fixtures;

#[track_caller]
fn check(document: &Document, category: &str) -> Value {
    let csaf = parapet_publish::csaf::document(document, &fixtures::settings());
    assert_eq!(csaf["document"]["category"], category);
    let text = serde_json::to_string_pretty(&csaf).unwrap();
    let report = parapet_csaf::validate_str(&text).unwrap();
    assert!(report.errors.is_empty(), "{}: errors {:#?}", document.id, report.errors);
    assert!(report.warnings.is_empty(), "{}: warnings {:#?}", document.id, report.warnings);
    assert!(report.infos.is_empty(), "{}: infos {:#?}", document.id, report.infos);
    csaf
}

#[test]
fn bulletin() {
    let csaf = check(&fixtures::bulletin(), "csaf_security_advisory");
    let tracking = &csaf["document"]["tracking"];
    assert_eq!(tracking["version"], "1.1.0");
    assert_eq!(tracking["initial_release_date"], "2026-12-08T18:00:00Z");
    assert_eq!(tracking["current_release_date"], "2026-12-10T17:30:00Z");
    assert_eq!(csaf["document"]["aggregate_severity"]["text"], "Critical");
    insta::assert_json_snapshot!("bulletin.csaf", csaf);
}

#[test]
fn advisory_without_vulnerabilities() {
    let csaf = check(&fixtures::advisory(), "csaf_informational_advisory");
    assert!(csaf.get("vulnerabilities").is_none());
    insta::assert_json_snapshot!("advisory.csaf", csaf);
}

#[test]
fn draft_preview_and_withdrawal() {
    let mut draft = fixtures::bulletin();
    draft
        .revise(
            parapet_model::Change::Major,
            time::macros::datetime!(2026-12-15 18:00 UTC),
            "Re-released the 2.x update",
        )
        .unwrap();
    let csaf = check(&draft, "csaf_security_advisory");
    assert_eq!(csaf["document"]["tracking"]["status"], "draft");
    assert_eq!(csaf["document"]["tracking"]["version"], "2.0.0");

    let mut withdrawn = fixtures::bulletin();
    withdrawn.withdraw(time::macros::datetime!(2026-12-20 18:00 UTC), "The 2.x update broke exports").unwrap();
    withdrawn.publish(parapet_model::RevisionStatus::Final, time::macros::datetime!(2026-12-20 18:00 UTC)).unwrap();
    let csaf = check(&withdrawn, "csaf_security_advisory");
    let notes = csaf["document"]["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["title"] == "Withdrawn" && n["text"] == "The 2.x update broke exports"));
}

/// An advisory is a security advisory when a vulnerability names affected products, else an
/// informational one, whose CVEs are listed in a note.
#[test]
fn advisories_by_content() {
    let bulletin = fixtures::bulletin();
    let third_party = |affected: Vec<i64>| {
        let mut doc = fixtures::advisory();
        doc.category = Some(parapet_model::AdvisoryCategory::ThirdParty);
        doc.products = bulletin.products.clone();
        let mut v = bulletin.vulnerabilities[0].clone();
        v.affected = affected;
        v.workarounds.clear();
        doc.vulnerabilities = vec![v];
        doc.validate().unwrap();
        doc
    };

    let csaf = check(&third_party(vec![12]), "csaf_security_advisory");
    let status = &csaf["vulnerabilities"][0]["product_status"];
    assert_eq!(status["known_affected"], serde_json::json!(["CSAFPID-0005"]));
    assert!(status.get("fixed").is_none(), "an advisory without updates fixes nothing");

    let csaf = check(&third_party(vec![]), "csaf_informational_advisory");
    let notes = csaf["document"]["notes"].as_array().unwrap();
    let listed = notes.iter().find(|n| n["title"] == "Vulnerabilities").unwrap();
    assert!(listed["text"].as_str().unwrap().starts_with("CVE-2026-31001: "));
}

/// The order products, versions and updates are listed in does not change the output.
#[test]
fn output_does_not_depend_on_input_order() {
    let settings = fixtures::settings();
    let doc = fixtures::bulletin();
    let mut shuffled = doc.clone();
    shuffled.products.reverse();
    for product in &mut shuffled.products {
        product.versions.reverse();
    }
    shuffled.updates.reverse();
    assert_eq!(parapet_publish::csaf::document(&shuffled, &settings), parapet_publish::csaf::document(&doc, &settings));
    assert_eq!(parapet_publish::osv::records(&shuffled, &settings), parapet_publish::osv::records(&doc, &settings));
    assert_eq!(parapet_publish::cve::records(&shuffled, &settings), parapet_publish::cve::records(&doc, &settings));
}

#[test]
fn vex_per_product() {
    let bulletin = fixtures::bulletin();
    let documents = parapet_publish::csaf::vex(&bulletin, &fixtures::settings());
    let affected_products: std::collections::BTreeSet<i64> = bulletin
        .vulnerabilities
        .iter()
        .flat_map(|v| &v.affected)
        .filter_map(|id| bulletin.version(*id).map(|(p, _)| p.id))
        .collect();
    assert_eq!(documents.len(), affected_products.len(), "one VEX document per affected product");
    for (narrowed, csaf) in &documents {
        assert_eq!(csaf["document"]["category"], "csaf_vex");
        assert_eq!(narrowed.products.len(), 1);
        assert_eq!(csaf["document"]["tracking"]["id"].as_str(), Some(narrowed.id.as_str()));
        let text = serde_json::to_string_pretty(csaf).unwrap();
        let report = parapet_csaf::validate_str(&text).unwrap();
        assert!(report.errors.is_empty(), "{}: errors {:#?}", narrowed.id, report.errors);
        // Every vulnerability names this product's status, and only this product's.
        let vulnerabilities = csaf["vulnerabilities"].as_array().unwrap();
        assert!(!vulnerabilities.is_empty());
        for v in vulnerabilities {
            assert!(v["product_status"].as_object().is_some_and(|s| !s.is_empty()), "{v:#}");
        }
    }
    let ids: Vec<&str> = documents.iter().map(|(d, _)| d.id.as_str()).collect();
    assert!(ids.iter().all(|id| id.starts_with(&format!("{}-VEX-P", bulletin.id))), "{ids:?}");
    insta::assert_json_snapshot!("bulletin.vex", documents.first().map(|(_, csaf)| csaf));
}
