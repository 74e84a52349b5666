//! Vulnerability cases, their messages, attachments and CVE assignment.
//!
//! Every read takes the caller's [`Viewer`]: a case under embargo is only ever returned to
//! a viewer whose role lets them see it (or, for its own case, to the reporter's tracking
//! link). Anyone else gets "not found" or an empty page, exactly as if it did not exist.

use parapet_model::{
    AffectedProduct, Case, CaseFields, CaseKey, CaseState, CvssScores, CvssV3, CvssV4, Exploitability, FieldError,
    MessageVisibility, Permission, Severity, SeverityOverride, Viewer,
};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};
use time::{Date, OffsetDateTime};

use crate::audit::{Audit, AuditEntry, append};
use crate::{Arg, Binds, Page, Store, StoreError, from_ms, like_pattern, now_ms, placeholders};
use parapet_model::AuditAction;

/// A case about to be created.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub fields: CaseFields,
    /// `intake` for researcher reports, `staff` for cases opened by the team.
    pub source: &'static str,
    /// Digest of the reporter's private tracking token, for intake cases.
    pub tracking_hash: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseSort {
    #[default]
    Updated,
    Created,
    Severity,
    Title,
    State,
    DisclosureDate,
}

impl CaseSort {
    pub fn parse(s: &str) -> Result<CaseSort, FieldError> {
        Ok(match s {
            "updated" => CaseSort::Updated,
            "created" => CaseSort::Created,
            "severity" => CaseSort::Severity,
            "title" => CaseSort::Title,
            "state" => CaseSort::State,
            "disclosure_date" => CaseSort::DisclosureDate,
            other => {
                return Err(FieldError::new(
                    "sort",
                    format!(
                        "unknown sort {other:?}; expected updated, created, severity, title, state or disclosure_date"
                    ),
                ));
            }
        })
    }

    fn column(self) -> &'static str {
        match self {
            CaseSort::Updated => "c.updated_at",
            CaseSort::Created => "c.created_at",
            CaseSort::Severity => "c.severity_rank",
            CaseSort::Title => "c.title",
            CaseSort::State => "c.state",
            CaseSort::DisclosureDate => "c.disclosure_date",
        }
    }
}

/// Filters, order and page of a case list.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub states: Vec<CaseState>,
    pub severity: Option<Severity>,
    pub product_id: Option<i64>,
    /// Words that must appear in the title, description or CVE ID.
    pub text: Option<String>,
    pub sort: CaseSort,
    pub ascending: bool,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub case_id: i64,
    pub visibility: MessageVisibility,
    /// `reporter` or `staff`.
    pub author_kind: String,
    pub author_name: String,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub case_id: i64,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub uploaded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// What the dashboard shows: counts by state and severity, and what is due.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CaseCounts {
    pub by_state: Vec<(CaseState, i64)>,
    pub by_severity: Vec<(Option<Severity>, i64)>,
    pub open: i64,
    /// Open cases with a planned disclosure date, soonest first.
    pub due: Vec<Case>,
}

const CASE_COLUMNS: &str = "c.id, c.state, c.duplicate_of, c.title, c.description, c.reporter_name, c.reporter_email, \
    c.credits_json, c.cwe, c.cvss_v31, c.cvss_v31_tenths, c.cvss_v4, c.cvss_v4_tenths, c.severity_override, \
    c.severity_override_reason, c.publicly_disclosed, c.exploited, c.exploitability_index, c.cve_id, \
    c.disclosure_date, c.created_at, c.updated_at";

const DATE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// A `cases` row as stored (the columns of [`CASE_COLUMNS`]).
#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    state: String,
    duplicate_of: Option<i64>,
    title: String,
    description: String,
    reporter_name: Option<String>,
    reporter_email: Option<String>,
    credits_json: String,
    cwe: Option<String>,
    cvss_v31: Option<String>,
    cvss_v31_tenths: Option<i64>,
    cvss_v4: Option<String>,
    cvss_v4_tenths: Option<i64>,
    severity_override: Option<String>,
    severity_override_reason: Option<String>,
    publicly_disclosed: i64,
    exploited: i64,
    exploitability_index: Option<String>,
    cve_id: Option<String>,
    disclosure_date: Option<String>,
    created_at: i64,
    updated_at: i64,
}

