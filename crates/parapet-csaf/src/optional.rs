//! The optional tests of section 6.2: each failure is a warning. 6.2.13 (sorting) needs the
//! document's text and lives in `sorting`; 6.2.20 (additional properties) is part of the schema
//! walk.

use std::collections::HashSet;

use serde_json::Value;

use crate::doc::{Doc, items, strings};
use crate::{Sink, join};
use crate::{cvss, format};

const AFFECTED: [&str; 3] = ["first_affected", "known_affected", "last_affected"];

pub fn check(doc: &Doc, sink: &mut Sink) {
    unused_products(doc, sink);
    for (v, vulnerability) in doc.vulnerabilities.iter().enumerate() {
        let path = join("/vulnerabilities", v);
        remediations_and_scores(doc, vulnerability, &path, sink);
        fixed_products_scores(vulnerability, &path, sink);
        for (i, involvement) in items(vulnerability.get("involvements")) {
            if involvement.get("date").is_none() {
                sink.warning("6.2.7", format!("{path}/involvements/{i}"), "this involvement has no date");
            }
        }
        for (i, id) in items(vulnerability.get("ids")) {
            if let Some(text) = id.get("text").and_then(Value::as_str)
                && format::cve(text)
            {
                sink.warning(
                    "6.2.17",
                    format!("{path}/ids/{i}/text"),
                    format!("{text} is a CVE ID: it belongs in cve"),
                );
            }
        }
    }
    revision_dates(doc, sink);
    hashes(doc, sink);
    document(doc, sink);
    for product in &doc.products {
        if product.value.get("product_identification_helper").is_none() {
            sink.warning(
                "6.2.16",
                &product.path,
                format!("product {:?} has no product identification helper", product.id),
            );
        }
    }
    for branch in &doc.branches {
        if branch.category == "product_version_range" && !vers_like(branch.name) {
            sink.warning(
                "6.2.18",
                join(&branch.path, "name"),
                format!("version range {:?} is not a vers specifier (vers:<scheme>/<constraints>)", branch.name),
            );
        }
    }
}

/// `^vers:[a-z\.\-\+][a-z0-9\.\-\+]*/.+`
fn vers_like(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("vers:") else { return false };
    let Some((scheme, tail)) = rest.split_once('/') else { return false };
    let sym = |b: u8| matches!(b, b'.' | b'-' | b'+');
    scheme.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || sym(b))
        && scheme.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || sym(b))
        && !tail.is_empty()
}

/// 6.2.1: every defined product is referenced.
fn unused_products(doc: &Doc, sink: &mut Sink) {
    if doc.category == Some("csaf_informational_advisory") {
        return;
    }
    let referenced: HashSet<&str> = doc.product_refs.iter().map(|(id, _)| *id).collect();
    for product in &doc.products {
        if !referenced.contains(product.id) {
            sink.warning(
                "6.2.1",
                join(&product.path, "product_id"),
                format!("product {:?} is never referenced", product.id),
            );
        }
    }
}

/// 6.2.2 (affected and investigated products have a remediation) and 6.2.3 (affected products
/// have a score).
fn remediations_and_scores(doc: &Doc, vulnerability: &Value, path: &str, sink: &mut Sink) {
    let Some(status) = vulnerability.get("product_status") else { return };
    let mut remediated: HashSet<&str> = HashSet::new();
    for (_, remediation) in items(vulnerability.get("remediations")) {
        remediated.extend(doc.covered(remediation));
    }
    let scored: HashSet<&str> =
        items(vulnerability.get("scores")).flat_map(|(_, s)| strings(s.get("products")).map(|(_, id)| id)).collect();
    for list in AFFECTED.iter().chain(&["under_investigation"]) {
        for (i, id) in strings(status.get(*list)) {
            let item_path = format!("{path}/product_status/{list}/{i}");
            if !remediated.contains(id) {
                sink.warning("6.2.2", &item_path, format!("product {id:?} ({list}) has no remediation"));
            }
            if *list != "under_investigation" && !scored.contains(id) {
                sink.warning("6.2.3", &item_path, format!("product {id:?} ({list}) has no score"));
            }
        }
    }
}

/// 6.2.19: a score that covers a fixed product has an environmental score of 0.
fn fixed_products_scores(vulnerability: &Value, path: &str, sink: &mut Sink) {
    let Some(status) = vulnerability.get("product_status") else { return };
    let fixed: HashSet<&str> =
        ["first_fixed", "fixed"].iter().flat_map(|list| strings(status.get(*list)).map(|(_, id)| id)).collect();
    if fixed.is_empty() {
        return;
    }
    for (s, score) in items(vulnerability.get("scores")) {
        let Some(product) = strings(score.get("products")).map(|(_, id)| id).find(|id| fixed.contains(id)) else {
            continue;
        };
        for key in ["cvss_v2", "cvss_v3"] {
            let Some(cvss) = score.get(key) else { continue };
            // Without an environmental score, the one its vector and its properties compute:
            // the spec counts modified impacts stated either way (the note of example 111).
            let environmental = cvss.get("environmentalScore").and_then(Value::as_f64).or_else(|| {
                let object = cvss.as_object()?;
                let vector = cvss.get("vectorString")?.as_str()?;
                if key == "cvss_v2" {
                    return Some(cvss::V2::parse(vector)?.with_properties(object).scores().environmental);
                }
                let version = vector.strip_prefix("CVSS:")?.split('/').next()?;
                Some(cvss::V3::parse(vector, version)?.with_properties(object).scores().environmental)
            });
            if environmental != Some(0.0) {
                sink.warning(
                    "6.2.19",
                    format!("{path}/scores/{s}/{key}"),
                    format!("fixed product {product:?} has a CVSS score whose environmental score is not 0"),
                );
            }
        }
    }
}

