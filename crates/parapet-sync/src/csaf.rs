//! The CSAF consumer: discovery as CSAF 2.0 section 7.3 describes it, then each distribution of
//! the provider (a directory with `changes.csv`, or ROLIE feeds), incrementally by the time of
//! the last document taken. Every document's hash and OpenPGP signature are checked and the
//! document is validated with the publishing validator before it reaches the catalog.

use crate::{Context, Keyring, SyncError, fetch::Fetcher, sha256_hex};
use futures_util::StreamExt;
use parapet_catalog::sources::{self, Record};
use parapet_catalog::{DocumentProblem, Validation};
use parapet_store::{CatalogBatch, DocumentState, RecordChange};
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// How the provider metadata was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Discovery {
    /// The URL given was the metadata's own.
    Direct,
    /// `/.well-known/csaf/provider-metadata.json` (requirement 9).
    WellKnown,
    /// The `CSAF:` field of `/.well-known/security.txt` (requirement 8).
    SecurityTxt,
    /// `https://csaf.data.security.DOMAIN` (requirement 10).
    DnsPath,
}

/// A provider's metadata, found.
#[derive(Debug, Clone)]
pub struct Provider {
    pub metadata_url: String,
    pub metadata: Value,
    pub how: Discovery,
}

const METADATA_LIMIT: u64 = 4 << 20;

/// Finds the provider metadata from a URL: the metadata itself, or a domain (or any URL on it)
/// whose well-known path, `security.txt` or DNS path leads to it.
pub async fn discover(fetcher: &Fetcher, url: &str) -> Result<Provider, SyncError> {
    let parsed = Url::parse(url).map_err(|e| SyncError::Source(format!("{url}: not a URL: {e}")))?;
    if parsed.path().ends_with(".json") {
        let metadata =
            metadata_at(fetcher, url).await?.ok_or_else(|| SyncError::Source(format!("{url}: not found")))?;
        return Ok(Provider { metadata_url: url.to_owned(), metadata, how: Discovery::Direct });
    }
    let origin = parsed.origin().ascii_serialization();
    let well_known = format!("{origin}/.well-known/csaf/provider-metadata.json");
    let mut tried = vec![well_known.clone()];
    if let Some(metadata) = metadata_at(fetcher, &well_known).await? {
        return Ok(Provider { metadata_url: well_known, metadata, how: Discovery::WellKnown });
    }
    let security_txt = format!("{origin}/.well-known/security.txt");
    if let Some(text) = fetcher.get_optional(&security_txt, 1 << 20).await? {
        for candidate in csaf_fields(&String::from_utf8_lossy(&text)) {
            tried.push(candidate.clone());
            if let Some(metadata) = metadata_at(fetcher, &candidate).await? {
                return Ok(Provider { metadata_url: candidate, metadata, how: Discovery::SecurityTxt });
            }
        }
    }
    if let Some(url::Host::Domain(domain)) = parsed.host()
        && domain.contains('.')
    {
        let dns_path = format!("https://csaf.data.security.{domain}/provider-metadata.json");
        tried.push(dns_path.clone());
        // A name that does not resolve is the common case, not an error.
        if let Ok(Some(metadata)) = metadata_at(fetcher, &dns_path).await {
            return Ok(Provider { metadata_url: dns_path, metadata, how: Discovery::DnsPath });
        }
    }
    Err(SyncError::Source(format!("no provider-metadata.json found (tried {})", tried.join(", "))))
}

/// The `CSAF:` fields of a `security.txt`, in order.
pub fn csaf_fields(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().split_once(':'))
        .filter(|(field, _)| field.trim().eq_ignore_ascii_case("csaf"))
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| value.starts_with("https://") || value.starts_with("http://"))
        .collect()
}

async fn metadata_at(fetcher: &Fetcher, url: &str) -> Result<Option<Value>, SyncError> {
    let Some(body) = fetcher.get_optional(url, METADATA_LIMIT).await? else { return Ok(None) };
    let metadata: Value =
        serde_json::from_slice(&body).map_err(|e| SyncError::Source(format!("{url}: not JSON: {e}")))?;
    if !metadata["distributions"].is_array() && !metadata["canonical_url"].is_string() {
        return Err(SyncError::Source(format!("{url}: not a CSAF provider-metadata.json (no distributions)")));
    }
    Ok(Some(metadata))
}

/// One place documents are listed: a directory or a ROLIE feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distribution {
    Directory(String),
    Rolie { url: String, label: String },
}

