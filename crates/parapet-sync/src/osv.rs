//! The OSV consumer: a folder of records, a zip as osv.dev ships each ecosystem, a single record,
//! or over HTTP a zip, a record, or a folder with osv.dev's `modified_id.csv` listing. JSON and
//! YAML. A record whose content has not changed is not parsed again; a listed record whose
//! `modified` time is not newer than the one taken is not even fetched. Withdrawn records, and
//! records gone from a zip or folder, retract what they said.

use crate::{Context, SyncError, sha256_hex};
use futures_util::StreamExt;
use parapet_catalog::sources::{self, Record};
use parapet_store::{CatalogBatch, DocumentState, RecordChange};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One record file's bytes, named by its place in the source.
struct Raw {
    name: String,
    bytes: Result<Vec<u8>, String>,
}

pub(crate) async fn sync(context: &mut Context<'_>) -> Result<(), SyncError> {
    let url = context.spec().url.clone();
    let lower = url.to_ascii_lowercase();
    if crate::is_http(&url) && !lower.ends_with(".zip") && !is_record_name(&lower) {
        return sync_listing(context, &url).await;
    }
    let limit = context.spec().document_limit();
    let download = context.fetcher.download(&url, limit).await?;
    let path = download.path().to_owned();
    if !crate::is_http(&url) && !path.exists() {
        return Err(SyncError::Source(format!("{}: no such file or folder", path.display())));
    }
    // Reading a zip or walking a folder blocks: it runs on its own thread and hands over a
    // batch at a time through a small channel, so memory holds two batches at most.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Vec<Raw>, String>>(2);
    let batch_size = context.options.batch_size.max(1);
    let zip = lower.ends_with(".zip");
    let reader = tokio::task::spawn_blocking(move || {
        let result = if zip { read_zip(&path, batch_size, &sender) } else { read_files(&path, batch_size, &sender) };
        if let Err(e) = result {
            let _ = sender.blocking_send(Err(e));
        }
        drop(download);
    });
    let mut seen = BTreeSet::new();
    let mut done = 0;
    while let Some(chunk) = receiver.recv().await {
        let chunk = chunk.map_err(SyncError::Source)?;
        done += chunk.len() as u64;
        seen.extend(chunk.iter().map(|raw| raw.name.clone()));
        take_chunk(context, chunk).await?;
        context.progress("osv", done, done);
    }
    reader.await.map_err(|e| SyncError::Source(format!("reading the source failed: {e}")))?;
    crate::forget_missing(context, &seen).await
}

fn is_record_name(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml")
}

/// Parses a chunk of record files (those whose content changed) and commits it.
async fn take_chunk(context: &mut Context<'_>, chunk: Vec<Raw>) -> Result<(), SyncError> {
    let names: Vec<String> = chunk.iter().map(|raw| raw.name.clone()).collect();
    let known = context.store.document_states(context.lease.source.id, Some(&names)).await?;
    let spec = context.spec().clone();
    let parsed = tokio::task::spawn_blocking(move || {
        chunk
            .into_iter()
            .map(|raw| {
                let state = known.get(&raw.name).cloned();
                parse(raw, state.as_ref(), &spec)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| SyncError::Source(format!("parsing failed: {e}")))?;
    let mut batch = CatalogBatch::default();
    for outcome in parsed {
        match outcome {
            Parsed::Unchanged => context.unchanged(1),
            Parsed::Rejected(name, reason) => context.reject(name, reason),
            Parsed::Taken(taken) => {
                let (state, change) = *taken;
                match change {
                    Change::Record(record) => batch.records.push(record),
                    Change::Withdrawn(id) => batch.withdrawn.push(id),
                    Change::Filtered => {}
                }
                batch.documents.push(state);
            }
        }
    }
    context.commit(batch).await
}

enum Parsed {
    Unchanged,
    Rejected(String, String),
    Taken(Box<(DocumentState, Change)>),
}

enum Change {
    Record(RecordChange),
    Withdrawn(String),
    Filtered,
}

#[derive(serde::Deserialize)]
struct Head {
    #[serde(default)]
    modified: Option<String>,
}

fn parse(raw: Raw, known: Option<&DocumentState>, spec: &parapet_catalog::SourceSpec) -> Parsed {
    let bytes = match raw.bytes {
        Ok(bytes) => bytes,
        Err(reason) => return Parsed::Rejected(raw.name, reason),
    };
    let digest = sha256_hex(&bytes);
    if known.is_some_and(|state| state.digest == digest) {
        return Parsed::Unchanged;
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return Parsed::Rejected(raw.name, "not UTF-8".to_owned());
    };
    let yaml = !raw.name.to_ascii_lowercase().ends_with(".json");
    let record = if yaml { sources::osv::parse_yaml(&text) } else { sources::osv::parse_json(&text) };
    let modified = if yaml {
        serde_saphyr::from_str::<Head>(&text).ok().and_then(|h| h.modified)
    } else {
        serde_json::from_str::<Head>(&text).ok().and_then(|h| h.modified)
    }
    .unwrap_or_default();
    let (record_id, change) = match record {
        Err(reason) => return Parsed::Rejected(raw.name, reason),
        Ok(Record::Withdrawn(id)) => (id.clone(), Change::Withdrawn(id)),
        Ok(Record::Advisory { advisory, .. }) => {
            let id = advisory.id.clone();
            if spec.keeps(&advisory) {
                (id.clone(), Change::Record(RecordChange { record_id: id, advisory, modified: modified.clone() }))
            } else {
                (id, Change::Filtered)
            }
        }
    };
    let state =
        DocumentState { document: raw.name, digest, modified, record_id: Some(record_id), problems: Vec::new() };
    Parsed::Taken(Box::new((state, change)))
}

fn read_zip(
    path: &Path,
    batch_size: usize,
    sender: &tokio::sync::mpsc::Sender<Result<Vec<Raw>, String>>,
) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut archive =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| format!("not a readable zip: {e}"))?;
    let mut chunk = Vec::with_capacity(batch_size);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| format!("zip entry {index}: {e}"))?;
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            return Err(format!("zip entry {index}: the name is not valid"));
        };
        if entry.is_dir() || !is_record_name(&name.to_ascii_lowercase()) {
            continue;
        }
        let mut bytes = Vec::with_capacity(entry.size().min(16 << 20) as usize);
        // A record bigger than this is not a record; the limit also stops a zip bomb.
        let read = (&mut entry).take(64 << 20).read_to_end(&mut bytes).map(|_| bytes).map_err(|e| e.to_string());
        chunk.push(Raw { name, bytes: read });
        if chunk.len() == batch_size && sender.blocking_send(Ok(std::mem::take(&mut chunk))).is_err() {
            return Ok(());
        }
    }
    if !chunk.is_empty() {
        let _ = sender.blocking_send(Ok(chunk));
    }
    Ok(())
}

