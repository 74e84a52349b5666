//! The JSON API for security bulletins and advisories under `/api/v1/documents`, the release
//! calendar, and CSAF validation and import under `/api/v1/csaf`. Handlers are thin: check the
//! caller, turn the input into a model `Document`, call the store.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parapet_model::{
    Acknowledgment, AdvisoryCategory, Change, CvssScores, CvssV3, CvssV4, Cwe, Document, DocumentKind, Exploitability,
    Faq, IdPattern, Impact, Permission, Reference, Revision, RevisionKind, RevisionNumber, RevisionStatus, Severity,
    Tlp, Update, Vulnerability, Workaround,
};
use parapet_store::Schedule;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::publishing;
use crate::state::AppState;

/// The largest CSAF document accepted for validation or import.
const MAX_CSAF_BYTES: usize = 32 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    let csaf_limit = axum::extract::DefaultBodyLimit::max(MAX_CSAF_BYTES);
    Router::new()
        .route("/api/v1/documents", get(list).post(create))
        .route("/api/v1/documents/{id}", get(read).put(update))
        .route("/api/v1/documents/{id}/preview", get(preview))
        .route("/api/v1/documents/{id}/schedule", post(schedule).delete(unschedule))
        .route("/api/v1/documents/{id}/publish", post(publish))
        .route("/api/v1/documents/{id}/withdraw", post(withdraw))
        .route("/api/v1/releases", get(releases))
        .route("/api/v1/csaf/validate", post(validate).layer(csaf_limit))
        .route("/api/v1/csaf/import", post(import).layer(csaf_limit))
}

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

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewDocuments)?;
    Ok(axum::Json(json!({"items": state.store.documents(&caller.viewer).await?})))
}

async fn read(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewDocuments)?;
    Ok(axum::Json(state.store.document(&caller.viewer, &id).await?))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<DocumentInput>,
) -> ApiResult<Response> {
    caller.require(Permission::EditDocuments)?;
    let kind = input.kind.ok_or_else(|| ApiError::invalid("kind", "bulletin or advisory is required"))?;
    let mut document = new_document(&state, &input, kind).await?;
    fill(&state, &caller, input, &mut document).await?;
    let stored = state.store.create_document(&caller.actor(), &document).await?;
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
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

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<DocumentInput>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::EditDocuments)?;
    let stored = state.store.document(&caller.viewer, &id).await?;
    let mut document = stored.document.ok_or_else(|| {
        ApiError::invalid("id", "an imported document is changed where it was written, then imported again")
    })?;
    if input.id.as_deref().is_some_and(|given| given != id) || input.kind.is_some_and(|k| k != document.kind) {
        return Err(ApiError::invalid("id", "a document's ID and kind never change"));
    }
    let revision = input.revision.as_ref();
    let last_published = document.current().is_some_and(|r| r.status.is_published());
    if last_published {
        let Some(change) = revision.and_then(|r| r.change) else {
            let number = document.current().map(|r| r.number.to_string()).unwrap_or_default();
            return Err(ApiError::invalid(
                "revision.change",
                format!("revision {number} is published: say whether the new revision is a minor or major change"),
            ));
        };
        let summary = revision.and_then(|r| r.summary.clone()).ok_or_else(|| {
            ApiError::invalid("revision.summary", "a new revision needs a summary line saying what changed")
        })?;
        let date = revision.and_then(|r| r.date).unwrap_or_else(|| state.clock.now());
        document.revise(change, date, &summary)?;
    } else if let Some(draft) = document.revisions.last_mut() {
        if let Some(summary) = revision.and_then(|r| r.summary.clone()) {
            draft.summary = summary;
        }
        if let Some(date) = revision.and_then(|r| r.date) {
            draft.date = date;
        }
    }
    fill(&state, &caller, input, &mut document).await?;
    Ok(axum::Json(state.store.update_document(&caller.actor(), &document).await?))
}

