//! The console's rollouts: the updates with their approvals per group (one at a time, or all
//! those a search finds), the rules, rings and windows, where updates stand in their rings, and
//! the times to remediation; an update's jobs, and a host's with a rollback button.
//!
//! Every page and form calls the operations in `approvals.rs`, so the permission checks are the
//! API's.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use parapet_model::Permission;
use parapet_model::rollout::{RebootPolicy, RuleCriteria};
use parapet_store::{FleetUpdateQuery, StoredJob};
use serde::Deserialize;

use super::api::UpdateParams;
use super::approvals::{self, ApprovalInput, RingInput, RolloutInput, RuleInput};
use crate::error::ApiError;
use crate::extract::{ConsoleForm, Empty, Params, SignedIn};
use crate::render::{PageResult, fmt_time, page};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/console/fleet/updates", get(updates_page))
        .page("/console/fleet/updates/approve", post(approve))
        .page("/console/fleet/updates/{id}", get(update_page))
        .page("/console/fleet/rollouts", get(rollouts))
        .page("/console/fleet/rollouts/rules", post(create_rule))
        .page("/console/fleet/rollouts/rings", post(create_ring))
        .page("/console/fleet/rollouts/windows", post(set_windows))
        .page("/console/fleet/jobs/{id}/rollback", post(rollback))
}

/// A job as the host page and the update page list it.
pub(crate) fn job_row(job: &StoredJob) -> Value {
    let packages: Vec<String> = job.work.packages().iter().map(|p| format!("{} {}", p.name, p.version)).collect();
    let changes: Vec<String> = job
        .report
        .iter()
        .flat_map(|r| r.changes.iter())
        .filter(|c| c.before != c.after)
        .map(|c| {
            format!("{} {} → {}", c.name, c.before.as_deref().unwrap_or("none"), c.after.as_deref().unwrap_or("none"))
        })
        .collect();
    context! {
        id => job.id, kind => job.work.kind(), state => job.state, packages, changes,
        host => job.host_id, hostname => job.hostname,
        created => fmt_time(job.created_at), finished => job.finished_at.map(fmt_time),
        message => job.message, log => job.report.as_ref().map(|r| r.log.clone()),
        can_roll_back => job.work.kind() == "install" && job.state != "pending" && job.state != "sent"
            && !changes.is_empty(),
    }
}

async fn updates_page(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Params(params): Params<UpdateParams>,
) -> PageResult {
    let query = params.to_query()?;
    let listed = approvals::updates(&state, &caller, query.clone()).await?;
    let groups = super::groups(&state, &caller).await?;
    let rows: Vec<Value> = listed
        .items
        .iter()
        .map(|row| {
            let u = &row.update;
            let cells: Vec<Value> = groups
                .iter()
                .map(|g| {
                    let approval = row.approvals.iter().find(|a| a.group_id == g.id);
                    context! {
                        group => g.name,
                        action => approval.map(|a| a.action.as_str()),
                        deadline => approval.and_then(|a| a.deadline).map(fmt_time),
                        by => approval.map(|a| a.approved_by.clone()),
                        paused => approval.and_then(|a| a.paused_reason.clone()),
                    }
                })
                .collect();
            context! {
                id => u.id, package => u.package, version => u.version, ecosystem => u.ecosystem,
                classification => u.classification, severity => u.severity.map(|s| s.as_str()),
                advisories => u.advisories, released => fmt_time(u.released_at), cells,
            }
        })
        .collect();
    page(
        &state,
        &caller,
        "fleet_updates.html",
        "Updates and approvals",
        "fleet",
        context! {
            updates => rows, total => listed.total,
            groups => groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
            q => query.q.unwrap_or_default(), classification => query.classification.unwrap_or_default(),
            can_manage => caller.viewer.can(Permission::ManageFleet),
        },
    )
}

