//! Security bulletins and advisories: drafts, scheduled publication, published revisions
//! (`publications`, from which the CSAF provider directory and the security update guide are
//! read), imports of existing CSAF documents, and the provider's signing key.
//!
//! Drafts and scheduled documents are read only through a [`Viewer`] that may see documents;
//! everything public is read from `publications`, which holds published revisions only, so a
//! document under embargo has nothing there to leak.

use parapet_model::{
    Document, DocumentKind, DocumentState, FieldError, Permission, Publication, RevisionStatus, Severity, Viewer,
};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};
use time::OffsetDateTime;

use crate::audit::{Audit, append};
use crate::{Arg, Binds, Page, Store, StoreError, from_ms, like_pattern, now_ms, to_ms};
use parapet_model::AuditAction;

/// A document as the console sees it: the authored content (drafts included) and its schedule.
#[derive(Debug, Clone, Serialize)]
pub struct StoredDocument {
    pub id: String,
    pub kind: DocumentKind,
    /// `authored` or `imported`.
    pub origin: String,
    pub title: String,
    /// `unpublished`, `active`, `withdrawn` or `superseded`.
    pub status: String,
    /// The content; `None` for an imported document (its CSAF file is the content).
    pub document: Option<Document>,
    pub schedule: Option<Schedule>,
    /// Why the last scheduled publication was refused.
    pub schedule_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// When and as what a draft revision is to be published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub status: RevisionStatus,
    /// The monthly release (`YYYY-MM`) it belongs to; `None` for an out-of-band release.
    pub release_month: Option<String>,
}

/// Filters of the security update guide.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    /// Words in the title or ID.
    pub text: Option<String>,
    pub product: Option<String>,
    pub cve: Option<String>,
    pub severity: Option<Severity>,
    pub kind: Option<DocumentKind>,
    /// Current release on or after.
    pub from: Option<OffsetDateTime>,
    /// Current release before.
    pub until: Option<OffsetDateTime>,
    pub release_month: Option<String>,
    pub page: u32,
    pub per_page: u32,
}

/// The provider's OpenPGP key as stored: the secret part stays passphrase-protected.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub fingerprint: String,
    pub secret_key: String,
    pub public_key: String,
}

/// What publishing a document needs from the server: the signed CSAF file made from the
/// document as it will be published, then any documents derived from it (VEX per product), or
/// the reason it cannot be (a failed mandatory test).
pub type Prepare<'a> = dyn Fn(&Document, Option<&str>) -> Result<Vec<Publication>, String> + Send + Sync + 'a;

const PUBLICATION_COLUMNS: &str = "p.document_id, p.version, p.kind, p.title, p.label, p.path, p.category, p.severity, \
    p.status, p.release_month, p.initial_release, p.current_release, p.csaf, p.sha256, p.sha512, p.signature, p.snapshot";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// A `publications` row (the columns of [`PUBLICATION_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct PublicationRow {
    document_id: String,
    version: String,
    kind: String,
    title: String,
    label: String,
    path: String,
    category: String,
    severity: Option<String>,
    status: String,
    release_month: Option<String>,
    initial_release: i64,
    current_release: i64,
    csaf: String,
    sha256: String,
    sha512: String,
    signature: String,
    snapshot: Option<String>,
}

fn publication(row: &sqlx::any::AnyRow) -> Result<Publication, StoreError> {
    let row = <PublicationRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(Publication {
        document_id: row.document_id,
        version: row.version,
        kind: row.kind.parse().map_err(corrupt)?,
        title: row.title,
        label: row.label,
        path: row.path,
        category: row.category,
        severity: row.severity.map(|s| s.parse()).transpose().map_err(corrupt)?,
        status: row.status,
        release_month: row.release_month,
        initial_release: from_ms(row.initial_release),
        current_release: from_ms(row.current_release),
        csaf: row.csaf,
        sha256: row.sha256,
        sha512: row.sha512,
        signature: row.signature,
        snapshot: row.snapshot,
        cves: Vec::new(),
        products: Vec::new(),
    })
}

/// A `documents` row as stored.
#[derive(sqlx::FromRow)]
struct DocumentRow {
    id: String,
    kind: String,
    origin: String,
    title: String,
    body: Option<String>,
    status: String,
    scheduled_at: Option<i64>,
    scheduled_status: Option<String>,
    scheduled_release: Option<String>,
    schedule_error: Option<String>,
    updated_at: i64,
}

