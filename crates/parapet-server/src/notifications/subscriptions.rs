//! Email subscriptions: the public pages and API to subscribe (double opt-in), confirm, change
//! preferences and unsubscribe (RFC 8058 one-click included), and the staff's view of
//! subscribers and delivery logs.
//!
//! Every answer to a subscription request is the same whatever the address's state, so the
//! pages never tell who is subscribed. Links carry a token derived from the subscriber and its
//! current nonce ([`parapet_notify::email`]); a wrong, stale or foreign token gets the same "not
//! valid" page as an unknown subscriber. Pages never act on GET (mail scanners follow links):
//! confirming and unsubscribing take a POST.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use parapet_notify::email::{Purpose, check_address, new_nonce};
use parapet_store::{EndpointFilters, Subscriber};
use serde::Deserialize;

use super::mail::token_key;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, Json, Params, PublicForm};
use crate::render::{PageResult, page, severity_options};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

/// The quiet period between two mails a subscription request sends to one address.
const QUIET_MS: i64 = 5 * 60 * 1000;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/subscriptions", post(subscribe_api))
        .page("/subscribe", get(subscribe_page).post(subscribe_form))
        .page("/subscriptions/confirm", get(confirm_page).post(confirm))
        .page("/subscriptions/manage", get(manage_page).post(manage))
        .page("/subscriptions/unsubscribe", get(unsubscribe_page).post(unsubscribe))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionInput {
    email: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    min_severity: Option<String>,
}

impl SubscriptionInput {
    /// The preferences asked for, blanks dropped (not yet checked).
    fn filters(&self) -> EndpointFilters {
        EndpointFilters {
            kinds: self.kinds.clone(),
            products: self.products.iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect(),
            min_severity: self.min_severity.clone().filter(|s| !s.is_empty()),
        }
    }
}

/// Checks a request and files it; the same answer for every outcome.
async fn request(state: &AppState, ip: std::net::IpAddr, input: SubscriptionInput) -> ApiResult<()> {
    if !state.settings.notifications.email_enabled() {
        return Err(ApiError::unavailable("email subscriptions are not offered by this server"));
    }
    state
        .subscribe_limiter
        .check_key(&ip)
        .map_err(|_| ApiError::too_many("too many subscription requests from your address; wait a minute"))?;
    let address = check_address(&input.email).map_err(|e| ApiError::invalid("email", e.to_string()))?;
    let filters = input.filters();
    filters.check().map_err(|(field, message)| ApiError::invalid(field, message))?;
    let outcome = state.store.subscribe(address.as_ref(), &filters, &new_nonce(), QUIET_MS).await?;
    tracing::debug!(?outcome, "subscription request");
    Ok(())
}

const REQUESTED: &str = "If the address can receive mail, a message is on its way to it: follow its link to confirm.";

async fn subscribe_api(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(input): Json<SubscriptionInput>,
) -> ApiResult<Response> {
    request(&state, ip, input).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(serde_json::json!({"message": REQUESTED}))).into_response())
}

/// The subscriber a link names, when its token is right for `purpose`.
async fn linked(state: &AppState, link: &Link, purpose: Purpose) -> ApiResult<Subscriber> {
    let invalid = || ApiError::not_found("subscription link (it may have expired or been replaced by a newer one)");
    let subscriber = state.store.subscriber(link.s).await?.ok_or_else(invalid)?;
    if !token_key(state).verify(purpose, subscriber.id, &subscriber.token_nonce, &link.t) {
        return Err(invalid());
    }
    if purpose == Purpose::Confirm {
        let hours = state.settings.notifications.confirm_link_hours as i64;
        let sent = subscriber.confirm_sent_at.unwrap_or(subscriber.created_at);
        if time::OffsetDateTime::now_utc() - sent > time::Duration::hours(hours) {
            return Err(invalid());
        }
    }
    Ok(subscriber)
}

#[derive(Debug, Deserialize)]
struct Link {
    s: i64,
    t: String,
}

/// The preferences form's fields (checkboxes cannot repeat one name in a urlencoded form).
#[derive(Debug, Default, Deserialize)]
struct PreferencesForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    kind_bulletin: Option<String>,
    #[serde(default)]
    kind_advisory: Option<String>,
    #[serde(default)]
    kind_advance_notice: Option<String>,
    #[serde(default)]
    kind_post: Option<String>,
    /// Comma-separated.
    #[serde(default)]
    products: String,
    #[serde(default)]
    min_severity: String,
    #[serde(default)]
    s: Option<i64>,
    #[serde(default)]
    t: Option<String>,
}

impl PreferencesForm {
    /// Checking every kind is the same as checking none: everything.
    fn kinds(&self) -> Vec<String> {
        let checked = [
            ("bulletin", &self.kind_bulletin),
            ("advisory", &self.kind_advisory),
            ("advance_notice", &self.kind_advance_notice),
            ("post", &self.kind_post),
        ];
        let kinds: Vec<String> = checked.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| (*k).to_owned()).collect();
        if kinds.len() == checked.len() { Vec::new() } else { kinds }
    }

    fn input(&self) -> SubscriptionInput {
        SubscriptionInput {
            email: self.email.clone(),
            kinds: self.kinds(),
            products: self.products.split(',').map(str::to_owned).collect(),
            min_severity: Some(self.min_severity.clone()),
        }
    }
}

