//! CSAF 2.0: bulletins as `csaf_security_advisory`; advisories as `csaf_security_advisory` when
//! a vulnerability names affected products, else as `csaf_informational_advisory` (which must not
//! have vulnerabilities, so their CVEs become a note).
//!
//! CSAF 2.0 scores only CVSS v2 and v3: a CVSS v4.0 vector is given as a note.

use parapet_model::{Document, DocumentKind, DocumentState, RevisionNumber, RevisionStatus, Vulnerability};
use serde_json::{Value, json};

use crate::products::{Entry, Products};
use crate::{Settings, csaf_url, local_id, page_url, timestamp};

/// The document's latest revision as a CSAF 2.0 document.
pub fn document(document: &Document, settings: &Settings) -> Value {
    let products = Products::of(document);
    let security =
        document.kind == DocumentKind::Bulletin || document.vulnerabilities.iter().any(|v| !v.affected.is_empty());
    let mut doc = json!({
        "category": if security { "csaf_security_advisory" } else { "csaf_informational_advisory" },
        "csaf_version": "2.0",
        "distribution": { "tlp": { "label": document.tlp.as_str(), "url": "https://www.first.org/tlp/" } },
        "lang": "en",
        "notes": notes(document, security, settings),
        "publisher": publisher(settings),
        "references": references(document, settings),
        "title": document.title,
        "tracking": tracking(document),
    });
    if let Some(severity) = document.severity() {
        doc["aggregate_severity"] = json!({ "text": severity.label() });
    }
    let mut csaf = json!({ "document": doc });
    if security {
        csaf["product_tree"] = product_tree(&products);
        csaf["vulnerabilities"] = document
            .vulnerabilities
            .iter()
            .enumerate()
            .map(|(i, v)| vulnerability(document, &products, i, v, settings))
            .collect();
    }
    csaf
}

fn publisher(settings: &Settings) -> Value {
    let mut publisher = json!({
        "category": "vendor",
        "name": settings.publisher_name,
        "namespace": settings.publisher_namespace,
    });
    if let Some(contact) = &settings.contact_details {
        publisher["contact_details"] = json!(contact);
    }
    publisher
}

fn notes(document: &Document, security: bool, settings: &Settings) -> Vec<Value> {
    let mut notes = vec![json!({ "category": "summary", "title": "Executive summary", "text": document.summary })];
    if let Some(category) = document.category {
        notes.push(json!({ "category": "general", "title": "Advisory category", "text": category.label() }));
    }
    if document.kind == DocumentKind::Bulletin {
        let restart = if document.restart_required() {
            "Yes: installing at least one of the updates requires a restart."
        } else {
            "No: none of the updates requires a restart."
        };
        notes.push(json!({ "category": "general", "title": "Restart required", "text": restart }));
    }
    if !security && !document.vulnerabilities.is_empty() {
        let list: Vec<String> = document
            .vulnerabilities
            .iter()
            .map(|v| match &v.cve {
                Some(cve) => format!("{cve}: {}", v.title),
                None => v.title.clone(),
            })
            .collect();
        notes.push(json!({ "category": "details", "title": "Vulnerabilities", "text": list.join("\n") }));
    }
    match document.state() {
        DocumentState::Withdrawn => {
            notes.push(json!({ "category": "general", "title": "Withdrawn", "text": withdrawal_reason(document) }))
        }
        DocumentState::Superseded { by } => notes.push(json!({
            "category": "general",
            "title": "Superseded",
            "text": format!("This document is superseded by {by}."),
        })),
        DocumentState::Unpublished | DocumentState::Active => {}
    }
    if let Some(disclaimer) = &settings.disclaimer {
        notes.push(json!({ "category": "legal_disclaimer", "title": "Disclaimer", "text": disclaimer }));
    }
    notes
}

fn withdrawal_reason(document: &Document) -> String {
    document.current().map(|r| r.summary.clone()).unwrap_or_default()
}

