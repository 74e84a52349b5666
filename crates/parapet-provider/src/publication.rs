//! Turning a document into a signed entry of the provider directory: from a bulletin or advisory
//! written in Parapet ([`from_document`]), or from an existing CSAF document being imported
//! ([`from_csaf`]). Both validate first: nothing that fails a mandatory test is signed.

use parapet_model::{Document, DocumentKind, Publication, Severity};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::directory::{Digests, Label, document_path};
use crate::signing::SigningKey;

/// Why a document cannot be published: the validator's errors, or what could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{}", describe(.0))]
    Invalid(Vec<parapet_csaf::Problem>),
    #[error("{0}")]
    Unreadable(String),
    #[error("cannot sign: {0}")]
    Signing(String),
}

fn describe(problems: &[parapet_csaf::Problem]) -> String {
    let shown: Vec<String> =
        problems.iter().take(5).map(|p| format!("test {} failed at {}: {}", p.test, p.path, p.message)).collect();
    let more = problems.len().saturating_sub(shown.len());
    let mut text = shown.join("; ");
    if more > 0 {
        text.push_str(&format!(" (and {more} more)"));
    }
    text
}

/// The published revision of an authored document, rendered as CSAF, validated and signed;
/// with `vex`, followed by one `csaf_vex` document per affected product. `document`'s latest
/// revision must be the one being published (already marked interim or final). If any of them
/// fails a mandatory test, none is made.
pub fn from_document(
    document: &Document,
    settings: &parapet_publish::Settings,
    release_month: Option<&str>,
    vex: bool,
    key: &SigningKey,
) -> Result<Vec<Publication>, Refusal> {
    let csaf = parapet_publish::csaf::document(document, settings);
    let mut publications = vec![signed(document, csaf, release_month, key)?];
    if vex && document.kind == DocumentKind::Bulletin {
        for (narrowed, csaf) in parapet_publish::csaf::vex(document, settings) {
            publications.push(signed(&narrowed, csaf, release_month, key)?);
        }
    }
    Ok(publications)
}

fn signed(
    document: &Document,
    csaf: Value,
    release_month: Option<&str>,
    key: &SigningKey,
) -> Result<Publication, Refusal> {
    let report = parapet_csaf::validate(&csaf);
    if !report.is_valid() {
        return Err(Refusal::Invalid(report.errors));
    }
    let text = serde_json::to_string_pretty(&csaf).map_err(|e| Refusal::Unreadable(e.to_string()))?;
    let revision = document.current().ok_or_else(|| Refusal::Unreadable("the document has no revision".into()))?;
    let initial = document.initial_release().unwrap_or(revision.date);
    let digests = Digests::of(text.as_bytes());
    let signature = key.sign(text.as_bytes()).map_err(|e| Refusal::Signing(e.to_string()))?;
    let mut products: Vec<String> = document
        .products
        .iter()
        .flat_map(|p| {
            let name = format!("{} {}", p.vendor_name, p.name);
            p.versions
                .iter()
                .map(move |v| format!("{name} {}", v.version))
                .chain([format!("{} {}", p.vendor_name, p.name)])
        })
        .collect();
    products.sort_unstable();
    products.dedup();
    Ok(Publication {
        document_id: document.id.clone(),
        version: revision.number.to_string(),
        kind: document.kind,
        title: document.title.clone(),
        label: document.tlp.as_str().to_owned(),
        path: document_path(initial, &document.id),
        category: csaf.pointer("/document/category").and_then(Value::as_str).unwrap_or_default().to_owned(),
        severity: document.severity(),
        status: match document.state() {
            parapet_model::DocumentState::Withdrawn => "withdrawn",
            parapet_model::DocumentState::Superseded { .. } => "superseded",
            _ => "active",
        }
        .to_owned(),
        release_month: release_month.map(str::to_owned),
        initial_release: initial,
        current_release: revision.date,
        csaf: text,
        sha256: digests.sha256,
        sha512: digests.sha512,
        signature,
        snapshot: Some(serde_json::to_string(document).map_err(|e| Refusal::Unreadable(e.to_string()))?),
        cves: document.vulnerabilities.iter().filter_map(|v| v.cve.clone()).collect(),
        products,
    })
}

