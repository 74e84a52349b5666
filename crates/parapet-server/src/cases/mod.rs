//! Cases: the operations on vulnerability cases and researcher reports, written once and called
//! by the JSON API (`api.rs`) and the console (`pages.rs`).
//!
//! Every operation checks in one order: a caller who is not signed in is refused (401), one
//! whose role cannot see cases at all is refused (403), a case the caller cannot see — missing,
//! or under embargo from them — is "not found" (404), and only then is an operation the role may
//! not do refused (403). The API and the console answer alike because they call the same code.

pub mod api;
mod input;
pub mod intake;
pub mod pages;

use parapet_model::{Case, CaseDraft, CaseFields, CaseState, MessageVisibility, Permission, Viewer};
use parapet_store::{Attachment, AuditEntry, CaseCounts, CaseQuery, Message, NewAttachment, NewCase, Page};

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::Id;
use crate::state::AppState;

/// A case the caller may read.
async fn visible(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Case> {
    caller.require(Permission::ViewCases)?;
    Ok(state.store.case(&caller.viewer, id.get("case")?).await?)
}

/// A case the caller may read and change.
async fn editable(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Case> {
    let case = visible(state, caller, id).await?;
    caller.require(Permission::EditCases)?;
    Ok(case)
}

pub(crate) async fn list(state: &AppState, caller: &Caller, query: &CaseQuery) -> ApiResult<Page<Case>> {
    caller.require(Permission::ViewCases)?;
    Ok(state.store.cases(&caller.viewer, query).await?)
}

pub(crate) async fn counts(state: &AppState, caller: &Caller) -> ApiResult<CaseCounts> {
    caller.require(Permission::ViewCases)?;
    Ok(state.store.case_counts(&caller.viewer).await?)
}

pub(crate) async fn get(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Case> {
    visible(state, caller, id).await
}

/// Whether the caller may open new cases; the console asks before showing the form.
pub(crate) fn may_create(caller: &Caller) -> ApiResult<()> {
    caller.require(Permission::EditCases)
}

pub(crate) async fn create(state: &AppState, caller: &Caller, draft: CaseDraft) -> ApiResult<Case> {
    may_create(caller)?;
    let fields = draft.apply(&CaseFields::default())?;
    let new = NewCase { fields, source: "staff", tracking_hash: None };
    Ok(state.store.create_case(&caller.actor(), new).await?)
}

pub(crate) async fn update(state: &AppState, caller: &Caller, id: Id, draft: CaseDraft) -> ApiResult<Case> {
    let case = editable(state, caller, id).await?;
    let fields = draft.apply(&case.fields)?;
    Ok(state.store.update_case(&caller.actor(), case.id, &fields).await?)
}

/// A move of a case to another state.
pub(crate) struct Transition {
    /// A case state, parsed after the permission check.
    pub to: String,
    /// The case this one duplicates, when `to` is `duplicate`.
    pub duplicate_of: Option<i64>,
}

pub(crate) async fn transition(state: &AppState, caller: &Caller, id: Id, transition: Transition) -> ApiResult<Case> {
    let case = editable(state, caller, id).await?;
    let to: CaseState = transition.to.parse()?;
    Ok(state.store.transition_case(&caller.actor(), case.id, to, transition.duplicate_of).await?)
}

/// Assigns the next CVE ID of the reserved pool.
pub(crate) async fn assign_cve(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Case> {
    let case = editable(state, caller, id).await?;
    Ok(state.store.assign_cve(&caller.actor(), case.id).await?)
}

pub(crate) async fn messages(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Vec<Message>> {
    let case = visible(state, caller, id).await?;
    Ok(state.store.messages(&caller.viewer, case.id).await?)
}

pub(crate) async fn add_message(
    state: &AppState,
    caller: &Caller,
    id: Id,
    visibility: &str,
    body: &str,
) -> ApiResult<Message> {
    let case = editable(state, caller, id).await?;
    let visibility: MessageVisibility = visibility.parse()?;
    Ok(state.store.add_message(&caller.viewer, case.id, visibility, body).await?)
}

pub(crate) async fn timeline(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Vec<AuditEntry>> {
    let case = visible(state, caller, id).await?;
    Ok(state.store.case_timeline(&caller.viewer, case.id).await?)
}

pub(crate) async fn attachments(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Vec<Attachment>> {
    let case = visible(state, caller, id).await?;
    Ok(state.store.attachments(&caller.viewer, case.id).await?)
}

pub(crate) async fn add_attachment(
    state: &AppState,
    caller: &Caller,
    id: Id,
    new: NewAttachment,
) -> ApiResult<Attachment> {
    let case = editable(state, caller, id).await?;
    Ok(state.store.add_attachment(&caller.actor(), case.id, new).await?)
}

pub(crate) async fn attachment(
    state: &AppState,
    caller: &Caller,
    id: Id,
    attachment: Id,
) -> ApiResult<(Attachment, Vec<u8>)> {
    let case = visible(state, caller, id).await?;
    Ok(state.store.attachment(&caller.viewer, case.id, attachment.get("attachment")?).await?)
}

// ---- researchers ----

pub(crate) fn check_intake_rate(state: &AppState, ip: std::net::IpAddr) -> ApiResult<()> {
    state
        .intake_limiter
        .check_key(&ip)
        .map_err(|_| ApiError::too_many("too many reports from your address; wait a minute and try again"))
}

/// A report filed: the reporter's private tracking link and its token.
pub(crate) struct Filed {
    pub tracking_url: String,
    pub tracking_token: String,
}

/// Files a report as a new case and returns the reporter's private tracking link.
pub(crate) async fn file_report(state: &AppState, ip: std::net::IpAddr, report: intake::Report) -> ApiResult<Filed> {
    check_intake_rate(state, ip)?;
    let token = auth::new_secret();
    let new = NewCase { fields: report.fields, source: "intake", tracking_hash: Some(auth::digest(&token)) };
    let case = state.store.create_case("intake", new).await?;
    // Not even the case ID: an embargoed case's existence stays out of info-level logs.
    tracing::debug!(case_id = case.id, "report filed as a case");
    tracing::info!("report received");
    Ok(Filed { tracking_url: state.url(&format!("/track/{token}")), tracking_token: token })
}

/// The case behind a tracking token, as its reporter.
async fn reporter(state: &AppState, token: &str) -> ApiResult<(Viewer, i64)> {
    match state.store.case_for_tracking(&auth::digest(token)).await? {
        Some(case_id) => Ok((Viewer::Reporter { case_id }, case_id)),
        None => Err(ApiError::not_found("report")),
    }
}

/// What a reporter sees of their report: the case as their viewer reads it and the
/// conversation with them.
pub(crate) async fn report_status(state: &AppState, token: &str) -> ApiResult<(Case, Vec<Message>)> {
    let (viewer, case_id) = reporter(state, token).await?;
    let case = state.store.case(&viewer, case_id).await?;
    let messages = state.store.messages(&viewer, case_id).await?;
    Ok((case, messages))
}

pub(crate) async fn report_message(state: &AppState, token: &str, body: &str) -> ApiResult<Message> {
    let (viewer, case_id) = reporter(state, token).await?;
    Ok(state.store.add_message(&viewer, case_id, MessageVisibility::Reporter, body).await?)
}
