//! The matching engine: given an installed package, which advisories speak about it, whether its
//! version is affected, what fixes it, and whether a security suite offers a newer version.
//!
//! Distribution packages are matched twice: by binary name (OSV records of binary packages) and
//! by source package with the source version (Debian's lists, Alpine's secdb), because a
//! distribution's advisories name the source package that all its binaries are built from.

use crate::model::{Advisory, Affected, Catalog, Status, Update};
use crate::{ecosystem_base, normalize_name};
use parapet_versions::Scheme;
use parapet_versions::osv::{Event, Range};
use std::cmp::Ordering;
use std::collections::HashMap;

/// An installed package, as the inventory found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Installed<'a> {
    /// The OSV ecosystem, with the release for distributions: `Debian:12`, `crates.io`.
    pub ecosystem: &'a str,
    pub name: &'a str,
    pub version: &'a str,
    /// The binary package's architecture, for distribution packages.
    pub arch: Option<&'a str>,
    /// The source package and its version, for distribution packages.
    pub source: Option<(&'a str, &'a str)>,
}

/// One advisory that speaks about an installed package.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'c> {
    pub advisory: &'c Advisory,
    pub affected: &'c Affected,
    pub kind: MatchKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchKind {
    /// The installed version is affected; `fixed` is the lowest fixed version above it, if any.
    Vulnerable { fixed: Option<String> },
    /// Affected, and the distribution has no fix: `unfixed`, `no-dsa`, `ignored`…
    NoFix { reason: String },
    /// The distribution says its package is not affected: findings of the same issue from other
    /// sources are to be dropped.
    NotAffected,
}

/// Everything the catalog says about one installed package.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report<'c> {
    pub matches: Vec<Match<'c>>,
    /// The newest version a security suite offers, when it is newer than the installed one.
    pub update: Option<&'c Update>,
    /// Advisories that could not be evaluated against this package, with the reason.
    pub errors: Vec<String>,
}

/// A lookup structure over a catalog.
pub struct Index<'c> {
    /// (ecosystem lowercase, package) → (advisory, affected entry), binary and source names apart.
    by_binary: HashMap<(String, String), Vec<(u32, u32)>>,
    by_source: HashMap<(String, String), Vec<(u32, u32)>>,
    updates: HashMap<(String, String), Vec<u32>>,
    catalog: &'c Catalog,
}

impl<'c> Index<'c> {
    pub fn new(catalog: &'c Catalog) -> Index<'c> {
        let mut by_binary: HashMap<_, Vec<_>> = HashMap::new();
        let mut by_source: HashMap<_, Vec<_>> = HashMap::new();
        for (a, advisory) in catalog.advisories.iter().enumerate() {
            for (e, affected) in advisory.affected.iter().enumerate() {
                let key = (ecosystem_key(&affected.ecosystem), affected.package.clone());
                let map = if affected.by_source { &mut by_source } else { &mut by_binary };
                map.entry(key).or_default().push((a as u32, e as u32));
            }
        }
        let mut updates: HashMap<_, Vec<_>> = HashMap::new();
        for (u, update) in catalog.updates.iter().enumerate() {
            updates.entry((ecosystem_key(&update.ecosystem), update.package.clone())).or_default().push(u as u32);
        }
        Index { by_binary, by_source, updates, catalog }
    }

    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// What the catalog says about `installed`.
    pub fn lookup(&self, installed: &Installed) -> Report<'c> {
        let mut report = Report::default();
        let name = normalize_name(installed.ecosystem, installed.name);
        let ecosystems = ecosystem_keys(installed.ecosystem);
        for ecosystem in &ecosystems {
            let key = (ecosystem.clone(), name.clone());
            for &(a, e) in self.by_binary.get(&key).into_iter().flatten() {
                self.evaluate(a, e, installed.version, &mut report);
            }
            if let Some((source, source_version)) = installed.source {
                for &(a, e) in self.by_source.get(&(ecosystem.clone(), source.to_owned())).into_iter().flatten() {
                    self.evaluate(a, e, source_version, &mut report);
                }
            }
        }
        report.update = self.update_for(installed, &ecosystems, &mut report.errors);
        report
    }

