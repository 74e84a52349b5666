//! Packagist (Composer) versions, ordered as PHP's `version_compare` after leading `v`/`V` are
//! removed, which is how the Packagist ecosystem's advisories are ordered.
//!
//! `version_compare` canonicalises (`-`, `_`, `+` and other punctuation become `.`, a `.` is put
//! between digits and letters), then compares part by part: numbers as numbers, words by
//! `dev < alpha = a < beta = b < RC = rc < # < pl = p` with unknown words below `dev`, and a
//! number above any word but `pl`/`p`. One difference: trailing separators are ignored, where
//! PHP would order `1.` below itself.

use crate::VersionError;
use std::cmp::Ordering;

/// The weight of a word part; `#` stands for "a number" when a number meets a word.
fn special(form: &str) -> i32 {
    const FORMS: [(&str, i32); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS.iter().find(|(name, _)| form.starts_with(name)).map_or(-1, |&(_, order)| order)
}

/// PHP's `php_canonicalize_version`.
fn canonicalize(version: &str) -> Vec<u8> {
    let v = version.as_bytes();
    let mut out = Vec::with_capacity(v.len() * 2);
    let Some(&first) = v.first() else { return out };
    out.push(first);
    let is_digit = |c: u8| c.is_ascii_digit();
    let is_other = |c: u8| !c.is_ascii_digit() && c != b'.';
    let mut last = first;
    for &c in &v[1..] {
        let dot_if_needed = |out: &mut Vec<u8>| {
            if out.last() != Some(&b'.') {
                out.push(b'.');
            }
        };
        if matches!(c, b'-' | b'_' | b'+') {
            dot_if_needed(&mut out);
        } else if (is_other(last) && is_digit(c)) || (is_digit(last) && is_other(c)) {
            dot_if_needed(&mut out);
            out.push(c);
        } else if !c.is_ascii_alphanumeric() {
            dot_if_needed(&mut out);
        } else {
            out.push(c);
        }
        last = c;
    }
    out
}

/// PHP's `php_version_compare` on two raw strings.
fn php_version_compare(a: &str, b: &str) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return (!a.is_empty()).cmp(&!b.is_empty());
    }
    let canonical = |v: &str| if v.starts_with('#') { v.as_bytes().to_vec() } else { canonicalize(v) };
    let (ca, cb) = (canonical(a), canonical(b));
    // PHP orders a version that ends in a separator below itself (`"1." < "1."`); ignoring
    // trailing separators keeps the order an order.
    let trim = |c: &[u8]| c.len() - c.iter().rev().take_while(|&&b| b == b'.').count();
    let (mut pa, mut pb) = (&ca[..trim(&ca)], &cb[..trim(&cb)]);
    if pa.is_empty() || pb.is_empty() {
        return (!pa.is_empty()).cmp(&!pb.is_empty());
    }
    let (mut more_a, mut more_b) = (true, true);
    let mut order = Ordering::Equal;
    while !pa.is_empty() && !pb.is_empty() && more_a && more_b {
        let (part_a, rest_a, dot_a) = split_part(pa);
        let (part_b, rest_b, dot_b) = split_part(pb);
        more_a = dot_a;
        more_b = dot_b;
        order = compare_parts(part_a, part_b);
        if order.is_ne() {
            break;
        }
        pa = rest_a;
        pb = rest_b;
    }
    if order.is_eq() {
        // The parts so far are equal and one version goes on: a number makes it newer, a word
        // is weighed against "a number".
        let text = |p: &[u8]| String::from_utf8_lossy(p).into_owned();
        if more_a {
            order = if pa.first().is_some_and(u8::is_ascii_digit) {
                Ordering::Greater
            } else {
                php_version_compare(&text(pa), "#N#")
            };
        } else if more_b {
            order = if pb.first().is_some_and(u8::is_ascii_digit) {
                Ordering::Less
            } else {
                php_version_compare("#N#", &text(pb))
            };
        }
    }
    order
}

/// The part before the next dot, what follows the dot, and whether there was a dot.
fn split_part(s: &[u8]) -> (&[u8], &[u8], bool) {
    match s.iter().position(|&c| c == b'.') {
        Some(i) => (&s[..i], &s[i + 1..], true),
        None => (s, &s[s.len()..], false),
    }
}

fn compare_parts(a: &[u8], b: &[u8]) -> Ordering {
    let digit = |p: &[u8]| p.first().is_some_and(u8::is_ascii_digit);
    let word = |p: &[u8]| special(&String::from_utf8_lossy(p));
    match (digit(a), digit(b)) {
        (true, true) => strtol(a).cmp(&strtol(b)),
        (false, false) => word(a).cmp(&word(b)),
        (true, false) => special("#N#").cmp(&word(b)),
        (false, true) => word(a).cmp(&special("#N#")),
    }
}

/// C's `strtol` on leading digits, saturating as it does.
fn strtol(digits: &[u8]) -> i64 {
    digits
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .try_fold(0i64, |n, &d| n.checked_mul(10)?.checked_add(i64::from(d - b'0')))
        .unwrap_or(i64::MAX)
}

/// Compares two Packagist versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    for v in [a, b] {
        if v.trim().is_empty() {
            return Err(VersionError::invalid("Packagist", v, "version is empty"));
        }
        if v.chars().any(char::is_whitespace) {
            return Err(VersionError::invalid("Packagist", v, "version contains a space"));
        }
    }
    let strip = |v: &'_ str| v.trim_start_matches(['v', 'V']).to_owned();
    Ok(php_version_compare(&strip(a), &strip(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        for (input, canonical) in [("1.0rc1", "1.0.rc.1"), ("1-beta_2+x", "1.beta.2.x"), ("1..2", "1.2"), ("-1", "-.1")]
        {
            assert_eq!(String::from_utf8(canonicalize(input)).unwrap(), canonical, "{input}");
        }
    }

    #[test]
    fn php_semantics() {
        for (a, b, expected) in [
            ("1.0-dev", "1.0-foo", Ordering::Greater),
            ("1.0", "1.0.0", Ordering::Less),
            ("1.0-pl1", "1.0", Ordering::Greater),
            ("1.0rc1", "1.0", Ordering::Less),
            ("1.0.0", "1.0", Ordering::Greater),
            ("v1.9.0-ALPHA.1", "v1.9.0-BETA.1", Ordering::Equal),
        ] {
            assert_eq!(compare(a, b).unwrap(), expected, "{a} vs {b}");
        }
    }
}