fn case(row: &sqlx::any::AnyRow) -> Result<Case, StoreError> {
    let row = <CaseRow as sqlx::FromRow<_>>::from_row(row)?;
    let fields = CaseFields {
        title: row.title,
        description: row.description,
        reporter_name: row.reporter_name,
        reporter_email: row.reporter_email,
        credits: serde_json::from_str(&row.credits_json).map_err(corrupt)?,
        affected: Vec::new(),
        cwe: row.cwe,
        cvss: CvssScores {
            v31: row.cvss_v31.map(|vector| CvssV3 { vector, score: from_tenths(row.cvss_v31_tenths) }),
            v4: row.cvss_v4.map(|vector| CvssV4 { vector, score: from_tenths(row.cvss_v4_tenths) }),
        },
        severity_override: row
            .severity_override
            .map(|s| {
                Ok::<_, StoreError>(SeverityOverride {
                    severity: s.parse().map_err(corrupt)?,
                    reason: row.severity_override_reason.unwrap_or_default(),
                })
            })
            .transpose()?,
        exploitability: Exploitability {
            publicly_disclosed: row.publicly_disclosed != 0,
            exploited: row.exploited != 0,
            index: row.exploitability_index.map(|i| i.parse()).transpose().map_err(corrupt)?,
        },
        cve_id: row.cve_id,
        disclosure_date: row.disclosure_date.map(|d| Date::parse(&d, DATE_FORMAT)).transpose().map_err(corrupt)?,
    };
    Ok(Case {
        id: row.id,
        key: CaseKey(row.id).to_string(),
        state: row.state.parse().map_err(corrupt)?,
        duplicate_of: row.duplicate_of,
        severity: fields.effective_severity(),
        derived_severity: fields.derived_severity(),
        fields,
        created_at: from_ms(row.created_at),
        updated_at: from_ms(row.updated_at),
    })
}

/// A `case_messages` row as stored.
#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    case_id: i64,
    visibility: String,
    author_kind: String,
    author_name: String,
    body: String,
    created_at: i64,
}

fn message(row: &sqlx::any::AnyRow) -> Result<Message, StoreError> {
    let row = <MessageRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(Message {
        id: row.id,
        case_id: row.case_id,
        visibility: MessageVisibility::parse(&row.visibility).map_err(corrupt)?,
        author_kind: row.author_kind,
        author_name: row.author_name,
        body: row.body,
        created_at: from_ms(row.created_at),
    })
}

/// An `attachments` row as stored, without its content.
#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: i64,
    case_id: i64,
    filename: String,
    content_type: String,
    sha256: String,
    size: i64,
    uploaded_by: String,
    created_at: i64,
}

fn attachment(row: &sqlx::any::AnyRow) -> Result<Attachment, StoreError> {
    let row = <AttachmentRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(Attachment {
        id: row.id,
        case_id: row.case_id,
        filename: row.filename,
        content_type: row.content_type,
        sha256: row.sha256,
        size: row.size,
        uploaded_by: row.uploaded_by,
        created_at: from_ms(row.created_at),
    })
}

/// A value bound to a dynamically built query.
/// Whether `viewer` may read case `id` at all.
fn may_read(viewer: &Viewer, id: i64) -> bool {
    match viewer {
        Viewer::Reporter { case_id } => *case_id == id,
        _ => viewer.sees_undisclosed(),
    }
}

