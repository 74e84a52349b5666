//! What a scan reports: findings, per target, with the errors met on the way.

use parapet_model::Severity;
use serde::Serialize;

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A security update exists for an installed package and is not installed.
    MissingUpdate,
    /// The installed version is affected by an advisory, fixed or not.
    Vulnerable,
    /// An advisory that is not a vulnerability: unmaintained, unsound, a notice.
    Informational,
    /// A configuration check failed.
    Misconfiguration,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::MissingUpdate => "missing-update",
            FindingKind::Vulnerable => "vulnerable",
            FindingKind::Informational => "informational",
            FindingKind::Misconfiguration => "misconfiguration",
        }
    }
}

/// One finding. Package findings fill `package` to `fixed`; configuration findings `check` and
/// `evidence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// `None` when no source rated it ("unknown" in reports; it counts as low for `--fail-on`).
    #[serde(serialize_with = "severity_name")]
    pub severity: Option<Severity>,
    /// Advisory IDs and their aliases, the primary one first.
    pub ids: Vec<String>,
    pub title: String,
    /// Which target it was found in (`host`, a root folder, a lockfile).
    pub target: String,
    /// The file it was read from, with a line when known (`Cargo.lock:120`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed: Option<String>,
    /// The version that fixes it; serialised as `null` for package findings without a fix.
    #[serde(skip_serializing_if = "skip_fixed")]
    pub fixed: Fixed,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// Why there is no fix (`no-dsa`, `unfixed`…), or the informational kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Where to read more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The fix of a finding: package findings always have the field, configuration ones never.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Fixed {
    NotApplicable,
    Version(Option<String>),
}

fn skip_fixed(fixed: &Fixed) -> bool {
    *fixed == Fixed::NotApplicable
}

impl Fixed {
    pub fn version(&self) -> Option<&str> {
        match self {
            Fixed::Version(v) => v.as_deref(),
            Fixed::NotApplicable => None,
        }
    }
}

fn severity_name<S: serde::Serializer>(severity: &Option<Severity>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(severity_label(*severity))
}

/// `critical`, `important`, `moderate`, `low` or `unknown`.
pub fn severity_label(severity: Option<Severity>) -> &'static str {
    severity.map_or("unknown", Severity::as_str)
}

/// Where `--fail-on` places a finding: unrated findings count as low, because a security
/// update that nobody rated is not safe to ignore.
pub fn gate_severity(severity: Option<Severity>) -> Severity {
    severity.unwrap_or(Severity::Low)
}

/// A finding ruled out by a VEX statement, with the statement's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    pub finding: Finding,
    pub status: String,
    pub justification: String,
    pub vex: String,
}
