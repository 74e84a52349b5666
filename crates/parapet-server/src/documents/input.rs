//! Documents as clients write them: the API's JSON input (the console's editor edits the same
//! JSON), turned into a model [`Document`] with products read from the catalog and cases checked
//! through the caller's eyes.

use parapet_model::{
    Acknowledgment, AdvisoryCategory, Change, CvssScores, CvssV3, CvssV4, Cwe, Document, DocumentKind, Exploitability,
    Faq, IdPattern, Impact, Reference, Revision, RevisionKind, RevisionNumber, RevisionStatus, Severity, Tlp, Update,
    Vulnerability, Workaround,
};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A bulletin or advisory as a client writes it. Products are named by their IDs in the product
/// catalog; CVSS by vector (the scores are computed here).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub kind: Option<DocumentKind>,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub category: Option<AdvisoryCategory>,
    #[serde(default)]
    pub tlp: Tlp,
    #[serde(default)]
    pub products: Vec<i64>,
    #[serde(default)]
    pub vulnerabilities: Vec<VulnerabilityInput>,
    #[serde(default)]
    pub updates: Vec<Update>,
    #[serde(default)]
    pub references: Vec<Reference>,
    #[serde(default)]
    pub replaces: Vec<String>,
    /// The draft revision: its summary line and planned date, and, when the latest revision is
    /// published, how big a change the new one is.
    #[serde(default)]
    pub revision: Option<RevisionInput>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionInput {
    #[serde(default)]
    pub change: Option<Change>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub date: Option<OffsetDateTime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityInput {
    #[serde(default)]
    pub case_id: Option<i64>,
    #[serde(default)]
    pub cve: Option<String>,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub cwe: Option<Cwe>,
    #[serde(default)]
    pub cvss_v31: Option<String>,
    #[serde(default)]
    pub cvss_v4: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub impact: Option<Impact>,
    #[serde(default)]
    pub exploitability: Exploitability,
    #[serde(default)]
    pub mitigations: Vec<String>,
    #[serde(default)]
    pub workarounds: Vec<Workaround>,
    #[serde(default)]
    pub faq: Vec<Faq>,
    #[serde(default)]
    pub acknowledgments: Vec<Acknowledgment>,
    /// Product version IDs.
    #[serde(default)]
    pub affected: Vec<i64>,
}

/// Fills `document`'s content from `input`, reading products and checking cases through the
/// caller's eyes.
pub(crate) async fn fill(
    state: &AppState,
    caller: &Caller,
    input: DocumentInput,
    document: &mut Document,
) -> ApiResult<()> {
    let mut products = Vec::new();
    for id in &input.products {
        let product = state
            .store
            .product(*id)
            .await
            .map_err(|_| ApiError::invalid("products", format!("there is no product {id}")))?;
        products.push(product);
    }
    let mut vulnerabilities = Vec::new();
    for (i, v) in input.vulnerabilities.into_iter().enumerate() {
        if let Some(case_id) = v.case_id {
            state.store.case(&caller.viewer, case_id).await.map_err(|_| {
                ApiError::invalid(format!("vulnerabilities.{i}.case_id"), format!("there is no case {case_id}"))
            })?;
        }
        let cve = v.cve.map(|c| parapet_model::validate::cve_id("vulnerabilities.cve", &c)).transpose()?;
        let cvss = CvssScores {
            v31: v.cvss_v31.as_deref().filter(|s| !s.is_empty()).map(CvssV3::parse).transpose()?,
            v4: v.cvss_v4.as_deref().filter(|s| !s.is_empty()).map(CvssV4::parse).transpose()?,
        };
        vulnerabilities.push(Vulnerability {
            case_id: v.case_id,
            cve,
            title: v.title,
            description: v.description,
            cwe: v.cwe,
            cvss,
            severity: v.severity,
            impact: v.impact,
            exploitability: v.exploitability,
            mitigations: v.mitigations,
            workarounds: v.workarounds,
            faq: v.faq,
            acknowledgments: v.acknowledgments,
            affected: v.affected,
        });
    }
    document.title = input.title;
    document.summary = input.summary;
    document.category = input.category;
    document.tlp = input.tlp;
    document.products = products;
    document.vulnerabilities = vulnerabilities;
    document.updates = input.updates;
    document.references = input.references;
    document.replaces = input.replaces;
    document.validate().map_err(|errors| match errors.into_iter().next() {
        Some(e) => ApiError::from(e),
        None => ApiError::bad_request("invalid document"),
    })
}

/// A new document with no content yet: its ID (given, or the next of the configured pattern) and
/// its first revision, a draft dated at the next monthly release unless a date is given.
pub(crate) async fn new_document(state: &AppState, input: &DocumentInput, kind: DocumentKind) -> ApiResult<Document> {
    let now = state.clock.now();
    let id = match input.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => parapet_model::document::document_id("id", id)?,
        None => {
            let pattern = match kind {
                DocumentKind::Bulletin => &state.settings.publisher.bulletin_ids,
                DocumentKind::Advisory => &state.settings.publisher.advisory_ids,
            };
            let pattern: IdPattern = pattern.parse()?;
            let existing = state.store.document_ids().await?;
            pattern.next(now.year(), existing.iter().map(String::as_str))
        }
    };
    let revision = input.revision.as_ref();
    let date = match revision.and_then(|r| r.date) {
        Some(date) => date,
        None => state.calendar.next_release(now).map_or(now, |(at, _)| at),
    };
    let summary = revision.and_then(|r| r.summary.clone()).unwrap_or_else(|| "Initial release".into());
    Ok(Document {
        id,
        kind,
        title: String::new(),
        summary: String::new(),
        category: None,
        tlp: Tlp::White,
        revisions: vec![Revision {
            number: RevisionNumber::FIRST,
            date,
            summary,
            status: RevisionStatus::Draft,
            kind: RevisionKind::Content,
        }],
        products: Vec::new(),
        vulnerabilities: Vec::new(),
        updates: Vec::new(),
        references: Vec::new(),
        replaces: Vec::new(),
    })
}

