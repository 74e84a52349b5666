//! RPM versions, `[epoch:]version[-release]`, ordered by `rpmvercmp` with `~` (sorts before
//! anything, even the end) and `^` (sorts after the end but before anything else). As in
//! `rpm.vercmp` (rpm 4.18), a version without a release sorts before the same version with one.

use crate::VersionError;
use std::cmp::Ordering;

const SCHEME: &str = "rpm";

/// A version split into epoch, version and release, borrowing the original string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    /// The digits before the first colon; empty when there is no epoch (which counts as `0`).
    pub epoch: &'a str,
    pub version: &'a str,
    /// What follows the last hyphen.
    pub release: Option<&'a str>,
}

impl<'a> Version<'a> {
    /// Splits a version as rpm's `parseEVR` does: the epoch is the leading digits when a colon
    /// follows them, the release is what follows the last hyphen.
    pub fn parse(version: &'a str) -> Result<Self, VersionError> {
        let invalid = |reason| VersionError::invalid(SCHEME, version, reason);
        if version.is_empty() {
            return Err(invalid("version is empty"));
        }
        if version.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("version contains a space or a control character"));
        }
        let digits = version.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = match version.as_bytes().get(digits) {
            Some(b':') => (&version[..digits], &version[digits + 1..]),
            _ => ("", version),
        };
        let (version_part, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r)),
            None => (rest, None),
        };
        if version_part.is_empty() {
            return Err(invalid("the version part (between epoch and release) is empty"));
        }
        Ok(Version { epoch, version: version_part, release })
    }
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(or_zero(self.epoch), or_zero(other.epoch))
            .then_with(|| rpmvercmp(self.version, other.version))
            .then_with(|| match (self.release, other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (a, b) => a.is_some().cmp(&b.is_some()),
            })
    }
}

fn or_zero(epoch: &str) -> &str {
    if epoch.is_empty() { "0" } else { epoch }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two RPM versions (`[epoch:]version[-release]`).
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (Version::parse(a)?, Version::parse(b)?);
    Ok(a.cmp(&b))
}

/// rpm's `rpmvercmp` on one part: runs of digits compare as numbers, runs of letters as
/// strings, a digit run beats a letter run, anything else only separates runs.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b {
        return Ordering::Equal;
    }
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let separator = |c: u8| c != 0 && !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while separator(at(a, i)) {
            i += 1;
        }
        while separator(at(b, j)) {
            j += 1;
        }
        let (ca, cb) = (at(a, i), at(b, j));
        if ca == b'~' || cb == b'~' {
            if ca != b'~' {
                return Ordering::Greater;
            }
            if cb != b'~' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == b'^' || cb == b'^' {
            if ca == 0 {
                return Ordering::Less;
            }
            if cb == 0 {
                return Ordering::Greater;
            }
            if ca != b'^' {
                return Ordering::Greater;
            }
            if cb != b'^' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == 0 || cb == 0 {
            break;
        }
        let numeric = ca.is_ascii_digit();
        let (mut sa, mut sb) = (run(a, i, numeric), run(b, j, numeric));
        i += sa.len();
        j += sb.len();
        if sb.is_empty() {
            return if numeric { Ordering::Greater } else { Ordering::Less };
        }
        if numeric {
            sa = strip_zeros(sa);
            sb = strip_zeros(sb);
            let by_length = sa.len().cmp(&sb.len());
            if by_length != Ordering::Equal {
                return by_length;
            }
        }
        let by_bytes = sa.cmp(sb);
        if by_bytes != Ordering::Equal {
            return by_bytes;
        }
    }
    // Whichever still has characters left wins; separators alone count as characters here.
    match (i < a.len(), j < b.len()) {
        (false, false) => Ordering::Equal,
        (false, true) => Ordering::Less,
        (true, _) => Ordering::Greater,
    }
}

/// The run of digits (or of letters) starting at `start`.
fn run(s: &[u8], start: usize, numeric: bool) -> &[u8] {
    let len =
        s[start..].iter().take_while(|c| if numeric { c.is_ascii_digit() } else { c.is_ascii_alphabetic() }).count();
    &s[start..start + len]
}

fn strip_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    &digits[zeros..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let v = Version::parse("2:1.0-rc1-3.el9").unwrap();
        assert_eq!((v.epoch, v.version, v.release), ("2", "1.0-rc1", Some("3.el9")));
        let v = Version::parse("a:1").unwrap();
        assert_eq!((v.epoch, v.version, v.release), ("", "a:1", None));
    }

    #[test]
    fn invalid_versions_say_why() {
        for (version, reason) in [
            ("", "version is empty"),
            ("1 2", "version contains a space or a control character"),
            ("1:-2", "the version part (between epoch and release) is empty"),
        ] {
            assert_eq!(Version::parse(version).unwrap_err(), VersionError::invalid(SCHEME, version, reason));
        }
    }
}
