//! The console's view of notifications, for publishers: recent messages and how their
//! deliveries stand, webhook endpoints (register one, resume a paused one), the dead-letter list
//! (redeliver), subscriber counts and list, and the delivery log of each endpoint and subscriber.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use minijinja::{Value, context};
use parapet_model::Permission;
use parapet_store::{DeliveryRecord, EndpointFilters};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::pages::{PageResult, fmt_time, page, signed_in};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/notifications", get(overview))
        .route("/console/webhooks", post(create_endpoint))
        .route("/console/webhooks/{id}", get(endpoint_log))
        .route("/console/webhooks/{id}/resume", post(resume))
        .route("/console/deliveries/{id}/redeliver", post(redeliver))
        .route("/console/subscribers", get(subscribers))
        .route("/console/subscribers/{id}", get(subscriber_log))
}

fn publisher(caller: &Caller) -> Result<(), crate::pages::PageError> {
    signed_in(caller)?;
    caller.require(Permission::PublishDocuments)?;
    Ok(())
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

/// What a set of filters lets through, in words.
pub(crate) fn filters_text(filters: &EndpointFilters) -> String {
    let mut parts = Vec::new();
    if !filters.kinds.is_empty() {
        parts.push(filters.kinds.join(", "));
    }
    if !filters.products.is_empty() {
        parts.push(format!("products: {}", filters.products.join(", ")));
    }
    if let Some(min) = &filters.min_severity {
        parts.push(format!("{min} or worse"));
    }
    if parts.is_empty() { "everything".into() } else { parts.join("; ") }
}

async fn overview(State(state): State<AppState>, caller: Caller) -> PageResult {
    publisher(&caller)?;
    overview_page(&state, &caller, None).await
}

async fn overview_page(state: &AppState, caller: &Caller, created: Option<Value>) -> PageResult {
    let recent = state.store.outbox_messages(20).await?;
    let ids: Vec<String> = recent.iter().map(|m| m.id.clone()).collect();
    let counts = state.store.delivery_counts_of(&ids).await?;
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
    let endpoints: Vec<Value> = state
        .store
        .endpoints()
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
    let dead = deliveries_view(&state.store.dead_letters(100).await?);
    let counts = state.store.subscriber_counts().await?;
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
    csrf: String,
    url: String,
    #[serde(default)]
    format: String,
}

/// Registers an endpoint and shows its secret, this once.
async fn create_endpoint(State(state): State<AppState>, caller: Caller, Form(form): Form<EndpointForm>) -> PageResult {
    publisher(&caller)?;
    caller.check_csrf(&form.csrf)?;
    let format = if form.format.is_empty() { "standard".to_owned() } else { form.format };
    let input = crate::webhooks::EndpointInput { url: form.url, format, filters: EndpointFilters::default() };
    let (endpoint, secret) = crate::webhooks::register(&state, &caller, &input).await?;
    let created = context! { id => endpoint.id, url => endpoint.url, secret => secret.expose() };
    overview_page(&state, &caller, Some(created)).await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    publisher(&caller)?;
    caller.check_csrf(&form.csrf)?;
    state.store.resume_endpoint(&caller.actor(), id).await?;
    Ok(Redirect::to("/console/notifications").into_response())
}

async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    publisher(&caller)?;
    caller.check_csrf(&form.csrf)?;
    state.store.redeliver(&caller.actor(), id).await?;
    Ok(Redirect::to("/console/notifications").into_response())
}

async fn endpoint_log(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> PageResult {
    publisher(&caller)?;
    let endpoint = state.store.endpoint(id).await?.ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    let deliveries = deliveries_view(&state.store.deliveries_to("webhook", id, 500).await?);
    let ctx = context! { heading => endpoint.url, deliveries };
    page(&state, &caller, "delivery_log.html", "Delivery log", "notifications", ctx)
}

async fn subscriber_log(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> PageResult {
    publisher(&caller)?;
    let subscriber = state.store.subscriber(id).await?.ok_or_else(|| ApiError::not_found("subscriber"))?;
    let deliveries = deliveries_view(&state.store.deliveries_to("email", id, 500).await?);
    let heading = format!("{} ({})", subscriber.email, subscriber.status);
    page(&state, &caller, "delivery_log.html", "Delivery log", "notifications", context! { heading, deliveries })
}

#[derive(Deserialize)]
struct SubscriberParams {
    #[serde(default)]
    after: i64,
}

async fn subscribers(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SubscriberParams>,
) -> PageResult {
    publisher(&caller)?;
    const PAGE: u32 = 100;
    let found = state.store.subscribers(params.after, PAGE).await?;
    let next = (found.len() as u32 == PAGE).then(|| found.last().map(|s| s.id)).flatten();
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
    let counts = state.store.subscriber_counts().await?;
    page(&state, &caller, "subscribers.html", "Subscribers", "notifications", context! { items, counts, next })
}
