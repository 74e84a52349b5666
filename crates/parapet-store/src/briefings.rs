//! Briefings: scheduled, changed, cancelled (kept, so calendar subscribers see the cancellation).

use parapet_model::{Briefing, BriefingInput};
use sqlx::{Any, AnyConnection};
use time::OffsetDateTime;

use crate::audit::{Audit, append};
use crate::{Store, StoreError, from_ms, now_ms, to_ms};
use parapet_model::AuditAction;

const COLUMNS: &str = "id, title, starts_at, duration_minutes, join_url, description, cancelled, updated_at";

impl Store {
    pub async fn create_briefing(&self, actor: &str, input: &BriefingInput) -> Result<Briefing, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let id = sqlx::query_scalar::<Any, i64>(
            "INSERT INTO briefings (title, starts_at, duration_minutes, join_url, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(&input.title)
        .bind(to_ms(input.starts_at))
        .bind(i64::from(input.duration_minutes))
        .bind(&input.join_url)
        .bind(&input.description)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::BriefingCreate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(view(input)),
            },
        )
        .await?;
        let briefing = briefing_in(&mut tx, id).await?.ok_or(StoreError::NotFound("briefing"))?;
        tx.commit().await?;
        Ok(briefing)
    }

    pub async fn update_briefing(&self, actor: &str, id: i64, input: &BriefingInput) -> Result<Briefing, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query::<Any>(
            "UPDATE briefings SET title = $1, starts_at = $2, duration_minutes = $3, join_url = $4, description = $5, \
             updated_at = $6 WHERE id = $7",
        )
        .bind(&input.title)
        .bind(to_ms(input.starts_at))
        .bind(i64::from(input.duration_minutes))
        .bind(&input.join_url)
        .bind(&input.description)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("briefing"));
        }
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::BriefingUpdate,
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(view(input)),
            },
        )
        .await?;
        let briefing = briefing_in(&mut tx, id).await?.ok_or(StoreError::NotFound("briefing"))?;
        tx.commit().await?;
        Ok(briefing)
    }

    pub async fn cancel_briefing(&self, actor: &str, id: i64) -> Result<Briefing, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = sqlx::query::<Any>("UPDATE briefings SET cancelled = 1, updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("briefing"));
        }
        append(
            &mut tx,
            Audit {
                actor,
                action: AuditAction::BriefingCancel,
                entity_id: Some(id.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        let briefing = briefing_in(&mut tx, id).await?.ok_or(StoreError::NotFound("briefing"))?;
        tx.commit().await?;
        Ok(briefing)
    }

    /// Briefings that end after `from`, soonest first.
    pub async fn briefings(&self, from: OffsetDateTime) -> Result<Vec<Briefing>, StoreError> {
        let rows = sqlx::query::<Any>(&format!(
            "SELECT {COLUMNS} FROM briefings WHERE starts_at + duration_minutes * 60000 >= $1 ORDER BY starts_at, id LIMIT 500"
        ))
        .bind(to_ms(from))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(briefing_row).collect()
    }

    /// One briefing, cancelled or not.
    pub async fn briefing(&self, id: i64) -> Result<Option<Briefing>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        briefing_in(&mut conn, id).await
    }
}

async fn briefing_in(conn: &mut AnyConnection, id: i64) -> Result<Option<Briefing>, StoreError> {
    let row = sqlx::query::<Any>(&format!("SELECT {COLUMNS} FROM briefings WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(briefing_row).transpose()
}

/// A `briefings` row as stored.
#[derive(sqlx::FromRow)]
struct BriefingRow {
    id: i64,
    title: String,
    starts_at: i64,
    duration_minutes: i64,
    join_url: String,
    description: String,
    cancelled: i64,
    updated_at: i64,
}

fn briefing_row(row: &sqlx::any::AnyRow) -> Result<Briefing, StoreError> {
    let row = <BriefingRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(Briefing {
        id: row.id,
        title: row.title,
        starts_at: from_ms(row.starts_at),
        duration_minutes: u32::try_from(row.duration_minutes).unwrap_or(60),
        join_url: row.join_url,
        description: row.description,
        cancelled: row.cancelled != 0,
        updated_at: from_ms(row.updated_at),
    })
}

fn view(input: &BriefingInput) -> serde_json::Value {
    serde_json::json!({
        "title": input.title,
        "starts_at": to_ms(input.starts_at),
        "duration_minutes": input.duration_minutes,
        "join_url": input.join_url,
    })
}
