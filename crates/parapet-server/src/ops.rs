//! Operations endpoints: health, readiness and security.txt.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::state::AppState;

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
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

pub async fn security_txt_handler(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], security_txt(&state, OffsetDateTime::now_utc()))
}
