//! The console's document editor: a list of bulletins and advisories with their schedules, and
//! an editor that checks what is typed before anything is saved ("Check" validates the CSAF the
//! document would become and previews its page), saves drafts, schedules and publishes.
//!
//! The content is edited as the API's JSON (`DocumentInput`), so the console and the command line
//! accept the same documents. Pages work without JavaScript.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use minijinja::{Value, context};
use parapet_model::{Document, DocumentKind, Permission, RevisionStatus};
use parapet_store::{Schedule, StoredDocument};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Caller;
use crate::documents::{DocumentInput, fill, new_document};
use crate::error::ApiError;
use crate::guide::csaf_view;
use crate::pages::{PageError, PageResult, fmt_time, page, signed_in};
use crate::publishing;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/documents", get(list))
        .route("/console/documents/new", get(new_page).post(create))
        .route("/console/documents/check", post(live_check))
        .route("/static/editor.js", get(script))
        .route("/console/documents/{id}", get(edit_page).post(save))
        .route("/console/documents/{id}/schedule", post(schedule))
        .route("/console/documents/{id}/publish", post(publish))
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

fn template_input(kind: DocumentKind) -> serde_json::Value {
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

async fn list(State(state): State<AppState>, caller: Caller) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewDocuments)?;
    let documents = state.store.documents(&caller.viewer).await?;
    let rows: Vec<Value> = documents.iter().map(row).collect();
    let next = state.calendar.next_release(state.clock.now()).map(|(at, month)| context! { at => fmt_time(at), month });
    page(
        &state,
        &caller,
        "documents.html",
        "Documents",
        "documents",
        context! { rows, next, can_edit => caller.viewer.can(Permission::EditDocuments) },
    )
}

fn row(d: &StoredDocument) -> Value {
    let revision = d.document.as_ref().and_then(Document::current);
    context! {
        id => d.id, title => d.title, kind => d.kind.label(), origin => d.origin, status => d.status,
        revision => revision.map(|r| r.number.to_string()),
        draft => revision.is_some_and(|r| !r.status.is_published()),
        scheduled => d.schedule.as_ref().map(|s| fmt_time(s.at)),
        release_month => d.schedule.as_ref().and_then(|s| s.release_month.clone()),
        schedule_error => d.schedule_error,
        updated => fmt_time(d.updated_at),
    }
}

#[derive(Deserialize)]
struct NewForm {
    csrf: String,
    kind: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    action: String,
}

async fn new_page(State(state): State<AppState>, caller: Caller) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::EditDocuments)?;
    let content = serde_json::to_string_pretty(&template_input(DocumentKind::Bulletin)).unwrap_or_default();
    editor(&state, &caller, None, "bulletin", &content, None, None)
}

/// The editor page, with the outcome of the last check when there was one.
fn editor(
    state: &AppState,
    caller: &Caller,
    stored: Option<&StoredDocument>,
    kind: &str,
    content: &str,
    check: Option<Value>,
    error: Option<String>,
) -> PageResult {
    let title = stored.map_or_else(|| "New document".to_owned(), |d| format!("{}: {}", d.id, d.title));
    let ctx = context! {
        document => stored.map(row),
        kind,
        content,
        check,
        error,
        can_publish => caller.viewer.can(Permission::PublishDocuments),
        can_edit => caller.viewer.can(Permission::EditDocuments),
    };
    page(state, caller, "document_edit.html", &title, "documents", ctx)
}

/// Validates `document` as CSAF and renders the preview the editor shows.
fn check(state: &AppState, document: &Document) -> Value {
    let csaf = parapet_publish::csaf::document(document, &state.settings.publish_settings());
    let report = parapet_csaf::validate(&csaf);
    context! {
        valid => report.is_valid(),
        errors => report.errors,
        warnings => report.warnings,
        preview => csaf_view(&csaf),
    }
}

fn parse_input(content: &str) -> Result<DocumentInput, String> {
    serde_json::from_str(content).map_err(|e| format!("the content is not valid document JSON: {e}"))
}

async fn create(State(state): State<AppState>, caller: Caller, Form(form): Form<NewForm>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::EditDocuments)?;
    caller.check_csrf(&form.csrf)?;
    let kind: DocumentKind = form.kind.parse()?;
    let outcome = async {
        let mut input = parse_input(&form.content).map_err(|e| ApiError::invalid("content", e))?;
        input.kind = Some(kind);
        let mut document = new_document(&state, &input, kind).await?;
        fill(&state, &caller, input, &mut document).await?;
        Ok::<_, ApiError>(document)
    }
    .await;
    match (outcome, form.action.as_str()) {
        (Ok(document), "check") => {
            let check = check(&state, &document);
            editor(&state, &caller, None, kind.as_str(), &form.content, Some(check), None)
        }
        (Ok(document), _) => {
            let stored = state.store.create_document(&caller.actor(), &document).await?;
            Ok(Redirect::to(&format!("/console/documents/{}", stored.id)).into_response())
        }
        (Err(e), _) => editor(&state, &caller, None, kind.as_str(), &form.content, None, Some(describe(&e))),
    }
}

fn describe(e: &ApiError) -> String {
    match &e.field {
        Some(field) => format!("{field}: {}", e.message),
        None => e.message.clone(),
    }
}

#[derive(Deserialize)]
struct CheckForm {
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    kind: String,
    content: String,
}

