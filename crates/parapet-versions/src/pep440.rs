//! Python package versions as PEP 440 defines them and `packaging.version.Version` orders them:
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the spelling variants PEP 440 normalises
//! (`alpha`, `c`, `pre`, `-1`, `rev`, separators, case, a leading `v`).
//!
//! The PyPI ecosystem also holds releases whose versions predate PEP 440 (`0.3m1`, `1.0-beta`);
//! [`compare_pypi`] orders those as `packaging` did before version 22 (and as osv.dev still does):
//! below every PEP 440 version and among themselves by setuptools' old rules.

use crate::VersionError;
use std::cmp::Ordering;

const SCHEME: &str = "PEP 440";

/// A PEP 440 version, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub epoch: u64,
    pub release: Vec<u64>,
    /// `(0, n)` for `aN`, `(1, n)` for `bN`, `(2, n)` for `rcN`.
    pub pre: Option<(u8, u64)>,
    pub post: Option<u64>,
    pub dev: Option<u64>,
    /// Local version label segments, lowercased.
    pub local: Vec<String>,
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        self.pos += usize::from(found);
        found
    }

    fn separator(&mut self) -> bool {
        matches!(self.peek(), Some(b'-' | b'_' | b'.')) && {
            self.pos += 1;
            true
        }
    }

    /// The longest of `words` at the cursor (the input is lowercased).
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = &self.s[self.pos..];
        let (index, word) =
            words.iter().enumerate().filter(|(_, w)| rest.starts_with(w.as_bytes())).max_by_key(|(_, w)| w.len())?;
        self.pos += word.len();
        Some(index)
    }

    fn number(&mut self) -> Result<Option<u64>, &'static str> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if start == self.pos {
            return Ok(None);
        }
        let digits = std::str::from_utf8(&self.s[start..self.pos]).map_err(|_| "not ASCII")?;
        digits.parse().map(Some).map_err(|_| "a number is too large")
    }
}

impl Version {
    pub fn parse(version: &str) -> Result<Self, VersionError> {
        let invalid = |reason| VersionError::invalid(SCHEME, version, reason);
        let lower = version.trim().to_ascii_lowercase();
        if lower.is_empty() {
            return Err(invalid("version is empty"));
        }
        let mut c = Cursor { s: lower.as_bytes(), pos: 0 };
        c.eat(b'v');
        let Some(first) = c.number().map_err(invalid)? else {
            return Err(invalid("version must start with a number"));
        };
        let (epoch, mut release) = if c.eat(b'!') {
            match c.number().map_err(invalid)? {
                Some(n) => (first, vec![n]),
                None => return Err(invalid("the epoch must be followed by a release number")),
            }
        } else {
            (0, vec![first])
        };
        while c.peek() == Some(b'.') && c.s.get(c.pos + 1).is_some_and(u8::is_ascii_digit) {
            c.pos += 1;
            release.push(c.number().map_err(invalid)?.unwrap_or(0));
        }

        let mark = c.pos;
        c.separator();
        let pre = match c.word(&["a", "alpha", "b", "beta", "c", "rc", "pre", "preview"]) {
            Some(index) => {
                let kind = [0, 0, 1, 1, 2, 2, 2, 2][index];
                c.separator();
                Some((kind, c.number().map_err(invalid)?.unwrap_or(0)))
            }
            None => {
                c.pos = mark;
                None
            }
        };

        let mark = c.pos;
        let post = if c.eat(b'-') && c.peek().is_some_and(|b| b.is_ascii_digit()) {
            c.number().map_err(invalid)?
        } else {
            c.pos = mark;
            c.separator();
            if c.word(&["post", "rev", "r"]).is_some() {
                c.separator();
                Some(c.number().map_err(invalid)?.unwrap_or(0))
            } else {
                c.pos = mark;
                None
            }
        };

        let mark = c.pos;
        c.separator();
        let dev = if c.word(&["dev"]).is_some() {
            c.separator();
            Some(c.number().map_err(invalid)?.unwrap_or(0))
        } else {
            c.pos = mark;
            None
        };

        let mut local = Vec::new();
        if c.eat(b'+') {
            let label = &lower[c.pos..];
            for segment in label.split(['.', '-', '_']) {
                if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(invalid("a local version label is made of letters and digits separated by dots"));
                }
                local.push(segment.to_owned());
            }
            c.pos = c.s.len();
        }
        if c.pos != c.s.len() {
            return Err(invalid("expected [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]"));
        }
        Ok(Version { epoch, release, pre, post, dev, local })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        // Trailing zeros do not count: 1.0 == 1.0.0.
        let release = |r: &[u64]| -> usize { r.iter().rposition(|&n| n != 0).map_or(0, |i| i + 1) };
        let (ra, rb) = (&self.release[..release(&self.release)], &other.release[..release(&other.release)]);
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| ra.cmp(rb))
            .then_with(|| self.pre_key().cmp(&other.pre_key()))
            // No post-release sorts before any; no dev-release sorts after any.
            .then_with(|| self.post.cmp(&other.post))
            .then_with(|| match (self.dev, other.dev) {
                (Some(a), Some(b)) => a.cmp(&b),
                (a, b) => b.is_some().cmp(&a.is_some()),
            })
            .then_with(|| cmp_local(&self.local, &other.local))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Version {
    /// A dev release of the final (`1.0.dev1`) sorts before its pre-releases, a final release
    /// after them.
    fn pre_key(&self) -> (u8, u8, u64) {
        match self.pre {
            Some((kind, n)) => (1, kind, n),
            None if self.post.is_none() && self.dev.is_some() => (0, 0, 0),
            None => (2, 0, 0),
        }
    }
}