fn stored_document(row: &sqlx::any::AnyRow) -> Result<StoredDocument, StoreError> {
    let row = <DocumentRow as sqlx::FromRow<_>>::from_row(row)?;
    let schedule = match (row.scheduled_at, row.scheduled_status) {
        (Some(at), Some(status)) => Some(Schedule {
            at: from_ms(at),
            status: serde_json::from_value(serde_json::Value::String(status)).map_err(corrupt)?,
            release_month: row.scheduled_release,
        }),
        _ => None,
    };
    Ok(StoredDocument {
        id: row.id,
        kind: row.kind.parse().map_err(corrupt)?,
        origin: row.origin,
        title: row.title,
        status: row.status,
        document: row.body.map(|b| serde_json::from_str(&b)).transpose().map_err(corrupt)?,
        schedule,
        schedule_error: row.schedule_error,
        updated_at: from_ms(row.updated_at),
    })
}

fn state_name(document: &Document) -> &'static str {
    match document.state() {
        DocumentState::Unpublished => "unpublished",
        DocumentState::Active => "active",
        DocumentState::Withdrawn => "withdrawn",
        DocumentState::Superseded { .. } => "superseded",
    }
}

const DOCUMENT_COLUMNS: &str = "id, kind, origin, title, body, status, scheduled_at, scheduled_status, \
    scheduled_release, schedule_error, updated_at";

