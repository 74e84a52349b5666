//! The crate's error: which file, and what is wrong with it.

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{file}: not a Parapet catalog file (build one with `parapet catalog build`)")]
    NotACatalog { file: String },
    #[error("{file}: the catalog file is truncated")]
    Truncated { file: String },
    #[error(
        "{file}: catalog format version {version} is newer than this parapet reads ({supported}); upgrade parapet or build the catalog with this version"
    )]
    NewerFormat { file: String, version: u32, supported: u32 },
    #[error(
        "{file}: catalog format version {version} is older than this parapet reads ({supported}); build the catalog again"
    )]
    OlderFormat { file: String, version: u32, supported: u32 },
    #[error("{file}: the catalog file is corrupt: {reason}")]
    Corrupt { file: String, reason: String },
    #[error("cannot encode the catalog: {0}")]
    Encode(String),
    #[error("{file}: {reason}")]
    Source { file: String, reason: String },
}
