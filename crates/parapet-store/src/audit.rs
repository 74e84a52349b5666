//! The append-only audit log: who changed what, when, from what to what.
//!
//! Entries are written inside the transaction of the change they describe, so there is
//! never a change without its entry. The database itself refuses updates and deletes.

use parapet_model::{AuditAction, Entity};
use serde::Serialize;
use sqlx::{Any, AnyConnection};
use time::OffsetDateTime;

use crate::{Page, Store, StoreError, from_ms, now_ms};

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: AuditAction,
    pub entity: Entity,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub entity: Option<Entity>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub page: u32,
    pub per_page: u32,
}

/// One entry to write: the action names its entity, so the two cannot disagree.
pub(crate) struct Audit<'a> {
    pub actor: &'a str,
    pub action: AuditAction,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes one entry on `conn`, which must be the change's own transaction.
pub(crate) async fn append(conn: &mut AnyConnection, audit: Audit<'_>) -> Result<(), StoreError> {
    let Audit { actor, action, entity_id, before, after } = audit;
    sqlx::query::<Any>(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now_ms())
    .bind(actor)
    .bind(action.as_str())
    .bind(action.entity().as_str())
    .bind(entity_id)
    .bind(before.map(|v| v.to_string()))
    .bind(after.map(|v| v.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

/// An `audit_log` row as stored.
#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    entity: String,
    entity_id: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
}

fn entry(row: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    let row = <AuditRow as sqlx::FromRow<_>>::from_row(row)?;
    let json = |name: &str, text: Option<String>| -> Result<Option<serde_json::Value>, StoreError> {
        text.map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("audit {name}: {e}"))))
            .transpose()
    };
    // A stored word (an action, an entity) read back as its enum.
    let word = |e: parapet_model::FieldError| StoreError::Corrupt(format!("audit {}: {}", e.field, e.message));
    Ok(AuditEntry {
        id: row.id,
        at: from_ms(row.at),
        actor: row.actor,
        action: row.action.parse().map_err(word)?,
        entity: row.entity.parse().map_err(word)?,
        entity_id: row.entity_id,
        before: json("before_json", row.before_json)?,
        after: json("after_json", row.after_json)?,
    })
}

impl Store {
    /// Audit entries, newest first. The caller checks that the viewer may read the log.
    pub async fn audit_entries(&self, query: &AuditQuery) -> Result<Page<AuditEntry>, StoreError> {
        let per_page = if query.per_page == 0 { 50 } else { query.per_page.min(1000) };
        let page = query.page.max(1);
        let filter = "($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) AND ($3 IS NULL OR actor = $3)";
        let total: i64 = sqlx::query_scalar::<Any, i64>(&format!("SELECT COUNT(*) FROM audit_log WHERE {filter}"))
            .bind(query.entity.map(Entity::as_str))
            .bind(query.entity_id.clone())
            .bind(query.actor.clone())
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query::<Any>(&format!(
            "SELECT id, at, actor, action, entity, entity_id, before_json, after_json FROM audit_log WHERE {filter} \
             ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(query.entity.map(Entity::as_str))
        .bind(query.entity_id.clone())
        .bind(query.actor.clone())
        .bind(per_page as i64)
        .bind(((page - 1) as i64) * per_page as i64)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(entry).collect::<Result<_, _>>()?;
        Ok(Page { items, total, page, per_page })
    }

    /// Every entry of one entity, oldest first (a case's timeline).
    pub(crate) async fn audit_of(&self, entity: Entity, entity_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT id, at, actor, action, entity, entity_id, before_json, after_json FROM audit_log \
             WHERE entity = $1 AND entity_id = $2 ORDER BY id",
        )
        .bind(entity.as_str())
        .bind(entity_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry).collect()
    }
}