fn read_files(
    root: &Path,
    batch_size: usize,
    sender: &tokio::sync::mpsc::Sender<Result<Vec<Raw>, String>>,
) -> Result<(), String> {
    let files: Vec<PathBuf> = if root.is_dir() {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(root).follow_links(false) {
            let entry = entry.map_err(|e| e.to_string())?;
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            if entry.file_type().is_file() && is_record_name(&name) {
                files.push(entry.into_path());
            }
        }
        files.sort();
        files
    } else {
        vec![root.to_owned()]
    };
    for group in files.chunks(batch_size) {
        let chunk = group
            .iter()
            .map(|file| Raw {
                name: file.strip_prefix(root).unwrap_or(file).display().to_string(),
                bytes: std::fs::read(file).map_err(|e| e.to_string()),
            })
            .map(|mut raw| {
                if raw.name.is_empty() {
                    raw.name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                }
                raw
            })
            .collect();
        if sender.blocking_send(Ok(chunk)).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// A folder over HTTP with osv.dev's `modified_id.csv` (`time,ID` lines, newest first): only
/// records modified after the ones taken are fetched, from `ID.json`.
async fn sync_listing(context: &mut Context<'_>, url: &str) -> Result<(), SyncError> {
    let base = url.trim_end_matches('/');
    let listing = context.fetcher.get(&format!("{base}/modified_id.csv"), 256 << 20).await?;
    let listing = String::from_utf8_lossy(&listing);
    let mut entries = Vec::new();
    for (number, line) in listing.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (modified, id) = line
            .split_once(',')
            .ok_or_else(|| SyncError::Source(format!("modified_id.csv line {}: expected time,ID", number + 1)))?;
        let id = id.trim();
        if id.is_empty() || id.contains(['/', '\\']) || id.contains("..") {
            return Err(SyncError::Source(format!("modified_id.csv line {}: bad ID {id:?}", number + 1)));
        }
        entries.push((format!("{id}.json"), modified.trim().to_owned()));
    }
    let known = context.store.document_states(context.lease.source.id, None).await?;
    let seen: BTreeSet<String> = entries.iter().map(|(name, _)| name.clone()).collect();
    let wanted: Vec<(String, String)> = entries
        .into_iter()
        .filter(|(name, modified)| known.get(name).is_none_or(|state| state.modified.as_str() < modified.as_str()))
        .collect();
    context.unchanged((seen.len() - wanted.len()) as u64);
    let total = wanted.len() as u64;
    let mut done = 0;
    let limit = context.spec().document_limit().min(64 << 20);
    for group in wanted.chunks(context.options.batch_size.max(1)) {
        let jobs: Vec<_> = group
            .iter()
            .map(|(name, _)| {
                let (fetcher, name) = (context.fetcher.clone(), name.clone());
                let url = format!("{base}/{name}");
                async move { Raw { bytes: fetcher.get(&url, limit).await.map_err(|e| e.to_string()), name } }
            })
            .collect();
        let chunk: Vec<Raw> =
            futures_util::stream::iter(jobs).buffered(context.options.concurrency.max(1)).collect().await;
        take_chunk(context, chunk).await?;
        done += group.len() as u64;
        context.progress("osv", done, total);
    }
    crate::forget_missing(context, &seen).await
}