/// What the editor's script shows while typing: the CSAF findings of the unsaved content, or the
/// first rule it breaks. Nothing is saved.
async fn live_check(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<CheckForm>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    if !caller.is_signed_in() {
        return Err(ApiError::unauthenticated());
    }
    caller.require(Permission::EditDocuments)?;
    caller.check_csrf(&form.csrf)?;
    let outcome = async {
        let input = parse_input(&form.content).map_err(|e| ApiError::invalid("content", e))?;
        let mut document = if form.id.is_empty() {
            let kind: DocumentKind = form.kind.parse()?;
            new_document(&state, &input, kind).await?
        } else {
            let stored = state.store.document(&caller.viewer, &form.id).await?;
            stored.document.ok_or_else(|| ApiError::not_found("document"))?
        };
        if document.current().is_some_and(|r| r.status.is_published()) {
            document.revise(parapet_model::Change::Minor, state.clock.now(), "Checking")?;
        }
        fill(&state, &caller, input, &mut document).await?;
        Ok::<_, ApiError>(document)
    }
    .await;
    Ok(axum::Json(match outcome {
        Ok(document) => {
            let csaf = parapet_publish::csaf::document(&document, &state.settings.publish_settings());
            let report = parapet_csaf::validate(&csaf);
            json!({"valid": report.is_valid(), "errors": report.errors, "warnings": report.warnings.len()})
        }
        Err(e) if e.status.is_client_error() => json!({"valid": false, "problem": describe(&e)}),
        Err(e) => return Err(e),
    }))
}

async fn script() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/editor.js"),
    )
}

async fn edit_page(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewDocuments)?;
    let stored = state.store.document(&caller.viewer, &id).await?;
    let Some(document) = stored.document.as_ref() else {
        // Imported documents are read where they are published.
        return Ok(Redirect::to(&format!("/documents/{id}")).into_response());
    };
    let content = serde_json::to_string_pretty(&input_of(document)).unwrap_or_default();
    let check = check(&state, document);
    editor(&state, &caller, Some(&stored), stored.kind.as_str(), &content, Some(check), None)
}

#[derive(Deserialize)]
struct EditForm {
    csrf: String,
    content: String,
    #[serde(default)]
    action: String,
    /// For a new revision after a published one: minor or major, and what changed.
    #[serde(default)]
    change: String,
    #[serde(default)]
    change_summary: String,
}

async fn save(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::EditDocuments)?;
    caller.check_csrf(&form.csrf)?;
    let stored = state.store.document(&caller.viewer, &id).await?;
    let Some(mut document) = stored.document.clone() else {
        return Err(ApiError::invalid("id", "an imported document cannot be edited here").into());
    };
    let outcome = async {
        let input = parse_input(&form.content).map_err(|e| ApiError::invalid("content", e))?;
        if document.current().is_some_and(|r| r.status.is_published()) {
            let change = match form.change.as_str() {
                "minor" => parapet_model::Change::Minor,
                "major" => parapet_model::Change::Major,
                _ => {
                    return Err(ApiError::invalid("change", "say whether the new revision is a minor or major change"));
                }
            };
            document.revise(change, state.clock.now(), &form.change_summary)?;
        }
        fill(&state, &caller, input, &mut document).await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match (outcome, form.action.as_str()) {
        (Ok(()), "check") => {
            let check = check(&state, &document);
            editor(&state, &caller, Some(&stored), stored.kind.as_str(), &form.content, Some(check), None)
        }
        (Ok(()), _) => {
            state.store.update_document(&caller.actor(), &document).await?;
            Ok(Redirect::to(&format!("/console/documents/{id}")).into_response())
        }
        (Err(e), _) => {
            editor(&state, &caller, Some(&stored), stored.kind.as_str(), &form.content, None, Some(describe(&e)))
        }
    }
}

#[derive(Deserialize)]
struct ScheduleForm {
    csrf: String,
    /// `next_release`, `cancel`, or a local date-time from the form (taken as UTC).
    when: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    status: String,
}

fn status_of(value: &str) -> RevisionStatus {
    if value == "interim" { RevisionStatus::Interim } else { RevisionStatus::Final }
}

async fn schedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<ScheduleForm>,
) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::PublishDocuments)?;
    caller.check_csrf(&form.csrf)?;
    state.store.document(&caller.viewer, &id).await?;
    if form.when == "cancel" {
        state.store.unschedule_document(&caller.actor(), &id).await?;
        return Ok(Redirect::to(&format!("/console/documents/{id}")).into_response());
    }
    let (at, release_month) = if form.when == "next_release" {
        let (at, month) = state
            .calendar
            .next_release(state.clock.now())
            .ok_or_else(|| ApiError::invalid("when", "the release calendar has no next release"))?;
        (at, Some(month))
    } else {
        let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        let at = time::PrimitiveDateTime::parse(form.at.trim(), format)
            .map_err(|_| ApiError::invalid("at", format!("{:?} is not a date and time (UTC)", form.at)))?
            .assume_utc();
        (at, state.calendar.month_of_release(at))
    };
    let schedule = Schedule { at, status: status_of(&form.status), release_month };
    state.store.schedule_document(&caller.actor(), &id, &schedule).await?;
    Ok(Redirect::to(&format!("/console/documents/{id}")).into_response())
}

#[derive(Deserialize)]
struct PublishForm {
    csrf: String,
    #[serde(default)]
    status: String,
}

async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<PublishForm>,
) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::PublishDocuments)?;
    caller.check_csrf(&form.csrf)?;
    state.store.document(&caller.viewer, &id).await?;
    let key = publishing::signing_key(&state).await.map_err(ApiError::internal)?;
    let prepare = publishing::preparer(&state, key);
    state
        .store
        .publish_document(&caller.actor(), &id, status_of(&form.status), state.clock.now(), &prepare)
        .await
        .map_err(PageError::from)?;
    Ok(Redirect::to(&format!("/documents/{id}")).into_response())
}
