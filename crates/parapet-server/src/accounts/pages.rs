//! The console's accounts: signing in and out, the first administrator's set-up link, and the
//! users and tokens page.
//!
//! The sign-in form has no session yet, so it is protected by a double-submit cookie instead of
//! the session's CSRF token.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use parapet_model::{Permission, Role, Scope};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::{NewUser, UserChange};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, ConsoleForm, Empty, Id, Params, PublicForm, SignedIn};
use crate::render::{PageResult, fmt_time, no_store, page, page_with_status};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/login", get(login_page).post(login))
        .page("/logout", post(logout))
        .page("/setup/{token}", get(setup_page).post(setup))
        .page("/users", get(users).post(add_user))
        .page("/users/{id}", post(change_user))
        .page("/tokens", post(create_token))
        .page("/tokens/{id}/revoke", post(revoke_token))
}

// ---- signing in ----

fn set_cookie(response: &mut Response, cookie: String) -> ApiResult<()> {
    response.headers_mut().append(header::SET_COOKIE, cookie.parse().map_err(ApiError::internal)?);
    Ok(())
}

fn login_form(state: &AppState, name: &str, next: &str, error: Option<&str>, status: StatusCode) -> PageResult {
    let token = auth::new_secret();
    let ctx = context! { login_csrf => token, name, next, error };
    let mut response = page_with_status(status, state, &Caller::anonymous(), "login.html", "Sign in", "", ctx)?;
    let secure = if state.settings.auth.secure_cookies { "; Secure" } else { "" };
    let cookie =
        format!("{}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}", auth::LOGIN_CSRF_COOKIE);
    set_cookie(&mut response, cookie)?;
    Ok(response)
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    #[serde(default)]
    next: String,
}

