//! Alpine (apk-tools 3) versions: `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}`,
//! tokenised and ordered as apk-tools' `version.c` does.
//!
//! Like `apk version -t`, a version that apk's own validation refuses is an error here rather
//! than compared by accident of whatever tokens came first. One extension: digits right after
//! the letter (`6.6.1p1-r0`, `1.8.31p1-r1`) are accepted and compared as a number, as
//! apk-tools 2 did; apk-tools 3 refuses them, but Alpine's security database holds such
//! versions from the releases built with apk-tools 2.

use crate::VersionError;
use std::cmp::Ordering;

const SCHEME: &str = "apk";

/// Token kinds in the order apk gives them: a version may only move forward through them, and
/// when two versions part ways the later kind is the older version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    CommitHash,
    Revision,
    End,
    Invalid,
}

/// Suffix weights; those below `NONE` mark pre-releases.
const SUFFIXES: [&str; 10] = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"];
const SUFFIX_NONE: usize = 4;

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    suffix: usize,
    number: u64,
    text: &'a [u8],
}

struct Tokens<'a> {
    rest: &'a [u8],
    token: Token<'a>,
}

impl<'a> Tokens<'a> {
    fn new(version: &'a str) -> Self {
        let mut tokens = Tokens {
            rest: version.as_bytes(),
            token: Token { kind: Kind::InitialDigit, suffix: 0, number: 0, text: b"" },
        };
        tokens.digits();
        tokens
    }

    fn digits(&mut self) {
        let len = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let (text, rest) = self.rest.split_at(len);
        // apk accumulates in an unsigned 64-bit integer and lets it wrap.
        self.token.number = text.iter().fold(0u64, |n, d| n.wrapping_mul(10).wrapping_add(u64::from(d - b'0')));
        self.token.text = text;
        self.rest = rest;
        if text.is_empty() {
            self.token.kind = Kind::Invalid;
        }
    }

    fn next(&mut self) {
        let Some(&first) = self.rest.first() else {
            self.token.kind = Kind::End;
            return;
        };
        let kind = self.token.kind;
        match first {
            b'a'..=b'z' if kind <= Kind::Digit => {
                self.token.text = &self.rest[..1];
                self.token.kind = Kind::Letter;
                self.rest = &self.rest[1..];
            }
            b'.' | b'0'..=b'9'
                if kind <= Kind::Digit || (first != b'.' && matches!(kind, Kind::Suffix | Kind::Letter)) =>
            {
                if first == b'.' {
                    self.rest = &self.rest[1..];
                }
                self.token.kind = if kind == Kind::Suffix { Kind::SuffixNumber } else { Kind::Digit };
                self.digits();
            }
            b'_' if kind <= Kind::SuffixNumber => {
                let len = self.rest[1..].iter().take_while(|b| b.is_ascii_lowercase()).count();
                let text = &self.rest[1..1 + len];
                self.rest = &self.rest[1 + len..];
                match SUFFIXES.iter().position(|s| !s.is_empty() && s.as_bytes() == text) {
                    Some(suffix) => {
                        self.token = Token { kind: Kind::Suffix, suffix, number: 0, text };
                    }
                    None => self.token.kind = Kind::Invalid,
                }
            }
            b'~' if kind < Kind::CommitHash => {
                let len = self.rest[1..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
                self.token.text = &self.rest[1..1 + len];
                self.rest = &self.rest[1 + len..];
                self.token.kind = if len == 0 { Kind::Invalid } else { Kind::CommitHash };
            }
            b'-' if kind < Kind::Revision && self.rest.get(1) == Some(&b'r') => {
                self.rest = &self.rest[2..];
                self.token.kind = Kind::Revision;
                self.digits();
            }
            _ => self.token.kind = Kind::Invalid,
        }
    }
}

fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        // A component with a leading zero compares as a string, as in Gentoo.
        Kind::Digit if a.text.first() == Some(&b'0') || b.text.first() == Some(&b'0') => a.text.cmp(b.text),
        Kind::Digit | Kind::InitialDigit | Kind::SuffixNumber | Kind::Revision => a.number.cmp(&b.number),
        Kind::Letter => a.text.cmp(b.text),
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.text.cmp(b.text),
    }
}

/// Checks a version the way `apk version -c` does.
pub fn validate(version: &str) -> Result<(), VersionError> {
    let mut tokens = Tokens::new(version);
    while tokens.token.kind < Kind::End {
        tokens.next();
    }
    if tokens.token.kind == Kind::End {
        return Ok(());
    }
    let reason = match version.as_bytes().first() {
        None => "version is empty",
        Some(b) if !b.is_ascii_digit() => "version must start with a digit",
        _ => "expected digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}",
    };
    Err(VersionError::invalid(SCHEME, version, reason))
}

/// Compares two apk versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    validate(a)?;
    validate(b)?;
    Ok(compare_fuzzy(a, b, false))
}

/// apk's `apk_version_compare_fuzzy`; with `fuzzy`, `a` equals `b` when `b` is a prefix of it in
/// tokens (`3.6.9 ~ 3.6`).
fn compare_fuzzy(a: &str, b: &str, fuzzy: bool) -> Ordering {
    let (mut ta, mut tb) = (Tokens::new(a), Tokens::new(b));
    while ta.token.kind == tb.token.kind && ta.token.kind < Kind::End {
        let order = token_cmp(&ta.token, &tb.token);
        if order != Ordering::Equal {
            return order;
        }
        ta.next();
        tb.next();
    }
    let (a, b) = (ta.token, tb.token);
    if a.kind == b.kind || (b.kind == Kind::End && fuzzy) {
        return Ordering::Equal;
    }
    // Equal so far: the longer version is newer unless what it goes on with is a pre-release.
    if a.kind == Kind::Suffix && a.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if b.kind == Kind::Suffix && b.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    b.kind.cmp(&a.kind)
}

/// Whether `version` satisfies `op target`, with apk's dependency operators: `<`, `<=`, `=`,
/// `>=`, `>`, `~` (same up to the length of `target`), `<~` and `>~`.
pub fn satisfies(version: &str, op: &str, target: &str) -> Result<bool, VersionError> {
    validate(version)?;
    validate(target)?;
    let (mut less, mut equal, mut greater, mut fuzzy) = (false, false, false, false);
    for c in op.chars() {
        match c {
            '<' => less = true,
            '>' => greater = true,
            '=' => equal = true,
            '~' => (fuzzy, equal) = (true, true),
            _ => return Err(VersionError::range(op, "apk operators are made of < > = ~")),
        }
    }
    if op.is_empty() {
        return Err(VersionError::range(op, "the operator is empty"));
    }
    Ok(match compare_fuzzy(version, target, fuzzy) {
        Ordering::Less => less,
        Ordering::Equal => equal,
        Ordering::Greater => greater,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_versions_say_why() {
        for (version, reason) in [
            ("", "version is empty"),
            ("a", "version must start with a digit"),
            ("1.0_foo", "expected digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}"),
        ] {
            assert_eq!(validate(version).unwrap_err(), VersionError::invalid(SCHEME, version, reason));
        }
    }
}
