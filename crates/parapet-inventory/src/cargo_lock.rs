//! `Cargo.lock`, formats 1 to 4: the crates a Rust project builds with, one `[[package]]` table
//! each, with its name, version and where it comes from.
//!
//! Format 1's `[metadata]` table of checksums and every key other than `name`, `version` and
//! `source` are ignored; so is the `[root]` table of the oldest lockfiles, which names the
//! project itself. A package without a `source` is the project's own (a workspace member or a
//! path dependency) and is kept, for the scanner to decide about.

use crate::error::{ErrorKind, ParseError, line_at};
use crate::lines::Lines;
use crate::{Parsed, toml_lock};
use parapet_versions::Scheme;
use serde::Deserialize;
use toml::{Spanned, Table, Value};

/// One `[[package]]` of the lockfile. Strings are owned: TOML strings may hold escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoPackage {
    pub name: String,
    /// A valid SemVer version.
    pub version: String,
    /// Where the crate comes from, as Cargo writes it (`registry+https://…`, `git+https://…`,
    /// `sparse+https://…`); `None` for the project's own crates.
    pub source: Option<String>,
    /// The line of the package's `[[package]]` header, counted from 1.
    pub line: usize,
}

/// The formats this reader knows; 1 and 2 have no `version` key.
const VERSIONS: std::ops::RangeInclusive<i64> = 1..=4;

const FORMAT: &str = "Cargo.lock";

/// The parts of the file that are read; each package table keeps its place for errors.
#[derive(Deserialize)]
struct Lock {
    version: Option<Spanned<Value>>,
    #[serde(default)]
    package: Vec<Spanned<Table>>,
}

/// Reads a `Cargo.lock`; `file` names it in errors. A TOML syntax error is the one error; a
/// package that cannot be read is reported at the line of its table and skipped. A format
/// newer than 4 is reported, and its packages are still read as well as they can be.
pub fn parse(text: &str, file: &str) -> Parsed<CargoPackage> {
    let mut parsed = Parsed::default();
    let error = |line, kind| ParseError { file: file.to_owned(), line, kind };
    let lock: Lock = match toml::from_str(text) {
        Ok(lock) => lock,
        Err(e) => {
            let (line, kind) = toml_lock::syntax(FORMAT, text, &e);
            parsed.errors.push(error(line, kind));
            return parsed;
        }
    };
    if let Some(version) = &lock.version
        && !matches!(version.get_ref(), Value::Integer(v) if VERSIONS.contains(v))
    {
        let kind = ErrorKind::LockVersion { format: FORMAT, version: version.get_ref().to_string() };
        parsed.errors.push(error(line_at(text, version.span().start), kind));
    }
    let lines = Lines::new(text);
    for (index, table) in lock.package.iter().enumerate() {
        let line = lines.at(table.span().start);
        match package(table.get_ref(), index, line) {
            Ok(package) => parsed.packages.push(package),
            Err(kind) => parsed.errors.push(error(line, kind)),
        }
    }
    parsed
}

fn package(table: &Table, index: usize, line: usize) -> Result<CargoPackage, ErrorKind> {
    // Until the name is known, the entry is named by its place among the packages.
    let unnamed = || format!("[[package]] #{}", index + 1);
    let name = toml_lock::string(table, "name", unnamed)?
        .ok_or_else(|| ErrorKind::MissingKey { entry: unnamed(), key: "name" })?;
    let entry = || name.to_owned();
    let version = toml_lock::string(table, "version", entry)?
        .ok_or_else(|| ErrorKind::MissingKey { entry: entry(), key: "version" })?;
    Scheme::Semver.validate(version).map_err(ErrorKind::Version)?;
    let source = toml_lock::string(table, "source", entry)?;
    Ok(CargoPackage { name: name.to_owned(), version: version.to_owned(), source: source.map(str::to_owned), line })
}
