//! CSAF 2.0 product versions (§3.1.2.3): a `product_version` branch names one version and
//! matches only that exact string; a `product_version_range` branch holds a `vers` specifier or,
//! as a fallback the specification allows, a "vers-like" constraint list without the
//! `vers:<scheme>/` head (`<V3.0.29`, `>= 1.0 | <= 1.32`), which needs a scheme from elsewhere.
//! Vendors often write "All versions < V4.33" there; the "All versions" is read as nothing more
//! than an introduction to the constraints (and alone, as every version).

use crate::vers::{self, Constraint, Vers};
use crate::{Scheme, VersionError};

/// Whether a `product_version` branch names `version`: CSAF says the strings must be equal.
pub fn product_version_matches(name: &str, version: &str) -> bool {
    name == version
}

/// The `name` of a `product_version_range` branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductVersionRange {
    Vers(Vers),
    /// "All versions".
    All,
    /// A vers-like specifier, read in the scheme the caller supplied.
    VersLike {
        scheme: Scheme,
        constraints: Vec<Constraint>,
    },
}

impl ProductVersionRange {
    /// Reads a range; `vers_like_scheme` orders the versions of a vers-like range (CSAF gives it
    /// no scheme: [`Scheme::Generic`] is the usual choice, the product's own when known).
    pub fn parse(name: &str, vers_like_scheme: Scheme) -> Result<Self, VersionError> {
        let trimmed = name.trim();
        if trimmed.starts_with("vers:") {
            return Ok(ProductVersionRange::Vers(Vers::parse(trimmed)?));
        }
        let trimmed = match trimmed.get(..12) {
            Some(head) if head.eq_ignore_ascii_case("all versions") => trimmed[12..].trim(),
            _ => trimmed,
        };
        if trimmed.is_empty() {
            return Ok(ProductVersionRange::All);
        }
        // Spaces only ever stand next to comparators and pipes; between two words ("All
        // versions", "8.0.0 - 8.0.1") they mark prose, which no scheme can evaluate.
        let operator = |c: char| matches!(c, '<' | '>' | '=' | '!' | '|');
        let chars: Vec<char> = trimmed.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if c.is_whitespace() {
                let before = chars[..i].iter().rev().find(|c| !c.is_whitespace());
                let after = chars[i..].iter().find(|c| !c.is_whitespace());
                if !before.is_some_and(|&c| operator(c)) && !after.is_some_and(|&c| operator(c)) {
                    return Err(VersionError::range(name, "not a version range: words separated by spaces"));
                }
            }
        }
        let compact: String = chars.into_iter().filter(|c| !c.is_whitespace()).collect();
        let constraints = vers::parse_constraints(name, &compact, vers_like_scheme)?;
        Ok(ProductVersionRange::VersLike { scheme: vers_like_scheme, constraints })
    }

    /// Whether `version` lies in the range.
    pub fn contains(&self, version: &str) -> Result<bool, VersionError> {
        match self {
            ProductVersionRange::Vers(vers) => vers.contains(version),
            ProductVersionRange::All => Ok(true),
            ProductVersionRange::VersLike { scheme, constraints } => vers::contains(*scheme, constraints, version),
        }
    }
}
