//! pip's requirements files (`requirements.txt`, `requirements-dev.txt`…) as `pip freeze` and
//! `pip-compile` write them: one `name==version` a line.
//!
//! Lines are joined where they end in `\` and comments (`#` at the start or after a space) are
//! dropped, as pip does. A requirement may name extras (`name[extra]==1.0`) and end in
//! environment markers (`; python_version < "3.11"`) and options (`--hash=sha256:…`), which are
//! not read. Option lines (`-r`, `-c`, `-e`, `--index-url`…), requirements on a URL or a path
//! (`name @ https://…`, `./pkg`) and requirements that pin no single version (`name>=1.0`,
//! `name==1.*`, a bare `name`) are skipped: a requirements file need not be a lockfile, and
//! only its pinned requirements say what is installed.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError, excerpt};
use crate::lockfile::{LockedPackage, check_version, pypi_name};
use parapet_versions::Scheme;

/// Reads a requirements file; `file` names it in errors. A line that is not a requirement is
/// reported at its first line and skipped.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
    let mut parsed = Parsed::default();
    for (line, text) in logical_lines(text) {
        match requirement(&text) {
            Ok(Some((name, version))) => {
                parsed.packages.push(LockedPackage::new("PyPI", pypi_name(name), version.to_owned(), false, line));
            }
            Ok(None) => {}
            Err(kind) => parsed.errors.push(ParseError { file: file.to_owned(), line, kind }),
        }
    }
    parsed
}

/// The lines with continuations joined and comments removed, each with the number of its
/// first line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let comment = line.trim_start().starts_with('#');
        match line.strip_suffix('\\') {
            Some(start) if !comment => pending.get_or_insert_with(|| (index + 1, String::new())).1.push_str(start),
            _ => {
                let (number, mut joined) = pending.take().unwrap_or_else(|| (index + 1, String::new()));
                // A comment line ends a continuation without joining it (pip's rule).
                if !comment {
                    joined.push_str(line);
                }
                lines.push((number, joined));
            }
        }
    }
    lines.extend(pending);
    for (_, line) in &mut lines {
        let comment = line
            .char_indices()
            .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with(|p: char| p.is_whitespace())));
        if let Some((i, _)) = comment {
            line.truncate(i);
        }
    }
    lines
}

/// The name and pinned version of a requirement line; `None` for lines that pin nothing.
fn requirement(line: &str) -> Result<Option<(&str, &str)>, ErrorKind> {
    let line = line.trim();
    let url_or_path = line.contains("://") || line.starts_with(['.', '/', '~']);
    if line.is_empty() || line.starts_with('-') || url_or_path {
        return Ok(None);
    }
    let bad = |reason: &str| ErrorKind::Entry { entry: excerpt(line), reason: reason.to_owned() };
    // Options after the requirement start at the first word that starts with `-`.
    let end = line
        .match_indices(char::is_whitespace)
        .find(|&(i, _)| line[i..].trim_start().starts_with('-'))
        .map_or(line.len(), |(i, _)| i);
    let requirement = &line[..end];
    let requirement = requirement.split(';').next().unwrap_or(requirement).trim();
    let name_end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(requirement.len());
    let name = &requirement[..name_end];
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(bad("expected a package name"));
    }
    let mut rest = requirement[name_end..].trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        let Some((_, after)) = extras.split_once(']') else { return Err(bad("expected ] after the extras")) };
        rest = after.trim_start();
    }
    if rest.starts_with('@') {
        return Ok(None);
    }
    let rest = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest).trim();
    if rest.is_empty() || rest.contains(',') {
        return Ok(None);
    }
    let version = match rest.strip_prefix("===").or_else(|| rest.strip_prefix("==")) {
        Some(version) => version.trim(),
        None if rest.starts_with(['<', '>', '~', '!']) => return Ok(None),
        None => return Err(bad("expected a version specifier such as ==1.2.3 after the name")),
    };
    if version.is_empty() {
        return Err(bad("expected a version after =="));
    }
    // PEP 508's characters of a version; PyPI's own scheme takes nearly anything.
    if !version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '!' | '*')) {
        return Err(bad("expected a version of letters, digits and -_.+!* after =="));
    }
    if version.ends_with(".*") {
        return Ok(None);
    }
    check_version(Scheme::Pypi, name, version)?;
    Ok(Some((name, version)))
}
