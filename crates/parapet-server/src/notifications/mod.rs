//! Notifications: webhook endpoints and email subscribers, the outbox worker that delivers to
//! them, and the staff's view of deliveries. The staff operations are here (managing endpoints,
//! redelivering, reading subscribers and delivery logs, all with `PublishDocuments`); the API is
//! in `api.rs`, the console in `pages.rs`, the public subscription pages in `subscriptions.rs`.

pub mod api;
pub mod delivery;
pub mod mail;
pub mod pages;
pub mod smtp;
pub mod subscriptions;
pub mod webhooks;

use parapet_model::Permission;
use parapet_notify::webhook::Secret;
use parapet_store::{
    DeliveryCounts, DeliveryRecord, Endpoint, EndpointFilters, OutboxEntry, Subscriber, SubscriberCounts,
};
use std::collections::HashMap;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::Id;
use crate::state::AppState;
use webhooks::{WebhookFormat, seal};

/// How long a rotated-out secret keeps signing, so that receivers can switch.
const ROTATION_OVERLAP: time::Duration = time::Duration::days(1);

pub(crate) async fn endpoints(state: &AppState, caller: &Caller) -> ApiResult<Vec<Endpoint>> {
    caller.require(Permission::PublishDocuments)?;
    Ok(state.store.endpoints().await?)
}

pub(crate) async fn endpoint(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Endpoint> {
    caller.require(Permission::PublishDocuments)?;
    state.store.endpoint(id.get("webhook endpoint")?).await?.ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

/// A webhook endpoint as a client asks for it.
pub(crate) struct NewEndpoint {
    pub url: String,
    /// A [`WebhookFormat`], parsed after the permission check.
    pub format: String,
    pub filters: EndpointFilters,
}

/// Checks and registers an endpoint with a new secret, which is shown this once.
pub(crate) async fn register(state: &AppState, caller: &Caller, new: NewEndpoint) -> ApiResult<(Endpoint, Secret)> {
    caller.require(Permission::PublishDocuments)?;
    let format: WebhookFormat = new.format.parse()?;
    let allow = state.settings.notifications.allow_internal_targets;
    let url =
        parapet_notify::target::check_url(&new.url, allow).map_err(|e| ApiError::invalid("url", e.to_string()))?;
    new.filters.check().map_err(|(field, message)| ApiError::invalid(format!("filters.{field}"), message))?;
    let secret = Secret::generate();
    let sealed = seal(state, &secret.expose());
    let endpoint =
        state.store.create_endpoint(&caller.actor(), url.as_str(), format.as_str(), &new.filters, &sealed).await?;
    Ok((endpoint, secret))
}

/// A new secret for an endpoint; the old one keeps signing for a day.
pub(crate) async fn rotate(state: &AppState, caller: &Caller, id: Id) -> ApiResult<(Endpoint, Secret)> {
    let endpoint = endpoint(state, caller, id).await?;
    let secret = Secret::generate();
    let until = state.clock.now() + ROTATION_OVERLAP;
    let sealed = seal(state, &secret.expose());
    let endpoint = state.store.rotate_endpoint_secret(&caller.actor(), endpoint.id, &sealed, until).await?;
    Ok((endpoint, secret))
}

/// Resumes deliveries to an endpoint paused after failing too often.
pub(crate) async fn resume(state: &AppState, caller: &Caller, id: Id) -> ApiResult<()> {
    let endpoint = endpoint(state, caller, id).await?;
    Ok(state.store.resume_endpoint(&caller.actor(), endpoint.id).await?)
}

/// The newest messages of the outbox, with how their deliveries stand.
pub(crate) async fn recent_messages(
    state: &AppState,
    caller: &Caller,
    limit: u32,
) -> ApiResult<(Vec<OutboxEntry>, HashMap<String, DeliveryCounts>)> {
    caller.require(Permission::PublishDocuments)?;
    let recent = state.store.outbox_messages(limit).await?;
    let ids: Vec<String> = recent.iter().map(|m| m.id.clone()).collect();
    let counts = state.store.delivery_counts_of(&ids).await?;
    Ok((recent, counts))
}

pub(crate) async fn subscriber_counts(state: &AppState, caller: &Caller) -> ApiResult<SubscriberCounts> {
    caller.require(Permission::PublishDocuments)?;
    Ok(state.store.subscriber_counts().await?)
}

pub(crate) async fn dead_letters(state: &AppState, caller: &Caller, limit: u32) -> ApiResult<Vec<DeliveryRecord>> {
    caller.require(Permission::PublishDocuments)?;
    Ok(state.store.dead_letters(limit).await?)
}

/// Queues a dead delivery again.
pub(crate) async fn redeliver(state: &AppState, caller: &Caller, id: Id) -> ApiResult<()> {
    caller.require(Permission::PublishDocuments)?;
    Ok(state.store.redeliver(&caller.actor(), id.get("delivery")?).await?)
}

pub(crate) async fn subscribers(
    state: &AppState,
    caller: &Caller,
    after: i64,
    limit: u32,
) -> ApiResult<(Vec<Subscriber>, SubscriberCounts)> {
    caller.require(Permission::PublishDocuments)?;
    let items = state.store.subscribers(after, limit).await?;
    Ok((items, subscriber_counts(state, caller).await?))
}

pub(crate) async fn subscriber(state: &AppState, caller: &Caller, id: Id) -> ApiResult<Subscriber> {
    caller.require(Permission::PublishDocuments)?;
    state.store.subscriber(id.get("subscriber")?).await?.ok_or_else(|| ApiError::not_found("subscriber"))
}

/// The newest deliveries to one webhook endpoint.
pub(crate) async fn endpoint_log(
    state: &AppState,
    caller: &Caller,
    id: Id,
) -> ApiResult<(Endpoint, Vec<DeliveryRecord>)> {
    let endpoint = endpoint(state, caller, id).await?;
    let deliveries = state.store.deliveries_to("webhook", endpoint.id, 500).await?;
    Ok((endpoint, deliveries))
}

/// The newest deliveries to one subscriber.
pub(crate) async fn subscriber_log(
    state: &AppState,
    caller: &Caller,
    id: Id,
) -> ApiResult<(Subscriber, Vec<DeliveryRecord>)> {
    let subscriber = subscriber(state, caller, id).await?;
    let deliveries = state.store.deliveries_to("email", subscriber.id, 500).await?;
    Ok((subscriber, deliveries))
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
