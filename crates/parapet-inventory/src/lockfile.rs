//! Every lockfile and SBOM read into one list, so that the scanner treats them alike: which
//! kind of file a name (or a JSON document) is, and each package with its OSV ecosystem, its
//! name and version as OSV writes them, and the line it starts on.

use crate::error::ErrorKind;
use crate::{
    Parsed, cargo_lock, composer_lock, cyclonedx, gemfile_lock, go_mod, npm_lock, pipfile_lock, pnpm_lock, poetry_lock,
    requirements, spdx, yarn_lock,
};
use parapet_versions::Scheme;
use serde::Deserialize;

/// One package a lockfile or SBOM pins. Strings are owned: the formats may escape them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    /// The OSV ecosystem: `crates.io`, `npm`, `PyPI`, `Go`, `Packagist`, `RubyGems`, `Maven`…,
    /// and for an SBOM's distribution packages `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.18`,
    /// `Red Hat`…
    pub ecosystem: String,
    /// The name as OSV writes it: npm's `@scope/name`, PyPI's normalised as PEP 503 says
    /// (`zope-interface`), Maven's `group:artifact`, a Go module path, Go's own `stdlib`.
    pub name: String,
    /// Valid in the ecosystem's version scheme where it has one; Go's without the `v`.
    pub version: String,
    /// The package URL an SBOM gives; `None` for lockfiles.
    pub purl: Option<String>,
    /// Whether only development needs it, where the format says so.
    pub dev: bool,
    /// The line the entry starts on, counted from 1.
    pub line: usize,
}

/// The lockfile and SBOM formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockfileKind {
    CargoLock,
    NpmLock,
    YarnLock,
    PnpmLock,
    PoetryLock,
    PipfileLock,
    Requirements,
    GoMod,
    ComposerLock,
    GemfileLock,
    CycloneDx,
    Spdx,
}

impl LockfileKind {
    pub const ALL: [LockfileKind; 12] = [
        LockfileKind::CargoLock,
        LockfileKind::NpmLock,
        LockfileKind::YarnLock,
        LockfileKind::PnpmLock,
        LockfileKind::PoetryLock,
        LockfileKind::PipfileLock,
        LockfileKind::Requirements,
        LockfileKind::GoMod,
        LockfileKind::ComposerLock,
        LockfileKind::GemfileLock,
        LockfileKind::CycloneDx,
        LockfileKind::Spdx,
    ];

    /// The kind a file's name says it is (`Cargo.lock`, `package-lock.json`,
    /// `npm-shrinkwrap.json`, `yarn.lock`, `pnpm-lock.yaml`, `poetry.lock`, `Pipfile.lock`,
    /// `requirements*.txt`, `go.mod`, `composer.lock`, `Gemfile.lock`, `gems.locked`,
    /// `*.cdx.json`, `bom.json`, `*.spdx.json`); a path is judged by its last component.
    pub fn detect(file_name: &str) -> Option<LockfileKind> {
        let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        Some(match name {
            "Cargo.lock" => LockfileKind::CargoLock,
            "package-lock.json" | "npm-shrinkwrap.json" => LockfileKind::NpmLock,
            "yarn.lock" => LockfileKind::YarnLock,
            "pnpm-lock.yaml" => LockfileKind::PnpmLock,
            "poetry.lock" => LockfileKind::PoetryLock,
            "Pipfile.lock" => LockfileKind::PipfileLock,
            "go.mod" => LockfileKind::GoMod,
            "composer.lock" => LockfileKind::ComposerLock,
            "Gemfile.lock" | "gems.locked" => LockfileKind::GemfileLock,
            "bom.json" => LockfileKind::CycloneDx,
            _ if name.starts_with("requirements") && name.ends_with(".txt") => LockfileKind::Requirements,
            _ if name.ends_with(".cdx.json") => LockfileKind::CycloneDx,
            _ if name.ends_with(".spdx.json") => LockfileKind::Spdx,
            _ => return None,
        })
    }

    /// The kind of SBOM a JSON document is, for a file whose name says nothing: CycloneDX by
    /// its `"bomFormat": "CycloneDX"`, SPDX by its `spdxVersion`.
    pub fn detect_content(text: &str) -> Option<LockfileKind> {
        #[derive(Deserialize)]
        struct Sniff {
            #[serde(rename = "bomFormat")]
            bom_format: Option<serde_json::Value>,
            #[serde(rename = "spdxVersion")]
            spdx_version: Option<serde_json::Value>,
        }
        let sniff: Sniff = serde_json::from_str(text).ok()?;
        match (sniff.bom_format, sniff.spdx_version) {
            (Some(serde_json::Value::String(format)), _) if format == "CycloneDX" => Some(LockfileKind::CycloneDx),
            (_, Some(serde_json::Value::String(version))) if version.starts_with("SPDX-") => Some(LockfileKind::Spdx),
            _ => None,
        }
    }

