//! The security update guide: the public portal of published documents. A list to search and
//! filter (product, severity, CVE, kind, date, monthly release), a page per document, per CVE and
//! per monthly release, and each document's OSV and CVE records.
//!
//! Every page reads `publications` only (published revisions), and a document page renders the
//! CSAF file as published, so an imported document and one written here look alike.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use parapet_model::{Document, DocumentKind, Severity};
use parapet_store::{DocumentQuery, StoreError};
use serde::Deserialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use time::{Date, OffsetDateTime};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Params;
use crate::render::{PageResult, Pager, fmt_time, page, severity_options};
use crate::routes::{Routes, get};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .page("/security-updates", get(list))
        .page("/documents/{id}", get(document))
        .page("/documents/{id}/osv.json", get(osv))
        .page("/documents/{id}/cve.json", get(cve_records))
        .page("/cve/{cve}", get(cve))
        .page("/releases", get(releases))
        .page("/releases/{month}", get(release))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct GuideParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    cve: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    kind: String,
    /// YYYY-MM-DD, inclusive.
    #[serde(default)]
    from: String,
    /// YYYY-MM-DD, inclusive.
    #[serde(default)]
    until: String,
    #[serde(default)]
    page: Option<u32>,
}

fn day(field: &'static str, value: &str) -> Result<Option<OffsetDateTime>, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    Date::parse(value, time::macros::format_description!("[year]-[month]-[day]"))
        .map(|d| Some(d.midnight().assume_utc()))
        .map_err(|_| ApiError::invalid(field, format!("{value:?} is not a date (YYYY-MM-DD)")))
}

fn row(p: &parapet_model::Publication) -> Value {
    context! {
        id => p.document_id,
        title => p.title,
        kind => p.kind.as_str(),
        kind_label => p.kind.label(),
        version => p.version,
        severity => p.severity.map(|s| s.as_str()),
        severity_label => p.severity.map(|s| s.label()),
        released => fmt_time(p.current_release),
        initial => fmt_time(p.initial_release),
        release_month => p.release_month,
        status => p.status,
        cves => p.cves,
        label => p.label,
    }
}

async fn list(State(state): State<AppState>, caller: Caller, Params(params): Params<GuideParams>) -> PageResult {
    let severity = match params.severity.as_str() {
        "" => None,
        s => Some(s.parse::<Severity>()?),
    };
    let kind = match params.kind.as_str() {
        "" => None,
        k => Some(k.parse::<DocumentKind>()?),
    };
    let query = DocumentQuery {
        text: Some(params.q.clone()),
        product: Some(params.product.clone()),
        cve: Some(params.cve.clone()),
        severity,
        kind,
        from: day("from", &params.from)?,
        until: day("until", &params.until)?.map(|d| d + time::Duration::days(1)),
        release_month: None,
        page: params.page.unwrap_or(1),
        per_page: 50,
    };
    let found = state.store.published_documents(&caller.viewer, &query).await?;
    let items: Vec<Value> = found.items.iter().map(row).collect();
    let filters = [
        ("q", params.q.as_str()),
        ("product", &params.product),
        ("cve", &params.cve),
        ("severity", &params.severity),
        ("kind", &params.kind),
        ("from", &params.from),
        ("until", &params.until),
    ];
    let pager = Pager::numbered(found.page, found.per_page, found.total, "/security-updates", &filters);
    let months = state.store.release_months(&caller.viewer).await?;
    page(
        &state,
        &caller,
        "guide.html",
        "Security update guide",
        "guide",
        context! {
            items, total => found.total, paging => pager,
            filter => context! {
                q => params.q, product => params.product, cve => params.cve, severity => params.severity,
                kind => params.kind, from => params.from, until => params.until,
            },
            severities => severity_options(),
            months,
        },
    )
}

/// Product IDs to full names, from a CSAF product tree (leaves, full product names and
/// relationships).
fn product_names(csaf: &Json) -> HashMap<String, String> {
    fn walk(node: &Json, out: &mut HashMap<String, String>) {
        match node {
            Json::Object(map) => {
                for (key, value) in map {
                    if matches!(key.as_str(), "product" | "full_product_name")
                        && let (Some(id), Some(name)) =
                            (value.get("product_id").and_then(Json::as_str), value.get("name").and_then(Json::as_str))
                    {
                        out.insert(id.to_owned(), name.to_owned());
                    }
                    walk(value, out);
                }
            }
            Json::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut names = HashMap::new();
    if let Some(tree) = csaf.get("product_tree") {
        walk(tree, &mut names);
    }
    names
}

fn str_of<'a>(value: &'a Json, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Json::as_str)
}