impl Distribution {
    pub fn url(&self) -> &str {
        match self {
            Distribution::Directory(url) | Distribution::Rolie { url, .. } => url,
        }
    }
}

/// The distributions the metadata lists. ROLIE feeds are preferred when there are any: they
/// carry each document's TLP label and their hash and signature links; directories (read
/// through `changes.csv`) otherwise.
pub fn distributions(metadata: &Value) -> Vec<Distribution> {
    let mut directories = Vec::new();
    let mut feeds = Vec::new();
    for distribution in metadata["distributions"].as_array().into_iter().flatten() {
        if let Some(url) = distribution["directory_url"].as_str() {
            directories.push(Distribution::Directory(url.trim_end_matches('/').to_owned()));
        }
        for feed in distribution["rolie"]["feeds"].as_array().into_iter().flatten() {
            if let Some(url) = feed["url"].as_str() {
                let label = feed["tlp_label"].as_str().unwrap_or("UNLABELED").to_owned();
                feeds.push(Distribution::Rolie { url: url.to_owned(), label });
            }
        }
    }
    if feeds.is_empty() { directories } else { feeds }
}

/// A document a distribution lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub url: String,
    /// When it last changed, as listed (RFC 3339).
    pub time: String,
    pub hash_urls: Vec<String>,
    pub signature_url: String,
}

impl Listed {
    fn position(&self) -> String {
        format!("{}|{}", self.time, self.url)
    }
}

/// The documents a directory's `changes.csv` lists, oldest first.
pub fn read_changes(directory: &str, text: &str) -> Result<Vec<Listed>, String> {
    let base = Url::parse(&format!("{}/", directory.trim_end_matches('/'))).map_err(|e| format!("{directory}: {e}"))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut listed = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("changes.csv line {}: {e}", line + 1))?;
        let (Some(path), Some(time)) = (record.get(0), record.get(1)) else {
            return Err(format!("changes.csv line {}: expected \"path\",\"time\"", line + 1));
        };
        let time = normalize_time(time).ok_or_else(|| format!("changes.csv line {}: bad time {time:?}", line + 1))?;
        let url = resolve(&base, path.trim()).map_err(|e| format!("changes.csv line {}: {e}", line + 1))?;
        listed.push(Listed {
            hash_urls: vec![format!("{url}.sha512"), format!("{url}.sha256")],
            signature_url: format!("{url}.asc"),
            url,
            time,
        });
    }
    listed.sort_by_key(Listed::position);
    listed.dedup_by(|later, earlier| later.url == earlier.url);
    Ok(listed)
}

/// A path of `changes.csv` or `index.txt` as a URL. The spec makes them relative to the folder;
/// some providers (CISA's among them) write them from the site's root, repeating the folder's
/// own path, which is read as they meant it. Nothing may leave the provider's site.
fn resolve(base: &Url, path: &str) -> Result<String, String> {
    if path.is_empty() || path.contains("://") || path.starts_with('/') || path.split('/').any(|p| p == "..") {
        return Err(format!("{path:?} is not a relative path inside the folder"));
    }
    let folder = base.path().trim_matches('/');
    let mut url = base.join(path).map_err(|e| format!("{path:?}: {e}"))?;
    if let Some(tail) = repeated_folder(folder, path) {
        url = base.join(&format!("/{}", tail)).map_err(|e| format!("{path:?}: {e}"))?;
    }
    Ok(url.to_string())
}

/// When `path` starts with the last components of `folder` (`csaf_files/OT/white/2024/x.json`
/// under `/csaf_files/OT/white/`), the path from the site's root.
fn repeated_folder(folder: &str, path: &str) -> Option<String> {
    let parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for start in 0..parts.len() {
        let suffix = parts[start..].join("/");
        if let Some(rest) = path.strip_prefix(&format!("{suffix}/")) {
            return Some(format!("{}/{rest}", parts.join("/")));
        }
    }
    None
}

