//! apt repository metadata: a suite's `Release` (or `InRelease`) file says which distribution
//! and release it is and whether it is a security suite; its `Packages` and `Sources` indices
//! list the versions it offers. Every version in a security suite is a security update.
//!
//! Signatures of `InRelease` are not checked here: the catalog is built from files apt has
//! already verified (its lists folder) or that the caller vouches for.

use super::release_number;
use crate::model::Update;
use parapet_versions::Scheme;
use std::collections::HashMap;

/// The fields of a `Release` file that place a suite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Release {
    pub origin: String,
    pub label: String,
    pub suite: String,
    pub codename: String,
    pub version: String,
    pub components: Vec<String>,
    pub architectures: Vec<String>,
    /// `Date:` and `Valid-Until:` as written (RFC 2822).
    pub date: String,
    pub valid_until: String,
    /// The `SHA256:` table: every index file of the suite with its size and digest.
    pub sha256: Vec<IndexFile>,
}

/// One line of a `Release` file's `SHA256:` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// Relative to the suite's folder: `main/binary-amd64/Packages.xz`.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Release {
    /// A suite of security updates: Debian's `bookworm-security`, Ubuntu's `jammy-security`,
    /// the older `buster/updates`.
    pub fn is_security(&self) -> bool {
        self.label.to_ascii_lowercase().contains("security")
            || [&self.suite, &self.codename].iter().any(|s| s.ends_with("-security") || s.ends_with("/updates"))
    }

    /// The suite's lasting name: the code name (`bookworm-security`), which, unlike the suite
    /// (`stable-security`, later `oldstable-security`), does not change at the next release.
    pub fn name(&self) -> &str {
        if self.codename.is_empty() { &self.suite } else { &self.codename }
    }

    /// The OSV ecosystem of the release (`Debian:12`, `Ubuntu:22.04`), when it can be told.
    pub fn ecosystem(&self) -> Option<String> {
        let distribution = match self.origin.as_str() {
            "Debian" => "Debian",
            "Ubuntu" => "Ubuntu",
            _ => return None,
        };
        let from_version = match distribution {
            // Debian point releases (12.5) are the same release.
            "Debian" => self.version.split('.').next().filter(|v| !v.is_empty()).map(str::to_owned),
            _ => (!self.version.is_empty()).then(|| self.version.split(' ').next().unwrap_or_default().to_owned()),
        };
        let base = |name: &str| name.split(['-', '/']).next().unwrap_or_default().to_owned();
        let number = from_version
            .or_else(|| release_number(&base(&self.codename)).map(str::to_owned))
            .or_else(|| release_number(&base(&self.suite)).map(str::to_owned))?;
        Some(format!("{distribution}:{number}"))
    }
}

/// Reads the header of a `Release` or `InRelease` file (an OpenPGP clear-signed `Release`).
pub fn parse_release(text: &str) -> Release {
    let mut release = Release::default();
    let body = match text.find("\n\n") {
        Some(at) if text.starts_with("-----BEGIN PGP SIGNED MESSAGE-----") => &text[at + 2..],
        _ => text,
    };
    let mut in_sha256 = false;
    for line in body.lines() {
        if line.is_empty() || line.starts_with("-----BEGIN PGP SIGNATURE") {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if in_sha256 {
                let mut fields = line.split_whitespace();
                if let (Some(sha256), Some(size), Some(path)) = (fields.next(), fields.next(), fields.next())
                    && let Ok(size) = size.parse()
                {
                    release.sha256.push(IndexFile { path: path.to_owned(), size, sha256: sha256.to_ascii_lowercase() });
                }
            }
            continue;
        }
        in_sha256 = false;
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim().to_owned();
        let words = |value: &str| value.split_whitespace().map(str::to_owned).collect();
        match key {
            "Origin" => release.origin = value,
            "Label" => release.label = value,
            "Suite" => release.suite = value,
            "Codename" => release.codename = value,
            "Version" => release.version = value,
            "Components" => release.components = words(&value),
            "Architectures" => release.architectures = words(&value),
            "Date" => release.date = value,
            "Valid-Until" => release.valid_until = value,
            "SHA256" => in_sha256 = true,
            _ => {}
        }
    }
    release
}

/// Which index a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// Binary packages: `Package`, `Version`, `Architecture`, `Source`.
    Packages,
    /// Source packages: `Package`, `Version`, `Binary`.
    Sources,
}

/// The newest version of each package (and architecture) in one index, with the stanzas that
/// could not be read (by line).
#[derive(Debug, Default)]
pub struct Index {
    pub updates: Vec<Update>,
    pub problems: Vec<String>,
}

/// Reads a `Packages` or `Sources` index of a suite whose ecosystem and name are given.
pub fn parse_index(text: &str, kind: IndexKind, ecosystem: &str, suite: &str) -> Index {
    let mut index = Index::default();
    let mut newest: HashMap<(String, String), Update> = HashMap::new();
    let mut line_number = 0;
    for stanza in text.split("\n\n") {
        let start = line_number + 1;
        line_number += stanza.lines().count() + 1;
        if stanza.trim().is_empty() {
            continue;
        }
        let field = |name: &str| {
            stanza.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key == name).then(|| value.trim())
            })
        };
        let (Some(package), Some(version)) = (field("Package"), field("Version")) else {
            index.problems.push(format!("line {start}: stanza without Package or Version"));
            continue;
        };
        if let Err(e) = Scheme::Deb.validate(version) {
            index.problems.push(format!("line {start} ({package}): {e}"));
            continue;
        }
        let make = |binary: &str, arch: &str, source: &str, source_version: &str| Update {
            ecosystem: ecosystem.to_owned(),
            suite: suite.to_owned(),
            package: binary.to_owned(),
            arch: arch.to_owned(),
            version: version.to_owned(),
            source: source.to_owned(),
            source_version: source_version.to_owned(),
        };
        let mut offered = Vec::new();
        match kind {
            IndexKind::Packages => {
                // `Source: name` or `Source: name (version)` when the versions differ.
                let (source, source_version) = match field("Source") {
                    Some(value) => match value.split_once('(') {
                        Some((name, version)) => (name.trim(), version.trim_end_matches(')').trim()),
                        None => (value, version),
                    },
                    None => (package, version),
                };
                offered.push(make(package, field("Architecture").unwrap_or_default(), source, source_version));
            }
            IndexKind::Sources => {
                // The binary list may continue on indented lines.
                let binaries = binary_list(stanza);
                for binary in binaries {
                    offered.push(make(&binary, "", package, version));
                }
            }
        }
        for update in offered {
            let key = (update.package.clone(), update.arch.clone());
            match newest.get(&key) {
                Some(known) if Scheme::Deb.compare(&known.version, &update.version).is_ok_and(|o| o.is_ge()) => {}
                _ => {
                    newest.insert(key, update);
                }
            }
        }
    }
    index.updates = newest.into_values().collect();
    index.updates.sort_by(|a, b| (&a.package, &a.arch).cmp(&(&b.package, &b.arch)));
    index
}

fn binary_list(stanza: &str) -> Vec<String> {
    let mut lines = stanza.lines().skip_while(|line| !line.starts_with("Binary:"));
    let Some(first) = lines.next() else { return Vec::new() };
    let mut text = first["Binary:".len()..].to_owned();
    for line in lines.take_while(|line| line.starts_with([' ', '\t'])) {
        text.push_str(line);
    }
    text.split(',').map(|b| b.trim().to_owned()).filter(|b| !b.is_empty()).collect()
}
