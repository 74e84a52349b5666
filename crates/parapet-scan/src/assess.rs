//! From catalog matches to findings, one package at a time:
//!
//! 1. A distribution's "not affected" for an issue drops every match of that issue (by ID or
//!    alias) from other sources.
//! 2. Matches that share an ID or alias are one issue and become one finding.
//! 3. When a security suite offers a newer version, the package gets one `missing-update`
//!    finding, which takes in every issue that version fixes; issues it does not fix stay
//!    `vulnerable`.
//! 4. Informational advisories (unmaintained, unsound) are reported apart.

use crate::collect::Package;
use crate::finding::{Finding, FindingKind, Fixed};
use parapet_catalog::{AdvisoryKind, Index, Installed, Match, MatchKind};
use parapet_model::Severity;
use parapet_versions::Scheme;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// One issue: the matches that share IDs.
struct Issue<'c> {
    ids: BTreeSet<String>,
    matches: Vec<Match<'c>>,
}

/// The findings for one package, and the advisories that could not be evaluated.
pub fn package_findings(index: &Index, package: &Package, target: &str) -> (Vec<Finding>, Vec<String>) {
    let installed = Installed {
        ecosystem: &package.ecosystem,
        name: &package.name,
        version: &package.version,
        arch: package.arch.as_deref(),
        source: package.source.as_ref().map(|(n, v)| (n.as_str(), v.as_str())),
    };
    let report = index.lookup(&installed);
    let errors = report
        .errors
        .iter()
        .map(|e| format!("{} {} {}: {e}", package.location, package.name, package.version))
        .collect();
    let not_affected: BTreeSet<&str> =
        report.matches.iter().filter(|m| m.kind == MatchKind::NotAffected).flat_map(|m| m.advisory.ids()).collect();
    let mut issues: Vec<Issue> = Vec::new();
    for found in report.matches.into_iter().filter(|m| m.kind != MatchKind::NotAffected) {
        if found.advisory.ids().any(|id| not_affected.contains(id)) {
            continue;
        }
        let ids: BTreeSet<String> = found.advisory.ids().map(str::to_owned).collect();
        // Merge every issue this match shares an ID with.
        let (mut joined, rest): (Vec<Issue>, Vec<Issue>) =
            issues.into_iter().partition(|issue| !issue.ids.is_disjoint(&ids));
        let mut issue = Issue { ids, matches: vec![found] };
        for other in joined.drain(..) {
            issue.ids.extend(other.ids);
            issue.matches.extend(other.matches);
        }
        issues = rest;
        issues.push(issue);
    }
    let base = |kind| Finding {
        kind,
        severity: None,
        ids: Vec::new(),
        title: String::new(),
        target: target.to_owned(),
        location: Some(package.location.clone()),
        package: Some(package.name.clone()),
        ecosystem: Some(package.ecosystem.clone()),
        installed: Some(package.version.clone()),
        fixed: Fixed::Version(None),
        check: None,
        evidence: Vec::new(),
        note: None,
        url: None,
    };
    let scheme = Scheme::parse(&package.ecosystem).ok();
    let mut update_finding = report.update.map(|update| Finding {
        severity: None,
        title: format!(
            "Security update for {}: {} is installed, {} {} is available",
            package.name, package.version, update.suite, update.version
        ),
        fixed: Fixed::Version(Some(update.version.clone())),
        ..base(FindingKind::MissingUpdate)
    });
    let mut findings = Vec::new();
    for issue in issues {
        let informational = issue.matches.iter().find_map(|m| match &m.advisory.kind {
            AdvisoryKind::Informational(kind) => Some(kind.clone()),
            AdvisoryKind::Vulnerability => None,
        });
        let severity = issue.matches.iter().filter_map(|m| m.advisory.severity).max();
        let no_fix = issue.matches.iter().find_map(|m| match &m.kind {
            MatchKind::NoFix { reason } => Some(reason.clone()),
            _ => None,
        });
        // Several sources may name different first fixes; the highest is the one that fixes
        // the issue by every account.
        let fixed = issue
            .matches
            .iter()
            .filter_map(|m| match &m.kind {
                MatchKind::Vulnerable { fixed: Some(v) } => Some(v.clone()),
                _ => None,
            })
            .max_by(|a, b| compare(scheme, a, b));
        let primary = primary(&issue);
        let ids = ordered_ids(&issue, &primary.advisory.id);
        // A distribution's own fix arrives as the update: the issue is part of it.
        if informational.is_none()
            && let (Some(finding), Some(fix)) = (update_finding.as_mut(), fixed.as_deref())
            && let Some(available) = finding.fixed.version()
            && compare(scheme, fix, available) != Ordering::Greater
        {
            finding.severity = finding.severity.max(severity);
            for id in ids {
                if !finding.ids.contains(&id) {
                    finding.ids.push(id);
                }
            }
            if finding.url.is_none() {
                finding.url = issue.matches.iter().find_map(|m| m.advisory.url.clone());
            }
            continue;
        }
        let kind = if informational.is_some() { FindingKind::Informational } else { FindingKind::Vulnerable };
        findings.push(Finding {
            severity,
            title: primary.advisory.title.clone(),
            url: primary.advisory.url.clone(),
            note: informational
                .or_else(|| if fixed.is_none() { no_fix.map(|r| format!("no fix available ({r})")) } else { None }),
            fixed: Fixed::Version(fixed),
            ids,
            ..base(kind)
        });
    }
    if let Some(finding) = update_finding {
        findings.insert(0, finding);
    }
    (findings, errors)
}

fn compare(scheme: Option<Scheme>, a: &str, b: &str) -> Ordering {
    scheme.and_then(|s| s.compare(a, b).ok()).unwrap_or_else(|| a.cmp(b))
}

/// The advisory that names the issue: a distribution's own first (it speaks for the installed
/// package), then the most severe.
fn primary<'a, 'c>(issue: &'a Issue<'c>) -> &'a Match<'c> {
    issue
        .matches
        .iter()
        .max_by_key(|m| {
            (m.affected.by_source, m.advisory.severity.map_or(0, Severity::rank), std::cmp::Reverse(&m.advisory.id))
        })
        .expect("an issue has at least one match")
}

/// The primary advisory's ID first, then the rest sorted, CVEs before others.
fn ordered_ids(issue: &Issue, first: &str) -> Vec<String> {
    let first = first.to_owned();
    let mut rest: Vec<String> = issue.ids.iter().filter(|id| **id != first).cloned().collect();
    rest.sort_by_key(|id| (!id.starts_with("CVE-"), id.clone()));
    std::iter::once(first).chain(rest).collect()
}
