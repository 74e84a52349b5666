//! The console's document editor: a list of bulletins and advisories with their schedules, and
//! an editor that checks what is typed before anything is saved ("Check" validates the CSAF the
//! document would become and previews its page), saves drafts, schedules and publishes.
//!
//! The content is edited as the API's JSON ([`DocumentInput`]), so the console and the command
//! line accept the same documents. Pages work without JavaScript.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use parapet_model::{Document, DocumentKind, Permission, RevisionStatus};
use parapet_store::StoredDocument;
use serde::Deserialize;
use serde_json::json;

use super::guide::csaf_view;
use super::input::{input_of, template_input};
use super::{Check, DocumentInput, RevisionInput, Unsaved, When};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ConsoleForm, SignedIn};
use crate::render::{PageResult, fmt_time, page};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/console/documents", get(list))
        .page("/console/documents/new", get(new_page).post(create))
        .page("/console/documents/check", post(live_check))
        .page("/console/documents/{id}", get(edit_page).post(save))
        .page("/console/documents/{id}/schedule", post(schedule))
        .page("/console/documents/{id}/publish", post(publish))
}

async fn list(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    let rows: Vec<Value> = super::list(&state, &caller).await?.iter().map(row).collect();
    let next = state.calendar.next_release(state.clock.now()).map(|(at, month)| context! { at => fmt_time(at), month });
    let can_edit = caller.viewer.can(Permission::EditDocuments);
    page(&state, &caller, "documents.html", "Documents", "documents", context! { rows, next, can_edit })
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

async fn new_page(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    super::may_edit(&caller)?;
    let content = serde_json::to_string_pretty(&template_input(DocumentKind::Bulletin)).unwrap_or_default();
    editor(&state, &caller, None, DocumentKind::Bulletin, &content, Outcome::Editing)
}

/// What the editor shows below the form.
enum Outcome {
    /// Nothing yet.
    Editing,
    /// The CSAF the content would become, validated, with a preview.
    Checked(Check),
    /// The first rule the content breaks.
    Refused(ApiError),
}

/// The editor page.
fn editor(
    state: &AppState,
    caller: &Caller,
    stored: Option<&StoredDocument>,
    kind: DocumentKind,
    content: &str,
    outcome: Outcome,
) -> PageResult {
    let title = stored.map_or_else(|| "New document".to_owned(), |d| format!("{}: {}", d.id, d.title));
    let (check, error) = match outcome {
        Outcome::Editing => (None, None),
        Outcome::Checked(Check { csaf, report }) => (
            Some(context! {
                valid => report.is_valid(),
                errors => report.errors,
                warnings => report.warnings,
                preview => csaf_view(&csaf),
            }),
            None,
        ),
        Outcome::Refused(e) => (None, Some(e.describe())),
    };
    let ctx = context! {
        document => stored.map(row),
        kind => kind.as_str(),
        content,
        check,
        error,
        can_publish => caller.viewer.can(Permission::PublishDocuments),
        can_edit => caller.viewer.can(Permission::EditDocuments),
    };
    page(state, caller, "document_edit.html", &title, "documents", ctx)
}

fn parse_input(content: &str) -> ApiResult<DocumentInput> {
    serde_json::from_str(content)
        .map_err(|e| ApiError::invalid("content", format!("the content is not valid document JSON: {e}")))
}

/// Splits what the editor shows beside the form (the content breaks a rule) from the page's own
/// errors (not signed in, not allowed, not found, internal).
fn in_form<T>(result: ApiResult<T>) -> ApiResult<ApiResult<T>> {
    match result {
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => Ok(Err(e)),
        other => other.map(Ok),
    }
}

#[derive(Deserialize)]
struct NewForm {
    kind: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    action: String,
}

async fn create(State(state): State<AppState>, ConsoleForm { caller, form }: ConsoleForm<NewForm>) -> PageResult {
    super::may_edit(&caller)?;
    let kind: DocumentKind = form.kind.parse()?;
    let drafted = in_form(
        async {
            let mut input = parse_input(&form.content)?;
            input.kind = Some(kind);
            super::draft(&state, &caller, kind, input).await
        }
        .await,
    )?;
    match (drafted, form.action.as_str()) {
        (Ok(document), "check") => {
            let checked = Outcome::Checked(super::check(&state, &document));
            editor(&state, &caller, None, kind, &form.content, checked)
        }
        (Ok(document), _) => {
            let stored = state.store.create_document(&caller.actor(), &document).await?;
            Ok(Redirect::to(&format!("/console/documents/{}", stored.id)).into_response())
        }
        (Err(e), _) => editor(&state, &caller, None, kind, &form.content, Outcome::Refused(e)),
    }
}

#[derive(Deserialize)]
struct CheckForm {
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
    ConsoleForm { caller, form }: ConsoleForm<CheckForm>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    super::may_edit(&caller)?;
    let checked = async {
        let input = parse_input(&form.content)?;
        let target = match form.id.as_str() {
            "" => Unsaved::New(form.kind.parse()?),
            id => Unsaved::Revision(id),
        };
        super::check_unsaved(&state, &caller, target, input).await
    }
    .await;
    Ok(axum::Json(match checked {
        Ok(document) => {
            let Check { report, .. } = super::check(&state, &document);
            json!({"valid": report.is_valid(), "errors": report.errors, "warnings": report.warnings.len()})
        }
        Err(e) if e.status.is_client_error() => json!({"valid": false, "problem": e.describe()}),
        Err(e) => return Err(e),
    }))
}

async fn edit_page(State(state): State<AppState>, SignedIn(caller): SignedIn, Path(id): Path<String>) -> PageResult {
    let stored = super::get(&state, &caller, &id).await?;
    let Some(document) = stored.document.as_ref() else {
        // Imported documents are read where they are published.
        return Ok(Redirect::to(&format!("/documents/{id}")).into_response());
    };
    let content = serde_json::to_string_pretty(&input_of(document)).unwrap_or_default();
    let checked = Outcome::Checked(super::check(&state, document));
    editor(&state, &caller, Some(&stored), stored.kind, &content, checked)
}

#[derive(Deserialize)]
struct EditForm {
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
    Path(id): Path<String>,
    ConsoleForm { caller, form }: ConsoleForm<EditForm>,
) -> PageResult {
    let stored = super::get(&state, &caller, &id).await?;
    super::may_edit(&caller)?;
    let revised = in_form(
        async {
            let mut input = parse_input(&form.content)?;
            input.revision = Some(RevisionInput {
                change: Some(form.change.as_str()).filter(|c| !c.is_empty()).map(str::parse).transpose()?,
                summary: Some(form.change_summary.clone()).filter(|s| !s.trim().is_empty()),
                date: None,
            });
            super::revise(&state, &caller, &id, input).await
        }
        .await,
    )?;
    match (revised, form.action.as_str()) {
        (Ok(document), "check") => {
            let checked = Outcome::Checked(super::check(&state, &document));
            editor(&state, &caller, Some(&stored), stored.kind, &form.content, checked)
        }
        (Ok(document), _) => {
            state.store.update_document(&caller.actor(), &document).await?;
            Ok(Redirect::to(&format!("/console/documents/{id}")).into_response())
        }
        (Err(e), _) => editor(&state, &caller, Some(&stored), stored.kind, &form.content, Outcome::Refused(e)),
    }
}

/// The status a form asks for: final unless it says otherwise.
fn status(value: &str) -> ApiResult<RevisionStatus> {
    if value.is_empty() { Ok(RevisionStatus::Final) } else { Ok(value.parse()?) }
}

#[derive(Deserialize)]
struct ScheduleForm {
    /// `next_release`, `cancel`, or `at` with a local date-time from the form (taken as UTC).
    when: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    status: String,
}

async fn schedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { caller, form }: ConsoleForm<ScheduleForm>,
) -> PageResult {
    let when = match form.when.as_str() {
        "cancel" => {
            super::unschedule(&state, &caller, &id).await?;
            return Ok(Redirect::to(&format!("/console/documents/{id}")).into_response());
        }
        "next_release" => When::NextRelease,
        "at" => {
            let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
            let at = time::PrimitiveDateTime::parse(form.at.trim(), format)
                .map_err(|_| ApiError::invalid("at", format!("{:?} is not a date and time (UTC)", form.at)))?;
            When::At(at.assume_utc())
        }
        other => {
            return Err(ApiError::invalid(
                "when",
                format!("unknown choice {other:?}; expected next_release, at or cancel"),
            ));
        }
    };
    super::schedule(&state, &caller, &id, when, status(&form.status)?).await?;
    Ok(Redirect::to(&format!("/console/documents/{id}")).into_response())
}

#[derive(Deserialize)]
struct PublishForm {
    #[serde(default)]
    status: String,
}

async fn publish(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { caller, form }: ConsoleForm<PublishForm>,
) -> PageResult {
    super::publish(&state, &caller, &id, status(&form.status)?).await?;
    Ok(Redirect::to(&format!("/documents/{id}")).into_response())
}