fn references(document: &Document, settings: &Settings) -> Vec<Value> {
    let mut references = vec![
        json!({ "category": "self", "summary": "Canonical URL", "url": csaf_url(document, settings) }),
        json!({ "category": "self", "summary": "This document as a web page", "url": page_url(&document.id, settings) }),
    ];
    for id in &document.replaces {
        references.push(
            json!({ "category": "external", "summary": format!("Replaces {id}"), "url": page_url(id, settings) }),
        );
    }
    if let DocumentState::Superseded { by } = document.state() {
        references.push(
            json!({ "category": "external", "summary": format!("Superseded by {by}"), "url": page_url(&by, settings) }),
        );
    }
    for reference in &document.references {
        references.push(json!({ "category": "external", "summary": reference.summary, "url": reference.url }));
    }
    references
}

/// CSAF versions are semantic versions: revision 1.1 is `1.1.0`.
fn version(number: RevisionNumber) -> String {
    format!("{}.{}.0", number.major, number.minor)
}

fn tracking(document: &Document) -> Value {
    let current = document.current();
    let history: Vec<Value> = document
        .revisions
        .iter()
        .map(|r| json!({ "date": timestamp(r.date), "number": version(r.number), "summary": r.summary }))
        .collect();
    json!({
        "current_release_date": current.map(|r| timestamp(r.date)),
        "generator": { "engine": { "name": "Parapet", "version": env!("CARGO_PKG_VERSION") } },
        "id": document.id,
        "initial_release_date": document.initial_release().map(timestamp),
        "revision_history": history,
        "status": current.map_or(RevisionStatus::Draft, |r| r.status).as_str(),
        "version": version(current.map_or(RevisionNumber::FIRST, |r| r.number)),
    })
}

/// A vendor's product names, each with its `product_version` branches.
type Names<'a> = Vec<(&'a str, Vec<Value>)>;

/// Vendor, then product name, then product version.
fn product_tree(products: &Products) -> Value {
    let mut vendors: Vec<(&str, Names)> = Vec::new();
    for entry in &products.entries {
        let vendor = entry.product.vendor_name.as_str();
        if vendors.last().is_none_or(|(name, _)| *name != vendor) {
            vendors.push((vendor, Vec::new()));
        }
        let names = &mut vendors.last_mut().expect("pushed above").1;
        let name = entry.product.name.as_str();
        if names.last().is_none_or(|(n, _)| *n != name) {
            names.push((name, Vec::new()));
        }
        names.last_mut().expect("pushed above").1.push(version_branch(entry));
    }
    let branches: Vec<Value> = vendors
        .into_iter()
        .map(|(vendor, names)| {
            let names: Vec<Value> = names
                .into_iter()
                .map(|(name, versions)| json!({ "category": "product_name", "name": name, "branches": versions }))
                .collect();
            json!({ "category": "vendor", "name": vendor, "branches": names })
        })
        .collect();
    json!({ "branches": branches })
}

fn version_branch(entry: &Entry) -> Value {
    let mut product = json!({ "name": entry.full_name(), "product_id": entry.pid });
    let mut helper = serde_json::Map::new();
    if let Some(cpe) = &entry.cpe {
        helper.insert("cpe".into(), json!(cpe));
    }
    if let Some(purl) = &entry.purl {
        helper.insert("purl".into(), json!(purl));
    }
    if !helper.is_empty() {
        product["product_identification_helper"] = Value::Object(helper);
    }
    json!({ "category": "product_version", "name": entry.version, "product": product })
}

