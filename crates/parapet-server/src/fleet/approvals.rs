//! The rollout operations staff call: updates and their approvals, auto-approval rules, rings,
//! a group's windows and reboot policy, and jobs (history, rollback, cancel). Each checks its
//! permission, then calls the store; the API and the console both call these.

use parapet_model::Permission;
use parapet_model::rollout::{ApprovalAction, RebootPolicy, RuleCriteria, Windows};
use parapet_store::{
    ApprovalChange, ApprovedBy, FleetUpdate, FleetUpdateQuery, GroupRollout, NewRing, NewRule, Page, Ring,
    RingProgress, Rule, RuleTarget, StoredJob, UpdateRow,
};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Approvals as staff ask for them: some updates (by ID, by the advisory they fix, or one
/// version of a package) for some groups.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    #[serde(default)]
    pub updates: Vec<i64>,
    /// Every update the fleet knows that fixes this advisory (ID or alias).
    #[serde(default)]
    pub advisory: Option<String>,
    /// One version of one package, which the fleet need not have needed yet.
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// The package's ecosystem (`Debian:12`); needed with `package`.
    #[serde(default)]
    pub ecosystem: Option<String>,
    pub groups: Vec<String>,
    /// `install`, `decline` or `not_approved`.
    pub action: String,
    /// Installs start at the deadline whatever the window; only with `install`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deadline: Option<OffsetDateTime>,
}

/// What an approval came to: the updates it spoke of and how many approvals changed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Approved {
    pub updates: Vec<FleetUpdate>,
    pub groups: Vec<String>,
    pub changed: u64,
}

fn token(field: &'static str, value: &str) -> ApiResult<()> {
    if value.is_empty() || value.len() > 256 || !value.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid(field, format!("{value:?} is not a package name or version")));
    }
    Ok(())
}

pub(crate) async fn updates(state: &AppState, caller: &Caller, query: FleetUpdateQuery) -> ApiResult<Page<UpdateRow>> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.fleet_updates(&query).await?)
}

pub(crate) async fn update(state: &AppState, caller: &Caller, id: i64) -> ApiResult<UpdateRow> {
    caller.require(Permission::ViewFleet)?;
    let update = state.store.fleet_update(id).await?.ok_or_else(|| ApiError::not_found("update"))?;
    let approvals = state.store.approvals_of(id).await?;
    Ok(UpdateRow { update, approvals })
}

pub(crate) async fn update_jobs(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Vec<StoredJob>> {
    update(state, caller, id).await?;
    Ok(state.store.update_jobs(id, 500).await?)
}

pub(crate) async fn approve(state: &AppState, caller: &Caller, input: ApprovalInput) -> ApiResult<Approved> {
    caller.require(Permission::ManageFleet)?;
    let action = match input.action.as_str() {
        "not_approved" => None,
        other => Some(other.parse::<ApprovalAction>().map_err(|e| ApiError::invalid("action", e.message))?),
    };
    if input.deadline.is_some() && action != Some(ApprovalAction::Install) {
        return Err(ApiError::invalid("deadline", "only an approval for install has a deadline"));
    }
    if input.groups.is_empty() {
        return Err(ApiError::invalid("groups", "name at least one group"));
    }
    let known = state.store.group_rollouts().await?;
    let mut group_ids = Vec::new();
    for name in &input.groups {
        let group = known.iter().find(|g| &g.name == name);
        group_ids.push(group.ok_or_else(|| ApiError::invalid("groups", format!("no group is named {name:?}")))?.id);
    }
    let ways = [!input.updates.is_empty(), input.advisory.is_some(), input.package.is_some()];
    if ways.iter().filter(|w| **w).count() != 1 {
        return Err(ApiError::invalid(
            "updates",
            "name the updates one way: updates, advisory, or package and version",
        ));
    }
    let mut updates = Vec::new();
    if let Some(advisory) = &input.advisory {
        updates = state.store.updates_fixing(advisory.trim()).await?;
        if updates.is_empty() {
            return Err(ApiError::invalid("advisory", format!("no update the fleet knows fixes {advisory:?}")));
        }
    } else if let Some(package) = &input.package {
        let version =
            input.version.as_deref().ok_or_else(|| ApiError::invalid("version", "is required with package"))?;
        let ecosystem =
            input.ecosystem.as_deref().ok_or_else(|| ApiError::invalid("ecosystem", "is required with package"))?;
        token("package", package)?;
        token("version", version)?;
        if parapet_versions::Scheme::parse(ecosystem).is_err() {
            return Err(ApiError::invalid("ecosystem", format!("{ecosystem:?} is not an ecosystem (e.g. Debian:12)")));
        }
        let id = state.store.ensure_update(ecosystem, package, version).await?;
        updates.extend(state.store.fleet_update(id).await?);
    } else {
        for id in &input.updates {
            updates.push(state.store.fleet_update(*id).await?.ok_or_else(|| ApiError::not_found("update"))?);
        }
    }
    let update_ids: Vec<i64> = updates.iter().map(|u| u.id).collect();
    let actor = caller.actor();
    let change = ApprovalChange {
        update_ids: &update_ids,
        group_ids: &group_ids,
        action,
        deadline: input.deadline,
        by: ApprovedBy::Person(&actor),
        at: state.clock.now(),
    };
    let changed = state.store.set_approvals(&change).await?;
    Ok(Approved { updates, groups: input.groups, changed })
}

/// A rule as staff write it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    /// The group it approves for…
    #[serde(default)]
    pub group: Option<String>,
    /// …or the ring, whose first stage it approves for.
    #[serde(default)]
    pub ring: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// What it matches, and its deferral and deadline.
    #[serde(default)]
    pub criteria: RuleCriteria,
}

