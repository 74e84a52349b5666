//! The one error type of the crate: a version or a range that cannot be read, and why.

/// A version string that is not valid in its scheme, a scheme name nobody knows, or a range
/// (OSV events, `vers`, CSAF) that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("invalid {scheme} version {version:?}: {reason}")]
    Invalid { scheme: &'static str, version: String, reason: &'static str },
    #[error("unknown version scheme {0:?}")]
    UnknownScheme(String),
    #[error("invalid version range {range:?}: {reason}")]
    Range { range: String, reason: String },
}

impl VersionError {
    pub(crate) fn invalid(scheme: &'static str, version: &str, reason: &'static str) -> Self {
        VersionError::Invalid { scheme, version: version.to_owned(), reason }
    }

    pub(crate) fn range(range: &str, reason: impl Into<String>) -> Self {
        VersionError::Range { range: range.to_owned(), reason: reason.into() }
    }
}
