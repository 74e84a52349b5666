//! The append-only audit log: who changed what, when, from what to what.
//!
//! Entries are written inside the transaction of the change they describe, so there is
//! never a change without its entry. The database itself refuses updates and deletes.

use parapet_model::{AuditAction, Entity};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Row};
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

/// A stored word (an action, an entity) read back as its enum.
fn word<T: std::str::FromStr<Err = parapet_model::FieldError>>(
    row: &sqlx::any::AnyRow,
    column: &str,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e: parapet_model::FieldError| StoreError::Corrupt(format!("audit {column}: {}", e.message)))
}

fn entry(row: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    let json = |name: &str| -> Result<Option<serde_json::Value>, StoreError> {
        row.try_get::<Option<String>, _>(name)?
            .map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("audit {name}: {e}"))))
            .transpose()
    };
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: from_ms(row.try_get("at")?),
        actor: row.try_get("actor")?,
        action: word(row, "action")?,
        entity: word(row, "entity")?,
        entity_id: row.try_get("entity_id")?,
        before: json("before_json")?,
        after: json("after_json")?,
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
