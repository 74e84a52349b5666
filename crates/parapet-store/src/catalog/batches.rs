//! Batches: what a sync writes, one transaction per batch with its source's cursor, each
//! taking the next tick of `catalog_clock`; the documents' states; the end of a run.

use super::*;
use sqlx::FromRow;

/// A `catalog_documents` row as stored.
#[derive(FromRow)]
struct DocumentRow {
    document: String,
    digest: String,
    modified: String,
    record_id: Option<String>,
    problems: Option<String>,
}

impl DocumentRow {
    fn into_state(self) -> Result<DocumentState, StoreError> {
        let DocumentRow { document, digest, modified, record_id, problems } = self;
        Ok(DocumentState { document, digest, modified, record_id, problems: read_problems(problems)? })
    }
}

impl Store {
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
                let state = DocumentRow::from_row(row)?.into_state()?;
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
            "SELECT document, digest, modified, record_id, problems FROM catalog_documents \
             WHERE source_id = $1 AND problems IS NOT NULL \
             ORDER BY document LIMIT $2",
        )
        .bind(source_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let documents = rows
            .iter()
            .map(|row| {
                let DocumentRow { document, record_id, problems, .. } = DocumentRow::from_row(row)?;
                Ok(ProblemDocument { document, record_id, problems: read_problems(problems)? })
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
                         ecosystems, body, modified, seq, first_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                         $10, $11) RETURNING id",
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
                    .bind(crate::now_ms())
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
}

pub(super) async fn apply_update(
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

/// The batch's tick, taken on its first change.
pub(super) async fn tick_of(conn: &mut AnyConnection, tick: &mut Option<i64>) -> Result<i64, StoreError> {
    if let Some(seq) = *tick {
        return Ok(seq);
    }
    let seq = next_tick(conn).await?;
    *tick = Some(seq);
    Ok(seq)
}

pub(super) async fn next_tick(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<Any, i64>("UPDATE catalog_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq")
        .fetch_one(conn)
        .await?)
}

pub(super) async fn clear_terms(conn: &mut AnyConnection, record: i64) -> Result<(), StoreError> {
    sqlx::query::<Any>("DELETE FROM catalog_ids WHERE record = $1").bind(record).execute(&mut *conn).await?;
    sqlx::query::<Any>("DELETE FROM catalog_packages WHERE record = $1").bind(record).execute(&mut *conn).await?;
    Ok(())
}
