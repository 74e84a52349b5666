//! Advance notices: what is scheduled for a monthly release, and the published revisions of its
//! aggregates.

use parapet_model::{AdvanceNotice, Document, Summary};
use sqlx::{Any, Row};
use time::OffsetDateTime;

use crate::audit::{Audit, append};
use crate::{Store, StoreError, from_ms, to_ms};
use parapet_model::AuditAction;

impl Store {
    /// The authored documents scheduled for the monthly release `month` (`YYYY-MM`). For the
    /// scheduler's aggregates only: this read takes no viewer and must never reach a response.
    pub async fn scheduled_for_release(&self, month: &str) -> Result<Vec<Document>, StoreError> {
        let bodies = sqlx::query_scalar::<Any, String>(
            "SELECT body FROM documents WHERE scheduled_at IS NOT NULL AND scheduled_release = $1 AND body IS NOT NULL \
             ORDER BY id",
        )
        .bind(month)
        .fetch_all(&self.pool)
        .await?;
        bodies
            .iter()
            .map(|body| serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("document body: {e}"))))
            .collect()
    }

    /// Publishes `summary` as the next revision of its month's notice, unless the latest says the
    /// same. Returns the new notice, or `None` when nothing changed (or another server published
    /// the same revision first).
    pub async fn publish_advance_notice(
        &self,
        summary: &Summary,
        now: OffsetDateTime,
    ) -> Result<Option<AdvanceNotice>, StoreError> {
        let text = serde_json::to_string(summary).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write_tx().await?;
        let latest = sqlx::query::<Any>(
            "SELECT version, summary FROM advance_notices WHERE month = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(&summary.month)
        .fetch_optional(&mut *tx)
        .await?;
        let (version, previous) = match latest {
            Some(row) => (row.try_get::<i64, _>("version")? + 1, Some(row.try_get::<String, _>("summary")?)),
            None => (1, None),
        };
        if previous.as_deref() == Some(text.as_str()) {
            tx.rollback().await?;
            return Ok(None);
        }
        let inserted = sqlx::query::<Any>(
            "INSERT INTO advance_notices (month, version, summary, published_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (month, version) DO NOTHING",
        )
        .bind(&summary.month)
        .bind(version)
        .bind(&text)
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        append(
            &mut tx,
            Audit {
                actor: "scheduler",
                action: AuditAction::AdvanceNoticePublish,
                entity_id: Some(format!("{}/{version}", summary.month)),
                before: None,
                after: serde_json::from_str(&text).ok(),
            },
        )
        .await?;
        let message = crate::outbox::OutboxMessage {
            id: format!("evt_notice_{}_{version}", summary.month),
            kind: "advance_notice.published".into(),
            severity: None,
            products: summary.product_families.clone(),
            payload: serde_json::json!({
                "type": "advance_notice.published",
                "month": summary.month,
                "version": version,
                "summary": summary,
                "path": format!("/advance-notification/{}", summary.month),
            }),
        };
        crate::outbox::enqueue(&mut tx, &message).await?;
        tx.commit().await?;
        Ok(Some(AdvanceNotice { version: version as u32, summary: summary.clone(), published_at: now }))
    }

    /// The latest revision of each month's notice, newest month first.
    pub async fn advance_notices(&self, limit: u32) -> Result<Vec<AdvanceNotice>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT a.version, a.summary, a.published_at FROM advance_notices a \
             WHERE a.version = (SELECT MAX(b.version) FROM advance_notices b WHERE b.month = a.month) \
             ORDER BY a.month DESC LIMIT $1",
        )
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notice_row).collect()
    }

    /// Every revision of one month's notice, oldest first.
    pub async fn advance_notice_history(&self, month: &str) -> Result<Vec<AdvanceNotice>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT version, summary, published_at FROM advance_notices WHERE month = $1 ORDER BY version",
        )
        .bind(month)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notice_row).collect()
    }
}

/// An `advance_notices` row as stored.
#[derive(sqlx::FromRow)]
struct NoticeRow {
    version: i64,
    summary: String,
    published_at: i64,
}

fn notice_row(row: &sqlx::any::AnyRow) -> Result<AdvanceNotice, StoreError> {
    let row = <NoticeRow as sqlx::FromRow<_>>::from_row(row)?;
    Ok(AdvanceNotice {
        version: u32::try_from(row.version)
            .map_err(|_| StoreError::Corrupt(format!("advance notice version {}", row.version)))?,
        summary: serde_json::from_str(&row.summary).map_err(|e| StoreError::Corrupt(format!("advance notice: {e}")))?,
        published_at: from_ms(row.published_at),
    })
}
