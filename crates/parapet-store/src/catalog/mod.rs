//! The update catalog: configured sources and their runs, the advisories (records) and security
//! updates they gave, and the change feed other Parapet servers replicate from.
//!
//! A sync holds a lease on its source (one sync per source at a time, across servers); each
//! batch of changes is one transaction that also moves the source's cursor, so a crash resumes
//! after the last committed batch. Every batch takes the next tick of `catalog_clock`; the tick
//! is a row lock held until commit, so ticks become visible in order and a replica that has
//! read up to tick N never misses a later commit with a smaller one.
//!
//! By concern: `sources` (sources, runs and leases), `batches` (what a sync writes), `entries`
//! (reading the catalog) and `changes` (the replication feed); the types they share are here.

mod batches;
mod changes;
mod entries;
mod sources;

use parapet_catalog::model::Update;
use parapet_catalog::source::entry_of;
use parapet_catalog::{Advisory, Catalog, Classification, DocumentProblem, SourceSpec, SourceSummary};
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;

use crate::audit::{Audit, append};
use crate::{Arg, Binds, Page, Store, StoreError, from_ms, like_pattern, now_ms, placeholders, to_ms};
use parapet_model::AuditAction;

/// A source as stored, with its last run.
#[derive(Debug, Clone, Serialize)]
pub struct StoredSource {
    #[serde(skip)]
    pub id: i64,
    #[serde(flatten)]
    pub spec: SourceSpec,
    /// Where the last committed batch left the consumer (opaque to all but the consumer).
    pub cursor: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_run_at: Option<OffsetDateTime>,
    /// Who syncs it now, if anyone.
    pub syncing: Option<String>,
    pub last_run: Option<SyncRun>,
}

/// One sync of a source.
#[derive(Debug, Clone, Serialize)]
pub struct SyncRun {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// `running`, `ok` or `failed`.
    pub outcome: String,
    pub error: Option<String>,
    #[serde(flatten)]
    pub counts: SyncCounts,
    pub rejections: Vec<Rejection>,
}

impl SyncRun {
    pub fn duration_ms(&self) -> Option<i64> {
        self.finished_at.map(|end| (end - self.started_at).whole_milliseconds() as i64)
    }
}

/// What a sync did, in documents (an OSV record, a CSAF document, a DSA, an update).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCounts {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// Records the source withdrew, whose findings are retracted.
    pub withdrawn: u64,
    /// Documents taken although they fail mandatory CSAF tests (counted in `new`, `updated` or
    /// `unchanged` too).
    pub accepted_with_problems: u64,
}

impl std::ops::AddAssign for SyncCounts {
    fn add_assign(&mut self, other: SyncCounts) {
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.rejected += other.rejected;
        self.withdrawn += other.withdrawn;
        self.accepted_with_problems += other.accepted_with_problems;
    }
}

/// A document a sync refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Rejection {
    pub document: String,
    pub reason: String,
}

/// A sync's hold on its source. Batches check it: a sync whose lease was taken over (it stalled
/// past its expiry) stops instead of writing over its successor.
#[derive(Debug, Clone)]
pub struct SourceLease {
    pub source: StoredSource,
    pub owner: String,
    pub run_id: i64,
    pub lease_ms: i64,
}

/// What a source document was when it was last taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentState {
    pub document: String,
    pub digest: String,
    pub modified: String,
    /// The record it gave, if it gave one.
    pub record_id: Option<String>,
    /// The mandatory CSAF tests it fails, when its source takes such documents.
    pub problems: Vec<DocumentProblem>,
}

/// A document its source took although it fails mandatory CSAF tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemDocument {
    pub document: String,
    pub record_id: Option<String>,
    pub problems: Vec<DocumentProblem>,
}

/// Problems as stored: a JSON array, or NULL for none.
fn problems_column(problems: &[DocumentProblem]) -> Option<String> {
    (!problems.is_empty()).then(|| serde_json::to_string(problems).unwrap_or_default())
}

fn read_problems(column: Option<String>) -> Result<Vec<DocumentProblem>, StoreError> {
    match column {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("document problems: {e}"))),
    }
}

/// An advisory as a source gives it.
#[derive(Debug, Clone)]
pub struct RecordChange {
    /// Unique within the source.
    pub record_id: String,
    pub advisory: Advisory,
    pub modified: String,
}

/// A security update as a source gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateChange {
    #[serde(flatten)]
    pub update: Update,
    pub classification: Classification,
    #[serde(with = "time::serde::rfc3339")]
    pub released_at: OffsetDateTime,
    /// Set when a replica copies an update its upstream already knows to be superseded.
    pub superseded_by: Option<String>,
}

