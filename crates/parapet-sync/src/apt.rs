//! The apt consumer: a repository's suites, each from its clear-signed `InRelease` (checked
//! against the configured keyring, Debian's archive keyring by default), then the `Packages`
//! indices the verified `Release` lists, each checked against its SHA-256 there. Every version
//! a security suite offers is a security update and supersedes the older ones. The architecture
//! `source` reads the suite's `Sources` indices instead (each binary a source package builds). An index whose
//! digest in the `Release` file has not changed is not downloaded again.

use crate::{Context, Keyring, SyncError};
use parapet_catalog::Classification;
use parapet_catalog::sources::apt::{self, IndexFile, IndexKind, Release};
use parapet_store::{CatalogBatch, DocumentState, UpdateChange};
use std::io::Read;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// Debian's archive keyring, as the `debian-archive-keyring` package installs it.
pub const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

pub(crate) async fn sync(context: &mut Context<'_>) -> Result<(), SyncError> {
    let (base, suites) = repository(&context.spec().url, &context.spec().suites)?;
    let keys = keyring(context)?;
    for suite in suites {
        sync_suite(context, &base, &suite, &keys).await?;
    }
    Ok(())
}

/// The repository's base URL and the suites to read: those configured, or the one the URL
/// names (`…/dists/bookworm-security`).
fn repository(url: &str, suites: &[String]) -> Result<(String, Vec<String>), SyncError> {
    let url = url.trim_end_matches('/');
    if let Some((base, suite)) = url.split_once("/dists/") {
        return Ok((base.to_owned(), vec![suite.to_owned()]));
    }
    if suites.is_empty() {
        return Err(SyncError::Source(format!(
            "{url}: name the suites to read (--suite bookworm-security) or give the URL of one (…/dists/SUITE)"
        )));
    }
    Ok((url.to_owned(), suites.to_vec()))
}

fn keyring(context: &Context<'_>) -> Result<Keyring, SyncError> {
    let configured = context.configured_keys()?;
    if !configured.is_empty() {
        return Ok(configured);
    }
    let path = std::path::Path::new(DEBIAN_KEYRING);
    if path.exists() {
        return Keyring::read_file(path).map_err(SyncError::Source);
    }
    if context.spec().allow_unsigned {
        return Ok(Keyring::default());
    }
    Err(SyncError::Source(format!(
        "no keyring to check InRelease with: give --key, install debian-archive-keyring ({DEBIAN_KEYRING}), or --allow-unsigned"
    )))
}

async fn sync_suite(context: &mut Context<'_>, base: &str, suite: &str, keys: &Keyring) -> Result<(), SyncError> {
    let dists = format!("{base}/dists/{suite}");
    let release = verified_release(context, &dists, keys).await?;
    check_valid_until(&release, &dists, OffsetDateTime::now_utc())?;
    let ecosystem = release.ecosystem().ok_or_else(|| {
        SyncError::Source(format!(
            "{dists}: cannot tell the distribution release (origin {:?}, version {:?}, codename {:?})",
            release.origin, release.version, release.codename
        ))
    })?;
    let classification = if release.is_security() { Classification::Security } else { Classification::Bugfix };
    let released_at = parse_date(&release.date).unwrap_or_else(|_| OffsetDateTime::now_utc());
    let architectures = if context.spec().architectures.is_empty() {
        vec!["amd64".to_owned()]
    } else {
        context.spec().architectures.clone()
    };
    for component in &release.components {
        for arch in &architectures {
            let candidates = index_candidates(&release, component, arch);
            let Some(first) = candidates.first() else { continue };
            // The suite's index for this component and architecture, however it is compressed.
            let document = format!("{suite}/{}", index_stem(&first.path));
            let known =
                context.store.document_states(context.lease.source.id, Some(std::slice::from_ref(&document))).await?;
            if candidates.iter().any(|file| known.get(&document).is_some_and(|state| state.digest == file.sha256)) {
                context.unchanged(1);
                continue;
            }
            let mut fetched = None;
            let mut failures = Vec::new();
            for file in &candidates {
                let url = format!("{dists}/{}", file.path);
                match context.fetcher.get_optional(&url, file.size.min(context.spec().document_limit())).await {
                    Ok(Some(body)) if body.len() as u64 == file.size && crate::sha256_hex(&body) == file.sha256 => {
                        fetched = Some((file.clone(), body));
                        break;
                    }
                    Ok(Some(_)) => {
                        failures.push(format!("{url}: does not match its size and SHA-256 in the signed Release file"))
                    }
                    // apt too tries the next compression when one is missing.
                    Ok(None) => failures.push(format!("{url}: not found")),
                    Err(e) => failures.push(e.to_string()),
                }
            }
            let Some((file, body)) = fetched else {
                context.reject(format!("{dists}/{}", index_stem(&first.path)), failures.join("; "));
                continue;
            };
            let url = format!("{dists}/{}", file.path);
            let (path, ecosystem_of, suite_name) = (file.path.clone(), ecosystem.clone(), release.name().to_owned());
            let kind = if arch == "source" { IndexKind::Sources } else { IndexKind::Packages };
            let index = tokio::task::spawn_blocking(move || -> Result<apt::Index, String> {
                let text = decompress(&path, &body)?;
                Ok(apt::parse_index(&text, kind, &ecosystem_of, &suite_name))
            })
            .await
            .map_err(|e| SyncError::Source(format!("{url}: reading failed: {e}")))?;
            let index = match index {
                Ok(index) => index,
                Err(reason) => {
                    context.reject(url, reason);
                    continue;
                }
            };
            for problem in index.problems {
                context.reject(url.clone(), problem);
            }
            let spec = context.spec().clone();
            let updates: Vec<UpdateChange> = index
                .updates
                .into_iter()
                .filter(|update| spec.keeps_update(update))
                .map(|update| UpdateChange { update, classification, released_at, superseded_by: None })
                .collect();
            let state = DocumentState {
                document,
                digest: file.sha256.clone(),
                modified: release.date.clone(),
                record_id: None,
                problems: Vec::new(),
            };
            let per_batch = context.options.batch_size.max(1) * 10;
            let mut chunks = updates.chunks(per_batch).peekable();
            if chunks.peek().is_none() {
                context.commit(CatalogBatch { documents: vec![state], ..CatalogBatch::default() }).await?;
                continue;
            }
            while let Some(chunk) = chunks.next() {
                let mut batch = CatalogBatch { updates: chunk.to_vec(), ..CatalogBatch::default() };
                if chunks.peek().is_none() {
                    batch.documents.push(state.clone());
                }
                context.commit(batch).await?;
            }
        }
    }
    Ok(())
}

