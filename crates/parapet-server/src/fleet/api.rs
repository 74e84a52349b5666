//! The fleet's staff API under `/api/v1/fleet/…`: enrollment secrets, hosts, groups, and the
//! reports (needed updates, status per group, exposure), in JSON or CSV.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use parapet_store::{HostPackage, HostQuery, HostSummary};
use serde::Deserialize;
use serde_json::json;

use super::approvals::{self, ApprovalInput, RingInput, RolloutInput, RuleInput};
use super::{GroupInput, SecretInput};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Id, Json, Params};
use crate::routes::{Routes, get, post, put};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/fleet/enrollment-secrets", get(secrets).post(create_secret))
        .api("/api/v1/fleet/enrollment-secrets/{id}/revoke", post(revoke_secret))
        .api("/api/v1/fleet/hosts", get(hosts))
        .api("/api/v1/fleet/hosts/{id}", get(host))
        .api("/api/v1/fleet/hosts/{id}/packages", get(packages))
        .api("/api/v1/fleet/hosts/{id}/updates", get(updates))
        .api("/api/v1/fleet/hosts/{id}/check-ins", get(check_ins))
        .api("/api/v1/fleet/hosts/{id}/revoke", post(revoke_host))
        .api("/api/v1/fleet/hosts/{id}/groups/{group}", put(join).delete(leave))
        .api("/api/v1/fleet/groups", get(groups).post(create_group))
        .api("/api/v1/fleet/groups/{name}", put(update_group).delete(delete_group))
        .api("/api/v1/fleet/advisories/{id}/exposure", get(exposure))
        .api("/api/v1/fleet/advisories/{id}/status", get(advisory_status))
        .api("/api/v1/fleet/packages/{name}/status", get(update_status))
        .api("/api/v1/fleet/updates", get(fleet_updates))
        .api("/api/v1/fleet/updates/{id}", get(fleet_update))
        .api("/api/v1/fleet/updates/{id}/jobs", get(update_jobs))
        .api("/api/v1/fleet/approvals", post(approve))
        .api("/api/v1/fleet/rules", get(rules).post(create_rule))
        .api("/api/v1/fleet/rules/{name}", put(update_rule).delete(delete_rule))
        .api("/api/v1/fleet/rings", get(rings).post(create_ring))
        .api("/api/v1/fleet/rings/{name}", put(update_ring).delete(delete_ring))
        .api("/api/v1/fleet/ring-progress", get(ring_progress))
        .api("/api/v1/fleet/groups/{name}/rollout", get(group_rollout).put(set_group_rollout))
        .api("/api/v1/fleet/hosts/{id}/jobs", get(host_jobs))
        .api("/api/v1/fleet/jobs/{id}", get(job))
        .api("/api/v1/fleet/jobs/{id}/rollback", post(rollback))
        .api("/api/v1/fleet/jobs/{id}/cancel", post(cancel))
        .api("/api/v1/fleet/remediation", get(remediation_stats))
}

async fn secrets(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    let now = state.clock.now();
    let items: Vec<_> = super::secrets(&state, &caller)
        .await?
        .into_iter()
        .map(|s| {
            let status = s.state(now);
            let mut value = serde_json::to_value(s).unwrap_or_default();
            value["state"] = json!(status);
            value
        })
        .collect();
    Ok(axum::Json(json!({ "items": items })))
}

async fn create_secret(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<SecretInput>,
) -> ApiResult<Response> {
    let (stored, secret) = super::create_secret(&state, &caller, input).await?;
    let mut value = serde_json::to_value(&stored).map_err(ApiError::internal)?;
    // Shown this once; only its digest is kept.
    value["secret"] = json!(secret);
    Ok((StatusCode::CREATED, axum::Json(value)).into_response())
}

async fn revoke_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = Id::parse(&id).get("enrollment secret")?;
    Ok(axum::Json(super::revoke_secret(&state, &caller, id).await?))
}

/// The hosts list's filters, as the console's form and the API take them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostParams {
    pub q: Option<String>,
    pub group: Option<String>,
    pub os: Option<String>,
    pub needs_security_updates: Option<bool>,
    pub reboot_required: Option<bool>,
    pub stale: Option<bool>,
    pub revoked: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

impl HostParams {
    pub fn to_query(&self) -> ApiResult<HostQuery> {
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=1000).contains(&per_page) {
            return Err(ApiError::invalid("per_page", "must be between 1 and 1000"));
        }
        let blank = |v: &Option<String>| v.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(HostQuery {
            search: blank(&self.q),
            group: blank(&self.group),
            os: blank(&self.os),
            needs_security_updates: self.needs_security_updates,
            reboot_required: self.reboot_required,
            stale: self.stale,
            include_revoked: self.revoked.unwrap_or(false),
            stale_after_ms: 0,
            page: self.page.unwrap_or(1).max(1),
            per_page,
        })
    }
}

