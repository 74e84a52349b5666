//! parapet-inventory's one integration-test binary: tables of hand-written stanzas for each
//! database, lockfile and SBOM (what is read, and every error with its line), this
//! repository's own `Cargo.lock`, and this machine's own dpkg status file checked against
//! `dpkg-query`.

mod apk;
mod cargo_lock;
mod composer_lock;
mod cyclonedx;
mod dpkg;
mod gemfile_lock;
mod go_mod;
mod lockfile;
mod npm_lock;
mod pipfile_lock;
mod pnpm_lock;
mod poetry_lock;
mod requirements;
mod rpm;
mod spdx;
mod system;
mod yarn_lock;

use parapet_inventory::lockfile::{LockedPackage, LockfileKind};

/// Every prefix of `text` (cut at character boundaries) with `parse`, which must not panic and
/// must account for each stanza it saw as a package or an error.
fn check_prefixes(text: &str, parse: impl Fn(&str) -> (usize, usize)) {
    for (end, _) in text.char_indices() {
        let (packages, errors) = parse(&text[..end]);
        let stanzas = text[..end].split("\n\n").filter(|s| !s.trim().is_empty()).count();
        assert!(packages + errors <= stanzas, "prefix of {end} bytes: {packages} + {errors} > {stanzas} stanzas");
    }
}

/// A package as the lockfile tables write it: `line ecosystem name version`, then ` dev`.
fn render(p: &LockedPackage) -> String {
    format!("{} {} {} {}{}", p.line, p.ecosystem, p.name, p.version, if p.dev { " dev" } else { "" })
}

/// Reads `text` as a `kind` file named `file`, and compares what is read with `packages`
/// (rendered by [`render`]) and `errors` (their messages).
#[track_caller]
fn check_lockfile(kind: LockfileKind, file: &str, text: &str, packages: &[&str], errors: &[&str]) {
    let parsed = parapet_inventory::lockfile::parse(kind, text, file);
    let got: Vec<String> = parsed.packages.iter().map(render).collect();
    let messages: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    let got: Vec<&str> = got.iter().map(String::as_str).collect();
    let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
    assert_eq!((got, messages), (packages.to_vec(), errors.to_vec()), "{text}");
}

/// Each `(text, packages)` row read as `kind`, with Unix and with Windows line ends: the same
/// packages and no error either way.
#[track_caller]
fn check_rows(kind: LockfileKind, file: &str, rows: &[(&str, &[&str])]) {
    for (text, packages) in rows {
        check_lockfile(kind, file, text, packages, &[]);
        check_lockfile(kind, file, &text.replace('\n', "\r\n"), packages, &[]);
    }
}

/// Every prefix of `text` (cut at character boundaries) read as `kind`, and the same with
/// Windows line ends: no panic, and every package and error on a line of the prefix.
fn check_lockfile_prefixes(kind: LockfileKind, text: &str) {
    check_lockfile_prefixes_every(kind, text, 1);
}

/// [`check_lockfile_prefixes`] for the prefixes that end at a line's end or at a multiple of
/// `stride` bytes, for parsers too slow unoptimised to read them all.
fn check_lockfile_prefixes_every(kind: LockfileKind, text: &str, stride: usize) {
    for text in [text.to_owned(), text.replace('\n', "\r\n")] {
        let ends = text.char_indices().map(|(end, _)| end);
        for end in ends.filter(|&end| end % stride == 0 || text[end..].starts_with(['\r', '\n'])) {
            let prefix = &text[..end];
            let parsed = parapet_inventory::lockfile::parse(kind, prefix, "prefix");
            let lines = prefix.split('\n').count();
            let package_lines = parsed.packages.iter().map(|p| p.line);
            for line in package_lines.chain(parsed.errors.iter().map(|e| e.line)) {
                assert!((1..=lines).contains(&line), "{kind:?}, prefix of {end} bytes: line {line} of {lines}");
            }
        }
    }
}
