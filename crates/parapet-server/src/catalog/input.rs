//! The catalog search's query string, read alike by the API and the console's search page.

use parapet_model::Severity;
use parapet_store::CatalogQuery;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};

/// `GET /api/v1/catalog/entries` and `/catalog` take the same parameters.
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
