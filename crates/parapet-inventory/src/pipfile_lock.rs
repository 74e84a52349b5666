//! Pipenv's `Pipfile.lock`: the PyPI packages of a Python project, keyed by name under
//! `default` and, for development only, `develop`, each pinned as `"version": "==1.2.3"`.
//!
//! Entries without a version that name a `git` repository, a `path` or a `file` instead are
//! not from an index and are skipped.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError};
use crate::json;
use crate::lockfile::{LockedPackage, check_version, pypi_name};
use parapet_versions::Scheme;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

const FORMAT: &str = "Pipfile.lock";

type Entries<'a> = BTreeMap<String, &'a RawValue>;

#[derive(Deserialize)]
struct Lock<'a> {
    #[serde(borrow)]
    default: Option<Entries<'a>>,
    #[serde(borrow)]
    develop: Option<Entries<'a>>,
}

#[derive(Deserialize)]
struct Entry {
    version: Option<String>,
    git: Option<serde::de::IgnoredAny>,
    path: Option<serde::de::IgnoredAny>,
    file: Option<serde::de::IgnoredAny>,
}

/// Reads a `Pipfile.lock`; `file` names it in errors. A JSON syntax error is the one error; an
/// entry that cannot be read is reported at its line and skipped.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
    let mut parsed = Parsed::default();
    let error = |(line, kind)| ParseError { file: file.to_owned(), line, kind };
    let lock: Lock = match serde_json::from_str(text) {
        Ok(lock) => lock,
        Err(e) => {
            parsed.errors.push(error(json::syntax(FORMAT, &e)));
            return parsed;
        }
    };
    let text = json::Text::new(text);
    for (entries, dev) in [(lock.default, false), (lock.develop, true)] {
        let mut entries: Vec<_> = entries.unwrap_or_default().into_iter().collect();
        entries.sort_by_key(|(_, raw)| text.offset(raw));
        for (name, raw) in entries {
            match package(&text, &name, raw, dev) {
                Ok(Some(package)) => parsed.packages.push(package),
                Ok(None) => {}
                Err(e) => parsed.errors.push(error(e)),
            }
        }
    }
    parsed
}

fn package(
    text: &json::Text,
    name: &str,
    raw: &RawValue,
    dev: bool,
) -> Result<Option<LockedPackage>, (usize, ErrorKind)> {
    let entry: Entry = text.entry(raw, || name.to_owned())?;
    let line = text.line(raw);
    let Some(version) = entry.version else {
        if entry.git.is_some() || entry.path.is_some() || entry.file.is_some() {
            return Ok(None);
        }
        return Err((line, ErrorKind::MissingKey { entry: name.to_owned(), key: "version" }));
    };
    let Some(pinned) = version.strip_prefix("===").or_else(|| version.strip_prefix("==")) else {
        let reason = format!("version {version:?} must be pinned with ==");
        return Err((line, ErrorKind::Entry { entry: name.to_owned(), reason }));
    };
    check_version(Scheme::Pypi, name, pinned).map_err(|kind| (line, kind))?;
    Ok(Some(LockedPackage::new("PyPI", pypi_name(name), pinned.to_owned(), dev, line)))
}
