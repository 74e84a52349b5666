//! The catalog API: `/api/v1/catalog/...` (public reads, the change feed, the catalog file) and
//! `/api/v1/sources` (staff).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use parapet_catalog::SourceSpec;
use parapet_store::{FeedCursor, UpdateQuery};
use serde::Deserialize;
use serde_json::json;

use super::input::EntryParams;
use super::source_view;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Params};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/catalog/advisories", get(entries))
        .api("/api/v1/catalog/advisories/{id}", get(entry))
        .api("/api/v1/catalog/updates", get(updates))
        .api("/api/v1/catalog/changes", get(changes))
        .api("/api/v1/catalog/file", get(file))
        .api("/api/v1/sources", get(sources).post(add_source))
        .api("/api/v1/sources/{name}", get(source).put(update_source).delete(remove_source))
        .api("/api/v1/sources/{name}/sync", post(request_sync))
}

async fn entries(State(state): State<AppState>, Params(params): Params<EntryParams>) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::entries(&state, &params.to_query()?).await?))
}

async fn entry(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(super::entry(&state, &id).await?))
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
    let sources = super::sources(&state, &caller).await?;
    Ok(axum::Json(json!({"items": sources.iter().map(source_view).collect::<Vec<_>>()})))
}

async fn source(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let source = super::source(&state, &caller, &name).await?;
    let runs = super::runs(&state, &caller, &name, 10).await?;
    let (problems, total) = super::problems(&state, &caller, &name, 100).await?;
    let mut view = source_view(&source);
    view["runs"] = serde_json::to_value(&runs).map_err(ApiError::internal)?;
    view["accepted_with_problems"] = json!({"total": total, "documents": problems});
    Ok(axum::Json(view))
}

async fn add_source(
    State(state): State<AppState>,
    caller: Caller,
    Json(spec): Json<SourceSpec>,
) -> ApiResult<Response> {
    let source = super::add_source(&state, &caller, spec).await?;
    Ok((StatusCode::CREATED, axum::Json(source_view(&source))).into_response())
}

async fn update_source(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(spec): Json<SourceSpec>,
) -> ApiResult<impl IntoResponse> {
    Ok(axum::Json(source_view(&super::update_source(&state, &caller, &name, spec).await?)))
}

async fn remove_source(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    super::remove_source(&state, &caller, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn request_sync(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    super::request_sync(&state, &caller, &name).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(json!({"queued": name}))).into_response())
}
