//! The documents API: bulletins and advisories under `/api/v1/documents`, the release calendar,
//! and CSAF validation and import under `/api/v1/csaf`. Handlers decode, call the operation, and
//! answer JSON.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parapet_model::RevisionStatus;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{DocumentInput, When};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::routes::{Routes, get, post};
use crate::state::AppState;

/// The largest CSAF document accepted for validation or import.
const MAX_CSAF_BYTES: usize = 32 * 1024 * 1024;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/documents", get(list).post(create))
        .api("/api/v1/documents/{id}", get(read).put(update))
        .api("/api/v1/documents/{id}/preview", get(preview))
        .api("/api/v1/documents/{id}/schedule", post(schedule).delete(unschedule))
        .api("/api/v1/documents/{id}/publish", post(publish))
        .api("/api/v1/documents/{id}/withdraw", post(withdraw))
        .api("/api/v1/releases", get(releases))
        .api("/api/v1/csaf/validate", post(validate).body_limit(MAX_CSAF_BYTES))
        .api("/api/v1/csaf/import", post(import).body_limit(MAX_CSAF_BYTES))
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({"items": super::list(&state, &caller).await?})))
}

async fn read(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::get(&state, &caller, &id).await?))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<DocumentInput>,
) -> ApiResult<Response> {
    let kind = input.kind.ok_or_else(|| ApiError::invalid("kind", "bulletin or advisory is required"))?;
    let stored = super::create(&state, &caller, kind, input).await?;
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<DocumentInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::update(&state, &caller, &id, input).await?))
}

async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::preview(&state, &caller, &id).await?))
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
    let when = if input.at == "next_release" {
        When::NextRelease
    } else {
        When::At(OffsetDateTime::parse(&input.at, &Rfc3339).map_err(|_| {
            ApiError::invalid("at", format!("{:?} is neither next_release nor an RFC 3339 instant", input.at))
        })?)
    };
    Ok(axum::Json(super::schedule(&state, &caller, &id, when, input.status).await?))
}

async fn unschedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::unschedule(&state, &caller, &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishInput {
    #[serde(default = "final_status")]
    status: RevisionStatus,
}

async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<PublishInput>,
) -> ApiResult<Response> {
    let published = super::publish(&state, &caller, &id, input.status).await?;
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

async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<WithdrawInput>,
) -> ApiResult<impl IntoResponse> {
    let stored = super::withdraw(&state, &caller, &id, &input.reason, input.superseded_by.as_deref()).await?;
    Ok(axum::Json(stored))
}

async fn releases(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let next = state.calendar.next_release(state.clock.now());
    Ok(axum::Json(json!({
        "day": state.settings.releases.day,
        "time": state.settings.releases.time,
        "time_zone": state.calendar.zone_name(),
        "next": next.map(|(at, month)| json!({"at": at.format(&Rfc3339).ok(), "month": month})),
    })))
}

async fn validate(caller: Caller, body: axum::body::Bytes) -> ApiResult<impl IntoResponse> {
    let report = super::validate(&caller, body.to_vec()).await?;
    Ok(axum::Json(json!({
        "valid": report.is_valid(),
        "errors": report.errors,
        "warnings": report.warnings,
        "infos": report.infos,
    })))
}

async fn import(State(state): State<AppState>, caller: Caller, body: axum::body::Bytes) -> ApiResult<Response> {
    let (publication, created) = super::import(&state, &caller, body.to_vec()).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(publication)).into_response())
}
