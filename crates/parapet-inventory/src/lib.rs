//! Host inventory: what is installed, read from the package managers' own databases.
//!
//! - [`dpkg`] reads a dpkg status file (`/var/lib/dpkg/status`).
//! - [`apk`] reads Alpine's installed database (`/lib/apk/db/installed`).
//! - [`cargo_lock`] reads a Rust project's `Cargo.lock` (formats 1 to 4).
//! - [`npm_lock`] reads npm's `package-lock.json` (lockfile versions 1 to 3).
//!
//! Every parser is a pure function over the text and a label naming the file for error
//! messages: no I/O, no panics on any input. Packages of the package databases borrow from the
//! text; those of lockfiles own their strings, which may hold escapes. A stanza or lockfile
//! entry that cannot be read is reported in [`Parsed::errors`] and skipped; the others are still
//! returned, so one corrupt entry does not hide the rest of the host.

pub mod apk;
pub mod cargo_lock;
pub mod dpkg;
mod error;
pub mod npm_lock;
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
