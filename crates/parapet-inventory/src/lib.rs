//! Host inventory: what is installed, read from the package managers' own databases.
//!
//! - [`dpkg`] reads a dpkg status file (`/var/lib/dpkg/status`).
//! - [`apk`] reads Alpine's installed database (`/lib/apk/db/installed`).
//!
//! Every parser is a pure function over the text and a label naming the file for error
//! messages: no I/O, no panics on any input. Packages borrow from the text. A stanza that cannot
//! be read is reported in [`Parsed::errors`] and skipped; the others are still returned, so
//! one corrupt entry does not hide the rest of the host.

pub mod apk;
pub mod dpkg;
mod error;
mod stanza;

pub use error::{ErrorKind, ParseError};

/// What a parser read: the packages of every readable stanza, and one error per stanza that
/// could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    pub packages: Vec<T>,
    pub errors: Vec<ParseError>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed { packages: Vec::new(), errors: Vec::new() }
    }
}