/// An existing CSAF document to import as published: its tracking ID, version and dates kept,
/// its bytes kept exactly (so hashes made elsewhere still match), signed with the provider's key.
pub fn from_csaf(text: &str, key: &SigningKey) -> Result<Publication, Refusal> {
    let report = parapet_csaf::validate_str(text).map_err(Refusal::Unreadable)?;
    if !report.is_valid() {
        return Err(Refusal::Invalid(report.errors));
    }
    let csaf: Value = serde_json::from_str(text).map_err(|e| Refusal::Unreadable(e.to_string()))?;
    let str_at = |pointer: &str| csaf.pointer(pointer).and_then(Value::as_str);
    let id = str_at("/document/tracking/id").unwrap_or_default().to_owned();
    let date = |pointer: &str| {
        let value = str_at(pointer).unwrap_or_default();
        OffsetDateTime::parse(value, &Rfc3339).map_err(|e| Refusal::Unreadable(format!("{pointer}: {value:?}: {e}")))
    };
    let initial = date("/document/tracking/initial_release_date")?;
    let current = date("/document/tracking/current_release_date")?;
    let label = Label::of_document(&csaf).map_err(Refusal::Unreadable)?;
    let category = str_at("/document/category").unwrap_or_default().to_owned();
    let kind = if category == "csaf_informational_advisory" { DocumentKind::Advisory } else { DocumentKind::Bulletin };
    let mut cves: Vec<String> = csaf
        .pointer("/vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("cve").and_then(Value::as_str).map(str::to_owned))
        .collect();
    cves.sort_unstable();
    cves.dedup();
    let mut products = Vec::new();
    if let Some(tree) = csaf.get("product_tree") {
        product_names(tree, &mut products);
    }
    products.sort_unstable();
    products.dedup();
    let digests = Digests::of(text.as_bytes());
    let signature = key.sign(text.as_bytes()).map_err(|e| Refusal::Signing(e.to_string()))?;
    Ok(Publication {
        path: document_path(initial, &id),
        document_id: id,
        version: str_at("/document/tracking/version").unwrap_or_default().to_owned(),
        kind,
        title: str_at("/document/title").unwrap_or_default().to_owned(),
        label: label.as_str().to_owned(),
        category,
        severity: severity_of(&csaf),
        status: "active".into(),
        release_month: None,
        initial_release: initial,
        current_release: current,
        csaf: text.to_owned(),
        sha256: digests.sha256,
        sha512: digests.sha512,
        signature,
        snapshot: None,
        cves,
        products,
    })
}

/// The names of every product in a product tree: the full product names of its leaves and
/// relationships, and the branch names above them.
fn product_names(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("product" | "full_product_name", Value::Object(p)) => {
                        if let Some(name) = p.get("name").and_then(Value::as_str) {
                            out.push(name.to_owned());
                        }
                    }
                    ("full_product_names", Value::Array(items)) => {
                        out.extend(
                            items.iter().filter_map(|p| p.get("name").and_then(Value::as_str)).map(str::to_owned),
                        );
                    }
                    _ => product_names(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| product_names(i, out)),
        _ => {}
    }
}

/// The vendor rating of an imported document: its aggregate severity when it names one we know,
/// else the highest CVSS v3 base severity of its vulnerabilities.
fn severity_of(csaf: &Value) -> Option<Severity> {
    let from_text = |text: &str| match text.trim().to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" | "important" => Some(Severity::Important),
        "medium" | "moderate" => Some(Severity::Moderate),
        "low" => Some(Severity::Low),
        _ => None,
    };
    if let Some(s) = csaf.pointer("/document/aggregate_severity/text").and_then(Value::as_str).and_then(from_text) {
        return Some(s);
    }
    csaf.pointer("/vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|v| v.get("scores").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|s| s.pointer("/cvss_v3/baseSeverity").and_then(Value::as_str).and_then(from_text))
        .max()
}
