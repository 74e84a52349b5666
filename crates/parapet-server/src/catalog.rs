//! The update catalog over HTTP: browsing and searching it (`/api/v1/catalog/...`), the change
//! feed downstream Parapet servers replicate from, the catalog file for `parapet scan`, the
//! sources it is synced from (`/api/v1/sources`), and the scheduler that syncs them.
//!
//! The catalog holds only what upstream sources published: nothing of this server's cases or
//! unpublished documents is in it, so reading it needs no sign-in. Sources (their URLs and keys)
//! are staff business.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parapet_catalog::SourceSpec;
use parapet_model::{Permission, Severity};
use parapet_store::{CatalogQuery, FeedCursor, UpdateQuery};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

use crate::api::Params;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalog/advisories", get(entries))
        .route("/api/v1/catalog/advisories/{id}", get(entry))
        .route("/api/v1/catalog/updates", get(updates))
        .route("/api/v1/catalog/changes", get(changes))
        .route("/api/v1/catalog/file", get(file))
        .route("/api/v1/sources", get(sources).post(add_source))
        .route("/api/v1/sources/{name}", get(source).put(update_source).delete(remove_source))
        .route("/api/v1/sources/{name}/sync", post(request_sync))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EntryParams {
    pub q: Option<String>,
    pub ecosystem: Option<String>,
    pub package: Option<String>,
    /// A package URL: its ecosystem and name, in place of `ecosystem` and `package`.
    pub purl: Option<String>,
    pub source: Option<String>,
    pub severity: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl EntryParams {
    pub fn to_query(&self) -> ApiResult<CatalogQuery> {
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=200).contains(&per_page) {
            return Err(ApiError::invalid("per_page", "must be between 1 and 200"));
        }
        let min_severity =
            self.severity.as_deref().filter(|s| !s.is_empty()).map(str::parse::<Severity>).transpose()?;
        let text = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        let (mut ecosystem, mut package) = (text(&self.ecosystem), text(&self.package));
        if let Some(purl) = text(&self.purl) {
            let purl = parapet_versions::purl::parse(purl.trim()).map_err(|e| ApiError::invalid("purl", e))?;
            let name =
                purl.package_name().ok_or_else(|| ApiError::invalid("purl", "the package URL names no package"))?;
            ecosystem = Some(purl.ecosystem().unwrap_or_else(|| purl.ty.clone()));
            package = Some(name);
        }
        Ok(CatalogQuery {
            text: text(&self.q),
            ecosystem,
            package,
            source: text(&self.source),
            min_severity,
            page: self.page.unwrap_or(1).max(1),
            per_page,
        })
    }
}

async fn entries(State(state): State<AppState>, Params(params): Params<EntryParams>) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(state.store.catalog_entries(&params.to_query()?).await?))
}

async fn entry(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let entry = state.store.catalog_entry(&id).await?.ok_or_else(|| ApiError::not_found("catalog entry"))?;
    Ok(axum::Json(entry))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UpdateParams {
    ecosystem: Option<String>,
    package: Option<String>,
    superseded: Option<bool>,
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn updates(State(state): State<AppState>, Params(params): Params<UpdateParams>) -> ApiResult<impl IntoResponse> {
    let per_page = params.per_page.unwrap_or(100);
    if !(1..=1000).contains(&per_page) {
        return Err(ApiError::invalid("per_page", "must be between 1 and 1000"));
    }
    let query = UpdateQuery {
        ecosystem: params.ecosystem,
        package: params.package,
        include_superseded: params.superseded.unwrap_or(false),
        page: params.page.unwrap_or(1).max(1),
        per_page,
    };
    Ok(axum::Json(state.store.catalog_updates(&query).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ChangeParams {
    cursor: Option<String>,
    limit: Option<u32>,
}

/// The change feed: rows changed after the cursor, in commit order. A downstream server sends
/// back the cursor of the page it applied.
async fn changes(State(state): State<AppState>, Params(params): Params<ChangeParams>) -> ApiResult<impl IntoResponse> {
    let cursor = FeedCursor::decode(params.cursor.as_deref().unwrap_or(""))
        .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this server gave"))?;
    let limit = params.limit.unwrap_or(500);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 5000"));
    }
    Ok(axum::Json(state.store.catalog_changes(cursor, limit).await?))
}

/// The catalog as the file `parapet scan --catalog` reads.
async fn file(State(state): State<AppState>) -> ApiResult<Response> {
    let now = state.clock.now().format(&time::format_description::well_known::Rfc3339).map_err(ApiError::internal)?;
    let catalog = state.store.catalog_snapshot(now).await?;
    let bytes = tokio::task::spawn_blocking(move || parapet_catalog::file::to_bytes(&catalog))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"catalog.ppc\""),
        ],
        bytes,
    )
        .into_response())
}

