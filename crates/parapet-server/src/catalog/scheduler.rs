//! The sync scheduler in `serve`.

use std::time::Duration;

use crate::state::AppState;

/// Syncs due sources until `stop`: each pass claims one due source at a time in the database,
/// so several servers share the work and never sync the same source at once.
pub async fn scheduler(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let period = Duration::from_secs(state.settings.catalog.check_seconds.max(1));
    let options = parapet_sync::SyncOptions { owner: parapet_sync::default_owner("serve"), ..Default::default() };
    let lease_ms = options.lease.as_millis() as i64;
    if state.settings.catalog.own_publications {
        ensure_published_source(&state).await;
    }
    loop {
        loop {
            match state.store.lease_due_source(&options.owner, lease_ms).await {
                Ok(Some(lease)) => {
                    let outcome = tokio::select! {
                        outcome = parapet_sync::sync_leased(&state.store, lease, &options) => outcome,
                        _ = stop.wait_for(|s| *s) => return,
                    };
                    tracing::info!(
                        source = %outcome.source,
                        new = outcome.counts.new,
                        updated = outcome.counts.updated,
                        rejected = outcome.counts.rejected,
                        error = outcome.error.as_deref().unwrap_or(""),
                        "source synced"
                    );
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "cannot claim a source to sync");
                    break;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = state.catalog_wake.notified() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// The name of the source of this server's own publications, made at the first start.
pub const PUBLISHED_SOURCE: &str = "published";

/// Makes the source of this server's own publications when there is none of its kind: what it
/// publishes then reaches the fleet and scans like any provider's advisories. Two servers
/// starting at once may both try; the second finds the name taken, which is the same outcome.
pub async fn ensure_published_source(state: &AppState) {
    let sources = match state.store.sources().await {
        Ok(sources) => sources,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the catalog's sources");
            return;
        }
    };
    if sources.iter().any(|s| s.spec.kind == parapet_catalog::SourceType::Published) {
        return;
    }
    let mut spec = parapet_catalog::SourceSpec::new(
        PUBLISHED_SOURCE,
        parapet_catalog::SourceType::Published,
        state.settings.server.public_url.trim_end_matches('/'),
    );
    spec.interval_minutes = 60;
    match state.store.add_source("serve", &spec).await {
        Ok(_) => tracing::info!(source = PUBLISHED_SOURCE, "this server's publications feed its catalog"),
        Err(e) => tracing::warn!(error = %e, "cannot add the source of this server's publications"),
    }
}