    /// The format's usual file name, or its name for SBOMs.
    pub fn name(self) -> &'static str {
        match self {
            LockfileKind::CargoLock => "Cargo.lock",
            LockfileKind::NpmLock => "package-lock.json",
            LockfileKind::YarnLock => "yarn.lock",
            LockfileKind::PnpmLock => "pnpm-lock.yaml",
            LockfileKind::PoetryLock => "poetry.lock",
            LockfileKind::PipfileLock => "Pipfile.lock",
            LockfileKind::Requirements => "requirements.txt",
            LockfileKind::GoMod => "go.mod",
            LockfileKind::ComposerLock => "composer.lock",
            LockfileKind::GemfileLock => "Gemfile.lock",
            LockfileKind::CycloneDx => "CycloneDX",
            LockfileKind::Spdx => "SPDX",
        }
    }
}

/// Whether a Cargo.lock `source` is crates.io, by its git index or its sparse index.
fn is_crates_io(source: &str) -> bool {
    let index = source.split_once('#').map_or(source, |(index, _)| index).trim_end_matches('/');
    matches!(index, "registry+https://github.com/rust-lang/crates.io-index" | "sparse+https://index.crates.io")
}

/// Reads a lockfile or SBOM of the given kind; `file` names it in errors. Of a Cargo.lock only
/// the crates from crates.io are kept: the project's own crates (no `source`), git checkouts
/// and other registries' crates are other packages than the crates.io ones of the same name,
/// which is all the advisories speak about (as `cargo audit` also reads them).
pub fn parse(kind: LockfileKind, text: &str, file: &str) -> Parsed<LockedPackage> {
    match kind {
        LockfileKind::CargoLock => {
            let parsed = cargo_lock::parse(text, file);
            let packages = parsed.packages.into_iter().filter(|p| p.source.as_deref().is_some_and(is_crates_io));
            Parsed {
                packages: packages.map(|p| LockedPackage::new("crates.io", p.name, p.version, false, p.line)).collect(),
                errors: parsed.errors,
            }
        }
        LockfileKind::NpmLock => {
            let parsed = npm_lock::parse(text, file);
            Parsed {
                packages: parsed
                    .packages
                    .into_iter()
                    .map(|p| LockedPackage::new("npm", p.name, p.version, p.dev, p.line))
                    .collect(),
                errors: parsed.errors,
            }
        }
        LockfileKind::YarnLock => yarn_lock::parse(text, file),
        LockfileKind::PnpmLock => pnpm_lock::parse(text, file),
        LockfileKind::PoetryLock => poetry_lock::parse(text, file),
        LockfileKind::PipfileLock => pipfile_lock::parse(text, file),
        LockfileKind::Requirements => requirements::parse(text, file),
        LockfileKind::GoMod => go_mod::parse(text, file),
        LockfileKind::ComposerLock => composer_lock::parse(text, file),
        LockfileKind::GemfileLock => gemfile_lock::parse(text, file),
        LockfileKind::CycloneDx => cyclonedx::parse(text, file),
        LockfileKind::Spdx => spdx::parse(text, file),
    }
}

/// The OSV ecosystem of a package URL's type: `cargo`, `npm`, `pypi`, `golang`, `composer`,
/// `gem`, `maven`, `nuget`, `hex`, `pub`, `hackage`, `cran`; `deb` and `rpm` by the
/// distribution and release of the `distro` qualifier (`debian-12` or `bookworm` →
/// `Debian:12`, `ubuntu-22.04` → `Ubuntu:22.04:LTS`, `almalinux-9.3` → `AlmaLinux:9`) or else
/// the namespace (`redhat` → `Red Hat`); `apk` likewise (`alpine-3.18.4` → `Alpine:v3.18`).
/// `None` for an invalid package URL or a type OSV has no ecosystem for.
pub fn ecosystem_of_purl(purl: &str) -> Option<String> {
    parapet_versions::purl::parse(purl).ok()?.ecosystem()
}

pub use parapet_versions::pypi_name;

impl LockedPackage {
    /// A package of a lockfile, which gives no package URL.
    pub(crate) fn new(ecosystem: &str, name: String, version: String, dev: bool, line: usize) -> Self {
        LockedPackage { ecosystem: ecosystem.to_owned(), name, version, purl: None, dev, line }
    }
}

/// Checks that `version` is valid in `scheme`; the error names the entry.
pub(crate) fn check_version(scheme: Scheme, entry: &str, version: &str) -> Result<(), ErrorKind> {
    scheme.validate(version).map_err(|e| ErrorKind::Entry { entry: entry.to_owned(), reason: e.to_string() })
}
