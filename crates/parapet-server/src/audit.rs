//! The audit log: reading it (`ViewAudit`), as JSON, as a page, or as CSV.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use parapet_model::{Entity, Permission};
use parapet_store::{AuditEntry, AuditQuery, Page};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Params, SignedIn};
use crate::render::{PageResult, Pager, fmt_time, page};
use crate::routes::{Routes, get};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .api("/api/v1/audit", get(api_entries))
        .page("/audit", get(audit_page))
        .page("/audit.csv", get(csv_download))
}

/// The audit log's query string.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    pub format: Option<String>,
}

/// How the log is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

impl std::str::FromStr for Format {
    type Err = ApiError;
    fn from_str(s: &str) -> ApiResult<Format> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(ApiError::invalid("format", format!("unknown format {other:?}; expected json or csv"))),
        }
    }
}

impl AuditParams {
    pub fn to_query(&self) -> ApiResult<AuditQuery> {
        let some = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        Ok(AuditQuery {
            entity: some(&self.entity).map(|e| e.parse::<Entity>()).transpose()?,
            entity_id: some(&self.entity_id),
            actor: some(&self.actor),
            page: self.page.unwrap_or(1),
            per_page: self.per_page.unwrap_or(100).min(1000),
        })
    }
}

// ---- operations ----

pub(crate) async fn entries(state: &AppState, caller: &Caller, query: &AuditQuery) -> ApiResult<Page<AuditEntry>> {
    caller.require(Permission::ViewAudit)?;
    Ok(state.store.audit_entries(query).await?)
}

/// A CSV field, quoted when needed. Cells that a spreadsheet would run as a formula are
/// prefixed with a quote.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// Every matching entry (all pages), newest first, as a CSV download.
pub(crate) async fn csv(state: &AppState, caller: &Caller, mut query: AuditQuery) -> ApiResult<Response> {
    caller.require(Permission::ViewAudit)?;
    let mut out = String::from("id,at,actor,action,entity,entity_id,before,after\n");
    query.per_page = 1000;
    query.page = 1;
    loop {
        let page = state.store.audit_entries(&query).await?;
        for e in &page.items {
            let at = e.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
            let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
            let row = [
                e.id.to_string(),
                at,
                e.actor.clone(),
                e.action.to_string(),
                e.entity.to_string(),
                e.entity_id.clone().unwrap_or_default(),
                json(&e.before),
                json(&e.after),
            ];
            out.push_str(&row.iter().map(|v| field(v)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        if (query.page as i64) * (query.per_page as i64) >= page.total {
            break;
        }
        query.page += 1;
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"parapet-audit.csv\""),
        ],
        out,
    )
        .into_response())
}

// ---- API and console ----

async fn api_entries(
    State(state): State<AppState>,
    caller: Caller,
    Params(params): Params<AuditParams>,
) -> ApiResult<Response> {
    let query = params.to_query()?;
    match params.format.as_deref().unwrap_or("json").parse()? {
        Format::Json => Ok(axum::Json(entries(&state, &caller, &query).await?).into_response()),
        Format::Csv => csv(&state, &caller, query).await,
    }
}

const ENTRIES_PER_PAGE: u32 = 100;

async fn audit_page(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Params(params): Params<AuditParams>,
) -> PageResult {
    let mut query = params.to_query()?;
    query.per_page = ENTRIES_PER_PAGE;
    let result = entries(&state, &caller, &query).await?;
    let entity = query.entity.map(Entity::as_str).unwrap_or_default();
    let actor = query.actor.clone().unwrap_or_default();
    let pager =
        Pager::numbered(result.page, result.per_page, result.total, "/audit", &[("entity", entity), ("actor", &actor)]);
    let items: Vec<Value> = result
        .items
        .iter()
        .map(|e| {
            context! {
                at => fmt_time(e.at), actor => e.actor, action => e.action.to_string(), entity => e.entity.to_string(),
                entity_id => e.entity_id,
                before => e.before.as_ref().map(|v| v.to_string()), after => e.after.as_ref().map(|v| v.to_string()),
            }
        })
        .collect();
    let ctx = context! {
        entries => items,
        paging => pager,
        entities => Entity::ALL.iter().map(|e| context! { value => e.as_str(), label => e.label() }).collect::<Vec<_>>(),
        filter => context! { entity, actor },
    };
    page(&state, &caller, "audit.html", "Audit log", "audit", ctx)
}

async fn csv_download(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Params(params): Params<AuditParams>,
) -> PageResult {
    csv(&state, &caller, params.to_query()?).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields() {
        assert_eq!(super::field("plain"), "plain");
        assert_eq!(super::field("a,b"), "\"a,b\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::field("=cmd()"), "'=cmd()");
    }
}
