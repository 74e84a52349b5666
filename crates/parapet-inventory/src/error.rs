//! The one error type of the crate: which file, which line, and what is wrong there.

use parapet_versions::VersionError;

/// A stanza of a package database that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {kind}")]
pub struct ParseError {
    /// The label the caller gave for the file, usually its path.
    pub file: String,
    /// Counted from 1.
    pub line: usize,
    pub kind: ErrorKind,
}

/// What is wrong with a stanza.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("stanza has no {0} field")]
    MissingField(&'static str),
    #[error("field {0} is empty")]
    EmptyField(&'static str),
    #[error("field {0} appears twice in the stanza")]
    DuplicateField(&'static str),
    #[error("field {0} must fit on one line")]
    MultilineField(&'static str),
    #[error("line {0:?} has no colon after the field name")]
    NoColon(String),
    #[error("invalid field name {0:?}")]
    BadFieldName(String),
    #[error("continuation line outside a field")]
    OrphanContinuation,
    #[error("Status {0:?} must be three words: want, flag and state")]
    StatusWords(String),
    #[error("unknown {part} {word:?} in Status")]
    StatusWord { part: &'static str, word: String },
    #[error("invalid Source {value:?}: {reason}")]
    Source { value: String, reason: &'static str },
    #[error("{0}")]
    Version(VersionError),
}

/// At most the first 60 characters of `text`, so that a garbage line does not flood a report.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