impl Store {
    pub async fn create_case(&self, actor: &str, new: NewCase) -> Result<Case, StoreError> {
        let fields = &new.fields;
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "INSERT INTO cases ({FIELD_COLUMNS}, state, tracking_hash, source, created_at, updated_at) \
             VALUES ({}, 'new', $19, $20, $21, $21) RETURNING id",
            placeholders(1, FIELD_COUNT)
        );
        let id: i64 = bind_fields(sqlx::query::<Any>(&sql), fields)?
            .bind(&new.tracking_hash)
            .bind(new.source)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .and_then(|row| row.try_get("id"))
            .map_err(|e| StoreError::unique(e, "cve_id", "that CVE ID is already used by another case"))?;
        write_affected(&mut tx, id, &fields.affected).await?;
        let created = case_in(&mut tx, id).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::CaseCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(to_json(&created)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// One case, if `viewer` may see it; otherwise "not found", as for a case that does not exist.
    pub async fn case(&self, viewer: &Viewer, id: i64) -> Result<Case, StoreError> {
        if !may_read(viewer, id) {
            return Err(StoreError::NotFound("case"));
        }
        let mut conn = self.pool.acquire().await?;
        case_in(&mut conn, id).await
    }

    /// The case a reporter's tracking token digest belongs to.
    pub async fn case_for_tracking(&self, tracking_hash: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>("SELECT id FROM cases WHERE tracking_hash = $1")
            .bind(tracking_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A page of cases visible to `viewer`. Viewers who may not see cases get an empty page
    /// with a total of zero, so that not even the number of cases leaks.
    pub async fn cases(&self, viewer: &Viewer, query: &CaseQuery) -> Result<Page<Case>, StoreError> {
        let per_page = if query.per_page == 0 { 50 } else { query.per_page.min(500) };
        let page = query.page.max(1);
        if !viewer.sees_undisclosed() {
            return Ok(Page { items: Vec::new(), total: 0, page, per_page });
        }
        let mut conditions = Vec::new();
        let mut binds = Binds::default();
        if !query.states.is_empty() {
            let states = binds.list(query.states.iter().map(|s| Arg::Text(s.as_str().to_owned())));
            conditions.push(format!("c.state IN ({states})"));
        }
        if let Some(severity) = query.severity {
            conditions.push(format!("c.severity_rank = {}", binds.add(Arg::Int(severity.rank()))));
        }
        if let Some(product_id) = query.product_id {
            let product = binds.add(Arg::Int(product_id));
            conditions.push(format!("c.id IN (SELECT case_id FROM case_products WHERE product_id = {product})"));
        }
        for word in query.text.as_deref().unwrap_or("").split_whitespace().take(8) {
            let n = binds.add(Arg::Text(like_pattern(word)));
            conditions.push(format!(
                "(LOWER(c.title) LIKE {n} ESCAPE '\\' OR LOWER(c.description) LIKE {n} ESCAPE '\\' OR LOWER(COALESCE(c.cve_id, '')) LIKE {n} ESCAPE '\\')"
            ));
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        // A separate count keeps the page query an index walk that stops at LIMIT; a window
        // count over the page query makes every list sort all matching rows (measured: 60x slower).
        let total = binds
            .to(sqlx::query::<Any>(&format!("SELECT COUNT(*) AS n FROM cases c {filter}")))
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>("n")?;
        let direction = if query.ascending { "ASC" } else { "DESC" };
        let limit = binds.add(Arg::Int(per_page as i64));
        let offset = binds.add(Arg::Int((page as i64 - 1) * per_page as i64));
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c {filter} ORDER BY {} {direction}, c.id {direction} LIMIT {limit} OFFSET {offset}",
            query.sort.column(),
        );
        let rows = binds.to(sqlx::query::<Any>(&sql)).fetch_all(&self.pool).await?;
        let mut items: Vec<Case> = rows.iter().map(case).collect::<Result<_, _>>()?;
        let mut conn = self.pool.acquire().await?;
        fill_affected(&mut conn, &mut items).await?;
        Ok(Page { items, total, page, per_page })
    }

    /// Applies already-validated fields to a case. The caller checks the viewer may edit.
    pub async fn update_case(&self, actor: &str, id: i64, fields: &CaseFields) -> Result<Case, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = case_in(&mut tx, id).await?;
        let assignments = FIELD_COLUMNS
            .split(", ")
            .enumerate()
            .map(|(i, column)| format!("{column} = ${}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("UPDATE cases SET {assignments}, updated_at = $19 WHERE id = $20");
        bind_fields(sqlx::query::<Any>(&sql), fields)?
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "cve_id", "that CVE ID is already used by another case"))?;
        if fields.affected != before.fields.affected {
            sqlx::query::<Any>("DELETE FROM case_products WHERE case_id = $1").bind(id).execute(&mut *tx).await?;
            write_affected(&mut tx, id, &fields.affected).await?;
        }
        let after = case_in(&mut tx, id).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::CaseUpdate,
                entity_id: Some(id.to_string()),
                before: Some(to_json(&before)),
                after: Some(to_json(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Moves a case to another state; `duplicate_of` is required for, and only for, `duplicate`.
    pub async fn transition_case(
        &self,
        actor: &str,
        id: i64,
        to: CaseState,
        duplicate_of: Option<i64>,
    ) -> Result<Case, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = case_in(&mut tx, id).await?;
        before.state.check_transition(to)?;
        let duplicate_of = match (to, duplicate_of) {
            (CaseState::Duplicate, None) => {
                return Err(
                    FieldError::new("duplicate_of", "a duplicate needs the ID of the case it duplicates").into()
                );
            }
            (CaseState::Duplicate, Some(other)) if other == id => {
                return Err(FieldError::new("duplicate_of", "a case cannot duplicate itself").into());
            }
            (CaseState::Duplicate, Some(other)) => {
                case_in(&mut tx, other)
                    .await
                    .map_err(|_| FieldError::new("duplicate_of", format!("there is no case {other}")))?;
                Some(other)
            }
            (_, _) => None,
        };
        sqlx::query::<Any>("UPDATE cases SET state = $2, duplicate_of = $3, updated_at = $4 WHERE id = $1")
            .bind(id)
            .bind(to.as_str())
            .bind(duplicate_of)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        let after = case_in(&mut tx, id).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::CaseTransition,
                entity_id: Some(id.to_string()),
                before: Some(serde_json::json!({"state": before.state, "duplicate_of": before.duplicate_of})),
                after: Some(serde_json::json!({"state": after.state, "duplicate_of": after.duplicate_of})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Adds CVE IDs to the reserved pool; IDs already there are left as they are.
    pub async fn add_to_cve_pool(&self, ids: &[String]) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let mut added = 0;
        for id in ids {
            added += sqlx::query::<Any>("INSERT INTO cve_pool (cve_id) VALUES ($1) ON CONFLICT (cve_id) DO NOTHING")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    /// How many reserved CVE IDs exist and how many are still free.
    pub async fn cve_pool_status(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query::<Any>(
            "SELECT COUNT(*) AS total, \
                    (SELECT COUNT(*) FROM cve_pool WHERE case_id IS NULL \
                     AND cve_id NOT IN (SELECT cve_id FROM cases WHERE cve_id IS NOT NULL)) AS free \
             FROM cve_pool",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("total")?, row.try_get("free")?))
    }

    /// Assigns the lowest free CVE ID of the reserved pool to a case that has none.
    pub async fn assign_cve(&self, actor: &str, id: i64) -> Result<Case, StoreError> {
        let mut tx = self.write_tx().await?;
        let before = case_in(&mut tx, id).await?;
        if let Some(cve) = &before.fields.cve_id {
            return Err(FieldError::new("cve_id", format!("the case already has {cve}")).into());
        }
        let free = sqlx::query_scalar::<Any, String>(&format!(
            "SELECT cve_id FROM cve_pool WHERE case_id IS NULL \
             AND cve_id NOT IN (SELECT cve_id FROM cases WHERE cve_id IS NOT NULL) ORDER BY cve_id LIMIT 1{}",
            self.backend.claim_suffix()
        ))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            FieldError::new("cve_id", "the reserved CVE pool is empty; add IDs to cve.pool in the configuration")
        })?;
        sqlx::query::<Any>("UPDATE cve_pool SET case_id = $2 WHERE cve_id = $1")
            .bind(&free)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query::<Any>("UPDATE cases SET cve_id = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(&free)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "cve_id", "that CVE ID is already used by another case"))?;
        let after = case_in(&mut tx, id).await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::CaseAssignCve,
                entity_id: Some(id.to_string()),
                before: Some(serde_json::json!({"cve_id": null})),
                after: Some(serde_json::json!({"cve_id": free})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Messages of a case: all of them for staff, only the reporter conversation for the reporter.
    pub async fn messages(&self, viewer: &Viewer, case_id: i64) -> Result<Vec<Message>, StoreError> {
        if !may_read(viewer, case_id) {
            return Err(StoreError::NotFound("case"));
        }
        let only_reporter = !viewer.sees_undisclosed();
        let rows = sqlx::query::<Any>(
            "SELECT id, case_id, visibility, author_kind, author_name, body, created_at FROM case_messages \
             WHERE case_id = $1 AND ($2 = 0 OR visibility = 'reporter') ORDER BY id",
        )
        .bind(case_id)
        .bind(only_reporter as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message).collect()
    }

    /// Adds a message. Reporters may only add to the reporter conversation of their own case;
    /// staff need the permission to edit cases.
    pub async fn add_message(
        &self,
        viewer: &Viewer,
        case_id: i64,
        visibility: MessageVisibility,
        body: &str,
    ) -> Result<Message, StoreError> {
        let (author_kind, visibility) = match viewer {
            Viewer::Reporter { case_id: own } if *own == case_id => ("reporter", MessageVisibility::Reporter),
            Viewer::Staff { .. } if viewer.can(Permission::EditCases) => ("staff", visibility),
            _ => return Err(StoreError::NotFound("case")),
        };
        let body = parapet_model::validate::required_text("body", body, 20_000)?;
        let author = viewer.actor_name();
        let mut tx = self.write_tx().await?;
        case_in(&mut tx, case_id).await?;
        let row = sqlx::query::<Any>(
            "INSERT INTO case_messages (case_id, visibility, author_kind, author_name, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, case_id, visibility, author_kind, author_name, body, created_at",
        )
        .bind(case_id)
        .bind(visibility.as_str())
        .bind(author_kind)
        .bind(&author)
        .bind(&body)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let created = message(&row)?;
        sqlx::query::<Any>("UPDATE cases SET updated_at = $2 WHERE id = $1")
            .bind(case_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            Audit {
                actor: &author,
                action: if visibility == MessageVisibility::Internal {
                    AuditAction::CaseNote
                } else {
                    AuditAction::CaseMessage
                },
                entity_id: Some(case_id.to_string()),
                before: None,
                after: Some(serde_json::json!({"message_id": created.id, "visibility": visibility, "body": body})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn attachments(&self, viewer: &Viewer, case_id: i64) -> Result<Vec<Attachment>, StoreError> {
        if !viewer.sees_undisclosed() {
            return Err(StoreError::NotFound("case"));
        }
        let rows = sqlx::query::<Any>(
            "SELECT id, case_id, filename, content_type, sha256, size, uploaded_by, created_at FROM attachments WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(attachment).collect()
    }

    /// Stores an attachment's content once per digest and links it to the case.
    pub async fn add_attachment(
        &self,
        actor: &str,
        case_id: i64,
        new: NewAttachment,
    ) -> Result<Attachment, StoreError> {
        let mut tx = self.write_tx().await?;
        case_in(&mut tx, case_id).await?;
        sqlx::query::<Any>(
            "INSERT INTO blobs (sha256, size, content) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&new.sha256)
        .bind(new.content.len() as i64)
        .bind(new.content.clone())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query::<Any>(
            "INSERT INTO attachments (case_id, filename, content_type, sha256, size, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, case_id, filename, content_type, sha256, size, uploaded_by, created_at",
        )
        .bind(case_id)
        .bind(&new.filename)
        .bind(&new.content_type)
        .bind(&new.sha256)
        .bind(new.content.len() as i64)
        .bind(actor)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let created = attachment(&row)?;
        append(&mut tx, Audit { actor, action: AuditAction::CaseAttachment, entity_id: Some(case_id.to_string()), before: None, after: Some(serde_json::json!({"attachment_id": created.id, "filename": created.filename, "sha256": created.sha256, "size": created.size})) })
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// An attachment and its content.
    pub async fn attachment(
        &self,
        viewer: &Viewer,
        case_id: i64,
        id: i64,
    ) -> Result<(Attachment, Vec<u8>), StoreError> {
        if !viewer.sees_undisclosed() {
            return Err(StoreError::NotFound("attachment"));
        }
        let row = sqlx::query::<Any>(
            "SELECT a.id, a.case_id, a.filename, a.content_type, a.sha256, a.size, a.uploaded_by, a.created_at, b.content \
             FROM attachments a JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = $1 AND a.case_id = $2",
        )
        .bind(id)
        .bind(case_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("attachment"))?;
        Ok((attachment(&row)?, row.try_get("content")?))
    }

    /// The audit entries of a case, oldest first.
    pub async fn case_timeline(&self, viewer: &Viewer, case_id: i64) -> Result<Vec<AuditEntry>, StoreError> {
        if !viewer.sees_undisclosed() {
            return Err(StoreError::NotFound("case"));
        }
        self.audit_of(parapet_model::Entity::Case, &case_id.to_string()).await
    }

    /// Counts for the dashboard; zero for viewers who may not see cases.
    pub async fn case_counts(&self, viewer: &Viewer) -> Result<CaseCounts, StoreError> {
        if !viewer.sees_undisclosed() {
            return Ok(CaseCounts::default());
        }
        let rows =
            sqlx::query::<Any>("SELECT state, COUNT(*) AS n FROM cases GROUP BY state").fetch_all(&self.pool).await?;
        let mut by_state = Vec::new();
        for state in CaseState::ALL {
            let n = rows
                .iter()
                .find(|r| r.try_get::<String, _>("state").ok().as_deref() == Some(state.as_str()))
                .map(|r| r.try_get::<i64, _>("n"))
                .transpose()?
                .unwrap_or(0);
            by_state.push((state, n));
        }
        let open_states: Vec<&str> = CaseState::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect();
        let in_open = format!("state IN ({})", placeholders(1, open_states.len()));
        let sql = format!("SELECT severity_rank, COUNT(*) AS n FROM cases WHERE {in_open} GROUP BY severity_rank");
        let mut query = sqlx::query::<Any>(&sql);
        for s in &open_states {
            query = query.bind(*s);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut by_severity = Vec::new();
        let mut open = 0;
        for rank in [4, 3, 2, 1, 0] {
            let n = rows
                .iter()
                .find(|r| r.try_get::<i64, _>("severity_rank").ok() == Some(rank))
                .map(|r| r.try_get::<i64, _>("n"))
                .transpose()?
                .unwrap_or(0);
            open += n;
            by_severity.push((Severity::from_rank(rank), n));
        }
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c WHERE c.disclosure_date IS NOT NULL AND c.{in_open} ORDER BY c.disclosure_date, c.id LIMIT 10"
        );
        let mut query = sqlx::query::<Any>(&sql);
        for s in &open_states {
            query = query.bind(*s);
        }
        let due = query.fetch_all(&self.pool).await?.iter().map(case).collect::<Result<_, _>>()?;
        Ok(CaseCounts { by_state, by_severity, open, due })
    }
}

/// The columns of [`CaseFields`] (affected products aside), in [`bind_fields`] order.
const FIELD_COLUMNS: &str = "title, description, reporter_name, reporter_email, credits_json, cwe, cvss_v31, \
    cvss_v31_tenths, cvss_v4, cvss_v4_tenths, severity_rank, severity_override, severity_override_reason, \
    publicly_disclosed, exploited, exploitability_index, cve_id, disclosure_date";
const FIELD_COUNT: usize = 18;

/// Binds a case's fields as the next [`FIELD_COUNT`] parameters, in [`FIELD_COLUMNS`] order.
fn bind_fields<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    fields: &CaseFields,
) -> Result<sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>, StoreError> {
    Ok(query
        .bind(fields.title.clone())
        .bind(fields.description.clone())
        .bind(fields.reporter_name.clone())
        .bind(fields.reporter_email.clone())
        .bind(serde_json::to_string(&fields.credits).map_err(corrupt)?)
        .bind(fields.cwe.clone())
        .bind(fields.cvss.v31.as_ref().map(|v| v.vector.clone()))
        .bind(fields.cvss.v31.as_ref().map(|v| to_tenths(v.score)))
        .bind(fields.cvss.v4.as_ref().map(|v| v.vector.clone()))
        .bind(fields.cvss.v4.as_ref().map(|v| to_tenths(v.score)))
        .bind(fields.effective_severity().map_or(0, Severity::rank))
        .bind(fields.severity_override.as_ref().map(|o| o.severity.as_str()))
        .bind(fields.severity_override.as_ref().map(|o| o.reason.clone()))
        .bind(fields.exploitability.publicly_disclosed as i64)
        .bind(fields.exploitability.exploited as i64)
        .bind(fields.exploitability.index.map(|i| i.as_str()))
        .bind(fields.cve_id.clone())
        .bind(fields.disclosure_date.map(|d| d.format(DATE_FORMAT)).transpose().map_err(corrupt)?))
}

/// CVSS scores have one decimal; stored as whole tenths they compare and round-trip exactly.
fn to_tenths(score: f64) -> i64 {
    (score * 10.0).round() as i64
}

fn from_tenths(tenths: Option<i64>) -> f64 {
    tenths.unwrap_or(0) as f64 / 10.0
}

fn to_json(case: &Case) -> serde_json::Value {
    serde_json::to_value(case).unwrap_or(serde_json::Value::Null)
}

async fn write_affected(
    conn: &mut AnyConnection,
    case_id: i64,
    affected: &[AffectedProduct],
) -> Result<(), StoreError> {
    for (position, a) in affected.iter().enumerate() {
        let exists = sqlx::query_scalar::<Any, i64>("SELECT COUNT(*) FROM products WHERE id = $1")
            .bind(a.product_id)
            .fetch_one(&mut *conn)
            .await?;
        if exists == 0 {
            return Err(FieldError::new("affected.product_id", format!("there is no product {}", a.product_id)).into());
        }
        sqlx::query::<Any>("INSERT INTO case_products (case_id, position, product_id, versions, fixed_version) VALUES ($1, $2, $3, $4, $5)")
            .bind(case_id)
            .bind(position as i64)
            .bind(a.product_id)
            .bind(&a.versions)
            .bind(&a.fixed_version)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn case_in(conn: &mut AnyConnection, id: i64) -> Result<Case, StoreError> {
    let row = sqlx::query::<Any>(&format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("case"))?;
    let mut cases = vec![case(&row)?];
    fill_affected(conn, &mut cases).await?;
    Ok(cases.remove(0))
}

async fn fill_affected(conn: &mut AnyConnection, cases: &mut [Case]) -> Result<(), StoreError> {
    if cases.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT cp.case_id, cp.product_id, cp.versions, cp.fixed_version, v.name || ' ' || p.name AS product_name \
         FROM case_products cp JOIN products p ON p.id = cp.product_id JOIN vendors v ON v.id = p.vendor_id \
         WHERE cp.case_id IN ({}) ORDER BY cp.case_id, cp.position",
        placeholders(1, cases.len())
    );
    let mut query = sqlx::query::<Any>(&sql);
    for c in cases.iter() {
        query = query.bind(c.id);
    }
    for row in query.fetch_all(&mut *conn).await? {
        let case_id: i64 = row.try_get("case_id")?;
        if let Some(c) = cases.iter_mut().find(|c| c.id == case_id) {
            c.fields.affected.push(AffectedProduct {
                product_id: row.try_get("product_id")?,
                versions: row.try_get("versions")?,
                fixed_version: row.try_get("fixed_version")?,
                product_name: row.try_get("product_name")?,
            });
        }
    }
    Ok(())
}