/// The API input that reproduces a document's content: what the editor shows.
pub(crate) fn input_of(document: &Document) -> serde_json::Value {
    let vulnerabilities: Vec<serde_json::Value> = document
        .vulnerabilities
        .iter()
        .map(|v| {
            json!({
                "case_id": v.case_id,
                "cve": v.cve,
                "title": v.title,
                "description": v.description,
                "cwe": v.cwe,
                "cvss_v31": v.cvss.v31.as_ref().map(|c| &c.vector),
                "cvss_v4": v.cvss.v4.as_ref().map(|c| &c.vector),
                "severity": v.severity,
                "impact": v.impact,
                "exploitability": v.exploitability,
                "mitigations": v.mitigations,
                "workarounds": v.workarounds,
                "faq": v.faq,
                "acknowledgments": v.acknowledgments,
                "affected": v.affected,
            })
        })
        .collect();
    json!({
        "title": document.title,
        "summary": document.summary,
        "category": document.category,
        "tlp": document.tlp,
        "products": document.products.iter().map(|p| p.id).collect::<Vec<_>>(),
        "vulnerabilities": vulnerabilities,
        "updates": document.updates,
        "references": document.references,
        "replaces": document.replaces,
    })
}

pub(crate) fn template_input(kind: DocumentKind) -> serde_json::Value {
    match kind {
        DocumentKind::Bulletin => json!({
            "title": "Security update for …",
            "summary": "What the update fixes and who should install it.",
            "products": [],
            "vulnerabilities": [{"case_id": null, "cve": null, "title": "", "description": "",
                "cvss_v31": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "affected": []}],
            "updates": [{"product_id": 0, "branch": null, "fixed_version": "", "purl": null, "url": null, "restart_required": false}],
            "references": []
        }),
        DocumentKind::Advisory => json!({
            "title": "",
            "summary": "",
            "category": "configuration",
            "references": [{"url": "https://", "summary": ""}]
        }),
    }
}
