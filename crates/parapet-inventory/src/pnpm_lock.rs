//! pnpm's `pnpm-lock.yaml`, lockfile versions 5.x (pnpm 3 to 7), 6.x (pnpm 8) and 9.x
//! (pnpm 9 and later): the npm packages `pnpm install` installs.
//!
//! Each version keys `packages` by name and version in its own way: `/name/1.2.3` with
//! peer dependencies after an `_` in 5.x, `/name@1.2.3` with peers in parentheses in 6.x, and
//! `name@1.2.3` in 9.x, which moved the peers to `snapshots`; scoped names keep their `@scope/`.
//! Keys that are not from the registry (git hosts, tarball URLs, `file:` and `link:`) are
//! skipped. Versions 5.x and 6.x mark development-only packages with `dev: true`; 9.x does
//! not, so a package is `dev` there when no importer's `dependencies` or
//! `optionalDependencies` reach it through `snapshots`.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError};
use crate::lockfile::{LockedPackage, check_version};
use parapet_versions::Scheme;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::{Location, Spanned};
use std::collections::{HashMap, HashSet};

const FORMAT: &str = "pnpm-lock.yaml";

/// The parts of the file that are read. YAML values are read as JSON values, so that one
/// entry of the wrong shape is reported alone.
#[derive(Deserialize)]
struct Lock {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<Spanned<Value>>,
    packages: Option<HashMap<Spanned<String>, Value>>,
    importers: Option<HashMap<String, Value>>,
    snapshots: Option<HashMap<String, Value>>,
}

/// How the version writes its package keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// 5.x: `/name/1.2.3_peer@1.0.0`.
    Slash,
    /// 6.x: `/name@1.2.3(peer@1.0.0)`.
    At,
    /// 9.x: `name@1.2.3`, without the leading slash.
    Bare,
}

/// Reads a `pnpm-lock.yaml`; `file` names it in errors. A YAML syntax error, or a section of
/// the wrong shape, is the one error; an entry that cannot be read is reported at its key's
/// line and skipped. A lockfile version other than 5.x, 6.x and 9.x is reported, and the
/// packages are still read as well as they can be.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
    let mut parsed = Parsed::default();
    let error = |line, kind| ParseError { file: file.to_owned(), line, kind };
    // The default budget guards configuration files; a monorepo's lockfile has far more nodes,
    // and none can take less than a byte of the text.
    let budget = serde_saphyr::budget! {
        max_nodes: text.len().max(250_000),
        max_events: text.len().saturating_mul(2).max(1_000_000),
    };
    let options = serde_saphyr::options! { with_snippet: false, budget: budget };
    let lock = match serde_saphyr::from_str_with_options::<Option<Lock>>(text, options) {
        Ok(Some(lock)) => lock,
        Ok(None) => return parsed,
        Err(e) => {
            let line = e.location().map_or(1, |location| Lines::new(text).of(location));
            let message = e.to_string();
            let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m).to_owned();
            parsed.errors.push(error(line, ErrorKind::Syntax { format: FORMAT, message }));
            return parsed;
        }
    };
    let keys = match &lock.lockfile_version {
        None => {
            let kind = ErrorKind::LockVersion { format: FORMAT, version: "(none)".to_owned() };
            parsed.errors.push(error(1, kind));
            Keys::Bare
        }
        Some(version) => {
            let number = match &version.value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match number.split('.').next() {
                Some("5") => Keys::Slash,
                Some("6") => Keys::At,
                Some("9") => Keys::Bare,
                major => {
                    let kind = ErrorKind::LockVersion { format: FORMAT, version: number.clone() };
                    parsed.errors.push(error(Lines::new(text).of(version.referenced), kind));
                    match major.and_then(|m| m.parse::<u32>().ok()) {
                        Some(..=5) => Keys::Slash,
                        Some(6..=8) => Keys::At,
                        _ => Keys::Bare,
                    }
                }
            }
        }
    };
    let production = match (keys, &lock.importers) {
        (Keys::Bare, Some(importers)) => Some(production(importers, lock.snapshots.as_ref())),
        _ => None,
    };
    let mut entries: Vec<_> = lock.packages.unwrap_or_default().into_iter().collect();
    entries.sort_by_key(|(key, _)| key.referenced.span().offset());
    let mut lines = Lines::new(text);
    for (key, value) in entries {
        let line = lines.of(key.referenced);
        match package(&key.value, &value, keys, production.as_ref(), line) {
            Ok(Some(package)) => parsed.packages.push(package),
            Ok(None) => {}
            Err(kind) => parsed.errors.push(error(line, kind)),
        }
    }
    parsed
}

/// Lines of locations, counted from 1 by line feeds as the other formats count them (YAML also
/// breaks lines at a lone carriage return). Locations give their place in characters; asked in
/// the order of the text, each finds its line where the last one left off.
struct Lines<'t> {
    text: &'t str,
    chars: std::str::Chars<'t>,
    /// How many characters have been counted, and the line they end on.
    counted: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines { text, chars: text.chars(), counted: 0, line: 1 }
    }

    fn of(&mut self, location: Location) -> usize {
        let target = usize::try_from(location.span().offset()).unwrap_or(usize::MAX);
        if target < self.counted {
            *self = Lines::new(self.text);
        }
        while self.counted < target {
            let Some(c) = self.chars.next() else { break };
            self.counted += 1;
            if c == '\n' {
                self.line += 1;
            }
        }
        self.line
    }
}