fn vulnerability(
    document: &Document,
    products: &Products,
    index: usize,
    v: &Vulnerability,
    settings: &Settings,
) -> Value {
    let affected: Vec<&Entry> = v.affected.iter().filter_map(|id| products.listed(*id)).collect();
    let affected_ids = sorted_ids(affected.iter().copied());
    let mut fixed = Vec::new();
    let mut remediations = Vec::new();
    for update in products.fixes(document, v) {
        let covered: Vec<&Entry> =
            affected.iter().copied().filter(|e| e.update(document).is_some_and(|u| std::ptr::eq(u, update))).collect();
        let Some(fixed_entry) = products.fixed(update).filter(|_| !covered.is_empty()) else { continue };
        fixed.push(fixed_entry);
        let mut remediation = json!({
            "category": "vendor_fix",
            "details": format!("Update {} to version {} or later.", fixed_entry.product.name, update.fixed_version),
            "product_ids": sorted_ids(covered.iter().copied()),
            "restart_required": { "category": if update.restart_required { "machine" } else { "none" } },
        });
        if let Some(url) = &update.url {
            remediation["url"] = json!(url);
        }
        remediations.push(remediation);
    }
    for text in &v.mitigations {
        remediations.push(json!({ "category": "mitigation", "details": text, "product_ids": affected_ids }));
    }
    for workaround in &v.workarounds {
        let details = match &workaround.undo {
            Some(undo) => format!("{}\n\nTo undo the workaround: {undo}", workaround.text),
            None => workaround.text.clone(),
        };
        remediations.push(json!({ "category": "workaround", "details": details, "product_ids": affected_ids }));
    }
    // Listed versions this vulnerability does not affect (and that are no update's fix for it)
    // are stated as not affected.
    let fixed_ids = sorted_ids(fixed.iter().copied());
    let not_affected = sorted_ids(
        products
            .entries
            .iter()
            .filter(|e| e.version_id.is_some() && !affected_ids.contains(&e.pid) && !fixed_ids.contains(&e.pid)),
    );
    let mut status = serde_json::Map::new();
    for (list, ids) in [("fixed", &fixed_ids), ("known_affected", &affected_ids), ("known_not_affected", &not_affected)]
    {
        if !ids.is_empty() {
            status.insert(list.into(), json!(ids));
        }
    }

    let mut notes = vec![json!({ "category": "description", "title": "Description", "text": v.description })];
    if let Some(v4) = &v.cvss.v4 {
        notes.push(json!({
            "category": "other",
            "title": "CVSS v4.0",
            "text": format!("{} (base score {}, {})", v4.vector, v4.score, v4.severity()),
        }));
    }
    for faq in &v.faq {
        notes.push(json!({ "category": "faq", "title": faq.question, "text": faq.answer }));
    }

    let mut out = json!({ "notes": notes, "title": v.title });
    match &v.cve {
        Some(cve) => out["cve"] = json!(cve),
        None => out["ids"] = json!([{ "system_name": settings.publisher_name, "text": local_id(document, index) }]),
    }
    if let Some(cwe) = &v.cwe {
        out["cwe"] = json!({ "id": cwe.id, "name": cwe.name });
    }
    if !status.is_empty() {
        out["product_status"] = Value::Object(status);
    }
    if !remediations.is_empty() {
        out["remediations"] = json!(remediations);
    }
    if let Some(v3) = v.cvss.v31.as_ref().filter(|_| !affected_ids.is_empty()) {
        let version = if v3.vector.starts_with("CVSS:3.0/") { "3.0" } else { "3.1" };
        out["scores"] = json!([{
            "cvss_v3": {
                "baseScore": v3.score,
                "baseSeverity": v3.severity().to_ascii_uppercase(),
                "vectorString": v3.vector,
                "version": version,
            },
            "products": affected_ids,
        }]);
    }
    out["threats"] = threats(v, &affected_ids);
    if !v.acknowledgments.is_empty() {
        out["acknowledgments"] = v
            .acknowledgments
            .iter()
            .map(|a| {
                let mut ack = serde_json::Map::new();
                if !a.names.is_empty() {
                    ack.insert("names".into(), json!(a.names));
                }
                if let Some(organization) = &a.organization {
                    ack.insert("organization".into(), json!(organization));
                }
                Value::Object(ack)
            })
            .collect();
    }
    out
}