/// Local labels: numeric segments as numbers and after alphanumeric ones; a longer label after
/// its prefix; none before any.
fn cmp_local(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        let order = match (numeric(x), numeric(y)) {
            (true, true) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// Compares two PEP 440 versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Version::parse(a)?.cmp(&Version::parse(b)?))
}

/// Compares two PyPI versions: PEP 440 where they are, `packaging`'s old `LegacyVersion` order
/// where they are not.
pub fn compare_pypi(a: &str, b: &str) -> Result<Ordering, VersionError> {
    for v in [a, b] {
        if v.trim().is_empty() {
            return Err(VersionError::invalid("PyPI", v, "version is empty"));
        }
    }
    Ok(match (Version::parse(a), Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Ok(_)) => Ordering::Less,
        (Err(_), Err(_)) => legacy_key(a).cmp(&legacy_key(b)),
    })
}

/// `packaging.version.LegacyVersion`'s key: setuptools' pre-PEP 440 parts.
fn legacy_key(version: &str) -> Vec<String> {
    let lower = version.to_lowercase();
    let mut parts: Vec<String> = Vec::new();
    for part in legacy_parts(&lower).chain(std::iter::once("*final".to_owned())) {
        if part.starts_with('*') {
            // Drop the "-" before a pre-release tag, and trailing zeros of each numeric series.
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// Splits like `re.split(r"(\d+|[a-z]+|\.|-)", s)`, keeping what lies between matches, and
/// maps each piece as `packaging` 21's `_parse_version_parts` does.
fn legacy_parts(s: &str) -> impl Iterator<Item = String> + '_ {
    let bytes = s.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        loop {
            let start = pos;
            let &c = bytes.get(pos)?;
            if c.is_ascii_digit() {
                pos += bytes[pos..].iter().take_while(|b| b.is_ascii_digit()).count();
            } else if c.is_ascii_lowercase() {
                pos += bytes[pos..].iter().take_while(|b| b.is_ascii_lowercase()).count();
            } else if c == b'.' || c == b'-' {
                pos += 1;
            } else {
                pos += bytes[pos..]
                    .iter()
                    .take_while(|b| !(b.is_ascii_digit() || b.is_ascii_lowercase() || **b == b'.' || **b == b'-'))
                    .count();
            }
            let piece = &s[start..pos];
            let piece = match piece {
                "pre" | "preview" | "rc" => "c",
                "-" => "final-",
                "dev" => "@",
                "." => continue,
                other => other,
            };
            return Some(if piece.starts_with(|c: char| c.is_ascii_digit()) {
                format!("{piece:0>8}")
            } else {
                format!("*{piece}")
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_forms() {
        for (input, epoch, release, pre, post, dev, local) in [
            ("1.0", 0, vec![1, 0], None, None, None, vec![]),
            ("v2!1.0-ALPHA.1", 2, vec![1, 0], Some((0, 1)), None, None, vec![]),
            ("1.0c", 0, vec![1, 0], Some((2, 0)), None, None, vec![]),
            ("1.0-1", 0, vec![1, 0], None, Some(1), None, vec![]),
            ("1.0.post", 0, vec![1, 0], None, Some(0), None, vec![]),
            ("1.0_rev3.dev", 0, vec![1, 0], None, Some(3), Some(0), vec![]),
            ("1.0preview2-r1_dev4+Ubuntu-1.2", 0, vec![1, 0], Some((2, 2)), Some(1), Some(4), vec!["ubuntu", "1", "2"]),
        ] {
            let v = Version::parse(input).unwrap();
            let local: Vec<String> = local.into_iter().map(str::to_owned).collect();
            assert_eq!(v, Version { epoch, release, pre, post, dev, local }, "{input}");
        }
    }

    #[test]
    fn invalid_versions_say_why() {
        for (version, reason) in [
            ("", "version is empty"),
            ("a1", "version must start with a number"),
            ("1!", "the epoch must be followed by a release number"),
            ("1.0+", "a local version label is made of letters and digits separated by dots"),
            ("1.0-foo", "expected [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]"),
            ("99999999999999999999", "a number is too large"),
        ] {
            assert_eq!(Version::parse(version).unwrap_err(), VersionError::invalid(SCHEME, version, reason));
        }
    }
}