/// The suite's `Release`, from `InRelease` (clear-signed) or `Release` with `Release.gpg`; only
/// the signed text is read.
async fn verified_release(context: &Context<'_>, dists: &str, keys: &Keyring) -> Result<Release, SyncError> {
    let limit = 32 << 20;
    if let Some(body) = context.fetcher.get_optional(&format!("{dists}/InRelease"), limit).await? {
        let text = String::from_utf8_lossy(&body);
        if keys.is_empty() {
            return Ok(apt::parse_release(&text));
        }
        let signed = keys.verify_cleartext(&text).map_err(|e| SyncError::Source(format!("{dists}/InRelease: {e}")))?;
        return Ok(apt::parse_release(&signed));
    }
    let body = context.fetcher.get(&format!("{dists}/Release"), limit).await?;
    if !keys.is_empty() {
        let signature = context.fetcher.get(&format!("{dists}/Release.gpg"), 1 << 20).await?;
        keys.verify_detached(&body, &signature).map_err(|e| SyncError::Source(format!("{dists}/Release.gpg: {e}")))?;
    }
    Ok(apt::parse_release(&String::from_utf8_lossy(&body)))
}

/// A `Release` past its `Valid-Until` may be a replay of an old one that hides newer updates.
fn check_valid_until(release: &Release, dists: &str, now: OffsetDateTime) -> Result<(), SyncError> {
    if release.valid_until.is_empty() {
        return Ok(());
    }
    let until = parse_date(&release.valid_until)
        .map_err(|e| SyncError::Source(format!("{dists}: Valid-Until {:?}: {e}", release.valid_until)))?;
    if until < now {
        return Err(SyncError::Source(format!(
            "{dists}: the Release file expired on {} (Valid-Until)",
            release.valid_until
        )));
    }
    Ok(())
}

/// A `Date:` of a `Release` file: RFC 2822, but with `UTC` as Debian writes the zone.
fn parse_date(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    let text = text.trim();
    let text = match text.strip_suffix(" UTC") {
        Some(rest) => format!("{rest} +0000"),
        None => text.to_owned(),
    };
    OffsetDateTime::parse(&text, &Rfc2822)
}

/// The `Packages` indices of a component and architecture (or its `Sources` index, for the
/// architecture `source`) the `Release` lists, smallest form first. Debian's security suite names its components `updates/main` but lists their files
/// under `main/`: both are tried.
fn index_candidates(release: &Release, component: &str, arch: &str) -> Vec<IndexFile> {
    let short = component.rsplit('/').next().unwrap_or(component);
    let mut candidates = Vec::new();
    for name in [component, short] {
        let stem =
            if arch == "source" { format!("{name}/source/Sources") } else { format!("{name}/binary-{arch}/Packages") };
        for ext in [".xz", ".gz", ""] {
            if let Some(file) = release.sha256.iter().find(|f| f.path == format!("{stem}{ext}"))
                && !candidates.contains(file)
            {
                candidates.push(file.clone());
            }
        }
    }
    candidates
}

/// An index's path without its compression.
fn index_stem(path: &str) -> &str {
    path.trim_end_matches(".xz").trim_end_matches(".gz")
}

fn decompress(path: &str, body: &[u8]) -> Result<String, String> {
    let mut text = String::new();
    let result = if path.ends_with(".xz") {
        liblzma::read::XzDecoder::new(body).read_to_string(&mut text)
    } else if path.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(body).read_to_string(&mut text)
    } else {
        return String::from_utf8(body.to_vec()).map_err(|_| "the index is not UTF-8".to_owned());
    };
    result.map_err(|e| format!("cannot decompress {path}: {e}"))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        assert_eq!(
            repository("http://h/debian-security/dists/bookworm-security/", &[]).unwrap(),
            ("http://h/debian-security".to_owned(), vec!["bookworm-security".to_owned()])
        );
        assert_eq!(repository("http://h/debian", &["bookworm".to_owned()]).unwrap().1, vec!["bookworm"]);
        assert!(repository("http://h/debian", &[]).is_err());
    }

    #[test]
    fn expired_releases_are_refused() {
        let release = Release { valid_until: "Sat, 01 Jun 2024 00:00:00 UTC".to_owned(), ..Release::default() };
        let now = OffsetDateTime::parse("Sun, 02 Jun 2024 00:00:00 +0000", &Rfc2822).unwrap();
        let error = check_valid_until(&release, "d", now).unwrap_err().to_string();
        assert!(error.contains("expired"), "{error}");
        let earlier = OffsetDateTime::parse("Fri, 31 May 2024 00:00:00 +0000", &Rfc2822).unwrap();
        assert!(check_valid_until(&release, "d", earlier).is_ok());
    }
}
