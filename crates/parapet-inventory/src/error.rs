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
    #[error("invalid {format}: {message}")]
    Syntax { format: &'static str, message: String },
    #[error("unsupported {format} version {version}")]
    LockVersion { format: &'static str, version: String },
    #[error("entry {entry:?} has no {key:?}")]
    MissingKey { entry: String, key: &'static str },
    #[error("entry {entry:?}: {key:?} must be {expected}")]
    KeyType { entry: String, key: &'static str, expected: &'static str },
    #[error("entry {entry:?}: {reason}")]
    Entry { entry: String, reason: String },
    // An RPM header blob (`rpm`); entries are counted from 0, as in the index.
    #[error("header blob is {0} bytes, too short for its counts of index entries and data bytes")]
    HeaderShort(usize),
    #[error("header blob is {len} bytes, but its {entries} index entries and {data} data bytes make {expected}")]
    HeaderSize { len: usize, entries: u32, data: u32, expected: u64 },
    #[error("header entry {index} (tag {tag}) has unknown type {kind}")]
    HeaderEntryType { index: u32, tag: u32, kind: u32 },
    #[error("header entry {index} (tag {tag}) points past the end of the data (offset {offset}, data {data} bytes)")]
    HeaderEntryOffset { index: u32, tag: u32, offset: u32, data: u32 },
    #[error(
        "header entry {index} (tag {tag}): {count} values from offset {offset} run past the end of the data ({data} bytes)"
    )]
    HeaderEntryLength { index: u32, tag: u32, count: u32, offset: u32, data: u32 },
    #[error("header has no {tag} tag ({number})")]
    HeaderMissingTag { tag: &'static str, number: u32 },
    #[error("header tag {tag} ({number}) must be {expected}, not type {kind} with count {count}")]
    HeaderTagType { tag: &'static str, number: u32, expected: &'static str, kind: &'static str, count: u32 },
    #[error("header tag {tag} ({number}) {value:?}: {reason}")]
    HeaderTagValue { tag: &'static str, number: u32, value: String, reason: &'static str },
}

/// At most the first 60 characters of `text`, so that a garbage line does not flood a report.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The line, counted from 1, on which byte `offset` of `text` lies; an offset past the end
/// counts as the end.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    before.iter().filter(|&&b| b == b'\n').count() + 1
}
