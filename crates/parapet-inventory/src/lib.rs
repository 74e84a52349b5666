//! Host inventory: what is installed, read from the package managers' own databases, and what
//! a project pins, read from its lockfiles and SBOMs.
//!
//! - [`dpkg`] reads a dpkg status file (`/var/lib/dpkg/status`).
//! - [`apk`] reads Alpine's installed database (`/lib/apk/db/installed`).
//! - [`cargo_lock`] reads a Rust project's `Cargo.lock` (formats 1 to 4).
//! - [`npm_lock`] reads npm's `package-lock.json` (lockfile versions 1 to 3).
//! - [`yarn_lock`] reads `yarn.lock`, yarn 1's and berry's; [`pnpm_lock`] `pnpm-lock.yaml`
//!   (5.x, 6.x and 9.x).
//! - [`poetry_lock`], [`pipfile_lock`] and [`requirements`] read Python's `poetry.lock`,
//!   `Pipfile.lock` and pinned `requirements.txt`.
//! - [`go_mod`] reads `go.mod`, [`composer_lock`] `composer.lock`, [`gemfile_lock`]
//!   `Gemfile.lock`.
//! - [`cyclonedx`] and [`spdx`] read CycloneDX and SPDX SBOMs in JSON, by package URL.
//! - [`lockfile`] puts every lockfile and SBOM into one list of [`lockfile::LockedPackage`]s
//!   (OSV ecosystem, name, version, line) and tells the kinds apart by file name or content.
//!
//! Every parser is a pure function over the text and a label naming the file for error
//! messages: no I/O, no panics on any input. Packages of the package databases borrow from the
//! text; those of lockfiles own their strings, which may hold escapes. A stanza or lockfile
//! entry that cannot be read is reported in [`Parsed::errors`] and skipped; the others are still
//! returned, so one corrupt entry does not hide the rest of the host.

pub mod apk;
pub mod cargo_lock;
pub mod composer_lock;
pub mod cyclonedx;
pub mod dpkg;
mod error;
pub mod gemfile_lock;
pub mod go_mod;
mod json;
mod lines;
pub mod lockfile;
pub mod npm_lock;
pub mod pipfile_lock;
pub mod pnpm_lock;
pub mod poetry_lock;
mod purl;
pub mod requirements;
pub mod rpm;
pub mod spdx;
mod stanza;
mod toml_lock;
pub mod yarn_lock;

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
