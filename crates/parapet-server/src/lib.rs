//! Parapet's HTTP server: the JSON API, the web console, researcher intake and operations
//! endpoints, on one axum router built by [`app`].

pub mod advance;
pub mod api;
pub mod auth;
pub mod blog;
pub mod calendar;
pub mod catalog;
mod catalog_pages;
pub mod config;
mod delivery;
pub mod documents;
mod editor;
pub mod error;
mod export;
pub mod feeds;
mod guide;
pub mod intake;
pub mod json;
pub mod mail;
mod metrics;
mod notification_pages;
mod ops;
pub mod pages;
pub mod provider;
pub mod publishing;
pub mod releases;
pub mod smtp;
pub mod state;
pub mod subscriptions;
pub mod webhooks;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::routing::get;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use config::Settings;
pub use state::AppState;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest a request may take, slow clients included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

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
    let mut router = Router::new()
        .merge(api::routes(&state))
        .merge(pages::routes(&state))
        .merge(provider::routes())
        .merge(blog::api_routes())
        .merge(feeds::routes())
        .merge(calendar::routes())
        .merge(advance::routes())
        .merge(webhooks::routes())
        .merge(subscriptions::api_routes())
        .merge(
            notification_pages::routes()
                .layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors)),
        )
        .merge(
            subscriptions::page_routes()
                .layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors)),
        )
        .merge(advance::page_routes().layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors)))
        .merge(calendar::page_routes().layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors)))
        .merge(blog::page_routes().layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors)))
        .merge(catalog::routes())
        .merge(editor::routes().layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors)))
        .merge(catalog_pages::routes().layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors)))
        .merge(guide::routes().layer(axum::middleware::from_fn_with_state(state.clone(), pages::render_errors)))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(metrics::endpoint))
        .route("/.well-known/security.txt", get(ops::security_txt_handler))
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
    let mailer = mail::Mailer::from_settings(&state.settings).map_err(std::io::Error::other)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(publishing::scheduler(state.clone(), stop_rx.clone()));
    let syncs = tokio::spawn(catalog::scheduler(state.clone(), stop_rx.clone()));
    let deliveries = tokio::spawn(delivery::worker(state.clone(), mailer.map(std::sync::Arc::new), stop_rx.clone()));
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
    let _ = deliveries.await;
    match tokio::time::timeout(grace, server).await {
        Ok(joined) => joined.map_err(std::io::Error::other)?,
        Err(_) => {
            tracing::warn!("requests still running after the shutdown grace period; stopping anyway");
            Ok(())
        }
    }
}
