//! The console's update catalog: search and browse entries, a page per entry, the sources with
//! their status (each run's counts and rejections), adding a source and asking for a sync.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use minijinja::{Value, context};
use parapet_catalog::{SourceSpec, SourceType};
use parapet_model::Permission;
use parapet_store::SyncRun;
use serde::Deserialize;

use crate::api::Params;
use crate::auth::Caller;
use crate::catalog::EntryParams;
use crate::error::ApiError;
use crate::pages::{PageResult, fmt_time, page, severity_options, signed_in};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/catalog", get(catalog))
        .route("/console/catalog/{id}", get(entry))
        .route("/console/sources", get(sources).post(add_source))
        .route("/console/sources/{name}", get(source))
        .route("/console/sources/{name}/sync", post(request_sync))
}

async fn catalog(State(state): State<AppState>, caller: Caller, Params(params): Params<EntryParams>) -> PageResult {
    signed_in(&caller)?;
    let query = params.to_query()?;
    let found = state.store.catalog_entries(&query).await?;
    let sources: Vec<String> = state.store.sources().await?.into_iter().map(|s| s.spec.name).collect();
    let items: Vec<Value> = found
        .items
        .iter()
        .map(|entry| {
            let mut packages: Vec<String> = entry
                .records
                .iter()
                .flat_map(|r| r.advisory.affected.iter().map(|a| format!("{} ({})", a.package, a.ecosystem)))
                .collect();
            packages.sort();
            packages.dedup();
            let more = packages.len().saturating_sub(3);
            packages.truncate(3);
            let mut packages = packages.join(", ");
            if more > 0 {
                packages.push_str(&format!(" and {more} more"));
            }
            context! {
                id => entry.id,
                title => entry.title,
                severity => entry.severity.map(|s| s.as_str()),
                sources => entry.sources,
                packages,
            }
        })
        .collect();
    let pages = (found.total + i64::from(found.per_page) - 1) / i64::from(found.per_page);
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let filter = context! {
        q => text(&params.q),
        ecosystem => text(&params.ecosystem),
        package => text(&params.package),
        source => text(&params.source),
        severity => text(&params.severity),
    };
    page(
        &state,
        &caller,
        "catalog.html",
        "Update catalog",
        "catalog",
        context! { items, total => found.total, page => found.page, pages, filter, sources, severities => severity_options() },
    )
}

async fn entry(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> PageResult {
    signed_in(&caller)?;
    let entry = state.store.catalog_entry(&id).await?.ok_or_else(|| ApiError::not_found("catalog entry"))?;
    let records: Vec<Value> = entry
        .records
        .iter()
        .map(|record| {
            let affected: Vec<Value> = record
                .advisory
                .affected
                .iter()
                .map(|a| {
                    let ranges: Vec<String> = a
                        .ranges
                        .iter()
                        .flat_map(|r| r.events.iter().map(|e| serde_json::to_string(e).unwrap_or_default()))
                        .chain(a.versions.iter().cloned())
                        .collect();
                    context! {
                        ecosystem => a.ecosystem,
                        package => a.package,
                        status => serde_json::to_value(&a.status).ok(),
                        ranges => ranges.join(" "),
                        fixed => a.fixed.join(", "),
                    }
                })
                .collect();
            context! { source => record.source, modified => record.modified, advisory => record.advisory, affected }
        })
        .collect();
    let view = context! {
        id => entry.id,
        title => entry.title,
        aliases => entry.aliases,
        severity => entry.severity.map(|s| s.as_str()),
        records,
    };
    page(&state, &caller, "catalog_entry.html", &entry.id, "catalog", context! { entry => view })
}

fn run_view(run: &SyncRun) -> Value {
    let duration = run.duration_ms().map_or_else(|| "running".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
    context! {
        outcome => run.outcome,
        started => fmt_time(run.started_at),
        duration,
        error => run.error,
        new => run.counts.new,
        updated => run.counts.updated,
        unchanged => run.counts.unchanged,
        rejected => run.counts.rejected,
        withdrawn => run.counts.withdrawn,
        rejections => run.rejections,
    }
}

fn schedule(minutes: u32) -> String {
    if minutes == 0 { "when asked".to_owned() } else { format!("every {minutes} minutes") }
}

async fn sources(State(state): State<AppState>, caller: Caller) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewProducts)?;
    let sources: Vec<Value> = state
        .store
        .sources()
        .await?
        .iter()
        .map(|s| {
            context! {
                name => s.spec.name,
                kind => s.spec.kind.as_str(),
                url => s.spec.url,
                syncing => s.syncing,
                run => s.last_run.as_ref().map(run_view),
                schedule => schedule(s.spec.interval_minutes),
            }
        })
        .collect();
    let kinds: Vec<&str> = SourceType::ALL.iter().map(|k| k.as_str()).collect();
    page(
        &state,
        &caller,
        "sources.html",
        "Catalog sources",
        "catalog",
        context! { sources, kinds, can_manage => caller.viewer.can(Permission::ManageSources) },
    )
}

async fn source(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ViewProducts)?;
    let source = state.store.source(&name).await?.ok_or_else(|| ApiError::not_found("source"))?;
    let runs: Vec<Value> = state.store.source_runs(source.id, 10).await?.iter().map(run_view).collect();
    let view = crate::catalog::source_view(&source);
    page(
        &state,
        &caller,
        "source.html",
        &source.spec.name,
        "catalog",
        context! {
            source => view,
            runs,
            schedule => schedule(source.spec.interval_minutes),
            can_manage => caller.viewer.can(Permission::ManageSources),
        },
    )
}

#[derive(Deserialize)]
struct SourceForm {
    csrf: String,
    name: String,
    kind: String,
    url: String,
    #[serde(default)]
    interval_minutes: u32,
    #[serde(default)]
    key: String,
    #[serde(default)]
    allow_unsigned: Option<String>,
}

async fn add_source(State(state): State<AppState>, caller: Caller, Form(form): Form<SourceForm>) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ManageSources)?;
    caller.check_csrf(&form.csrf)?;
    let kind: SourceType = form.kind.parse().map_err(|e: String| ApiError::invalid("kind", e))?;
    let mut spec = SourceSpec::new(form.name.trim(), kind, form.url.trim());
    spec.interval_minutes = form.interval_minutes;
    spec.allow_unsigned = form.allow_unsigned.is_some();
    if !form.key.trim().is_empty() {
        spec.keys.push(form.key.trim().to_owned());
    }
    let spec = crate::catalog::checked(spec)?;
    let source = state.store.add_source(&caller.actor(), &spec).await?;
    Ok(Redirect::to(&format!("/console/sources/{}", source.spec.name)).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn request_sync(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    signed_in(&caller)?;
    caller.require(Permission::ManageSources)?;
    caller.check_csrf(&form.csrf)?;
    state.store.request_sync(&name).await?;
    Ok(Redirect::to(&format!("/console/sources/{name}")).into_response())
}
