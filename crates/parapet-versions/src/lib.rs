//! Version semantics: how each packaging ecosystem writes and orders versions, and the range
//! notations advisories use to say which versions are affected.
//!
//! - [`Scheme`] names an ordering (`deb`, `rpm`, `apk`, `semver`, `go`, `pep440`, `pypi`,
//!   `maven`, `packagist`, `rubygems`, `generic`) and compares two versions in it; each has its
//!   module with the parsed form where one is useful.
//! - [`osv`] evaluates OSV `ranges` (`introduced`/`fixed`/`last_affected`/`limit` events).
//! - [`vers`] parses and evaluates `vers:` version range specifiers; [`csaf`] applies them to
//!   CSAF product versions and version ranges.
//!
//! Invalid versions are errors that say what is wrong, never silently ordered somewhere. No I/O.

pub mod apk;
pub mod cpe;
pub mod csaf;
pub mod dpkg;
mod error;
pub mod generic;
pub mod go;
pub mod maven;
pub mod osv;
pub mod packagist;
pub mod pep440;
pub mod purl;
pub mod rpm;
pub mod rubygems;
pub mod semver;
pub mod vers;

pub use error::VersionError;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// The distribution and version number of a Debian or Ubuntu release named by its code name
/// (`bookworm` → `("debian", "12")`), as package URLs, apt suites and Debian's DSA list name them.
pub fn release_of_codename(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name.to_ascii_lowercase().as_str() {
        "lenny" => ("debian", "5"),
        "squeeze" => ("debian", "6"),
        "wheezy" => ("debian", "7"),
        "jessie" => ("debian", "8"),
        "stretch" => ("debian", "9"),
        "buster" => ("debian", "10"),
        "bullseye" => ("debian", "11"),
        "bookworm" => ("debian", "12"),
        "trixie" => ("debian", "13"),
        "forky" => ("debian", "14"),
        "duke" => ("debian", "15"),
        "xenial" => ("ubuntu", "16.04"),
        "bionic" => ("ubuntu", "18.04"),
        "focal" => ("ubuntu", "20.04"),
        "jammy" => ("ubuntu", "22.04"),
        "noble" => ("ubuntu", "24.04"),
        _ => return None,
    })
}

/// A Python package name normalised as PEP 503 says: lowercase, every run of `-`, `_` and `.`
/// one `-`. PyPI treats names that normalise alike as one project.
pub fn pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// A versioning scheme: how versions are written and ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian and Ubuntu packages (`dpkg --compare-versions`).
    Deb,
    /// RPM packages: Red Hat, AlmaLinux, Rocky Linux, SUSE… (`rpmvercmp`).
    Rpm,
    /// Alpine packages (apk-tools).
    Apk,
    /// Semantic Versioning 2.0.0 as npm and Cargo use it.
    Semver,
    /// Go module versions, pseudo-versions and `+incompatible` included.
    Go,
    /// PEP 440, strictly.
    Pep440,
    /// PyPI releases: PEP 440, with pre-PEP 440 versions ordered below as `packaging` once did.
    Pypi,
    /// Maven (`ComparableVersion`).
    Maven,
    /// Packagist / Composer (PHP `version_compare`).
    Packagist,
    /// RubyGems (`Gem::Version`).
    RubyGems,
    /// No particular ecosystem (see [`generic`]).
    Generic,
}

impl Scheme {
    pub const ALL: [Scheme; 11] = [
        Scheme::Deb,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Semver,
        Scheme::Go,
        Scheme::Pep440,
        Scheme::Pypi,
        Scheme::Maven,
        Scheme::Packagist,
        Scheme::RubyGems,
        Scheme::Generic,
    ];

