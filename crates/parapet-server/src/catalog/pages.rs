//! The console's update catalog: search and browse entries, a page per entry, the sources with
//! their status (each run's counts and rejections), adding a source and asking for a sync.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::{Value, context};
use parapet_catalog::{SourceSpec, SourceType};
use parapet_model::Permission;
use parapet_store::SyncRun;
use serde::Deserialize;

use super::input::EntryParams;
use crate::error::ApiError;
use crate::extract::{ConsoleForm, Empty, Params, SignedIn};
use crate::render::{PageResult, Pager, fmt_time, page, severity_options};
use crate::routes::{Routes, get, post};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/console/catalog", get(catalog))
        .page("/console/catalog/{id}", get(entry))
        .page("/console/sources", get(sources).post(add_source))
        .page("/console/sources/{name}", get(source))
        .page("/console/sources/{name}/sync", post(request_sync))
}

async fn catalog(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Params(params): Params<EntryParams>,
) -> PageResult {
    let query = params.to_query()?;
    let found = super::entries(&state, &query).await?;
    let sources: Vec<String> = if caller.viewer.can(Permission::ViewProducts) {
        super::sources(&state, &caller).await?.into_iter().map(|s| s.spec.name).collect()
    } else {
        Vec::new()
    };
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
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let (q, ecosystem, package, source, severity) =
        (text(&params.q), text(&params.ecosystem), text(&params.package), text(&params.source), text(&params.severity));
    let filters = [
        ("q", q.as_str()),
        ("ecosystem", &ecosystem),
        ("package", &package),
        ("source", &source),
        ("severity", &severity),
    ];
    let pager = Pager::numbered(found.page, found.per_page, found.total, "/console/catalog", &filters);
    let filter = context! { q, ecosystem, package, source, severity };
    page(
        &state,
        &caller,
        "catalog.html",
        "Update catalog",
        "catalog",
        context! { items, total => found.total, paging => pager, filter, sources, severities => severity_options() },
    )
}

async fn entry(State(state): State<AppState>, SignedIn(caller): SignedIn, Path(id): Path<String>) -> PageResult {
    let entry = super::entry(&state, &id).await?;
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
            context! {
                source => record.source, modified => record.modified, advisory => record.advisory, affected,
                problems => record.problems,
            }
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
        accepted_with_problems => run.counts.accepted_with_problems,
        rejections => run.rejections,
    }
}

fn schedule(minutes: u32) -> String {
    if minutes == 0 { "when asked".to_owned() } else { format!("every {minutes} minutes") }
}

async fn sources(State(state): State<AppState>, SignedIn(caller): SignedIn) -> PageResult {
    let sources: Vec<Value> = super::sources(&state, &caller)
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

async fn source(State(state): State<AppState>, SignedIn(caller): SignedIn, Path(name): Path<String>) -> PageResult {
    let source = super::source(&state, &caller, &name).await?;
    let runs: Vec<Value> = super::runs(&state, &caller, &name, 10).await?.iter().map(run_view).collect();
    let (problems, problem_total) = super::problems(&state, &caller, &name, 100).await?;
    let view = super::source_view(&source);
    page(
        &state,
        &caller,
        "source.html",
        &source.spec.name,
        "catalog",
        context! {
            source => view,
            runs,
            problems,
            problem_total,
            schedule => schedule(source.spec.interval_minutes),
            can_manage => caller.viewer.can(Permission::ManageSources),
        },
    )
}

#[derive(Deserialize)]
struct SourceForm {
    name: String,
    kind: String,
    url: String,
    #[serde(default)]
    interval_minutes: u32,
    #[serde(default)]
    key: String,
    #[serde(default)]
    allow_unsigned: Option<String>,
    #[serde(default)]
    validation: String,
}

async fn add_source(
    State(state): State<AppState>,
    ConsoleForm { caller, form }: ConsoleForm<SourceForm>,
) -> PageResult {
    let kind: SourceType = form.kind.parse().map_err(|e: String| ApiError::invalid("kind", e))?;
    let mut spec = SourceSpec::new(form.name.trim(), kind, form.url.trim());
    spec.interval_minutes = form.interval_minutes;
    spec.allow_unsigned = form.allow_unsigned.is_some();
    if !form.validation.is_empty() {
        spec.validation = form.validation.parse().map_err(|e: String| ApiError::invalid("validation", e))?;
    }
    if !form.key.trim().is_empty() {
        spec.keys.push(form.key.trim().to_owned());
    }
    let source = super::add_source(&state, &caller, spec).await?;
    Ok(Redirect::to(&format!("/console/sources/{}", source.spec.name)).into_response())
}

async fn request_sync(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ConsoleForm { caller, .. }: ConsoleForm<Empty>,
) -> PageResult {
    super::request_sync(&state, &caller, &name).await?;
    Ok(Redirect::to(&format!("/console/sources/{name}")).into_response())
}