/// The document as it would be published: its CSAF with the validator's findings, its OSV
/// records and CVE records.
async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewDocuments)?;
    let stored = state.store.document(&caller.viewer, &id).await?;
    let document = stored.document.ok_or_else(|| ApiError::not_found("document"))?;
    let settings = state.settings.publish_settings();
    let csaf = parapet_publish::csaf::document(&document, &settings);
    let report = parapet_csaf::validate(&csaf);
    Ok(axum::Json(json!({
        "valid": report.is_valid(),
        "errors": report.errors,
        "warnings": report.warnings,
        "infos": report.infos,
        "csaf": csaf,
        "osv": parapet_publish::osv::records(&document, &settings),
        "cve": parapet_publish::cve::records(&document, &settings),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleInput {
    /// `next_release`, or an RFC 3339 instant (an out-of-band release unless it is a release
    /// instant).
    at: String,
    #[serde(default = "final_status")]
    status: RevisionStatus,
}

fn final_status() -> RevisionStatus {
    RevisionStatus::Final
}

async fn schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<ScheduleInput>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::PublishDocuments)?;
    let now = state.clock.now();
    let (at, release_month) = if input.at == "next_release" {
        let (at, month) = state
            .calendar
            .next_release(now)
            .ok_or_else(|| ApiError::invalid("at", "the release calendar has no next release"))?;
        (at, Some(month))
    } else {
        let at = OffsetDateTime::parse(&input.at, &time::format_description::well_known::Rfc3339).map_err(|_| {
            ApiError::invalid("at", format!("{:?} is neither next_release nor an RFC 3339 instant", input.at))
        })?;
        (at, state.calendar.month_of_release(at))
    };
    state.store.document(&caller.viewer, &id).await?;
    let schedule = Schedule { at, status: input.status, release_month };
    Ok(axum::Json(state.store.schedule_document(&caller.actor(), &id, &schedule).await?))
}

async fn unschedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::PublishDocuments)?;
    state.store.document(&caller.viewer, &id).await?;
    Ok(axum::Json(state.store.unschedule_document(&caller.actor(), &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishInput {
    #[serde(default = "final_status")]
    status: RevisionStatus,
}

/// Publishes the draft revision now: an out-of-band release.
async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<PublishInput>,
) -> ApiResult<Response> {
    caller.require(Permission::PublishDocuments)?;
    state.store.document(&caller.viewer, &id).await?;
    let key = publishing::signing_key(&state).await.map_err(ApiError::internal)?;
    let prepare = publishing::preparer(&state, key);
    let published =
        state.store.publish_document(&caller.actor(), &id, input.status, state.clock.now(), &prepare).await?;
    Ok((StatusCode::CREATED, axum::Json(published)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WithdrawInput {
    /// Why, as the new revision's summary line.
    reason: String,
    /// The document that replaces this one, if any: the revision marks it superseded.
    #[serde(default)]
    superseded_by: Option<String>,
}

/// Starts the revision that withdraws the document, or marks it superseded by another. It is a
/// draft like any revision: publish or schedule it to make it public.
async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<WithdrawInput>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::EditDocuments)?;
    let stored = state.store.document(&caller.viewer, &id).await?;
    let mut document =
        stored.document.ok_or_else(|| ApiError::invalid("id", "an imported document cannot be withdrawn here"))?;
    let now = state.clock.now();
    match input.superseded_by.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(by) => document.supersede(by, now, &input.reason)?,
        None => document.withdraw(now, &input.reason)?,
    };
    Ok(axum::Json(state.store.update_document(&caller.actor(), &document).await?))
}

async fn releases(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let next = state.calendar.next_release(state.clock.now());
    Ok(axum::Json(json!({
        "day": state.settings.releases.day,
        "time": state.settings.releases.time,
        "time_zone": state.calendar.zone_name(),
        "next": next.map(|(at, month)| json!({
            "at": at.format(&time::format_description::well_known::Rfc3339).ok(),
            "month": month,
        })),
    })))
}

fn csaf_text(body: &axum::body::Bytes) -> ApiResult<&str> {
    std::str::from_utf8(body).map_err(|_| ApiError::bad_request("the CSAF document is not UTF-8 text"))
}

/// Validates a CSAF document: the schema and every mandatory test as errors, the optional tests
/// as warnings, the informative ones as infos.
async fn validate(caller: Caller, body: axum::body::Bytes) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewDocuments)?;
    let text = csaf_text(&body)?.to_owned();
    let report = tokio::task::spawn_blocking(move || parapet_csaf::validate_str(&text))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::invalid("body", e))?;
    Ok(axum::Json(json!({
        "valid": report.is_valid(),
        "errors": report.errors,
        "warnings": report.warnings,
        "infos": report.infos,
    })))
}

/// Imports an existing CSAF document as published, keeping its ID, version and dates.
async fn import(State(state): State<AppState>, caller: Caller, body: axum::body::Bytes) -> ApiResult<Response> {
    caller.require(Permission::PublishDocuments)?;
    let text = csaf_text(&body)?.to_owned();
    let key = publishing::signing_key(&state).await.map_err(ApiError::internal)?;
    let publication = tokio::task::spawn_blocking(move || parapet_provider::publication::from_csaf(&text, &key))
        .await
        .map_err(ApiError::internal)?
        .map_err(refusal)?;
    let created = state.store.import_publication(&caller.actor(), &publication).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(publication)).into_response())
}

/// A refused CSAF document as a client error naming the first failed test.
pub fn refusal(refusal: parapet_provider::Refusal) -> ApiError {
    match refusal {
        parapet_provider::Refusal::Invalid(problems) => {
            let field = problems.first().map_or("csaf".to_owned(), |p| format!("{} {}", p.test, p.path));
            ApiError::invalid(field, parapet_provider::Refusal::Invalid(problems).to_string())
        }
        parapet_provider::Refusal::Unreadable(reason) => ApiError::invalid("csaf", reason),
        signing @ parapet_provider::Refusal::Signing(_) => ApiError::internal(signing),
    }
}
