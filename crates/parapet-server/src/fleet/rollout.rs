//! From approvals to jobs: what a host is given at its check-in, and the fleet worker's pass
//! over the rules (which approve) and the rings (which promote or stop).
//!
//! The decisions are `parapet_model::rollout`'s; this module reads what they need from the
//! store, with the server's clock and the ecosystem's version order, and writes their outcome.

use std::cmp::Ordering;

use jiff::tz::TimeZone;
use parapet_model::rollout::{self, HostApproval, Planned, Promotion, RingPolicy, StageResults, UpdateFacts, Windows};
use parapet_model::{Job, JobPackage, JobWork};
use parapet_store::{GroupRollout, HostRollout, NewJobPackage, StoredJob};
use parapet_versions::Scheme;
use time::OffsetDateTime;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Who the store says made the jobs planning makes.
const PLANNER: &str = "rollout";

/// The version order of an ecosystem (`Debian:12` orders as dpkg does); text order when the
/// ecosystem is unknown.
pub(crate) fn version_order(ecosystem: &str) -> impl Fn(&str, &str) -> Ordering + use<> {
    let scheme = Scheme::parse(ecosystem).ok();
    move |a: &str, b: &str| scheme.and_then(|s| s.compare(a, b).ok()).unwrap_or_else(|| a.cmp(b))
}

/// A group's windows with their zone resolved. A zone the system's time zone database no
/// longer knows keeps the group closed, except for deadlines, rather than guessing.
pub(crate) fn windows_of(group: &GroupRollout) -> (Windows, Option<TimeZone>) {
    let windows = Windows::parse(&group.windows).unwrap_or_default();
    if windows.is_always() {
        return (windows, Some(TimeZone::UTC));
    }
    let zone = TimeZone::get(&windows.zone).ok();
    if zone.is_none() {
        tracing::warn!(group = %group.name, zone = %windows.zone, "unknown time zone: the group's windows stay closed");
    }
    (windows, zone)
}

fn as_job(job: &StoredJob) -> Job {
    Job { id: job.id, work: job.work.clone() }
}

