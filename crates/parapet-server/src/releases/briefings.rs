//! The calendar: monthly release days and the briefings publishers schedule around them, as an
//! iCalendar feed (`/calendar.ics`, RFC 5545) that calendar apps subscribe to, through the API
//! (`/api/v1/briefings`) and on a console page. A changed or cancelled briefing keeps its UID and
//! gains a sequence number, so subscribers' copies update in place.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use icalendar::{Component, EventLike, EventStatus};
use minijinja::context;
use parapet_model::{Briefing, BriefingInput, Permission};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::auth::Caller;
use crate::documents::provider::Served;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ConsoleForm, Id, Json, SignedIn};
use crate::render::{PageResult, fmt_time, page};
use crate::routes::{Routes, delete, get};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .file("/calendar.ics", get(ics))
        .api("/api/v1/briefings", get(list).post(create))
        .api("/api/v1/briefings/{id}", delete(cancel).put(update))
        .page("/console/briefings", get(console).post(console_create))
}

/// Release days shown: the past ones for a quarter, the coming ones for a year.
const PAST_MONTHS: i32 = 3;
const COMING_MONTHS: i32 = 12;

fn utc(t: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.unix_timestamp(), 0).unwrap_or_default()
}

/// The release instants from a quarter ago to a year ahead of `now`, with their month.
pub fn release_days(state: &AppState, now: OffsetDateTime) -> Vec<(String, OffsetDateTime)> {
    let mut days = Vec::new();
    let (year, month) = (now.year(), u8::from(now.month()) as i32);
    for offset in -PAST_MONTHS..=COMING_MONTHS {
        let index = year * 12 + (month - 1) + offset;
        let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
        if let (Ok(y16), Ok(m8)) = (i16::try_from(y), i8::try_from(m))
            && let Some(at) = state.calendar.release_of(y16, m8)
        {
            days.push((format!("{y:04}-{m:02}"), at));
        }
    }
    days
}

