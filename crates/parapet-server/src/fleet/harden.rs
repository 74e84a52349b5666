//! Security configuration on the fleet: a `parapet harden` policy per group, given to its
//! hosts as a job at their next check-in (applied with confirm-or-revert: the agent keeps it
//! once it reaches the server again), and each host's report of the policy it runs and how it
//! drifted from it.

use std::sync::OnceLock;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parapet_harden::{Policy, RoleBook};
use parapet_model::{JobWork, Permission};
use parapet_store::{GroupHardenPolicy, HostHarden, StoredJob};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api(
            "/api/v1/fleet/groups/{name}/harden-policy",
            get(group_policy_api).put(set_group_policy_api).delete(clear_group_policy_api),
        )
        .api("/api/v1/fleet/hosts/{id}/harden", get(host_harden_api))
        .api("/api/v1/fleet/hosts/{id}/harden-apply", post(apply_again_api))
}

/// The longest policy a group may have: the wizard's files are a few hundred bytes.
const MAX_POLICY_BYTES: usize = 64 * 1024;
/// How long an agent has to reach the server again after applying before it puts the host
/// back: a check-in's round trip, with room for a slow network.
pub(crate) const CONFIRM_WITHIN_S: u32 = 120;

pub(crate) fn book() -> &'static RoleBook {
    static BOOK: OnceLock<RoleBook> = OnceLock::new();
    BOOK.get_or_init(RoleBook::builtin)
}

/// Reads a policy as the wizard does, naming what is wrong with it.
pub(crate) fn checked_policy(text: &str) -> ApiResult<Policy> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(ApiError::invalid("policy", format!("is longer than {MAX_POLICY_BYTES} bytes")));
    }
    if text.trim().is_empty() {
        return Err(ApiError::invalid("policy", "is empty; `parapet harden wizard -o FILE` writes one"));
    }
    Policy::read(text, book()).map_err(|e| ApiError::invalid("policy", e.0))
}

async fn group_id(state: &AppState, name: &str) -> ApiResult<i64> {
    Ok(state.store.group(name).await?.ok_or_else(|| ApiError::not_found("group"))?.id)
}

pub(crate) async fn group_policy(
    state: &AppState,
    caller: &Caller,
    group: &str,
) -> ApiResult<Option<GroupHardenPolicy>> {
    caller.require(Permission::ViewFleet)?;
    let id = group_id(state, group).await?;
    Ok(state.store.group_harden_policy(id).await?)
}

pub(crate) async fn set_group_policy(
    state: &AppState,
    caller: &Caller,
    group: &str,
    text: &str,
) -> ApiResult<GroupHardenPolicy> {
    caller.require(Permission::ManageFleet)?;
    let policy = checked_policy(text)?;
    let id = group_id(state, group).await?;
    let stored = state
        .store
        .set_group_harden_policy(id, text, &policy.to_toml(), &policy.digest(), &caller.actor(), state.clock.now())
        .await?;
    tracing::info!(group, digest = %stored.digest, "security configuration policy set");
    Ok(stored)
}

pub(crate) async fn clear_group_policy(state: &AppState, caller: &Caller, group: &str) -> ApiResult<bool> {
    caller.require(Permission::ManageFleet)?;
    let id = group_id(state, group).await?;
    Ok(state.store.clear_group_harden_policy(id, &caller.actor()).await?)
}

pub(crate) async fn host_harden(state: &AppState, caller: &Caller, host: &str) -> ApiResult<HostHarden> {
    super::host(state, caller, host).await?;
    Ok(state.store.host_harden(host).await?)
}

fn work_for(policy: &GroupHardenPolicy) -> JobWork {
    JobWork::HardenApply {
        policy: policy.canonical.clone(),
        digest: policy.digest.clone(),
        confirm_within_s: CONFIRM_WITHIN_S,
    }
}

/// Gives the host its group's policy again now (after a failed apply, a local rollback, or
/// drift to put right).
pub(crate) async fn apply_again(state: &AppState, caller: &Caller, host: &str) -> ApiResult<StoredJob> {
    let harden = host_harden(state, caller, host).await?;
    let Some(wanted) = harden.wanted else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_policy",
            "none of the host's groups has a security configuration policy",
        ));
    };
    super::malware::create(state, caller, host, work_for(&wanted)).await
}

/// The job planning gives a host whose group's policy it does not run yet (see
/// `Store::harden_due`).
pub(crate) async fn job_if_due(
    state: &AppState,
    host_id: &str,
    created_by: &str,
    now: OffsetDateTime,
) -> ApiResult<Option<StoredJob>> {
    let Some(policy) = state.store.harden_due(host_id).await? else { return Ok(None) };
    let (job, created) = state.store.create_work_job(host_id, &work_for(&policy), created_by, now).await?;
    Ok(created.then_some(job))
}

async fn group_policy_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let policy = group_policy(&state, &caller, &name).await?;
    Ok(axum::Json(policy.ok_or_else(|| ApiError::not_found("security configuration policy"))?))
}

/// The body is the policy file itself (`parapet harden wizard -o FILE`), as text.
async fn set_group_policy_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: String,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(set_group_policy(&state, &caller, &name, &body).await?))
}

async fn clear_group_policy_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    if clear_group_policy(&state, &caller, &name).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("security configuration policy"))
    }
}

async fn host_harden_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(host_harden(&state, &caller, &id).await?))
}

async fn apply_again_api(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let job = apply_again(&state, &caller, &id).await?;
    Ok((StatusCode::CREATED, axum::Json(job)).into_response())
}
