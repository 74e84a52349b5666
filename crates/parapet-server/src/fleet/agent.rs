//! The agent protocol: `POST /api/v1/agent/enroll` with an enrollment secret, then
//! `POST /api/v1/agent/check-in` and `GET /api/v1/agent/config` with the host credential.
//!
//! The credential opens these routes and nothing else. A wrong, revoked or forged one gets 401
//! before anything is read or written; a report that breaks a rule gets 422 naming the field,
//! and the host's previous inventory stays as it was.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use parapet_model::{CheckIn, CheckInAnswer, Enroll, Enrolled, JobReport, Wanted};
use parapet_scan::collect::{self, OsRelease};
use parapet_store::{AgentHost, CheckInOutcome, CheckInWrite, Enrollment, NewHost, PlainCheckIn, ReportRecorded};

use super::{CREDENTIAL_PREFIX, compute};
use crate::auth::{digest, new_secret};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes(state: &AppState) -> Routes {
    Routes::new()
        .api("/api/v1/agent/enroll", post(enroll))
        .api("/api/v1/agent/check-in", post(check_in).body_limit(state.settings.fleet.max_check_in_bytes))
        .api("/api/v1/agent/config", get(config))
        .api("/api/v1/agent/jobs/{id}/report", post(report_job))
}

/// An agent, proved by its host credential.
pub struct AgentCaller {
    pub host: AgentHost,
}

fn refused(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
}

impl AgentCaller {
    async fn of(state: &AppState, credential: &Credential) -> Result<AgentCaller, ApiError> {
        let host =
            state.store.agent_host(&credential.hash).await?.ok_or_else(|| {
                refused("the host credential is unknown or the host is revoked; enroll the host again")
            })?;
        Ok(AgentCaller { host })
    }
}

impl FromRequestParts<AppState> for AgentCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AgentCaller, ApiError> {
        let credential = Credential::from_request_parts(parts, state).await?;
        AgentCaller::of(state, &credential).await
    }
}

/// The host credential an agent request carries, not yet looked up: its hash.
pub struct Credential {
    hash: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Credential {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Credential, ApiError> {
        let credential = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|c| c.starts_with(CREDENTIAL_PREFIX))
            .ok_or_else(|| refused("agent requests carry the host credential: \"Authorization: Bearer pph_…\""))?;
        Ok(Credential { hash: digest(credential) })
    }
}

async fn enroll(State(state): State<AppState>, Json(request): Json<Enroll>) -> ApiResult<Response> {
    request.validate()?;
    let credential = format!("{CREDENTIAL_PREFIX}{}", new_secret());
    let host = NewHost {
        id: format!("h_{}", uuid::Uuid::new_v4().simple()),
        hostname: request.hostname.clone(),
        tags: request.tags.clone(),
        credential_hash: digest(&credential),
    };
    match state.store.enroll_host(&digest(&request.secret), &host).await? {
        Enrollment::Enrolled { host_id, .. } => {
            tracing::info!(host = %host_id, hostname = %host.hostname, "host enrolled");
            let answer = Enrolled { host_id, credential, interval_seconds: state.settings.fleet.check_in_seconds };
            Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
        }
        Enrollment::Refused(reason) => {
            tracing::warn!(reason, hostname = %host.hostname, "enrollment refused");
            Err(refused("the enrollment secret is unknown, revoked, expired or used up"))
        }
    }
}

