//! The JSON API under `/api/v1`. Handlers are thin: check the caller, call the store, shape
//! the answer. The routes here and the served OpenAPI document are checked against each other.

use axum::Router;
use axum::extract::{ConnectInfo, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parapet_model::{
    CaseDraft, CaseFields, CaseState, MessageVisibility, Permission, ProductInput, Role, Scope, Severity, VersionInput,
    Viewer,
};
use parapet_store::{AuditQuery, CaseQuery, CaseSort, NewAttachment, NewCase};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::intake;
use crate::json::Json;
use crate::state::AppState;

pub const OPENAPI: &str = include_str!("../openapi.json");

pub fn routes(state: &AppState) -> Router<AppState> {
    let attachment_limit = axum::extract::DefaultBodyLimit::max(state.settings.intake.max_attachment_bytes + 64 * 1024);
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/reports", post(submit_report))
        .route("/api/v1/reports/{token}", get(report_status))
        .route("/api/v1/reports/{token}/messages", post(report_message))
        .route("/api/v1/cases", get(list_cases).post(create_case))
        .route("/api/v1/cases/{id}", get(get_case).patch(update_case))
        .route("/api/v1/cases/{id}/transition", post(transition_case))
        .route("/api/v1/cases/{id}/cve", post(assign_cve))
        .route("/api/v1/cases/{id}/messages", get(case_messages).post(add_case_message))
        .route("/api/v1/cases/{id}/timeline", get(case_timeline))
        .route("/api/v1/cases/{id}/attachments", get(case_attachments).post(upload_attachment).layer(attachment_limit))
        .route("/api/v1/cases/{id}/attachments/{attachment}", get(download_attachment))
        .route("/api/v1/products", get(list_products).post(create_product))
        .route("/api/v1/products/{id}", get(get_product))
        .route("/api/v1/products/{id}/versions", post(add_version))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", axum::routing::patch(update_user))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/api/v1/audit", get(audit_log))
        .merge(crate::documents::routes())
        .layer(axum::middleware::map_response(error_shape))
}

/// Gives every API error the one body shape, including those axum answers by itself
/// (a method the route does not have, a malformed multipart body).
async fn error_shape(response: Response) -> Response {
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let mut shaped = ApiError::new(status, code, message).into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        shaped.headers_mut().insert(header::ALLOW, allow.clone());
    }
    shaped
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn me(caller: Caller) -> ApiResult<impl IntoResponse> {
    let user = caller.user.as_ref().ok_or_else(ApiError::unauthenticated)?;
    let scopes = match &caller.viewer {
        Viewer::Staff { scopes: Some(s), .. } => json!(s),
        _ => json!(null),
    };
    Ok(axum::Json(json!({"user": user, "scopes": scopes})))
}

// ---- researcher intake ----

/// The address a request came from, for rate limits. In-process tests have no socket and
/// count as loopback.
pub struct ClientIp(pub std::net::IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        Ok(ClientIp(ip))
    }
}

pub(crate) fn check_intake_rate(state: &AppState, ip: std::net::IpAddr) -> ApiResult<()> {
    state
        .intake_limiter
        .check_key(&ip)
        .map_err(|_| ApiError::too_many("too many reports from your address; wait a minute and try again"))
}

/// Files a report as a new case and returns the reporter's private tracking link.
pub(crate) async fn file_report(state: &AppState, report: intake::Report) -> ApiResult<(String, String)> {
    let token = auth::new_secret();
    let new = NewCase { fields: report.fields, source: "intake", tracking_hash: Some(auth::digest(&token)) };
    let case = state.store.create_case("intake", new).await?;
    // Not even the case ID: an embargoed case's existence stays out of info-level logs.
    tracing::debug!(case_id = case.id, "report filed as a case");
    tracing::info!("report received");
    Ok((state.url(&format!("/track/{token}")), token))
}

async fn submit_report(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    check_intake_rate(&state, ip)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as Content-Type: application/json",
        ));
    }
    let report = intake::decode_report(&body)?;
    let (tracking_url, tracking_token) = file_report(&state, report).await?;
    let body = json!({
        "tracking_url": tracking_url,
        "tracking_token": tracking_token,
        "message": "Thank you. Keep the tracking link private: it is the only way to follow this report."
    });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// The case behind a tracking token, as its reporter.
