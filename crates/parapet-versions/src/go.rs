//! Go module versions: semantic versions with a `v` (optional here, because the Go vulnerability
//! database writes them without), ordered as `golang.org/x/mod/semver` orders them.
//!
//! Pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.2019…-hash`) are
//! pre-releases and need no special ordering: they sort after the tag they build on and before
//! the next release. The only build metadata a module version may carry is `+incompatible`, and
//! only from major version 2 on.

use crate::VersionError;
use crate::semver;
use std::cmp::Ordering;

const SCHEME: &str = "Go module";

/// Parses a module version; `v1` and `v1.2` stand for `v1.0.0` and `v1.2.0` as in `x/mod/semver`.
pub fn parse(version: &str) -> Result<semver::Version<'_>, VersionError> {
    let parsed = semver::parse(version, SCHEME, true)?;
    match parsed.build {
        "" => {}
        "incompatible" if parsed.major.len() > 1 || parsed.major >= "2" => {}
        "incompatible" => {
            return Err(VersionError::invalid(SCHEME, version, "+incompatible needs major version 2 or higher"));
        }
        _ => return Err(VersionError::invalid(SCHEME, version, "the only build suffix allowed is +incompatible")),
    }
    Ok(parsed)
}

/// Whether a version is a pseudo-version: a pre-release whose last two identifiers are a
/// 14-digit UTC timestamp and a 12-character commit hash prefix.
pub fn is_pseudo_version(version: &str) -> bool {
    let Ok(v) = parse(version) else { return false };
    let Some((rest, hash)) = v.pre.rsplit_once('-') else { return false };
    let timestamp = rest.rsplit_once('.').map_or(rest, |(_, t)| t);
    timestamp.len() == 14
        && timestamp.bytes().all(|b| b.is_ascii_digit())
        && hash.len() == 12
        && hash.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

/// Compares two module versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_versions() {
        for (version, pseudo) in [
            ("v0.0.0-20191109021931-daa7c04131f5", true),
            ("v1.2.4-0.20191109021931-daa7c04131f5", true),
            ("v1.2.4-pre.0.20191109021931-daa7c04131f5", true),
            ("v1.2.4-pre", false),
            ("v1.2.4", false),
        ] {
            assert_eq!(is_pseudo_version(version), pseudo, "{version}");
        }
    }

    #[test]
    fn invalid_versions_say_why() {
        for (version, reason) in [
            ("v1.2.3+meta", "the only build suffix allowed is +incompatible"),
            ("v1.2.3+incompatible", "+incompatible needs major version 2 or higher"),
            ("v1.2-pre", "expected MAJOR.MINOR.PATCH"),
        ] {
            assert_eq!(parse(version).unwrap_err(), VersionError::invalid(SCHEME, version, reason));
        }
    }
}
