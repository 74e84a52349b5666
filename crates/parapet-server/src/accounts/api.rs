//! The accounts API: who am I (`/api/v1/me`), users and tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parapet_model::{Scope, Viewer};
use serde::Deserialize;
use serde_json::json;

use super::{NewUser, UserChange};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Id, Json, Params};
use crate::routes::{Routes, delete, get, patch};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/me", get(me))
        .api("/api/v1/users", get(list_users).post(create_user))
        .api("/api/v1/users/{id}", patch(update_user))
        .api("/api/v1/tokens", get(list_tokens).post(create_token))
        .api("/api/v1/tokens/{id}", delete(revoke_token))
}

async fn me(caller: Caller) -> ApiResult<impl IntoResponse> {
    let user = caller.user.as_ref().ok_or_else(ApiError::unauthenticated)?;
    let scopes = match &caller.viewer {
        Viewer::Staff { scopes: Some(s), .. } => json!(s),
        _ => json!(null),
    };
    Ok(axum::Json(json!({"user": user, "scopes": scopes})))
}

async fn list_users(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::users(&state, &caller).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserInput {
    name: String,
    role: String,
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<UserInput>,
) -> ApiResult<Response> {
    let new = NewUser { name: input.name, role: input.role, password: input.password };
    let user = super::create_user(&state, &caller, new).await?;
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
    id: Id,
    Json(input): Json<UserPatch>,
) -> ApiResult<impl IntoResponse> {
    let change = UserChange { role: input.role, password: input.password, disabled: input.disabled };
    Ok(axum::Json(super::update_user(&state, &caller, id, change).await?))
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
    Ok(axum::Json(super::tokens(&state, &caller, params.all.unwrap_or(false)).await?))
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
    let scopes = input.scopes.unwrap_or_else(|| vec![Scope::Read, Scope::Write]);
    let new = super::create_token(&state, &caller, &input.name, &scopes).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"token": new.secret, "info": new.token}))).into_response())
}

async fn revoke_token(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::revoke_token(&state, &caller, id).await?))
}
