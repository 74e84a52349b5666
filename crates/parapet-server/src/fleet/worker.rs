//! Keeping what every host needs up to date with the catalog, in `serve`.
//!
//! One server at a time holds the fleet lease in the database; it reads the catalog changes
//! after the tick the findings were computed at, recomputes only the distinct packages those
//! changes name (and those a withdrawn record affected), and moves the tick. Packages a server
//! stored but did not get to compute are picked up too. Exposure is sampled after each pass and
//! once a minute for what check-ins changed.

use std::time::{Duration, Instant};

use crate::error::ApiResult;
use crate::state::AppState;

const LEASE_MS: i64 = 60_000;
const SAMPLE_EVERY: Duration = Duration::from_secs(60);

pub async fn worker(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let owner = parapet_sync::default_owner("fleet");
    let period = Duration::from_secs(state.settings.fleet.recompute_seconds.max(1));
    let mut sampled = Instant::now();
    loop {
        match bring_up_to_date(&state, &owner).await {
            Ok(true) if sampled.elapsed() >= SAMPLE_EVERY => {
                if let Err(e) = state.store.sample_all_exposure().await {
                    tracing::error!(error = %e, "cannot sample the fleet's exposure");
                }
                sampled = Instant::now();
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e.detail(), "cannot bring the fleet's findings up to date"),
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = state.fleet_wake.notified() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// One pass; `false` when another server holds the lease.
pub async fn bring_up_to_date(state: &AppState, owner: &str) -> ApiResult<bool> {
    let Some(lease) = state.store.lease_fleet(owner, LEASE_MS).await? else { return Ok(false) };
    let tick = state.store.catalog_tick().await?;
    if tick > lease.computed_tick {
        let started = Instant::now();
        let changed = state.store.packages_changed_since(lease.computed_tick).await?;
        super::compute(state, &changed).await?;
        state.store.finish_fleet_pass(owner, tick).await?;
        tracing::info!(
            from = lease.computed_tick,
            to = tick,
            packages = changed.len(),
            ms = started.elapsed().as_millis() as u64,
            "fleet findings brought up to date"
        );
    }
    loop {
        let pending = state.store.uncomputed_packages(1000).await?;
        if pending.is_empty() {
            break;
        }
        super::compute(state, &pending).await?;
    }
    // Exposure as check-ins changed it, at the times they did.
    state.store.sample_marked_exposure().await?;
    // Updates the computations noted meet the rules; rings move on.
    super::rollout::rollout_pass(state).await?;
    Ok(true)
}
