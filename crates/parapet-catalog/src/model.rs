//! The catalog's data: advisories with the packages they affect, and security updates offered by
//! package repositories. Plain data, serialisable, no I/O.

use parapet_model::Severity;
use parapet_versions::osv::Event;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything `parapet scan` matches installed packages against.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// When the catalog was built, as an RFC 3339 UTC timestamp.
    pub built_at: String,
    /// One entry per source given to the build, in the order given.
    pub sources: Vec<SourceSummary>,
    pub advisories: Vec<Advisory>,
    pub updates: Vec<Update>,
}

/// What kind of source an advisory or update came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// OSV records: a folder, a zip as osv.dev ships them, JSON or YAML.
    Osv,
    /// apt repository metadata: `Packages`/`Sources` indices and their `Release` files.
    AptLists,
    /// Debian's DSA or DLA list from the security tracker.
    DebianList,
    /// Alpine's secdb (`secfixes` per package and release).
    AlpineSecdb,
    /// CSAF 2.0 documents.
    Csaf,
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Osv => "osv",
            SourceKind::AptLists => "apt-lists",
            SourceKind::DebianList => "debian-list",
            SourceKind::AlpineSecdb => "alpine-secdb",
            SourceKind::Csaf => "csaf",
        }
    }
}

/// What one source contributed, for `parapet catalog info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub kind: SourceKind,
    /// The path it was read from, as given.
    pub location: String,
    pub advisories: u64,
    pub updates: u64,
    /// Withdrawn advisories are kept out of the catalog and only counted.
    pub withdrawn: u64,
    /// Advisories or affected entries per ecosystem.
    pub ecosystems: BTreeMap<String, u64>,
    /// Records that could not be read, each with where and why; they are not in the catalog.
    pub rejected: Vec<String>,
}

impl SourceSummary {
    pub fn new(kind: SourceKind, location: impl Into<String>) -> Self {
        SourceSummary {
            kind,
            location: location.into(),
            advisories: 0,
            updates: 0,
            withdrawn: 0,
            ecosystems: BTreeMap::new(),
            rejected: Vec::new(),
        }
    }
}

/// An advisory: a vulnerability, or an informational notice about a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    /// Other IDs of the same issue (CVE, GHSA, RUSTSEC, DSA…), without `id` itself.
    pub aliases: Vec<String>,
    pub source: SourceKind,
    pub kind: AdvisoryKind,
    /// One line.
    pub title: String,
    pub severity: Option<Severity>,
    /// The CVSS vector the severity was derived from, when there was one.
    pub cvss: Option<String>,
    /// Where to read more.
    pub url: Option<String>,
    pub affected: Vec<Affected>,
}

impl Advisory {
    /// The advisory's ID followed by its aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A vulnerability, or a notice that is not one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdvisoryKind {
    Vulnerability,
    /// `unmaintained`, `unsound`, `notice`…: reported apart from vulnerabilities.
    Informational(String),
}

/// One package an advisory speaks about, in one ecosystem (and distribution release).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// The OSV ecosystem name: `crates.io`, `PyPI`, `Go`, `npm`, `Debian:12`, `Alpine:v3.18`…
    pub ecosystem: String,
    /// The package name, normalised (see [`crate::normalize_name`]).
    pub package: String,
    /// Whether `package` names a source package (Debian's lists) rather than a binary one.
    pub by_source: bool,
    pub status: Status,
    pub ranges: Vec<StoredRange>,
    /// Versions affected one by one, besides the ranges.
    pub versions: Vec<String>,
    /// Fixed versions named apart from the ranges (CSAF's `fixed` products), for the report.
    pub fixed: Vec<String>,
}

/// What the source says about the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The versions in the ranges are affected; fixed versions are the ranges' `fixed` events.
    Affected,
    /// The distribution says this package is not affected, in any version.
    NotAffected,
    /// Affected, and no fix will come or none has yet: `unfixed`, `no-dsa`, `ignored`,
    /// `postponed`, `end-of-life`.
    NoFix(String),
}

/// An OSV-style range: events sorted and validated when the catalog was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRange {
    /// Ordered by SemVer rather than the ecosystem's own scheme (OSV's `SEMVER` type).
    pub semver: bool,
    pub events: Vec<Event>,
}

/// A newer version of a package offered by a security suite of a package repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    /// `Debian:12`, `Ubuntu:22.04`…
    pub ecosystem: String,
    /// The suite it comes from: `bookworm-security`.
    pub suite: String,
    /// The binary package.
    pub package: String,
    /// `amd64`, `all`…; empty when the index did not say (a `Sources` index).
    pub arch: String,
    pub version: String,
    pub source: String,
    pub source_version: String,
}