pub(crate) async fn reporter(state: &AppState, token: &str) -> ApiResult<Viewer> {
    match state.store.case_for_tracking(&auth::digest(token)).await? {
        Some(case_id) => Ok(Viewer::Reporter { case_id }),
        None => Err(ApiError::not_found("report")),
    }
}

async fn report_status(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<impl IntoResponse> {
    let viewer = reporter(&state, &token).await?;
    let Viewer::Reporter { case_id } = viewer else { unreachable!("reporter() returns a reporter") };
    let case = state.store.case(&viewer, case_id).await?;
    let messages = state.store.messages(&viewer, case_id).await?;
    let messages: Vec<_> = messages
        .iter()
        .map(|m| json!({"from": m.author_kind, "body": m.body, "created_at": m.created_at.format(&time::format_description::well_known::Rfc3339).ok()}))
        .collect();
    Ok(axum::Json(json!({
        "title": case.fields.title,
        "state": case.state,
        "state_label": case.state.label(),
        "created_at": case.created_at.format(&time::format_description::well_known::Rfc3339).ok(),
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
    let viewer = reporter(&state, &token).await?;
    let Viewer::Reporter { case_id } = viewer else { unreachable!("reporter() returns a reporter") };
    let message = state.store.add_message(&viewer, case_id, MessageVisibility::Reporter, &input.body).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"from": message.author_kind, "body": message.body}))).into_response())
}

// ---- cases ----

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

impl CaseListParams {
    pub fn to_query(&self) -> ApiResult<CaseQuery> {
        let states = match self.state.as_deref().filter(|s| !s.is_empty()) {
            Some(list) => list.split(',').map(|s| s.trim().parse::<CaseState>()).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let severity = self.severity.as_deref().filter(|s| !s.is_empty()).map(str::parse::<Severity>).transpose()?;
        let sort = self.sort.as_deref().filter(|s| !s.is_empty()).map(CaseSort::parse).transpose()?.unwrap_or_default();
        let ascending = match self.order.as_deref().unwrap_or("") {
            "asc" => true,
            "desc" => false,
            "" => sort == CaseSort::Title,
            other => return Err(ApiError::invalid("order", format!("unknown order {other:?}; expected asc or desc"))),
        };
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=500).contains(&per_page) {
            return Err(ApiError::invalid("per_page", "must be between 1 and 500"));
        }
        Ok(CaseQuery {
            states,
            severity,
            product_id: self.product,
            text: self.q.clone().filter(|q| !q.trim().is_empty()),
            sort,
            ascending,
            page: self.page.unwrap_or(1).max(1),
            per_page,
        })
    }
}

/// Query strings with our error shape.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(v)| Params(v)).map_err(|e| {
            let text = e.body_text();
            let field =
                text.split_once("unknown field `").and_then(|(_, r)| r.split_once('`')).map(|(f, _)| f.to_owned());
            ApiError::invalid(
                field.unwrap_or_else(|| "query".into()),
                text.replace("Failed to deserialize query string: ", ""),
            )
        })
    }
}

async fn list_cases(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<CaseListParams>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewCases)?;
    let page = state.store.cases(&caller.viewer, &params.to_query()?).await?;
    Ok(axum::Json(page))
}

pub(crate) fn parse_id(raw: &str, what: &str) -> ApiResult<i64> {
    // A malformed ID cannot name a case, so it is "not found" like any other.
    raw.trim_start_matches("CASE-").parse().map_err(|_| ApiError::not_found(what))
}

async fn create_case(
    State(state): State<AppState>,
    caller: Caller,
    Json(draft): Json<CaseDraft>,
) -> ApiResult<Response> {
    caller.require(Permission::EditCases)?;
    let fields = draft.apply(&CaseFields::default())?;
    let case =
        state.store.create_case(&caller.actor(), NewCase { fields, source: "staff", tracking_hash: None }).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/api/v1/cases/{}", case.id))], axum::Json(case))
        .into_response())
}

async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewCases)?;
    Ok(axum::Json(state.store.case(&caller.viewer, parse_id(&id, "case")?).await?))
}

/// Loads a case the caller may edit; callers who cannot see it get "not found".
async fn editable(state: &AppState, caller: &Caller, id: &str) -> ApiResult<parapet_model::Case> {
    if caller.viewer.sees_undisclosed() {
        caller.require(Permission::EditCases)?;
    } else {
        caller.require(Permission::ViewCases)?;
    }
    Ok(state.store.case(&caller.viewer, parse_id(id, "case")?).await?)
}

