//! Building a catalog from paths: folders are walked, zips opened, apt indices decompressed, and
//! every file handed to its reader in [`crate::sources`]. A record that cannot be read is
//! rejected with the file and the reason and the build goes on; a path that cannot be read at
//! all stops it.

use crate::CatalogError;
use crate::model::{Advisory, Catalog, SourceKind, SourceSummary, Update};
use crate::sources::{self, Record, apt};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What to build a catalog from.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// OSV folders, zips or single records (JSON or YAML).
    pub osv: Vec<PathBuf>,
    /// apt lists folders (as `/var/lib/apt/lists`), repository trees, or `Release` files with
    /// their indices beside them.
    pub apt_lists: Vec<PathBuf>,
    /// Debian DSA or DLA list files.
    pub debian_lists: Vec<PathBuf>,
    /// Alpine secdb folders or files.
    pub alpine_secdb: Vec<PathBuf>,
    /// CSAF documents or folders of them.
    pub csaf: Vec<PathBuf>,
}

/// Progress of a build: a label, how many files are done, and how many there are.
pub type Progress<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

/// Builds the catalog; `now` is the build time to record (RFC 3339).
pub fn build(inputs: &Inputs, now: String, progress: Progress) -> Result<Catalog, CatalogError> {
    let mut catalog = Catalog { built_at: now, ..Catalog::default() };
    for path in &inputs.osv {
        let summary = add_records(&mut catalog, SourceKind::Osv, path, progress, osv_files)?;
        catalog.sources.push(summary);
    }
    for path in &inputs.csaf {
        let summary = add_records(&mut catalog, SourceKind::Csaf, path, progress, csaf_files)?;
        catalog.sources.push(summary);
    }
    for path in &inputs.debian_lists {
        let mut summary = SourceSummary::new(SourceKind::DebianList, path.display().to_string());
        let text = read_text(path)?;
        let parsed = sources::debian_list::parse(&text);
        summary.rejected.extend(parsed.problems.into_iter().map(|p| format!("{}: {p}", path.display())));
        add_advisories(&mut catalog, &mut summary, parsed.advisories);
        catalog.sources.push(summary);
    }
    for path in &inputs.alpine_secdb {
        let mut summary = SourceSummary::new(SourceKind::AlpineSecdb, path.display().to_string());
        let files =
            files_under(path, &|name| name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))?;
        for (done, file) in files.iter().enumerate() {
            progress("alpine secdb", done, files.len());
            match sources::alpine_secdb::parse(&read_text(file)?) {
                Ok(parsed) => {
                    summary.rejected.extend(parsed.problems.into_iter().map(|p| format!("{}: {p}", file.display())));
                    add_advisories(&mut catalog, &mut summary, parsed.advisories);
                }
                Err(reason) => summary.rejected.push(format!("{}: {reason}", file.display())),
            }
        }
        catalog.sources.push(summary);
    }
    for path in &inputs.apt_lists {
        let summary = add_apt(&mut catalog, path, progress)?;
        catalog.sources.push(summary);
    }
    Ok(catalog)
}

fn add_advisories(catalog: &mut Catalog, summary: &mut SourceSummary, advisories: Vec<Advisory>) {
    for advisory in advisories {
        let ecosystems: BTreeSet<&str> = advisory.affected.iter().map(|a| a.ecosystem.as_str()).collect();
        for ecosystem in ecosystems {
            *summary.ecosystems.entry(ecosystem.to_owned()).or_default() += 1;
        }
        summary.advisories += 1;
        catalog.advisories.push(advisory);
    }
}

/// One record file's text, named for messages.
struct Item {
    name: String,
    text: Result<String, String>,
    yaml: bool,
}

type Lister = fn(&Path) -> Result<Vec<Item>, CatalogError>;