async fn sources(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewProducts)?;
    let sources = state.store.sources().await?;
    Ok(axum::Json(json!({"items": sources.iter().map(source_view).collect::<Vec<_>>()})))
}

async fn source(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ViewProducts)?;
    let source = state.store.source(&name).await?.ok_or_else(|| ApiError::not_found("source"))?;
    let runs = state.store.source_runs(source.id, 10).await?;
    let mut view = source_view(&source);
    view["runs"] = serde_json::to_value(&runs).map_err(ApiError::internal)?;
    Ok(axum::Json(view))
}

/// A source as the API shows it: keys by fingerprint, never their text.
pub fn source_view(source: &parapet_store::StoredSource) -> serde_json::Value {
    let spec = &source.spec;
    let fingerprints = parapet_sync::Keyring::read(&spec.keys).map(|k| k.fingerprints()).unwrap_or_default();
    json!({
        "name": spec.name,
        "kind": spec.kind,
        "url": spec.url,
        "interval_minutes": spec.interval_minutes,
        "products": spec.products,
        "ecosystems": spec.ecosystems,
        "keys": fingerprints,
        "allow_unsigned": spec.allow_unsigned,
        "suites": spec.suites,
        "architectures": spec.architectures,
        "next_run_at": source.next_run_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
        "syncing": source.syncing,
        "last_run": source.last_run,
    })
}

/// Checks a source a client wrote: the rules of [`SourceSpec`], readable keys, and a URL (a path
/// on the server's disk is for the command line, which runs there).
pub(crate) fn checked(spec: SourceSpec) -> ApiResult<SourceSpec> {
    if !parapet_catalog::source::is_http(&spec.url) {
        return Err(ApiError::invalid("url", "sources added through the API need an http or https URL"));
    }
    if let Err(e) = parapet_sync::Keyring::read(&spec.keys) {
        return Err(ApiError::invalid("keys", e));
    }
    spec.validate().map_err(|e| ApiError::invalid("source", e))?;
    Ok(spec)
}

async fn add_source(
    State(state): State<AppState>,
    caller: Caller,
    Json(spec): Json<SourceSpec>,
) -> ApiResult<Response> {
    caller.require(Permission::ManageSources)?;
    let spec = checked(spec)?;
    let source = state.store.add_source(&caller.actor(), &spec).await?;
    Ok((StatusCode::CREATED, axum::Json(source_view(&source))).into_response())
}

async fn update_source(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(spec): Json<SourceSpec>,
) -> ApiResult<impl IntoResponse> {
    caller.require(Permission::ManageSources)?;
    if spec.name != name {
        return Err(ApiError::invalid("name", "a source cannot be renamed"));
    }
    let spec = checked(spec)?;
    let source = state.store.update_source(&caller.actor(), &spec).await?;
    Ok(axum::Json(source_view(&source)))
}

async fn remove_source(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Permission::ManageSources)?;
    state.store.remove_source(&caller.actor(), &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asks for a sync at the scheduler's next pass (on whichever server claims it first).
async fn request_sync(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    caller.require(Permission::ManageSources)?;
    state.store.request_sync(&name).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(json!({"queued": name}))).into_response())
}

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