/// 6.2.4 (build metadata), 6.2.5 and 6.2.6 (release dates against the history).
fn revision_dates(doc: &Doc, sink: &mut Sink) {
    for revision in &doc.revisions {
        if revision.version.as_ref().is_some_and(format::Version::has_build) {
            sink.warning(
                "6.2.4",
                format!("/document/tracking/revision_history/{}/number", revision.index),
                format!("revision {:?} has build metadata", revision.number),
            );
        }
    }
    let dates: Vec<_> = doc.revisions.iter().filter_map(|r| r.date).collect();
    let date = |key: &str| doc.str(&format!("/document/tracking/{key}")).and_then(format::date_time);
    if let (Some(initial), Some(oldest)) = (date("initial_release_date"), dates.iter().min())
        && initial < *oldest
    {
        sink.warning(
            "6.2.5",
            "/document/tracking/initial_release_date",
            format!("the initial release date {initial} is older than the oldest revision ({oldest})"),
        );
    }
    if let (Some(current), Some(newest)) = (date("current_release_date"), dates.iter().max())
        && current < *newest
    {
        sink.warning(
            "6.2.6",
            "/document/tracking/current_release_date",
            format!("the current release date {current} is older than the newest revision ({newest})"),
        );
    }
}

/// 6.2.8 and 6.2.9: MD5 or SHA-1 is not the only hash of a file.
fn hashes(doc: &Doc, sink: &mut Sink) {
    for product in &doc.products {
        let Some(hashes) = product.value.pointer("/product_identification_helper/hashes") else { continue };
        for (h, hash) in items(Some(hashes)) {
            let algorithms: HashSet<String> = items(hash.get("file_hashes"))
                .filter_map(|(_, f)| f.get("algorithm").and_then(Value::as_str))
                .map(str::to_ascii_lowercase)
                .collect();
            let path = format!("{}/product_identification_helper/hashes/{h}/file_hashes", product.path);
            for (test, weak) in [("6.2.8", "md5"), ("6.2.9", "sha1")] {
                if algorithms.len() == 1 && algorithms.contains(weak) {
                    sink.warning(test, &path, format!("{weak} is the only hash algorithm of this file"));
                }
            }
        }
    }
}

/// 6.2.10 (TLP label), 6.2.11 (canonical URL), 6.2.12 (language), 6.2.14 and 6.2.15 (language
/// tags).
fn document(doc: &Doc, sink: &mut Sink) {
    // "Present and valid": one of the labels of TLP v1, which CSAF 2.0 uses.
    match doc.str("/document/distribution/tlp/label") {
        None => sink.warning("6.2.10", "/document/distribution/tlp/label", "the document has no TLP label"),
        Some(label) if !["WHITE", "GREEN", "AMBER", "RED"].contains(&label) => sink.warning(
            "6.2.10",
            "/document/distribution/tlp/label",
            format!("{label:?} is not a TLP label; expected WHITE, GREEN, AMBER or RED"),
        ),
        Some(_) => {}
    }
    if let Some(id) = doc.str("/document/tracking/id") {
        let file_name = file_name(id);
        let canonical = items(doc.root.pointer("/document/references")).any(|(_, r)| {
            r.get("category").and_then(Value::as_str) == Some("self")
                && r.get("url").and_then(Value::as_str).is_some_and(|url| {
                    // The spec asks that the URL end with the file name, not that its last
                    // segment be it.
                    url.starts_with("https://") && url.ends_with(file_name.as_str())
                })
        });
        if !canonical {
            sink.warning(
                "6.2.11",
                "/document/references",
                format!("no reference of category self gives the canonical https:// URL ending in {file_name:?}"),
            );
        }
    }
    if doc.str("/document/lang").is_none() {
        sink.warning("6.2.12", "/document/lang", "the document language is missing");
    }
    for key in ["lang", "source_lang"] {
        let path = format!("/document/{key}");
        let Some(text) = doc.str(&path) else { continue };
        let Some(tag) = format::lang(text) else { continue };
        if tag.uses_private_subtags() {
            sink.warning("6.2.14", &path, format!("language tag {text:?} uses subtags reserved for private use"));
        }
        if text.eq_ignore_ascii_case("i-default") {
            sink.warning("6.2.15", &path, "the language tag is the default language i-default");
        }
    }
}

/// The file name section 5.1 derives from a tracking ID.
pub fn file_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 5);
    let mut replacing = false;
    for c in id.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '-' {
            out.push(c);
            replacing = false;
        } else if !replacing {
            out.push('_');
            replacing = true;
        }
    }
    out.push_str(".json");
    out
}
