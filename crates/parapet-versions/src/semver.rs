//! Semantic Versioning 2.0.0 as Cargo and npm apply it: `MAJOR.MINOR.PATCH[-PRE][+BUILD]`,
//! pre-releases before their release, build metadata ignored in comparisons.
//!
//! Two leniencies, both harmless for ordering: a leading `v` is accepted (npm accepts it, and Go
//! and many tags carry it), and numbers may have any length (compared as digit strings).

use crate::VersionError;
use std::cmp::Ordering;

const SCHEME: &str = "SemVer";

/// A parsed version borrowing the original string. Equality and order ignore `build`.
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    pub major: &'a str,
    pub minor: &'a str,
    pub patch: &'a str,
    /// Dot-separated pre-release identifiers, empty for a release.
    pub pre: &'a str,
    /// Build metadata, empty when absent.
    pub build: &'a str,
}

impl<'a> Version<'a> {
    pub fn parse(version: &'a str) -> Result<Self, VersionError> {
        parse(version, SCHEME, false)
    }
}

/// Parses a version. `shorthand` allows Go's `v1` and `v1.2` (for `v1.0.0`, `v1.2.0`).
pub(crate) fn parse<'a>(version: &'a str, scheme: &'static str, shorthand: bool) -> Result<Version<'a>, VersionError> {
    let invalid = |reason| VersionError::invalid(scheme, version, reason);
    if version.is_empty() {
        return Err(invalid("version is empty"));
    }
    let rest = version.strip_prefix('v').unwrap_or(version);
    let (rest, build) = match rest.split_once('+') {
        Some((rest, build)) => {
            identifiers(build, false).map_err(|reason| invalid(reason.for_build()))?;
            (rest, build)
        }
        None => (rest, ""),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => {
            identifiers(pre, true).map_err(|reason| invalid(reason.for_pre()))?;
            (core, pre)
        }
        None => (rest, ""),
    };
    let mut parts = core.split('.');
    let mut numbers = [None; 3];
    for (i, slot) in numbers.iter_mut().enumerate() {
        let Some(part) = parts.next() else { break };
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(NOT_A_NUMBER[i]));
        }
        if part.len() > 1 && part.starts_with('0') {
            return Err(invalid(LEADING_ZERO[i]));
        }
        *slot = Some(part);
    }
    let [major, minor, patch] = numbers;
    if parts.next().is_some() {
        return Err(invalid("expected MAJOR.MINOR.PATCH, found more than three numbers"));
    }
    let short = patch.is_none();
    if short && !(shorthand && pre.is_empty() && build.is_empty()) {
        return Err(invalid("expected MAJOR.MINOR.PATCH"));
    }
    Ok(Version { major: major.unwrap_or("0"), minor: minor.unwrap_or("0"), patch: patch.unwrap_or("0"), pre, build })
}

const NOT_A_NUMBER: [&str; 3] =
    ["major version must be a number", "minor version must be a number", "patch version must be a number"];
const LEADING_ZERO: [&str; 3] =
    ["major version has a leading zero", "minor version has a leading zero", "patch version has a leading zero"];

enum IdentifierError {
    Empty,
    Character,
    LeadingZero,
}

impl IdentifierError {
    fn for_pre(&self) -> &'static str {
        match self {
            IdentifierError::Empty => "pre-release has an empty identifier",
            IdentifierError::Character => "pre-release identifiers may only contain ASCII letters, digits and hyphens",
            IdentifierError::LeadingZero => "numeric pre-release identifier has a leading zero",
        }
    }

    fn for_build(&self) -> &'static str {
        match self {
            IdentifierError::Empty => "build metadata has an empty identifier",
            _ => "build metadata may only contain ASCII letters, digits, hyphens and dots",
        }
    }
}

fn identifiers(s: &str, pre: bool) -> Result<(), IdentifierError> {
    for id in s.split('.') {
        if id.is_empty() {
            return Err(IdentifierError::Empty);
        }
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(IdentifierError::Character);
        }
        if pre && id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdentifierError::LeadingZero);
        }
    }
    Ok(())
}

/// Compares digit strings without leading zeros as numbers of any size.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.major, other.major)
            .then_with(|| cmp_digits(self.minor, other.minor))
            .then_with(|| cmp_digits(self.patch, other.patch))
            .then_with(|| cmp_pre(self.pre, other.pre))
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version<'_> {}

/// SemVer §11: a release after its pre-releases; identifiers compared one by one, numeric ones
/// as numbers and before alphanumeric ones, a longer list after its prefix.
fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let (mut a, mut b) = (a.split('.'), b.split('.'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
                let order = match (numeric(x), numeric(y)) {
                    (true, true) => cmp_digits(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// Compares two semantic versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (Version::parse(a)?, Version::parse(b)?);
    Ok(a.cmp(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_versions_say_why() {
        for (version, reason) in [
            ("", "version is empty"),
            ("1.2", "expected MAJOR.MINOR.PATCH"),
            ("1.2.3.4", "expected MAJOR.MINOR.PATCH, found more than three numbers"),
            ("01.2.3", "major version has a leading zero"),
            ("1.x.3", "minor version must be a number"),
            ("1.2.3-", "pre-release has an empty identifier"),
            ("1.2.3-01", "numeric pre-release identifier has a leading zero"),
            ("1.2.3-a_b", "pre-release identifiers may only contain ASCII letters, digits and hyphens"),
            ("1.2.3+a..b", "build metadata has an empty identifier"),
        ] {
            assert_eq!(Version::parse(version).unwrap_err(), VersionError::invalid(SCHEME, version, reason));
        }
    }

    #[test]
    fn parts() {
        let v = Version::parse("v1.20.300-rc.1-x+build.5").unwrap();
        assert_eq!((v.major, v.minor, v.patch, v.pre, v.build), ("1", "20", "300", "rc.1-x", "build.5"));
    }
}