fn add_records(
    catalog: &mut Catalog,
    kind: SourceKind,
    path: &Path,
    progress: Progress,
    list: Lister,
) -> Result<SourceSummary, CatalogError> {
    let mut summary = SourceSummary::new(kind, path.display().to_string());
    let items = list(path)?;
    let label = kind.name();
    let parse = |item: &Item| -> Result<Option<Record>, String> {
        let text = item.text.as_deref().map_err(Clone::clone)?;
        match kind {
            SourceKind::Csaf if !text.contains("\"document\"") => Ok(None),
            SourceKind::Csaf => sources::csaf::parse(text).map(Some),
            _ if item.yaml => sources::osv::parse_yaml(text).map(Some),
            _ => sources::osv::parse_json(text).map(Some),
        }
    };
    let results = parallel_map(&items, parse, &|done| progress(label, done, items.len()));
    let mut advisories = Vec::with_capacity(results.len());
    for (item, result) in items.iter().zip(results) {
        match result {
            Ok(Some(Record::Advisory { advisory, problems })) => {
                let id = &advisory.id;
                summary.rejected.extend(problems.into_iter().map(|p| format!("{} ({id}): {p}", item.name)));
                advisories.push(advisory);
            }
            Ok(Some(Record::Withdrawn(_))) => summary.withdrawn += 1,
            Ok(None) => {}
            Err(reason) => summary.rejected.push(format!("{}: {reason}", item.name)),
        }
    }
    add_advisories(catalog, &mut summary, advisories);
    Ok(summary)
}

/// Maps `f` over `items` on every core, keeping the order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync, tick: &(dyn Fn(usize) + Sync)) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = items.len().div_ceil(threads).max(1);
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let (f, done) = (&f, &done);
                scope.spawn(move || {
                    part.iter()
                        .map(|item| {
                            let result = f(item);
                            let count = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                            if count % 256 == 0 {
                                tick(count);
                            }
                            result
                        })
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

fn osv_files(path: &Path) -> Result<Vec<Item>, CatalogError> {
    record_files(path, &|name| name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml"))
}

fn csaf_files(path: &Path) -> Result<Vec<Item>, CatalogError> {
    record_files(path, &|name| name.ends_with(".json") && !name.ends_with("provider-metadata.json"))
}

/// The record files of a zip, a folder or one file, with their text; a file that cannot be read
/// is an item with its error, so that it is rejected by name and the build goes on.
fn record_files(path: &Path, wanted: &dyn Fn(&str) -> bool) -> Result<Vec<Item>, CatalogError> {
    if path.extension().is_some_and(|e| e == "zip") {
        return zip_items(path, wanted);
    }
    Ok(files_under(path, wanted)?
        .into_iter()
        .map(|file| {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|e| e.to_string());
            Item { yaml: !name.ends_with(".json"), name, text }
        })
        .collect())
}

/// The records of a zip, as osv.dev ships an ecosystem (`all.zip`): one JSON file per record.
fn zip_items(path: &Path, wanted: &dyn Fn(&str) -> bool) -> Result<Vec<Item>, CatalogError> {
    let file_name = path.display().to_string();
    let source = |reason: String| CatalogError::Source { file: file_name.clone(), reason };
    let file = std::fs::File::open(path).map_err(|source| CatalogError::Io { file: file_name.clone(), source })?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| source(e.to_string()))?;
    let mut items = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| source(format!("entry {index}: {e}")))?;
        let entry_name = entry.name().map_err(|e| source(format!("entry {index}: {e}")))?.into_owned();
        if entry.is_dir() || !wanted(&entry_name) {
            continue;
        }
        let name = format!("{file_name}:{entry_name}");
        let mut text = String::new();
        let text = entry.read_to_string(&mut text).map(|_| text).map_err(|e| e.to_string());
        items.push(Item { yaml: !name.ends_with(".json"), name, text });
    }
    Ok(items)
}