fn package(
    key: &str,
    value: &Value,
    keys: Keys,
    production: Option<&HashSet<String>>,
    line: usize,
) -> Result<Option<LockedPackage>, ErrorKind> {
    let Some((name, version)) = name_version(key, keys)? else { return Ok(None) };
    let fields = match value {
        Value::Object(fields) => Some(fields),
        Value::Null => None,
        _ => return Err(ErrorKind::KeyType { entry: key.to_owned(), key: "packages", expected: "a mapping" }),
    };
    let dev = match (production, fields.and_then(|f| f.get("dev"))) {
        (Some(production), _) => !production.contains(&format!("{name}@{version}")),
        (None, None | Some(Value::Null)) => false,
        (None, Some(Value::Bool(dev))) => *dev,
        (None, Some(_)) => {
            return Err(ErrorKind::KeyType { entry: key.to_owned(), key: "dev", expected: "true or false" });
        }
    };
    check_version(Scheme::Semver, key, version)?;
    Ok(Some(LockedPackage::new("npm", name.to_owned(), version.to_owned(), dev, line)))
}

/// The name and version a `packages` key names, `None` when it is not from the registry.
fn name_version(key: &str, keys: Keys) -> Result<Option<(&str, &str)>, ErrorKind> {
    let bad = |expected: &str| ErrorKind::Entry { entry: key.to_owned(), reason: format!("expected a key {expected}") };
    let (name, version) = match keys {
        Keys::Slash => {
            // Other registries and git hosts start with their host name instead.
            let Some(path) = key.strip_prefix('/') else { return Ok(None) };
            // A scoped name holds one slash itself.
            let skip = if path.starts_with('@') { path.find('/').map_or(path.len(), |i| i + 1) } else { 0 };
            let Some(slash) = path.get(skip..).and_then(|rest| rest.find('/')).map(|i| skip + i) else {
                return Err(bad("/name/version"));
            };
            let (name, rest) = (&path[..slash], &path[slash + 1..]);
            // Peers follow the version after `_`, their slashes written as `+`.
            let version = rest.split('_').next().unwrap_or(rest);
            if version.contains('/') {
                return Err(bad("/name/version"));
            }
            (name, version)
        }
        Keys::At | Keys::Bare => {
            let path = match keys {
                Keys::At => match key.strip_prefix('/') {
                    Some(path) => path,
                    None => return Ok(None),
                },
                _ => key.strip_prefix('/').unwrap_or(key),
            };
            let path = path.split('(').next().unwrap_or(path);
            let Some(at) = path.get(1..).and_then(|p| p.rfind('@')).map(|at| at + 1) else {
                return Err(bad("name@version"));
            };
            let version = &path[at + 1..];
            // Tarball URLs, `file:`, `link:` and git references.
            if version.contains([':', '/']) {
                return Ok(None);
            }
            (&path[..at], version)
        }
    };
    if name.is_empty() || version.is_empty() {
        return Err(bad(if keys == Keys::Slash { "/name/version" } else { "name@version" }));
    }
    Ok(Some((name, version)))
}

/// Version 9: the `name@version` of every package that an importer's `dependencies` or
/// `optionalDependencies` reach through `snapshots`.
fn production(importers: &HashMap<String, Value>, snapshots: Option<&HashMap<String, Value>>) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut queue = Vec::new();
    for importer in importers.values() {
        for section in ["dependencies", "optionalDependencies"] {
            for (name, spec) in mapping(importer.get(section)) {
                // An importer names `{specifier, version}`, a snapshot the version alone.
                let version = spec.get("version").unwrap_or(spec);
                queue.extend(snapshot_key(name, version));
            }
        }
    }
    let mut production = HashSet::new();
    while let Some(key) = queue.pop() {
        if !seen.insert(key.clone()) {
            continue;
        }
        production.insert(key.split('(').next().unwrap_or(&key).to_owned());
        let Some(snapshot) = snapshots.and_then(|s| s.get(&key)) else { continue };
        for section in ["dependencies", "optionalDependencies"] {
            for (name, version) in mapping(snapshot.get(section)) {
                queue.extend(snapshot_key(name, version));
            }
        }
    }
    production
}

/// The pairs of a mapping; nothing for a value that is not one.
fn mapping(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value.and_then(Value::as_object).into_iter().flatten()
}

/// The `snapshots` key a dependency on `name` at `version` leads to; an alias's version is
/// the real `name@version` itself, a `link:` leads to a workspace, not a snapshot.
fn snapshot_key(name: &str, version: &Value) -> Option<String> {
    let version = version.as_str()?;
    let bare = version.split('(').next().unwrap_or(version);
    if version.starts_with("link:") {
        None
    } else if bare.get(1..).is_some_and(|v| v.contains('@')) {
        Some(version.to_owned())
    } else {
        Some(format!("{name}@{version}"))
    }
}
