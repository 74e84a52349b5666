//! Parapet's HTTP server: the JSON API, the web console, researcher intake and operations
//! endpoints, on one axum router built by [`app`].

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod blog;
pub mod cases;
pub mod catalog;
pub mod config;
pub mod documents;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod fleet;
pub mod malware;
mod metrics;
pub mod notifications;
pub mod products;
pub mod releases;
pub mod render;
pub mod routes;
mod site;
pub mod state;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use config::Settings;
pub use routes::{Route, Routes, Surface};
pub use state::AppState;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest a request may take, slow clients included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Every route of every feature, with its surface.
pub fn routes(state: &AppState) -> Routes {
    Routes::new()
        .merge(site::routes())
        .merge(accounts::api::routes())
        .merge(accounts::pages::routes())
        .merge(cases::api::routes(state))
        .merge(cases::pages::routes())
        .merge(products::routes())
        .merge(audit::routes())
        .merge(documents::api::routes())
        .merge(documents::editor::routes())
        .merge(documents::guide::routes())
        .merge(documents::provider::routes())
        .merge(releases::briefings::routes())
        .merge(releases::advance::routes())
        .merge(blog::routes())
        .merge(feeds::routes())
        .merge(catalog::api::routes())
        .merge(catalog::pages::routes())
        .merge(notifications::api::routes())
        .merge(notifications::pages::routes())
        .merge(notifications::subscriptions::routes())
        .merge(fleet::agent::routes(state))
        .merge(fleet::api::routes())
        .merge(fleet::pages::routes())
        .merge(fleet::rollout_pages::routes())
        .merge(malware::routes())
        .merge(fleet::malware::routes())
        .merge(fleet::malware_pages::routes())
        .merge(fleet::harden::routes())
        .merge(fleet::harden_pages::routes())
}

/// The whole application as one router.
pub fn app(state: AppState) -> Router {
    let body_limit = state.settings.server.max_body_bytes;
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Tracking links carry their secret in the path; never send it on as a referrer.
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    ];
    let mut router = routes(&state)
        .into_router(&state)
        .fallback(|| async { error::ApiError::not_found("page") })
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track));
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router
        .layer(
            // Spans carry the route pattern, never the concrete path: paths hold tracking
            // tokens and the IDs of cases under embargo.
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let route = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or("unmatched", |p| p.as_str())
                    .to_owned();
                let id = request
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|id| id.header_value().to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                tracing::info_span!("request", method = %request.method(), route, request_id = id)
            }),
        )
        // A bug must cost one request a 500, never the connection or the process.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish
/// for at most the configured grace period.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.settings.server.shutdown_grace_seconds);
    let mailer = notifications::mail::Mailer::from_settings(&state.settings).map_err(std::io::Error::other)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(documents::publishing::scheduler(state.clone(), stop_rx.clone()));
    let syncs = tokio::spawn(catalog::scheduler(state.clone(), stop_rx.clone()));
    let fleet = tokio::spawn(fleet::worker(state.clone(), stop_rx.clone()));
    let deliveries =
        tokio::spawn(notifications::delivery::worker(state.clone(), mailer.map(std::sync::Arc::new), stop_rx.clone()));
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let mut stopped = stop_rx.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let server = tokio::spawn(async move { server.await });
    let _ = stopped.wait_for(|s| *s).await;
    let _ = scheduler.await;
    let _ = syncs.await;
    let _ = fleet.await;
    let _ = deliveries.await;
    match tokio::time::timeout(grace, server).await {
        Ok(joined) => joined.map_err(std::io::Error::other)?,
        Err(_) => {
            tracing::warn!("requests still running after the shutdown grace period; stopping anyway");
            Ok(())
        }
    }
}
