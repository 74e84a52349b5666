//! The change feed other Parapet servers replicate from, in tick order.

use super::entries::{UPDATE_COLUMNS, update_row};
use super::*;

impl Store {
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