    fn evaluate(&self, a: u32, e: u32, version: &str, report: &mut Report<'c>) {
        let advisory = &self.catalog.advisories[a as usize];
        let affected = &advisory.affected[e as usize];
        let kind = match &affected.status {
            Status::NotAffected => Some(MatchKind::NotAffected),
            Status::NoFix(reason) => Some(MatchKind::NoFix { reason: reason.clone() }),
            Status::Affected => match affects(affected, version) {
                Ok(found) => found.map(|fixed| MatchKind::Vulnerable { fixed }),
                Err(reason) => {
                    report.errors.push(format!("{}: {}", advisory.id, reason));
                    None
                }
            },
        };
        if let Some(kind) = kind {
            report.matches.push(Match { advisory, affected, kind });
        }
    }

    /// The newest update for the package's architecture, if newer than what is installed.
    fn update_for(&self, installed: &Installed, ecosystems: &[String], errors: &mut Vec<String>) -> Option<&'c Update> {
        let mut best: Option<&'c Update> = None;
        for ecosystem in ecosystems {
            for &u in self.updates.get(&(ecosystem.clone(), installed.name.to_owned())).into_iter().flatten() {
                let update = &self.catalog.updates[u as usize];
                let arch_fits = match installed.arch {
                    Some(arch) => {
                        update.arch.is_empty() || update.arch == arch || update.arch == "all" || arch == "all"
                    }
                    None => true,
                };
                if !arch_fits {
                    continue;
                }
                let newer = |than: &str| Scheme::Deb.compare(&update.version, than).map(|o| o == Ordering::Greater);
                match newer(installed.version) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        errors.push(format!("update {} {}: {e}", update.package, update.version));
                        continue;
                    }
                }
                if best.is_none_or(|b| newer(&b.version).unwrap_or(false)) {
                    best = Some(update);
                }
            }
        }
        best
    }
}

/// The keys under which advisories for an ecosystem may be filed: `Debian:12` is matched by
/// entries for `Debian:12` and for `Debian` without a release.
fn ecosystem_keys(ecosystem: &str) -> Vec<String> {
    let full = ecosystem_key(ecosystem);
    let base = ecosystem_base(ecosystem);
    if base == full { vec![full] } else { vec![full, base] }
}

/// An ecosystem as the index keys it: lowercase, and without OSV's `:LTS` mark on Ubuntu
/// releases, which an apt `Release` file or `/etc/os-release` does not carry.
fn ecosystem_key(ecosystem: &str) -> String {
    let lower = ecosystem.trim().to_ascii_lowercase();
    lower.strip_suffix(":lts").map(str::to_owned).unwrap_or(lower)
}

/// Whether `version` is affected, and if so the lowest fix above it.
pub fn affects(affected: &Affected, version: &str) -> Result<Option<Option<String>>, String> {
    let scheme = Scheme::parse(&affected.ecosystem).map_err(|e| e.to_string())?;
    let mut hit = false;
    let mut fixes: Vec<(Scheme, &str)> = Vec::new();
    for stored in &affected.ranges {
        let scheme = if stored.semver { Scheme::Semver } else { scheme };
        let range = Range::new(scheme, stored.events.clone()).map_err(|e| e.to_string())?;
        if range.affects(version).map_err(|e| e.to_string())? {
            hit = true;
            fixes.extend(stored.events.iter().filter_map(|event| match event {
                Event::Fixed(v) => Some((scheme, v.as_str())),
                _ => None,
            }));
        }
    }
    for listed in &affected.versions {
        if listed == version || scheme.compare(listed, version).is_ok_and(|o| o == Ordering::Equal) {
            hit = true;
        }
    }
    if !hit {
        return Ok(None);
    }
    fixes.extend(affected.fixed.iter().map(|v| (scheme, v.as_str())));
    let mut lowest: Option<(Scheme, &str)> = None;
    for (scheme, fix) in fixes {
        if scheme.compare(fix, version).is_ok_and(|o| o == Ordering::Greater)
            && lowest.is_none_or(|(_, l)| scheme.compare(fix, l).is_ok_and(|o| o == Ordering::Less))
        {
            lowest = Some((scheme, fix));
        }
    }
    Ok(Some(lowest.map(|(_, v)| v.to_owned())))
}