async fn update_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(draft): Json<CaseDraft>,
) -> ApiResult<impl IntoResponse> {
    let case = editable(&state, &caller, &id).await?;
    let fields = draft.apply(&case.fields)?;
    Ok(axum::Json(state.store.update_case(&caller.actor(), case.id, &fields).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransitionInput {
    state: String,
    #[serde(default)]
    duplicate_of: Option<i64>,
}

async fn transition_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<TransitionInput>,
) -> ApiResult<impl IntoResponse> {
    let case = editable(&state, &caller, &id).await?;
    let to: CaseState = input.state.parse()?;
    Ok(axum::Json(state.store.transition_case(&caller.actor(), case.id, to, input.duplicate_of).await?))
}

async fn assign_cve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let case = editable(&state, &caller, &id).await?;
    Ok(axum::Json(state.store.assign_cve(&caller.actor(), case.id).await?))
}

async fn case_messages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewCases)?;
    Ok(axum::Json(state.store.messages(&caller.viewer, parse_id(&id, "case")?).await?))
}

async fn add_case_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<MessageInput>,
) -> ApiResult<Response> {
    let case = editable(&state, &caller, &id).await?;
    let visibility = MessageVisibility::parse(input.visibility.as_deref().unwrap_or("internal"))?;
    let message = state.store.add_message(&caller.viewer, case.id, visibility, &input.body).await?;
    Ok((StatusCode::CREATED, axum::Json(message)).into_response())
}

async fn case_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewCases)?;
    let id = parse_id(&id, "case")?;
    state.store.case(&caller.viewer, id).await?;
    Ok(axum::Json(state.store.case_timeline(&caller.viewer, id).await?))
}

async fn case_attachments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewCases)?;
    let id = parse_id(&id, "case")?;
    state.store.case(&caller.viewer, id).await?;
    Ok(axum::Json(state.store.attachments(&caller.viewer, id).await?))
}

/// Reads the `file` part of a multipart upload, within the configured size.
pub(crate) async fn read_upload(
    state: &AppState,
    mut multipart: Multipart,
) -> ApiResult<(NewAttachment, Option<String>)> {
    let limit = state.settings.intake.max_attachment_bytes;
    let mut file = None;
    let mut csrf = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed upload: {}", e.body_text())))?
    {
        match field.name() {
            Some("file") => {
                let filename = field.file_name().unwrap_or("attachment").to_owned();
                let filename =
                    parapet_model::validate::required_text("file", &filename.replace(['/', '\\'], "_"), 255)?;
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
                let mut content = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| ApiError::bad_request(format!("malformed upload: {}", e.body_text())))?
                {
                    if content.len() + chunk.len() > limit {
                        return Err(ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too_large",
                            format!("attachments are limited to {limit} bytes"),
                        )
                        .with_field("file"));
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

async fn upload_attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Multipart,
) -> ApiResult<Response> {
    let case = editable(&state, &caller, &id).await?;
    let (new, _) = read_upload(&state, multipart).await?;
    let attachment = state.store.add_attachment(&caller.actor(), case.id, new).await?;
    Ok((StatusCode::CREATED, axum::Json(attachment)).into_response())
}

pub(crate) fn attachment_response(attachment: parapet_store::Attachment, content: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", attachment.filename.replace(['"', '\r', '\n'], "_"));
    (
        [
            // Never let a browser render an uploaded file as a page of ours.
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::HeaderName::from_static("x-content-type-options"), "nosniff".to_owned()),
        ],
        content,
    )
        .into_response()
}

async fn download_attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.require(Permission::ViewCases)?;
    let (meta, content) =
        state.store.attachment(&caller.viewer, parse_id(&id, "case")?, parse_id(&attachment, "attachment")?).await?;
    Ok(attachment_response(meta, content))
}

// ---- products ----

async fn list_products(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewProducts)?;
    Ok(axum::Json(state.store.products().await?))
}

async fn create_product(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ProductInput>,
) -> ApiResult<Response> {
    caller.require(Permission::EditProducts)?;
    let product = state.store.create_product(&caller.actor(), &input.validate()?).await?;
    Ok((StatusCode::CREATED, axum::Json(product)).into_response())
}

async fn get_product(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewProducts)?;
    Ok(axum::Json(state.store.product(parse_id(&id, "product")?).await?))
}