/// The form's values for `filters`.
fn form_values(filters: &EndpointFilters) -> minijinja::Value {
    let has = |k: &str| filters.kinds.is_empty() || filters.kinds.iter().any(|x| x == k);
    context! {
        kind_bulletin => has("bulletin"),
        kind_advisory => has("advisory"),
        kind_advance_notice => has("advance_notice"),
        kind_post => has("post"),
        products => filters.products.join(", "),
        min_severity => filters.min_severity.clone().unwrap_or_default(),
    }
}

async fn subscribe_page(State(state): State<AppState>, caller: Caller) -> PageResult {
    let enabled = state.settings.notifications.email_enabled();
    let ctx = context! { step => "form", enabled, form => form_values(&EndpointFilters::default()), severities => severity_options() };
    page(&state, &caller, "subscribe.html", "Subscribe to security notifications", "", ctx)
}

async fn subscribe_form(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    PublicForm(form): PublicForm<PreferencesForm>,
) -> PageResult {
    let title = "Subscribe to security notifications";
    match request(&state, ip, form.input()).await {
        Ok(()) => {
            page(&state, &caller, "subscribe.html", title, "", context! { step => "requested", message => REQUESTED })
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let filters = EndpointFilters { kinds: form.kinds(), ..Default::default() };
            let mut values = form_values(&filters);
            values = context! { ..values, ..context! { email => form.email, products => form.products, min_severity => form.min_severity } };
            let ctx = context! { step => "form", enabled => true, form => values, error => e.message, severities => severity_options() };
            let mut response = page(&state, &caller, "subscribe.html", title, "", ctx)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e),
    }
}

async fn confirm_page(State(state): State<AppState>, caller: Caller, Params(link): Params<Link>) -> PageResult {
    let subscriber = linked(&state, &link, Purpose::Confirm).await?;
    // What is being confirmed: whoever asked chose these preferences, and the link's owner sees
    // them before agreeing.
    let receives = super::filters_text(&subscriber.filters);
    let ctx = context! { step => "confirm", email => subscriber.email, receives, s => link.s, t => link.t };
    page(&state, &caller, "subscribe.html", "Confirm your subscription", "", ctx)
}

async fn confirm(State(state): State<AppState>, caller: Caller, PublicForm(link): PublicForm<Link>) -> PageResult {
    let subscriber = linked(&state, &link, Purpose::Confirm).await?;
    let new = new_nonce();
    if !state.store.confirm_subscriber(subscriber.id, &subscriber.token_nonce, &new).await? {
        return Err(ApiError::not_found("subscription link (it may have expired or been replaced by a newer one)"));
    }
    let key = token_key(&state);
    let manage =
        format!("/subscriptions/manage?s={}&t={}", subscriber.id, key.token(Purpose::Manage, subscriber.id, &new));
    let ctx = context! { step => "confirmed", email => subscriber.email, manage_url => manage };
    page(&state, &caller, "subscribe.html", "Subscribed", "", ctx)
}

async fn manage_page(State(state): State<AppState>, caller: Caller, Params(link): Params<Link>) -> PageResult {
    let subscriber = linked(&state, &link, Purpose::Manage).await?;
    manage_view(&state, &caller, &subscriber, &link, None, StatusCode::OK)
}

fn manage_view(
    state: &AppState,
    caller: &Caller,
    subscriber: &Subscriber,
    link: &Link,
    notice: Option<&str>,
    status: StatusCode,
) -> PageResult {
    let ctx = context! {
        step => if subscriber.status == "active" { "manage" } else { "unsubscribed" },
        email => subscriber.email,
        form => form_values(&subscriber.filters),
        severities => severity_options(),
        s => link.s,
        t => link.t,
        notice,
    };
    let mut response = page(state, caller, "subscribe.html", "Your notification preferences", "", ctx)?;
    *response.status_mut() = status;
    Ok(response)
}

async fn manage(
    State(state): State<AppState>,
    caller: Caller,
    PublicForm(form): PublicForm<PreferencesForm>,
) -> PageResult {
    let link = Link { s: form.s.unwrap_or_default(), t: form.t.clone().unwrap_or_default() };
    let subscriber = linked(&state, &link, Purpose::Manage).await?;
    let filters = form.input().filters();
    if let Err((field, message)) = filters.check() {
        let error = format!("{field}: {message}");
        return manage_view(&state, &caller, &subscriber, &link, Some(&error), StatusCode::UNPROCESSABLE_ENTITY);
    }
    state.store.update_subscriber_filters(subscriber.id, &subscriber.token_nonce, &filters).await?;
    let subscriber = Subscriber { filters, ..subscriber };
    manage_view(&state, &caller, &subscriber, &link, Some("Your preferences are saved."), StatusCode::OK)
}

async fn unsubscribe_page(State(state): State<AppState>, caller: Caller, Params(link): Params<Link>) -> PageResult {
    let subscriber = linked(&state, &link, Purpose::Manage).await?;
    let ctx = context! { step => "unsubscribe", email => subscriber.email, s => link.s, t => link.t };
    page(&state, &caller, "subscribe.html", "Unsubscribe", "", ctx)
}

/// RFC 8058: a mail client POSTs `List-Unsubscribe=One-Click` to the URL in the header, with no
/// cookies and no page in between; the URL alone says who. Our own page's button posts here too.
async fn unsubscribe(State(state): State<AppState>, caller: Caller, Params(link): Params<Link>) -> PageResult {
    let subscriber = linked(&state, &link, Purpose::Manage).await?;
    state.store.unsubscribe(subscriber.id, &subscriber.token_nonce).await?;
    let ctx = context! { step => "unsubscribed", email => subscriber.email };
    page(&state, &caller, "subscribe.html", "Unsubscribed", "", ctx)
}