    /// Reads a scheme from its short name (`deb`, `rpm`, `apk`, `semver`, `go`, `pep440`,
    /// `pypi`, `maven`, `packagist`, `rubygems`, `generic`), a `vers` versioning scheme (`npm`,
    /// `cargo`, `golang`, `gem`, `composer`, `alpine`…) or an OSV ecosystem (`Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Red Hat:…`, `AlmaLinux`, `Rocky Linux`, `Alpine:v3.18`, `PyPI`,
    /// `crates.io`, `npm`, `Go`, `Maven`, `Packagist`, `RubyGems`…). Case does not matter; what
    /// follows the first colon (an ecosystem's release or repository) is ignored.
    pub fn parse(name: &str) -> Result<Scheme, VersionError> {
        let base = name.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
        Ok(match base.as_str() {
            "deb" | "dpkg" | "debian" | "ubuntu" => Scheme::Deb,
            "rpm" | "red hat" | "redhat" | "almalinux" | "rocky linux" | "opensuse" | "suse" | "photon os"
            | "openeuler" | "mageia" => Scheme::Rpm,
            "apk" | "alpine" | "alpaquita" | "wolfi" | "chainguard" | "minimos" => Scheme::Apk,
            "semver" | "npm" | "crates.io" | "cargo" => Scheme::Semver,
            "go" | "golang" => Scheme::Go,
            "pep440" => Scheme::Pep440,
            "pypi" => Scheme::Pypi,
            "maven" => Scheme::Maven,
            "packagist" | "composer" => Scheme::Packagist,
            "rubygems" | "gem" => Scheme::RubyGems,
            // Products named by CPE have no ecosystem of their own (see [`cpe`]).
            "generic" | "cpe" => Scheme::Generic,
            _ => return Err(VersionError::UnknownScheme(name.to_owned())),
        })
    }

    /// The short name, as `parse` and the command line accept it.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Deb => "deb",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Semver => "semver",
            Scheme::Go => "go",
            Scheme::Pep440 => "pep440",
            Scheme::Pypi => "pypi",
            Scheme::Maven => "maven",
            Scheme::Packagist => "packagist",
            Scheme::RubyGems => "rubygems",
            Scheme::Generic => "generic",
        }
    }

    /// Compares two versions; an invalid version on either side is an error.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        match self {
            Scheme::Deb => dpkg::compare(a, b),
            Scheme::Rpm => rpm::compare(a, b),
            Scheme::Apk => apk::compare(a, b),
            Scheme::Semver => semver::compare(a, b),
            Scheme::Go => go::compare(a, b),
            Scheme::Pep440 => pep440::compare(a, b),
            Scheme::Pypi => pep440::compare_pypi(a, b),
            Scheme::Maven => maven::compare(a, b),
            Scheme::Packagist => packagist::compare(a, b),
            Scheme::RubyGems => rubygems::compare(a, b),
            Scheme::Generic => generic::compare(a, b),
        }
    }

    /// Checks that a version is valid in this scheme.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        self.compare(version, version).map(drop)
    }
}

/// Sorts by a comparison that can fail. An insertion sort: the lists are short (a range's events
/// or constraints), and unlike the standard sorts it cannot panic when a scheme's order is not
/// quite total (PHP's `version_compare`, which Packagist follows, is not transitive on odd input).
pub(crate) fn sort_by_version<T>(
    items: &mut [T],
    mut cmp: impl FnMut(&T, &T) -> Result<Ordering, VersionError>,
) -> Result<(), VersionError> {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && cmp(&items[j - 1], &items[j])?.is_gt() {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
    Ok(())
}

impl FromStr for Scheme {
    type Err = VersionError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scheme::parse(name)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_survives_an_order_that_is_not_total() {
        let mut items: Vec<u32> = (0..50).rev().collect();
        // "Everything is less than everything" would make the standard sorts panic.
        assert_eq!(sort_by_version(&mut items, |_, _| Ok(Ordering::Less)), Ok(()));
        assert_eq!(sort_by_version(&mut items, |a, b| Ok(a.cmp(b))), Ok(()));
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn names() {
        for scheme in Scheme::ALL {
            assert_eq!(Scheme::parse(scheme.name()).unwrap(), scheme);
        }
        for (name, scheme) in [
            ("Debian:12", Scheme::Deb),
            ("Ubuntu:Pro:18.04:LTS", Scheme::Deb),
            ("Red Hat:rhel_aus:8.4::appstream", Scheme::Rpm),
            ("AlmaLinux:9", Scheme::Rpm),
            ("Rocky Linux", Scheme::Rpm),
            ("Alpine:v3.18", Scheme::Apk),
            ("PyPI", Scheme::Pypi),
            ("crates.io", Scheme::Semver),
            ("npm", Scheme::Semver),
            ("Go", Scheme::Go),
            ("Maven:https://maven.google.com", Scheme::Maven),
            ("Packagist", Scheme::Packagist),
            ("RubyGems", Scheme::RubyGems),
        ] {
            assert_eq!(Scheme::parse(name).unwrap(), scheme, "{name}");
        }
        assert_eq!(Scheme::parse("NuGet").unwrap_err().to_string(), r#"unknown version scheme "NuGet""#);
    }
}
