//! The vulnerability catalog: what is known to be vulnerable and which security updates exist.
//!
//! - [`model`]: the data — advisories with the packages they affect, and updates offered by
//!   security suites. Plain data.
//! - [`sources`]: readers of OSV records, apt repository metadata, Debian's DSA/DLA lists,
//!   Alpine's secdb and CSAF documents, each a pure function over one file.
//! - [`source`]: the sources a server's catalog is synced from, as configured.
//! - [`build`]: builds a catalog from paths (folders, zips, compressed apt lists).
//! - [`file`]: the catalog file format, versioned.
//! - [`matching`]: an index over a catalog that answers "what affects this package at this
//!   version", with the right version semantics per ecosystem. The server will use the same
//!   engine over its own store.

pub mod build;
mod error;
pub mod file;
pub mod matching;
pub mod model;
pub mod source;
pub mod sources;

pub use error::CatalogError;
pub use matching::{Index, Installed, Match, MatchKind};
pub use model::{Advisory, AdvisoryKind, Affected, Catalog, SourceKind, SourceSummary, Status, StoredRange, Update};
pub use source::{Classification, DocumentProblem, SourceSpec, SourceType, Validation};

/// A package name as the catalog keys it: PyPI names normalised as PEP 503 says (case and runs
/// of `-`, `_`, `.` do not matter), others as written.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    if ecosystem.eq_ignore_ascii_case("pypi") { parapet_versions::pypi_name(name) } else { name.trim().to_owned() }
}

/// The ecosystem without its release (`Debian:12` → `debian`), lowercase: the key that decides
/// which version scheme applies.
pub fn ecosystem_base(ecosystem: &str) -> String {
    ecosystem.split(':').next().unwrap_or_default().trim().to_ascii_lowercase()
}
