//! Advance notification: at the configured number of business days before each monthly release,
//! the scheduler publishes the aggregates of the bulletins scheduled for it, and a new revision
//! whenever the plan changes until the release. The portal shows it at `/advance-notification`,
//! the API at `/api/v1/advance-notifications`, the feeds as `notice` entries.
//!
//! Only [`Summary`]'s fields leave: counts, highest severity, product names, restart, time. The
//! scheduled documents are read here and nowhere else, and never reach a response.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use minijinja::context;
use parapet_model::{AdvanceNotice, Summary};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::render::{PageResult, fmt_time, page};
use crate::routes::{Routes, get};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/advance-notifications", get(list))
        .page("/advance-notification", get(latest_page))
        .page("/advance-notification/{month}", get(month_page))
}

/// Publishes or revises the advance notice of the coming release when it is due. Returns the
/// revision published, if one was.
pub async fn run(state: &AppState) -> anyhow::Result<Option<AdvanceNotice>> {
    let now = state.clock.now();
    let Some((release, month)) = state.calendar.next_release(now) else { return Ok(None) };
    let holidays = state.settings.notifications.holiday_dates().map_err(anyhow::Error::msg)?;
    let days = state.settings.notifications.advance_business_days;
    let Some(due) = state.calendar.business_days_before(release, days, &holidays) else { return Ok(None) };
    if now < due {
        return Ok(None);
    }
    let scheduled = state.store.scheduled_for_release(&month).await?;
    let summary = Summary::of(&month, release, &scheduled);
    // Nothing to announce and nothing announced: a release without bulletins needs no notice.
    if summary.bulletins == 0 && state.store.advance_notice_history(&month).await?.is_empty() {
        return Ok(None);
    }
    let published = state.store.publish_advance_notice(&summary, now).await?;
    if let Some(notice) = &published {
        tracing::info!(month = %month, version = notice.version, bulletins = notice.summary.bulletins, "advance notice published");
    }
    Ok(published)
}

/// One line saying what a notice says, for feeds and messages.
pub fn describe(notice: &AdvanceNotice) -> String {
    let s = &notice.summary;
    let severity = s.highest_severity.map_or_else(|| "not rated".to_owned(), |s| s.label().to_owned());
    let products = if s.product_families.is_empty() { "none".to_owned() } else { s.product_families.join(", ") };
    format!(
        "{} security bulletin{} planned for {}: highest severity {severity}; products: {products}; restart {}.",
        s.bulletins,
        if s.bulletins == 1 { "" } else { "s" },
        fmt_time(s.release_at),
        if s.restart_required { "may be required" } else { "not required" }
    )
}

async fn list(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(serde_json::json!({"items": state.store.advance_notices(24).await?})))
}

fn view(notice: &AdvanceNotice) -> minijinja::Value {
    let s = &notice.summary;
    context! {
        month => s.month,
        version => notice.version,
        release_at => fmt_time(s.release_at),
        bulletins => s.bulletins,
        severity => s.highest_severity.map(|v| v.as_str()),
        severity_label => s.highest_severity.map(|v| v.label()),
        products => s.product_families,
        restart => s.restart_required,
        published => fmt_time(notice.published_at),
    }
}

async fn latest_page(State(state): State<AppState>, caller: Caller) -> PageResult {
    let notices = state.store.advance_notices(12).await?;
    let latest = notices.first().map(view);
    let earlier: Vec<_> = notices.iter().skip(1).map(view).collect();
    advance_page(&state, &caller, context! { latest, earlier, history => Vec::<minijinja::Value>::new() })
}

async fn month_page(State(state): State<AppState>, caller: Caller, Path(month): Path<String>) -> PageResult {
    let history = state.store.advance_notice_history(&month).await?;
    let latest = history.last().map(view).ok_or_else(|| ApiError::not_found("advance notice"))?;
    let history: Vec<_> = history.iter().rev().skip(1).map(view).collect();
    advance_page(&state, &caller, context! { latest, history, earlier => Vec::<minijinja::Value>::new() })
}

/// The latest notice, or one month's, with the notices before it.
fn advance_page(state: &AppState, caller: &Caller, ctx: minijinja::Value) -> PageResult {
    page(state, caller, "advance.html", "Advance notification", "guide", ctx)
}