async fn login_page(State(state): State<AppState>, caller: Caller, Params(q): Params<LoginQuery>) -> PageResult {
    if caller.is_signed_in() {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    login_form(&state, "", &q.next, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

/// Only local paths, so that the sign-in page cannot be used to send people elsewhere.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next } else { "/dashboard" }
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    PublicForm(form): PublicForm<LoginForm>,
) -> PageResult {
    let refuse = |message: &str, status| login_form(&state, &form.name, &form.next, Some(message), status);
    let cookie = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or("");
    if cookie.is_empty() || !auth::constant_time_eq(cookie.as_bytes(), form.csrf.as_bytes()) {
        return refuse("The sign-in form expired. Please try again.", StatusCode::FORBIDDEN);
    }
    let client = ip.to_string();
    let settings = &state.settings.auth;
    let since = OffsetDateTime::now_utc() - Duration::minutes(settings.login_window_minutes);
    let (by_user, by_client) = state.store.login_failures_since(&form.name, &client, since).await?;
    if by_user >= settings.login_max_failures || by_client >= settings.login_max_failures * 10 {
        tracing::warn!(client, "sign-in throttled");
        let message =
            format!("Too many failed sign-ins. Wait {} minutes and try again.", settings.login_window_minutes);
        return refuse(&message, StatusCode::TOO_MANY_REQUESTS);
    }
    let user = state.store.user_by_name(&form.name).await?;
    let hash = user.as_ref().filter(|u| !u.disabled).and_then(|u| u.password_hash.clone());
    let valid = auth::verify_password(hash, form.password.clone()).await;
    let Some(user) = user.filter(|_| valid) else {
        state.store.record_login_failure(&form.name, &client).await?;
        return refuse("Wrong user name or password.", StatusCode::UNAUTHORIZED);
    };
    state.store.clear_login_failures(&user.name).await?;
    let secret = auth::new_secret();
    let hours = settings.session_hours;
    let expires = OffsetDateTime::now_utc() + Duration::hours(hours);
    state.store.create_session(user.id, &auth::digest(&secret), &auth::new_secret(), expires).await?;
    tracing::info!(user = user.name, "signed in");
    let secure = if settings.secure_cookies { "; Secure" } else { "" };
    let mut response = Redirect::to(safe_next(&form.next)).into_response();
    set_cookie(
        &mut response,
        format!("{}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", auth::SESSION_COOKIE, hours * 3600),
    )?;
    set_cookie(&mut response, format!("{}=; Path=/login; Max-Age=0", auth::LOGIN_CSRF_COOKIE))?;
    Ok(response)
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    ConsoleForm { .. }: ConsoleForm<Empty>,
) -> PageResult {
    if let Some(secret) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        state.store.delete_session(&auth::digest(secret)).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    set_cookie(&mut response, format!("{}=; Path=/; Max-Age=0", auth::SESSION_COOKIE))?;
    Ok(response)
}

async fn setup_page(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    if !state.store.setup_token_valid(&auth::digest(&token)).await? {
        return Err(ApiError::not_found("setup link"));
    }
    page(&state, &Caller::anonymous(), "setup.html", "Set up Parapet", "", context! {})
}

#[derive(Deserialize)]
struct SetupForm {
    name: String,
    password: String,
}

async fn setup(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PublicForm(form): PublicForm<SetupForm>,
) -> PageResult {
    auth::check_password(&form.password)?;
    let hash = auth::hash_password(form.password).await?;
    state.store.complete_setup(&auth::digest(&token), &form.name, &hash).await?;
    Ok(Redirect::to("/login").into_response())
}

// ---- users and tokens ----

async fn users_page(state: &AppState, caller: &Caller, new_token: Option<String>) -> PageResult {
    let can_view_users = caller.viewer.can(Permission::ViewUsers);
    let users: Vec<Value> = if can_view_users {
        super::users(state, caller)
            .await?
            .iter()
            .map(|u| context! { id => u.id, name => u.name, role => u.role.as_str(), disabled => u.disabled, created => fmt_time(u.created_at) })
            .collect()
    } else {
        Vec::new()
    };
    let tokens: Vec<Value> = super::tokens(state, caller, can_view_users)
        .await?
        .iter()
        .map(|t| {
            context! {
                id => t.id, name => t.name, user_name => t.user_name, scopes => Scope::format_list(&t.scopes),
                created => fmt_time(t.created_at), last_used => t.last_used_at.map(fmt_time), revoked => t.revoked_at.map(fmt_time),
            }
        })
        .collect();
    let ctx = context! {
        users, tokens, new_token, can_view_users,
        can_manage => caller.viewer.can(Permission::ManageUsers),
        roles => Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    };
    page(state, caller, "users.html", "Users & tokens", "users", ctx)
}

async fn users(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    users_page(&state, &caller, None).await
}

#[derive(Deserialize)]
struct UserForm {
    name: String,
    role: String,
    password: String,
}

async fn add_user(State(state): State<AppState>, ConsoleForm { caller, form }: ConsoleForm<UserForm>) -> PageResult {
    let new = NewUser { name: form.name, role: form.role, password: form.password };
    super::create_user(&state, &caller, new).await?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
struct ChangeUserForm {
    role: String,
    #[serde(default)]
    disabled: Option<String>,
}

async fn change_user(
    State(state): State<AppState>,
    id: Id,
    ConsoleForm { caller, form }: ConsoleForm<ChangeUserForm>,
) -> PageResult {
    let change = UserChange { role: Some(form.role), disabled: Some(form.disabled.is_some()), ..UserChange::default() };
    super::update_user(&state, &caller, id, change).await?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    #[serde(default)]
    write: Option<String>,
}

async fn create_token(
    State(state): State<AppState>,
    ConsoleForm { caller, form }: ConsoleForm<TokenForm>,
) -> PageResult {
    let scopes = if form.write.is_some() { vec![Scope::Read, Scope::Write] } else { vec![Scope::Read] };
    let new = super::create_token(&state, &caller, &form.name, &scopes).await?;
    // The token is on this page only; nothing may keep a copy.
    Ok(no_store(users_page(&state, &caller, Some(new.secret)).await?))
}

async fn revoke_token(
    State(state): State<AppState>,
    id: Id,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    super::revoke_token(&state, &caller, id).await?;
    Ok(Redirect::to("/users").into_response())
}