fn yes() -> bool {
    true
}

fn name_of(field: &'static str, what: &str, name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) || name.contains('/') {
        return Err(ApiError::invalid(field, format!("a {what}'s name is 1 to 64 characters, without '/'")));
    }
    Ok(name.to_owned())
}

impl RuleInput {
    fn checked(self) -> ApiResult<NewRule> {
        let name = name_of("name", "rule", &self.name)?;
        let target = match (self.group, self.ring) {
            (Some(group), None) => RuleTarget::Group(group),
            (None, Some(ring)) => RuleTarget::Ring(ring),
            _ => return Err(ApiError::invalid("group", "a rule approves for one group or one ring: give one of them")),
        };
        self.criteria.validate()?;
        Ok(NewRule { name, target, criteria: self.criteria, enabled: self.enabled })
    }
}

fn missing_target(e: parapet_store::StoreError) -> ApiError {
    match e {
        parapet_store::StoreError::NotFound(what @ ("group" | "ring")) => {
            ApiError::invalid(what, format!("no {what} has that name"))
        }
        other => other.into(),
    }
}

pub(crate) async fn rules(state: &AppState, caller: &Caller) -> ApiResult<Vec<Rule>> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.rules().await?)
}

pub(crate) async fn create_rule(state: &AppState, caller: &Caller, input: RuleInput) -> ApiResult<Rule> {
    caller.require(Permission::ManageFleet)?;
    let rule = input.checked()?;
    let rule = state.store.create_rule(&caller.actor(), &rule).await.map_err(missing_target)?;
    // Rules act as updates arrive; a new one looks at those there already at once.
    state.fleet_wake.notify_one();
    Ok(rule)
}

pub(crate) async fn update_rule(state: &AppState, caller: &Caller, name: &str, input: RuleInput) -> ApiResult<Rule> {
    caller.require(Permission::ManageFleet)?;
    state.store.rule(name).await?.ok_or_else(|| ApiError::not_found("rule"))?;
    let rule = input.checked()?;
    state.store.update_rule(&caller.actor(), name, &rule).await.map_err(missing_target)
}

pub(crate) async fn delete_rule(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    caller.require(Permission::ManageFleet)?;
    state.store.rule(name).await?.ok_or_else(|| ApiError::not_found("rule"))?;
    Ok(state.store.delete_rule(&caller.actor(), name).await?)
}

/// A ring as staff write it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The groups, in order: pilot first.
    pub stages: Vec<String>,
    /// Hours after a stage's approval before the next stage gets the update.
    pub promotion_delay_hours: f64,
    /// The share of a stage's installs that may fail, in percent, before promotion stops.
    pub failure_budget_percent: u8,
}