/// The documents a ROLIE feed lists, oldest first.
pub fn read_feed(feed_url: &str, text: &[u8]) -> Result<Vec<Listed>, String> {
    let feed: Value = serde_json::from_slice(text).map_err(|e| format!("{feed_url}: not JSON: {e}"))?;
    let entries =
        feed["feed"]["entry"].as_array().ok_or_else(|| format!("{feed_url}: not a ROLIE feed (no feed.entry)"))?;
    let mut listed = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let links = entry["link"].as_array().into_iter().flatten();
        let mut url = None;
        let mut hash_urls = Vec::new();
        let mut signature_url = None;
        for link in links {
            let href = link["href"].as_str().unwrap_or_default().to_owned();
            match link["rel"].as_str() {
                Some("self") => url = Some(href),
                Some("hash") => hash_urls.push(href),
                Some("signature") => signature_url = Some(href),
                _ => {}
            }
        }
        let url = url.or_else(|| entry["content"]["src"].as_str().map(str::to_owned));
        let Some(url) = url.filter(|u| crate::is_http(u)) else {
            return Err(format!("{feed_url}: entry {index} has no document link"));
        };
        let time = entry["updated"]
            .as_str()
            .or(entry["published"].as_str())
            .and_then(normalize_time)
            .ok_or_else(|| format!("{feed_url}: entry {index} has no valid updated time"))?;
        if hash_urls.is_empty() {
            hash_urls = vec![format!("{url}.sha512"), format!("{url}.sha256")];
        }
        let signature_url = signature_url.unwrap_or_else(|| format!("{url}.asc"));
        listed.push(Listed { url, time, hash_urls, signature_url });
    }
    listed.sort_by_key(Listed::position);
    listed.dedup_by(|later, earlier| later.url == earlier.url);
    Ok(listed)
}

/// A time as a fixed-width UTC RFC 3339 string, so that text order is time order.
fn normalize_time(text: &str) -> Option<String> {
    let parsed = time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    let utc = parsed.to_offset(time::UtcOffset::UTC);
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.microsecond()
    ))
}

/// What happened to one listed document.
enum Outcome {
    /// Taken: its state, and its record unless the filters left it out.
    Taken(Box<(DocumentState, Option<RecordChange>)>),
    Unchanged,
    Rejected(String, String),
}

pub(crate) async fn sync(context: &mut Context<'_>) -> Result<(), SyncError> {
    let provider = discover(&context.fetcher, &context.spec().url).await?;
    let keys = std::sync::Arc::new(trusted_keys(context, &provider.metadata).await?);
    let mut cursors: BTreeMap<String, String> = if context.cursor().is_empty() {
        BTreeMap::new()
    } else {
        serde_json::from_str(context.cursor()).unwrap_or_default()
    };
    let distributions = distributions(&provider.metadata);
    if distributions.is_empty() {
        return Err(SyncError::Source(format!("{}: the provider lists no distribution", provider.metadata_url)));
    }
    for distribution in distributions {
        let listed = match &distribution {
            Distribution::Directory(url) => {
                let changes = format!("{url}/changes.csv");
                let body = context.fetcher.get(&changes, 256 << 20).await?;
                read_changes(url, &String::from_utf8_lossy(&body)).map_err(SyncError::Source)?
            }
            Distribution::Rolie { url, label } => match context.fetcher.get(url, 512 << 20).await {
                Ok(body) => read_feed(url, &body).map_err(SyncError::Source)?,
                // A TLP:AMBER or TLP:RED feed is access protected: without credentials it is
                // left out (with a warning in the log) while the public feeds sync.
                Err(crate::FetchError::Status { status: status @ (401 | 403 | 404), .. }) => {
                    tracing::warn!(feed = %url, %label, status, "a feed is not readable without credentials; left out");
                    continue;
                }
                Err(e) => return Err(e.into()),
            },
        };
        let key = distribution.url().to_owned();
        let after = cursors.get(&key).cloned().unwrap_or_default();
        let (seen, fresh): (Vec<_>, Vec<_>) =
            listed.into_iter().partition(|l| !after.is_empty() && l.position() <= after);
        context.unchanged(seen.len() as u64);
        let total = fresh.len() as u64;
        let mut done = 0;
        for batch in fresh.chunks(context.options.batch_size.max(1)) {
            let keys_of_batch: Vec<String> = batch.iter().map(|l| l.url.clone()).collect();
            let known = context.store.document_states(context.lease.source.id, Some(&keys_of_batch)).await?;
            let spec = std::sync::Arc::new(context.spec().clone());
            // Each job owns what it uses: futures that borrow across a stream combinator do not
            // satisfy the `Send` bound of a spawned task.
            let jobs: Vec<_> = batch
                .iter()
                .cloned()
                .enumerate()
                .map(|(index, listed)| {
                    let (fetcher, keys, spec) = (context.fetcher.clone(), keys.clone(), spec.clone());
                    let known = known.get(&listed.url).map(|s| s.digest.clone());
                    async move { (index, take(&fetcher, &keys, &spec, &listed, known).await) }
                })
                .collect();
            let outcomes: Vec<(usize, Outcome)> =
                futures_util::stream::iter(jobs).buffer_unordered(context.options.concurrency.max(1)).collect().await;
            let mut outcomes = outcomes;
            outcomes.sort_by_key(|(index, _)| *index);
            let mut next = CatalogBatch::default();
            for (_, outcome) in outcomes {
                match outcome {
                    Outcome::Taken(taken) => {
                        let (state, record) = *taken;
                        if let Some(first) = state.problems.first() {
                            tracing::info!(
                                source = %context.spec().name, document = %state.document, test = first.test,
                                problems = state.problems.len(), "document taken with problems"
                            );
                            context.counts.accepted_with_problems += 1;
                        }
                        next.documents.push(state);
                        next.records.extend(record);
                    }
                    Outcome::Unchanged => context.unchanged(1),
                    Outcome::Rejected(document, reason) => context.reject(document, reason),
                }
            }
            let position = batch.last().map(Listed::position).unwrap_or_default();
            cursors.insert(key.clone(), position);
            next.cursor = Some(serde_json::to_string(&cursors).unwrap_or_default());
            context.commit(next).await?;
            done += batch.len() as u64;
            context.progress("csaf", done, total);
        }
    }
    Ok(())
}