async fn check_in(
    State(state): State<AppState>,
    credential: Credential,
    report: Result<Json<CheckIn>, ApiError>,
) -> ApiResult<Response> {
    let report = report.and_then(|Json(report)| {
        report.validate()?;
        if let Some(packages) = &report.inventory
            && collect::inventory_digest(packages) != report.inventory_digest
        {
            return Err(ApiError::invalid("inventory_digest", "is not the digest of the inventory sent"));
        }
        let sequence = i64::try_from(report.sequence).map_err(|_| ApiError::invalid("sequence", "is too large"))?;
        Ok((report, sequence))
    });
    let rotation_ms = state.settings.fleet.credential_rotation_days.saturating_mul(86_400_000) as i64;
    // A credential rotated at or before this is due a new one.
    let rotated_after = state.clock.now() - time::Duration::milliseconds(rotation_ms);
    // Most check-ins change nothing: one statement takes them, proving the credential as it
    // goes, and anything more (or a refusal) falls through to the full path.
    if let Ok((report, sequence)) = &report
        && report.inventory.is_none()
        && report.harden.is_none()
    {
        let plain = PlainCheckIn {
            credential_hash: &credential.hash,
            sequence: *sequence,
            facts: &report.facts,
            digest: &report.inventory_digest,
            rotated_after,
        };
        if let Some(accepted) = state.store.plain_check_in(&plain).await? {
            let jobs = super::rollout::jobs_for(&state, &accepted.host_id, accepted.plan_at).await?;
            return Ok(axum::Json(CheckInAnswer {
                wanted: Wanted::Nothing,
                credential: None,
                interval_seconds: state.settings.fleet.check_in_seconds,
                packages: accepted.packages.max(0) as u64,
                security_updates: accepted.security_updates.max(0) as u64,
                jobs,
            })
            .into_response());
        }
    }
    // The credential is checked before the report is judged: a stranger learns nothing of it.
    let agent = AgentCaller::of(&state, &credential).await?;
    let (report, sequence) = report?;
    let os = OsRelease {
        id: report.facts.os.clone(),
        version_id: report.facts.os_version.clone(),
        codename: report.facts.os_codename.clone().unwrap_or_default(),
        pretty_name: String::new(),
    };
    let ecosystem = os.ecosystem().unwrap_or_default();
    // An agent still on the previous credential never got the current one: give it a new one.
    let new_credential = (agent.host.via_previous || agent.host.credential_rotated_at <= rotated_after)
        .then(|| format!("{CREDENTIAL_PREFIX}{}", new_secret()));
    let new_hash = new_credential.as_deref().map(digest);
    let write = CheckInWrite {
        host_id: &agent.host.id,
        sequence,
        facts: &report.facts,
        ecosystem: &ecosystem,
        digest: &report.inventory_digest,
        inventory: report.inventory.as_deref(),
        new_credential_hash: new_hash.as_deref(),
        via_previous: agent.host.via_previous,
        harden: report.harden.as_ref(),
    };
    match state.store.record_check_in(&write).await? {
        CheckInOutcome::Accepted { wanted, inventory_id, uncomputed, packages, mut security_updates, plan_at } => {
            if !uncomputed.is_empty() {
                // The host's own check-in computes what nobody has computed yet; the worker
                // catches up if this server stops first.
                compute(&state, &uncomputed).await?;
                if let Some(id) = inventory_id {
                    security_updates = state.store.inventory_security_updates(id).await?;
                }
            }
            // Jobs wait for the inventory the server asked for: planning reads it.
            let jobs = if wanted == Wanted::Nothing {
                super::rollout::jobs_for(&state, &agent.host.id, plan_at).await?
            } else {
                Vec::new()
            };
            let answer = CheckInAnswer {
                wanted,
                credential: new_credential,
                interval_seconds: state.settings.fleet.check_in_seconds,
                packages: packages.max(0) as u64,
                security_updates: security_updates.max(0) as u64,
                jobs,
            };
            Ok(axum::Json(answer).into_response())
        }
        CheckInOutcome::Replayed { last } => {
            tracing::warn!(host = %agent.host.id, sequence, last, "check-in replayed: the credential may be cloned");
            Err(ApiError::new(
                StatusCode::CONFLICT,
                "replayed",
                format!(
                    "check-in {sequence} is not after {last}: this host's credential is in use on another machine, \
                     or the check-in was replayed; the host is flagged"
                ),
            ))
        }
        CheckInOutcome::Revoked => Err(refused("the host is revoked")),
    }
}

/// What the server wants of this agent; later, its jobs too.
async fn config(State(state): State<AppState>, agent: AgentCaller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(serde_json::json!({
        "host_id": agent.host.id,
        "interval_seconds": state.settings.fleet.check_in_seconds,
        "jobs": [],
    })))
}

/// An agent's report of one of its host's jobs. A report of a job that is over already (sent
/// again after a lost answer) is taken without changing anything.
async fn report_job(
    State(state): State<AppState>,
    agent: AgentCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
    Json(report): Json<JobReport>,
) -> ApiResult<impl IntoResponse> {
    let id = crate::extract::Id::parse(&id).get("job")?;
    report.validate()?;
    let recorded = state.store.record_job_report(&agent.host.id, id, &report, state.clock.now()).await;
    match recorded {
        Ok(ReportRecorded::Recorded) => {
            tracing::info!(host = %agent.host.id, job = id, outcome = report.outcome.as_str(), "job reported");
            Ok(axum::Json(serde_json::json!({"job": id, "recorded": true})))
        }
        Ok(ReportRecorded::AlreadyFinished(state)) => {
            Ok(axum::Json(serde_json::json!({"job": id, "recorded": false, "state": state})))
        }
        Err(parapet_store::StoreError::NotFound(_)) => Err(ApiError::not_found("job")),
        Err(e) => Err(e.into()),
    }
}