impl RingInput {
    fn checked(self) -> ApiResult<NewRing> {
        let name = name_of("name", "ring", &self.name)?;
        if self.stages.len() < 2 || self.stages.len() > 16 {
            return Err(ApiError::invalid("stages", "a ring has 2 to 16 groups, in order"));
        }
        if !(0.0..=24.0 * 365.0).contains(&self.promotion_delay_hours) || self.promotion_delay_hours.is_nan() {
            return Err(ApiError::invalid("promotion_delay_hours", "is 0 to 8760 hours"));
        }
        if self.failure_budget_percent > 100 {
            return Err(ApiError::invalid("failure_budget_percent", "is a percentage, 0 to 100"));
        }
        Ok(NewRing {
            name,
            description: self.description.trim().chars().take(1000).collect(),
            stages: self.stages,
            promotion_delay_ms: (self.promotion_delay_hours * 3_600_000.0).round() as i64,
            failure_budget_percent: i64::from(self.failure_budget_percent),
        })
    }
}

pub(crate) async fn rings(state: &AppState, caller: &Caller) -> ApiResult<Vec<Ring>> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.rings().await?)
}

pub(crate) async fn ring_progress(state: &AppState, caller: &Caller) -> ApiResult<Vec<RingProgress>> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.ring_progress(false).await?)
}

pub(crate) async fn create_ring(state: &AppState, caller: &Caller, input: RingInput) -> ApiResult<Ring> {
    caller.require(Permission::ManageFleet)?;
    let ring = input.checked()?;
    state.store.create_ring(&caller.actor(), &ring).await.map_err(missing_target)
}

pub(crate) async fn update_ring(state: &AppState, caller: &Caller, name: &str, input: RingInput) -> ApiResult<Ring> {
    caller.require(Permission::ManageFleet)?;
    state.store.ring(name).await?.ok_or_else(|| ApiError::not_found("ring"))?;
    let ring = input.checked()?;
    state.store.update_ring(&caller.actor(), name, &ring).await.map_err(missing_target)
}

pub(crate) async fn delete_ring(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    caller.require(Permission::ManageFleet)?;
    state.store.ring(name).await?.ok_or_else(|| ApiError::not_found("ring"))?;
    Ok(state.store.delete_ring(&caller.actor(), name).await?)
}

/// A group's maintenance windows and reboot policy as staff write them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutInput {
    /// `""` or `always`: installs start at any time; else the zone and weekly windows,
    /// `Europe/Berlin; sat 02:00-06:00; sun 02:00-06:00`.
    #[serde(default)]
    pub windows: String,
    #[serde(default)]
    pub reboot: RebootPolicy,
}

pub(crate) async fn group_rollouts(state: &AppState, caller: &Caller) -> ApiResult<Vec<GroupRollout>> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.group_rollouts().await?)
}

pub(crate) async fn set_group_rollout(
    state: &AppState,
    caller: &Caller,
    name: &str,
    input: RolloutInput,
) -> ApiResult<GroupRollout> {
    caller.require(Permission::ManageFleet)?;
    let windows = Windows::parse(&input.windows)?;
    if !windows.is_always() && jiff::tz::TimeZone::get(&windows.zone).is_err() {
        return Err(ApiError::invalid(
            "windows",
            format!(
                "{:?} is not a time zone this server knows (an IANA name, e.g. Europe/Berlin or UTC)",
                windows.zone
            ),
        ));
    }
    state.store.set_group_rollout(&caller.actor(), name, &windows.to_text(), input.reboot).await?;
    state.store.group_rollouts().await?.into_iter().find(|g| g.name == name).ok_or_else(|| ApiError::not_found("group"))
}

pub(crate) async fn host_jobs(state: &AppState, caller: &Caller, host: &str) -> ApiResult<Vec<StoredJob>> {
    super::host(state, caller, host).await?;
    Ok(state.store.host_jobs(host, 200).await?)
}

pub(crate) async fn job(state: &AppState, caller: &Caller, id: i64) -> ApiResult<StoredJob> {
    caller.require(Permission::ViewFleet)?;
    state.store.job(id).await?.ok_or_else(|| ApiError::not_found("job"))
}

pub(crate) async fn rollback(state: &AppState, caller: &Caller, id: i64) -> ApiResult<StoredJob> {
    caller.require(Permission::ManageFleet)?;
    let install = job(state, caller, id).await?;
    super::rollout::rollback(state, &caller.actor(), &install).await
}

pub(crate) async fn cancel(state: &AppState, caller: &Caller, id: i64) -> ApiResult<StoredJob> {
    caller.require(Permission::ManageFleet)?;
    job(state, caller, id).await?;
    Ok(state.store.cancel_job(&caller.actor(), id, state.clock.now()).await?)
}