fn ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The jobs a check-in's answer carries: the host's open job (given again until its report
/// comes), else a new install of what its approvals make it need and its windows allow now,
/// else a reboot its policy allows, else its group's security configuration policy, else a
/// malware scan. `plan_at` is when the host was due for planning, as the
/// check-in read it; nothing is planned before then.
pub(crate) async fn jobs_for(state: &AppState, host_id: &str, plan_at: Option<i64>) -> ApiResult<Vec<Job>> {
    let now = state.clock.now();
    if plan_at.is_none_or(|at| at > ms(now)) {
        return Ok(Vec::new());
    }
    let open = state.store.open_job(host_id).await?;
    let rollout = state.store.host_rollout(host_id).await?;
    let approvals: Vec<HostApproval> = rollout.approvals.iter().map(|(a, _)| a.clone()).collect();
    let mut planned = rollout::plan(&rollout.installed, &approvals, version_order(&rollout.ecosystem));
    if !planned.is_empty() {
        // Someone rolled these back here: they stay back until a newer version is approved.
        let rolled_back = state.store.rolled_back(host_id).await?;
        planned.retain(|item| !rolled_back.iter().any(|(p, v)| *p == item.package && *v == item.version));
    }
    if let Some(open) = open {
        // An install given before and never reported is given again, unless what it installs
        // is no longer approved (the approval was taken back meanwhile).
        let still_wanted = !matches!(open.work, JobWork::Install { .. })
            || open
                .work
                .packages()
                .iter()
                .all(|p| planned.iter().any(|i| i.package == p.name && i.version == p.version));
        if still_wanted {
            state.store.job_sent(open.id, now).await?;
            return Ok(vec![as_job(&open)]);
        }
        state.store.cancel_job(PLANNER, open.id, now).await?;
    }
    let group = |id: i64| rollout.groups.iter().find(|g| g.id == id);
    let mut ready: Vec<&Planned> = Vec::new();
    let mut next: Option<OffsetDateTime> = None;
    for item in &planned {
        let Some(group) = group(item.group_id) else { continue };
        let (windows, zone) = windows_of(group);
        let zone_ok = zone.as_ref();
        if zone_ok.is_some_and(|z| rollout::may_start(&windows, z, item.deadline, now))
            || item.deadline.is_some_and(|d| d <= now)
        {
            ready.push(item);
        } else {
            let when = match zone_ok {
                Some(zone) => rollout::next_start(&windows, zone, item.deadline, now),
                None => item.deadline,
            };
            next = earliest(next, when);
        }
    }
    if !ready.is_empty() {
        let packages: Vec<NewJobPackage> = ready
            .iter()
            .map(|item| NewJobPackage {
                package: JobPackage {
                    name: item.package.clone(),
                    arch: item.arch.clone(),
                    version: item.version.clone(),
                },
                from: Some(item.from.clone()),
                update_id: rollout.approvals.iter().find(|(a, _)| a.id == item.approval_id).map(|(_, u)| *u),
                approval_id: Some(item.approval_id),
                group_id: Some(item.group_id),
            })
            .collect();
        let (job, _) = state.store.create_job(host_id, "install", &packages, PLANNER, None, now).await?;
        state.store.job_sent(job.id, now).await?;
        return Ok(vec![as_job(&job)]);
    }
    if let Some(job) = reboot_if_allowed(state, host_id, &rollout, &approvals, now, &mut next).await? {
        return Ok(vec![job]);
    }
    if let Some(job) = super::harden::job_if_due(state, host_id, PLANNER, now).await? {
        state.store.job_sent(job.id, now).await?;
        return Ok(vec![as_job(&job)]);
    }
    if let Some(job) = malware_scan_if_due(state, host_id, now).await? {
        return Ok(vec![job]);
    }
    state.store.set_plan_at(host_id, plan_at, next).await?;
    Ok(Vec::new())
}

fn earliest(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A reboot job, when the host says it needs one, has not rebooted since the last one, and a
/// group's policy allows it now; else when one may next be allowed goes into `next`.
async fn reboot_if_allowed(
    state: &AppState,
    host_id: &str,
    host: &HostRollout,
    approvals: &[HostApproval],
    now: OffsetDateTime,
    next: &mut Option<OffsetDateTime>,
) -> ApiResult<Option<Job>> {
    let groups = &host.groups;
    if !host.reboot_required || groups.iter().all(|g| g.reboot == rollout::RebootPolicy::Never) {
        return Ok(None);
    }
    // A reboot reported done after the host last booted has not happened yet, whatever the
    // facts still say.
    let booted_at = host.uptime_seconds.map(|up| now - time::Duration::seconds(up as i64));
    if let (Some(last), Some(booted)) = (state.store.last_reboot(host_id).await?, booted_at)
        && last >= booted
    {
        return Ok(None);
    }
    let deadlines: Vec<OffsetDateTime> = approvals.iter().filter_map(|a| a.deadline).collect();
    let deadline_passed = deadlines.iter().any(|d| *d <= now);
    for group in groups {
        let (windows, zone) = windows_of(group);
        let Some(zone) = zone else { continue };
        if rollout::may_reboot(group.reboot, &windows, &zone, deadline_passed, now) {
            let (job, _) = state.store.create_job(host_id, "reboot", &[], PLANNER, None, now).await?;
            state.store.job_sent(job.id, now).await?;
            return Ok(Some(as_job(&job)));
        }
        let when = match group.reboot {
            rollout::RebootPolicy::Never => None,
            rollout::RebootPolicy::InWindow => windows.next_open(&zone, now),
            rollout::RebootPolicy::AtDeadline => deadlines.iter().copied().filter(|d| *d > now).min(),
        };
        *next = earliest(*next, when);
    }
    Ok(None)
}

/// A scan with the newest signature pack, once per host after the pack's publication, as
/// `fleet.malware_scans` says (removing, or detecting only); installs and reboots go first.
async fn malware_scan_if_due(state: &AppState, host_id: &str, now: OffsetDateTime) -> ApiResult<Option<Job>> {
    let remove = match state.settings.fleet.malware_scans {
        crate::config::MalwareScans::Off => return Ok(None),
        crate::config::MalwareScans::Remove => true,
        crate::config::MalwareScans::Detect => false,
    };
    if state.store.malware_scan_due(host_id).await?.is_none() {
        return Ok(None);
    }
    let work = JobWork::MalwareScan { remove, kill: false };
    let (job, _) = state.store.create_work_job(host_id, &work, PLANNER, now).await?;
    state.store.job_sent(job.id, now).await?;
    Ok(Some(as_job(&job)))
}

/// Makes a rollback job that puts back the versions an install replaced.
pub(crate) async fn rollback(state: &AppState, actor: &str, install: &StoredJob) -> ApiResult<StoredJob> {
    if !matches!(install.work, JobWork::Install { .. }) {
        return Err(ApiError::invalid(
            "job",
            format!("job {} is a {}, not an install", install.id, install.work.kind()),
        ));
    }
    let Some(report) = &install.report else {
        return Err(ApiError::invalid("job", format!("job {} has no report yet: nothing to roll back", install.id)));
    };
    let packages: Vec<NewJobPackage> = report
        .changes
        .iter()
        .filter(|c| c.before != c.after)
        .filter_map(|c| {
            c.before.as_ref().map(|before| NewJobPackage {
                package: JobPackage { name: c.name.clone(), arch: c.arch.clone(), version: before.clone() },
                from: c.after.clone(),
                update_id: None,
                approval_id: None,
                group_id: None,
            })
        })
        .collect();
    if packages.is_empty() {
        return Err(ApiError::invalid(
            "job",
            format!("job {} changed no package version: nothing to roll back", install.id),
        ));
    }
    let now = state.clock.now();
    let (job, made) =
        state.store.create_job(&install.host_id, "rollback", &packages, actor, Some(install.id), now).await?;
    if !made {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "conflict",
            format!("host {} has job {} open; wait for it or cancel it first", install.host_id, job.id),
        ));
    }
    Ok(job)
}

