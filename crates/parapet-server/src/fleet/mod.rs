//! The fleet over HTTP: the agent protocol under `/api/v1/agent/…`, and the administration of
//! enrollment secrets, hosts and groups with the reports on what every host still needs.
//!
//! The operations are here, each with its permission check; the agent protocol is in
//! `agent.rs`, the staff API in `api.rs`, the console in `pages.rs`. What each host needs is
//! computed here, with `parapet scan`'s own matching (`matcher.rs`), and brought up to date by
//! the worker (`worker.rs`) when the catalog changes.
//!
//! Agents are not staff: their credential opens the agent routes and nothing else, and staff
//! routes never take it. Fleet data is staff business (`ViewFleet`), never on a public page.

pub mod agent;
pub mod api;
pub(crate) mod approvals;
pub mod harden;
pub mod harden_pages;
pub mod malware;
pub mod malware_pages;
pub mod matcher;
pub mod pages;
pub(crate) mod rollout;
pub mod rollout_pages;
mod worker;

use parapet_model::{FieldError, Permission, Tag};
use parapet_store::{
    AdvisoryStatus, CheckInRecord, EnrollmentSecret, Exposure, Group, HostDetail, HostPackage, HostQuery, HostSummary,
    NewEnrollmentSecret, NewGroup, PackageToCompute, Page, Remediation, RemediationStats,
};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
pub use worker::{bring_up_to_date, worker};

/// The prefix of host credentials, which tells them apart from API tokens in logs and configs.
pub const CREDENTIAL_PREFIX: &str = "pph_";
/// The prefix of enrollment secrets.
pub const SECRET_PREFIX: &str = "ppe_";

/// An enrollment secret as an admin asks for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretInput {
    pub name: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub max_uses: Option<i64>,
}

/// A group as an admin writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `KEY=VALUE` tags a host must all carry to be a member by rule.
    #[serde(default)]
    pub rule: Vec<String>,
}

impl GroupInput {
    fn checked(self) -> ApiResult<NewGroup> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(ApiError::invalid("name", "a group's name is 1 to 64 characters"));
        }
        if name.eq_ignore_ascii_case("unassigned") {
            return Err(ApiError::invalid("name", "\"unassigned\" is the name of hosts in no group"));
        }
        if name.chars().any(char::is_control) || name.contains('/') {
            return Err(ApiError::invalid("name", "a group's name has no control characters and no '/'"));
        }
        if self.description.chars().count() > 1000 {
            return Err(ApiError::invalid("description", "is longer than 1000 characters"));
        }
        let rule = self
            .rule
            .iter()
            .map(|t| t.parse::<Tag>().map_err(|e: FieldError| ApiError::invalid("rule", e.message)))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(NewGroup { name, description: self.description.trim().to_owned(), rule })
    }
}

pub(crate) async fn secrets(state: &AppState, caller: &Caller) -> ApiResult<Vec<EnrollmentSecret>> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.enrollment_secrets().await?)
}

/// Creates an enrollment secret; the secret itself is in the answer and nowhere else.
pub(crate) async fn create_secret(
    state: &AppState,
    caller: &Caller,
    input: SecretInput,
) -> ApiResult<(EnrollmentSecret, String)> {
    caller.require(Permission::ManageFleet)?;
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "an enrollment secret's name is 1 to 100 characters"));
    }
    if input.max_uses.is_some_and(|n| n < 1) {
        return Err(ApiError::invalid("max_uses", "must be at least 1"));
    }
    if input.expires_at.is_some_and(|at| at <= state.clock.now()) {
        return Err(ApiError::invalid("expires_at", "is in the past"));
    }
    let secret = format!("{SECRET_PREFIX}{}", crate::auth::new_secret());
    let new = NewEnrollmentSecret { name, group: input.group, expires_at: input.expires_at, max_uses: input.max_uses };
    let stored = state.store.create_enrollment_secret(&caller.actor(), &new, &crate::auth::digest(&secret)).await?;
    Ok((stored, secret))
}

pub(crate) async fn revoke_secret(state: &AppState, caller: &Caller, id: i64) -> ApiResult<EnrollmentSecret> {
    caller.require(Permission::ManageFleet)?;
    Ok(state.store.revoke_enrollment_secret(&caller.actor(), id).await?)
}

pub(crate) async fn hosts(state: &AppState, caller: &Caller, mut query: HostQuery) -> ApiResult<Page<HostSummary>> {
    caller.require(Permission::ViewFleet)?;
    query.stale_after_ms = state.settings.fleet.stale_after_ms();
    Ok(state.store.hosts(&query).await?)
}

pub(crate) async fn host(state: &AppState, caller: &Caller, id: &str) -> ApiResult<HostDetail> {
    caller.require(Permission::ViewFleet)?;
    state.store.host(id, state.settings.fleet.stale_after_ms()).await?.ok_or_else(|| ApiError::not_found("host"))
}

