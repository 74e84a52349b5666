//! Whole-file sources: Debian's DSA and DLA lists (one file, thousands of advisories) and
//! Alpine's secdb (one file per release and repository). A file whose content has not changed
//! is not read again; a changed one is read whole, its advisories compared with those taken, and
//! the ones it no longer lists withdrawn.

use crate::{Context, SyncError, sha256_hex};
use parapet_catalog::Advisory;
use parapet_catalog::sources;
use parapet_store::{CatalogBatch, DocumentState, RecordChange};
use std::collections::BTreeSet;

pub(crate) async fn sync_debian(context: &mut Context<'_>) -> Result<(), SyncError> {
    let url = context.spec().url.clone();
    let body = context.fetcher.get(&url, context.spec().document_limit()).await?;
    let name = display_name(&url);
    let taken = context.store.record_ids(context.lease.source.id).await?;
    take_file(context, name, body, &taken, |text| {
        let parsed = sources::debian_list::parse(text);
        Ok((parsed.advisories, parsed.problems))
    })
    .await
}

pub(crate) async fn sync_alpine(context: &mut Context<'_>) -> Result<(), SyncError> {
    let url = context.spec().url.clone();
    let limit = context.spec().document_limit();
    let files: Vec<(String, Vec<u8>)> = if !crate::is_http(&url) && crate::fetch::local_path(&url).is_dir() {
        let root = crate::fetch::local_path(&url);
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.map_err(|e| SyncError::Source(e.to_string()))?;
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            if entry.file_type().is_file() && (name.ends_with(".yaml") || name.ends_with(".json")) {
                let relative = entry.path().strip_prefix(&root).unwrap_or(entry.path()).display().to_string();
                let bytes = std::fs::read(entry.path()).map_err(|e| SyncError::Source(format!("{relative}: {e}")))?;
                files.push((relative, bytes));
            }
        }
        files
    } else {
        vec![(display_name(&url), context.fetcher.get(&url, limit).await?)]
    };
    // The records taken before this sync, read once: each file only touches its own
    // (`FILE#ID`), so what one file writes never changes what another compares with.
    let taken = context.store.record_ids(context.lease.source.id).await?;
    let mut seen = BTreeSet::new();
    for (name, bytes) in files {
        seen.insert(name.clone());
        take_file(context, name, bytes, &taken, |text| {
            let parsed = sources::alpine_secdb::parse(text)?;
            Ok((parsed.advisories, parsed.problems))
        })
        .await?;
    }
    // Files gone from the folder: their advisories are withdrawn.
    let known = context.store.document_states(context.lease.source.id, None).await?;
    let mut batch = CatalogBatch::default();
    for state in known.into_values().filter(|s| !seen.contains(&s.document)) {
        let prefix = format!("{}#", state.document);
        batch.withdrawn.extend(taken.iter().filter(|id| id.starts_with(&prefix)).cloned());
        batch.forgotten.push(state.document);
    }
    context.commit(batch).await
}

/// What a source file is called in record IDs and rejections: its last path component.
fn display_name(url: &str) -> String {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url).to_owned()
}

type Reader = fn(&str) -> Result<(Vec<Advisory>, Vec<String>), String>;

/// Takes one file: unchanged, or read whole and applied in batches. Record IDs are
/// `FILE#ID` when the source has several files (Alpine's advisories are per CVE and repeat
/// across releases), the advisory's ID otherwise.
async fn take_file(
    context: &mut Context<'_>,
    name: String,
    bytes: Vec<u8>,
    taken: &BTreeSet<String>,
    read: Reader,
) -> Result<(), SyncError> {
    let digest = sha256_hex(&bytes);
    let known = context.store.document_states(context.lease.source.id, Some(std::slice::from_ref(&name))).await?;
    let several = context.spec().kind == parapet_catalog::SourceType::AlpineSecdb;
    let prefix = if several { format!("{name}#") } else { String::new() };
    let mine: BTreeSet<&String> = taken.iter().filter(|id| id.starts_with(&prefix)).collect();
    if known.get(&name).is_some_and(|state| state.digest == digest) {
        context.unchanged(mine.len() as u64);
        return Ok(());
    }
    let text = String::from_utf8(bytes).map_err(|_| SyncError::Source(format!("{name}: not UTF-8")))?;
    let (advisories, problems) = match tokio::task::spawn_blocking(move || read(&text))
        .await
        .map_err(|e| SyncError::Source(format!("{name}: reading failed: {e}")))?
    {
        Ok(parsed) => parsed,
        Err(reason) => {
            context.reject(name, reason);
            return Ok(());
        }
    };
    for problem in problems {
        context.reject(name.clone(), problem);
    }
    let spec = context.spec().clone();
    let records: Vec<RecordChange> = advisories
        .into_iter()
        .filter(|advisory| spec.keeps(advisory))
        .map(|advisory| RecordChange {
            record_id: format!("{prefix}{}", advisory.id),
            advisory,
            modified: String::new(),
        })
        .collect();
    let listed: BTreeSet<&String> = records.iter().map(|r| &r.record_id).collect();
    let gone: Vec<String> = mine.into_iter().filter(|id| !listed.contains(id)).cloned().collect();
    let total = records.len() as u64;
    let mut done = 0;
    let mut chunks = records.chunks(context.options.batch_size.max(1)).peekable();
    while let Some(chunk) = chunks.next() {
        let mut batch = CatalogBatch { records: chunk.to_vec(), ..CatalogBatch::default() };
        done += chunk.len() as u64;
        if chunks.peek().is_none() {
            finish(&mut batch, &name, &digest, &gone);
        }
        context.commit(batch).await?;
        context.progress(&name, done, total);
    }
    if total == 0 {
        let mut batch = CatalogBatch::default();
        finish(&mut batch, &name, &digest, &gone);
        context.commit(batch).await?;
    }
    Ok(())
}

/// The last batch of a file records its state, so that a sync that dies before it reads the
/// file again.
fn finish(batch: &mut CatalogBatch, name: &str, digest: &str, gone: &[String]) {
    batch.withdrawn.extend(gone.iter().cloned());
    batch.documents.push(DocumentState {
        document: name.to_owned(),
        digest: digest.to_owned(),
        modified: String::new(),
        record_id: None,
        problems: Vec::new(),
    });
}