/// The iCalendar text for the release days and the briefings.
pub fn calendar_text(state: &AppState, now: OffsetDateTime, briefings: &[Briefing]) -> String {
    let host = state.url("").split("://").nth(1).unwrap_or("parapet").split('/').next().unwrap_or("parapet").to_owned();
    let publisher = &state.settings.publisher.name;
    let mut calendar = icalendar::Calendar::new();
    calendar.name(&format!("{publisher} security releases"));
    calendar.description(&format!("Monthly security release days and briefings of {publisher}"));
    for (month, at) in release_days(state, now) {
        let event = icalendar::Event::new()
            .uid(&format!("release-{month}@{host}"))
            .summary(&format!("{publisher} security release {month}"))
            .description(&format!(
                "The monthly security release: bulletins and advisories are published at this time. Release notes: {}",
                state.url(&format!("/releases/{month}"))
            ))
            .url(&state.url(&format!("/releases/{month}")))
            .starts(utc(at))
            .ends(utc(at + Duration::hours(1)))
            .timestamp(utc(at))
            .done();
        calendar.push(event);
    }
    for briefing in briefings {
        let mut event = icalendar::Event::new();
        event
            .uid(&format!("briefing-{}@{host}", briefing.id))
            .summary(&briefing.title)
            .description(&if briefing.description.is_empty() {
                format!("Join: {}", briefing.join_url)
            } else {
                format!("{}\n\nJoin: {}", briefing.description, briefing.join_url)
            })
            .url(&briefing.join_url)
            .starts(utc(briefing.starts_at))
            .ends(utc(briefing.starts_at + Duration::minutes(i64::from(briefing.duration_minutes))))
            .timestamp(utc(briefing.updated_at))
            .last_modified(utc(briefing.updated_at))
            // Each change must be newer to calendar apps: the update time, in seconds, only grows.
            .sequence(u32::try_from(briefing.updated_at.unix_timestamp() / 60 % i64::from(u32::MAX)).unwrap_or(0));
        if briefing.cancelled {
            event.status(EventStatus::Cancelled);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

async fn ics(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let now = state.clock.now();
    let briefings = state.store.briefings(now - Duration::days(90)).await?;
    let modified = briefings.iter().map(|b| b.updated_at).max();
    let text = calendar_text(&state, now, &briefings);
    Ok(Served::new(text, "text/calendar; charset=utf-8", modified).respond(&headers))
}

async fn list(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let briefings = state.store.briefings(state.clock.now() - Duration::days(1)).await?;
    Ok(axum::Json(serde_json::json!({"items": briefings})))
}

// ---- operations ----

/// Briefings are public; scheduling them takes `PublishDocuments`.
pub(crate) async fn schedule_briefing(state: &AppState, caller: &Caller, input: BriefingInput) -> ApiResult<Briefing> {
    caller.require(Permission::PublishDocuments)?;
    Ok(state.store.create_briefing(&caller.actor(), &input.validate()?).await?)
}

/// A briefing the caller may change: not signed in → 401, no such briefing → 404, not allowed
/// → 403.
async fn changeable(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Briefing> {
    if !caller.is_signed_in() {
        return Err(ApiError::unauthenticated());
    }
    let briefing = state.store.briefing(id.get("briefing")?).await?.ok_or_else(|| ApiError::not_found("briefing"))?;
    caller.require(Permission::PublishDocuments)?;
    Ok(briefing)
}

pub(crate) async fn update_briefing(
    state: &AppState,
    caller: &Caller,
    id: Id,
    input: BriefingInput,
) -> ApiResult<Briefing> {
    let briefing = changeable(state, caller, id).await?;
    Ok(state.store.update_briefing(&caller.actor(), briefing.id, &input.validate()?).await?)
}

pub(crate) async fn cancel_briefing(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Briefing> {
    let briefing = changeable(state, caller, id).await?;
    Ok(state.store.cancel_briefing(&caller.actor(), briefing.id).await?)
}

// ---- API and console ----

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<BriefingInput>,
) -> ApiResult<Response> {
    let briefing = schedule_briefing(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, axum::Json(briefing)).into_response())
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    id: Id,
    Json(input): Json<BriefingInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(update_briefing(&state, &caller, id, input).await?))
}

async fn cancel(State(state): State<AppState>, caller: Caller, id: Id) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(cancel_briefing(&state, &caller, id).await?))
}

async fn console(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    let briefings: Vec<_> = state
        .store
        .briefings(state.clock.now() - Duration::days(30))
        .await?
        .iter()
        .map(|b| {
            context! {
                title => b.title, starts => fmt_time(b.starts_at), minutes => b.duration_minutes,
                join_url => b.join_url, cancelled => b.cancelled,
            }
        })
        .collect();
    let releases: Vec<_> = release_days(&state, state.clock.now())
        .into_iter()
        .filter(|(_, at)| *at >= state.clock.now())
        .map(|(month, at)| context! { month, at => fmt_time(at) })
        .collect();
    page(
        &state,
        &caller,
        "briefings.html",
        "Release calendar",
        "documents",
        context! { briefings, releases, can_schedule => caller.viewer.can(Permission::PublishDocuments) },
    )
}

#[derive(Deserialize)]
struct BriefingForm {
    title: String,
    /// `YYYY-MM-DDTHH:MM` from a datetime-local field, in UTC.
    starts_at: String,
    duration_minutes: u32,
    join_url: String,
    #[serde(default)]
    description: String,
}

async fn console_create(
    State(state): State<AppState>,
    ConsoleForm { caller, form }: ConsoleForm<BriefingForm>,
) -> PageResult {
    let text =
        if form.starts_at.len() == 16 { format!("{}:00Z", form.starts_at) } else { format!("{}Z", form.starts_at) };
    let starts_at = OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::invalid("starts_at", "a date and time is required"))?;
    let input = BriefingInput {
        title: form.title,
        starts_at,
        duration_minutes: form.duration_minutes,
        join_url: form.join_url,
        description: form.description,
    };
    schedule_briefing(&state, &caller, input).await?;
    Ok(Redirect::to("/console/briefings").into_response())
}
