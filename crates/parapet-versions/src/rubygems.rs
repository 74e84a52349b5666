//! RubyGems versions, validated and ordered as `Gem::Version`: segments are runs of digits or of
//! letters (a `-` reads as `.pre.`), trailing zeros of the release and of the pre-release part
//! do not count, a letter segment marks a pre-release and sorts before any number.

use crate::VersionError;
use crate::semver::cmp_digits;
use std::cmp::Ordering;

const SCHEME: &str = "RubyGems";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    /// Digits without leading zeros (empty for zero).
    Number(&'a str),
    Text(&'a str),
}

/// `Gem::Version::ANCHORED_VERSION_PATTERN`.
pub fn validate(version: &str) -> Result<(), VersionError> {
    let invalid = |reason| Err(VersionError::invalid(SCHEME, version, reason));
    let v = version.trim();
    if v.is_empty() {
        return Ok(());
    }
    let (release, pre) = match v.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (v, None),
    };
    let mut parts = release.split('.');
    if !parts.next().is_some_and(|first| !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit())) {
        return invalid("version must start with a number");
    }
    if !parts.all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return invalid("segments are letters and digits separated by dots");
    }
    let pre_part = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if pre.is_some_and(|pre| !pre.split('.').all(pre_part)) {
        return invalid("the part after '-' is letters, digits and hyphens separated by dots");
    }
    Ok(())
}

/// `Gem::Version#canonical_segments`.
fn canonical_segments(version: &str) -> Vec<Segment<'_>> {
    let v = version.trim();
    let v = if v.is_empty() { "0" } else { v };
    let mut segments = Vec::new();
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'-' {
            // "-" is read as ".pre.".
            segments.push(Segment::Text("pre"));
            i += 1;
        } else if c.is_ascii_digit() {
            let len = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            segments.push(Segment::Number(v[i..i + len].trim_start_matches('0')));
            i += len;
        } else if c.is_ascii_alphabetic() {
            let len = bytes[i..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
            segments.push(Segment::Text(&v[i..i + len]));
            i += len;
        } else {
            i += 1;
        }
    }
    // Drop trailing zeros of the numeric part and of the rest, separately.
    let split = segments.iter().position(|s| matches!(s, Segment::Text(_))).unwrap_or(segments.len());
    let mut rest = segments.split_off(split);
    for part in [&mut segments, &mut rest] {
        while part.last() == Some(&Segment::Number("")) {
            part.pop();
        }
    }
    segments.extend(rest);
    segments
}

/// Compares two RubyGems versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    validate(a)?;
    validate(b)?;
    let (sa, sb) = (canonical_segments(a), canonical_segments(b));
    for i in 0..sa.len().max(sb.len()) {
        let zero = Segment::Number("");
        let (x, y) = (sa.get(i).unwrap_or(&zero), sb.get(i).unwrap_or(&zero));
        let order = match (x, y) {
            (Segment::Number(x), Segment::Number(y)) => cmp_digits(x, y),
            (Segment::Text(x), Segment::Text(y)) => x.cmp(y),
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
        };
        if order.is_ne() {
            return Ok(order);
        }
    }
    Ok(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_versions_say_why() {
        for (version, reason) in [
            ("a", "version must start with a number"),
            ("1..2", "segments are letters and digits separated by dots"),
            ("1.0-", "the part after '-' is letters, digits and hyphens separated by dots"),
        ] {
            assert_eq!(validate(version).unwrap_err(), VersionError::invalid(SCHEME, version, reason));
        }
    }
}