fn items(value: Option<&Json>) -> impl Iterator<Item = &Json> {
    value.and_then(Json::as_array).into_iter().flatten()
}

fn name_list(names: &HashMap<String, String>, ids: Option<&Json>) -> Vec<String> {
    let mut list: Vec<String> =
        items(ids).filter_map(Json::as_str).map(|id| names.get(id).cloned().unwrap_or_else(|| id.to_owned())).collect();
    list.sort();
    list.dedup();
    list
}

fn notes(value: Option<&Json>) -> Vec<Value> {
    items(value)
        .map(|n| context! { category => str_of(n, "/category"), title => str_of(n, "/title"), text => str_of(n, "/text") })
        .collect()
}

/// Links are shown only when they are web links: a CSAF file could hold `javascript:` URLs.
fn web_link(url: Option<&str>) -> Option<&str> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

/// "Names (organization)" per acknowledgment.
fn acknowledgments(value: Option<&Json>) -> Vec<String> {
    items(value)
        .map(|a| {
            let names: Vec<&str> = items(a.get("names")).filter_map(Json::as_str).collect();
            match str_of(a, "/organization") {
                Some(org) if names.is_empty() => org.to_owned(),
                Some(org) => format!("{} ({org})", names.join(", ")),
                None => names.join(", "),
            }
        })
        .filter(|a| !a.is_empty())
        .collect()
}

/// One vulnerability of a CSAF file, for a page.
fn vulnerability_view(names: &HashMap<String, String>, v: &Json) -> Value {
    let scores: Vec<Value> = items(v.get("scores"))
        .filter_map(|s| s.get("cvss_v3").or_else(|| s.get("cvss_v2")))
        .map(|c| {
            context! {
                vector => str_of(c, "/vectorString"),
                score => c.get("baseScore").map(|s| s.to_string()),
                severity => str_of(c, "/baseSeverity"),
            }
        })
        .collect();
    let remediations: Vec<Value> = items(v.get("remediations"))
        .map(|r| {
            context! {
                category => str_of(r, "/category").map(|c| c.replace('_', " ")),
                details => str_of(r, "/details"),
                url => web_link(str_of(r, "/url")),
                products => name_list(names, r.get("product_ids")),
            }
        })
        .collect();
    context! {
        cve => str_of(v, "/cve"),
        title => str_of(v, "/title"),
        cwe => v.get("cwe").map(|c| format!("{} {}", str_of(c, "/id").unwrap_or(""), str_of(c, "/name").unwrap_or(""))),
        notes => notes(v.get("notes")),
        scores,
        affected => name_list(names, v.pointer("/product_status/known_affected")),
        fixed => name_list(names, v.pointer("/product_status/fixed")),
        remediations,
        acknowledgments => acknowledgments(v.get("acknowledgments")),
    }
}

/// What a document page shows, read from the CSAF file as published.
pub(crate) fn csaf_view(csaf: &Json) -> Value {
    let names = product_names(csaf);
    let vulnerabilities: Vec<Value> =
        items(csaf.get("vulnerabilities")).map(|v| vulnerability_view(&names, v)).collect();
    let references: Vec<Value> = items(csaf.pointer("/document/references"))
        .map(|r| {
            context! {
                url => web_link(str_of(r, "/url")),
                summary => str_of(r, "/summary"),
            }
        })
        .collect();
    let acknowledgments = acknowledgments(csaf.pointer("/document/acknowledgments"));
    let history: Vec<Value> = items(csaf.pointer("/document/tracking/revision_history"))
        .map(|r| {
            context! {
                number => str_of(r, "/number"),
                date => str_of(r, "/date"),
                summary => str_of(r, "/summary"),
            }
        })
        .collect();
    let mut products: Vec<&String> = names.values().collect();
    products.sort();
    products.dedup();
    context! {
        title => str_of(csaf, "/document/title"),
        category => str_of(csaf, "/document/category"),
        publisher => str_of(csaf, "/document/publisher/name"),
        aggregate_severity => str_of(csaf, "/document/aggregate_severity/text"),
        notes => notes(csaf.pointer("/document/notes")),
        vulnerabilities,
        references,
        acknowledgments,
        history,
        products,
    }
}

