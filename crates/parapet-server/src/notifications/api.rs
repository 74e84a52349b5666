//! The notifications API for publishers: webhook endpoints (`/api/v1/webhooks`), dead letters
//! and redelivery, subscribers and delivery logs. Email subscription itself is public and lives
//! in `subscriptions.rs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parapet_store::EndpointFilters;
use serde::Deserialize;
use serde_json::json;

use super::NewEndpoint;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{Id, Json, Params};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/webhooks", get(list).post(create))
        .api("/api/v1/webhooks/{id}/rotate", post(rotate))
        .api("/api/v1/webhooks/{id}/resume", post(resume))
        .api("/api/v1/webhooks/{id}/deliveries", get(endpoint_deliveries))
        .api("/api/v1/deliveries/dead", get(dead))
        .api("/api/v1/deliveries/{id}/redeliver", post(redeliver))
        .api("/api/v1/subscribers", get(list_subscribers))
        .api("/api/v1/subscribers/{id}/deliveries", get(subscriber_deliveries))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointInput {
    url: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    filters: EndpointFilters,
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({"items": super::endpoints(&state, &caller).await?})))
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<EndpointInput>,
) -> ApiResult<Response> {
    let format = input.format.unwrap_or_else(|| "standard".into());
    let new = NewEndpoint { url: input.url, format, filters: input.filters };
    let (endpoint, secret) = super::register(&state, &caller, new).await?;
    // The secret is shown once, here; the server keeps it sealed.
    let body = json!({"endpoint": endpoint, "secret": secret.expose()});
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn rotate(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    let (endpoint, secret) = super::rotate(&state, &caller, id).await?;
    Ok(axum::Json(json!({"endpoint": endpoint, "secret": secret.expose()})))
}

async fn resume(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<StatusCode> {
    super::resume(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn dead(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({"items": super::dead_letters(&state, &caller, 500).await?})))
}

async fn redeliver(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<StatusCode> {
    super::redeliver(&state, &caller, id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: u32,
}

fn default_limit() -> u32 {
    100
}

async fn list_subscribers(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<ListParams>,
) -> ApiResult<impl IntoResponse> {
    let (items, counts) = super::subscribers(&state, &caller, params.after, params.limit.clamp(1, 1000)).await?;
    Ok(axum::Json(json!({"counts": counts, "items": items})))
}

async fn subscriber_deliveries(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    let (_, deliveries) = super::subscriber_log(&state, &caller, id).await?;
    Ok(axum::Json(json!({"items": deliveries})))
}

async fn endpoint_deliveries(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    let (_, deliveries) = super::endpoint_log(&state, &caller, id).await?;
    Ok(axum::Json(json!({"items": deliveries})))
}
