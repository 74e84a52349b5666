//! The site around the features: the home page, the stylesheet and script, the disclosure policy,
//! security.txt, and the operations endpoints (health, readiness, metrics).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::auth::Caller;
use crate::render::{PageResult, page};
use crate::routes::{Routes, get};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/openapi.json", get(openapi))
        .page("/", get(home))
        .page("/policy", get(policy))
        .file("/static/style.css", get(stylesheet))
        .file("/static/editor.js", get(script))
        .file("/.well-known/security.txt", get(security_txt_handler))
        .file("/healthz", get(healthz))
        .file("/readyz", get(readyz))
        .file("/metrics", get(crate::metrics::endpoint))
}

/// The API's OpenAPI 3 description, written by hand beside the code; a test holds every API
/// route of the table to it.
pub const OPENAPI: &str = include_str!("../openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn home(caller: Caller) -> Redirect {
    Redirect::to(if caller.is_signed_in() { "/dashboard" } else { "/report" })
}

async fn policy(State(state): State<AppState>, caller: Caller) -> PageResult {
    page(&state, &caller, "policy.html", "Disclosure policy", "", context! {})
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/style.css"),
    )
}

/// The document editor's live check: it only adds to a page that works without it.
async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../static/editor.js"),
    )
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n")
        }
    }
}

/// RFC 9116 security.txt, generated from the configuration.
pub fn security_txt(state: &AppState, now: OffsetDateTime) -> String {
    let settings = &state.settings.security_txt;
    let mut lines = Vec::new();
    lines.push(format!("Contact: {}", state.url("/report")));
    for contact in &settings.contact {
        lines.push(format!("Contact: {contact}"));
    }
    let expires = (now + Duration::days(settings.expires_days.max(1))).replace_nanosecond(0).unwrap_or(now);
    lines.push(format!("Expires: {}", expires.format(&Rfc3339).unwrap_or_default()));
    let policy = if settings.policy.is_empty() { state.url("/policy") } else { settings.policy.clone() };
    lines.push(format!("Policy: {policy}"));
    if !settings.preferred_languages.is_empty() {
        lines.push(format!("Preferred-Languages: {}", settings.preferred_languages));
    }
    lines.push(format!("CSAF: {}", state.url("/.well-known/csaf/provider-metadata.json")));
    lines.push(format!("Canonical: {}", state.url("/.well-known/security.txt")));
    lines.join("\n") + "\n"
}

async fn security_txt_handler(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], security_txt(&state, OffsetDateTime::now_utc()))
}
