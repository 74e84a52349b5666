//! The update catalog: configured sources and their runs, the advisories (records) and security
//! updates they gave, and the change feed other Parapet servers replicate from.
//!
//! A sync holds a lease on its source (one sync per source at a time, across servers); each
//! batch of changes is one transaction that also moves the source's cursor, so a crash resumes
//! after the last committed batch. Every batch takes the next tick of `catalog_clock`; the tick
//! is a row lock held until commit, so ticks become visible in order and a replica that has
//! read up to tick N never misses a later commit with a smaller one.

use parapet_catalog::model::Update;
use parapet_catalog::source::entry_of;
use parapet_catalog::{Advisory, Catalog, Classification, DocumentProblem, SourceSpec, SourceSummary};
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;

use crate::audit::{Audit, append};
use crate::{Arg, Page, Store, StoreError, bind_all, from_ms, like_pattern, now_ms, placeholders, to_ms};
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

const SOURCE_COLUMNS: &str = "id, spec, cursor, next_run_at, lease_owner, lease_until";

impl Store {
    /// Adds a source; its first scheduled sync is due at once when it has an interval.
    pub async fn add_source(&self, actor: &str, spec: &SourceSpec) -> Result<StoredSource, StoreError> {
        spec.validate().map_err(|e| parapet_model::FieldError::new("source", e))?;
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let next = (spec.interval_minutes > 0).then_some(now);
        let id: i64 = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO catalog_sources (name, kind, url, spec, cursor, next_run_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, '', $5, $6, $6) RETURNING id",
        )
        .bind(&spec.name)
        .bind(spec.kind.as_str())
        .bind(&spec.url)
        .bind(spec_json(spec)?)
        .bind(next)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "name", format!("a source named {:?} already exists", spec.name)))?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::SourceAdd,
                entity_id: Some(spec.name.clone()),
                before: None,
                after: Some(audit_view(spec)),
            },
        )
        .await?;
        tx.commit().await?;
        let _ = id;
        self.source(&spec.name).await?.ok_or(StoreError::NotFound("source"))
    }

    /// Replaces a source's settings (not its name); the cursor is kept unless the URL or kind
    /// changed, which starts it over.
    pub async fn update_source(&self, actor: &str, spec: &SourceSpec) -> Result<StoredSource, StoreError> {
        spec.validate().map_err(|e| parapet_model::FieldError::new("source", e))?;
        let before = self.source(&spec.name).await?.ok_or(StoreError::NotFound("source"))?;
        let restart = before.spec.url != spec.url || before.spec.kind != spec.kind;
        let mut tx = self.write_tx().await?;
        sqlx::query::<Any>(
            "UPDATE catalog_sources SET kind = $1, url = $2, spec = $3, updated_at = $4, \
             cursor = CASE WHEN $5 = 1 THEN '' ELSE cursor END WHERE id = $6",
        )
        .bind(spec.kind.as_str())
        .bind(&spec.url)
        .bind(spec_json(spec)?)
        .bind(now_ms())
        .bind(i64::from(restart))
        .bind(before.id)
        .execute(&mut *tx)
        .await?;
        if restart {
            sqlx::query::<Any>("DELETE FROM catalog_documents WHERE source_id = $1")
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
        }
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::SourceUpdate,
                entity_id: Some(spec.name.clone()),
                before: Some(audit_view(&before.spec)),
                after: Some(audit_view(spec)),
            },
        )
        .await?;
        tx.commit().await?;
        self.source(&spec.name).await?.ok_or(StoreError::NotFound("source"))
    }

    /// Removes a source and everything it gave the catalog (downstream replicas keep what they
    /// copied of it until they are seeded again).
    pub async fn remove_source(&self, actor: &str, name: &str) -> Result<(), StoreError> {
        let source = self.source(name).await?.ok_or(StoreError::NotFound("source"))?;
        // Records, their IDs and packages, updates, runs and document states go with it (cascades).
        let mut tx = self.write_tx().await?;
        sqlx::query::<Any>("DELETE FROM catalog_sources WHERE id = $1").bind(source.id).execute(&mut *tx).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::SourceRemove,
                entity_id: Some(name.to_owned()),
                before: Some(audit_view(&source.spec)),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn source(&self, name: &str) -> Result<Option<StoredSource>, StoreError> {
        let row = sqlx::query::<Any>(&format!("SELECT {SOURCE_COLUMNS} FROM catalog_sources WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut source = source_row(&row)?;
        source.last_run = self.source_runs(source.id, 1).await?.into_iter().next();
        Ok(Some(source))
    }

    pub async fn sources(&self) -> Result<Vec<StoredSource>, StoreError> {
        let rows = sqlx::query::<Any>(&format!("SELECT {SOURCE_COLUMNS} FROM catalog_sources ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        let mut sources = Vec::with_capacity(rows.len());
        for row in rows {
            let mut source = source_row(&row)?;
            source.last_run = self.source_runs(source.id, 1).await?.into_iter().next();
            sources.push(source);
        }
        Ok(sources)
    }

    /// The latest runs of a source, newest first, with their rejections.
    pub async fn source_runs(&self, source_id: i64, limit: u32) -> Result<Vec<SyncRun>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, started_at, finished_at, outcome, error, new_count, updated_count, unchanged_count, \
             rejected_count, withdrawn_count, problem_count FROM catalog_runs WHERE source_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(source_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut runs = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let count = |name: &str| -> Result<u64, StoreError> { Ok(row.try_get::<i64, _>(name)?.max(0) as u64) };
            let rejections = sqlx::query::<Any>(
                "SELECT document, reason FROM catalog_rejections WHERE run_id = $1 ORDER BY document",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok(Rejection { document: r.try_get("document")?, reason: r.try_get("reason")? }))
            .collect::<Result<Vec<_>, StoreError>>()?;
            runs.push(SyncRun {
                id,
                started_at: from_ms(row.try_get("started_at")?),
                finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(from_ms),
                outcome: row.try_get("outcome")?,
                error: row.try_get("error")?,
                counts: SyncCounts {
                    new: count("new_count")?,
                    updated: count("updated_count")?,
                    unchanged: count("unchanged_count")?,
                    rejected: count("rejected_count")?,
                    withdrawn: count("withdrawn_count")?,
                    accepted_with_problems: count("problem_count")?,
                },
                rejections,
            });
        }
        Ok(runs)
    }

    /// Takes the lease on a source to sync it now, and starts a run. Refused while another
    /// sync holds an unexpired lease.
    pub async fn lease_source(
        &self,
        name: &str,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Result<SourceLease, LeaseError>, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!(
            "SELECT {SOURCE_COLUMNS} FROM catalog_sources WHERE name = $1{}",
            self.backend.lock_suffix()
        ))
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(Err(LeaseError::NotFound(name.to_owned())));
        };
        let source = source_row(&row)?;
        let until: Option<i64> = row.try_get("lease_until")?;
        if let (Some(holder), Some(until)) = (&source.syncing, until)
            && until > now
        {
            tx.rollback().await?;
            return Ok(Err(LeaseError::Busy {
                name: name.to_owned(),
                owner: holder.clone(),
                until: from_ms(until).to_string(),
            }));
        }
        let lease = start_lease(&mut tx, source, owner, now, lease_ms).await?;
        tx.commit().await?;
        Ok(Ok(lease))
    }

    /// Claims the source whose scheduled sync is most overdue at `now`, if any, for `owner`.
    pub async fn lease_due_source(&self, owner: &str, lease_ms: i64) -> Result<Option<SourceLease>, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query::<Any>(&format!(
            "SELECT {SOURCE_COLUMNS} FROM catalog_sources WHERE next_run_at IS NOT NULL AND next_run_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_run_at, id LIMIT 1{}",
            self.backend.claim_suffix()
        ))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let lease = start_lease(&mut tx, source_row(&row)?, owner, now, lease_ms).await?;
        tx.commit().await?;
        Ok(Some(lease))
    }

    /// Asks for a sync at the next scheduler pass.
    pub async fn request_sync(&self, name: &str) -> Result<(), StoreError> {
        let changed = sqlx::query::<Any>("UPDATE catalog_sources SET next_run_at = $1 WHERE name = $2")
            .bind(now_ms())
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if changed == 0 { Err(StoreError::NotFound("source")) } else { Ok(()) }
    }

    /// What the source's documents were when last taken, for the given keys (all when `None`).
    pub async fn document_states(
        &self,
        source_id: i64,
        documents: Option<&[String]>,
    ) -> Result<HashMap<String, DocumentState>, StoreError> {
        let rows = match documents {
            None => sqlx::query::<Any>(
                "SELECT document, digest, modified, record_id, problems FROM catalog_documents WHERE source_id = $1",
            )
            .bind(source_id)
            .fetch_all(&self.pool)
            .await?,
            Some([]) => Vec::new(),
            Some(keys) => {
                let mut rows = Vec::new();
                for chunk in keys.chunks(500) {
                    let sql = format!(
                        "SELECT document, digest, modified, record_id, problems FROM catalog_documents WHERE source_id = $1 AND document IN ({})",
                        placeholders(2, chunk.len())
                    );
                    let mut query = sqlx::query::<Any>(&sql).bind(source_id);
                    for key in chunk {
                        query = query.bind(key.clone());
                    }
                    rows.extend(query.fetch_all(&self.pool).await?);
                }
                rows
            }
        };
        rows.iter()
            .map(|row| {
                let state = DocumentState {
                    document: row.try_get("document")?,
                    digest: row.try_get("digest")?,
                    modified: row.try_get("modified")?,
                    record_id: row.try_get("record_id")?,
                    problems: read_problems(row.try_get("problems")?)?,
                };
                Ok((state.document.clone(), state))
            })
            .collect()
    }

    /// The source's documents taken although they fail mandatory CSAF tests, by name, at most
    /// `limit`, with how many there are in all.
    pub async fn problem_documents(
        &self,
        source_id: i64,
        limit: u32,
    ) -> Result<(Vec<ProblemDocument>, u64), StoreError> {
        let total: i64 = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM catalog_documents WHERE source_id = $1 AND problems IS NOT NULL",
        )
        .bind(source_id)
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query::<Any>(
            "SELECT document, record_id, problems FROM catalog_documents WHERE source_id = $1 AND problems IS NOT NULL \
             ORDER BY document LIMIT $2",
        )
        .bind(source_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let documents = rows
            .iter()
            .map(|row| {
                Ok(ProblemDocument {
                    document: row.try_get("document")?,
                    record_id: row.try_get("record_id")?,
                    problems: read_problems(row.try_get("problems")?)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((documents, total.max(0) as u64))
    }

    /// The IDs of the source's live records.
    pub async fn record_ids(&self, source_id: i64) -> Result<BTreeSet<String>, StoreError> {
        Ok(sqlx::query_scalar::<Any, String>(
            "SELECT record_id FROM catalog_records WHERE source_id = $1 AND body IS NOT NULL",
        )
        .bind(source_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect())
    }

    /// Applies one batch under the lease, in one transaction, and renews the lease. Returns
    /// what it changed; a batch that changes nothing writes nothing but the lease.
    pub async fn apply_batch(
        &self,
        lease: &SourceLease,
        batch: &CatalogBatch,
    ) -> Result<Result<SyncCounts, LeaseError>, StoreError> {
        let mut tx = self.write_tx().await?;
        let now = now_ms();
        let held = sqlx::query::<Any>("UPDATE catalog_sources SET lease_until = $1 WHERE id = $2 AND lease_owner = $3")
            .bind(now + lease.lease_ms)
            .bind(lease.source.id)
            .bind(&lease.owner)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if held == 0 {
            tx.rollback().await?;
            return Ok(Err(LeaseError::Lost(lease.source.spec.name.clone())));
        }
        let source_id = lease.source.id;
        let mut counts = SyncCounts::default();
        let mut tick = None;
        for record in &batch.records {
            let body = serde_json::to_string(&record.advisory).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let existing =
                sqlx::query::<Any>("SELECT id, body FROM catalog_records WHERE source_id = $1 AND record_id = $2")
                    .bind(source_id)
                    .bind(&record.record_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let existing: Option<(i64, Option<String>)> = match existing {
                Some(row) => Some((row.try_get("id")?, row.try_get("body")?)),
                None => None,
            };
            if let Some((_, Some(old))) = &existing
                && *old == body
            {
                counts.unchanged += 1;
                continue;
            }
            let seq = tick_of(&mut tx, &mut tick).await?;
            let advisory = &record.advisory;
            let severity = advisory.severity.map(|s| s.as_str().to_owned());
            let rank = advisory.severity.map_or(0, |s| s.rank());
            let ecosystems: BTreeSet<String> =
                advisory.affected.iter().map(|a| parapet_catalog::ecosystem_base(&a.ecosystem)).collect();
            let ecosystems = ecosystems.into_iter().collect::<Vec<_>>().join(" ");
            let id = match existing {
                Some((id, old)) => {
                    if old.is_some() {
                        counts.updated += 1;
                    } else {
                        counts.new += 1;
                    }
                    sqlx::query::<Any>(
                        "UPDATE catalog_records SET entry = $1, title = $2, severity = $3, severity_rank = $4, \
                         ecosystems = $5, body = $6, modified = $7, seq = $8 WHERE id = $9",
                    )
                    .bind(entry_of(advisory))
                    .bind(&advisory.title)
                    .bind(severity)
                    .bind(rank)
                    .bind(&ecosystems)
                    .bind(&body)
                    .bind(&record.modified)
                    .bind(seq)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    clear_terms(&mut tx, id).await?;
                    id
                }
                None => {
                    counts.new += 1;
                    sqlx::query_scalar::<Any, i64>(
                        "INSERT INTO catalog_records (source_id, record_id, entry, title, severity, severity_rank, \
                         ecosystems, body, modified, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    )
                    .bind(source_id)
                    .bind(&record.record_id)
                    .bind(entry_of(advisory))
                    .bind(&advisory.title)
                    .bind(severity)
                    .bind(rank)
                    .bind(&ecosystems)
                    .bind(&body)
                    .bind(&record.modified)
                    .bind(seq)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            let ids: BTreeSet<&str> = advisory.ids().collect();
            for alias in ids {
                sqlx::query::<Any>("INSERT INTO catalog_ids (alias, record) VALUES ($1, $2)")
                    .bind(alias)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            let packages: BTreeSet<(&str, &str)> =
                advisory.affected.iter().map(|a| (a.ecosystem.as_str(), a.package.as_str())).collect();
            for (ecosystem, package) in packages {
                sqlx::query::<Any>("INSERT INTO catalog_packages (record, ecosystem, package) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(ecosystem)
                    .bind(package)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for record_id in &batch.withdrawn {
            let id = sqlx::query_scalar::<Any, i64>(
                "SELECT id FROM catalog_records WHERE source_id = $1 AND record_id = $2 AND body IS NOT NULL",
            )
            .bind(source_id)
            .bind(record_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else { continue };
            let seq = tick_of(&mut tx, &mut tick).await?;
            sqlx::query::<Any>("UPDATE catalog_records SET body = NULL, seq = $1 WHERE id = $2")
                .bind(seq)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            clear_terms(&mut tx, id).await?;
            counts.withdrawn += 1;
        }
        for change in &batch.updates {
            apply_update(&mut tx, source_id, change, &mut tick, &mut counts).await?;
        }
        for state in &batch.documents {
            sqlx::query::<Any>(
                "INSERT INTO catalog_documents (source_id, document, digest, modified, record_id, problems) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (source_id, document) DO UPDATE SET digest = excluded.digest, modified = excluded.modified, \
                 record_id = excluded.record_id, problems = excluded.problems",
            )
            .bind(source_id)
            .bind(&state.document)
            .bind(&state.digest)
            .bind(&state.modified)
            .bind(&state.record_id)
            .bind(problems_column(&state.problems))
            .execute(&mut *tx)
            .await?;
        }
        for document in &batch.forgotten {
            sqlx::query::<Any>("DELETE FROM catalog_documents WHERE source_id = $1 AND document = $2")
                .bind(source_id)
                .bind(document)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(cursor) = &batch.cursor {
            sqlx::query::<Any>("UPDATE catalog_sources SET cursor = $1 WHERE id = $2")
                .bind(cursor)
                .bind(source_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Ok(counts))
    }

    /// Ends a run: its counts, rejections and outcome; the lease is released and the next
    /// scheduled sync set from the source's interval.
    pub async fn finish_run(
        &self,
        lease: &SourceLease,
        counts: SyncCounts,
        rejections: &[Rejection],
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query::<Any>(
            "UPDATE catalog_runs SET finished_at = $1, outcome = $2, error = $3, new_count = $4, updated_count = $5, \
             unchanged_count = $6, rejected_count = $7, withdrawn_count = $8, problem_count = $9 WHERE id = $10",
        )
        .bind(now)
        .bind(if error.is_some() { "failed" } else { "ok" })
        .bind(error)
        .bind(counts.new as i64)
        .bind(counts.updated as i64)
        .bind(counts.unchanged as i64)
        .bind(counts.rejected as i64)
        .bind(counts.withdrawn as i64)
        .bind(counts.accepted_with_problems as i64)
        .bind(lease.run_id)
        .execute(&mut *tx)
        .await?;
        for rejection in rejections {
            sqlx::query::<Any>("INSERT INTO catalog_rejections (run_id, document, reason) VALUES ($1, $2, $3)")
                .bind(lease.run_id)
                .bind(&rejection.document)
                .bind(&rejection.reason)
                .execute(&mut *tx)
                .await?;
        }
        let interval = i64::from(lease.source.spec.interval_minutes) * 60_000;
        sqlx::query::<Any>(
            "UPDATE catalog_sources SET lease_owner = NULL, lease_until = NULL, next_run_at = $1 \
             WHERE id = $2 AND lease_owner = $3",
        )
        .bind((interval > 0).then_some(now + interval))
        .bind(lease.source.id)
        .bind(&lease.owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The catalog's current tick: it moves whenever the catalog changes.
    pub async fn catalog_tick(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>("SELECT seq FROM catalog_clock WHERE id = 1").fetch_one(&self.pool).await?)
    }

    /// Everything the catalog holds now, as the catalog `parapet scan` reads: live records in
    /// source and record order, updates not superseded.
    pub async fn catalog_snapshot(&self, built_at: String) -> Result<Catalog, StoreError> {
        let mut catalog = Catalog { built_at, ..Catalog::default() };
        let sources = self.sources().await?;
        let names: HashMap<i64, &SourceSpec> = sources.iter().map(|s| (s.id, &s.spec)).collect();
        let mut summaries: BTreeMap<i64, SourceSummary> = BTreeMap::new();
        let rows = sqlx::query::<Any>(
            "SELECT source_id, body FROM catalog_records WHERE body IS NOT NULL ORDER BY source_id, record_id",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            let source_id: i64 = row.try_get("source_id")?;
            let body: String = row.try_get("body")?;
            let advisory: Advisory =
                serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("catalog record: {e}")))?;
            let summary = summaries.entry(source_id).or_insert_with(|| summary_for(&names, source_id, &advisory));
            summary.advisories += 1;
            let ecosystems: BTreeSet<&str> = advisory.affected.iter().map(|a| a.ecosystem.as_str()).collect();
            for ecosystem in ecosystems {
                *summary.ecosystems.entry(ecosystem.to_owned()).or_default() += 1;
            }
            catalog.advisories.push(advisory);
        }
        let page = self
            .catalog_updates(&UpdateQuery {
                include_superseded: false,
                page: 1,
                per_page: u32::MAX,
                ..Default::default()
            })
            .await?;
        for update in page.items {
            if let Some(source) = sources.iter().find(|s| s.spec.name == update.source) {
                let summary = summaries.entry(source.id).or_insert_with(|| {
                    SourceSummary::new(parapet_catalog::SourceKind::AptLists, source.spec.url.clone())
                });
                summary.updates += 1;
                *summary.ecosystems.entry(update.change.update.ecosystem.clone()).or_default() += 1;
            }
            catalog.updates.push(update.change.update);
        }
        catalog.sources = summaries.into_values().collect();
        Ok(catalog)
    }

    /// A page of catalog entries matching the query, newest entry IDs first.
    pub async fn catalog_entries(&self, query: &CatalogQuery) -> Result<Page<CatalogEntry>, StoreError> {
        let per_page = query.per_page.clamp(1, 200);
        let page = query.page.max(1);
        let mut conditions = vec!["r.body IS NOT NULL".to_owned()];
        let mut args = Vec::new();
        if let Some(text) = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            args.push(Arg::Text(text.to_owned()));
            let exact = args.len();
            args.push(Arg::Text(text.to_uppercase()));
            let upper = args.len();
            args.push(Arg::Text(like_pattern(text)));
            let words = args.len();
            conditions.push(format!(
                "(r.id IN (SELECT record FROM catalog_ids WHERE alias = ${exact} OR alias = ${upper}) OR LOWER(r.title) LIKE ${words} ESCAPE '\\' \
                 OR LOWER(r.record_id) LIKE ${words} ESCAPE '\\')"
            ));
        }
        if let Some(ecosystem) = query.ecosystem.as_deref().filter(|e| !e.is_empty()) {
            let word = parapet_catalog::ecosystem_base(ecosystem)
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.push(Arg::Text(format!("% {word} %")));
            conditions.push(format!("(' ' || r.ecosystems || ' ') LIKE ${} ESCAPE '\\'", args.len()));
        }
        if let Some(package) = query.package.as_deref().filter(|p| !p.is_empty()) {
            args.push(Arg::Text(package.trim().to_owned()));
            conditions.push(format!("r.id IN (SELECT record FROM catalog_packages WHERE package = ${})", args.len()));
        }
        if let Some(source) = query.source.as_deref().filter(|s| !s.is_empty()) {
            args.push(Arg::Text(source.to_owned()));
            conditions.push(format!("r.source_id IN (SELECT id FROM catalog_sources WHERE name = ${})", args.len()));
        }
        if let Some(severity) = query.min_severity {
            args.push(Arg::Int(severity.rank()));
            conditions.push(format!("r.severity_rank >= ${}", args.len()));
        }
        let filter = conditions.join(" AND ");
        let total: i64 = bind_all(
            sqlx::query::<Any>(&format!("SELECT COUNT(DISTINCT r.entry) AS n FROM catalog_records r WHERE {filter}")),
            &args,
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let mut page_args = args;
        page_args.push(Arg::Int(i64::from(per_page)));
        page_args.push(Arg::Int(i64::from(page - 1) * i64::from(per_page)));
        let entries: Vec<String> = bind_all(
            sqlx::query::<Any>(&format!(
                "SELECT DISTINCT r.entry FROM catalog_records r WHERE {filter} ORDER BY r.entry DESC LIMIT ${} OFFSET ${}",
                page_args.len() - 1,
                page_args.len()
            )),
            &page_args,
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| row.try_get("entry"))
        .collect::<Result<_, _>>()?;
        let mut items = Vec::with_capacity(entries.len());
        for entry in entries {
            let records = self.records_where("r.entry = $1", &entry).await?;
            items.push(merge_entry(entry, records));
        }
        Ok(Page { items, total, page, per_page })
    }

    /// The entry an ID names: every live record that has it as its ID or an alias, merged.
    pub async fn catalog_entry(&self, id: &str) -> Result<Option<CatalogEntry>, StoreError> {
        let id = id.trim();
        let records = self.records_where("r.id IN (SELECT record FROM catalog_ids WHERE alias = $1)", id).await?;
        if records.is_empty() {
            return Ok(None);
        }
        Ok(Some(merge_entry(id.to_owned(), records)))
    }

    async fn records_where(&self, condition: &str, value: &str) -> Result<Vec<CatalogRecord>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT s.name, r.record_id, r.modified, r.body, \
             (SELECT d.problems FROM catalog_documents d WHERE d.source_id = r.source_id AND d.record_id = r.record_id \
              AND d.problems IS NOT NULL ORDER BY d.document LIMIT 1) AS problems FROM catalog_records r \
             JOIN catalog_sources s ON s.id = r.source_id WHERE r.body IS NOT NULL AND {condition} \
             ORDER BY s.name, r.record_id"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let body: String = row.try_get("body")?;
                Ok(CatalogRecord {
                    source: row.try_get("name")?,
                    record_id: row.try_get("record_id")?,
                    modified: row.try_get("modified")?,
                    advisory: serde_json::from_str(&body)
                        .map_err(|e| StoreError::Corrupt(format!("catalog record: {e}")))?,
                    problems: read_problems(row.try_get("problems")?)?,
                })
            })
            .collect()
    }

    /// A page of updates, by ecosystem, package and version.
    pub async fn catalog_updates(&self, query: &UpdateQuery) -> Result<Page<CatalogUpdate>, StoreError> {
        let per_page = query.per_page.max(1);
        let page = query.page.max(1);
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut args = Vec::new();
        if !query.include_superseded {
            conditions.push("u.superseded_by IS NULL".to_owned());
        }
        if let Some(ecosystem) = query.ecosystem.as_deref().filter(|e| !e.is_empty()) {
            args.push(Arg::Text(ecosystem.to_owned()));
            conditions.push(format!("(u.ecosystem = ${0} OR LOWER(u.ecosystem) LIKE LOWER(${0}) || ':%')", args.len()));
        }
        if let Some(package) = query.package.as_deref().filter(|p| !p.is_empty()) {
            args.push(Arg::Text(package.to_owned()));
            conditions.push(format!("(u.package = ${0} OR u.source_package = ${0})", args.len()));
        }
        let filter = conditions.join(" AND ");
        let total: i64 =
            bind_all(sqlx::query::<Any>(&format!("SELECT COUNT(*) AS n FROM catalog_updates u WHERE {filter}")), &args)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        let mut page_args = args;
        page_args.push(Arg::Int(i64::from(per_page)));
        page_args.push(Arg::Int(i64::from(page - 1) * i64::from(per_page)));
        let rows = bind_all(
            sqlx::query::<Any>(&format!(
                "SELECT s.name, {UPDATE_COLUMNS} FROM catalog_updates u JOIN catalog_sources s ON s.id = u.source_id \
                 WHERE {filter} ORDER BY u.ecosystem, u.package, u.arch, u.suite, u.id LIMIT ${} OFFSET ${}",
                page_args.len() - 1,
                page_args.len()
            )),
            &page_args,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut items: Vec<CatalogUpdate> = rows
            .iter()
            .map(|row| {
                Ok(CatalogUpdate { source: row.try_get("name")?, change: update_row(row)?, supersedes: Vec::new() })
            })
            .collect::<Result<_, StoreError>>()?;
        // What each replaced: the rows naming it as their successor, one query per page.
        let index: HashMap<(String, String, String, String, String), usize> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let u = &item.change.update;
                ((u.ecosystem.clone(), u.suite.clone(), u.package.clone(), u.arch.clone(), u.version.clone()), i)
            })
            .collect();
        let packages: BTreeSet<String> = items.iter().map(|u| u.change.update.package.clone()).collect();
        let packages: Vec<String> = packages.into_iter().collect();
        for chunk in packages.chunks(500) {
            let sql = format!(
                "SELECT ecosystem, suite, package, arch, version, superseded_by FROM catalog_updates \
                 WHERE superseded_by IS NOT NULL AND package IN ({}) ORDER BY id",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query::<Any>(&sql);
            for package in chunk {
                query = query.bind(package.clone());
            }
            for row in query.fetch_all(&self.pool).await? {
                let successor = (
                    row.try_get("ecosystem")?,
                    row.try_get("suite")?,
                    row.try_get("package")?,
                    row.try_get("arch")?,
                    row.try_get("superseded_by")?,
                );
                if let Some(&i) = index.get(&successor) {
                    items[i].supersedes.push(row.try_get("version")?);
                }
            }
        }
        Ok(Page { items, total, page, per_page })
    }

    /// The changes after `cursor`, at most `limit` rows of each table, in tick order: what a
    /// downstream Parapet server replicates.
    pub async fn catalog_changes(&self, cursor: FeedCursor, limit: u32) -> Result<ChangeFeed, StoreError> {
        let limit = i64::from(limit.clamp(1, 5000));
        let rows = sqlx::query::<Any>(
            "SELECT r.id, r.seq, s.name, r.record_id, r.modified, r.body FROM catalog_records r \
             JOIN catalog_sources s ON s.id = r.source_id \
             WHERE r.seq > $1 OR (r.seq = $1 AND r.id > $2) ORDER BY r.seq, r.id LIMIT $3",
        )
        .bind(cursor.record_seq)
        .bind(cursor.record_id)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let mut next = cursor;
        let mut more = rows.len() as i64 > limit;
        let mut records = Vec::new();
        for row in rows.iter().take(limit as usize) {
            let body: Option<String> = row.try_get("body")?;
            records.push(RecordFeedItem {
                source: row.try_get("name")?,
                record_id: row.try_get("record_id")?,
                modified: row.try_get("modified")?,
                advisory: body
                    .map(|b| serde_json::from_str(&b))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("catalog record: {e}")))?,
            });
            next.record_seq = row.try_get("seq")?;
            next.record_id = row.try_get("id")?;
        }
        let rows = sqlx::query::<Any>(&format!(
            "SELECT s.name, u.id AS row_id, u.seq, {UPDATE_COLUMNS} FROM catalog_updates u \
             JOIN catalog_sources s ON s.id = u.source_id \
             WHERE u.seq > $1 OR (u.seq = $1 AND u.id > $2) ORDER BY u.seq, u.id LIMIT $3"
        ))
        .bind(cursor.update_seq)
        .bind(cursor.update_id)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        more |= rows.len() as i64 > limit;
        let mut updates = Vec::new();
        for row in rows.iter().take(limit as usize) {
            updates.push(UpdateFeedItem { source: row.try_get("name")?, change: update_row(row)? });
            next.update_seq = row.try_get("seq")?;
            next.update_id = row.try_get("row_id")?;
        }
        Ok(ChangeFeed { records, updates, cursor: next, more })
    }
}

const UPDATE_COLUMNS: &str = "u.ecosystem, u.suite, u.package, u.arch, u.version, u.source_package, u.source_version, \
    u.classification, u.released_at, u.superseded_by";

fn update_row(row: &sqlx::any::AnyRow) -> Result<UpdateChange, StoreError> {
    let classification: String = row.try_get("classification")?;
    Ok(UpdateChange {
        update: Update {
            ecosystem: row.try_get("ecosystem")?,
            suite: row.try_get("suite")?,
            package: row.try_get("package")?,
            arch: row.try_get("arch")?,
            version: row.try_get("version")?,
            source: row.try_get("source_package")?,
            source_version: row.try_get("source_version")?,
        },
        classification: Classification::parse(&classification)
            .ok_or_else(|| StoreError::Corrupt(format!("update classification {classification:?}")))?,
        released_at: from_ms(row.try_get("released_at")?),
        superseded_by: row.try_get("superseded_by")?,
    })
}

async fn apply_update(
    conn: &mut AnyConnection,
    source_id: i64,
    change: &UpdateChange,
    tick: &mut Option<i64>,
    counts: &mut SyncCounts,
) -> Result<(), StoreError> {
    let u = &change.update;
    let existing = sqlx::query::<Any>(
        "SELECT id, classification, superseded_by FROM catalog_updates WHERE source_id = $1 AND ecosystem = $2 \
         AND suite = $3 AND package = $4 AND arch = $5 AND version = $6",
    )
    .bind(source_id)
    .bind(&u.ecosystem)
    .bind(&u.suite)
    .bind(&u.package)
    .bind(&u.arch)
    .bind(&u.version)
    .fetch_optional(&mut *conn)
    .await?;
    match existing {
        Some(row) => {
            let classification: String = row.try_get("classification")?;
            let superseded_by: Option<String> = row.try_get("superseded_by")?;
            let wanted = change.superseded_by.clone().or(superseded_by.clone());
            if classification == change.classification.as_str() && wanted == superseded_by {
                counts.unchanged += 1;
                return Ok(());
            }
            let seq = tick_of(conn, tick).await?;
            sqlx::query::<Any>(
                "UPDATE catalog_updates SET classification = $1, superseded_by = $2, seq = $3 WHERE id = $4",
            )
            .bind(change.classification.as_str())
            .bind(wanted)
            .bind(seq)
            .bind(row.try_get::<i64, _>("id")?)
            .execute(&mut *conn)
            .await?;
            counts.updated += 1;
        }
        None => {
            let seq = tick_of(conn, tick).await?;
            sqlx::query::<Any>(
                "INSERT INTO catalog_updates (source_id, ecosystem, suite, package, arch, version, source_package, \
                 source_version, classification, released_at, superseded_by, seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(source_id)
            .bind(&u.ecosystem)
            .bind(&u.suite)
            .bind(&u.package)
            .bind(&u.arch)
            .bind(&u.version)
            .bind(&u.source)
            .bind(&u.source_version)
            .bind(change.classification.as_str())
            .bind(to_ms(change.released_at))
            .bind(&change.superseded_by)
            .bind(seq)
            .execute(&mut *conn)
            .await?;
            counts.new += 1;
            if change.superseded_by.is_none() {
                // The newest version of the package in this suite: it supersedes the ones before.
                sqlx::query::<Any>(
                    "UPDATE catalog_updates SET superseded_by = $1, seq = $2 WHERE source_id = $3 AND ecosystem = $4 \
                     AND suite = $5 AND package = $6 AND arch = $7 AND version <> $1 AND superseded_by IS NULL",
                )
                .bind(&u.version)
                .bind(seq)
                .bind(source_id)
                .bind(&u.ecosystem)
                .bind(&u.suite)
                .bind(&u.package)
                .bind(&u.arch)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

async fn start_lease(
    conn: &mut AnyConnection,
    source: StoredSource,
    owner: &str,
    now: i64,
    lease_ms: i64,
) -> Result<SourceLease, StoreError> {
    sqlx::query::<Any>("UPDATE catalog_sources SET lease_owner = $1, lease_until = $2 WHERE id = $3")
        .bind(owner)
        .bind(now + lease_ms)
        .bind(source.id)
        .execute(&mut *conn)
        .await?;
    // A run that never finished (its sync died) is closed as failed now.
    sqlx::query::<Any>(
        "UPDATE catalog_runs SET outcome = 'failed', finished_at = $1, error = 'the sync stopped before it finished' \
         WHERE source_id = $2 AND outcome = 'running'",
    )
    .bind(now)
    .bind(source.id)
    .execute(&mut *conn)
    .await?;
    let run_id = sqlx::query_scalar::<Any, i64>(
        "INSERT INTO catalog_runs (source_id, started_at, outcome) VALUES ($1, $2, 'running') RETURNING id",
    )
    .bind(source.id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(SourceLease { source, owner: owner.to_owned(), run_id, lease_ms })
}

/// The batch's tick, taken on its first change.
async fn tick_of(conn: &mut AnyConnection, tick: &mut Option<i64>) -> Result<i64, StoreError> {
    if let Some(seq) = *tick {
        return Ok(seq);
    }
    let seq = next_tick(conn).await?;
    *tick = Some(seq);
    Ok(seq)
}

async fn next_tick(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<Any, i64>("UPDATE catalog_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq")
        .fetch_one(conn)
        .await?)
}

async fn clear_terms(conn: &mut AnyConnection, record: i64) -> Result<(), StoreError> {
    sqlx::query::<Any>("DELETE FROM catalog_ids WHERE record = $1").bind(record).execute(&mut *conn).await?;
    sqlx::query::<Any>("DELETE FROM catalog_packages WHERE record = $1").bind(record).execute(&mut *conn).await?;
    Ok(())
}

fn merge_entry(id: String, records: Vec<CatalogRecord>) -> CatalogEntry {
    let mut aliases = vec![id.clone()];
    let mut sources = Vec::new();
    for record in &records {
        for alias in record.advisory.ids() {
            if !aliases.iter().any(|a| a == alias) {
                aliases.push(alias.to_owned());
            }
        }
        if !sources.contains(&record.source) {
            sources.push(record.source.clone());
        }
    }
    let severity = records.iter().filter_map(|r| r.advisory.severity).max();
    let title =
        records.iter().map(|r| r.advisory.title.as_str()).find(|t| !t.is_empty()).unwrap_or(id.as_str()).to_owned();
    CatalogEntry { id, aliases, title, severity, sources, records }
}

fn summary_for(names: &HashMap<i64, &SourceSpec>, source_id: i64, advisory: &Advisory) -> SourceSummary {
    let location = names.get(&source_id).map_or_else(String::new, |spec| format!("{} ({})", spec.name, spec.url));
    SourceSummary::new(advisory.source, location)
}

fn source_row(row: &sqlx::any::AnyRow) -> Result<StoredSource, StoreError> {
    let spec: String = row.try_get("spec")?;
    let spec: SourceSpec = serde_json::from_str(&spec).map_err(|e| StoreError::Corrupt(format!("source spec: {e}")))?;
    let owner: Option<String> = row.try_get("lease_owner")?;
    let until: Option<i64> = row.try_get("lease_until")?;
    Ok(StoredSource {
        id: row.try_get("id")?,
        spec,
        cursor: row.try_get("cursor")?,
        next_run_at: row.try_get::<Option<i64>, _>("next_run_at")?.map(from_ms),
        syncing: owner.filter(|_| until.is_some_and(|until| until > now_ms())),
        last_run: None,
    })
}

fn spec_json(spec: &SourceSpec) -> Result<String, StoreError> {
    serde_json::to_string(spec).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A source as the audit log shows it: the keys by count, not content.
fn audit_view(spec: &SourceSpec) -> serde_json::Value {
    serde_json::json!({
        "kind": spec.kind.as_str(),
        "url": spec.url,
        "interval_minutes": spec.interval_minutes,
        "products": spec.products,
        "ecosystems": spec.ecosystems,
        "keys": spec.keys.len(),
        "allow_unsigned": spec.allow_unsigned,
    })
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