async fn document_in(conn: &mut AnyConnection, id: &str, claim: &str) -> Result<StoredDocument, StoreError> {
    let row = sqlx::query::<Any>(&format!("SELECT {DOCUMENT_COLUMNS} FROM documents WHERE id = $1{claim}"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("document"))?;
    stored_document(&row)
}

fn summary_json(d: &Document) -> serde_json::Value {
    serde_json::json!({
        "title": d.title,
        "revision": d.current().map(|r| r.number.to_string()),
        "revision_status": d.current().map(|r| r.status),
    })
}

impl Store {
    /// Saves a new authored document (its first revision a draft).
    pub async fn create_document(&self, actor: &str, document: &Document) -> Result<StoredDocument, StoreError> {
        document.validate().map_err(first_error)?;
        let mut tx = self.write_tx().await?;
        let now = now_ms();
        sqlx::query::<Any>(
            "INSERT INTO documents (id, kind, origin, title, body, status, created_at, updated_at) \
             VALUES ($1, $2, 'authored', $3, $4, $5, $6, $6)",
        )
        .bind(&document.id)
        .bind(document.kind.as_str())
        .bind(&document.title)
        .bind(serde_json::to_string(document).map_err(corrupt)?)
        .bind(state_name(document))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "id", format!("a document {} already exists", document.id)))?;
        finish(tx, actor, AuditAction::DocumentCreate, &document.id, None, Some(summary_json(document))).await
    }

    /// Replaces an authored document's content, keeping every published revision as it was
    /// ([`Document::check_amendment`]). A scheduled publication stays scheduled.
    pub async fn update_document(&self, actor: &str, document: &Document) -> Result<StoredDocument, StoreError> {
        document.validate().map_err(first_error)?;
        let mut tx = self.write_tx().await?;
        let before = document_in(&mut tx, &document.id, "").await?;
        let Some(stored) = before.document.as_ref() else {
            return Err(
                FieldError::new("id", "an imported document is edited where it was written, then re-imported").into()
            );
        };
        Document::check_amendment(stored, document)?;
        sqlx::query::<Any>("UPDATE documents SET title = $2, body = $3, updated_at = $4 WHERE id = $1")
            .bind(&document.id)
            .bind(&document.title)
            .bind(serde_json::to_string(document).map_err(corrupt)?)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        finish(
            tx,
            actor,
            AuditAction::DocumentUpdate,
            &document.id,
            Some(summary_json(stored)),
            Some(summary_json(document)),
        )
        .await
    }

    /// A document with its drafts, for a viewer who may see documents; "not found" otherwise,
    /// exactly as for a document that does not exist.
    pub async fn document(&self, viewer: &Viewer, id: &str) -> Result<StoredDocument, StoreError> {
        if !viewer.can(Permission::ViewDocuments) {
            return Err(StoreError::NotFound("document"));
        }
        let mut conn = self.pool.acquire().await?;
        document_in(&mut conn, id, "").await
    }

    /// Every document, drafts included, newest change first; empty for viewers who may not see
    /// documents.
    pub async fn documents(&self, viewer: &Viewer) -> Result<Vec<StoredDocument>, StoreError> {
        if !viewer.can(Permission::ViewDocuments) {
            return Ok(Vec::new());
        }
        let rows =
            sqlx::query::<Any>(&format!("SELECT {DOCUMENT_COLUMNS} FROM documents ORDER BY updated_at DESC, id"))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(stored_document).collect()
    }

    /// The IDs of every document, for numbering the next one.
    pub async fn document_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar::<Any, String>("SELECT id FROM documents").fetch_all(&self.pool).await?)
    }

    /// Schedules the document's draft revision for publication at `schedule.at`.
    pub async fn schedule_document(
        &self,
        actor: &str,
        id: &str,
        schedule: &Schedule,
    ) -> Result<StoredDocument, StoreError> {
        if !schedule.status.is_published() {
            return Err(FieldError::new("status", "publish as interim or final").into());
        }
        let mut tx = self.write_tx().await?;
        let before = document_in(&mut tx, id, "").await?;
        let has_draft = before.document.as_ref().and_then(Document::current).is_some_and(|r| !r.status.is_published());
        if !has_draft {
            return Err(FieldError::new("id", "the document has no draft revision to publish").into());
        }
        sqlx::query::<Any>(
            "UPDATE documents SET scheduled_at = $2, scheduled_status = $3, scheduled_release = $4, \
             schedule_error = NULL, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(to_ms(schedule.at))
        .bind(schedule.status.as_str())
        .bind(&schedule.release_month)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        finish(
            tx,
            actor,
            AuditAction::DocumentSchedule,
            id,
            before.schedule.as_ref().map(|s| serde_json::json!(s)),
            Some(serde_json::json!(schedule)),
        )
        .await
    }

    /// Cancels a scheduled publication.
    pub async fn unschedule_document(&self, actor: &str, id: &str) -> Result<StoredDocument, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = document_in(&mut tx, id, "").await?;
        sqlx::query::<Any>(
            "UPDATE documents SET scheduled_at = NULL, scheduled_status = NULL, scheduled_release = NULL, \
             updated_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        finish(
            tx,
            actor,
            AuditAction::DocumentUnschedule,
            id,
            before.schedule.as_ref().map(|s| serde_json::json!(s)),
            None,
        )
        .await
    }

    /// Publishes, one transaction each, every document whose scheduled instant is at or before
    /// `now`. Each is claimed inside its transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so
    /// that of several servers exactly one publishes it; a server that was down across the instant
    /// publishes it when it comes back. The revision's date is the scheduled instant.
    ///
    /// Returns the IDs published, and those refused with the reason (which is also kept on the
    /// document for the console).
    pub async fn publish_due(
        &self,
        now: OffsetDateTime,
        prepare: &Prepare<'_>,
    ) -> Result<Vec<(String, Result<String, String>)>, StoreError> {
        let mut done = Vec::new();
        loop {
            let mut tx = self.write_tx().await?;
            let claimed = sqlx::query_scalar::<Any, String>(&format!(
                "SELECT id FROM documents WHERE scheduled_at IS NOT NULL AND scheduled_at <= $1 \
                 ORDER BY scheduled_at, id LIMIT 1{}",
                self.backend.claim_suffix()
            ))
            .bind(to_ms(now))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = claimed else {
                tx.rollback().await?;
                return Ok(done);
            };
            let stored = document_in(&mut tx, &id, "").await?;
            let outcome = match publish_in(&mut tx, "scheduler", stored, None, prepare).await {
                Ok(outcome) => {
                    tx.commit().await?;
                    outcome
                }
                // A rule the database enforces (another document already has its file name):
                // nothing of the publication is kept, and the schedule is refused with the reason.
                Err(StoreError::Invalid(e)) => {
                    tx.rollback().await?;
                    let mut tx = self.write_tx().await?;
                    refuse_schedule(&mut tx, "scheduler", &id, &e.message).await?;
                    tx.commit().await?;
                    Err(e.message)
                }
                Err(e) => return Err(e),
            };
            done.push((id, outcome));
        }
    }

    /// Whether any document is due for publication at `now`.
    pub async fn has_due_documents(&self, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n = sqlx::query_scalar::<Any, i64>(
            "SELECT COUNT(*) FROM documents WHERE scheduled_at IS NOT NULL AND scheduled_at <= $1",
        )
        .bind(to_ms(now))
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Publishes a document's draft revision now (an out-of-band release when it was not
    /// scheduled). A refusal is returned as an error naming the failed test.
    pub async fn publish_document(
        &self,
        actor: &str,
        id: &str,
        status: RevisionStatus,
        at: OffsetDateTime,
        prepare: &Prepare<'_>,
    ) -> Result<Publication, StoreError> {
        if !status.is_published() {
            return Err(FieldError::new("status", "publish as interim or final").into());
        }
        let mut tx = self.write_tx().await?;
        let lock = if self.backend == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
        let stored = document_in(&mut tx, id, lock).await?;
        let release = stored.schedule.as_ref().and_then(|s| s.release_month.clone());
        let stored = StoredDocument { schedule: Some(Schedule { at, status, release_month: release }), ..stored };
        match publish_in(&mut tx, actor, stored, Some(()), prepare).await? {
            Ok(_) => {
                let published = current_publication(&mut tx, id).await?.ok_or(StoreError::NotFound("publication"))?;
                tx.commit().await?;
                Ok(published)
            }
            Err(reason) => Err(FieldError::new("csaf", reason).into()),
        }
    }

    /// Imports an existing CSAF document as published, keeping its ID, revision and dates. A
    /// newer revision of a document imported before becomes its current one. Importing the same
    /// revision again, byte for byte, changes nothing and returns `false`.
    pub async fn import_publication(&self, actor: &str, publication: &Publication) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let same = sqlx::query_scalar::<Any, String>(
            "SELECT sha256 FROM publications WHERE document_id = $1 AND version = $2",
        )
        .bind(&publication.document_id)
        .bind(&publication.version)
        .fetch_optional(&mut *tx)
        .await?;
        if same.as_deref() == Some(publication.sha256.as_str()) {
            tx.rollback().await?;
            return Ok(false);
        }
        let existing = match document_in(&mut tx, &publication.document_id, "").await {
            Ok(d) => Some(d),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let now = now_ms();
        match existing {
            Some(d) if d.origin != "imported" => {
                return Err(FieldError::new(
                    "document.tracking.id",
                    format!("{} is a document written in Parapet; it cannot be replaced by an import", d.id),
                )
                .into());
            }
            Some(_) => {
                sqlx::query::<Any>("UPDATE documents SET title = $2, updated_at = $3 WHERE id = $1")
                    .bind(&publication.document_id)
                    .bind(&publication.title)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query::<Any>(
                    "INSERT INTO documents (id, kind, origin, title, status, created_at, updated_at) \
                     VALUES ($1, $2, 'imported', $3, $4, $5, $5)",
                )
                .bind(&publication.document_id)
                .bind(publication.kind.as_str())
                .bind(&publication.title)
                .bind(&publication.status)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        insert_publication(&mut tx, publication).await?;
        append(&mut tx, Audit { actor, action: AuditAction::DocumentImport, entity_id: Some(publication.document_id.clone()), before: None, after: Some(serde_json::json!({"version": publication.version, "path": publication.path, "sha256": publication.sha256})) })
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The current publication of a document, if it has one the viewer may read.
    pub async fn publication(&self, viewer: &Viewer, id: &str) -> Result<Publication, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let found = current_publication(&mut conn, id).await?.filter(|p| may_read_label(viewer, &p.label));
        found.ok_or(StoreError::NotFound("document"))
    }

    /// Every published revision of a document, oldest first.
    pub async fn publication_history(&self, viewer: &Viewer, id: &str) -> Result<Vec<Publication>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {PUBLICATION_COLUMNS} FROM publications p WHERE p.document_id = $1 ORDER BY p.current_release, p.published_at"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let all: Vec<Publication> = rows.iter().map(publication).collect::<Result<_, _>>()?;
        Ok(all.into_iter().filter(|p| may_read_label(viewer, &p.label)).collect())
    }

    /// The current file at `path` in a TLP folder of the provider directory.
    pub async fn provider_file(&self, label: &str, path: &str) -> Result<Option<Publication>, StoreError> {
        let row = sqlx::query::<Any>(&format!(
            "SELECT {PUBLICATION_COLUMNS} FROM publications p WHERE p.is_current = 1 AND p.label = $1 AND p.path = $2"
        ))
        .bind(label)
        .bind(path)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(publication).transpose()
    }

    /// The current publications of one TLP folder, without their files: what `index.txt`,
    /// `changes.csv` and the ROLIE feed list.
    pub async fn provider_entries(&self, label: &str) -> Result<Vec<Publication>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT p.document_id, p.version, p.kind, p.title, p.label, p.path, p.category, p.severity, p.status, \
             p.release_month, p.initial_release, p.current_release, '' AS csaf, p.sha256, p.sha512, '' AS signature, \
             NULL AS snapshot FROM publications p WHERE p.is_current = 1 AND p.label = $1 ORDER BY p.path",
        )
        .bind(label)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(publication).collect()
    }

    /// The labels that have published documents, and the latest publication instant.
    pub async fn provider_labels(&self) -> Result<(Vec<String>, Option<OffsetDateTime>), StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT label, MAX(published_at) AS latest FROM publications WHERE is_current = 1 GROUP BY label ORDER BY label",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut labels = Vec::new();
        let mut latest = None;
        for row in &rows {
            labels.push(row.try_get::<String, _>("label")?);
            let at = from_ms(row.try_get("latest")?);
            latest = latest.max(Some(at));
        }
        Ok((labels, latest))
    }

    /// A page of the security update guide: current publications the viewer may read, newest
    /// first.
    pub async fn published_documents(
        &self,
        viewer: &Viewer,
        query: &DocumentQuery,
    ) -> Result<Page<Publication>, StoreError> {
        let per_page = if query.per_page == 0 { 50 } else { query.per_page.min(500) };
        let page = query.page.max(1);
        // VEX documents are in the provider directory; the guide lists the bulletins they come from.
        let mut conditions = vec!["p.is_current = 1".to_owned(), "p.category <> 'csaf_vex'".to_owned()];
        let mut binds = Binds::default();
        if !viewer.can(Permission::ViewDocuments) {
            conditions.push("p.label IN ('WHITE', 'UNLABELED')".into());
        }
        if let Some(kind) = query.kind {
            conditions.push(format!("p.kind = {}", binds.add(Arg::Text(kind.as_str().into()))));
        }
        if let Some(severity) = query.severity {
            conditions.push(format!("p.severity = {}", binds.add(Arg::Text(severity.as_str().into()))));
        }
        if let Some(month) = &query.release_month {
            conditions.push(format!("p.release_month = {}", binds.add(Arg::Text(month.clone()))));
        }
        if let Some(from) = query.from {
            conditions.push(format!("p.current_release >= {}", binds.add(Arg::Int(to_ms(from)))));
        }
        if let Some(until) = query.until {
            conditions.push(format!("p.current_release < {}", binds.add(Arg::Int(to_ms(until)))));
        }
        if let Some(cve) = query.cve.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            let cve = binds.add(Arg::Text(cve.to_ascii_uppercase()));
            conditions.push(format!(
                "p.document_id IN (SELECT document_id FROM document_terms WHERE term_kind = 'cve' AND term = {cve})"
            ));
        }
        if let Some(product) = query.product.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            let product = binds.add(Arg::Text(like_pattern(product)));
            conditions.push(format!(
                "p.document_id IN (SELECT document_id FROM document_terms WHERE term_kind = 'product' \
                 AND LOWER(term) LIKE {product} ESCAPE '\\')"
            ));
        }
        for word in query.text.as_deref().unwrap_or("").split_whitespace().take(8) {
            let n = binds.add(Arg::Text(like_pattern(word)));
            conditions
                .push(format!("(LOWER(p.title) LIKE {n} ESCAPE '\\' OR LOWER(p.document_id) LIKE {n} ESCAPE '\\')"));
        }
        let filter = conditions.join(" AND ");
        let total = binds
            .to(sqlx::query::<Any>(&format!("SELECT COUNT(*) AS n FROM publications p WHERE {filter}")))
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>("n")?;
        let limit = binds.add(Arg::Int(per_page as i64));
        let offset = binds.add(Arg::Int((page as i64 - 1) * per_page as i64));
        let sql = format!(
            "SELECT p.document_id, p.version, p.kind, p.title, p.label, p.path, p.category, p.severity, p.status, \
             p.release_month, p.initial_release, p.current_release, '' AS csaf, p.sha256, p.sha512, '' AS signature, \
             NULL AS snapshot FROM publications p WHERE {filter} \
             ORDER BY p.current_release DESC, p.document_id LIMIT {limit} OFFSET {offset}"
        );
        let rows = binds.to(sqlx::query::<Any>(&sql)).fetch_all(&self.pool).await?;
        let mut items: Vec<Publication> = rows.iter().map(publication).collect::<Result<_, _>>()?;
        let mut conn = self.pool.acquire().await?;
        for item in &mut items {
            fill_terms(&mut conn, item).await?;
        }
        Ok(Page { items, total, page, per_page })
    }

    /// The monthly releases that have published documents, newest first.
    pub async fn release_months(&self, viewer: &Viewer) -> Result<Vec<String>, StoreError> {
        let public = if viewer.can(Permission::ViewDocuments) { "" } else { " AND label IN ('WHITE', 'UNLABELED')" };
        Ok(sqlx::query_scalar::<Any, String>(&format!(
            "SELECT DISTINCT release_month FROM publications WHERE is_current = 1 AND release_month IS NOT NULL{public} \
             ORDER BY release_month DESC"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The ID and SHA-256 of each current publication the viewer may read, VEX documents
    /// aside (as in the guide): what a copy kept in step compares before reading any file.
    pub async fn publication_digests(&self, viewer: &Viewer) -> Result<Vec<(String, String)>, StoreError> {
        let public = if viewer.can(Permission::ViewDocuments) { "" } else { " AND label IN ('WHITE', 'UNLABELED')" };
        let rows = sqlx::query::<Any>(&format!(
            "SELECT document_id, sha256 FROM publications WHERE is_current = 1 AND category <> 'csaf_vex'{public} \
             ORDER BY document_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("document_id")?, row.try_get("sha256")?))).collect()
    }

    /// The provider's signing key, if one was made.
    pub async fn signing_key(&self) -> Result<Option<StoredKey>, StoreError> {
        let row = sqlx::query::<Any>("SELECT fingerprint, secret_key, public_key FROM signing_key WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(StoredKey {
                fingerprint: r.try_get("fingerprint")?,
                secret_key: r.try_get("secret_key")?,
                public_key: r.try_get("public_key")?,
            })
        })
        .transpose()
    }

    /// The stored signing key's fingerprint, to notice when another process replaced it.
    pub async fn signing_key_fingerprint(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar::<Any, String>("SELECT fingerprint FROM signing_key WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Stores the first signing key; when several servers start at once, the first one stored
    /// wins and is returned to all of them.
    pub async fn init_signing_key(&self, key: &StoredKey) -> Result<StoredKey, StoreError> {
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query::<Any>(
            "INSERT INTO signing_key (id, fingerprint, secret_key, public_key, created_at) VALUES (1, $1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&key.fingerprint)
        .bind(&key.secret_key)
        .bind(&key.public_key)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            append(
                &mut tx,
                Audit {
                    actor: "setup",
                    action: AuditAction::SigningKeyCreate,
                    entity_id: Some(key.fingerprint.clone()),
                    before: None,
                    after: Some(serde_json::json!({"fingerprint": key.fingerprint})),
                },
            )
            .await?;
        }
        tx.commit().await?;
        self.signing_key().await?.ok_or(StoreError::NotFound("signing key"))
    }

    /// Replaces the signing key and every published signature with ones made by the new key, in
    /// one transaction, so that the directory never names a key its signatures do not match.
    pub async fn replace_signing_key(
        &self,
        actor: &str,
        key: &StoredKey,
        sign: &(dyn Fn(&str) -> Result<String, String> + Send + Sync),
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = sqlx::query_scalar::<Any, String>("SELECT fingerprint FROM signing_key WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        sqlx::query::<Any>("DELETE FROM signing_key WHERE id = 1").execute(&mut *tx).await?;
        sqlx::query::<Any>(
            "INSERT INTO signing_key (id, fingerprint, secret_key, public_key, created_at) VALUES (1, $1, $2, $3, $4)",
        )
        .bind(&key.fingerprint)
        .bind(&key.secret_key)
        .bind(&key.public_key)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let rows =
            sqlx::query::<Any>("SELECT document_id, version, csaf FROM publications").fetch_all(&mut *tx).await?;
        let mut signed = 0;
        for row in &rows {
            let csaf: String = row.try_get("csaf")?;
            let signature = sign(&csaf).map_err(StoreError::Corrupt)?;
            sqlx::query::<Any>("UPDATE publications SET signature = $3 WHERE document_id = $1 AND version = $2")
                .bind(row.try_get::<String, _>("document_id")?)
                .bind(row.try_get::<String, _>("version")?)
                .bind(signature)
                .execute(&mut *tx)
                .await?;
            signed += 1;
        }
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::SigningKeyReplace,
                entity_id: Some(key.fingerprint.clone()),
                before: before.map(|f| serde_json::json!({"fingerprint": f})),
                after: Some(serde_json::json!({"fingerprint": key.fingerprint, "signatures": signed})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(signed)
    }
}

/// Writes a change's audit entry, commits, and returns the document as it now is.
async fn finish(
    mut tx: sqlx::Transaction<'static, Any>,
    actor: &str,
    action: AuditAction,
    id: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<StoredDocument, StoreError> {
    append(&mut tx, Audit { actor, action, entity_id: Some(id.to_owned()), before, after }).await?;
    let now = document_in(&mut tx, id, "").await?;
    tx.commit().await?;
    Ok(now)
}

fn may_read_label(viewer: &Viewer, label: &str) -> bool {
    matches!(label, "WHITE" | "UNLABELED") || viewer.can(Permission::ViewDocuments)
}

fn first_error(errors: Vec<FieldError>) -> StoreError {
    errors.into_iter().next().map_or(StoreError::Corrupt("invalid document".into()), StoreError::Invalid)
}

async fn current_publication(conn: &mut AnyConnection, id: &str) -> Result<Option<Publication>, StoreError> {
    let row = sqlx::query::<Any>(&format!(
        "SELECT {PUBLICATION_COLUMNS} FROM publications p WHERE p.document_id = $1 AND p.is_current = 1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut found = publication(&row)?;
    fill_terms(conn, &mut found).await?;
    Ok(Some(found))
}

async fn fill_terms(conn: &mut AnyConnection, publication: &mut Publication) -> Result<(), StoreError> {
    let rows = sqlx::query::<Any>(
        "SELECT term_kind, term FROM document_terms WHERE document_id = $1 ORDER BY term_kind, term",
    )
    .bind(&publication.document_id)
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let kind: String = row.try_get("term_kind")?;
        let term: String = row.try_get("term")?;
        match kind.as_str() {
            "cve" => publication.cves.push(term),
            _ => publication.products.push(term),
        }
    }
    Ok(())
}

/// Makes `publication` the document's current one, with the guide's search terms.
async fn insert_publication(conn: &mut AnyConnection, p: &Publication) -> Result<(), StoreError> {
    let exists =
        sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM publications WHERE document_id = $1 AND version = $2")
            .bind(&p.document_id)
            .bind(&p.version)
            .fetch_one(&mut *conn)
            .await?;
    if exists > 0 {
        return Err(FieldError::new(
            "document.tracking.version",
            format!("{} version {} is already published; a published revision never changes", p.document_id, p.version),
        )
        .into());
    }
    sqlx::query::<Any>("UPDATE publications SET is_current = 0 WHERE document_id = $1")
        .bind(&p.document_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query::<Any>(
        "INSERT INTO publications (document_id, version, is_current, kind, title, label, path, category, severity, \
         status, release_month, initial_release, current_release, csaf, sha256, sha512, signature, snapshot, published_at) \
         VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&p.document_id)
    .bind(&p.version)
    .bind(p.kind.as_str())
    .bind(&p.title)
    .bind(&p.label)
    .bind(&p.path)
    .bind(&p.category)
    .bind(p.severity.map(|s| s.as_str()))
    .bind(&p.status)
    .bind(&p.release_month)
    .bind(to_ms(p.initial_release))
    .bind(to_ms(p.current_release))
    .bind(&p.csaf)
    .bind(&p.sha256)
    .bind(&p.sha512)
    .bind(&p.signature)
    .bind(&p.snapshot)
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::unique(
            e,
            "document.tracking.id",
            format!("another document is already published as {}/{}", p.label.to_lowercase(), p.path),
        )
    })?;
    sqlx::query::<Any>("DELETE FROM document_terms WHERE document_id = $1")
        .bind(&p.document_id)
        .execute(&mut *conn)
        .await?;
    let mut terms: Vec<(&str, &str)> = p.cves.iter().map(|c| ("cve", c.as_str())).collect();
    terms.extend(p.products.iter().map(|n| ("product", n.as_str())));
    terms.sort_unstable();
    terms.dedup();
    for (kind, term) in terms {
        sqlx::query::<Any>("INSERT INTO document_terms (document_id, term_kind, term) VALUES ($1, $2, $3)")
            .bind(&p.document_id)
            .bind(kind)
            .bind(term)
            .execute(&mut *conn)
            .await?;
    }
    // The catalog's source of this server's own publications syncs at the next pass: asked in
    // this transaction, the request cannot be lost between the two.
    sqlx::query::<Any>("UPDATE catalog_sources SET next_run_at = $1 WHERE kind = 'published'")
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A document derived from another at its publication (a VEX document per product): its own row,
/// made on first publication, and its publication.
async fn insert_derived(conn: &mut AnyConnection, p: &Publication) -> Result<(), StoreError> {
    let now = now_ms();
    sqlx::query::<Any>(
        "INSERT INTO documents (id, kind, origin, title, status, created_at, updated_at) \
         VALUES ($1, $2, 'derived', $3, $4, $5, $5) ON CONFLICT (id) DO UPDATE SET title = $3, status = $4, updated_at = $5",
    )
    .bind(&p.document_id)
    .bind(p.kind.as_str())
    .bind(&p.title)
    .bind(&p.status)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    insert_publication(conn, p).await
}

/// Publishes the draft revision of `stored` per its schedule, inside the caller's transaction:
/// the signed file, the document, the schedule cleared, and the cases it covers disclosed. When
/// `prepare` refuses, the schedule is cleared and the reason kept instead (unless `manual`, where
/// the caller reports it and rolls back).
async fn publish_in(
    conn: &mut AnyConnection,
    actor: &str,
    stored: StoredDocument,
    manual: Option<()>,
    prepare: &Prepare<'_>,
) -> Result<Result<String, String>, StoreError> {
    let id = stored.id.clone();
    let Some(schedule) = stored.schedule.clone() else {
        return Ok(Err("the document is not scheduled".into()));
    };
    let outcome = match stored.document {
        None => Err("an imported document cannot be published again".to_owned()),
        Some(mut document) => match document.publish(schedule.status, schedule.at) {
            Err(e) => Err(e.message),
            Ok(number) => prepare(&document, schedule.release_month.as_deref()).and_then(|mut all| {
                if all.is_empty() {
                    return Err("nothing to publish".to_owned());
                }
                let derived = all.split_off(1);
                Ok((document, all.remove(0), derived, number))
            }),
        },
    };
    let (document, publication, derived, number) = match outcome {
        Ok(ready) => ready,
        Err(reason) => {
            if manual.is_none() {
                refuse_schedule(conn, actor, &id, &reason).await?;
            }
            return Ok(Err(reason));
        }
    };
    insert_publication(conn, &publication).await?;
    for extra in &derived {
        insert_derived(conn, extra).await?;
    }
    sqlx::query::<Any>(
        "UPDATE documents SET title = $2, body = $3, status = $4, scheduled_at = NULL, scheduled_status = NULL, \
         scheduled_release = NULL, schedule_error = NULL, updated_at = $5 WHERE id = $1",
    )
    .bind(&id)
    .bind(&document.title)
    .bind(serde_json::to_string(&document).map_err(corrupt)?)
    .bind(state_name(&document))
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    append(
        conn,
        Audit {
            actor,
            action: AuditAction::DocumentPublish,
            entity_id: Some(id.clone()),
            before: None,
            after: Some(serde_json::json!({
                "revision": number.to_string(),
                "status": schedule.status,
                "path": format!("{}/{}", publication.label.to_lowercase(), publication.path),
                "sha256": publication.sha256,
            })),
        },
    )
    .await?;
    disclose_cases(conn, actor, &document).await?;
    // Subscribers hear of public documents only, in this same transaction.
    if matches!(publication.label.as_str(), "WHITE" | "UNLABELED") {
        let products: Vec<String> = document.products.iter().map(|p| p.name.clone()).collect();
        let message = crate::outbox::OutboxMessage {
            id: format!("evt_document_{id}_{number}"),
            kind: "document.published".into(),
            severity: publication.severity.map(|s| s.as_str().to_owned()),
            products: products.clone(),
            payload: serde_json::json!({
                "type": "document.published",
                "id": id,
                "kind": document.kind.as_str(),
                "revision": number.to_string(),
                "title": document.title,
                "severity": publication.severity.map(|s| s.as_str()),
                "products": products,
                "path": format!("/documents/{id}"),
                "csaf": format!("/.well-known/csaf/{}/{}", publication.label.to_lowercase(), publication.path),
                "published_at": publication.current_release.unix_timestamp(),
            }),
        };
        crate::outbox::enqueue(conn, &message).await?;
    }
    Ok(Ok(number.to_string()))
}

/// Clears a schedule that cannot be carried out and keeps the reason for the console, so that the
/// scheduler does not retry it forever.
async fn refuse_schedule(conn: &mut AnyConnection, actor: &str, id: &str, reason: &str) -> Result<(), StoreError> {
    sqlx::query::<Any>(
        "UPDATE documents SET scheduled_at = NULL, scheduled_status = NULL, scheduled_release = NULL, \
         schedule_error = $2, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    append(
        conn,
        Audit {
            actor,
            action: AuditAction::DocumentPublishRefused,
            entity_id: Some(id.to_owned()),
            before: None,
            after: Some(serde_json::json!({"reason": reason})),
        },
    )
    .await
}

/// The publication is the disclosure: the cases the document covers that are still open move to
/// disclosed, each with its audit entry.
async fn disclose_cases(conn: &mut AnyConnection, actor: &str, document: &Document) -> Result<(), StoreError> {
    let mut ids: Vec<i64> = document.vulnerabilities.iter().filter_map(|v| v.case_id).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let before = sqlx::query_scalar::<Any, String>("SELECT state FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(before) = before.filter(|s| !matches!(s.as_str(), "disclosed" | "rejected" | "duplicate")) else {
            continue;
        };
        sqlx::query::<Any>("UPDATE cases SET state = 'disclosed', updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now_ms())
            .execute(&mut *conn)
            .await?;
        append(
            conn,
            Audit {
                actor,
                action: AuditAction::CaseTransition,
                entity_id: Some(id.to_string()),
                before: Some(serde_json::json!({"state": before})),
                after: Some(serde_json::json!({"state": "disclosed", "by": document.id})),
            },
        )
        .await?;
    }
    Ok(())
}
