//! The cases API: `/api/v1/cases` for staff and `/api/v1/reports` for researchers. Handlers
//! decode, call the operation, and answer JSON.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parapet_model::CaseDraft;
use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use super::Transition;
use super::input::{CaseListParams, attachment_response, read_upload};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, Id, Json, Params};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes(state: &AppState) -> Routes {
    let attachment_limit = state.settings.intake.max_attachment_bytes + 64 * 1024;
    Routes::new()
        .api("/api/v1/reports", post(submit_report))
        .api("/api/v1/reports/{token}", get(report_status))
        .api("/api/v1/reports/{token}/messages", post(report_message))
        .api("/api/v1/cases", get(list).post(create))
        .api("/api/v1/cases/{id}", get(read).patch(update))
        .api("/api/v1/cases/{id}/transition", post(transition))
        .api("/api/v1/cases/{id}/cve", post(assign_cve))
        .api("/api/v1/cases/{id}/messages", get(messages).post(add_message))
        .api("/api/v1/cases/{id}/timeline", get(timeline))
        .api("/api/v1/cases/{id}/attachments", get(attachments).post(upload).body_limit(attachment_limit))
        .api("/api/v1/cases/{id}/attachments/{attachment}", get(download))
}

// ---- researchers ----

async fn submit_report(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(ApiError::unsupported_media_type());
    }
    let report = super::intake::decode_report(&body)?;
    let filed = super::file_report(&state, ip, report).await?;
    let body = json!({
        "tracking_url": filed.tracking_url,
        "tracking_token": filed.tracking_token,
        "message": "Thank you. Keep the tracking link private: it is the only way to follow this report."
    });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn report_status(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<impl IntoResponse> {
    let (case, messages) = super::report_status(&state, &token).await?;
    let messages: Vec<_> = messages
        .iter()
        .map(|m| json!({"from": m.author_kind, "body": m.body, "created_at": m.created_at.format(&Rfc3339).ok()}))
        .collect();
    Ok(axum::Json(json!({
        "title": case.fields.title,
        "state": case.state,
        "state_label": case.state.label(),
        "created_at": case.created_at.format(&Rfc3339).ok(),
        "messages": messages,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageInput {
    body: String,
    #[serde(default)]
    visibility: Option<String>,
}

async fn report_message(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Json(input): Json<MessageInput>,
) -> ApiResult<Response> {
    let message = super::report_message(&state, &token, &input.body).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"from": message.author_kind, "body": message.body}))).into_response())
}

// ---- cases ----

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<CaseListParams>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::list(&state, &caller, &params.to_query()?).await?))
}

async fn create(State(state): State<AppState>, caller: Caller, Json(draft): Json<CaseDraft>) -> ApiResult<Response> {
    let case = super::create(&state, &caller, draft).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/cases/{}", case.id))], axum::Json(case))
        .into_response())
}

async fn read(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::get(&state, &caller, id).await?))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    id: Id,
    Json(draft): Json<CaseDraft>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::update(&state, &caller, id, draft).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionInput {
    state: String,
    #[serde(default)]
    duplicate_of: Option<i64>,
}

async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    id: Id,
    Json(input): Json<TransitionInput>,
) -> ApiResult<impl IntoResponse> {
    let transition = Transition { to: input.state, duplicate_of: input.duplicate_of };
    Ok(axum::Json(super::transition(&state, &caller, id, transition).await?))
}

async fn assign_cve(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::assign_cve(&state, &caller, id).await?))
}

async fn messages(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::messages(&state, &caller, id).await?))
}

async fn add_message(
    State(state): State<AppState>,
    caller: Caller,
    id: Id,
    Json(input): Json<MessageInput>,
) -> ApiResult<Response> {
    let visibility = input.visibility.as_deref().unwrap_or("internal");
    let message = super::add_message(&state, &caller, id, visibility, &input.body).await?;
    Ok((StatusCode::CREATED, axum::Json(message)).into_response())
}

async fn timeline(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::timeline(&state, &caller, id).await?))
}

async fn attachments(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::attachments(&state, &caller, id).await?))
}

async fn upload(State(state): State<AppState>, caller: Caller, id: Id, multipart: Multipart) -> ApiResult<Response> {
    let (new, _) = read_upload(&state, multipart).await?;
    let attachment = super::add_attachment(&state, &caller, id, new).await?;
    Ok((StatusCode::CREATED, axum::Json(attachment)).into_response())
}

async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (meta, content) = super::attachment(&state, &caller, Id::parse(&id), Id::parse(&attachment)).await?;
    Ok(attachment_response(meta, content))
}