/// The keys signatures are checked with: the configured ones, or else those the provider
/// lists (each fetched and checked against its stated fingerprint).
async fn trusted_keys(context: &Context<'_>, metadata: &Value) -> Result<Keyring, SyncError> {
    let configured = context.configured_keys()?;
    if !configured.is_empty() {
        return Ok(configured);
    }
    let mut keys = Keyring::default();
    for listed in metadata["public_openpgp_keys"].as_array().into_iter().flatten() {
        let (Some(url), Some(fingerprint)) = (listed["url"].as_str(), listed["fingerprint"].as_str()) else { continue };
        let Ok(body) = context.fetcher.get(url, 1 << 20).await else { continue };
        if let Ok(ring) = Keyring::read(&[body]) {
            keys.extend(ring.only(fingerprint));
        }
    }
    if keys.is_empty() && !context.spec().allow_unsigned {
        return Err(SyncError::Source(
            "no OpenPGP key to check signatures with: the source has no --key and the provider lists none that \
             matches its fingerprint (or give --allow-unsigned)"
                .to_owned(),
        ));
    }
    Ok(keys)
}

/// Fetches, checks and reads one listed document.
async fn take(
    fetcher: &Fetcher,
    keys: &Keyring,
    spec: &parapet_catalog::SourceSpec,
    listed: &Listed,
    known_digest: Option<String>,
) -> Outcome {
    let name = listed.url.clone();
    let reject = |reason: String| Outcome::Rejected(name.clone(), reason);
    let body = match fetcher.get(&listed.url, spec.document_limit()).await {
        Ok(body) => body,
        Err(e) => return reject(e.to_string()),
    };
    let digest = sha256_hex(&body);
    if known_digest.as_deref() == Some(digest.as_str()) {
        return Outcome::Unchanged;
    }
    let mut hash = None;
    for url in &listed.hash_urls {
        match fetcher.get_optional(url, 64 << 10).await {
            Ok(Some(file)) => {
                hash = Some((url.clone(), file));
                break;
            }
            Ok(None) => {}
            Err(e) => return reject(format!("hash file: {e}")),
        }
    }
    let signature = match fetcher.get_optional(&listed.signature_url, 64 << 10).await {
        Ok(signature) => signature,
        Err(e) => return reject(format!("signature: {e}")),
    };
    let (keys, spec, time) = (keys.clone(), spec.clone(), listed.time.clone());
    let document = listed.url.clone();
    let checked =
        tokio::task::spawn_blocking(move || check(&keys, &spec, &document, body, hash, signature, time, digest))
            .await
            .unwrap_or_else(|e| Err(format!("checking the document failed: {e}")));
    match checked {
        Ok(taken) => Outcome::Taken(Box::new(taken)),
        Err(reason) => reject(reason),
    }
}

