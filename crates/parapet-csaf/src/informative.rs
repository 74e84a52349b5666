//! The informative tests of section 6.3: each failure is an info. Not run: 6.3.6 and 6.3.7
//! (URLs that fail to resolve: the validator does not use the network) and 6.3.8 (spell check:
//! it carries no dictionaries).

use serde_json::Value;

use crate::doc::{Doc, items};
use crate::{Sink, join};

pub fn check(doc: &Doc, sink: &mut Sink) {
    for (v, vulnerability) in doc.vulnerabilities.iter().enumerate() {
        let path = join("/vulnerabilities", v);
        for (s, score) in items(vulnerability.get("scores")) {
            let score_path = format!("{path}/scores/{s}");
            if score.get("cvss_v2").is_some() && score.get("cvss_v3").is_none() {
                sink.info("6.3.1", format!("{score_path}/cvss_v2"), "CVSS v2 is the only scoring system of this score");
            }
            // Either path tells v3.0: the version, or a vector written for it.
            if score.pointer("/cvss_v3/version").and_then(Value::as_str) == Some("3.0") {
                sink.info("6.3.2", format!("{score_path}/cvss_v3/version"), "CVSS v3.0 is used; prefer v3.1");
            } else if score
                .pointer("/cvss_v3/vectorString")
                .and_then(Value::as_str)
                .is_some_and(|vector| vector.starts_with("CVSS:3.0/"))
            {
                sink.info(
                    "6.3.2",
                    format!("{score_path}/cvss_v3/vectorString"),
                    "the vector is CVSS v3.0; prefer v3.1",
                );
            }
        }
        if vulnerability.get("cve").is_none() {
            sink.info("6.3.3", join(&path, "cve"), "the vulnerability has no CVE");
        }
        if vulnerability.get("cwe").is_none() {
            sink.info("6.3.4", join(&path, "cwe"), "the vulnerability has no CWE");
        }
    }
    for product in &doc.products {
        let hashes = product.value.pointer("/product_identification_helper/hashes");
        for (h, hash) in items(hashes) {
            for (f, file_hash) in items(hash.get("file_hashes")) {
                let Some(value) = file_hash.get("value").and_then(Value::as_str) else { continue };
                if value.len() < 64 {
                    sink.info(
                        "6.3.5",
                        format!("{}/product_identification_helper/hashes/{h}/file_hashes/{f}/value", product.path),
                        format!("hash {value:?} is shorter than 64 characters"),
                    );
                }
            }
        }
        if let Some(categories) = &product.branch_categories {
            let mut wanted = ["vendor", "product_name", "product_version"].into_iter().peekable();
            for category in categories {
                if wanted.peek() == Some(category) {
                    wanted.next();
                }
            }
            if wanted.peek().is_some() {
                sink.info(
                    "6.3.9",
                    &product.path,
                    format!(
                        "product {:?} is not below branches vendor → product_name → product_version (found {})",
                        product.id,
                        categories.join(" → ")
                    ),
                );
            }
        }
    }
    for branch in &doc.branches {
        let path = join(&branch.path, "category");
        if branch.category == "product_version_range" {
            sink.info(
                "6.3.10",
                path,
                format!("{:?} is a version range; enumerate versions where possible", branch.name),
            );
        } else if branch.category == "product_version" {
            let mut chars = branch.name.chars();
            if matches!(chars.next(), Some('v' | 'V')) && chars.next().is_some_and(|c| c.is_ascii_digit()) {
                sink.info("6.3.11", join(&branch.path, "name"), format!("version {:?} starts with a 'v'", branch.name));
            }
        }
    }
}