fn threats(v: &Vulnerability, affected_ids: &[String]) -> Value {
    let mut threats = Vec::new();
    let severity = v.effective_severity().map(|s| s.label());
    let impact = match (v.impact.map(|i| i.label()), severity) {
        (Some(impact), Some(severity)) => Some(format!("{impact} (severity: {severity})")),
        (Some(impact), None) => Some(impact.to_owned()),
        (None, Some(severity)) => Some(format!("Severity: {severity}")),
        (None, None) => None,
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut exploit = format!(
        "Publicly disclosed: {}; exploited: {}",
        yes_no(v.exploitability.publicly_disclosed),
        yes_no(v.exploitability.exploited)
    );
    if let Some(index) = v.exploitability.index {
        exploit.push_str(&format!("; {}", index.label()));
    }
    for (category, details) in [("impact", impact), ("exploit_status", Some(exploit))] {
        let Some(details) = details else { continue };
        let mut threat = json!({ "category": category, "details": details });
        if !affected_ids.is_empty() {
            threat["product_ids"] = json!(affected_ids);
        }
        threats.push(threat);
    }
    json!(threats)
}

fn sorted_ids<'e, 'a: 'e>(entries: impl Iterator<Item = &'e Entry<'a>>) -> Vec<String> {
    let mut ids: Vec<String> = entries.map(|e| e.pid.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The ID of a bulletin's VEX document for one product: `PSB-2026-014-VEX-P7`, after the
/// product's ID, so that it stays the same across revisions.
pub fn vex_id(document_id: &str, product_id: i64) -> String {
    format!("{document_id}-VEX-P{product_id}")
}

/// One `csaf_vex` document per product a bulletin's vulnerabilities affect: the bulletin narrowed
/// to that product (its versions, the vulnerabilities that affect them, their updates), each with
/// the product's status per vulnerability and the action to take. Advisories without affected
/// products have none.
pub fn vex(document: &Document, settings: &Settings) -> Vec<(Document, Value)> {
    let mut products: Vec<&parapet_model::Product> = document.products.iter().collect();
    products.sort_by(|a, b| (&a.vendor_name, &a.name, a.id).cmp(&(&b.vendor_name, &b.name, b.id)));
    let mut out = Vec::new();
    for product in products {
        let versions: Vec<i64> = product.versions.iter().map(|v| v.id).collect();
        let vulnerabilities: Vec<Vulnerability> = document
            .vulnerabilities
            .iter()
            .filter(|v| v.affected.iter().any(|id| versions.contains(id)))
            .map(|v| Vulnerability {
                affected: v.affected.iter().copied().filter(|id| versions.contains(id)).collect(),
                ..v.clone()
            })
            .collect();
        if vulnerabilities.is_empty() {
            continue;
        }
        let narrowed = Document {
            id: vex_id(&document.id, product.id),
            title: format!("{} — VEX for {} {}", document.title, product.vendor_name, product.name),
            products: vec![product.clone()],
            vulnerabilities,
            updates: document.updates.iter().filter(|u| u.product_id == product.id).cloned().collect(),
            replaces: Vec::new(),
            ..document.clone()
        };
        let mut csaf = self::document(&narrowed, settings);
        csaf["document"]["category"] = json!("csaf_vex");
        for v in csaf["vulnerabilities"].as_array_mut().into_iter().flatten() {
            add_impact_statement(v);
        }
        out.push((narrowed, csaf));
    }
    out
}

/// VEX needs a reason beside every "known not affected" (CSAF 6.1.27.9). The bulletin lists the
/// affected versions explicitly, so the others are not affected by the vendor's own analysis:
/// that is what the statement says, and no more.
fn add_impact_statement(vulnerability: &mut Value) {
    let not_affected: Vec<Value> = vulnerability
        .pointer("/product_status/known_not_affected")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if not_affected.is_empty() {
        return;
    }
    let statement = json!({
        "category": "impact",
        "details": "The vendor has determined that these product versions are not affected by this vulnerability.",
        "product_ids": not_affected,
    });
    match vulnerability.get_mut("threats").and_then(Value::as_array_mut) {
        Some(threats) => threats.push(statement),
        None => vulnerability["threats"] = json!([statement]),
    }
}
