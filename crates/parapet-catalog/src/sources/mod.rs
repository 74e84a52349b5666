//! Readers of the sources a catalog is built from. Each is a pure function over one file's text
//! (or bytes); walking folders, unpacking zips and decompressing is [`crate::build`]'s job.

pub mod alpine_secdb;
pub mod apt;
pub mod csaf;
pub mod debian_list;
pub mod osv;

use crate::model::Advisory;

/// What one OSV or CSAF record gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Advisory {
        advisory: Advisory,
        /// Parts of the record left out, each with the reason (an affected entry with an invalid
        /// version, say): the rest of the advisory is kept.
        problems: Vec<String>,
    },
    /// A withdrawn record: kept out of the catalog.
    Withdrawn(String),
}

/// The version number of a Debian or Ubuntu release from its code name, for sources that only
/// name the release (Debian's DSA list: `[bookworm]`).
pub fn release_number(codename: &str) -> Option<&'static str> {
    parapet_versions::release_of_codename(codename).map(|(_, number)| number)
}

/// The first line of a parser's message: YAML errors come with a drawn excerpt of the input,
/// which does not fit the one-line lists of rejected records.
pub(crate) fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message).trim()
}
