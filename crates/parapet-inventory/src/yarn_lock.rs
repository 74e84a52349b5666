//! yarn's `yarn.lock`, both classic yarn 1's own format (`# yarn lockfile v1`) and the YAML
//! of yarn 2 and later ("berry", with its `__metadata` entry): the npm packages `yarn install`
//! installs.
//!
//! Both list one entry per resolved package, keyed by every descriptor (`name@range`) that
//! resolved to it, with its fields indented by two spaces beneath: `version "1.2.3"` in yarn 1,
//! `version: 1.2.3` and `resolution: "name@npm:1.2.3"` in berry. The file is read line by line:
//! both formats are regular enough, and a reader of lines cannot be thrown off by one bad entry.
//! Deeper lines (an entry's dependencies) are not read.
//!
//! Entries that do not come from the registry are skipped: berry's workspaces, `patch:`es
//! (which repeat a package the file also lists unpatched), `file:`, `link:`, `portal:` and git
//! resolutions, and yarn 1's descriptors whose range is a path, a URL or a GitHub shorthand.
//! An alias (`alias@npm:real@^1.0.0`) is read as the real package. yarn.lock does not say
//! which packages only development needs: none is `dev`.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError, excerpt};
use crate::lockfile::{LockedPackage, check_version};
use parapet_versions::Scheme;

/// An entry being read: its key and the fields that matter.
struct Entry<'a> {
    line: usize,
    key: &'a str,
    version: Option<&'a str>,
    resolution: Option<&'a str>,
}

/// Reads a `yarn.lock` of either format; `file` names it in errors. An entry that cannot be
/// read is reported at its key's line and skipped.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
    let mut parsed = Parsed::default();
    let mut error = |line, kind| parsed.errors.push(ParseError { file: file.to_owned(), line, kind });
    let mut packages = Vec::new();
    let mut current: Option<Entry> = None;
    // After a line that is not an entry's key, its indented lines are skipped unreported.
    let mut skipping = false;
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed.len() == line.len() {
            if let Some(entry) = current.take() {
                finish(entry, &mut packages, &mut error);
            }
            match line.strip_suffix(':') {
                Some(key) => {
                    current = Some(Entry { line: number, key, version: None, resolution: None });
                    skipping = false;
                }
                None => {
                    let reason = "expected an entry's descriptors followed by a colon".to_owned();
                    error(number, ErrorKind::Entry { entry: excerpt(line), reason });
                    skipping = true;
                }
            }
            continue;
        }
        let Some(entry) = current.as_mut() else {
            if !skipping {
                let reason = "indented line outside any entry".to_owned();
                error(number, ErrorKind::Entry { entry: excerpt(trimmed), reason });
                skipping = true;
            }
            continue;
        };
        // Only the entry's own fields, two spaces in; deeper lines belong to a field.
        if line.len() - trimmed.len() != 2 {
            continue;
        }
        let (field, value) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
        let value = unquote(value.trim());
        match field.strip_suffix(':').unwrap_or(field) {
            "version" => entry.version = Some(value),
            "resolution" => entry.resolution = Some(value),
            _ => {}
        }
    }
    if let Some(entry) = current.take() {
        finish(entry, &mut packages, &mut error);
    }
    parsed.packages = packages;
    parsed
}

/// Turns a finished entry into a package, unless it is not from the registry.
fn finish(entry: Entry, packages: &mut Vec<LockedPackage>, error: &mut impl FnMut(usize, ErrorKind)) {
    let descriptor = first_descriptor(entry.key);
    if descriptor == "__metadata" {
        return;
    }
    match package(&entry, descriptor) {
        Ok(Some(package)) => packages.push(package),
        Ok(None) => {}
        Err(kind) => error(entry.line, kind),
    }
}

fn package(entry: &Entry, descriptor: &str) -> Result<Option<LockedPackage>, ErrorKind> {
    let bad = |what: &str| ErrorKind::Entry { entry: excerpt(descriptor), reason: format!("expected {what}") };
    let name = match entry.resolution {
        // Berry: the resolution names the real package and how it was found.
        Some(resolution) => {
            let (name, reference) =
                split_descriptor(resolution).ok_or_else(|| bad("a resolution name@protocol:reference"))?;
            if !reference.starts_with("npm:") {
                return Ok(None);
            }
            name
        }
        None => {
            let (name, range) = split_descriptor(descriptor).ok_or_else(|| bad("a descriptor name@range"))?;
            let (name, range) = match range.strip_prefix("npm:") {
                Some(target) => split_descriptor(target).unwrap_or((name, target)),
                None => (name, range),
            };
            // Registry ranges never hold these; paths, URLs and GitHub shorthands do.
            if range.contains([':', '/']) {
                return Ok(None);
            }
            name
        }
    };
    let version = entry.version.ok_or_else(|| ErrorKind::MissingKey { entry: excerpt(descriptor), key: "version" })?;
    check_version(Scheme::Semver, name, version)?;
    Ok(Some(LockedPackage::new("npm", name.to_owned(), version.to_owned(), false, entry.line)))
}

/// The first of the comma-separated descriptors of a key, without quotes: yarn 1 quotes each
/// (`"a@^1", "a@^1.1"`), berry the whole list (`"a@npm:^1, a@npm:^1.1"`).
fn first_descriptor(key: &str) -> &str {
    let key = key.trim_start_matches('"');
    let end = key.find(['"', ',']).unwrap_or(key.len());
    key[..end].trim()
}

/// `name@rest`, where the name may start with its scope's `@`.
fn split_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let at = descriptor.get(1..)?.find('@')? + 1;
    Some((&descriptor[..at], &descriptor[at + 1..]))
}

fn unquote(value: &str) -> &str {
    value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value)
}