enum Format {
    Json,
    Csv,
}

fn format(value: &Option<String>) -> ApiResult<Format> {
    match value.as_deref() {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some(other) => Err(ApiError::invalid("format", format!("{other:?} is neither \"json\" nor \"csv\""))),
    }
}

fn csv_response(name: &str, rows: Vec<Vec<String>>) -> ApiResult<Response> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
        ],
        bytes,
    )
        .into_response())
}

fn time_text(t: Option<time::OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default()
}

async fn hosts(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<HostParams>,
) -> ApiResult<Response> {
    let format = format(&params.format)?;
    let mut query = params.to_query()?;
    if matches!(format, Format::Csv) {
        query.per_page = 1000;
        let mut rows = vec![host_header()];
        loop {
            let page = super::hosts(&state, &caller, query.clone()).await?;
            let done = (query.page as i64) * i64::from(query.per_page) >= page.total;
            rows.extend(page.items.iter().map(host_row));
            if done {
                break;
            }
            query.page += 1;
        }
        return csv_response("hosts", rows);
    }
    Ok(axum::Json(super::hosts(&state, &caller, query).await?).into_response())
}

fn host_header() -> Vec<String> {
    [
        "id",
        "hostname",
        "os",
        "os_version",
        "arch",
        "groups",
        "last_seen_at",
        "stale",
        "reboot_required",
        "packages",
        "security_updates",
        "other_updates",
        "vulnerabilities",
        "severity",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn host_row(h: &HostSummary) -> Vec<String> {
    vec![
        h.id.clone(),
        h.hostname.clone(),
        h.os.clone(),
        h.os_version.clone(),
        h.arch.clone(),
        h.groups.join(";"),
        time_text(h.last_seen_at),
        h.stale.to_string(),
        h.reboot_required.to_string(),
        h.packages.to_string(),
        h.security_updates.to_string(),
        h.other_updates.to_string(),
        h.vulnerabilities.to_string(),
        h.severity.map(|s| s.as_str().to_owned()).unwrap_or_default(),
    ]
}

async fn host(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::host(&state, &caller, &id).await?))
}

async fn packages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({ "items": super::host_packages(&state, &caller, &id).await? })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatParams {
    format: Option<String>,
}

/// The updates a host needs and its vulnerabilities without a fix.
async fn updates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<FormatParams>,
) -> ApiResult<Response> {
    let format = format(&params.format)?;
    let needed = super::needed(&state, &caller, &id).await?;
    match format {
        Format::Json => {
            let updates: Vec<&HostPackage> = needed.iter().filter(|p| p.update_version.is_some()).collect();
            let vulnerable: Vec<&HostPackage> = needed.iter().filter(|p| p.update_version.is_none()).collect();
            Ok(axum::Json(json!({ "updates": updates, "vulnerable": vulnerable })).into_response())
        }
        Format::Csv => {
            let mut rows = vec![
                ["package", "arch", "installed", "candidate", "classification", "severity", "advisories"]
                    .map(str::to_owned)
                    .to_vec(),
            ];
            for p in &needed {
                let ids: Vec<&str> = p.findings.iter().flat_map(|f| f.ids.iter().map(String::as_str)).collect();
                rows.push(vec![
                    p.name.clone(),
                    p.arch.clone(),
                    p.version.clone(),
                    p.update_version.clone().unwrap_or_default(),
                    p.classification.clone().unwrap_or_default(),
                    p.severity.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    ids.join(" "),
                ]);
            }
            csv_response(&format!("{id}-updates"), rows)
        }
    }
}

async fn check_ins(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({ "items": super::check_ins(&state, &caller, &id).await? })))
}

async fn revoke_host(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    super::revoke_host(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn join(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    super::assign(&state, &caller, &id, &group, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn leave(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    super::assign(&state, &caller, &id, &group, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn groups(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({ "items": super::groups(&state, &caller).await? })))
}

async fn create_group(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<GroupInput>,
) -> ApiResult<Response> {
    let group = super::create_group(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, axum::Json(group)).into_response())
}

async fn update_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(input): Json<GroupInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::update_group(&state, &caller, &name, input).await?))
}

async fn delete_group(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    super::delete_group(&state, &caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn exposure(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Params(params): Params<FormatParams>,
) -> ApiResult<Response> {
    let format = format(&params.format)?;
    let exposure = super::exposure(&state, &caller, &id).await?;
    match format {
        Format::Json => {
            let mut value = serde_json::to_value(&exposure).map_err(ApiError::internal)?;
            value["remediation"] =
                serde_json::to_value(super::remediation(&state, &caller, &id).await?).map_err(ApiError::internal)?;
            Ok(axum::Json(value).into_response())
        }
        Format::Csv => {
            let mut rows = vec![["host", "hostname", "package", "installed", "update"].map(str::to_owned).to_vec()];
            rows.extend(exposure.hosts.iter().map(|h| {
                vec![
                    h.id.clone(),
                    h.hostname.clone(),
                    h.package.clone(),
                    h.installed.clone(),
                    h.update_version.clone().unwrap_or_default(),
                ]
            }));
            csv_response(&format!("{id}-exposure"), rows)
        }
    }
}

async fn advisory_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::advisory_status(&state, &caller, &id).await?))
}

