//! The cases API: `/api/v1/cases` for staff and `/api/v1/reports` for researchers. Handlers
//! decode, call the operation, and answer JSON.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parapet_model::{CaseDraft, CaseState, Severity};
use parapet_store::{CaseQuery, CaseSort, NewAttachment};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;

use super::Transition;
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

/// The case list's query string, shared with the console's list.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CaseListParams {
    pub state: Option<String>,
    pub severity: Option<String>,
    pub product: Option<i64>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Which way a list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

impl std::str::FromStr for Order {
    type Err = parapet_model::FieldError;
    fn from_str(s: &str) -> Result<Order, Self::Err> {
        match s {
            "asc" => Ok(Order::Ascending),
            "desc" => Ok(Order::Descending),
            other => {
                Err(parapet_model::FieldError::new("order", format!("unknown order {other:?}; expected asc or desc")))
            }
        }
    }
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CaseListParams {
    pub fn to_query(&self) -> ApiResult<CaseQuery> {
        let states = match given(&self.state) {
            Some(list) => list.split(',').map(|s| s.trim().parse::<CaseState>()).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let severity = given(&self.severity).map(str::parse::<Severity>).transpose()?;
        let sort = given(&self.sort).map(CaseSort::parse).transpose()?.unwrap_or_default();
        let ascending = match given(&self.order).map(str::parse::<Order>).transpose()? {
            Some(order) => order == Order::Ascending,
            None => sort == CaseSort::Title,
        };
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=500).contains(&per_page) {
            return Err(ApiError::invalid("per_page", "must be between 1 and 500"));
        }
        Ok(CaseQuery {
            states,
            severity,
            product_id: self.product,
            text: given(&self.q).map(str::to_owned),
            sort,
            ascending,
            page: self.page.unwrap_or(1).max(1),
            per_page,
        })
    }
}

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

/// Reads the `file` part of a multipart upload, within the configured size, and the `csrf`
/// part a console form sends beside it.
pub(crate) async fn read_upload(
    state: &AppState,
    mut multipart: Multipart,
) -> ApiResult<(NewAttachment, Option<String>)> {
    let limit = state.settings.intake.max_attachment_bytes;
    let malformed = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("malformed upload: {}", e.body_text()))
    };
    let mut file = None;
    let mut csrf = None;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("file") => {
                let filename = field.file_name().unwrap_or("attachment").to_owned();
                let filename =
                    parapet_model::validate::required_text("file", &filename.replace(['/', '\\'], "_"), 255)?;
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
                let mut content = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    if content.len() + chunk.len() > limit {
                        return Err(
                            ApiError::too_large(format!("attachments are limited to {limit} bytes")).with_field("file")
                        );
                    }
                    content.extend_from_slice(&chunk);
                }
                if content.is_empty() {
                    return Err(ApiError::invalid("file", "the file is empty"));
                }
                let sha256 = hex::encode(Sha256::digest(&content));
                file = Some(NewAttachment { filename, content_type, sha256, content });
            }
            Some("csrf") => csrf = Some(field.text().await.unwrap_or_default()),
            _ => {}
        }
    }
    Ok((file.ok_or_else(|| ApiError::invalid("file", "no file was sent in the \"file\" field"))?, csrf))
}

async fn upload(State(state): State<AppState>, caller: Caller, id: Id, multipart: Multipart) -> ApiResult<Response> {
    let (new, _) = read_upload(&state, multipart).await?;
    let attachment = super::add_attachment(&state, &caller, id, new).await?;
    Ok((StatusCode::CREATED, axum::Json(attachment)).into_response())
}

/// An uploaded file, as a download that no browser renders as a page of ours.
pub(crate) fn attachment_response(attachment: parapet_store::Attachment, content: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", attachment.filename.replace(['"', '\r', '\n'], "_"));
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        content,
    )
        .into_response()
}

async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (meta, content) = super::attachment(&state, &caller, Id::parse(&id), Id::parse(&attachment)).await?;
    Ok(attachment_response(meta, content))
}
