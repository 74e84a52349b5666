//! Advance notification: a few business days before a monthly release, the aggregates of what
//! is scheduled for it — how many bulletins, the highest severity, the product families, whether
//! a restart is needed, when — and nothing else: no title, CVE, vulnerability or version, which
//! would help an attacker before the fixes are out.

use crate::{Document, DocumentKind, Severity};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What an advance notice says. Its fields are the only things it may say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The monthly release, `YYYY-MM`.
    pub month: String,
    #[serde(with = "time::serde::rfc3339")]
    pub release_at: OffsetDateTime,
    pub bulletins: u32,
    pub highest_severity: Option<Severity>,
    /// Product names (no vendor-internal IDs, no versions), sorted.
    pub product_families: Vec<String>,
    pub restart_required: bool,
}

impl Summary {
    /// The aggregates of the bulletins scheduled for a release. Advisories are not counted: the
    /// notice announces fixes.
    pub fn of(month: &str, release_at: OffsetDateTime, scheduled: &[Document]) -> Summary {
        let bulletins: Vec<&Document> = scheduled.iter().filter(|d| d.kind == DocumentKind::Bulletin).collect();
        let mut families: Vec<String> =
            bulletins.iter().flat_map(|d| d.products.iter().map(|p| p.name.trim().to_owned())).collect();
        families.sort();
        families.dedup();
        families.retain(|f| !f.is_empty());
        Summary {
            month: month.to_owned(),
            release_at,
            bulletins: bulletins.len() as u32,
            highest_severity: bulletins.iter().filter_map(|d| d.severity()).max(),
            product_families: families,
            restart_required: bulletins.iter().any(|d| d.restart_required()),
        }
    }
}

/// A published advance notice: a summary and its revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdvanceNotice {
    /// 1 for the first notice of a release, then 2, 3… as the plan changes.
    pub version: u32,
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
}
