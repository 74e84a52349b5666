//! What every handler shares.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parapet_store::Store;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::releases::{Calendar, Clock, SystemClock};
use crate::render::Templates;
use parapet_provider::SigningKey;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub templates: Arc<Templates>,
    pub intake_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Subscription requests per address: each may mail someone.
    pub subscribe_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    pub metrics: Arc<Metrics>,
    /// What time it is for the scheduler; tests set their own.
    pub clock: Arc<dyn Clock>,
    pub calendar: Arc<Calendar>,
    /// The provider's signing key, read (or made) on first use.
    pub signing_key: Arc<tokio::sync::RwLock<Option<Arc<SigningKey>>>>,
    /// Matches fleet packages against the catalog, on a thread of its own.
    pub matcher: Arc<crate::fleet::matcher::Matcher>,
    /// Wakes the sync scheduler before its next pass: something this server did made a source
    /// due (a publication, for the source of its own publications).
    pub catalog_wake: Arc<tokio::sync::Notify>,
    /// Wakes the fleet worker before its next pass: a new rule looks at the updates at once.
    pub fleet_wake: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> AppState {
        let per_minute = NonZeroU32::new(settings.intake.reports_per_minute.max(1)).expect("at least one");
        // Settings::load checked the calendar; hand-made settings fall back to the default one.
        let settings_calendar = settings.calendar().unwrap_or_else(|_| {
            crate::config::Settings::default().calendar().expect("the default release calendar is valid")
        });
        AppState {
            store,
            intake_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            subscribe_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(10).expect("ten")))),
            settings: Arc::new(settings),
            templates: Arc::new(Templates::new()),
            metrics: Arc::new(Metrics::new()),
            clock: Arc::new(SystemClock),
            calendar: Arc::new(settings_calendar),
            signing_key: Arc::new(tokio::sync::RwLock::new(None)),
            matcher: Arc::new(crate::fleet::matcher::Matcher::new()),
            catalog_wake: Arc::new(tokio::sync::Notify::new()),
            fleet_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The same state on another clock.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> AppState {
        AppState { clock, ..self }
    }

    /// An absolute link on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.server.public_url.trim_end_matches('/'))
    }
}
