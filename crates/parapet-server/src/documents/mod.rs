//! Security bulletins and advisories: the operations on them (written once, called by the API in
//! `api.rs` and the console's editor in `editor.rs`), the public update guide (`guide.rs`), the
//! CSAF trusted provider directory (`provider.rs`) and the scheduler that publishes what is due
//! (`publishing.rs`).
//!
//! Permission order: not signed in → 401; a role that cannot see documents → 403; a document the
//! caller cannot see → 404; seen but not allowed (edit, schedule, publish) → 403.

pub mod api;
pub mod editor;
pub mod guide;
pub mod input;
pub mod provider;
pub mod publishing;

use parapet_model::{Change, Document, DocumentKind, Permission, Publication, RevisionStatus};
use parapet_store::{Schedule, StoredDocument};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
pub use input::{DocumentInput, RevisionInput};

/// A document the caller may read.
async fn visible(state: &AppState, caller: &Caller, id: &str) -> ApiResult<StoredDocument> {
    caller.require(Permission::ViewDocuments)?;
    Ok(state.store.document(&caller.viewer, id).await?)
}

/// Whether the caller may write documents; the editor asks before reading a form.
pub(crate) fn may_edit(caller: &Caller) -> ApiResult<()> {
    caller.require(Permission::EditDocuments)
}

/// A document the caller may read, and whether they hold `permission` for it.
async fn allowed(state: &AppState, caller: &Caller, id: &str, permission: Permission) -> ApiResult<StoredDocument> {
    let stored = visible(state, caller, id).await?;
    caller.require(permission)?;
    Ok(stored)
}

/// The content of a document written here; imported documents are changed where they were
/// written, then imported again.
fn authored(stored: StoredDocument, refusal: &str) -> ApiResult<Document> {
    stored.document.ok_or_else(|| ApiError::invalid("id", refusal))
}

pub(crate) async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<StoredDocument>> {
    caller.require(Permission::ViewDocuments)?;
    Ok(state.store.documents(&caller.viewer).await?)
}

pub(crate) async fn get(state: &AppState, caller: &Caller, id: &str) -> ApiResult<StoredDocument> {
    visible(state, caller, id).await
}

/// A new document built from `input`, not saved: for checking what would be created.
pub(crate) async fn draft(
    state: &AppState,
    caller: &Caller,
    kind: DocumentKind,
    input: DocumentInput,
) -> ApiResult<Document> {
    may_edit(caller)?;
    let mut document = input::new_document(state, &input, kind).await?;
    input::fill(state, caller, input, &mut document).await?;
    Ok(document)
}

pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    kind: DocumentKind,
    input: DocumentInput,
) -> ApiResult<StoredDocument> {
    let document = draft(state, caller, kind, input).await?;
    Ok(state.store.create_document(&caller.actor(), &document).await?)
}

/// The document `id` with `input` applied, not saved. When its latest revision is published, the
/// change starts a new revision, which `input.revision` must describe.
pub(crate) async fn revise(state: &AppState, caller: &Caller, id: &str, input: DocumentInput) -> ApiResult<Document> {
    let stored = allowed(state, caller, id, Permission::EditDocuments).await?;
    let mut document = authored(stored, "an imported document is changed where it was written, then imported again")?;
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
    input::fill(state, caller, input, &mut document).await?;
    Ok(document)
}

pub(crate) async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: DocumentInput,
) -> ApiResult<StoredDocument> {
    let document = revise(state, caller, id, input).await?;
    Ok(state.store.update_document(&caller.actor(), &document).await?)
}

/// What unsaved content would become.
pub(crate) enum Unsaved<'a> {
    /// A new document of this kind.
    New(DocumentKind),
    /// A new revision of this document.
    Revision(&'a str),
}

/// Unsaved content built as it would be saved, for checking: a new document, or a new revision
/// (a minor one when the latest is published, so that checking never asks what changed).
pub(crate) async fn check_unsaved(
    state: &AppState,
    caller: &Caller,
    target: Unsaved<'_>,
    mut input: DocumentInput,
) -> ApiResult<Document> {
    match target {
        Unsaved::New(kind) => draft(state, caller, kind, input).await,
        Unsaved::Revision(id) => {
            input.revision =
                Some(RevisionInput { change: Some(Change::Minor), summary: Some("Checking".into()), date: None });
            revise(state, caller, id, input).await
        }
    }
}

/// What validating a document's CSAF found.
pub(crate) struct Check {
    pub csaf: serde_json::Value,
    pub report: parapet_csaf::Report,
}

/// The CSAF `document` would be published as, and what the validator says of it.
pub(crate) fn check(state: &AppState, document: &Document) -> Check {
    let csaf = parapet_publish::csaf::document(document, &state.settings.publish_settings());
    let report = parapet_csaf::validate(&csaf);
    Check { csaf, report }
}