/// The files under `path` (or `path` itself) whose names pass `wanted`, sorted.
fn files_under(path: &Path, wanted: &dyn Fn(&str) -> bool) -> Result<Vec<PathBuf>, CatalogError> {
    let io = |file: &Path, source| CatalogError::Io { file: file.display().to_string(), source };
    let metadata = std::fs::metadata(path).map_err(|e| io(path, e))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut folders = vec![path.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|e| io(&folder, e))? {
            let entry = entry.map_err(|e| io(&folder, e))?;
            let kind = entry.file_type().map_err(|e| io(&entry.path(), e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() && wanted(&name) {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

fn read_text(path: &Path) -> Result<String, CatalogError> {
    std::fs::read_to_string(path).map_err(|source| CatalogError::Io { file: path.display().to_string(), source })
}

/// Reads a file, decompressing it by its extension: `.lz4` (as apt keeps lists), `.gz`, `.xz`.
pub fn read_decompressed(path: &Path) -> Result<String, CatalogError> {
    let file = path.display().to_string();
    let io = |source| CatalogError::Io { file: file.clone(), source };
    let raw = std::fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let result = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("lz4") => lz4_flex::frame::FrameDecoder::new(raw).read_to_string(&mut text),
        Some("gz") => flate2::read::MultiGzDecoder::new(raw).read_to_string(&mut text),
        Some("xz") => liblzma::read::XzDecoder::new(raw).read_to_string(&mut text),
        Some(ext @ ("bz2" | "zst" | "lzma")) => {
            return Err(CatalogError::Source { file, reason: format!(".{ext} compression is not supported") });
        }
        _ => std::io::BufReader::new(raw).read_to_string(&mut text),
    };
    result.map_err(|e| CatalogError::Source { file: file.clone(), reason: format!("cannot decompress: {e}") })?;
    Ok(text)
}

/// The index files of apt metadata under `path`, each with the `Release` that governs it.
fn add_apt(catalog: &mut Catalog, path: &Path, progress: Progress) -> Result<SourceSummary, CatalogError> {
    let mut summary = SourceSummary::new(SourceKind::AptLists, path.display().to_string());
    let all = files_under(path, &|_| true)?;
    let strip = |name: &str| -> String {
        ["lz4", "gz", "xz", "bz2", "zst", "lzma"]
            .iter()
            .find_map(|ext| name.strip_suffix(&format!(".{ext}")))
            .unwrap_or(name)
            .to_owned()
    };
    // A release governs the files whose path starts with its prefix: in apt's lists folder the
    // file name up to `InRelease`; in a repository tree its folder.
    let mut releases: Vec<(String, apt::Release)> = Vec::new();
    let mut indices = Vec::new();
    for file in &all {
        let full = file.display().to_string();
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with("InRelease") || name.ends_with("Release") {
            let prefix = full.trim_end_matches("InRelease").trim_end_matches("Release").to_owned();
            releases.push((prefix, apt::parse_release(&read_text(file)?)));
        } else {
            let bare = strip(&name);
            if bare.ends_with("Packages") {
                indices.push((file, apt::IndexKind::Packages));
            } else if bare.ends_with("Sources") {
                indices.push((file, apt::IndexKind::Sources));
            }
        }
    }
    releases.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    for (done, (file, kind)) in indices.iter().enumerate() {
        progress("apt lists", done, indices.len());
        let full = file.display().to_string();
        let Some((_, release)) = releases.iter().find(|(prefix, _)| full.starts_with(prefix.as_str())) else {
            summary.rejected.push(format!("{full}: no Release or InRelease file says which suite this index is"));
            continue;
        };
        if !release.is_security() {
            continue;
        }
        let Some(ecosystem) = release.ecosystem() else {
            summary.rejected.push(format!(
                "{full}: cannot tell the distribution release of suite {:?} (origin {:?}, version {:?})",
                release.suite, release.origin, release.version
            ));
            continue;
        };
        let text = read_decompressed(file)?;
        let index = apt::parse_index(&text, *kind, &ecosystem, release.name());
        summary.rejected.extend(index.problems.into_iter().map(|p| format!("{full}: {p}")));
        summary.updates += index.updates.len() as u64;
        *summary.ecosystems.entry(ecosystem).or_default() += index.updates.len() as u64;
        catalog.updates.extend(index.updates);
    }
    dedup_updates(&mut catalog.updates);
    Ok(summary)
}

/// One update per ecosystem, package and architecture: the newest.
fn dedup_updates(updates: &mut Vec<Update>) {
    updates.sort_by(|a, b| {
        (&a.ecosystem, &a.package, &a.arch).cmp(&(&b.ecosystem, &b.package, &b.arch)).then_with(|| {
            // Newest first, so that dedup keeps it.
            parapet_versions::Scheme::Deb.compare(&b.version, &a.version).unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    updates.dedup_by(|later, first| {
        later.ecosystem == first.ecosystem && later.package == first.package && later.arch == first.arch
    });
}
