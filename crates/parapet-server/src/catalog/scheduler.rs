//! The sync scheduler in `serve`.

use std::time::Duration;

use crate::state::AppState;

/// Syncs due sources until `stop`: each pass claims one due source at a time in the database,
/// so several servers share the work and never sync the same source at once.
pub async fn scheduler(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let period = Duration::from_secs(state.settings.catalog.check_seconds.max(1));
    let options = parapet_sync::SyncOptions { owner: parapet_sync::default_owner("serve"), ..Default::default() };
    let lease_ms = options.lease.as_millis() as i64;
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
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