/// Hash, signature, validation and reading of one document: the CPU-bound part.
#[allow(clippy::too_many_arguments)]
fn check(
    keys: &Keyring,
    spec: &parapet_catalog::SourceSpec,
    document: &str,
    body: Vec<u8>,
    hash: Option<(String, Vec<u8>)>,
    signature: Option<Vec<u8>>,
    time: String,
    digest: String,
) -> Result<(DocumentState, Option<RecordChange>), String> {
    match hash {
        Some((url, file)) => {
            let expected = String::from_utf8_lossy(&file).split_whitespace().next().unwrap_or_default().to_lowercase();
            let actual = if url.ends_with(".sha512") {
                use sha2::Digest;
                hex::encode(sha2::Sha512::digest(&body))
            } else {
                digest.clone()
            };
            if expected != actual {
                let kind = if url.ends_with(".sha512") { "SHA-512" } else { "SHA-256" };
                return Err(format!("the {kind} hash does not match the document ({url})"));
            }
        }
        None if spec.allow_unsigned => {}
        None => return Err("no .sha512 or .sha256 file beside the document".to_owned()),
    }
    match signature {
        Some(signature) => {
            keys.verify_detached(&body, &signature).map_err(|e| format!("OpenPGP signature: {e}"))?;
        }
        None if spec.allow_unsigned => {}
        None => {
            return Err("no .asc signature beside the document (the source does not allow unsigned ones)".to_owned());
        }
    }
    let text = String::from_utf8(body).map_err(|_| "the document is not UTF-8".to_owned())?;
    let report = parapet_csaf::validate_str(&text)?;
    // The schema is what the catalog's reader relies on; the mandatory tests are about the
    // quality of what the provider wrote, and a signed document is the provider's word.
    let refused: Vec<&parapet_csaf::Problem> = match spec.validation {
        Validation::Strict => report.errors.iter().collect(),
        Validation::Schema => report.errors.iter().filter(|p| p.test == "schema").collect(),
    };
    if let Some(first) = refused.first() {
        return Err(format!(
            "fails CSAF test {} at {}: {}{}",
            first.test,
            if first.path.is_empty() { "/" } else { &first.path },
            first.message,
            match report.errors.len() {
                1 => String::new(),
                n => format!(" (and {} more errors)", n - 1),
            }
        ));
    }
    let problems: Vec<DocumentProblem> = report
        .errors
        .iter()
        .map(|p| DocumentProblem { test: p.test.to_owned(), path: p.path.clone(), message: p.message.clone() })
        .collect();
    let record = match sources::csaf::parse(&text)? {
        Record::Advisory { advisory, .. } if spec.keeps(&advisory) => {
            let modified = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["document"]["tracking"]["current_release_date"].as_str().map(str::to_owned))
                .unwrap_or_default();
            Some(RecordChange { record_id: advisory.id.clone(), advisory, modified })
        }
        _ => None,
    };
    let record_id = record.as_ref().map(|r: &RecordChange| r.record_id.clone());
    let state = DocumentState { document: document.to_owned(), digest, modified: time, record_id, problems };
    Ok((state, record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_paths() {
        let text = "\"2024/b.json\",\"2024-02-01T00:00:00Z\"\n2023/a.json,2023-01-01T00:00:00.000000Z\n\
                    csaf_files/OT/white/2024/c.json,2024-03-01T06:00:00+02:00\n";
        let listed = read_changes("https://h/csaf_files/OT/white", text).unwrap();
        let urls: Vec<_> = listed.iter().map(|l| (l.url.as_str(), l.time.as_str())).collect();
        assert_eq!(
            urls,
            vec![
                ("https://h/csaf_files/OT/white/2023/a.json", "2023-01-01T00:00:00.000000Z"),
                ("https://h/csaf_files/OT/white/2024/b.json", "2024-02-01T00:00:00.000000Z"),
                ("https://h/csaf_files/OT/white/2024/c.json", "2024-03-01T04:00:00.000000Z"),
            ]
        );
        for bad in [
            "../x.json,2024-01-01T00:00:00Z",
            "/etc/passwd,2024-01-01T00:00:00Z",
            "https://evil/x.json,2024-01-01T00:00:00Z",
            "a.json,yesterday",
            "a.json",
        ] {
            assert!(read_changes("https://h/white", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn security_txt_fields() {
        let text =
            "Contact: mailto:x@y\nCSAF: https://a/provider-metadata.json\ncsaf:https://b/p.json\nCSAF: ftp://c\n";
        assert_eq!(csaf_fields(text), vec!["https://a/provider-metadata.json", "https://b/p.json"]);
    }
}
