//! Composer's `composer.lock`: the Packagist packages of a PHP project, in `packages` and, for
//! development only, `packages-dev`.
//!
//! Versions lose the `v` many tags carry (`v5.4.21` → `5.4.21`), as Packagist advisories write
//! them; branch versions (`dev-main`, `2.x-dev`) are kept. Packages installed from a `path`
//! repository (the project's own code) are skipped.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError};
use crate::json;
use crate::lockfile::{LockedPackage, check_version};
use parapet_versions::Scheme;
use serde::Deserialize;
use serde_json::value::RawValue;

const FORMAT: &str = "composer.lock";

#[derive(Deserialize)]
struct Lock<'a> {
    #[serde(borrow)]
    packages: Option<Vec<&'a RawValue>>,
    #[serde(borrow, rename = "packages-dev")]
    packages_dev: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    dist: Option<Dist>,
}

#[derive(Deserialize)]
struct Dist {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// Reads a `composer.lock`; `file` names it in errors. A JSON syntax error is the one error;
/// an entry that cannot be read is reported at its line and skipped.
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
    for (section, entries, dev) in [("packages", lock.packages, false), ("packages-dev", lock.packages_dev, true)] {
        for (index, raw) in entries.unwrap_or_default().into_iter().enumerate() {
            match package(&text, raw, || format!("{section} #{}", index + 1), dev) {
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
    raw: &RawValue,
    unnamed: impl Fn() -> String,
    dev: bool,
) -> Result<Option<LockedPackage>, (usize, ErrorKind)> {
    let entry: Entry = text.entry(raw, &unnamed)?;
    let line = text.line(raw);
    let name = entry.name.ok_or_else(|| (line, ErrorKind::MissingKey { entry: unnamed(), key: "name" }))?;
    let version = entry.version.ok_or_else(|| (line, ErrorKind::MissingKey { entry: name.clone(), key: "version" }))?;
    if entry.dist.and_then(|d| d.kind).as_deref() == Some("path") {
        return Ok(None);
    }
    let version = match version.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest.to_owned(),
        _ => version,
    };
    check_version(Scheme::Packagist, &name, &version).map_err(|kind| (line, kind))?;
    Ok(Some(LockedPackage::new("Packagist", name, version, dev, line)))
}
