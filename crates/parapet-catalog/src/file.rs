//! The catalog file: a magic line, a format version, a header (build time, sources, a table of
//! sections) and one section per ecosystem, all in postcard's compact binary encoding. One
//! format among possible others: the matching engine only sees [`Catalog`].

use crate::model::{Advisory, SourceSummary, Update};
use crate::{Catalog, CatalogError, ecosystem_base};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8] = b"PARAPET-CATALOG\n";

/// The format this build writes and the newest it reads. Bump it whenever [`Catalog`] changes
/// shape: postcard is not self-describing, so an old reader must refuse a new file.
pub const FORMAT_VERSION: u32 = 1;

/// The file's table of contents, written before the sections.
#[derive(Serialize, Deserialize)]
struct Header {
    built_at: String,
    sources: Vec<SourceSummary>,
    sections: Vec<SectionInfo>,
}

/// Where one ecosystem's section lies, counted from the end of the header.
#[derive(Serialize, Deserialize)]
struct SectionInfo {
    /// The ecosystem without its release, lowercase (`debian`, `crates.io`, `pypi`).
    ecosystem: String,
    offset: u64,
    length: u64,
}

/// One ecosystem's advisories (with only their entries for it) and updates.
#[derive(Serialize, Deserialize)]
struct Section {
    advisories: Vec<Advisory>,
    updates: Vec<Update>,
}

/// The catalog as the bytes of a catalog file. Advisories are split by ecosystem into sections,
/// so that a scan of a Debian host decodes the Debian section and skips the thousands of
/// language advisories.
pub fn to_bytes(catalog: &Catalog) -> Result<Vec<u8>, CatalogError> {
    let mut sections: BTreeMap<String, Section> = BTreeMap::new();
    for advisory in &catalog.advisories {
        let mut by_ecosystem: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for affected in &advisory.affected {
            by_ecosystem.entry(ecosystem_base(&affected.ecosystem)).or_default().push(affected.clone());
        }
        for (ecosystem, affected) in by_ecosystem {
            let part = Advisory { affected, ..advisory.clone() };
            sections.entry(ecosystem).or_insert_with(Section::empty).advisories.push(part);
        }
    }
    for update in &catalog.updates {
        sections.entry(ecosystem_base(&update.ecosystem)).or_insert_with(Section::empty).updates.push(update.clone());
    }
    let mut body = Vec::with_capacity(1 << 20);
    let mut infos = Vec::with_capacity(sections.len());
    for (ecosystem, section) in &sections {
        let offset = body.len() as u64;
        postcard::to_io(section, &mut body).map_err(|e| CatalogError::Encode(e.to_string()))?;
        infos.push(SectionInfo { ecosystem: ecosystem.clone(), offset, length: body.len() as u64 - offset });
    }
    let header = Header { built_at: catalog.built_at.clone(), sources: catalog.sources.clone(), sections: infos };
    let header = postcard::to_stdvec(&header).map_err(|e| CatalogError::Encode(e.to_string()))?;
    let mut bytes = Vec::with_capacity(MAGIC.len() + 12 + header.len() + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

impl Section {
    fn empty() -> Section {
        Section { advisories: Vec::new(), updates: Vec::new() }
    }
}

/// Reads the bytes of a catalog file whole; `file` names it in errors.
pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Catalog, CatalogError> {
    from_bytes_for(bytes, file, &|_| true)
}

/// Reads the sections of the ecosystems `wanted` accepts (by ecosystem without release,
/// lowercase); the header and the source summaries always.
pub fn from_bytes_for(bytes: &[u8], file: &str, wanted: &dyn Fn(&str) -> bool) -> Result<Catalog, CatalogError> {
    let corrupt = |reason: String| CatalogError::Corrupt { file: file.to_owned(), reason };
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        return Err(CatalogError::NotACatalog { file: file.to_owned() });
    };
    let (version, rest) = rest.split_at_checked(4).ok_or(CatalogError::Truncated { file: file.to_owned() })?;
    let version = u32::from_le_bytes(version.try_into().expect("four bytes"));
    if version > FORMAT_VERSION {
        return Err(CatalogError::NewerFormat { file: file.to_owned(), version, supported: FORMAT_VERSION });
    }
    if version < FORMAT_VERSION {
        return Err(CatalogError::OlderFormat { file: file.to_owned(), version, supported: FORMAT_VERSION });
    }
    let (length, rest) = rest.split_at_checked(8).ok_or(CatalogError::Truncated { file: file.to_owned() })?;
    let length = u64::from_le_bytes(length.try_into().expect("eight bytes"));
    let (header, body) = usize::try_from(length)
        .ok()
        .and_then(|length| rest.split_at_checked(length))
        .ok_or(CatalogError::Truncated { file: file.to_owned() })?;
    let header: Header = postcard::from_bytes(header).map_err(|e| corrupt(format!("header: {e}")))?;
    let mut catalog = Catalog { built_at: header.built_at, sources: header.sources, ..Catalog::default() };
    let mut end = 0;
    for info in &header.sections {
        let range = usize::try_from(info.offset).ok().zip(usize::try_from(info.offset + info.length).ok());
        let slice = range
            .and_then(|(start, stop)| body.get(start..stop))
            .ok_or_else(|| corrupt(format!("section {} lies past the end of the file", info.ecosystem)))?;
        end = end.max(info.offset + info.length);
        if !wanted(&info.ecosystem) {
            continue;
        }
        let section: Section = match postcard::take_from_bytes(slice) {
            Ok((section, [])) => section,
            Ok(_) => return Err(corrupt(format!("section {} has bytes after its end", info.ecosystem))),
            Err(e) => return Err(corrupt(format!("section {}: {e}", info.ecosystem))),
        };
        catalog.advisories.extend(section.advisories);
        catalog.updates.extend(section.updates);
    }
    if end != body.len() as u64 {
        return Err(corrupt(format!("{} bytes after the end of the catalog", body.len() as u64 - end)));
    }
    Ok(catalog)
}

/// Reads a catalog file whole.
pub fn read(path: &Path) -> Result<Catalog, CatalogError> {
    read_for(path, &|_| true)
}

/// Reads a catalog file's sections for the ecosystems `wanted` accepts.
pub fn read_for(path: &Path, wanted: &dyn Fn(&str) -> bool) -> Result<Catalog, CatalogError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| CatalogError::Io { file: file.clone(), source })?;
    from_bytes_for(&bytes, &file, wanted)
}

/// Writes a catalog file whole or not at all: a temporary file beside it, then a rename.
pub fn write(path: &Path, catalog: &Catalog) -> Result<(), CatalogError> {
    let file = path.display().to_string();
    let io = |source| CatalogError::Io { file: file.clone(), source };
    let bytes = to_bytes(catalog)?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(folder).map_err(io)?;
    temporary.write_all(&bytes).map_err(io)?;
    temporary.as_file().sync_all().map_err(io)?;
    temporary.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
