//! Exports: the audit log as CSV.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use parapet_store::AuditQuery;

use crate::error::ApiResult;
use crate::state::AppState;

/// A CSV field, quoted when needed. Cells that a spreadsheet would run as a formula are
/// prefixed with a quote.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// Every matching entry (all pages), oldest last, as CSV.
pub async fn audit_csv(state: &AppState, mut query: AuditQuery) -> ApiResult<Response> {
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
                e.action.clone(),
                e.entity.clone(),
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