/// The document as it would be published: its CSAF with the validator's findings, and its OSV
/// and CVE records.
pub(crate) async fn preview(state: &AppState, caller: &Caller, id: &str) -> ApiResult<serde_json::Value> {
    let stored = visible(state, caller, id).await?;
    let document = stored.document.ok_or_else(|| ApiError::not_found("document"))?;
    let settings = state.settings.publish_settings();
    let Check { csaf, report } = check(state, &document);
    Ok(serde_json::json!({
        "valid": report.is_valid(),
        "errors": report.errors,
        "warnings": report.warnings,
        "infos": report.infos,
        "csaf": csaf,
        "osv": parapet_publish::osv::records(&document, &settings),
        "cve": parapet_publish::cve::records(&document, &settings),
    }))
}

/// When a scheduled document comes out.
pub(crate) enum When {
    /// The next monthly release.
    NextRelease,
    /// A given instant: an out-of-band release unless it is a monthly release's instant.
    At(OffsetDateTime),
}

pub(crate) async fn schedule(
    state: &AppState,
    caller: &Caller,
    id: &str,
    when: When,
    status: RevisionStatus,
) -> ApiResult<StoredDocument> {
    allowed(state, caller, id, Permission::PublishDocuments).await?;
    let (at, release_month) = match when {
        When::NextRelease => {
            let (at, month) = state
                .calendar
                .next_release(state.clock.now())
                .ok_or_else(|| ApiError::invalid("at", "the release calendar has no next release"))?;
            (at, Some(month))
        }
        When::At(at) => (at, state.calendar.month_of_release(at)),
    };
    let schedule = Schedule { at, status, release_month };
    Ok(state.store.schedule_document(&caller.actor(), id, &schedule).await?)
}

pub(crate) async fn unschedule(state: &AppState, caller: &Caller, id: &str) -> ApiResult<StoredDocument> {
    allowed(state, caller, id, Permission::PublishDocuments).await?;
    Ok(state.store.unschedule_document(&caller.actor(), id).await?)
}

/// Publishes the draft revision now: an out-of-band release.
pub(crate) async fn publish(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: RevisionStatus,
) -> ApiResult<Publication> {
    allowed(state, caller, id, Permission::PublishDocuments).await?;
    let key = publishing::signing_key(state).await.map_err(ApiError::internal)?;
    let prepare = publishing::preparer(state, key);
    let published = state.store.publish_document(&caller.actor(), id, status, state.clock.now(), &prepare).await?;
    state.catalog_wake.notify_one();
    Ok(published)
}

/// Starts the revision that withdraws the document, or marks it superseded by another. It is a
/// draft like any revision: publish or schedule it to make it public.
pub(crate) async fn withdraw(
    state: &AppState,
    caller: &Caller,
    id: &str,
    reason: &str,
    superseded_by: Option<&str>,
) -> ApiResult<StoredDocument> {
    let stored = allowed(state, caller, id, Permission::EditDocuments).await?;
    let mut document = authored(stored, "an imported document cannot be withdrawn here")?;
    let now = state.clock.now();
    match superseded_by.map(str::trim).filter(|s| !s.is_empty()) {
        Some(by) => document.supersede(by, now, reason)?,
        None => document.withdraw(now, reason)?,
    };
    Ok(state.store.update_document(&caller.actor(), &document).await?)
}

/// Validates a CSAF document: the schema and every mandatory test as errors, the optional tests
/// as warnings, the informative ones as infos.
pub(crate) async fn validate(caller: &Caller, body: Vec<u8>) -> ApiResult<parapet_csaf::Report> {
    caller.require(Permission::ViewDocuments)?;
    let text = csaf_text(body)?;
    tokio::task::spawn_blocking(move || parapet_csaf::validate_str(&text))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::invalid("body", e))
}

/// Imports an existing CSAF document as published, keeping its ID, version and dates. Returns
/// the publication and whether it is new.
pub(crate) async fn import(state: &AppState, caller: &Caller, body: Vec<u8>) -> ApiResult<(Publication, bool)> {
    caller.require(Permission::PublishDocuments)?;
    let text = csaf_text(body)?;
    let key = publishing::signing_key(state).await.map_err(ApiError::internal)?;
    let publication = tokio::task::spawn_blocking(move || parapet_provider::publication::from_csaf(&text, &key))
        .await
        .map_err(ApiError::internal)?
        .map_err(refusal)?;
    let created = state.store.import_publication(&caller.actor(), &publication).await?;
    if created {
        state.catalog_wake.notify_one();
    }
    Ok((publication, created))
}

fn csaf_text(body: Vec<u8>) -> ApiResult<String> {
    String::from_utf8(body).map_err(|_| ApiError::bad_request("the CSAF document is not UTF-8 text"))
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
