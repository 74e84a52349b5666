//! Poetry's `poetry.lock`, lock versions 1.x and 2.x: the PyPI packages of a Python project,
//! one `[[package]]` table each.
//!
//! A package is `dev` when Poetry 1 filed it under `category = "dev"`, or when Poetry 2's
//! `groups` leave out `main`. Packages whose `[package.source]` is not an index (`directory`,
//! `file`, `git` or `url`) are skipped: no advisory names their versions.

use crate::error::{ErrorKind, ParseError};
use crate::lines::Lines;
use crate::lockfile::{LockedPackage, check_version, pypi_name};
use crate::{Parsed, toml_lock};
use parapet_versions::Scheme;
use serde::Deserialize;
use toml::{Spanned, Table, Value};

const FORMAT: &str = "poetry.lock";

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Spanned<Table>>,
    metadata: Option<Spanned<Table>>,
}

/// Reads a `poetry.lock`; `file` names it in errors. A TOML syntax error is the one error; a
/// package that cannot be read is reported at the line of its table and skipped. A lock
/// version other than 1.x and 2.x is reported, and the packages are still read.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
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
    let lines = Lines::new(text);
    if let Some(metadata) = &lock.metadata {
        match metadata.get_ref().get("lock-version") {
            Some(Value::String(v)) if v.starts_with("1.") || v.starts_with("2.") => {}
            None => {}
            Some(version) => {
                let version = version.to_string();
                parsed
                    .errors
                    .push(error(lines.at(metadata.span().start), ErrorKind::LockVersion { format: FORMAT, version }));
            }
        }
    }
    for (index, table) in lock.package.iter().enumerate() {
        let line = lines.at(table.span().start);
        match package(table.get_ref(), index, line) {
            Ok(Some(package)) => parsed.packages.push(package),
            Ok(None) => {}
            Err(kind) => parsed.errors.push(error(line, kind)),
        }
    }
    parsed
}

fn package(table: &Table, index: usize, line: usize) -> Result<Option<LockedPackage>, ErrorKind> {
    let unnamed = || format!("[[package]] #{}", index + 1);
    let name = toml_lock::string(table, "name", unnamed)?
        .ok_or_else(|| ErrorKind::MissingKey { entry: unnamed(), key: "name" })?;
    let entry = || name.to_owned();
    let version = toml_lock::string(table, "version", entry)?
        .ok_or_else(|| ErrorKind::MissingKey { entry: entry(), key: "version" })?;
    let source_type = match table.get("source") {
        None => None,
        Some(Value::Table(source)) => toml_lock::string(source, "type", entry)?,
        Some(_) => return Err(ErrorKind::KeyType { entry: entry(), key: "source", expected: "a table" }),
    };
    if matches!(source_type, Some("directory" | "file" | "git" | "url")) {
        return Ok(None);
    }
    let dev = match (toml_lock::string(table, "category", entry)?, table.get("groups")) {
        (_, Some(Value::Array(groups))) => !groups.iter().any(|g| g.as_str() == Some("main")),
        (_, Some(_)) => return Err(ErrorKind::KeyType { entry: entry(), key: "groups", expected: "an array" }),
        (category, None) => category == Some("dev"),
    };
    check_version(Scheme::Pypi, name, version)?;
    Ok(Some(LockedPackage::new("PyPI", pypi_name(name), version.to_owned(), dev, line)))
}