async fn add_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<VersionInput>,
) -> ApiResult<Response> {
    caller.require(Permission::EditProducts)?;
    let version =
        state.store.add_product_version(&caller.actor(), parse_id(&id, "product")?, &input.validate()?).await?;
    Ok((StatusCode::CREATED, axum::Json(version)).into_response())
}

// ---- users and tokens ----

async fn list_users(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewUsers)?;
    Ok(axum::Json(state.store.users().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserInput {
    pub name: String,
    pub role: String,
    pub password: String,
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<UserInput>,
) -> ApiResult<Response> {
    caller.require(Permission::ManageUsers)?;
    let role: Role = input.role.parse()?;
    auth::check_password(&input.password)?;
    let hash = auth::hash_password(input.password).await?;
    let user = state.store.create_user(&caller.actor(), &input.name, role, Some(&hash)).await?;
    Ok((StatusCode::CREATED, axum::Json(user)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    role: Option<String>,
    password: Option<String>,
    disabled: Option<bool>,
}

async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(input): Json<UserPatch>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ManageUsers)?;
    let role = input.role.as_deref().map(str::parse::<Role>).transpose()?;
    let hash = match input.password {
        Some(p) => {
            auth::check_password(&p)?;
            Some(auth::hash_password(p).await?)
        }
        None => None,
    };
    let user =
        state.store.update_user(&caller.actor(), parse_id(&id, "user")?, role, hash.as_deref(), input.disabled).await?;
    Ok(axum::Json(user))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TokenListParams {
    all: Option<bool>,
}

async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<TokenListParams>,
) -> ApiResult<impl IntoResponse> {
    let user = caller.user.as_ref().ok_or_else(ApiError::unauthenticated)?;
    let all = params.all.unwrap_or(false);
    if all {
        caller.require(Permission::ViewUsers)?;
    }
    Ok(axum::Json(state.store.tokens(if all { None } else { Some(user.id) }).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    name: String,
    #[serde(default)]
    scopes: Option<Vec<Scope>>,
}

async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<TokenInput>,
) -> ApiResult<Response> {
    let user = caller.user.as_ref().ok_or_else(ApiError::unauthenticated)?;
    let scopes = input.scopes.unwrap_or_else(|| vec![Scope::Read, Scope::Write]);
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "at least one scope is required"));
    }
    // A token can never do more than the token that created it.
    if let Viewer::Staff { scopes: Some(own), .. } = &caller.viewer
        && scopes.iter().any(|s| !own.contains(s))
    {
        return Err(ApiError::forbidden());
    }
    let secret = auth::new_api_token();
    let token =
        state.store.create_token(&caller.actor(), user.id, &input.name, &auth::digest(&secret), &scopes).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"token": secret, "info": token}))).into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(revoke(&state, &caller, &id).await?))
}

/// Revokes a token of the caller's own, or anyone's for those who manage users; others'
/// tokens are "not found" to everybody else.
pub(crate) async fn revoke(state: &AppState, caller: &Caller, id: &str) -> ApiResult<parapet_store::ApiToken> {
    let user = caller.user.as_ref().ok_or_else(ApiError::unauthenticated)?;
    let id = parse_id(id, "token")?;
    let owned = state.store.tokens(Some(user.id)).await?.iter().any(|t| t.id == id);
    if !owned {
        caller.require(Permission::ManageUsers).map_err(|_| ApiError::not_found("token"))?;
    }
    Ok(state.store.revoke_token(&caller.actor(), id).await?)
}

// ---- audit ----

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    pub format: Option<String>,
}

impl AuditParams {
    pub fn to_query(&self) -> AuditQuery {
        let some = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        AuditQuery {
            entity: some(&self.entity),
            entity_id: some(&self.entity_id),
            actor: some(&self.actor),
            page: self.page.unwrap_or(1),
            per_page: self.per_page.unwrap_or(100).min(1000),
        }
    }
}

async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<AuditParams>,
) -> ApiResult<Response> {
    caller.require(Permission::ViewAudit)?;
    match params.format.as_deref().unwrap_or("json") {
        "json" => Ok(axum::Json(state.store.audit_entries(&params.to_query()).await?).into_response()),
        "csv" => Ok(crate::export::audit_csv(&state, params.to_query()).await?),
        other => Err(ApiError::invalid("format", format!("unknown format {other:?}; expected json or csv"))),
    }
}
