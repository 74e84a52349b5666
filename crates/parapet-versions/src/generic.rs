//! A generic order for versions of no known scheme (the `vers` scheme `generic`, and the bare
//! ranges vendors write in CSAF documents such as `<V4.3.8`).
//!
//! The `vers` specification leaves this scheme open; the rule here is the common core of the
//! others: case does not matter, a `v` before the first digit is ignored, runs of digits and of
//! letters are compared (digits as numbers, after letters), anything else only separates them.
//! When one version runs out, the other is newer if it goes on with a number other than zero
//! (`1.0.1 > 1.0 = 1.0.0`) and older if it goes on with letters (`1.0rc1 < 1.0`).

use crate::VersionError;
use crate::semver::cmp_digits;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run<'a> {
    Number(&'a str),
    Text(&'a str),
}

fn runs(version: &str) -> impl Iterator<Item = Run<'_>> {
    let v = version.trim();
    let v = match v.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => v,
    };
    let mut rest = v;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
        let first = rest.chars().next()?;
        let len = if first.is_ascii_digit() {
            rest.bytes().take_while(u8::is_ascii_digit).count()
        } else {
            rest.bytes().take_while(u8::is_ascii_alphabetic).count()
        };
        let (run, tail) = rest.split_at(len);
        rest = tail;
        Some(if first.is_ascii_digit() { Run::Number(run.trim_start_matches('0')) } else { Run::Text(run) })
    })
}

/// Compares two versions of no particular scheme.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    for v in [a, b] {
        if !v.bytes().any(|c| c.is_ascii_alphanumeric()) {
            return Err(VersionError::invalid("generic", v, "version has no letters or digits"));
        }
    }
    let (mut ra, mut rb) = (runs(a), runs(b));
    loop {
        let order = match (ra.next(), rb.next()) {
            (None, None) => return Ok(Ordering::Equal),
            (Some(x), None) => tail(x, &mut ra),
            (None, Some(y)) => tail(y, &mut rb).reverse(),
            (Some(Run::Number(x)), Some(Run::Number(y))) => cmp_digits(x, y),
            (Some(Run::Text(x)), Some(Run::Text(y))) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
            (Some(Run::Number(_)), Some(Run::Text(_))) => Ordering::Greater,
            (Some(Run::Text(_)), Some(Run::Number(_))) => Ordering::Less,
        };
        if order.is_ne() {
            return Ok(order);
        }
    }
}

/// How a version that goes on after the other ended compares to it.
fn tail<'a>(first: Run<'a>, rest: impl Iterator<Item = Run<'a>>) -> Ordering {
    match first {
        Run::Text(_) => Ordering::Less,
        Run::Number(_) => {
            let mut rest = std::iter::once(first).chain(rest);
            match rest.find(|r| *r != Run::Number("")) {
                None => Ordering::Equal,
                Some(Run::Number(_)) => Ordering::Greater,
                Some(Run::Text(_)) => Ordering::Less,
            }
        }
    }
}
