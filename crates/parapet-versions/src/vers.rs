//! `vers:` version range specifiers (purl-spec's VERSION-RANGE-SPEC):
//! `vers:<scheme>/<constraint>|<constraint>|…`, each constraint a comparator (`=` implied, `!=`,
//! `<`, `<=`, `>`, `>=`) and a version, or `*` alone for every version.
//!
//! Parsing removes spaces, unquotes `%`-escaped versions, sorts the constraints by version and
//! refuses what the specification calls invalid: duplicate versions, a `*` with company, and
//! `<`/`>` constraints that do not alternate. Evaluation follows the specification's algorithm.
//!
//! The schemes `all` and `none` mean every and no version with `*`; followed by constraints
//! (as in CISA's `vers:all/<V4.3.8`) they are read as `generic`, because taken literally they
//! would call the fixed versions affected.

use crate::{Scheme, VersionError};
use std::cmp::Ordering;
use std::fmt;

/// A constraint's comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    fn is_lower(self) -> bool {
        matches!(self, Comparator::Lt | Comparator::Le)
    }

    fn is_upper(self) -> bool {
        matches!(self, Comparator::Gt | Comparator::Ge)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub comparator: Comparator,
    pub version: String,
}

/// Which versions a specifier covers besides its constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `*`: every version.
    All,
    /// `vers:none/*`.
    None,
    Constraints,
}

/// A parsed, validated `vers` specifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vers {
    scheme_name: String,
    scheme: Scheme,
    kind: Kind,
    constraints: Vec<Constraint>,
}

impl Vers {
    pub fn parse(specifier: &str) -> Result<Vers, VersionError> {
        let compact: String = specifier.chars().filter(|c| !matches!(c, ' ' | '\t')).collect();
        let error = |reason: &str| VersionError::range(specifier, reason);
        let Some(rest) = compact.strip_prefix("vers:") else {
            return Err(error("a vers specifier starts with \"vers:\""));
        };
        let Some((scheme_name, constraints)) = rest.split_once('/') else {
            return Err(error("expected vers:<scheme>/<constraints>"));
        };
        if scheme_name.is_empty() || scheme_name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(error("the versioning scheme must be a lowercase name"));
        }
        if constraints == "*" {
            let (scheme, kind) = match scheme_name {
                "none" => (Scheme::Generic, Kind::None),
                "all" => (Scheme::Generic, Kind::All),
                name => (Scheme::parse(name)?, Kind::All),
            };
            return Ok(Vers { scheme_name: scheme_name.to_owned(), scheme, kind, constraints: Vec::new() });
        }
        let scheme = match scheme_name {
            "all" | "none" => Scheme::Generic,
            name => Scheme::parse(name)?,
        };
        let constraints = parse_constraints(specifier, constraints, scheme)?;
        Ok(Vers { scheme_name: scheme_name.to_owned(), scheme, kind: Kind::Constraints, constraints })
    }

    /// The scheme versions are compared in.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The constraints, sorted by version (empty for `*`).
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// Whether `version` lies in the range.
    pub fn contains(&self, version: &str) -> Result<bool, VersionError> {
        match self.kind {
            Kind::All => Ok(true),
            Kind::None => Ok(false),
            Kind::Constraints => contains(self.scheme, &self.constraints, version),
        }
    }
}

impl fmt::Display for Vers {
    /// The canonical form: no spaces, constraints sorted, `%`, `|` and comparator characters in
    /// versions escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme_name)?;
        if self.kind != Kind::Constraints {
            return f.write_str("*");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            f.write_str(c.comparator.as_str())?;
            for ch in c.version.chars() {
                match ch {
                    '%' | '|' | '<' | '>' | '=' | '!' | '*' => write!(f, "%{:02X}", ch as u32)?,
                    _ => write!(f, "{ch}")?,
                }
            }
        }
        Ok(())
    }
}

