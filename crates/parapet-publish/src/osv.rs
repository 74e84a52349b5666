//! OSV (schema 1.6): one record per vulnerability. The ID is the CVE ID, else the document's ID
//! with the vulnerability's number (`PSA-2026-003-1`). Products whose package URL names an OSV
//! ecosystem are listed as affected packages, with one range per package: each branch's update
//! fixes the versions from its lowest affected one (from `0` for the oldest branch).

use parapet_model::{Document, DocumentState, Product, Update, Vulnerability};
use parapet_versions::Scheme;
use parapet_versions::purl;
use serde_json::{Value, json};

use crate::products::{self, Entry, Products};
use crate::{Settings, csaf_url, local_id, page_url, timestamp};

pub const SCHEMA_VERSION: &str = "1.6.0";

/// One OSV record per vulnerability of the document, in the document's order.
pub fn records(document: &Document, settings: &Settings) -> Vec<Value> {
    let products = Products::of(document);
    document.vulnerabilities.iter().enumerate().map(|(i, v)| record(document, &products, i, v, settings)).collect()
}

fn record(document: &Document, products: &Products, index: usize, v: &Vulnerability, settings: &Settings) -> Value {
    let id = v.cve.clone().unwrap_or_else(|| local_id(document, index));
    let modified = document.current().map(|r| timestamp(r.date));
    let mut record = json!({
        "schema_version": SCHEMA_VERSION,
        "id": id,
        "modified": modified,
        "published": document.initial_release().map(timestamp),
        "summary": v.title,
        "details": details(v),
        "affected": affected(document, products, v),
        "references": references(document, products, v, settings),
        "database_specific": database_specific(document, v),
    });
    if document.state() == DocumentState::Withdrawn {
        record["withdrawn"] = json!(modified);
    }
    let mut severity = Vec::new();
    if let Some(v3) = &v.cvss.v31 {
        severity.push(json!({ "type": "CVSS_V3", "score": v3.vector }));
    }
    if let Some(v4) = &v.cvss.v4 {
        severity.push(json!({ "type": "CVSS_V4", "score": v4.vector }));
    }
    if !severity.is_empty() {
        record["severity"] = json!(severity);
    }
    let credits: Vec<Value> = v
        .acknowledgments
        .iter()
        .flat_map(|a| {
            let names = a.names.iter().map(|n| match &a.organization {
                Some(org) => format!("{n} ({org})"),
                None => n.clone(),
            });
            let organization = a.organization.iter().filter(|_| a.names.is_empty()).cloned();
            names.chain(organization).collect::<Vec<_>>()
        })
        .map(|name| json!({ "name": name, "type": "FINDER" }))
        .collect();
    if !credits.is_empty() {
        record["credits"] = json!(credits);
    }
    record
}

/// The description, then mitigations and workarounds, as Markdown.
fn details(v: &Vulnerability) -> String {
    let mut text = v.description.clone();
    if !v.mitigations.is_empty() {
        text.push_str("\n\n## Mitigations\n");
        for m in &v.mitigations {
            text.push_str(&format!("\n- {m}"));
        }
    }
    if !v.workarounds.is_empty() {
        text.push_str("\n\n## Workarounds\n");
        for w in &v.workarounds {
            text.push_str(&format!("\n- {}", w.text));
            if let Some(undo) = &w.undo {
                text.push_str(&format!(" To undo: {undo}"));
            }
        }
    }
    text
}

fn database_specific(document: &Document, v: &Vulnerability) -> Value {
    let mut specific = json!({ "document": document.id });
    if let Some(severity) = v.effective_severity() {
        specific["severity"] = json!(severity.label());
    }
    if let Some(cwe) = &v.cwe {
        specific["cwe_ids"] = json!([cwe.id]);
    }
    specific
}

fn references(document: &Document, products: &Products, v: &Vulnerability, settings: &Settings) -> Vec<Value> {
    let mut references = vec![
        json!({ "type": "ADVISORY", "url": page_url(&document.id, settings) }),
        json!({ "type": "ADVISORY", "url": csaf_url(document, settings) }),
    ];
    let mut fixes: Vec<&str> = products.fixes(document, v).into_iter().filter_map(|u| u.url.as_deref()).collect();
    fixes.sort_unstable();
    fixes.dedup();
    references.extend(fixes.into_iter().map(|url| json!({ "type": "PACKAGE", "url": url })));
    references.extend(document.references.iter().map(|r| json!({ "type": "WEB", "url": r.url })));
    references
}

fn affected(document: &Document, products: &Products, v: &Vulnerability) -> Vec<Value> {
    let mut out = Vec::new();
    for product in products.products() {
        let Some(package) = products::package(product) else { continue };
        let (Some(ecosystem), Some(name)) = (package.ecosystem(), package.package_name()) else { continue };
        let scheme = products::scheme(product);
        let entries = products.affected(product, v);
        if entries.is_empty() {
            continue;
        }
        // The affected versions grouped by the update that fixes them, oldest group first.
        let mut groups: Vec<(Option<&Update>, Vec<String>)> = Vec::new();
        for entry in &entries {
            let update = entry.update(document);
            let version = package_version(entry);
            match groups.iter_mut().find(|(u, _)| u.map(std::ptr::from_ref) == update.map(std::ptr::from_ref)) {
                Some((_, versions)) => versions.push(version),
                None => groups.push((update, vec![version])),
            }
        }
        let mut events = Vec::new();
        for (i, (update, versions)) in groups.iter().filter(|(u, _)| u.is_some()).enumerate() {
            let Some(update) = update else { continue };
            let introduced = if i == 0 { "0".to_owned() } else { versions[0].clone() };
            let fixed = products.fixed(update).map(package_version).unwrap_or_else(|| update.fixed_version.clone());
            events.push(json!({ "introduced": introduced }));
            events.push(json!({ "fixed": fixed }));
        }
        let mut versions: Vec<String> = groups.into_iter().flat_map(|(_, versions)| versions).collect();
        versions.sort_by(|a, b| products::compare(scheme, a, b));
        let mut item = json!({
            "package": { "ecosystem": ecosystem, "name": name, "purl": base_purl(product) },
            "versions": versions,
            "database_specific": { "product": format!("{} {}", product.vendor_name, product.name) },
        });
        if !events.is_empty() {
            let kind = if matches!(scheme, Scheme::Semver | Scheme::Go) { "SEMVER" } else { "ECOSYSTEM" };
            item["ranges"] = json!([{ "type": kind, "events": events }]);
        }
        out.push(item);
    }
    out
}

/// The package URL without a version, as OSV's `package.purl`.
fn base_purl(product: &Product) -> String {
    let text =
        product.purl.as_deref().or_else(|| product.versions.iter().find_map(|v| v.purl.as_deref())).unwrap_or("");
    let text = text.split(['?', '#']).next().unwrap_or(text);
    let last_slash = text.rfind('/').map_or(0, |i| i + 1);
    match text[last_slash..].rfind('@') {
        Some(at) => text[..last_slash + at].to_owned(),
        None => text.to_owned(),
    }
}

/// The version as the package's ecosystem writes it.
fn package_version(entry: &Entry) -> String {
    entry
        .purl
        .as_deref()
        .and_then(|p| purl::parse(p).ok())
        .and_then(|p| p.package_version())
        .unwrap_or_else(|| entry.version.clone())
}
