//! The update catalog over HTTP: browsing and searching it, the change feed downstream Parapet
//! servers replicate from, the catalog file for `parapet scan`, the sources it is synced from,
//! and the scheduler that syncs them. The operations are here; the API is in `api.rs` and the
//! console's pages in `pages.rs`.
//!
//! The catalog holds only what upstream sources published: nothing of this server's cases or
//! unpublished documents is in it, so reading it needs no sign-in. Sources (their URLs and keys)
//! are staff business: seeing them takes `ViewProducts`, changing them `ManageSources`.

pub mod api;
mod input;
pub mod pages;
mod scheduler;

use parapet_catalog::SourceSpec;
use parapet_model::Permission;
use parapet_store::{CatalogEntry, CatalogQuery, Page, ProblemDocument, StoredSource, SyncRun};
use serde_json::json;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
pub use scheduler::{PUBLISHED_SOURCE, ensure_published_source, scheduler};

pub(crate) async fn entries(state: &AppState, query: &CatalogQuery) -> ApiResult<Page<CatalogEntry>> {
    Ok(state.store.catalog_entries(query).await?)
}

pub(crate) async fn entry(state: &AppState, id: &str) -> ApiResult<CatalogEntry> {
    state.store.catalog_entry(id).await?.ok_or_else(|| ApiError::not_found("catalog entry"))
}

pub(crate) async fn sources(state: &AppState, caller: &Caller) -> ApiResult<Vec<StoredSource>> {
    caller.require(Permission::ViewProducts)?;
    Ok(state.store.sources().await?)
}

/// A source the caller may see.
pub(crate) async fn source(state: &AppState, caller: &Caller, name: &str) -> ApiResult<StoredSource> {
    caller.require(Permission::ViewProducts)?;
    state.store.source(name).await?.ok_or_else(|| ApiError::not_found("source"))
}

/// The last runs of a source, newest first.
pub(crate) async fn runs(state: &AppState, caller: &Caller, name: &str, limit: u32) -> ApiResult<Vec<SyncRun>> {
    let source = source(state, caller, name).await?;
    Ok(state.store.source_runs(source.id, limit).await?)
}

/// The source's documents taken although they fail mandatory CSAF tests (at most `limit`), and
/// how many there are.
pub(crate) async fn problems(
    state: &AppState,
    caller: &Caller,
    name: &str,
    limit: u32,
) -> ApiResult<(Vec<ProblemDocument>, u64)> {
    let source = source(state, caller, name).await?;
    Ok(state.store.problem_documents(source.id, limit).await?)
}

/// A source the caller may change.
async fn managed(state: &AppState, caller: &Caller, name: &str) -> ApiResult<StoredSource> {
    let source = source(state, caller, name).await?;
    caller.require(Permission::ManageSources)?;
    Ok(source)
}

pub(crate) async fn add_source(state: &AppState, caller: &Caller, spec: SourceSpec) -> ApiResult<StoredSource> {
    caller.require(Permission::ManageSources)?;
    let spec = checked(spec)?;
    Ok(state.store.add_source(&caller.actor(), &spec).await?)
}

pub(crate) async fn update_source(
    state: &AppState,
    caller: &Caller,
    name: &str,
    spec: SourceSpec,
) -> ApiResult<StoredSource> {
    managed(state, caller, name).await?;
    if spec.name != name {
        return Err(ApiError::invalid("name", "a source cannot be renamed"));
    }
    let spec = checked(spec)?;
    Ok(state.store.update_source(&caller.actor(), &spec).await?)
}

pub(crate) async fn remove_source(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    managed(state, caller, name).await?;
    Ok(state.store.remove_source(&caller.actor(), name).await?)
}

/// Asks for a sync at the scheduler's next pass (on whichever server claims it first).
pub(crate) async fn request_sync(state: &AppState, caller: &Caller, name: &str) -> ApiResult<()> {
    managed(state, caller, name).await?;
    Ok(state.store.request_sync(name).await?)
}

/// Checks a source a client wrote: the rules of [`SourceSpec`], readable keys, and a URL (a path
/// on the server's disk is for the command line, which runs there).
fn checked(spec: SourceSpec) -> ApiResult<SourceSpec> {
    if !parapet_catalog::source::is_http(&spec.url) {
        return Err(ApiError::invalid("url", "sources added through the API need an http or https URL"));
    }
    if let Err(e) = parapet_sync::Keyring::read(&spec.keys) {
        return Err(ApiError::invalid("keys", e));
    }
    spec.validate().map_err(|e| ApiError::invalid("source", e))?;
    Ok(spec)
}

/// A source as the API and the console show it: keys by fingerprint, never their text.
pub fn source_view(source: &StoredSource) -> serde_json::Value {
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
        "validation": spec.validation,
        "suites": spec.suites,
        "architectures": spec.architectures,
        "next_run_at": source.next_run_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
        "syncing": source.syncing,
        "last_run": source.last_run,
    })
}