async fn document(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> PageResult {
    let published = state.store.publication(&caller.viewer, &id).await?;
    let csaf: Json = serde_json::from_str(&published.csaf).map_err(ApiError::internal)?;
    let file = published.path.rsplit('/').next().unwrap_or_default().to_owned();
    let csaf_url = format!("/.well-known/csaf/{}/{}", published.label.to_lowercase(), published.path);
    let title = published.title.clone();
    page(
        &state,
        &caller,
        "document.html",
        &title,
        "guide",
        context! {
            doc => row(&published),
            csaf => csaf_view(&csaf),
            csaf_url,
            file,
            authored => published.snapshot.is_some(),
            sha256 => published.sha256,
        },
    )
}

/// The document as published, for the OSV and CVE renderers; imported documents have none.
async fn snapshot(state: &AppState, caller: &Caller, id: &str) -> Result<Document, ApiError> {
    let published = state.store.publication(&caller.viewer, id).await?;
    let snapshot = published.snapshot.ok_or_else(|| ApiError::not_found("record"))?;
    serde_json::from_str(&snapshot).map_err(ApiError::internal)
}

type Renderer = fn(&Document, &parapet_publish::Settings) -> Vec<Json>;

/// A published document's OSV or CVE records, from the document as published.
async fn records(state: &AppState, caller: &Caller, id: &str, render: Renderer) -> Result<Response, ApiError> {
    let document = snapshot(state, caller, id).await?;
    let records = render(&document, &state.settings.publish_settings());
    let body = serde_json::to_string_pretty(&records).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn osv(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    records(&state, &caller, &id, parapet_publish::osv::records).await
}

async fn cve_records(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    records(&state, &caller, &id, parapet_publish::cve::records).await
}

async fn cve(State(state): State<AppState>, caller: Caller, Path(cve): Path<String>) -> PageResult {
    let cve = parapet_model::validate::cve_id("cve", &cve)?;
    let query = DocumentQuery { cve: Some(cve.clone()), per_page: 500, ..Default::default() };
    let found = state.store.published_documents(&caller.viewer, &query).await?;
    if found.items.is_empty() {
        return Err(StoreError::NotFound("CVE").into());
    }
    // What each document says about this CVE.
    let mut entries = Vec::new();
    for p in &found.items {
        let full = state.store.publication(&caller.viewer, &p.document_id).await?;
        let csaf: Json = serde_json::from_str(&full.csaf).map_err(ApiError::internal)?;
        let vulnerability = items(csaf.get("vulnerabilities"))
            .find(|v| str_of(v, "/cve") == Some(cve.as_str()))
            .map(|v| vulnerability_view(&product_names(&csaf), v));
        entries.push(context! { doc => row(p), vulnerability });
    }
    page(&state, &caller, "cve.html", &cve, "guide", context! { cve, entries })
}

async fn releases(State(state): State<AppState>, caller: Caller) -> PageResult {
    let months = state.store.release_months(&caller.viewer).await?;
    let next = state.calendar.next_release(state.clock.now()).map(|(at, month)| context! { at => fmt_time(at), month });
    page(
        &state,
        &caller,
        "releases.html",
        "Monthly releases",
        "guide",
        context! { months, next, month => Value::UNDEFINED },
    )
}

async fn release(State(state): State<AppState>, caller: Caller, Path(month): Path<String>) -> PageResult {
    let valid = month.len() == 7
        && month.as_bytes()[4] == b'-'
        && month[..4].bytes().all(|b| b.is_ascii_digit())
        && month[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    if !valid {
        return Err(ApiError::not_found("release"));
    }
    let query = DocumentQuery { release_month: Some(month.clone()), per_page: 500, ..Default::default() };
    let found = state.store.published_documents(&caller.viewer, &query).await?;
    if found.items.is_empty() {
        return Err(ApiError::not_found("release"));
    }
    let items: Vec<Value> = found.items.iter().map(row).collect();
    let mut cves: Vec<&String> = found.items.iter().flat_map(|p| &p.cves).collect();
    cves.sort();
    cves.dedup();
    let highest = found.items.iter().filter_map(|p| p.severity).max().map(|s| s.label());
    let title = format!("Security updates, {month}");
    page(&state, &caller, "release.html", &title, "guide", context! { month, items, cves, highest })
}
