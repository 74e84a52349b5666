//! npm's `package-lock.json` (and `npm-shrinkwrap.json`, the same format), lockfile versions 1
//! to 3: the packages `npm ci` installs, with their versions and whether only development
//! needs them.
//!
//! Versions 2 and 3 list every installed folder in `packages`, keyed by its path
//! (`node_modules/a/node_modules/@scope/b`); version 2 repeats the tree in version 1's nested
//! `dependencies` for old npm, which is then not read. The root entry `""` (the project
//! itself), folders outside any `node_modules` (the project's workspaces) and `link` entries
//! (symbolic links to those workspaces) are skipped. In version 1, dependencies that are not
//! from a registry (`file:`, `git+…`, `github:` and tarball URLs in place of a version) are
//! skipped too, and an alias `npm:real-name@1.2.3` is read as the real package.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError};
use crate::json;
use parapet_versions::Scheme;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// One installed package. Strings are owned: JSON strings may hold escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmPackage {
    /// The package's name in the registry, `@scope/name` included.
    pub name: String,
    /// A valid SemVer version.
    pub version: String,
    /// Whether only development needs it: `npm ci --omit=dev` leaves it out.
    pub dev: bool,
    /// The line the entry starts on, counted from 1.
    pub line: usize,
}

const FORMAT: &str = "package-lock.json";

/// Entries keyed by path or name, each still as text so that its line can be found.
type Entries<'a> = BTreeMap<String, &'a RawValue>;

#[derive(Deserialize)]
struct Lock<'a> {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<serde_json::Value>,
    #[serde(borrow)]
    packages: Option<Entries<'a>>,
    #[serde(borrow)]
    dependencies: Option<Entries<'a>>,
}

/// The keys of an entry that are read.
#[derive(Deserialize)]
struct Entry<'a> {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    link: bool,
    /// Version 1's nested dependencies; in `packages` it maps names to ranges and is not read.
    #[serde(borrow)]
    dependencies: Option<Entries<'a>>,
}

/// Reads a `package-lock.json`; `file` names it in errors. A JSON syntax error is the one
/// error; an entry that cannot be read is reported at its line and skipped. A lockfile version
/// other than 1 to 3 is reported, and the packages are still read as well as they can be.
pub fn parse(text: &str, file: &str) -> Parsed<NpmPackage> {
    let mut reader = Reader { text: json::Text::new(text), file, parsed: Parsed::default() };
    let lock: Lock = match serde_json::from_str(text) {
        Ok(lock) => lock,
        Err(e) => {
            let (line, kind) = json::syntax(FORMAT, &e);
            reader.error(line, kind);
            return reader.parsed;
        }
    };
    match &lock.lockfile_version {
        Some(serde_json::Value::Number(n)) if matches!(n.as_u64(), Some(1..=3)) => {}
        version => {
            let version = version.as_ref().map_or_else(|| "(none)".to_owned(), ToString::to_string);
            reader.error(1, ErrorKind::LockVersion { format: FORMAT, version });
        }
    }
    match (lock.packages, lock.dependencies) {
        (Some(packages), _) => reader.packages(packages),
        (None, Some(dependencies)) => reader.dependencies(dependencies),
        (None, None) => {}
    }
    reader.parsed
}

struct Reader<'t, 'f> {
    text: json::Text<'t>,
    file: &'f str,
    parsed: Parsed<NpmPackage>,
}

impl<'t> Reader<'t, '_> {
    fn error(&mut self, line: usize, kind: ErrorKind) {
        self.parsed.errors.push(ParseError { file: self.file.to_owned(), line, kind });
    }

    /// The line an entry starts on.
    fn line(&self, raw: &RawValue) -> usize {
        self.text.line(raw)
    }

    /// Reads one entry, reporting it when its keys have the wrong types.
    fn entry(&mut self, key: &str, raw: &'t RawValue) -> Option<Entry<'t>> {
        match self.text.entry(raw, || key.to_owned()) {
            Ok(entry) => Some(entry),
            Err((line, kind)) => {
                self.error(line, kind);
                None
            }
        }
    }

    /// Versions 2 and 3: the flat `packages` object.
    fn packages(&mut self, packages: Entries<'t>) {
        for (key, raw) in in_file_order(&self.text, packages) {
            if key.is_empty() {
                continue;
            }
            let Some(entry) = self.entry(&key, raw) else { continue };
            if entry.link {
                continue;
            }
            let name = match (entry.name, name_from_path(&key)) {
                (_, Err(Outside)) => continue,
                // An alias is installed under its alias; `name` is the real package.
                (Some(name), _) => name,
                (None, Ok(Some(name))) => name.to_owned(),
                (None, Ok(None)) => {
                    let reason = "expected the path to end in node_modules/<name> or node_modules/@<scope>/<name>";
                    self.error(self.line(raw), ErrorKind::Entry { entry: key, reason: reason.to_owned() });
                    continue;
                }
            };
            let Some(version) = entry.version else {
                self.error(self.line(raw), ErrorKind::MissingKey { entry: key, key: "version" });
                continue;
            };
            self.push(raw, name, version, entry.dev);
        }
    }

    /// Version 1: `dependencies` nested in `dependencies`, keyed by name.
    fn dependencies(&mut self, dependencies: Entries<'t>) {
        for (key, raw) in in_file_order(&self.text, dependencies) {
            let Some(entry) = self.entry(&key, raw) else { continue };
            match entry.version {
                None => self.error(self.line(raw), ErrorKind::MissingKey { entry: key, key: "version" }),
                Some(version) => match version.strip_prefix("npm:").and_then(|alias| alias.rsplit_once('@')) {
                    Some((name, version)) => self.push(raw, name.to_owned(), version.to_owned(), entry.dev),
                    None if version.contains(':') => {}
                    None => self.push(raw, key, version, entry.dev),
                },
            }
            if let Some(nested) = entry.dependencies {
                self.dependencies(nested);
            }
        }
    }

    /// Keeps a package whose version is valid SemVer, reports it otherwise.
    fn push(&mut self, raw: &RawValue, name: String, version: String, dev: bool) {
        match Scheme::Semver.validate(&version) {
            Ok(()) => self.parsed.packages.push(NpmPackage { name, version, dev, line: self.line(raw) }),
            Err(e) => self.error(self.line(raw), ErrorKind::Version(e)),
        }
    }
}

/// The entries in the order the file lists them, which is how npm sorts them.
fn in_file_order<'a>(text: &json::Text, entries: Entries<'a>) -> Vec<(String, &'a RawValue)> {
    let mut entries: Vec<_> = entries.into_iter().collect();
    entries.sort_by_key(|(_, raw)| text.offset(raw));
    entries
}

/// A folder that is not inside any `node_modules`: one of the project's workspaces.
struct Outside;

/// The package name a `packages` key ends in, `None` when it does not end in one.
fn name_from_path(path: &str) -> Result<Option<&str>, Outside> {
    let Some((_, name)) =
        path.rsplit_once("node_modules/").filter(|(before, _)| before.is_empty() || before.ends_with('/'))
    else {
        return if path.split('/').any(|segment| segment == "node_modules") { Ok(None) } else { Err(Outside) };
    };
    let valid = match name.split_once('/') {
        None => !name.is_empty() && !name.starts_with('@'),
        Some((scope, rest)) => scope.len() > 1 && scope.starts_with('@') && !rest.is_empty() && !rest.contains('/'),
    };
    Ok(valid.then_some(name))
}