/// One batch of a sync: applied in one transaction with the cursor it leads to.
#[derive(Debug, Clone, Default)]
pub struct CatalogBatch {
    pub documents: Vec<DocumentState>,
    pub records: Vec<RecordChange>,
    /// Record IDs the source withdrew or no longer lists.
    pub withdrawn: Vec<String>,
    /// Documents the source no longer lists: their states are dropped.
    pub forgotten: Vec<String>,
    /// Updates, the newest version of each package first seen here; older versions of the same
    /// package, suite and architecture become superseded by it.
    pub updates: Vec<UpdateChange>,
    /// The cursor after this batch; `None` keeps the current one.
    pub cursor: Option<String>,
}

impl CatalogBatch {
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
            && self.records.is_empty()
            && self.withdrawn.is_empty()
            && self.forgotten.is_empty()
            && self.updates.is_empty()
            && self.cursor.is_none()
    }
}

/// Why a source cannot be synced now.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LeaseError {
    #[error("source {0:?} not found")]
    NotFound(String),
    #[error("source {name:?} is being synced by {owner} (until {until})")]
    Busy { name: String, owner: String, until: String },
    #[error("the sync of source {0:?} lost its lease to another sync")]
    Lost(String),
}

/// Filters of the catalog browser and API.
#[derive(Debug, Clone, Default)]
pub struct CatalogQuery {
    /// An ID or alias (exact, or a prefix), or words of a title.
    pub text: Option<String>,
    pub ecosystem: Option<String>,
    pub package: Option<String>,
    pub source: Option<String>,
    pub min_severity: Option<parapet_model::Severity>,
    pub page: u32,
    pub per_page: u32,
}

/// A catalog entry: one vulnerability and every source's record of it.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogEntry {
    pub id: String,
    /// Every ID the records give, the entry's own first.
    pub aliases: Vec<String>,
    pub title: String,
    pub severity: Option<parapet_model::Severity>,
    pub sources: Vec<String>,
    pub records: Vec<CatalogRecord>,
}

/// One source's record of a vulnerability.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogRecord {
    pub source: String,
    pub record_id: String,
    pub modified: String,
    pub advisory: Advisory,
    /// The mandatory CSAF tests the source's document fails, when the source took it anyway.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<DocumentProblem>,
}

/// A stored update with its place in the supersession chain.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogUpdate {
    pub source: String,
    #[serde(flatten)]
    pub change: UpdateChange,
    /// The older versions of the same package (suite, architecture) this one replaced.
    pub supersedes: Vec<String>,
}

/// Filters of the updates listing.
#[derive(Debug, Clone, Default)]
pub struct UpdateQuery {
    pub ecosystem: Option<String>,
    pub package: Option<String>,
    pub include_superseded: bool,
    pub page: u32,
    pub per_page: u32,
}

/// A page of the change feed: rows changed after a cursor, in tick order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeFeed {
    pub records: Vec<RecordFeedItem>,
    pub updates: Vec<UpdateFeedItem>,
    /// Where the next page starts.
    pub cursor: FeedCursor,
    /// Whether more changes follow.
    pub more: bool,
}

/// A record in the change feed; `advisory` is `None` for a withdrawn one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordFeedItem {
    pub source: String,
    pub record_id: String,
    pub modified: String,
    pub advisory: Option<Advisory>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateFeedItem {
    pub source: String,
    #[serde(flatten)]
    pub change: UpdateChange,
}

/// A position in the change feed: the last (tick, row) read of each table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCursor {
    pub record_seq: i64,
    pub record_id: i64,
    pub update_seq: i64,
    pub update_id: i64,
}

impl FeedCursor {
    /// `r{seq}.{id}-u{seq}.{id}`: opaque to clients, who send back what they were given.
    pub fn encode(&self) -> String {
        format!("r{}.{}-u{}.{}", self.record_seq, self.record_id, self.update_seq, self.update_id)
    }

    pub fn decode(text: &str) -> Option<FeedCursor> {
        if text.is_empty() {
            return Some(FeedCursor::default());
        }
        let (records, updates) = text.strip_prefix('r')?.split_once("-u")?;
        let pair = |s: &str| -> Option<(i64, i64)> {
            let (a, b) = s.split_once('.')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        };
        let (record_seq, record_id) = pair(records)?;
        let (update_seq, update_id) = pair(updates)?;
        Some(FeedCursor { record_seq, record_id, update_seq, update_id })
    }
}

#[cfg(test)]
mod tests {
    use super::FeedCursor;

    #[test]
    fn cursors_round_trip() {
        let cursor = FeedCursor { record_seq: 4, record_id: 17, update_seq: 2, update_id: 9 };
        assert_eq!(FeedCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(FeedCursor::decode(""), Some(FeedCursor::default()));
        for bad in ["x", "r1.2", "r1.2-u3", "ra.b-u1.2"] {
            assert_eq!(FeedCursor::decode(bad), None, "{bad}");
        }
    }
}