/// One update: its approvals per group and the jobs that carried it, with their results.
async fn update_page(State(state): State<AppState>, SignedIn(caller): SignedIn, Path(id): Path<String>) -> PageResult {
    let id = crate::extract::Id::parse(&id).get("update")?;
    let row = approvals::update(&state, &caller, id).await?;
    let jobs: Vec<Value> = approvals::update_jobs(&state, &caller, id).await?.iter().map(job_row).collect();
    let u = &row.update;
    let approvals: Vec<Value> = row
        .approvals
        .iter()
        .map(|a| {
            context! {
                group => a.group, action => a.action.as_str(), deadline => a.deadline.map(fmt_time),
                by => a.approved_by, at => fmt_time(a.approved_at), paused => a.paused_reason,
            }
        })
        .collect();
    let title = format!("{} {}", u.package, u.version);
    page(
        &state,
        &caller,
        "fleet_update.html",
        &title,
        "fleet",
        context! {
            update => context! {
                package => u.package, version => u.version, ecosystem => u.ecosystem,
                classification => u.classification, severity => u.severity.map(|s| s.as_str()),
                advisories => u.advisories, sources => u.sources, released => fmt_time(u.released_at),
            },
            approvals, jobs,
        },
    )
}

#[derive(Debug, Deserialize)]
struct ApproveForm {
    /// One update, or blank with `q` for every update the search finds.
    #[serde(default)]
    update: String,
    #[serde(default)]
    q: String,
    group: String,
    action: String,
    /// Days from now; blank for none.
    #[serde(default)]
    deadline_days: String,
}

