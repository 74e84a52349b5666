//! Sources and their leases: adding, changing and removing a source, its runs, and the lease a
//! sync holds on it (one sync per source at a time, across servers).

use super::*;
use sqlx::FromRow;

/// A `catalog_runs` row as stored.
#[derive(FromRow)]
struct RunRow {
    id: i64,
    started_at: i64,
    finished_at: Option<i64>,
    outcome: String,
    error: Option<String>,
    new_count: i64,
    updated_count: i64,
    unchanged_count: i64,
    rejected_count: i64,
    withdrawn_count: i64,
    problem_count: i64,
}

impl RunRow {
    fn into_run(self, rejections: Vec<Rejection>) -> SyncRun {
        let count = |n: i64| n.max(0) as u64;
        SyncRun {
            id: self.id,
            started_at: from_ms(self.started_at),
            finished_at: self.finished_at.map(from_ms),
            outcome: self.outcome,
            error: self.error,
            counts: SyncCounts {
                new: count(self.new_count),
                updated: count(self.updated_count),
                unchanged: count(self.unchanged_count),
                rejected: count(self.rejected_count),
                withdrawn: count(self.withdrawn_count),
                accepted_with_problems: count(self.problem_count),
            },
            rejections,
        }
    }
}

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
        for row in &rows {
            let run = RunRow::from_row(row)?;
            let rejections = sqlx::query_as::<Any, Rejection>(
                "SELECT document, reason FROM catalog_rejections WHERE run_id = $1 ORDER BY document",
            )
            .bind(run.id)
            .fetch_all(&self.pool)
            .await?;
            runs.push(run.into_run(rejections));
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
            .execute(&self.writer)
            .await?
            .rows_affected();
        if changed == 0 { Err(StoreError::NotFound("source")) } else { Ok(()) }
    }
}

pub(super) const SOURCE_COLUMNS: &str = "id, spec, cursor, next_run_at, lease_owner, lease_until";

pub(super) async fn start_lease(
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

/// A `catalog_sources` row as the source listings read it.
#[derive(FromRow)]
struct SourceRow {
    id: i64,
    spec: String,
    cursor: String,
    next_run_at: Option<i64>,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
}

pub(super) fn source_row(row: &sqlx::any::AnyRow) -> Result<StoredSource, StoreError> {
    let row = SourceRow::from_row(row)?;
    let spec: SourceSpec =
        serde_json::from_str(&row.spec).map_err(|e| StoreError::Corrupt(format!("source spec: {e}")))?;
    let until = row.lease_until;
    Ok(StoredSource {
        id: row.id,
        spec,
        cursor: row.cursor,
        next_run_at: row.next_run_at.map(from_ms),
        syncing: row.lease_owner.filter(|_| until.is_some_and(|until| until > now_ms())),
        last_run: None,
    })
}

pub(super) fn spec_json(spec: &SourceSpec) -> Result<String, StoreError> {
    serde_json::to_string(spec).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A source as the audit log shows it: the keys by count, not content.
pub(super) fn audit_view(spec: &SourceSpec) -> serde_json::Value {
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