/// Parses, sorts and validates a `|`-separated constraint list (also CSAF's "vers-like"
/// ranges, which are such a list without the `vers:<scheme>/` head).
pub(crate) fn parse_constraints(
    specifier: &str,
    constraints: &str,
    scheme: Scheme,
) -> Result<Vec<Constraint>, VersionError> {
    let error = |reason: String| VersionError::range(specifier, reason);
    let mut parsed = Vec::new();
    for text in constraints.split('|').filter(|c| !c.is_empty()) {
        let (comparator, version) = [
            (">=", Comparator::Ge),
            ("<=", Comparator::Le),
            ("!=", Comparator::Ne),
            ("<", Comparator::Lt),
            (">", Comparator::Gt),
            ("=", Comparator::Eq),
        ]
        .iter()
        .find_map(|(prefix, comparator)| text.strip_prefix(prefix).map(|v| (*comparator, v)))
        .unwrap_or((Comparator::Eq, text));
        if version.is_empty() {
            return Err(error(format!("constraint {text:?} has no version")));
        }
        if version == "*" || text == "*" {
            return Err(error("\"*\" must stand alone".to_owned()));
        }
        let version = unquote(version).ok_or_else(|| error(format!("bad %-escape in {version:?}")))?;
        scheme.validate(&version)?;
        parsed.push(Constraint { comparator, version });
    }
    if parsed.is_empty() {
        return Err(error("no constraints".to_owned()));
    }
    crate::sort_by_version(&mut parsed, |a, b| scheme.compare(&a.version, &b.version))?;
    for pair in parsed.windows(2) {
        if scheme.compare(&pair[0].version, &pair[1].version)? == Ordering::Equal {
            return Err(error(format!("version {:?} appears more than once", pair[1].version)));
        }
    }
    // Ignoring "!=", an "=" is followed by "=", ">" or ">=".
    let no_ne: Vec<&Constraint> = parsed.iter().filter(|c| c.comparator != Comparator::Ne).collect();
    for pair in no_ne.windows(2) {
        if pair[0].comparator == Comparator::Eq && pair[1].comparator.is_lower() {
            return Err(error(format!(
                "\"{}\" is redundant after \"={}\"",
                pair[1].comparator.as_str(),
                pair[0].version
            )));
        }
    }
    // Ignoring "=" and "!=", lower and upper bounds alternate.
    let bounds: Vec<&Constraint> = no_ne.into_iter().filter(|c| c.comparator != Comparator::Eq).collect();
    for pair in bounds.windows(2) {
        if pair[0].comparator.is_lower() == pair[1].comparator.is_lower() {
            return Err(error(format!(
                "{}{} and {}{} do not alternate between lower and upper bounds",
                pair[0].comparator.as_str(),
                pair[0].version,
                pair[1].comparator.as_str(),
                pair[1].version
            )));
        }
    }
    Ok(parsed)
}

/// The specification's "checking if a version is contained within a range".
pub(crate) fn contains(scheme: Scheme, constraints: &[Constraint], version: &str) -> Result<bool, VersionError> {
    scheme.validate(version)?;
    for c in constraints {
        if scheme.compare(version, &c.version)? == Ordering::Equal {
            return Ok(!matches!(c.comparator, Comparator::Ne | Comparator::Lt | Comparator::Gt));
        }
    }
    let bounds: Vec<&Constraint> =
        constraints.iter().filter(|c| !matches!(c.comparator, Comparator::Eq | Comparator::Ne)).collect();
    let below = |c: &Constraint| -> Result<bool, VersionError> { Ok(scheme.compare(version, &c.version)?.is_lt()) };
    match bounds.as_slice() {
        // Only "=" and "!=": the "=" versions, or all but the "!=" ones when there is no "=".
        [] => Ok(!constraints.iter().any(|c| c.comparator == Comparator::Eq)),
        // The specification walks pairs; a lone bound is its own range.
        [only] => Ok(if only.comparator.is_lower() { below(only)? } else { !below(only)? }),
        _ => {
            for (i, pair) in bounds.windows(2).enumerate() {
                let (current, next) = (pair[0], pair[1]);
                if i == 0 && current.comparator.is_lower() && below(current)? {
                    return Ok(true);
                }
                if i == bounds.len() - 2 && next.comparator.is_upper() && !below(next)? {
                    return Ok(true);
                }
                if current.comparator.is_upper() && next.comparator.is_lower() && !below(current)? && below(next)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

/// URL unquoting of `%XX` escapes.
fn unquote(version: &str) -> Option<String> {
    if !version.contains('%') {
        return Some(version.to_owned());
    }
    let bytes = version.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
