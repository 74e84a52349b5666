//! What every handler shares.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parapet_store::Store;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::pages::Templates;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub templates: Arc<Templates>,
    pub intake_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> AppState {
        let per_minute = NonZeroU32::new(settings.intake.reports_per_minute.max(1)).expect("at least one");
        AppState {
            store,
            intake_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            settings: Arc::new(settings),
            templates: Arc::new(Templates::new()),
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// An absolute link on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.server.public_url.trim_end_matches('/'))
    }
}
