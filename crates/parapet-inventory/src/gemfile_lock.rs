//! Bundler's `Gemfile.lock` (or `gems.locked`): the RubyGems a Ruby project installs, listed
//! under `specs:` in each `GEM` section as `    name (version)`, four spaces in, each gem's own
//! dependencies six spaces in beneath it.
//!
//! A gem built for one platform carries it after the version (`nokogiri (1.15.4-x86_64-linux)`,
//! `(9.4.3.0-java)`), which is not part of the version: RubyGems versions hold no `-`. A gem
//! locked for several platforms is one package, at the line of its first. Gems from
//! `GIT` and `PATH` sections are not from the registry and are not read, and neither are the
//! `PLATFORMS`, `DEPENDENCIES`, `CHECKSUMS`, `RUBY VERSION` and `BUNDLED WITH` sections.
//! Gemfile.lock does not say which gems only development needs: none is `dev`.

use crate::Parsed;
use crate::error::{ErrorKind, ParseError, excerpt};
use crate::lockfile::{LockedPackage, check_version};
use parapet_versions::Scheme;
use std::collections::HashSet;

/// Reads a `Gemfile.lock`; `file` names it in errors. A spec line that cannot be read is
/// reported and skipped.
pub fn parse(text: &str, file: &str) -> Parsed<LockedPackage> {
    let mut parsed = Parsed::default();
    let mut in_gem = false;
    let mut in_specs = false;
    let mut seen = HashSet::new();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        match line.len() - trimmed.len() {
            0 => {
                in_gem = trimmed.trim_end() == "GEM";
                in_specs = false;
            }
            2 => in_specs = in_gem && trimmed.trim_end() == "specs:",
            4 if in_specs => match spec(trimmed.trim_end(), index + 1) {
                Ok(package) => {
                    if seen.insert((package.name.clone(), package.version.clone())) {
                        parsed.packages.push(package);
                    }
                }
                Err(kind) => parsed.errors.push(ParseError { file: file.to_owned(), line: index + 1, kind }),
            },
            _ => {}
        }
    }
    parsed
}

/// One `name (version[-platform])` line.
fn spec(line: &str, number: usize) -> Result<LockedPackage, ErrorKind> {
    let parts = line.split_once(" (").and_then(|(name, rest)| Some((name, rest.strip_suffix(')')?)));
    let Some((name, version)) = parts.filter(|(name, version)| !name.is_empty() && !version.is_empty()) else {
        let reason = "expected a gem as name (version)".to_owned();
        return Err(ErrorKind::Entry { entry: excerpt(line), reason });
    };
    let version = version.split('-').next().unwrap_or(version);
    check_version(Scheme::RubyGems, name, version)?;
    Ok(LockedPackage::new("RubyGems", name.to_owned(), version.to_owned(), false, number))
}
