//! Debian package versions, `[epoch:]upstream[-revision]`, ordered as `dpkg --compare-versions`
//! orders them (deb-version(7)).
//!
//! Comparison is the hot path of matching installed packages against advisories, so it works on
//! the borrowed bytes and never allocates.

use crate::VersionError;
use std::cmp::Ordering;

const SCHEME: &str = "dpkg";

/// A version split into its three parts, borrowing the original string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    pub epoch: u32,
    pub upstream: &'a str,
    /// Empty when the version has no revision; dpkg treats a missing revision as `0`'s equal.
    pub revision: &'a str,
}

impl<'a> Version<'a> {
    /// Reads a version the way dpkg does, except that what dpkg only warns about (an upstream
    /// version not starting with a digit, characters outside the allowed sets) is an error here,
    /// as Debian policy requires.
    pub fn parse(version: &'a str) -> Result<Self, VersionError> {
        match Self::parse_fast(version) {
            Some(parsed) => Ok(parsed),
            None => Self::parse_checked(version),
        }
    }

    /// One pass over the bytes for the common case of a valid version; `None` sends anything
    /// doubtful to `parse_checked`, which says what is wrong.
    #[inline]
    fn parse_fast(version: &'a str) -> Option<Self> {
        let bytes = version.as_bytes();
        // One branch-free pass says whether the bytes are allowed and which separators occur;
        // only those present are looked for, from the nearer end.
        let flags = bytes.iter().fold(0u8, |flags, &c| flags | FLAGS[usize::from(c)]);
        if flags & BAD != 0 {
            return None;
        }
        let colon = if flags & COLON != 0 { bytes.iter().position(|&c| c == b':')? } else { usize::MAX };
        let dash = if flags & HYPHEN != 0 { bytes.iter().rposition(|&c| c == b'-')? } else { usize::MAX };
        let (epoch, rest_start) = if colon == usize::MAX {
            (0, 0)
        } else {
            let digits = &bytes[..colon];
            if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            (digits.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')), colon + 1)
        };
        let (upstream_end, revision_start) =
            if dash == usize::MAX || dash < rest_start { (bytes.len(), bytes.len()) } else { (dash, dash + 1) };
        let revision_has_colon = colon != usize::MAX && bytes[revision_start..].contains(&b':');
        if revision_has_colon
            || revision_start == bytes.len() && upstream_end != bytes.len()
            || !bytes.get(rest_start).is_some_and(u8::is_ascii_digit)
            || upstream_end <= rest_start
        {
            return None;
        }
        Some(Version { epoch, upstream: &version[rest_start..upstream_end], revision: &version[revision_start..] })
    }

    fn parse_checked(version: &'a str) -> Result<Self, VersionError> {
        let invalid = |reason| VersionError::invalid(SCHEME, version, reason);
        let trimmed = version.trim_matches(|c: char| c.is_ascii_whitespace());
        if trimmed.is_empty() {
            return Err(invalid("version is empty"));
        }
        if trimmed.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(invalid("version has embedded spaces"));
        }
        let (epoch, rest) = match trimmed.split_once(':') {
            None => (0, trimmed),
            Some((epoch, rest)) => {
                if epoch.is_empty() {
                    return Err(invalid("epoch is empty"));
                }
                if !epoch.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid("epoch must be a number"));
                }
                let epoch = epoch.parse::<u32>().ok().filter(|&e| e <= i32::MAX as u32);
                let Some(epoch) = epoch else { return Err(invalid("epoch is too big")) };
                if rest.is_empty() {
                    return Err(invalid("nothing after the colon"));
                }
                (epoch, rest)
            }
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            None => (rest, ""),
            Some((_, "")) => return Err(invalid("revision is empty")),
            Some((upstream, revision)) => (upstream, revision),
        };
        let Some(&first) = upstream.as_bytes().first() else { return Err(invalid("upstream version is empty")) };
        if !first.is_ascii_digit() {
            return Err(invalid("upstream version must start with a digit"));
        }
        if !upstream.bytes().all(|b| b.is_ascii_alphanumeric() || b".+~-:".contains(&b)) {
            return Err(invalid("upstream version may only contain letters, digits and . + ~ - :"));
        }
        if !revision.bytes().all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b)) {
            return Err(invalid("revision may only contain letters, digits and . + ~"));
        }
        Ok(Version { epoch, upstream, revision })
    }
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

