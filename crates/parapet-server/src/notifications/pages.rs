//! The console's view of notifications, for publishers: recent messages and how their
//! deliveries stand, webhook endpoints (register one, resume a paused one), the dead-letter list
//! (redeliver), subscriber counts and list, and the delivery log of each endpoint and subscriber.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use parapet_store::{DeliveryRecord, EndpointFilters};
use serde::Deserialize;

use super::{NewEndpoint, filters_text};
use crate::auth::Caller;
use crate::extract::{ConsoleForm, Empty, Id, Params, SignedIn};
use crate::render::{PageResult, Pager, fmt_time, page};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/console/notifications", get(overview))
        .page("/console/webhooks", post(create_endpoint))
        .page("/console/webhooks/{id}", get(endpoint_log))
        .page("/console/webhooks/{id}/resume", post(resume))
        .page("/console/deliveries/{id}/redeliver", post(redeliver))
        .page("/console/subscribers", get(subscribers))
        .page("/console/subscribers/{id}", get(subscriber_log))
}

fn deliveries_view(records: &[DeliveryRecord]) -> Vec<Value> {
    records
        .iter()
        .map(|d| {
            context! {
                id => d.id,
                message => d.message_id,
                channel => d.channel,
                target => d.target,
                status => d.status,
                attempts => d.attempts,
                error => d.last_error,
                delivered => d.delivered_at.map(fmt_time),
            }
        })
        .collect()
}

async fn overview(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    overview_page(&state, &caller, None).await
}

async fn overview_page(state: &AppState, caller: &Caller, created: Option<Value>) -> PageResult {
    let endpoints: Vec<Value> = super::endpoints(state, caller)
        .await?
        .iter()
        .map(|e| {
            context! {
                id => e.id,
                url => e.url,
                format => e.format,
                filters => filters_text(&e.filters),
                failures => e.failures,
                paused => e.paused_at.map(fmt_time),
            }
        })
        .collect();
    let (recent, counts) = super::recent_messages(state, caller, 20).await?;
    let messages: Vec<Value> = recent
        .iter()
        .map(|message| {
            context! {
                id => message.id,
                kind => message.kind,
                created => fmt_time(message.created_at),
                fanned_out => message.fanned_out,
                counts => counts.get(&message.id).copied().unwrap_or_default(),
            }
        })
        .collect();
    let dead = deliveries_view(&super::dead_letters(state, caller, 100).await?);
    let counts = super::subscriber_counts(state, caller).await?;
    let ctx = context! {
        messages,
        endpoints,
        dead,
        counts,
        created,
        email_enabled => state.settings.notifications.email_enabled(),
    };
    page(state, caller, "notifications.html", "Notifications", "notifications", ctx)
}

#[derive(Deserialize)]
struct EndpointForm {
    url: String,
    #[serde(default)]
    format: String,
}

/// Registers an endpoint and shows its secret, this once.
async fn create_endpoint(
    State(state): State<AppState>,
    ConsoleForm { caller, form }: ConsoleForm<EndpointForm>,
) -> PageResult {
    let format = if form.format.is_empty() { "standard".into() } else { form.format };
    let new = NewEndpoint { url: form.url, format, filters: EndpointFilters::default() };
    let (endpoint, secret) = super::register(&state, &caller, new).await?;
    let created = context! { id => endpoint.id, url => endpoint.url, secret => secret.expose() };
    Ok(crate::render::no_store(overview_page(&state, &caller, Some(created)).await?))
}

async fn resume(State(state): State<AppState>, id: Id, ConsoleForm { caller, .. }: ConsoleForm<Empty>) -> PageResult {
    super::resume(&state, &caller, id).await?;
    Ok(Redirect::to("/console/notifications").into_response())
}

async fn redeliver(
    State(state): State<AppState>,
    id: Id,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    super::redeliver(&state, &caller, id).await?;
    Ok(Redirect::to("/console/notifications").into_response())
}

async fn endpoint_log(State(state): State<AppState>, SignedIn(caller): SignedIn, id: Id) -> PageResult {
    let (endpoint, deliveries) = super::endpoint_log(&state, &caller, id).await?;
    let ctx = context! { heading => endpoint.url, deliveries => deliveries_view(&deliveries) };
    page(&state, &caller, "delivery_log.html", "Delivery log", "notifications", ctx)
}

async fn subscriber_log(State(state): State<AppState>, SignedIn(caller): SignedIn, id: Id) -> PageResult {
    let (subscriber, deliveries) = super::subscriber_log(&state, &caller, id).await?;
    let heading = format!("{} ({})", subscriber.email, subscriber.status);
    let ctx = context! { heading, deliveries => deliveries_view(&deliveries) };
    page(&state, &caller, "delivery_log.html", "Delivery log", "notifications", ctx)
}

#[derive(Deserialize)]
struct SubscriberParams {
    #[serde(default)]
    after: i64,
}

const SUBSCRIBERS_PER_PAGE: u32 = 100;

async fn subscribers(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Params(params): Params<SubscriberParams>,
) -> PageResult {
    let (found, counts) = super::subscribers(&state, &caller, params.after, SUBSCRIBERS_PER_PAGE).await?;
    let next = (found.len() as u32 == SUBSCRIBERS_PER_PAGE)
        .then(|| found.last().map(|s| format!("/console/subscribers?after={}", s.id)))
        .flatten();
    let items: Vec<Value> = found
        .iter()
        .map(|s| {
            context! {
                id => s.id,
                email => s.email,
                status => s.status,
                filters => filters_text(&s.filters),
                confirmed => s.confirmed_at.map(fmt_time),
            }
        })
        .collect();
    let pager = Pager::keyset(next);
    page(
        &state,
        &caller,
        "subscribers.html",
        "Subscribers",
        "notifications",
        context! { items, counts, paging => pager },
    )
}