async fn update_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::update_status(&state, &caller, &name).await?))
}

/// The updates list's filters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateParams {
    pub q: Option<String>,
    pub classification: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl UpdateParams {
    pub fn to_query(&self) -> ApiResult<parapet_store::FleetUpdateQuery> {
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=500).contains(&per_page) {
            return Err(ApiError::invalid("per_page", "must be between 1 and 500"));
        }
        if let Some(class) = &self.classification
            && !["security", "critical", "bugfix", "unclassified"].contains(&class.as_str())
        {
            return Err(ApiError::invalid(
                "classification",
                format!("{class:?} is not security, critical, bugfix or unclassified"),
            ));
        }
        Ok(parapet_store::FleetUpdateQuery {
            q: self.q.clone(),
            classification: self.classification.clone(),
            page: self.page.unwrap_or(1).max(1),
            per_page,
        })
    }
}

async fn fleet_updates(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<UpdateParams>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(approvals::updates(&state, &caller, params.to_query()?).await?))
}

async fn fleet_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = Id::parse(&id).get("update")?;
    Ok(axum::Json(approvals::update(&state, &caller, id).await?))
}

async fn update_jobs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id = Id::parse(&id).get("update")?;
    Ok(axum::Json(json!({ "items": approvals::update_jobs(&state, &caller, id).await? })))
}

async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ApprovalInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(approvals::approve(&state, &caller, input).await?))
}

async fn rules(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({ "items": approvals::rules(&state, &caller).await? })))
}

async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<RuleInput>,
) -> ApiResult<Response> {
    let rule = approvals::create_rule(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, axum::Json(rule)).into_response())
}

async fn update_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(input): Json<RuleInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(approvals::update_rule(&state, &caller, &name, input).await?))
}

async fn delete_rule(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<StatusCode> {
    approvals::delete_rule(&state, &caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rings(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({ "items": approvals::rings(&state, &caller).await? })))
}

async fn ring_progress(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({ "items": approvals::ring_progress(&state, &caller).await? })))
}

async fn create_ring(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<RingInput>,
) -> ApiResult<Response> {
    let ring = approvals::create_ring(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, axum::Json(ring)).into_response())
}

async fn update_ring(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(input): Json<RingInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(approvals::update_ring(&state, &caller, &name, input).await?))
}

async fn delete_ring(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<StatusCode> {
    approvals::delete_ring(&state, &caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn group_rollout(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let all = approvals::group_rollouts(&state, &caller).await?;
    Ok(axum::Json(all.into_iter().find(|g| g.name == name).ok_or_else(|| ApiError::not_found("group"))?))
}

async fn set_group_rollout(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(input): Json<RolloutInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(approvals::set_group_rollout(&state, &caller, &name, input).await?))
}

async fn host_jobs(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(json!({ "items": approvals::host_jobs(&state, &caller, &id).await? })))
}

async fn job(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let id = Id::parse(&id).get("job")?;
    Ok(axum::Json(approvals::job(&state, &caller, id).await?))
}

async fn rollback(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let id = Id::parse(&id).get("job")?;
    let job = approvals::rollback(&state, &caller, id).await?;
    Ok((StatusCode::CREATED, axum::Json(job)).into_response())
}

async fn cancel(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let id = Id::parse(&id).get("job")?;
    Ok(axum::Json(approvals::cancel(&state, &caller, id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RemediationParams {
    days: Option<u32>,
    format: Option<String>,
}

/// The fleet's times to remediation: median and 90th percentile, per group and per severity.
async fn remediation_stats(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<RemediationParams>,
) -> ApiResult<Response> {
    let format = format(&params.format)?;
    let stats = super::remediation_stats(&state, &caller, params.days.unwrap_or(90)).await?;
    match format {
        Format::Json => Ok(axum::Json(stats).into_response()),
        Format::Csv => {
            let mut rows = vec![["by", "name", "updates", "median_seconds", "p90_seconds"].map(str::to_owned).to_vec()];
            let line = |by: &str, f: &parapet_store::RemediationFigure| {
                let text = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
                vec![by.to_owned(), f.name.clone(), f.count.to_string(), text(f.median_seconds), text(f.p90_seconds)]
            };
            rows.push(line("all", &stats.overall));
            rows.extend(stats.groups.iter().map(|f| line("group", f)));
            rows.extend(stats.severities.iter().map(|f| line("severity", f)));
            csv_response("remediation", rows)
        }
    }
}