const BAD: u8 = 1;
const COLON: u8 = 2;
const HYPHEN: u8 = 4;

/// Flags for each byte: `BAD` for anything but letters, digits and `.+~-:`, and which of the
/// separators `:` and `-` it is.
static FLAGS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        table[i] = match c {
            b':' => COLON,
            b'-' => HYPHEN,
            b'.' | b'+' | b'~' => 0,
            _ if c.is_ascii_alphanumeric() => 0,
            _ => BAD,
        };
        i += 1;
    }
    table
};

/// Compares two dpkg versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (Version::parse(a)?, Version::parse(b)?);
    Ok(a.cmp(&b))
}

/// The weight of a non-digit character: `~` before the end of the string, the end before
/// letters, letters before everything else.
#[inline]
fn order(c: u8) -> i32 {
    match c {
        b'~' => -1,
        b'0'..=b'9' => 0,
        b'a'..=b'z' | b'A'..=b'Z' => i32::from(c),
        _ => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating runs of non-digits (compared by `order`) and digits
/// (compared as numbers, leading zeros ignored).
#[inline]
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    // Versions compared in practice share long prefixes. Skipping the common prefix changes
    // nothing as long as the walk restarts at the beginning of the digit run it ends in.
    let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if start == a.len() && start == b.len() {
        return Ordering::Equal;
    }
    while start > 0 && a[start - 1].is_ascii_digit() {
        start -= 1;
    }
    verrevcmp_from(&a[start..], &b[start..])
}

fn verrevcmp_from(mut a: &[u8], mut b: &[u8]) -> Ordering {
    let non_digit = |s: &[u8]| s.first().copied().filter(|c| !c.is_ascii_digit());
    while !(a.is_empty() && b.is_empty()) {
        // Non-digits, weighed by `order`; the end and a digit both weigh 0.
        loop {
            let (ca, cb) = (non_digit(a), non_digit(b));
            if ca.is_none() && cb.is_none() {
                break;
            }
            let (oa, ob) = (ca.map_or(0, order), cb.map_or(0, order));
            if oa != ob {
                return oa.cmp(&ob);
            }
            a = &a[1..];
            b = &b[1..];
        }
        // Digits, as numbers: without leading zeros, the longer run is the larger number.
        let zeros = |s: &[u8]| s.iter().take_while(|&&c| c == b'0').count();
        a = &a[zeros(a)..];
        b = &b[zeros(b)..];
        let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
        let (da, db) = (digits(a), digits(b));
        let by_value = da.cmp(&db).then_with(|| a[..da].cmp(&b[..db]));
        if by_value != Ordering::Equal {
            return by_value;
        }
        a = &a[da..];
        b = &b[db..];
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_versions_say_why() {
        for (version, reason) in [
            ("", "version is empty"),
            ("1 2", "version has embedded spaces"),
            (":1", "epoch is empty"),
            ("a:1", "epoch must be a number"),
            ("99999999999:1", "epoch is too big"),
            ("1:", "nothing after the colon"),
            ("1.0-", "revision is empty"),
            ("-1", "upstream version is empty"),
            ("abc", "upstream version must start with a digit"),
            ("1.0_1", "upstream version may only contain letters, digits and . + ~ - :"),
            ("1.0-1_2", "revision may only contain letters, digits and . + ~"),
        ] {
            let err = Version::parse(version).unwrap_err();
            assert_eq!(err, VersionError::invalid(SCHEME, version, reason), "{version:?}");
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_checked_one() {
        // Every string of up to five characters over an alphabet that reaches every rule.
        let alphabet = ['0', '1', 'a', ':', '-', '.', '~', ' ', '_'];
        let mut level = vec![String::new()];
        let mut strings = level.clone();
        for _ in 0..5 {
            level = level.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            strings.extend(level.iter().cloned());
        }
        for s in &strings {
            if let Some(fast) = Version::parse_fast(s) {
                assert_eq!(Ok(fast), Version::parse_checked(s), "{s:?}");
            }
        }
    }

    #[test]
    fn parts() {
        let v = Version::parse(" 2:1.0-rc1-3+deb12u1 ").unwrap();
        assert_eq!((v.epoch, v.upstream, v.revision), (2, "1.0-rc1", "3+deb12u1"));
    }
}