async fn approve(State(state): State<AppState>, ConsoleForm { caller, form }: ConsoleForm<ApproveForm>) -> PageResult {
    let updates = if form.update.trim().is_empty() {
        let query = FleetUpdateQuery { q: Some(form.q.clone()), page: 1, per_page: 500, ..FleetUpdateQuery::default() };
        if form.q.trim().is_empty() {
            return Err(ApiError::invalid("q", "search for the updates to approve together"));
        }
        approvals::updates(&state, &caller, query).await?.items.iter().map(|r| r.update.id).collect()
    } else {
        vec![crate::extract::Id::parse(form.update.trim()).get("update")?]
    };
    let deadline = match form.deadline_days.trim() {
        "" => None,
        days => match days.parse::<i64>() {
            Ok(days) if (0..=365).contains(&days) => Some(state.clock.now() + time::Duration::days(days)),
            _ => return Err(ApiError::invalid("deadline_days", "is a number of days, 0 to 365")),
        },
    };
    let input =
        ApprovalInput { updates, groups: vec![form.group], action: form.action, deadline, ..Default::default() };
    approvals::approve(&state, &caller, input).await?;
    let back = if form.q.trim().is_empty() {
        "/console/fleet/updates".to_owned()
    } else {
        format!(
            "/console/fleet/updates?q={}",
            percent_encoding::utf8_percent_encode(&form.q, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    Ok(Redirect::to(&back).into_response())
}

async fn rollouts(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    let rules: Vec<Value> = approvals::rules(&state, &caller)
        .await?
        .iter()
        .map(|r| {
            let (kind, target) = match &r.target {
                parapet_store::RuleTarget::Group(g) => ("group", g.clone()),
                parapet_store::RuleTarget::Ring(r) => ("ring", r.clone()),
            };
            context! {
                name => r.name, kind, target, enabled => r.enabled,
                criteria => criteria_text(&r.criteria),
            }
        })
        .collect();
    let rings = approvals::rings(&state, &caller).await?;
    let progress: Vec<Value> = approvals::ring_progress(&state, &caller)
        .await?
        .iter()
        .map(|p| {
            context! {
                ring => p.ring, package => p.package, version => p.version, group => p.group, state => p.state,
                reason => p.reason, since => fmt_time(p.stage_approved_at),
            }
        })
        .collect();
    let windows = approvals::group_rollouts(&state, &caller).await?;
    let stats = super::remediation_stats(&state, &caller, 90).await?;
    let figure = |f: &parapet_store::RemediationFigure| {
        context! {
            name => f.name, count => f.count,
            median => f.median_seconds.map(super::duration_text), p90 => f.p90_seconds.map(super::duration_text),
        }
    };
    page(
        &state,
        &caller,
        "fleet_rollouts.html",
        "Rollouts",
        "fleet",
        context! {
            rules, rings, progress, windows,
            reboot_policies => RebootPolicy::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            overall => figure(&stats.overall),
            by_group => stats.groups.iter().map(figure).collect::<Vec<_>>(),
            by_severity => stats.severities.iter().map(figure).collect::<Vec<_>>(),
            can_manage => caller.viewer.can(Permission::ManageFleet),
        },
    )
}

fn criteria_text(c: &RuleCriteria) -> String {
    let mut parts = Vec::new();
    if !c.classifications.is_empty() {
        parts.push(c.classifications.join(" or "));
    }
    if let Some(min) = c.min_severity {
        parts.push(format!("{} or worse", min.as_str()));
    }
    if !c.sources.is_empty() {
        parts.push(format!("from {}", c.sources.join(", ")));
    }
    if !c.packages.is_empty() {
        parts.push(format!("packages {}", c.packages.join(" ")));
    }
    parts.push(format!("after {} day{}", c.delay_days, if c.delay_days == 1 { "" } else { "s" }));
    if let Some(days) = c.deadline_days {
        parts.push(format!("deadline {days} days later"));
    }
    parts.join("; ")
}

#[derive(Debug, Deserialize)]
struct RuleForm {
    name: String,
    /// `group:NAME` or `ring:NAME`.
    target: String,
    #[serde(default)]
    classification: String,
    #[serde(default)]
    min_severity: String,
    #[serde(default)]
    packages: String,
    #[serde(default)]
    delay_days: String,
}

fn whole(field: &'static str, text: &str) -> Result<u32, ApiError> {
    match text.trim() {
        "" => Ok(0),
        t => t.parse().map_err(|_| ApiError::invalid(field, "is not a whole number")),
    }
}

async fn create_rule(State(state): State<AppState>, ConsoleForm { caller, form }: ConsoleForm<RuleForm>) -> PageResult {
    let (group, ring) = match form.target.split_once(':') {
        Some(("group", name)) => (Some(name.to_owned()), None),
        Some(("ring", name)) => (None, Some(name.to_owned())),
        _ => return Err(ApiError::invalid("target", "choose a group or a ring")),
    };
    let min_severity = match form.min_severity.trim() {
        "" => None,
        s => Some(s.parse().map_err(|e: parapet_model::FieldError| ApiError::invalid("min_severity", e.message))?),
    };
    let criteria = RuleCriteria {
        classifications: form.classification.split_whitespace().map(str::to_owned).collect(),
        min_severity,
        sources: Vec::new(),
        packages: form.packages.split_whitespace().map(str::to_owned).collect(),
        delay_days: whole("delay_days", &form.delay_days)?,
        deadline_days: None,
    };
    let input = RuleInput { name: form.name, group, ring, enabled: true, criteria };
    approvals::create_rule(&state, &caller, input).await?;
    Ok(Redirect::to("/console/fleet/rollouts").into_response())
}

#[derive(Debug, Deserialize)]
struct RingForm {
    name: String,
    /// Group names in order, separated by spaces or commas.
    stages: String,
    promotion_delay_hours: String,
    failure_budget_percent: String,
}

async fn create_ring(State(state): State<AppState>, ConsoleForm { caller, form }: ConsoleForm<RingForm>) -> PageResult {
    let input = RingInput {
        name: form.name,
        description: String::new(),
        stages: form.stages.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        promotion_delay_hours: form
            .promotion_delay_hours
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid("promotion_delay_hours", "is a number of hours"))?,
        failure_budget_percent: form
            .failure_budget_percent
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid("failure_budget_percent", "is a percentage, 0 to 100"))?,
    };
    approvals::create_ring(&state, &caller, input).await?;
    Ok(Redirect::to("/console/fleet/rollouts").into_response())
}

#[derive(Debug, Deserialize)]
struct WindowsForm {
    group: String,
    #[serde(default)]
    windows: String,
    reboot: String,
}

async fn set_windows(
    State(state): State<AppState>,
    ConsoleForm { caller, form }: ConsoleForm<WindowsForm>,
) -> PageResult {
    let reboot = form.reboot.parse().map_err(|e: parapet_model::FieldError| ApiError::invalid("reboot", e.message))?;
    approvals::set_group_rollout(&state, &caller, &form.group, RolloutInput { windows: form.windows, reboot }).await?;
    Ok(Redirect::to("/console/fleet/rollouts").into_response())
}

async fn rollback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = crate::extract::Id::parse(&id).get("job")?;
    let job = approvals::rollback(&state, &caller, id).await?;
    Ok(Redirect::to(&format!("/console/fleet/hosts/{}#jobs", job.host_id)).into_response())
}
