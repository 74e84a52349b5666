//! Parapet to Parapet: a downstream server replicates an upstream's catalog through its change
//! feed (`/api/v1/catalog/changes`), one page per batch, the upstream's cursor committed with
//! the page. Records keep their upstream source's name in their ID, so two upstream sources
//! never collide; applying a page twice changes nothing, so a sync cut off at any point and run
//! again ends in the same catalog.

use crate::{Context, SyncError};
use parapet_store::{CatalogBatch, ChangeFeed, RecordChange};

/// Rows per page of the change feed.
pub const PAGE: u32 = 500;

pub(crate) async fn sync(context: &mut Context<'_>) -> Result<(), SyncError> {
    let base = context.spec().url.trim_end_matches('/').to_owned();
    let mut done = 0;
    loop {
        let url = format!("{base}/api/v1/catalog/changes?cursor={}&limit={PAGE}", context.cursor());
        let body = context.fetcher.get(&url, 256 << 20).await?;
        let feed: ChangeFeed = serde_json::from_slice(&body)
            .map_err(|e| SyncError::Source(format!("{url}: not a Parapet change feed: {e}")))?;
        let mut batch = CatalogBatch::default();
        for item in &feed.records {
            let record_id = format!("{}/{}", item.source, item.record_id);
            match &item.advisory {
                Some(advisory) if context.spec().keeps(advisory) => batch.records.push(RecordChange {
                    record_id,
                    advisory: advisory.clone(),
                    modified: item.modified.clone(),
                }),
                // Withdrawn upstream, or no longer wanted here.
                _ => batch.withdrawn.push(record_id),
            }
        }
        for item in feed.updates {
            if context.spec().keeps_update(&item.change.update) {
                batch.updates.push(item.change);
            }
        }
        done += (batch.records.len() + batch.withdrawn.len() + batch.updates.len()) as u64;
        let next = feed.cursor.encode();
        if next != context.cursor() {
            batch.cursor = Some(next);
        }
        context.commit(batch).await?;
        context.progress("replica", done, done);
        if !feed.more {
            return Ok(());
        }
    }
}