pub(crate) async fn host_packages(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Vec<HostPackage>> {
    host(state, caller, id).await?;
    Ok(state.store.host_packages(id).await?)
}

/// What a host needs: its packages with an update or a vulnerability.
pub(crate) async fn needed(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Vec<HostPackage>> {
    let mut packages = host_packages(state, caller, id).await?;
    packages.retain(|p| p.update_version.is_some() || !p.findings.is_empty());
    Ok(packages)
}

pub(crate) async fn check_ins(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Vec<CheckInRecord>> {
    host(state, caller, id).await?;
    Ok(state.store.host_check_ins(id, 100).await?)
}

pub(crate) async fn revoke_host(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    caller.require(Permission::ManageFleet)?;
    Ok(state.store.revoke_host(&caller.actor(), id).await?)
}

pub(crate) async fn assign(state: &AppState, caller: &Caller, id: &str, group: &str, member: bool) -> ApiResult<()> {
    caller.require(Permission::ManageFleet)?;
    Ok(state.store.assign_host(&caller.actor(), id, group, member).await?)
}

pub(crate) async fn groups(state: &AppState, caller: &Caller) -> ApiResult<Vec<Group>> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.groups().await?)
}

pub(crate) async fn create_group(state: &AppState, caller: &Caller, input: GroupInput) -> ApiResult<Group> {
    caller.require(Permission::ManageFleet)?;
    Ok(state.store.create_group(&caller.actor(), &input.checked()?).await?)
}

pub(crate) async fn update_group(state: &AppState, caller: &Caller, name: &str, input: GroupInput) -> ApiResult<Group> {
    caller.require(Permission::ManageFleet)?;
    state.store.group(name).await?.ok_or_else(|| ApiError::not_found("group"))?;
    Ok(state.store.update_group(&caller.actor(), name, &input.checked()?).await?)
}

pub(crate) async fn delete_group(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    caller.require(Permission::ManageFleet)?;
    state.store.group(name).await?.ok_or_else(|| ApiError::not_found("group"))?;
    Ok(state.store.delete_group(&caller.actor(), name).await?)
}

/// The exposure of an advisory, known to the catalog by this ID or alias.
pub(crate) async fn exposure(state: &AppState, caller: &Caller, advisory: &str) -> ApiResult<Exposure> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.exposure(advisory, 1000).await?)
}

/// Where the remediation of an advisory stands: publication, approvals, installs, the last
/// host patched.
pub(crate) async fn remediation(state: &AppState, caller: &Caller, advisory: &str) -> ApiResult<Remediation> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.remediation(advisory).await?)
}

/// The fleet's times to remediation over the last `days` days.
pub(crate) async fn remediation_stats(state: &AppState, caller: &Caller, days: u32) -> ApiResult<RemediationStats> {
    caller.require(Permission::ViewFleet)?;
    if !(1..=3650).contains(&days) {
        return Err(ApiError::invalid("days", "must be between 1 and 3650"));
    }
    let since = state.clock.now() - time::Duration::days(i64::from(days));
    Ok(state.store.remediation_stats(since).await?)
}

/// A duration as people read it: `3 d 4 h`, `2 h 5 min`, `40 s`.
pub(crate) fn duration_text(seconds: i64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min {} s", seconds % 60),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The status report of an advisory per group; the packages it names come from the catalog.
pub(crate) async fn advisory_status(state: &AppState, caller: &Caller, advisory: &str) -> ApiResult<AdvisoryStatus> {
    caller.require(Permission::ViewFleet)?;
    let packages: Vec<String> = match state.store.catalog_entry(advisory).await? {
        Some(entry) => entry_packages(&entry),
        None => Vec::new(),
    };
    Ok(state.store.advisory_status(advisory, &packages).await?)
}

pub(crate) async fn update_status(state: &AppState, caller: &Caller, package: &str) -> ApiResult<AdvisoryStatus> {
    caller.require(Permission::ViewFleet)?;
    Ok(state.store.update_status(package).await?)
}

/// The packages (binary or source) the records of a catalog entry name.
fn entry_packages(entry: &parapet_store::CatalogEntry) -> Vec<String> {
    let mut names: Vec<String> =
        entry.records.iter().flat_map(|r| r.advisory.affected.iter().map(|a| a.package.clone())).collect();
    names.sort();
    names.dedup();
    names
}

/// Computes the packages with these IDs against the catalog as of now and stores the results.
pub(crate) async fn compute(state: &AppState, ids: &[i64]) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let tick = state.matcher.current(&state.store).await?;
    for chunk in ids.chunks(500) {
        let packages: Vec<PackageToCompute> = state.store.packages_to_compute(chunk).await?;
        let computed = state.matcher.compute(packages).await?;
        state.store.save_computed(tick, &computed).await?;
    }
    Ok(())
}