/// One pass of the rules and the rings, under the fleet lease.
pub(crate) async fn rollout_pass(state: &AppState) -> ApiResult<()> {
    let now = state.clock.now();
    for rule in state.store.rules().await?.into_iter().filter(|r| r.enabled) {
        for update in state.store.updates_unseen_by(rule.id).await? {
            let facts = UpdateFacts {
                package: &update.package,
                classification: &update.classification,
                severity: update.severity,
                sources: &update.sources,
                released_at: update.released_at,
            };
            if !rule.criteria.matches(&facts) {
                state.store.apply_rule(&rule, update.id, false, now).await?;
            } else if rule.criteria.due_at(update.released_at) <= now {
                state.store.apply_rule(&rule, update.id, true, now).await?;
                tracing::info!(rule = %rule.name, package = %update.package, version = %update.version, "rule approved an update");
            }
            // A matching update not yet due is looked at again at the next pass.
        }
    }
    for progress in state.store.ring_progress(true).await? {
        let counts = state.store.install_counts(progress.update_id, progress.group_id).await?;
        let policy = RingPolicy {
            promotion_delay: time::Duration::milliseconds(progress.promotion_delay_ms),
            failure_budget_percent: progress.failure_budget_percent.clamp(0, 100) as u8,
        };
        let (succeeded, failed) = (counts.succeeded.max(0) as u64, counts.failed.max(0) as u64);
        // Who still waits matters only to a stage without a result once its delay is over:
        // only then are the group's package lists read.
        let waiting = if succeeded + failed == 0 && now >= progress.stage_approved_at + policy.promotion_delay {
            let Some(update) = state.store.fleet_update(progress.update_id).await? else { continue };
            let order = version_order(&update.ecosystem);
            let needing = state
                .store
                .group_package_versions(progress.group_id, &update.ecosystem, &update.package)
                .await?
                .into_iter()
                .filter(|(_, version)| order(version, &update.version) == Ordering::Less)
                .count() as u64;
            // Hosts still on an older version, less those whose install is in flight.
            needing.saturating_sub(counts.in_flight.max(0) as u64)
        } else {
            0
        };
        let stage = StageResults { approved_at: progress.stage_approved_at, succeeded, failed, waiting };
        match rollout::promotion(policy, stage, now) {
            Promotion::Promote => {
                state.store.promote(&progress, now).await?;
                tracing::info!(ring = %progress.ring, package = %progress.package, version = %progress.version, "promoted to the next stage");
            }
            Promotion::Stop(reason) => {
                let reason = format!("stopped at {}: {reason}", progress.group);
                tracing::warn!(ring = %progress.ring, package = %progress.package, version = %progress.version, %reason, "ring stopped");
                state.store.stop_ring(&progress, &reason, now).await?;
            }
            Promotion::Wait(_) => {}
        }
    }
    Ok(())
}
