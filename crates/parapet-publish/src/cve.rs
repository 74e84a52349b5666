//! CVE JSON 5.1 records, one per CVE, ready to submit to a CNA: the CNA container with affected
//! products (each branch's update as a `lessThan` range), descriptions, CVSS metrics, the CWE,
//! references and credits.

use parapet_model::{Document, Product, Vulnerability};
use parapet_versions::Scheme;
use serde_json::{Value, json};

use crate::products::{self, Products};
use crate::{Settings, csaf_url, page_url, timestamp};

pub const DATA_VERSION: &str = "5.1";

/// One record per vulnerability that has a CVE ID, in the document's order.
pub fn records(document: &Document, settings: &Settings) -> Vec<Value> {
    let products = Products::of(document);
    document
        .vulnerabilities
        .iter()
        .filter_map(|v| Some(record(document, &products, v.cve.as_deref()?, v, settings)))
        .collect()
}

fn record(document: &Document, products: &Products, cve: &str, v: &Vulnerability, settings: &Settings) -> Value {
    let published = document.initial_release().map(timestamp);
    let updated = document.current().map(|r| timestamp(r.date));
    let mut cna = json!({
        "providerMetadata": {
            "orgId": settings.cna_org_id,
            "shortName": settings.cna_short_name,
            "dateUpdated": updated,
        },
        "title": v.title,
        "datePublic": published,
        "descriptions": [{ "lang": "en", "value": v.description }],
        "affected": affected(document, products, v),
        "references": references(document, products, v, settings),
    });
    let mut metrics = Vec::new();
    if let Some(v4) = &v.cvss.v4 {
        metrics.push(json!({
            "format": "CVSS",
            "scenarios": [{ "lang": "en", "value": "GENERAL" }],
            "cvssV4_0": {
                "version": "4.0",
                "vectorString": v4.vector,
                "baseScore": v4.score,
                "baseSeverity": v4.severity().to_ascii_uppercase(),
            },
        }));
    }
    if let Some(v3) = &v.cvss.v31 {
        let (key, version) = if v3.vector.starts_with("CVSS:3.0/") { ("cvssV3_0", "3.0") } else { ("cvssV3_1", "3.1") };
        metrics.push(json!({
            "format": "CVSS",
            "scenarios": [{ "lang": "en", "value": "GENERAL" }],
            key: {
                "version": version,
                "vectorString": v3.vector,
                "baseScore": v3.score,
                "baseSeverity": v3.severity().to_ascii_uppercase(),
            },
        }));
    }
    if !metrics.is_empty() {
        cna["metrics"] = json!(metrics);
    }
    if let Some(cwe) = &v.cwe {
        cna["problemTypes"] = json!([{
            "descriptions": [{
                "lang": "en",
                "cweId": cwe.id,
                "description": format!("{} {}", cwe.id, cwe.name),
                "type": "CWE",
            }],
        }]);
    }
    let solutions: Vec<Value> = products.fixes(document, v)
        .into_iter()
        .filter_map(|u| {
            let product = document.products.iter().find(|p| p.id == u.product_id)?;
            let branch = u.branch.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
            Some(json!({
                "lang": "en",
                "value": format!("Update {} {}{branch} to version {} or later.", product.vendor_name, product.name, u.fixed_version),
            }))
        })
        .collect();
    if !solutions.is_empty() {
        cna["solutions"] = json!(solutions);
    }
    let workarounds: Vec<Value> = v
        .workarounds
        .iter()
        .map(|w| {
            let value = match &w.undo {
                Some(undo) => format!("{}\n\nTo undo the workaround: {undo}", w.text),
                None => w.text.clone(),
            };
            json!({ "lang": "en", "value": value })
        })
        .collect();
    if !workarounds.is_empty() {
        cna["workarounds"] = json!(workarounds);
    }
    let credits: Vec<Value> = v
        .acknowledgments
        .iter()
        .flat_map(|a| {
            let organization = a.organization.as_deref();
            let names: Vec<String> = if a.names.is_empty() {
                organization.map(str::to_owned).into_iter().collect()
            } else {
                a.names.iter().map(|n| organization.map_or_else(|| n.clone(), |o| format!("{n} ({o})"))).collect()
            };
            names
        })
        .map(|value| json!({ "lang": "en", "value": value, "type": "finder" }))
        .collect();
    if !credits.is_empty() {
        cna["credits"] = json!(credits);
    }
    json!({
        "dataType": "CVE_RECORD",
        "dataVersion": DATA_VERSION,
        "cveMetadata": {
            "cveId": cve,
            "assignerOrgId": settings.cna_org_id,
            "assignerShortName": settings.cna_short_name,
            "state": "PUBLISHED",
            "datePublished": published,
            "dateUpdated": updated,
        },
        "containers": { "cna": cna },
    })
}

fn references(document: &Document, products: &Products, v: &Vulnerability, settings: &Settings) -> Vec<Value> {
    let mut references = vec![
        json!({ "url": page_url(&document.id, settings), "name": document.id, "tags": ["vendor-advisory"] }),
        json!({ "url": csaf_url(document, settings), "name": format!("{} (CSAF)", document.id), "tags": ["vendor-advisory"] }),
    ];
    let mut fixes: Vec<&str> = products.fixes(document, v).into_iter().filter_map(|u| u.url.as_deref()).collect();
    fixes.sort_unstable();
    fixes.dedup();
    references.extend(fixes.into_iter().map(|url| json!({ "url": url, "tags": ["patch"] })));
    references.extend(document.references.iter().map(|r| json!({ "url": r.url, "name": r.summary })));
    references
}

/// One entry per affected product: unaffected by default, each branch affected from its lowest
/// affected version up to its fixed version.
fn affected(document: &Document, products: &Products, v: &Vulnerability) -> Vec<Value> {
    let mut out = Vec::new();
    for product in products.products() {
        let entries = products.affected(product, v);
        if entries.is_empty() {
            continue;
        }
        let version_type = version_type(product);
        let mut versions: Vec<Value> = Vec::new();
        for entry in &entries {
            let update = entry.update(document);
            match update {
                // Entries are sorted, so the first of a branch is its lowest affected version; the oldest
                // branch is affected from the beginning.
                Some(update) => {
                    let first = !versions.iter().any(|r| r.get("lessThan").is_some());
                    let already = versions.iter().any(|r| r["lessThan"] == json!(update.fixed_version));
                    if !already {
                        versions.push(json!({
                            "version": if first { "0" } else { entry.version.as_str() },
                            "lessThan": update.fixed_version,
                            "status": "affected",
                            "versionType": version_type,
                        }));
                    }
                }
                None => versions.push(json!({ "version": entry.version, "status": "affected" })),
            }
        }
        let mut item = json!({
            "vendor": product.vendor_name,
            "product": product.name,
            "defaultStatus": "unaffected",
            "versions": versions,
        });
        let mut cpes: Vec<&str> = entries.iter().filter_map(|e| e.cpe.as_deref()).collect();
        cpes.dedup();
        if !cpes.is_empty() {
            item["cpes"] = json!(cpes);
        }
        if let Some(package) = products::package(product)
            && let Some(name) = package.package_name()
        {
            item["packageName"] = json!(name);
        }
        out.push(item);
    }
    out
}

/// CVE's `versionType` for a product's versions.
fn version_type(product: &Product) -> &'static str {
    match products::scheme(product) {
        Scheme::Semver | Scheme::Go => "semver",
        Scheme::Deb => "dpkg",
        Scheme::Rpm => "rpm",
        Scheme::Maven => "maven",
        Scheme::Pypi | Scheme::Pep440 => "python",
        _ => "custom",
    }
}
