//! Go's `go.mod`: the modules a Go module requires, with the `replace` directives applied, and
//! the Go release it asks for.
//!
//! `require` lines and blocks are read, direct and `// indirect` alike (since Go 1.17 a
//! go.mod lists every module the build needs). A `replace` swaps a module, or one version of
//! it, for another module and version; a module replaced by a local directory is dropped, as no
//! advisory can name its code. The `go` line becomes the package `stdlib` at that release,
//! `go 1.21` read as `1.21.0` and `go 1.21rc1` as `1.21.0-rc.1`, as the Go vulnerability
//! database writes them. The module itself, `exclude`, `retract`, `toolchain`, `godebug`,
//! `tool` and `ignore` are not read. Versions lose their `v`, as OSV writes them.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError, excerpt};
use crate::lockfile::{LockedPackage, check_version};
use parapet_versions::Scheme;

/// A `replace`: `old [version] => new version`, or `=> ./local/path` (`new` is `None`).
struct Replace {
    old: String,
    old_version: Option<String>,
    new: Option<(String, String)>,
}

#[derive(Default)]
struct Reader {
    module: Option<String>,
    packages: Vec<LockedPackage>,
    replaces: Vec<Replace>,
}

/// Reads a `go.mod`; `file` names it in errors. A directive that cannot be read is reported
/// at its line and skipped.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
    let mut errors = Vec::new();
    let mut error = |line, kind| errors.push(ParseError { file: file.to_owned(), line, kind });
    let mut reader = Reader::default();
    // The verb of the block being read, and the line that opened it.
    let mut block: Option<(String, usize)> = None;
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let bad = |reason: &str| ErrorKind::Entry { entry: excerpt(line.trim()), reason: reason.to_owned() };
        let tokens = match tokens(line) {
            Ok(tokens) => tokens,
            Err(reason) => {
                error(number, bad(reason));
                continue;
            }
        };
        let (verb, args) = match (&block, tokens.as_slice()) {
            (_, []) => continue,
            (Some(_), [close]) if close == ")" => {
                block = None;
                continue;
            }
            (Some((verb, _)), args) => (verb.clone(), args),
            (None, [verb, open]) if open == "(" => {
                block = Some((verb.clone(), number));
                continue;
            }
            (None, [verb, args @ ..]) => (verb.clone(), args),
        };
        if let Err(kind) = reader.directive(&verb, args, number, bad) {
            error(number, kind);
        }
    }
    if let Some((verb, line)) = block {
        error(line, ErrorKind::Entry { entry: format!("{verb} ("), reason: "block is not closed with )".to_owned() });
    }
    Parsed { packages: reader.finish(), errors }
}

impl Reader {
    fn directive(
        &mut self,
        verb: &str,
        args: &[String],
        line: usize,
        bad: impl Fn(&str) -> ErrorKind,
    ) -> Result<(), ErrorKind> {
        match (verb, args) {
            ("module", [path]) => self.module = Some(path.clone()),
            ("module", _) => return Err(bad("expected module <path>")),
            ("go", [release]) => {
                let version =
                    go_release(release).ok_or_else(|| bad("expected go <release> such as 1.21, 1.21.3 or 1.21rc1"))?;
                check_version(Scheme::Go, "stdlib", &version)?;
                self.packages.push(LockedPackage::new("Go", "stdlib".to_owned(), version, false, line));
            }
            ("go", _) => return Err(bad("expected go <release>")),
            ("require", [path, version]) => {
                let version = module_version(path, version)?;
                self.packages.push(LockedPackage::new("Go", path.clone(), version, false, line));
            }
            ("require", _) => return Err(bad("expected require <module path> <version>")),
            ("replace", args) => {
                let arrow = args.iter().position(|a| a == "=>");
                let (old, old_version, new) = match arrow.map(|i| (&args[..i], &args[i + 1..])) {
                    Some(([old], new)) => (old, None, new),
                    Some(([old, version], new)) => (old, Some(module_version(old, version)?), new),
                    _ => return Err(bad("expected replace <module path> [<version>] => <replacement>")),
                };
                let new = match new {
                    // A module needs a version; a directory has none.
                    [_directory] => None,
                    [path, version] => Some((path.clone(), module_version(path, version)?)),
                    _ => return Err(bad("expected a module path and version, or a directory, after =>")),
                };
                self.replaces.push(Replace { old: old.clone(), old_version, new });
            }
            ("exclude" | "retract" | "toolchain" | "godebug" | "tool" | "ignore", _) => {}
            _ => return Err(bad("unknown directive")),
        }
        Ok(())
    }

    /// The packages with the replacements applied: a replacement of the one version wins over
    /// one of every version; the module's own path is left out.
    fn finish(self) -> Vec<LockedPackage> {
        let mut packages = Vec::with_capacity(self.packages.len());
        for mut package in self.packages {
            if package.name != "stdlib" && self.module.as_ref() == Some(&package.name) {
                continue;
            }
            let replace = |version: Option<&String>| {
                self.replaces.iter().rev().find(|r| r.old == package.name && r.old_version.as_ref() == version)
            };
            match replace(Some(&package.version)).or_else(|| replace(None)).map(|r| &r.new) {
                None => packages.push(package),
                Some(None) => {}
                Some(Some((path, version))) => {
                    package.name.clone_from(path);
                    package.version.clone_from(version);
                    packages.push(package);
                }
            }
        }
        packages
    }
}

/// A module version, checked and without its `v`.
fn module_version(path: &str, version: &str) -> Result<String, ErrorKind> {
    check_version(Scheme::Go, path, version)?;
    Ok(version.strip_prefix('v').unwrap_or(version).to_owned())
}

/// A `go` line's release as a semantic version: `1.21` → `1.21.0`, `1.21rc1` → `1.21.0-rc.1`.
fn go_release(release: &str) -> Option<String> {
    let numeric_end = release.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(release.len());
    let (numeric, suffix) = release.split_at(numeric_end);
    let parts: Vec<&str> = numeric.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut version = parts.join(".");
    for _ in parts.len()..3 {
        version.push_str(".0");
    }
    if suffix.is_empty() {
        return Some(version);
    }
    let (kind, number) = suffix.split_at(suffix.find(|c: char| c.is_ascii_digit())?);
    if !matches!(kind, "rc" | "beta") || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{version}-{kind}.{number}"))
}

/// The words of a line without its comment: quoted strings unquoted, and `(` and `)` words of
/// their own.
fn tokens(line: &str) -> Result<Vec<String>, &'static str> {
    let mut tokens = Vec::new();
    let mut rest = line.trim_start();
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("//") {
            break;
        }
        let (token, after) = match c {
            '"' | '`' => {
                // Go's escapes cannot occur in a module path or version; a quote ends the word.
                let end = rest[1..].find(c).ok_or("unterminated quoted string")? + 1;
                (rest[1..end].to_owned(), &rest[end + 1..])
            }
            '(' | ')' => (c.to_string(), &rest[1..]),
            _ => {
                let end =
                    rest.find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '"' | '`')).unwrap_or(rest.len());
                let end = rest[..end].find("//").unwrap_or(end);
                (rest[..end].to_owned(), &rest[end..])
            }
        };
        tokens.push(token);
        rest = after.trim_start();
    }
    Ok(tokens)
}
